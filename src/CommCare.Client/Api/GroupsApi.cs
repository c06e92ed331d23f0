using System;
using CommCare.Client.Http;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using CommCare.Client.Json;
using CommCare.Client.Paging;
using CommCare.Models;

namespace CommCare.Client.Api
{
    /// <summary>Groups (docs/commcare-api.md#groups-and-locations).</summary>
    public sealed class GroupsApi
    {
        private readonly CommCareClient _c;
        internal GroupsApi(CommCareClient c) => _c = c;
        private Uri ListUri => _c.DomainApi("group");

        public CCPagedResult<CCGroup> List(int pageSize = 1000)
        {
            var first = new Uri(ListUri, "?limit=" + pageSize.ToString(CultureInfo.InvariantCulture));
            ItemReader<CCGroup> reader = (ref Utf8JsonReader r) => Read(ref r);
            return _c.Pages(first, reader);
        }

        public CCGroup? Get(string id)
            => PageFetcher.FetchOneAsync(_c.Engine, new Uri(ListUri, QueryString.Segment(id) + "/"), Read, _c.Sink, _c.Token).WaitPumping(_c.Sink);

        /// <summary>The group with exactly this name (names are unique per project), or null.</summary>
        public CCGroup? FindByName(string name)
        {
            foreach (var g in List()) if (string.Equals(g.Name, name, StringComparison.Ordinal)) return g;
            return null;
        }

        /// <summary>
        /// After a create whose answer was lost: the id of the one live group of each name, null when no group has the
        /// name, or an OutcomeUnknown error when every listed group of that name is deleted, or more than one is live.
        /// Whether the list holds soft-deleted groups is unconfirmed (docs/commcare-api.md U18),
        /// so each match is confirmed by its detail, which answers 404 for a deleted group.
        /// </summary>
        private Dictionary<string, (string? Id, CCApiException? Unknown)> RecoverByName(ICollection<string> names)
        {
            var matches = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var g in List())
                if (names.Contains(g.Name))
                {
                    if (!matches.TryGetValue(g.Name, out var ids)) matches[g.Name] = ids = new List<string>();
                    ids.Add(g.Id);
                }
            var found = new Dictionary<string, (string? Id, CCApiException? Unknown)>(StringComparer.Ordinal);
            foreach (var kv in matches)
            {
                var live = kv.Value.Where(id => Get(id) != null).ToList();
                if (live.Count == 1) { found[kv.Key] = (live[0], null); continue; }
                found[kv.Key] = (null, new CCApiException(CCErrorKind.OutcomeUnknown, live.Count == 0
                    ? $"The answer to creating group '{kv.Key}' was lost, and the only group of that name CommCare lists is deleted; it was not reused and no second group was made. Check the groups in CommCare (Get-CCGroup -Name '{kv.Key}') before creating it again."
                    : $"The answer to creating group '{kv.Key}' was lost, and CommCare lists {live.Count} live groups of that name; none was used. Check the groups in CommCare before going on."));
            }
            return found;
        }

        /// <summary>
        /// Creates a group. Members are added afterwards with an update, because a create that lists users
        /// replaces each listed user's other group memberships (docs/commcare-api.md#groups-and-locations). Like mobile workers, an unknown
        /// outcome is resolved by looking the (unique) name up, never by a blind second create.
        /// </summary>
        public (CCGroup Group, CreateOutcome Outcome) Create(CCGroupSpec spec)
        {
            if (string.IsNullOrWhiteSpace(spec.Name)) throw new CCApiException(CCErrorKind.InvalidArgument, "Name is required.");
            var members = spec.Users;
            var body = Body(new CCGroupSpec { Name = spec.Name, CaseSharing = spec.CaseSharing, Reporting = spec.Reporting, Metadata = spec.Metadata });
            string? id = null;
            var outcome = CreateOutcome.Created;
            for (int attempt = 1; id == null; attempt++)
            {
                try
                {
                    id = Writes.IdFrom(Writes.Send(_c, HttpMethod.Post, ListUri, body));
                }
                catch (CCApiException ex) when (ex.Kind == CCErrorKind.Network || ex.Kind == CCErrorKind.Timeout || ex.Kind == CCErrorKind.Server)
                {
                    if (RecoverByName(new[] { spec.Name! }).TryGetValue(spec.Name!, out var match))
                    {
                        if (match.Unknown != null) throw match.Unknown;
                        id = match.Id; outcome = CreateOutcome.Recovered;
                    }
                    else if (attempt >= UsersApi.MaxCreateAttempts) throw;
                }
            }
            var group = members != null && members.Count > 0 ? Update(id, new CCGroupSpec { Users = members }) : (Get(id) ?? new CCGroup { Id = id, Name = spec.Name!, Domain = _c.Session.Domain });
            return (group, outcome);
        }

