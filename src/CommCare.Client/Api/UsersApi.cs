using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Runtime.InteropServices;
using System.Security;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using CommCare.Client.Http;
using CommCare.Client.Json;
using CommCare.Client.Paging;
using CommCare.Models;

namespace CommCare.Client.Api
{
    /// <summary>Filters for the mobile worker list (docs/commcare-api.md#users-and-bulk-upload).</summary>
    public sealed class MobileWorkerQuery
    {
        /// <summary>Only deactivated (archived) workers.</summary>
        public bool Archived { get; set; }
        /// <summary>Members of this group (the server ignores Archived then).</summary>
        public string? GroupId { get; set; }
        public bool IncludeExtras { get; set; }
        public int PageSize { get; set; } = 1000;
    }

    /// <summary>How a create ended.</summary>
    public enum CreateOutcome { Created, Recovered }

    /// <summary>Mobile workers: read and write (docs/commcare-api.md#users-and-bulk-upload).</summary>
    public sealed class UsersApi
    {
        public const int MaxPageSize = 1000;
        private static readonly Regex ShortName = new Regex(@"^[a-z0-9._+\-]+$", RegexOptions.CultureInvariant);
        private readonly CommCareClient _c;
        internal UsersApi(CommCareClient c) => _c = c;

        private Uri ListUri => _c.DomainApi("user");

        /// <summary>Sends of one create at most, each after a look-up showed the user does not exist.</summary>
        internal const int MaxCreateAttempts = 4;

        public CCPagedResult<CCMobileWorker> List(MobileWorkerQuery query)
        {
            if (query.PageSize < 1 || query.PageSize > MaxPageSize)
                throw new CCApiException(CCErrorKind.InvalidArgument, $"PageSize must be between 1 and {MaxPageSize} for mobile workers.");
            var q = new QueryString();
            if (query.Archived) q.Add("archived", "true");
            q.Add("group", query.GroupId);
            if (query.IncludeExtras) q.Add("extras", "true");
            q.Add("limit", query.PageSize.ToString(CultureInfo.InvariantCulture));
            var first = new Uri(ListUri, q.ToString());
            bool? active = query.GroupId != null ? (bool?)null : !query.Archived;
            ItemReader<CCMobileWorker> reader = (ref Utf8JsonReader r) =>
            {
                var u = MobileWorkerParser.Read(ref r);
                u.Domain = _c.Session.Domain;
                u.IsActive = active;
                return u;
            };
            return _c.Pages(first, reader);
        }

        /// <summary>One worker by id, or null when there is none in this project.</summary>
        public CCMobileWorker? Get(string id)
        {
            var uri = new Uri(ListUri, QueryString.Segment(id) + "/");
            try
            {
                var u = PageFetcher.FetchOneAsync(_c.Engine, uri, MobileWorkerParser.Read, _c.Sink, _c.Token).WaitPumping(_c.Sink);
                if (u != null) u.Domain = _c.Session.Domain;
                return u;
            }
            // A miss is a 400 here, not a 404 (tastypie's empty 'id' field error, docs/commcare-api.md#users-and-bulk-upload).
            catch (CCApiException ex) when (ex.Kind == CCErrorKind.BadRequest && (ex.ServerMessage ?? "").Contains("'None'"))
            {
                return null;
            }
        }

        /// <summary>Every worker, active then deactivated, streamed (the server has no user-name filter).</summary>
        private IEnumerable<CCMobileWorker> AllWorkers()
        {
            foreach (bool archived in new[] { false, true })
                foreach (var u in List(new MobileWorkerQuery { Archived = archived, PageSize = MaxPageSize }))
                    yield return u;
        }

        /// <summary>Every worker (active and deactivated) by full user name. One pass over both lists.</summary>
        public Dictionary<string, CCMobileWorker> LoadAll()
        {
            var all = new Dictionary<string, CCMobileWorker>(StringComparer.OrdinalIgnoreCase);
            foreach (var u in AllWorkers()) all[u.UserName] = u;
            return all;
        }

        /// <summary>The worker with this user name (short or full), or null; stops at the first match.</summary>
        public CCMobileWorker? FindByUserName(string userName)
        {
            string full = FullUserName(userName, _c.Session.Domain);
            return AllWorkers().FirstOrDefault(u => string.Equals(u.UserName, full, StringComparison.OrdinalIgnoreCase));
        }

        /// <summary>name → name@domain.commcarehq.org, lower-cased, as the server stores it.</summary>
        public static string FullUserName(string userName, string domain)
        {
            // HQ's exact username transformation is unconfirmed: the module makes the stored form itself (docs/commcare-api.md U40).
            string u = (userName ?? "").Trim().ToLowerInvariant();
            return u.Contains("@") ? u : u + "@" + domain.ToLowerInvariant() + ".commcarehq.org";
        }

        /// <summary>The checks the server makes on a user name, made before any request. Null when valid.</summary>
        public static string? ValidateUserName(string? userName, string domain)
        {
            if (string.IsNullOrWhiteSpace(userName)) return "Username is required.";
            string full = FullUserName(userName!, domain);
            int at = full.IndexOf('@');
            string name = full.Substring(0, at), host = full.Substring(at + 1);
            if (name.Length == 0 || host.Contains("@")) return $"Username '{full}' must be a valid email address.";
            if (!ShortName.IsMatch(name)) return $"The username component '{name}' of '{full}' may not contain special characters (use letters, digits, '.', '_', '+' or '-').";
            string expected = domain.ToLowerInvariant() + ".commcarehq.org";
            if (!string.Equals(host, expected, StringComparison.Ordinal)) return $"The username email domain '@{host}' should be '@{expected}'.";
            return null;
        }

