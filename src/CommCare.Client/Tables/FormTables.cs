using CommCare.Models;
using System;
using System.Collections.Generic;
using System.Text;
using System.Text.Json;
using System.Buffers;

namespace CommCare.Client.Tables
{
    /// <summary>
    /// Forms as HQ's form export lays them out (docs/flat-tables.md): one main table per form type with
    /// "number", "formid", every question of every build as "form.group.question" in the app's order, then HQ's
    /// system columns; one child table per repeat group ("number" = the form's number, a dot, the entry's
    /// index; "formid" = the form's id). Answers no build lists get their own columns after those.
    /// </summary>
    public sealed class FormTables
    {
        // HQ's labels for the form metadata it exports (corehq/apps/export/system_properties.py,
        // MAIN_FORM_TABLE_PROPERTIES), plus "archived" from the Form API for exports kept up to date.
        internal const string Number = "number", FormId = "formid";
        private static readonly (string Name, ColumnKind Kind)[] SystemColumns =
        {
            ("completed_time", ColumnKind.Timestamp), ("started_time", ColumnKind.Timestamp), ("username", ColumnKind.Text),
            ("userID", ColumnKind.Text), ("received_on", ColumnKind.Timestamp), ("edited_on", ColumnKind.Timestamp),
            ("app_id", ColumnKind.Text), ("build_id", ColumnKind.Text), ("@version", ColumnKind.Text), ("archived", ColumnKind.Boolean),
        };
        // Body keys HQ exports as the system columns above (or not at all).
        private static readonly HashSet<string> TopSkip = new HashSet<string>(StringComparer.Ordinal) { "#type", "@name", "@uiVersion", "@version", "@xmlns", "meta" };

        private readonly Dictionary<string, Layout> _byXmlns = new Dictionary<string, Layout>(StringComparer.Ordinal);
        private readonly List<TableDef> _mains = new List<TableDef>();
        private readonly HashSet<string> _names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        // Column names by (prefix, key): a form's answers reuse the same few hundred strings.
        private readonly Dictionary<(string, string), string> _paths = new Dictionary<(string, string), string>();

        private sealed class Layout
        {
            public Layout(TableDef main) { Main = main; }
            public TableDef Main;
            public readonly Dictionary<string, TableDef> Repeats = new Dictionary<string, TableDef>(StringComparer.Ordinal);
            public int[] SystemIndex = Array.Empty<int>();
        }

        /// <summary>The main tables, in the order their form types were first met (the structure's order first).</summary>
        public IReadOnlyList<TableDef> Tables => _mains;

        /// <summary>
        /// Tables for the form types of these applications: working copies first (their question order wins),
        /// then builds, whose questions the working copy lacks are added after the others.
        /// Only the form types in <paramref name="onlyXmlns"/> when given.
        /// </summary>
        public static FormTables FromApplications(IEnumerable<CCApplication> apps, ICollection<string>? onlyXmlns = null)
        {
            var t = new FormTables();
            t.AddApplications(apps, onlyXmlns);
            return t;
        }

        /// <summary>Adds the form types of more applications (or builds); questions new to a table that already
        /// has rows go after its other columns.</summary>
        public void AddApplications(IEnumerable<CCApplication> apps, ICollection<string>? onlyXmlns = null)
        {
            foreach (var app in apps)
                foreach (var m in app.Modules)
                    foreach (var f in m.Forms)
                    {
                        if (string.IsNullOrEmpty(f.Xmlns) || (onlyXmlns != null && !onlyXmlns.Contains(f.Xmlns!))) continue;
                        AddStructure(f.Xmlns!, f.DisplayName, f.Questions);
                    }
        }

        private Layout LayoutFor(string xmlns, string? name)
        {
            if (_byXmlns.TryGetValue(xmlns, out var l)) return l;
            var main = new TableDef(UniqueName(name, xmlns), null, "", FormId) { Source = xmlns };
            main.Column(Number, ColumnKind.Integer);
            main.Column(FormId);
            l = new Layout(main);
            _byXmlns[xmlns] = l;
            _mains.Add(main);
            return l;
        }

        private string UniqueName(string? name, string xmlns)
        {
            string baseName = string.IsNullOrWhiteSpace(name) ? TailOf(xmlns) : name!.Trim();
            string n = baseName;
            for (int i = 2; !_names.Add(n); i++) n = baseName + " (" + i + ")";
            return n;
        }

