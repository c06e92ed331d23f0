using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using CommCare.Client.Excel;
using CommCare.Models;

namespace CommCare.Client.Api
{
    /// <summary>
    /// CommCare HQ's mobile-worker bulk file: what "Download Mobile Workers" writes and the bulk user upload
    /// reads (docs/user-bulk-upload.md). Facts from dimagi/commcare-hq:
    /// corehq/apps/users/bulk_download.py (parse_mobile_users: column order; make_mobile_user_dict: values;
    /// parse_groups: the "groups" sheet; dump_users_and_groups: sheets "users" then "groups"),
    /// corehq/util/workbook_json/excel.py (json_to_headers / alphanumeric_sort_key: "data: KEY", "group N"
    /// and natural order; IteratorJSONReader: "a: b" is a dictionary entry, "a N" a list item),
    /// corehq/apps/user_importer/importer.py (allowed_headers, check_headers, by user_id else a new user;
    /// an empty location_code or phone-number list clears it) and validation.py (is_password: "********"
    /// is no password; one of username/user_id; new users need a password),
    /// corehq/apps/users/views/mobile/users.py (the upload reads sheet "users", else the first sheet).
    /// </summary>
    public static class UserBulkFile
    {
        public const string UsersSheet = "users";
        public const string GroupsSheet = "groups";

        /// <summary>The fixed columns, in HQ's order; then phone-number N, data: KEY, group N, location_code N.</summary>
        public static readonly IReadOnlyList<string> FixedColumns = new[]
        {
            "username", "password", "name", "email", "language", "role", "user_id", "is_active",
            "User IMEIs (read only)", "registered_on (read only)", "last_submission (read only)", "last_sync (read only)",
        };

        /// <summary>HQ writes this for every password; the upload takes a value of only asterisks as "no password".</summary>
        public const string PasswordMask = "********";

        // ---- reading ----------------------------------------------------------------------------------

        /// <summary>The users sheet of a .xlsx (sheet "users", else the first) or a .csv file.</summary>
        public static UserSheet Read(string path)
        {
            switch (Path.GetExtension(path).ToLowerInvariant())
            {
                case ".csv": return ReadCsv(path);
                case ".xlsx": return ReadXlsx(path);
                default: throw new CCApiException(CCErrorKind.InvalidArgument, $"-Path: '{path}' must end in .xlsx or .csv.");
            }
        }

        private static UserSheet ReadCsv(string path)
        {
            string text;
            using (var reader = new StreamReader(path, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true)) text = reader.ReadToEnd();
            // Cells guarded against formulas when written (TableFile.Cell) read back as their values.
            return FromRecords(Csv.Parse(text).Select(r => (r.Number, r.Cells.Select(CommCare.Client.Tables.CsvText.Unescape).ToList())), null);
        }

        private static UserSheet ReadXlsx(string path)
        {
            var sheets = XlsxReader.TryRead(File.ReadAllBytes(path))
                ?? throw new CCApiException(CCErrorKind.InvalidArgument, $"-Path: '{path}' is not an Excel workbook (.xlsx).");
            // HQ's upload reads the "users" sheet, else the first one.
            var sheet = sheets.FirstOrDefault(s => s.Name == UsersSheet) ?? sheets.FirstOrDefault()
                ?? throw new CCApiException(CCErrorKind.InvalidArgument, $"-Path: '{path}' has no worksheets.");
            return FromRecords(sheet.Rows.Select(r => (r.Number, r.Cells.Select(c => c ?? "").ToList())), sheet.Name);
        }

