using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Security;
using System.Text.RegularExpressions;
using CommCare.Models;

namespace CommCare.Client.Api
{
    public enum UserRowAction { Create, Update, Unchanged, Failed }

    /// <summary>What one row of a bulk file asks for, checked against the server before anything is sent.</summary>
    public sealed class UserRowPlan
    {
        public int Row { get; internal set; }
        public UserRowAction Action { get; internal set; }
        /// <summary>The full user name (null when the row has none and no known user_id).</summary>
        public string? UserName { get; internal set; }
        /// <summary>The existing worker's id (updates).</summary>
        public string? Id { get; internal set; }
        /// <summary>Create: the whole worker. Update: only the fields that differ (null when only is_active changes).</summary>
        public CCMobileWorkerSpec? Spec { get; internal set; }
        /// <summary>True: activate, false: deactivate (after the create or update); null: leave as it is.</summary>
        public bool? SetActive { get; internal set; }
        /// <summary>The fields that change (updates).</summary>
        public IReadOnlyList<string> Changes { get; internal set; } = Array.Empty<string>();
        /// <summary>Why the row fails: each problem names its column.</summary>
        public string? Error { get; internal set; }
        /// <summary>The columns at fault.</summary>
        public IReadOnlyList<string> Columns { get; internal set; } = Array.Empty<string>();
        /// <summary>The row's cells without the password.</summary>
        public IReadOnlyList<KeyValuePair<string, string>> Target { get; internal set; } = Array.Empty<KeyValuePair<string, string>>();
    }

    /// <summary>
    /// Maps rows of HQ's bulk file (UserBulkFile) to creates and updates the way HQ's bulk upload does:
    /// a row with user_id updates that worker, else the user name finds it (HQ itself refuses a known user
    /// name without user_id; this is more lenient), else a new worker is made. Updates carry only the fields
    /// that differ from the server (UserChanges.Diff), so a file downloaded and uploaded again changes nothing.
    /// </summary>
    public sealed class UserBulkImport
    {
        private enum Kind { Unknown, Fixed, ReadOnly, Unsupported, Data, Phone, Group, Location }