        private static string TailOf(string xmlns)
        {
            string s = xmlns.TrimEnd('/');
            int slash = s.LastIndexOf('/');
            return slash >= 0 && slash < s.Length - 1 ? s.Substring(slash + 1) : s;
        }

        private void AddStructure(string xmlns, string? name, IReadOnlyList<CCAppQuestion> questions)
        {
            var l = LayoutFor(xmlns, name);
            foreach (var q in questions)
            {
                if (string.IsNullOrEmpty(q.Value) || IsLabel(q)) continue;
                string path = PathOf(q.Value!);
                if (IsRepeat(q)) { RepeatTable(l, path, q.Repeat); continue; }
                if (IsGroup(q)) continue;
                var table = string.IsNullOrEmpty(q.Repeat) ? l.Main : RepeatTable(l, PathOf(q.Repeat!), null);
                if (l.SystemIndex.Length > 0 && table == l.Main && table.IndexOf(path) < 0)
                    table.Column(path, ColumnKind.Text, discovered: true);   // met after the first form: after the system columns
                else table.Column(path);
            }
        }

        private static bool IsLabel(CCAppQuestion q) => string.Equals(q.Type, "Trigger", StringComparison.OrdinalIgnoreCase);
        private static bool IsRepeat(CCAppQuestion q) => string.Equals(q.Type, "Repeat", StringComparison.OrdinalIgnoreCase) || string.Equals(q.Tag, "repeat", StringComparison.OrdinalIgnoreCase);
        private static bool IsGroup(CCAppQuestion q)
            => string.Equals(q.Type, "Group", StringComparison.OrdinalIgnoreCase) || string.Equals(q.Type, "FieldList", StringComparison.OrdinalIgnoreCase)
               || (q.AdditionalFields != null && q.AdditionalFields.TryGetValue("is_group", out var g) && g is bool b && b);

        /// <summary>"/data/group/question" → "form.group.question" (HQ's readable path).</summary>
        internal static string PathOf(string xpath)
        {
            string s = xpath.Trim().TrimStart('/');
            int slash = s.IndexOf('/');
            s = slash >= 0 ? s.Substring(slash + 1) : "";
            return s.Length == 0 ? "form" : "form." + s.Replace('/', '.');
        }

        private TableDef RepeatTable(Layout l, string path, string? parentRepeatXPath)
        {
            if (l.Repeats.TryGetValue(path, out var t)) return t;
            // The innermost enclosing repeat: the structure's own "repeat" key, else the longest known prefix.
            TableDef parent = l.Main;
            if (!string.IsNullOrEmpty(parentRepeatXPath) && PathOf(parentRepeatXPath!) != path) parent = RepeatTable(l, PathOf(parentRepeatXPath!), null);
            else
                foreach (var kv in l.Repeats)
                    if (path.StartsWith(kv.Key + ".", StringComparison.Ordinal) && kv.Key.Length > (parent == l.Main ? 0 : parent.Path.Length)) parent = kv.Value;
            t = new TableDef(l.Main.Name + path.Substring(4), parent, path, FormId) { Source = l.Main.Source };
            t.Column(Number);
            t.Column(FormId);
            l.Repeats[path] = t;
            return t;
        }

        private static void EnsureSystem(Layout l)
        {
            if (l.SystemIndex.Length > 0) return;
            var idx = new int[SystemColumns.Length];
            for (int i = 0; i < SystemColumns.Length; i++) idx[i] = l.Main.Column(SystemColumns[i].Name, SystemColumns[i].Kind);
            l.SystemIndex = idx;
        }

        /// <summary>Fixes every table's structure columns (call before the first row is written).</summary>
        public void Seal() { foreach (var l in _byXmlns.Values) EnsureSystem(l); }