        private static UserSheet FromRecords(IEnumerable<(int Number, List<string> Cells)> records, string? sheetName)
        {
            List<string>? headers = null;
            var rows = new List<UserSheetRow>();
            foreach (var (number, cells) in records)
            {
                if (headers == null)
                {
                    headers = cells.Select(c => c.Trim()).ToList();
                    while (headers.Count > 0 && headers[headers.Count - 1].Length == 0) headers.RemoveAt(headers.Count - 1);
                    continue;
                }
                // Blank rows are skipped (HQ's reader stops at the first one; nothing after it is lost here).
                if (cells.All(c => c.Trim().Length == 0)) continue;
                var values = new string[headers.Count];
                for (int i = 0; i < values.Length; i++) values[i] = i < cells.Count ? cells[i].Trim() : "";
                rows.Add(new UserSheetRow(number, headers, values));
            }
            if (headers == null || headers.Count == 0) throw new CCApiException(CCErrorKind.InvalidArgument, "-Path: the file has no header row (the first row names the columns, e.g. username, password, name).");
            return new UserSheet(headers, rows, sheetName);
        }

        // ---- writing ----------------------------------------------------------------------------------

        /// <summary>
        /// Writes the workers in HQ's layout: .xlsx gets sheets "users" and "groups", .csv the users sheet.
        /// Through a temporary file; an existing file is replaced only with <paramref name="overwrite"/>.
        /// Returns the number of workers written.
        /// </summary>
        public static int Write(string path, IEnumerable<CCMobileWorker> workers, IEnumerable<CCGroup> groups, IEnumerable<CCLocation> locations, bool overwrite, bool escapeFormulas = true)
        {
            string ext = Path.GetExtension(path).ToLowerInvariant();
            if (ext != ".xlsx" && ext != ".csv") throw new CCApiException(CCErrorKind.InvalidArgument, $"-Path: '{path}' must end in .xlsx or .csv.");
            var groupList = groups.ToList();
            var (headers, rows) = UserRows(workers, groupList, locations);
            if (ext == ".csv")
            {
                TableFile.WriteAtomically(path, overwrite, s =>
                {
                    using var w = new StreamWriter(s, new UTF8Encoding(false)) { NewLine = "\r\n" };
                    w.WriteLine(string.Join(",", headers.Select(TableFile.Quote)));
                    foreach (var r in rows) w.WriteLine(string.Join(",", r.Select(v => escapeFormulas ? TableFile.Cell(v ?? "") : TableFile.Quote(v ?? ""))));
                });
                return rows.Count;
            }
            var (groupHeaders, groupRows) = GroupRows(groupList);
            TableFile.WriteAtomically(path, overwrite, s =>
            {
                using var w = new XlsxWriter(s, new[] { UsersSheet, GroupsSheet });
                w.WriteRow(headers.ToArray<object?>());
                foreach (var r in rows) w.WriteRow(r);
                w.NextSheet();
                w.WriteRow(groupHeaders.ToArray<object?>());
                foreach (var r in groupRows) w.WriteRow(r);
            });
            return rows.Count;
        }

        /// <summary>The users sheet: headers in HQ's order, and one row of text per worker (sorted by user name).</summary>
        public static (IReadOnlyList<string> Headers, List<string?[]> Rows) UserRows(IEnumerable<CCMobileWorker> workers, IReadOnlyList<CCGroup> groups, IEnumerable<CCLocation> locations)
        {
            var groupNames = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var g in groups) groupNames[g.Id] = g.Name;
            var siteCodes = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var l in locations) if (!string.IsNullOrEmpty(l.SiteCode)) siteCodes[l.Id] = l.SiteCode!;