        /// <summary>
        /// Creates a worker. A create is never blindly re-sent: when the outcome is unknown (the
        /// connection broke or timed out after the server may have acted), the user name is looked up
        /// first, and only if it is not there is the create sent once more.
        /// </summary>
        public (string Id, CreateOutcome Outcome) Create(CCMobileWorkerSpec spec)
        {
            if (spec.UserName == null) throw new CCApiException(CCErrorKind.InvalidArgument, "Username is required.");
            string full = FullUserName(spec.UserName, _c.Session.Domain);
            byte[] body = Body(spec, create: true);
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    string? id = Writes.IdFrom(Writes.Send(_c, HttpMethod.Post, ListUri, body));
                    return (id ?? FindByUserName(full)?.Id ?? "", CreateOutcome.Created);
                }
                // A broken connection, a timeout or a 5xx does not say whether the server acted. If the name
                // existed before this call the look-up cannot tell that apart from our own create; callers
                // that care load the existing names first (New-CCMobileWorker -SkipExisting does).
                catch (CCApiException ex) when (ex.Kind == CCErrorKind.Network || ex.Kind == CCErrorKind.Timeout || ex.Kind == CCErrorKind.Server)
                {
                    _c.Sink.Verbose($"The create of '{full}' has an unknown outcome ({ex.Message}); looking the user name up before trying again.");
                    var existing = FindByUserName(full);
                    if (existing != null) return (existing.Id, CreateOutcome.Recovered);
                    if (attempt >= MaxCreateAttempts) throw;
                }
                catch (CCApiException ex) when (attempt >= 2 && ex.Kind == CCErrorKind.BadRequest && (ex.ServerMessage ?? "").Contains("already taken"))
                {
                    // Our first attempt landed after all.
                    var existing = FindByUserName(full);
                    if (existing != null) return (existing.Id, CreateOutcome.Recovered);
                    throw;
                }
            }
        }

        /// <summary>Changes the fields given (user data is merged by the server); returns the worker.</summary>
        public CCMobileWorker Update(string id, CCMobileWorkerSpec spec)
        {
            var uri = new Uri(ListUri, QueryString.Segment(id) + "/");
            var text = Writes.Send(_c, HttpMethod.Put, uri, Body(spec, create: false), safeToRepeat: true);
            var r = new Utf8JsonReader(Encoding.UTF8.GetBytes(text));
            r.Read();
            var u = MobileWorkerParser.Read(ref r);
            u.Domain = _c.Session.Domain;
            return u;
        }

        public void Delete(string id) => Writes.Send(_c, HttpMethod.Delete, new Uri(ListUri, QueryString.Segment(id) + "/"), null);
        public void Activate(string id) => Action(id, "activate");
        public void Deactivate(string id) => Action(id, "deactivate");
        public void SendPasswordReset(string id) => Action(id, "email_password_reset");

        private void Action(string id, string action)
        {
            // Activate/deactivate are idempotent, so a retry after an unknown outcome is harmless; a
            // password-reset e-mail is not (it would send two).
            Writes.Send(_c, HttpMethod.Post, new Uri(ListUri, QueryString.Segment(id) + "/" + action + "/"), Encoding.UTF8.GetBytes("{}"),
                safeToRepeat: action != "email_password_reset");
        }

        /// <summary>The request body. The password is read from its SecureString only here.</summary>
        internal static byte[] Body(CCMobileWorkerSpec s, bool create)
        {
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms))
            {
                w.WriteStartObject();
                if (create && s.UserName != null) w.WriteString("username", s.UserName.Trim());
                if (s.Password != null) w.WriteString("password", Secrets.Reveal(s.Password));
                Str(w, "first_name", s.FirstName);
                Str(w, "last_name", s.LastName);
                Str(w, "email", s.Email);
                Str(w, "language", s.Language);
                List(w, "phone_numbers", s.PhoneNumbers?.Select(p => p.Trim().TrimStart('+')).ToList());
                List(w, "groups", s.Groups);
                if (s.Locations != null)
                {
                    // The server wants primary_location together with locations, and one of them.
                    List(w, "locations", s.Locations);
                    Str(w, "primary_location", s.PrimaryLocation ?? s.Locations.FirstOrDefault() ?? "");
                }
                Str(w, "role", s.Role);
                if (s.UserData != null)
                {
                    w.WritePropertyName("user_data");
                    w.WriteStartObject();
                    foreach (var kv in s.UserData) { w.WritePropertyName(kv.Key); Writes.Value(w, kv.Value); }
                    w.WriteEndObject();
                }
                if (create && s.RequireAccountConfirmation.HasValue) w.WriteBoolean("require_account_confirmation", s.RequireAccountConfirmation.Value);
                if (s.SendConfirmationEmail.HasValue) w.WriteBoolean("send_confirmation_email_now", s.SendConfirmationEmail.Value);
                w.WriteEndObject();
            }
            return ms.ToArray();
        }

        private static void Str(Utf8JsonWriter w, string name, string? value) { if (value != null) w.WriteString(name, value); }

        private static void List(Utf8JsonWriter w, string name, IList<string>? values)
        {
            if (values == null) return;
            w.WritePropertyName(name);
            w.WriteStartArray();
            foreach (var v in values) w.WriteStringValue(v);
            w.WriteEndArray();
        }
    }
}