        /// <summary>
        /// Creates many groups in one request per 100 (PATCH list). The server is not atomic here: each item
        /// is created or fails on its own, and the answer is an array of new ids or error messages. Members
        /// are set afterwards by update, as in Create. A lost answer is resolved by reading the names back.
        /// </summary>
        public IReadOnlyList<(CCGroup? Group, CCApiException? Error)> CreateMany(IList<CCGroupSpec> specs)
        {
            var results = new (CCGroup? Group, CCApiException? Error)[specs.Count];
            var ids = new string?[specs.Count];
            for (int start = 0; start < specs.Count; start += 100)
            {
                var batch = Enumerable.Range(start, Math.Min(100, specs.Count - start)).ToList();
                var pending = batch.ToList();
                for (int attempt = 1; pending.Count > 0; attempt++)
                {
                    using var ms = new MemoryStream();
                    using (var w = new Utf8JsonWriter(ms))
                    {
                        w.WriteStartObject();
                        w.WritePropertyName("objects");
                        w.WriteStartArray();
                        foreach (int i in pending) { var s = specs[i]; w.WriteRawValue(Body(new CCGroupSpec { Name = s.Name, CaseSharing = s.CaseSharing, Reporting = s.Reporting, Metadata = s.Metadata })); }
                        w.WriteEndArray();
                        w.WriteEndObject();
                    }
                    string? text;
                    try { text = Writes.Send(_c, new HttpMethod("PATCH"), ListUri, ms.ToArray()); }
                    catch (CCApiException ex) when (ex.Kind == CCErrorKind.BadRequest && (ex.ServerMessage ?? "").StartsWith("[", StringComparison.Ordinal)) { text = ex.ServerMessage; }
                    catch (CCApiException ex) when (ex.Kind == CCErrorKind.Network || ex.Kind == CCErrorKind.Timeout || ex.Kind == CCErrorKind.Server)
                    {
                        if (attempt >= UsersApi.MaxCreateAttempts) throw;
                        var byName = RecoverByName(new HashSet<string>(pending.Select(i => specs[i].Name!), StringComparer.Ordinal));
                        foreach (int i in pending.ToList())
                            if (byName.TryGetValue(specs[i].Name!, out var found))
                            {
                                if (found.Unknown != null) results[i] = (null, found.Unknown); else ids[i] = found.Id;
                                pending.Remove(i);
                            }
                        continue;
                    }
                    using var doc = JsonDocument.Parse(text!);
                    int k = 0;
                    foreach (var item in doc.RootElement.EnumerateArray())
                    {
                        if (k >= pending.Count) break;
                        string v = item.ValueKind == JsonValueKind.String ? item.GetString() ?? "" : item.GetRawText();
                        // Ids are 32 hex characters; anything else is that item's error message.
                        if (System.Text.RegularExpressions.Regex.IsMatch(v, "^[0-9a-fA-F]{32}$")) ids[pending[k]] = v;
                        else results[pending[k]] = (null, new CCApiException(CCErrorKind.BadRequest, v, serverMessage: v));
                        k++;
                    }
                    pending.Clear();
                }
            }
            for (int i = 0; i < specs.Count; i++)
            {
                if (ids[i] == null) { if (results[i].Error == null) results[i] = (null, new CCApiException(CCErrorKind.BadResponse, "No answer for this group.")); continue; }
                var members = specs[i].Users;
                results[i] = (members != null && members.Count > 0
                    ? Update(ids[i]!, new CCGroupSpec { Users = members })
                    : new CCGroup { Id = ids[i]!, Domain = _c.Session.Domain, Name = specs[i].Name!, CaseSharing = specs[i].CaseSharing ?? false, Reporting = specs[i].Reporting ?? true,
                                    Metadata = specs[i].Metadata ?? new Dictionary<string, object?>(StringComparer.Ordinal) }, null);
            }
            return results;
        }