            var list = workers.OrderBy(w => w.UserName, StringComparer.Ordinal).ToList();
            int phones = 0, groupCount = 0, locationCount = 0;
            var keys = new HashSet<string>(StringComparer.Ordinal);
            var perWorker = new List<(List<string> Phones, List<string> Groups, List<string> Codes)>();
            foreach (var w in list)
            {
                var p = PhoneList(w);
                // HQ lists group names in natural order, and unknown locations are left out.
                var gs = w.Groups.Select(id => groupNames.TryGetValue(id, out var n) ? n : id).OrderBy(n => n, NaturalOrder.Instance).ToList();
                var codes = new List<string>();
                foreach (var id in new[] { w.PrimaryLocation }.Concat(w.Locations))
                    if (id != null && siteCodes.TryGetValue(id, out var code) && !codes.Contains(code)) codes.Add(code);
                perWorker.Add((p, gs, codes));
                phones = Math.Max(phones, p.Count);
                groupCount = Math.Max(groupCount, gs.Count);
                locationCount = Math.Max(locationCount, codes.Count);
                foreach (var k in w.UserData.Keys) if (!IsSystemKey(k)) keys.Add(k);
            }
            var dataKeys = keys.OrderBy(k => k, NaturalOrder.Instance).ToList();
            var headers = new List<string>(FixedColumns);
            for (int i = 1; i <= phones; i++) headers.Add("phone-number " + i.ToString(CultureInfo.InvariantCulture));
            foreach (var k in dataKeys) headers.Add("data: " + k);
            for (int i = 1; i <= groupCount; i++) headers.Add("group " + i.ToString(CultureInfo.InvariantCulture));
            for (int i = 1; i <= locationCount; i++) headers.Add("location_code " + i.ToString(CultureInfo.InvariantCulture));