        private static readonly string[] ReadOnlyColumns = { "User IMEIs (read only)", "registered_on (read only)", "last_submission (read only)", "last_sync (read only)" };
        // Columns HQ's upload reads that the API cannot set: a value in them is reported, never silently dropped.
        private static readonly string[] UnsupportedColumns = { "user_profile", "deactivate_after", "is_account_confirmed", "send_confirmation_email", "send_confirmation_sms", "web_user", "remove_web_user" };
        private static readonly string[] FixedNames = { "username", "password", "name", "email", "language", "role", "user_id", "is_active", "domain" };
        private static readonly Regex Numbered = new Regex(@"^(phone-number|group|location_code)(?:\s+([0-9]+))?$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);
        private static readonly Regex Email = new Regex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$", RegexOptions.CultureInvariant);

        private readonly string _domain;
        private readonly IReadOnlyList<string> _headers;
        private readonly (Kind Kind, string Name)[] _columns;
        private readonly Dictionary<string, CCMobileWorker> _byName = new Dictionary<string, CCMobileWorker>(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, CCMobileWorker> _byId = new Dictionary<string, CCMobileWorker>(StringComparer.Ordinal);
        private readonly List<CCGroup> _groups;
        private readonly List<CCLocation> _locations;
        private readonly HashSet<string> _seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        private readonly SortedSet<string> _ignored = new SortedSet<string>(StringComparer.Ordinal);

        /// <summary>Checks the header row (CCApiException when it is wrong). The groups are needed only when the file
        /// has group columns, the locations only when it has location_code columns.</summary>
        public UserBulkImport(string domain, IReadOnlyList<string> headers, IEnumerable<CCMobileWorker> existing, IEnumerable<CCGroup> groups, IEnumerable<CCLocation> locations)
        {
            _domain = domain;
            _headers = headers;
            string? problem = CheckHeaders(headers);
            if (problem != null) throw new CCApiException(CCErrorKind.InvalidArgument, problem);
            _columns = headers.Select(Classify).ToArray();
            foreach (var u in existing) { _byName[u.UserName] = u; _byId[u.Id] = u; }
            _groups = groups.ToList();
            _locations = locations.ToList();
        }

        /// <summary>Columns with a value that the API cannot set (user_profile, deactivate_after, …); they were not applied.</summary>
        public IReadOnlyCollection<string> IgnoredColumns => _ignored;

        public static bool HasGroupColumns(IReadOnlyList<string> headers) => headers.Any(h => Classify(h).Kind == Kind.Group);
        public static bool HasLocationColumns(IReadOnlyList<string> headers) => headers.Any(h => Classify(h).Kind == Kind.Location);

        /// <summary>HQ's check_headers: unknown or repeated columns, or neither username nor user_id. Null when fine.</summary>
        public static string? CheckHeaders(IReadOnlyList<string> headers)
        {
            var problems = new List<string>();
            var unknown = headers.Where(h => h.Length > 0 && Classify(h).Kind == Kind.Unknown).ToList();
            if (unknown.Count > 0)
                problems.Add($"These columns are not in CommCare's mobile worker upload: {string.Join(", ", unknown.Select(h => "'" + h + "'"))}. " +
                    "Use the columns HQ's \"Download Mobile Workers\" writes (username, password, name, email, language, role, user_id, is_active, " +
                    "phone-number N, data: KEY, group N, location_code N) and remove or rename the others.");
            var repeated = headers.Where(h => h.Length > 0).GroupBy(h => Canonical(h), StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.First()).ToList();
            if (repeated.Count > 0) problems.Add($"These columns appear more than once: {string.Join(", ", repeated.Select(h => "'" + h + "'"))}; keep one of each.");
            if (!headers.Any(h => h.Equals("username", StringComparison.OrdinalIgnoreCase) || h.Equals("user_id", StringComparison.OrdinalIgnoreCase)))
                problems.Add("The file needs a 'username' column (or 'user_id' to update existing workers).");
            return problems.Count == 0 ? null : string.Join(" ", problems);
        }

        private static string Canonical(string header)
        {
            var (kind, name) = Classify(header);
            return kind == Kind.Data ? "data: " + name : kind == Kind.Phone || kind == Kind.Group || kind == Kind.Location
                ? Regex.Replace(header.ToLowerInvariant(), @"\s+", " ") : header.ToLowerInvariant();
        }

        private static (Kind Kind, string Name) Classify(string header)
        {
            string h = header.Trim();
            int colon = h.IndexOf(':');
            if (colon > 0)
            {
                string prefix = h.Substring(0, colon).Trim(), key = h.Substring(colon + 1).Trim();
                if (key.Length > 0 && prefix.Equals("data", StringComparison.OrdinalIgnoreCase)) return (Kind.Data, key);
                if (key.Length > 0 && prefix.Equals("uncategorized_data", StringComparison.OrdinalIgnoreCase)) return (Kind.Data, key);
            }
            if (FixedNames.Any(n => n.Equals(h, StringComparison.OrdinalIgnoreCase))) return (Kind.Fixed, h.ToLowerInvariant());
            if (ReadOnlyColumns.Any(n => n.Equals(h, StringComparison.OrdinalIgnoreCase))) return (Kind.ReadOnly, h);
            if (UnsupportedColumns.Any(n => n.Equals(h, StringComparison.OrdinalIgnoreCase))) return (Kind.Unsupported, h);
            var m = Numbered.Match(h);
            if (m.Success)
            {
                switch (m.Groups[1].Value.ToLowerInvariant())
                {
                    case "phone-number": return (Kind.Phone, h);
                    case "group": return (Kind.Group, h);
                    default: return (Kind.Location, h);
                }
            }
            return (Kind.Unknown, h);
        }

        private sealed class Problems
        {
            public readonly List<string> Messages = new List<string>();
            public readonly List<string> Columns = new List<string>();
            public void Add(string column, string message) { Columns.Add(column); Messages.Add($"column '{column}': {message}"); }
        }

        /// <summary>Checks one row and decides what it does. Rows are planned in file order (duplicates are the later rows).</summary>
        public UserRowPlan Plan(UserSheetRow row)
        {
            var plan = new UserRowPlan { Row = row.Number, Target = row.WithoutPassword() };
            var p = new Problems();
            string Cell(string name)
            {
                for (int i = 0; i < _columns.Length; i++) if (_columns[i].Kind == Kind.Fixed && _columns[i].Name == name) return row.Cells[i];
                return "";
            }

            // A .NET type name in any cell is what Export-Csv writes for a list: never send it.
            for (int i = 0; i < _columns.Length; i++)
                if (WriteValues.IsTypeName(row.Cells[i]))
                    p.Add(_headers[i], _columns[i].Name == "password" ? "holds a .NET type name, not a value; put the value itself in the cell."
                        : $"'{row.Cells[i]}' is a .NET type name, not a value (a list exported with Export-Csv?); put the value itself in the cell.");

            string userName = Cell("username"), userId = Cell("user_id"), domain = Cell("domain");
            if (domain.Length > 0 && !domain.Equals(_domain, StringComparison.OrdinalIgnoreCase))
                p.Add("domain", $"this row is for project space '{domain}', not '{_domain}'; import it while connected to '{domain}'.");

            CCMobileWorker? current = null;
            if (userId.Length > 0)
            {
                if (!_byId.TryGetValue(userId, out current)) p.Add("user_id", $"there is no mobile worker with id '{userId}' in project space '{_domain}' (leave user_id empty to create a new worker).");
                else if (userName.Length > 0 && !UsersApi.FullUserName(userName, _domain).Equals(current.UserName, StringComparison.OrdinalIgnoreCase))
                    p.Add("username", $"'{userName}' is not the user name of worker '{userId}' ({current.UserName}); user names cannot be changed.");
            }
            else if (userName.Length == 0) p.Add("username", "a username (or the user_id of an existing worker) is required.");
            else
            {
                string? bad = UsersApi.ValidateUserName(userName, _domain);
                if (bad != null) p.Add("username", bad);
                else _byName.TryGetValue(UsersApi.FullUserName(userName, _domain), out current);
            }
            string? full = current?.UserName ?? (userName.Length > 0 && UsersApi.ValidateUserName(userName, _domain) == null ? UsersApi.FullUserName(userName, _domain) : null);
            plan.UserName = full;
            plan.Id = current?.Id;
            if (full != null && !_seen.Add(full)) p.Add(userId.Length > 0 ? "user_id" : "username", $"'{full}' appears in an earlier row too; only the first is imported.");

            var wanted = new CCMobileWorkerSpec();
            string password = Cell("password");
            if (password.Length > 0 && password.Any(c => c != '*')) wanted.Password = Secure(password);
            else if (current == null && full != null) p.Add("password", "a new worker needs a password (\"********\" means \"no change\" and only fits existing workers).");

            string name = Cell("name");
            // HQ leaves the name alone when the cell is empty, and splits it at the first space.
            if (name.Length > 0 && (current == null || Collapse(name) != Collapse(UserBulkFile.FullName(current))))
            {
                var parts = Collapse(name).Split(' ');
                wanted.FirstName = parts[0];
                wanted.LastName = string.Join(" ", parts.Skip(1));
            }
            string email = Cell("email");
            if (email.Length > 0) { if (Email.IsMatch(email)) wanted.Email = email; else p.Add("email", $"'{email}' is not an e-mail address."); }
            if (Cell("language").Length > 0) wanted.Language = Cell("language");
            // An empty role is left as it is: the API cannot remove a role.
            if (Cell("role").Length > 0) wanted.Role = Cell("role");
            bool? active = null;
            string activeText = Cell("is_active");
            if (activeText.Length > 0)
            {
                active = Bool(activeText);
                if (active == null) p.Add("is_active", $"'{activeText}' is not True or False.");
            }

            List<string>? phones = null, groups = null, locations = null;
            Dictionary<string, object?>? data = null;
            for (int i = 0; i < _columns.Length; i++)
            {
                string v = row.Cells[i], header = _headers[i];
                switch (_columns[i].Kind)
                {
                    case Kind.Unsupported: if (v.Length > 0) _ignored.Add(header); break;
                    case Kind.Data:
                        data ??= new Dictionary<string, object?>(StringComparer.Ordinal);
                        data[_columns[i].Name] = v;
                        break;
                    case Kind.Phone:
                        phones ??= new List<string>();
                        if (v.Length == 0 || WriteValues.IsTypeName(v)) break;
                        string? number = PhoneNumbers.Normalize(v);
                        if (number == null) p.Add(header, $"'{v}' is not a phone number (digits, with spaces, dashes or a leading + if you like).");
                        else if (!phones.Contains(number)) phones.Add(number);
                        break;
                    case Kind.Group:
                        groups ??= new List<string>();
                        if (v.Length == 0 || WriteValues.IsTypeName(v)) break;
                        string? gid = GroupId(v, out string? groupProblem);
                        if (gid == null) p.Add(header, groupProblem!);
                        else if (!groups.Contains(gid)) groups.Add(gid);
                        break;
                    case Kind.Location:
                        locations ??= new List<string>();
                        if (v.Length == 0 || WriteValues.IsTypeName(v)) break;
                        string? lid = LocationId(v, out string? locationProblem);
                        if (lid == null) p.Add(header, locationProblem!);
                        else if (!locations.Contains(lid)) locations.Add(lid);
                        break;
                }
            }
            wanted.PhoneNumbers = phones;
            wanted.Groups = groups;
            if (locations != null)
            {
                wanted.Locations = locations;
                // HQ keeps the primary location when it is still listed, else the first one becomes primary.
                wanted.PrimaryLocation = current?.PrimaryLocation != null && locations.Contains(current.PrimaryLocation) ? current.PrimaryLocation : locations.FirstOrDefault();
            }
            if (data != null && current != null)
            {
                // A value that reads back as the cell's text is no change (numbers, JSON lists).
                foreach (var k in data.Keys.ToList())
                    if (current.UserData.TryGetValue(k, out var now) && UserBulkFile.ValueText(now) == (string?)data[k]) data.Remove(k);
            }
            else if (data != null) foreach (var k in data.Where(kv => (string?)kv.Value == "").Select(kv => kv.Key).ToList()) data.Remove(k);
            wanted.UserData = data?.Count > 0 ? data : null;

            if (p.Messages.Count > 0)
            {
                plan.Action = UserRowAction.Failed;
                plan.Columns = p.Columns.Distinct().ToList();
                plan.Error = $"Row {row.Number}{(full != null ? " (" + full + ")" : "")}: " + string.Join("; ", p.Messages.Select(m => m.TrimEnd('.'))) + ". Nothing was sent for this row.";
                return plan;
            }
            if (current == null)
            {
                wanted.UserName = userName;
                plan.Action = UserRowAction.Create;
                plan.Spec = wanted;
                if (active == false) plan.SetActive = false;
                return plan;
            }
            var (changes, fields) = UserChanges.Diff(current, wanted);
            var list = fields.ToList();
            if (active != null && active != current.IsActive) { plan.SetActive = active; list.Add(active.Value ? "Activate" : "Deactivate"); }
            plan.Spec = changes;
            plan.Changes = list;
            plan.Action = list.Count == 0 ? UserRowAction.Unchanged : UserRowAction.Update;
            return plan;
        }

        /// <summary>
        /// The fields of a create that the server did not apply. HQ ignores a create's field errors (an unknown
        /// role, a location that cannot have users) and makes the worker without them, so a create that sets
        /// these is read back and compared. Empty when everything was applied.
        /// </summary>
        public static IReadOnlyList<string> NotApplied(CCMobileWorker created, CCMobileWorkerSpec spec)
        {
            var wanted = new CCMobileWorkerSpec
            {
                FirstName = spec.FirstName, LastName = spec.LastName, Email = spec.Email, Language = spec.Language, Role = spec.Role,
                PhoneNumbers = spec.PhoneNumbers, Groups = spec.Groups, Locations = spec.Locations, PrimaryLocation = spec.PrimaryLocation, UserData = spec.UserData,
            };
            return UserChanges.Diff(created, wanted).Fields;
        }

        /// <summary>Whether a create sets fields whose errors the server ignores on create (see NotApplied).</summary>
        public static bool NeedsReadBack(CCMobileWorkerSpec spec) => spec.Role != null || spec.Locations?.Count > 0;

        private string? GroupId(string name, out string? problem)
        {
            problem = null;
            var exact = _groups.Where(g => string.Equals(g.Name, name, StringComparison.Ordinal)).ToList();
            if (exact.Count == 0) exact = _groups.Where(g => string.Equals(g.Name, name, StringComparison.OrdinalIgnoreCase)).ToList();
            if (exact.Count == 1) return exact[0].Id;
            problem = exact.Count == 0
                ? $"there is no group named '{name}' in project space '{_domain}' (create it with New-CCGroup, or fix the name)."
                : $"{exact.Count} groups are named '{name}' (ids {string.Join(", ", exact.Select(g => g.Id))}); rename one so the name says which.";
            return null;
        }

        private string? LocationId(string code, out string? problem)
        {
            problem = null;
            // HQ matches site codes without regard to case.
            var found = _locations.Where(l => string.Equals(l.SiteCode, code, StringComparison.OrdinalIgnoreCase)).ToList();
            if (found.Count == 1) return found[0].Id;
            problem = found.Count == 0
                ? $"there is no location with site code '{code}' in project space '{_domain}' (location_code takes site codes; see Get-CCLocation)."
                : $"{found.Count} locations have site code '{code}'.";
            return null;
        }

        private static string Collapse(string s) => Regex.Replace(s.Trim(), @"\s+", " ");

        /// <summary>The spellings HQ's string_to_boolean takes.</summary>
        private static bool? Bool(string s)
        {
            switch (s.Trim().ToLowerInvariant())
            {
                case "true": case "t": case "yes": case "y": case "1": return true;
                case "false": case "f": case "no": case "n": case "0": return false;
                default: return null;
            }
        }

        private static SecureString Secure(string s)
        {
            var secure = new SecureString();
            foreach (char c in s) secure.AppendChar(c);
            secure.MakeReadOnly();
            return secure;
        }
    }
}