        /// <summary>PUT: only the fields given change; Users replaces the membership (per-user adds and removes).</summary>
        public CCGroup Update(string id, CCGroupSpec spec)
        {
            string text = Writes.Send(_c, HttpMethod.Put, new Uri(ListUri, QueryString.Segment(id) + "/"), Body(spec), safeToRepeat: true);
            var r = new Utf8JsonReader(Encoding.UTF8.GetBytes(text));
            r.Read();
            return Read(ref r);
        }

        public void Delete(string id) => Writes.Send(_c, HttpMethod.Delete, new Uri(ListUri, QueryString.Segment(id) + "/"), null);

        private CCGroup Read(ref Utf8JsonReader r)
        {
            JsonValue.Expect(ref r, JsonTokenType.StartObject);
            var g = new CCGroup { Domain = _c.Session.Domain };
            while (r.Read() && r.TokenType != JsonTokenType.EndObject)
            {
                string name = JsonValue.Name(ref r);
                JsonValue.Value(ref r);
                switch (name)
                {
                    case "id": g.Id = JsonValue.ReadString(ref r) ?? ""; break;
                    case "domain": g.Domain = JsonValue.ReadString(ref r) ?? g.Domain; break;
                    case "name": g.Name = JsonValue.ReadString(ref r) ?? ""; break;
                    case "case_sharing": g.CaseSharing = JsonValue.ReadBool(ref r); break;
                    case "reporting": g.Reporting = JsonValue.ReadNullableBool(ref r) ?? true; break;
                    case "users": g.Users = JsonValue.ReadStringList(ref r); break;
                    case "metadata": if (r.TokenType == JsonTokenType.StartObject) g.Metadata = JsonValue.ReadObject(ref r); else r.Skip(); break;
                    case "resource_uri": g.ResourceUri = JsonValue.ReadString(ref r); break;
                    default: (g.AdditionalFields ??= new Dictionary<string, object?>(StringComparer.Ordinal))[name] = JsonValue.Read(ref r); break;
                }
            }
            return g;
        }

        // Known fields only: whether HQ stores unknown keys on the group is unconfirmed (docs/commcare-api.md U19).
        internal static byte[] Body(CCGroupSpec s)
        {
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms))
            {
                w.WriteStartObject();
                if (s.Name != null) w.WriteString("name", s.Name);
                if (s.CaseSharing.HasValue) w.WriteBoolean("case_sharing", s.CaseSharing.Value);
                if (s.Reporting.HasValue) w.WriteBoolean("reporting", s.Reporting.Value);
                if (s.Users != null)
                {
                    w.WritePropertyName("users");
                    w.WriteStartArray();
                    foreach (var u in s.Users) w.WriteStringValue(u);
                    w.WriteEndArray();
                }
                if (s.Metadata != null)
                {
                    w.WritePropertyName("metadata");
                    w.WriteStartObject();
                    foreach (var kv in s.Metadata) { w.WritePropertyName(kv.Key); Writes.Value(w, kv.Value); }
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            return ms.ToArray();
        }
    }
}