            var rows = new List<string?[]>(list.Count);
            for (int n = 0; n < list.Count; n++)
            {
                var w = list[n];
                var (p, gs, codes) = perWorker[n];
                var r = new string?[headers.Count];
                r[0] = w.ShortUserName;
                r[1] = PasswordMask;
                r[2] = FullName(w);
                r[3] = w.Email;
                r[4] = w.Language;
                r[5] = w.Role;
                r[6] = w.Id;
                r[7] = w.IsActive == null ? null : w.IsActive.Value ? "True" : "False";
                int c = FixedColumns.Count;
                for (int i = 0; i < phones; i++, c++) r[c] = i < p.Count ? p[i] : null;
                foreach (var k in dataKeys) { w.UserData.TryGetValue(k, out var v); r[c++] = ValueText(v); }
                for (int i = 0; i < groupCount; i++, c++) r[c] = i < gs.Count ? gs[i] : null;
                for (int i = 0; i < locationCount; i++, c++) r[c] = i < codes.Count ? codes[i] : null;
                rows.Add(r);
            }
            return (headers, rows);
        }

        /// <summary>HQ's groups sheet: id, name, case-sharing?, reporting? (yes/no), data: KEY.</summary>
        private static (IReadOnlyList<string> Headers, List<string?[]> Rows) GroupRows(IReadOnlyList<CCGroup> groups)
        {
            var keys = groups.SelectMany(g => g.Metadata.Keys).Distinct(StringComparer.Ordinal).OrderBy(k => k, NaturalOrder.Instance).ToList();
            var headers = new List<string> { "id", "name", "case-sharing?", "reporting?" };
            headers.AddRange(keys.Select(k => "data: " + k));
            var rows = new List<string?[]>();
            foreach (var g in groups.OrderBy(g => g.Name, NaturalOrder.Instance))
            {
                var r = new List<string?> { g.Id, g.Name, g.CaseSharing ? "yes" : "no", g.Reporting ? "yes" : "no" };
                foreach (var k in keys) r.Add(g.Metadata.TryGetValue(k, out var v) ? ValueText(v) : null);
                rows.Add(r.ToArray());
            }
            return (headers, rows);
        }

        /// <summary>The default number first (HQ's "phone-number 1"), then the others.</summary>
        private static List<string> PhoneList(CCMobileWorker w)
        {
            var list = new List<string>();
            if (!string.IsNullOrEmpty(w.DefaultPhoneNumber)) list.Add(w.DefaultPhoneNumber!.TrimStart('+'));
            foreach (var p in w.PhoneNumbers) { var t = p.TrimStart('+'); if (!list.Contains(t)) list.Add(t); }
            return list;
        }

        /// <summary>HQ's full_name: first and last name with one space.</summary>
        internal static string FullName(CCMobileWorker w) => string.Join(" ", new[] { w.FirstName, w.LastName }.Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s!.Trim()));

        /// <summary>Keys HQ keeps for itself in user data (commcare_project, commcare_profile, …): not columns.</summary>
        internal static bool IsSystemKey(string key) => key.StartsWith("commcare_", StringComparison.Ordinal);

        /// <summary>A user-data value as cell text; lists and objects as JSON.</summary>
        internal static string? ValueText(object? v)
        {
            switch (v)
            {
                case null: return null;
                case string s: return s;
                case bool b: return b ? "true" : "false";
                case double d: return d.ToString("R", CultureInfo.InvariantCulture);
                case IFormattable f: return f.ToString(null, CultureInfo.InvariantCulture);
                default: return System.Text.Json.JsonSerializer.Serialize(v);
            }
        }
    }

    /// <summary>One sheet of a bulk file: its column names and data rows.</summary>
    public sealed class UserSheet
    {
        internal UserSheet(IReadOnlyList<string> headers, IReadOnlyList<UserSheetRow> rows, string? sheetName)
        { Headers = headers; Rows = rows; SheetName = sheetName; }
        public IReadOnlyList<string> Headers { get; }
        public IReadOnlyList<UserSheetRow> Rows { get; }
        /// <summary>The worksheet read (null for a CSV).</summary>
        public string? SheetName { get; }
    }

    /// <summary>A data row: its number as the spreadsheet shows it (the header is row 1) and its cells by column.</summary>
    public sealed class UserSheetRow
    {
        internal UserSheetRow(int number, IReadOnlyList<string> headers, IReadOnlyList<string> cells)
        { Number = number; Headers = headers; Cells = cells; }
        public int Number { get; }
        public IReadOnlyList<string> Headers { get; }
        public IReadOnlyList<string> Cells { get; }

        /// <summary>The row without its password, for error reports (never carry a password around).</summary>
        public IReadOnlyList<KeyValuePair<string, string>> WithoutPassword()
        {
            var list = new List<KeyValuePair<string, string>>();
            for (int i = 0; i < Headers.Count; i++)
                if (!string.Equals(Headers[i], "password", StringComparison.OrdinalIgnoreCase) && Headers[i].Length > 0)
                    list.Add(new KeyValuePair<string, string>(Headers[i], Cells[i]));
            return list;
        }
    }

    /// <summary>HQ's alphanumeric_sort_key: runs of digits compare as numbers, the rest as text (ordinal).</summary>
    public sealed class NaturalOrder : IComparer<string>
    {
        public static readonly NaturalOrder Instance = new NaturalOrder();

        public int Compare(string? a, string? b)
        {
            a ??= ""; b ??= "";
            int i = 0, j = 0;
            while (i < a.Length && j < b.Length)
            {
                bool da = char.IsDigit(a[i]) && a[i] < 128, db = char.IsDigit(b[j]) && b[j] < 128;
                int si = i, sj = j;
                if (da && db)
                {
                    while (i < a.Length && a[i] >= '0' && a[i] <= '9') i++;
                    while (j < b.Length && b[j] >= '0' && b[j] <= '9') j++;
                    string x = a.Substring(si, i - si).TrimStart('0'), y = b.Substring(sj, j - sj).TrimStart('0');
                    int c = x.Length != y.Length ? x.Length.CompareTo(y.Length) : string.CompareOrdinal(x, y);
                    if (c != 0) return c;
                }
                else
                {
                    int c = a[i].CompareTo(b[j]);
                    if (c != 0) return c;
                    i++; j++;
                }
            }
            return (a.Length - i).CompareTo(b.Length - j);
        }
    }

    /// <summary>RFC 4180 CSV (see <see cref="CommCare.Client.Tables.CsvRecords"/>).</summary>
    internal static class Csv
    {
        /// <summary>Records with their numbers (1 = the header record).</summary>
        public static List<(int Number, List<string> Cells)> Parse(string text)
        {
            var records = new List<(int, List<string>)>();
            int number = 1;
            foreach (var cells in CommCare.Client.Tables.CsvRecords.Read(new StringReader(text))) records.Add((number++, new List<string>(cells)));
            return records;
        }
    }
}