        /// <summary>The form's rows; a form type not in the structure gets a table of its own.</summary>
        public TableRecord Flatten(CCForm form)
        {
            var l = LayoutFor(form.Xmlns ?? "", form.Name);
            EnsureSystem(l);
            var main = l.Main;
            var row = new TableRow(main, main.RowCount.ToString(System.Globalization.CultureInfo.InvariantCulture));
            row.Set(0, main.RowCount);
            main.RowCount++;
            row.Set(0, long.Parse(row.Number, System.Globalization.CultureInfo.InvariantCulture));
            row.Set(1, form.Id);
            var s = l.SystemIndex;
            row.Set(s[0], form.Metadata.TimeEnd);
            row.Set(s[1], form.Metadata.TimeStart);
            row.Set(s[2], form.Metadata.UserName);
            row.Set(s[3], form.Metadata.UserId);
            row.Set(s[4], form.ReceivedOn);
            row.Set(s[5], form.EditedOn);
            row.Set(s[6], form.AppId);
            row.Set(s[7], form.BuildId);
            row.Set(s[8], form.Version);
            row.Set(s[9], form.Archived);
            var rec = new TableRecord(form.Id, form.IndexedOn, row);
            byte[] body = BodyBytes(form);
            var r = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 256 });
            if (r.Read() && r.TokenType == JsonTokenType.StartObject) Walk(ref r, "form", row, rec, l, top: true);
            return rec;
        }

        private static byte[] BodyBytes(CCForm form)
        {
            if (form.Form is LazyDictionary lazy && lazy.Raw is byte[] raw) return raw;
            return JsonSerializer.SerializeToUtf8Bytes(form.Form, typeof(IDictionary<string, object?>));
        }

        private string PathOf(string prefix, string key)
        {
            if (_paths.TryGetValue((prefix, key), out var p)) return p;
            p = prefix + "." + key;
            if (_paths.Count < 100_000) _paths[(prefix, key)] = p;
            return p;
        }

        private void Walk(ref Utf8JsonReader r, string prefix, TableRow row, TableRecord rec, Layout l, bool top)
        {
            while (r.Read() && r.TokenType != JsonTokenType.EndObject)
            {
                string key = r.GetString()!;
                r.Read();
                if (top && TopSkip.Contains(key)) { r.Skip(); continue; }
                // An element with attributes: its text is the question's answer.
                string path = key == "#text" ? prefix : PathOf(prefix, key);
                switch (r.TokenType)
                {
                    case JsonTokenType.StartObject:
                        if (l.Repeats.TryGetValue(path, out var rt)) Entry(ref r, rt, row, 0, rec, l);
                        else Walk(ref r, path, row, rec, l, top: false);
                        break;
                    case JsonTokenType.StartArray:
                        ArrayValue(ref r, path, row, rec, l);
                        break;
                    default:
                        Put(row, path, Scalar(ref r));
                        break;
                }
            }
        }

        // A repeat with several entries is an array; one entry comes as an object (docs/commcare-api.md).
        // An array of objects the structure does not know as a repeat is still one: it gets a table.
        private void ArrayValue(ref Utf8JsonReader r, string path, TableRow row, TableRecord rec, Layout l)
        {
            int i = 0;
            StringBuilder? scalars = null;
            while (r.Read() && r.TokenType != JsonTokenType.EndArray)
            {
                if (r.TokenType == JsonTokenType.StartObject)
                {
                    if (!l.Repeats.TryGetValue(path, out var rt)) rt = RepeatTable(l, path, null);
                    Entry(ref r, rt, row, i++, rec, l);
                }
                else if (r.TokenType == JsonTokenType.StartArray) r.Skip();
                else
                {
                    string? v = Scalar(ref r);
                    if (v != null) (scalars ??= new StringBuilder()).Append(scalars.Length > 0 ? " " : "").Append(v);
                }
            }
            if (scalars != null) Put(row, path, scalars.ToString());
        }

        private void Entry(ref Utf8JsonReader r, TableDef table, TableRow parent, int index, TableRecord rec, Layout l)
        {
            var row = new TableRow(table, parent.Number + "." + index.ToString(System.Globalization.CultureInfo.InvariantCulture));
            row.Set(0, row.Number);
            row.Set(1, rec.Id);
            rec.Children.Add(row);
            table.RowCount++;
            Walk(ref r, table.Path, row, rec, l, top: false);
        }

        private static void Put(TableRow row, string path, string? value)
        {
            int c = row.Table.IndexOf(path);
            if (c < 0) c = row.Table.Column(path, ColumnKind.Text, discovered: true);
            row.Set(c, value);
        }

        private static string? Scalar(ref Utf8JsonReader r)
        {
            switch (r.TokenType)
            {
                case JsonTokenType.String: return r.GetString();
                case JsonTokenType.Number: return Encoding.UTF8.GetString(r.HasValueSequence ? r.ValueSequence.ToArray() : r.ValueSpan.ToArray());
                case JsonTokenType.True: return "true";
                case JsonTokenType.False: return "false";
                default: return null;
            }
        }
    }
}
