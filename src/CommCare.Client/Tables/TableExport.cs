using CommCare.Client.Excel;
using CommCare.Models;
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;

namespace CommCare.Client.Tables
{
    public enum TableFormat { Csv, Xlsx, Json }

    /// <summary>
    /// Writes flattened forms or cases to .csv, .xlsx or .json files (one file, or one per form type in a folder).
    /// Rows wait in spools while the walk runs; at the end every file is written to a temporary name, and only
    /// when all are complete are they moved into place: a failed export leaves the old files as they were.
    /// </summary>
    public sealed class TableExport : IDisposable
    {
        private readonly string _path;
        private readonly bool _folder;
        private readonly bool _overwrite;
        private readonly bool _escape;
        private readonly string _spoolDir;
        private readonly Dictionary<TableDef, TableSpool> _spools = new Dictionary<TableDef, TableSpool>();

        public TableFormat Format { get; }
        /// <summary>Rows from the existing files are kept and the new ones added after them (incremental exports).</summary>
        public bool Append { get; }

        /// <param name="path">A .csv/.xlsx/.json file, or a folder (with <paramref name="format"/>).</param>
        /// <param name="format">The files' format (a folder needs it; a file's extension gives it otherwise).</param>
        /// <param name="overwrite">Existing files may be replaced (-Force).</param>
        /// <param name="append">The existing files' rows are kept and the new ones added (a checkpoint's later run).</param>
        /// <param name="escapeFormulas">CSV cells that a spreadsheet would run as a formula are written as text.</param>
        public TableExport(string path, TableFormat? format, bool overwrite, bool append, bool escapeFormulas)
        {
            var ext = FormatOf(path);
            _folder = ext == null || Directory.Exists(path);
            if (_folder && format == null)
                throw new CCApiException(CCErrorKind.InvalidArgument, $"-Path: '{path}' is a folder (or has no .csv, .xlsx or .json extension): add -Format Csv, Xlsx or Json, or give a file name such as visits.xlsx.");
            if (!_folder && format != null && format != ext)
                throw new CCApiException(CCErrorKind.InvalidArgument, $"-Format {format} does not match -Path '{path}': give a {format.ToString()!.ToLowerInvariant()} file name, or a folder.");
            Format = format ?? ext!.Value;
            _path = Path.GetFullPath(path);
            _overwrite = overwrite;
            Append = append;
            _escape = escapeFormulas;
            string dir = _folder ? _path : Path.GetDirectoryName(_path) ?? ".";
            // A folder named for the files (-Format) is made when missing, as long as its parent is there.
            string parent = _folder ? Path.GetDirectoryName(_path.TrimEnd(Path.DirectorySeparatorChar)) ?? "." : dir;
            if (!Directory.Exists(parent)) throw new CCApiException(CCErrorKind.InvalidArgument, $"-Path: the folder '{parent}' does not exist; create it first.");
            _spoolDir = Directory.Exists(dir) ? dir : parent;
        }

        public static TableFormat? FormatOf(string path)
        {
            switch (Path.GetExtension(path).ToLowerInvariant())
            {
                case ".csv": return TableFormat.Csv;
                case ".xlsx": return TableFormat.Xlsx;
                case ".json": return TableFormat.Json;
                default: return null;
            }
        }

        // ---- planning --------------------------------------------------------------------------------

        private string Ext => Format == TableFormat.Csv ? ".csv" : Format == TableFormat.Xlsx ? ".xlsx" : ".json";

        /// <summary>The file a main table goes to.</summary>
        public string FileOf(TableDef main, IReadOnlyList<TableDef> mains)
        {
            if (_folder) return Path.Combine(_path, SafeName(main.Name) + Ext);
            if (mains.Count == 0 || mains[0] == main) return _path;
            return Path.Combine(Path.GetDirectoryName(_path) ?? ".", Path.GetFileNameWithoutExtension(_path) + "." + SafeName(main.Name) + Ext);
        }

        /// <summary>The file a repeat table goes to (CSV: a file beside its form's; otherwise its form's file).</summary>
        public string FileOf(TableDef table, IReadOnlyList<TableDef> mains, TableDef main)
        {
            string mainFile = FileOf(main, mains);
            if (table == main || Format != TableFormat.Csv) return mainFile;
            return Path.Combine(Path.GetDirectoryName(mainFile) ?? ".", Path.GetFileNameWithoutExtension(mainFile) + "." + SafeName(table.Path.Substring(5)) + ".csv");
        }

        /// <summary>Every file the export writes, for these tables.</summary>
        public IReadOnlyList<string> Files(IReadOnlyList<TableDef> mains)
        {
            var files = new List<string>();
            foreach (var m in mains)
                foreach (var t in m.SelfAndDescendants())
                {
                    string f = FileOf(t, mains, m);
                    if (!files.Contains(f)) files.Add(f);
                }
            return files;
        }

        /// <summary>Refuses before any request what would fail at the end: an existing file without -Force or
        /// an incremental run, and several form types into one CSV file.</summary>
        public void Check(IReadOnlyList<TableDef> mains, string parameter)
        {
            if (!_folder && Format == TableFormat.Csv && mains.Count > 1)
                throw new CCApiException(CCErrorKind.InvalidArgument, $"-Path: {mains.Count} form types ({string.Join(", ", mains.Take(4).Select(m => m.Name))}{(mains.Count > 4 ? ", …" : "")}) cannot share one CSV file: name one with {parameter}, or give a folder with -Format Csv, or an .xlsx file (one sheet each).");
            if (_overwrite || Append) return;
            foreach (var f in Files(mains))
                if (File.Exists(f)) throw new CCApiException(CCErrorKind.InvalidArgument, $"-Path: '{f}' already exists; add -Force to replace it, or -Checkpoint to add what is new to it.");
        }

        private static string SafeName(string name)
        {
            var bad = Path.GetInvalidFileNameChars();
            var sb = new StringBuilder(name.Length);
            foreach (char c in name) sb.Append(Array.IndexOf(bad, c) >= 0 || c == ':' || c == '*' || c == '?' ? '_' : c);
            string s = sb.ToString().Trim().TrimEnd('.');
            return s.Length == 0 ? "_" : s;
        }

        // ---- rows -------------------------------------------------------------------------------------

        private TableSpool Spool(TableDef t)
        {
            if (!_spools.TryGetValue(t, out var s))
                _spools[t] = s = new TableSpool(Path.Combine(_spoolDir, ".cc-export-" + Guid.NewGuid().ToString("N").Substring(0, 12) + ".spool"));
            return s;
        }

        public void Add(TableRecord record)
        {
            var m = record.Main;
            Spool(m.Table).Write(m.Values, m.Table.Columns.Count);
            foreach (var c in record.Children) Spool(c.Table).Write(c.Values, c.Table.Columns.Count);
        }

        /// <summary>With <see cref="Append"/>: reads the rows of the existing files first, so the files written at
        /// the end hold the old rows, then the new ones (columns found in the files are kept).</summary>
        public void LoadExisting(IReadOnlyList<TableDef> mains)
        {
            if (!Append) return;
            foreach (var m in mains)
            {
                string file = FileOf(m, mains);
                if (!File.Exists(file)) continue;
                switch (Format)
                {
                    case TableFormat.Csv:
                        foreach (var t in m.SelfAndDescendants())
                        {
                            string f = FileOf(t, mains, m);
                            if (!File.Exists(f)) continue;
                            using var reader = new StreamReader(f, new UTF8Encoding(false), true);
                            LoadRows(t, CsvRecords.Read(reader).Select(r => r.Select(c => (string?)CsvText.Unescape(c)).ToArray()));
                        }
                        break;
                    case TableFormat.Xlsx:
                        var sheets = XlsxReader.TryRead(File.ReadAllBytes(file))
                            ?? throw new CCApiException(CCErrorKind.InvalidArgument, $"-Path: '{file}' is not an Excel workbook; move it away or add -Force to replace it.");
                        var names = SheetNames(new[] { m });
                        foreach (var t in m.SelfAndDescendants())
                        {
                            var sheet = sheets.FirstOrDefault(s => s.Name == names[t]);
                            if (sheet != null) LoadRows(t, sheet.Rows.Select(r => r.Cells));
                        }
                        break;
                    default:
                        foreach (var line in File.ReadLines(file, Encoding.UTF8))
                        {
                            string l = line.Trim().TrimEnd(',');
                            if (l.Length == 0 || l == "[" || l == "]") continue;
                            using var doc = JsonDocument.Parse(l);
                            LoadJson(m, doc.RootElement);
                        }
                        break;
                }
            }
        }

        private void LoadRows(TableDef t, IEnumerable<string?[]> records)
        {
            int[]? map = null;
            var row = new object?[0];
            foreach (var cells in records)
            {
                if (map == null)
                {
                    map = new int[cells.Length];
                    for (int i = 0; i < cells.Length; i++) map[i] = string.IsNullOrEmpty(cells[i]) ? -1 : t.Column(cells[i]!, ColumnKind.Text, discovered: t.IndexOf(cells[i]!) < 0);
                    continue;
                }
                if (row.Length < t.Columns.Count) row = new object?[t.Columns.Count];
                Array.Clear(row, 0, row.Length);
                bool any = false;
                for (int i = 0; i < cells.Length && i < map.Length; i++)
                    if (map[i] >= 0 && !string.IsNullOrEmpty(cells[i])) { row[map[i]] = Typed(t.Columns[map[i]].Kind, cells[i]!); any = true; }
                if (!any) continue;
                Spool(t).Write(row, t.Columns.Count);
                t.RowCount++;
            }
        }

        // A file's text back to what a walk would have put in the spool, so old and new rows are written alike.
        private static object Typed(ColumnKind kind, string text)
        {
            switch (kind)
            {
                case ColumnKind.Integer: return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long l) ? (object)l : text;
                case ColumnKind.Boolean: return text == "true" ? true : text == "false" ? (object)false : text;
                case ColumnKind.Timestamp: return Json.IsoDate.TryParse(text, out var d) ? (object)d : text;
                default: return text;
            }
        }

        private void LoadJson(TableDef t, JsonElement o)
        {
            if (o.ValueKind != JsonValueKind.Object) return;
            var row = new object?[t.Columns.Count + 8];
            foreach (var p in o.EnumerateObject())
            {
                // Repeat arrays are read after the row (below).
                if (p.Value.ValueKind == JsonValueKind.Array && t.Children.Any(c => c.Path == p.Name)) continue;
                int col = t.IndexOf(p.Name);
                if (col < 0) col = t.Column(p.Name, ColumnKind.Text, discovered: true);
                if (col >= row.Length) Array.Resize(ref row, col + 8);
                row[col] = p.Value.ValueKind switch
                {
                    JsonValueKind.String => p.Value.GetString(),
                    JsonValueKind.Number => p.Value.TryGetInt64(out long l) ? (object)l : p.Value.GetRawText(),
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    JsonValueKind.Null => null,
                    _ => p.Value.GetRawText(),
                };
            }
            Spool(t).Write(row, row.Length);
            t.RowCount++;
            // Repeat rows after their parent row, as a walk writes them.
            foreach (var child in t.Children)
                if (o.TryGetProperty(child.Path, out var arr) && arr.ValueKind == JsonValueKind.Array)
                    foreach (var e in arr.EnumerateArray()) LoadJson(child, e);
        }

        // ---- the files ---------------------------------------------------------------------------------

        /// <summary>Writes every file (to temporary names, then all moved into place); returns the files written.</summary>
        public IReadOnlyList<string> Complete(IReadOnlyList<TableDef> mains, Action<string>? progress = null)
        {
            var written = new List<(string Tmp, string Final)>();
            if (_folder) Directory.CreateDirectory(_path);
            try
            {
                if (!_folder && Format == TableFormat.Json && mains.Count > 1)
                {
                    // One JSON file, several form types: an object with an array per type.
                    written.Add((WriteTemp(_path, s => JsonFile(s, mains, keyed: true)), _path));
                }
                else if (!_folder && Format == TableFormat.Xlsx)
                {
                    written.Add((WriteTemp(_path, s => XlsxFile(s, mains)), _path));
                }
                else
                {
                    foreach (var m in mains)
                    {
                        progress?.Invoke(m.Name);
                        switch (Format)
                        {
                            case TableFormat.Csv:
                                foreach (var t in m.SelfAndDescendants())
                                {
                                    string f = FileOf(t, mains, m);
                                    written.Add((WriteTemp(f, s => CsvFile(s, t)), f));
                                }
                                break;
                            case TableFormat.Xlsx:
                                written.Add((WriteTemp(FileOf(m, mains), s => XlsxFile(s, new[] { m })), FileOf(m, mains)));
                                break;
                            default:
                                written.Add((WriteTemp(FileOf(m, mains), s => JsonFile(s, new[] { m }, keyed: false)), FileOf(m, mains)));
                                break;
                        }
                    }
                }
                foreach (var (tmp, final) in written)
                {
                    if (File.Exists(final)) File.Delete(final);
                    File.Move(tmp, final);
                }
                return written.Select(w => w.Final).ToList();
            }
            finally
            {
                foreach (var (tmp, _) in written) try { if (File.Exists(tmp)) File.Delete(tmp); } catch (IOException) { }
            }
        }

        private static string WriteTemp(string final, Action<Stream> write)
        {
            string tmp = Path.Combine(Path.GetDirectoryName(final) ?? ".", "." + Path.GetFileName(final) + "." + Guid.NewGuid().ToString("N").Substring(0, 8) + ".partial");
            try
            {
                using var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
                write(fs);
            }
            catch
            {
                try { File.Delete(tmp); } catch (IOException) { }
                throw;
            }
            return tmp;
        }

        private IEnumerable<object?[]> Rows(TableDef t)
            => _spools.TryGetValue(t, out var s) ? s.Read(t.Columns.Count) : Enumerable.Empty<object?[]>();

        private static readonly char[] QuoteChars = { ',', '"', '\r', '\n' };

        private void CsvFile(Stream s, TableDef t)
        {
            using var w = new StreamWriter(s, new UTF8Encoding(false), 1 << 16) { NewLine = "\r\n" };
            int n = t.Columns.Count;
            // Headers are HQ's names ("@version"), never formulas: written as they are.
            for (int i = 0; i < n; i++) { if (i > 0) w.Write(','); w.Write(TableFile.Quote(t.Columns[i].Name)); }
            w.Write("\r\n");
            foreach (var row in Rows(t))
            {
                for (int i = 0; i < n; i++)
                {
                    if (i > 0) w.Write(',');
                    var v = row[i];
                    if (v != null) CsvCell(w, Text(v));
                }
                w.Write("\r\n");
            }
        }

        private void CsvCell(TextWriter w, string v)
        {
            if (v.Length == 0) return;
            if (_escape && CsvText.IsFormula(v)) v = "'" + v;
            bool q = v[0] == ' ' || v[v.Length - 1] == ' ' || v.IndexOfAny(QuoteChars) >= 0;
            if (!q) { w.Write(v); return; }
            w.Write('"');
            w.Write(v.Replace("\"", "\"\""));
            w.Write('"');
        }

        /// <summary>The text form of a value (the module's round-trip forms: ISO 8601 UTC, invariant numbers).</summary>
        public static string Text(object v)
        {
            switch (v)
            {
                case string s: return s;
                case DateTime d: return d.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
                case bool b: return b ? "true" : "false";
                case long l: return l.ToString(CultureInfo.InvariantCulture);
                case IFormattable f: return f.ToString(null, CultureInfo.InvariantCulture);
                default: return v.ToString() ?? "";
            }
        }

        private Dictionary<TableDef, string> SheetNames(IEnumerable<TableDef> mains)
        {
            var names = new Dictionary<TableDef, string>();
            var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var m in mains)
                foreach (var t in m.SelfAndDescendants())
                {
                    string n = TableFile.SheetName(t.Name);
                    for (int i = 2; !used.Add(n); i++) { string suffix = "~" + i; n = TableFile.SheetName(n.Substring(0, Math.Min(n.Length, 31 - suffix.Length)) + suffix); }
                    names[t] = n;
                }
            return names;
        }

        private void XlsxFile(Stream s, IReadOnlyList<TableDef> mains)
        {
            var names = SheetNames(mains);
            var tables = mains.SelectMany(m => m.SelfAndDescendants()).ToList();
            using var x = new XlsxWriter(s, tables.Select(t => names[t]).ToList());
            for (int ti = 0; ti < tables.Count; ti++)
            {
                var t = tables[ti];
                if (ti > 0) x.NextSheet();
                x.WriteRow(t.Columns.Select(c => (object?)c.Name).ToArray());
                var cells = new object?[t.Columns.Count];
                foreach (var row in Rows(t))
                {
                    // Dates and booleans as the same text the CSV has (the writer would drop a date's fraction).
                    for (int i = 0; i < cells.Length; i++) cells[i] = row[i] is DateTime || row[i] is bool ? Text(row[i]!) : row[i];
                    x.WriteRow(cells);
                }
            }
        }

        private void JsonFile(Stream s, IReadOnlyList<TableDef> mains, bool keyed)
        {
            // One record per line, so an incremental run can read it back line by line.
            using var sw = new StreamWriter(s, new UTF8Encoding(false), 1 << 16) { NewLine = "\n" };
            var buffer = new MemoryStream();
            var opts = new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
            if (keyed) sw.Write("{\n");
            for (int mi = 0; mi < mains.Count; mi++)
            {
                var m = mains[mi];
                if (keyed) { sw.Write(JsonSerializer.Serialize(m.Name)); sw.Write(":"); }
                sw.Write("[\n");
                var children = m.Children.Select(c => new ChildCursor(this, c)).ToList();
                bool first = true;
                foreach (var row in Rows(m))
                {
                    if (!first) sw.Write(",\n");
                    first = false;
                    buffer.SetLength(0);
                    using (var w = new Utf8JsonWriter(buffer, opts)) WriteObject(w, m, row, children);
                    sw.Write(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
                }
                sw.Write("\n]");
                if (keyed && mi < mains.Count - 1) sw.Write(",");
                sw.Write("\n");
            }
            if (keyed) sw.Write("}\n");
        }

        private static void WriteObject(Utf8JsonWriter w, TableDef t, object?[] row, List<ChildCursor> children)
        {
            w.WriteStartObject();
            for (int i = 0; i < t.Columns.Count; i++)
            {
                w.WritePropertyName(t.Columns[i].Name);
                switch (row[i])
                {
                    case null: w.WriteNullValue(); break;
                    case string str: w.WriteStringValue(str); break;
                    case bool b: w.WriteBooleanValue(b); break;
                    case long l: w.WriteNumberValue(l); break;
                    default: w.WriteStringValue(Text(row[i]!)); break;
                }
            }
            string number = row[0] == null ? "" : Text(row[0]!);
            foreach (var c in children)
            {
                w.WritePropertyName(c.Table.Path);
                w.WriteStartArray();
                foreach (var (childRow, grand) in c.RowsOf(number)) WriteObject(w, c.Table, childRow, grand);
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }

        /// <summary>Walks a repeat table's spool beside its parent's: rows of one parent are consecutive, in parent order.</summary>
        private sealed class ChildCursor
        {
            private readonly IEnumerator<object?[]> _rows;
            private object?[]? _peek;
            private readonly List<ChildCursor> _children;
            public TableDef Table { get; }

            public ChildCursor(TableExport owner, TableDef table)
            {
                Table = table;
                _rows = owner.Rows(table).GetEnumerator();
                _children = table.Children.Select(c => new ChildCursor(owner, c)).ToList();
                Advance();
            }

            private void Advance() => _peek = _rows.MoveNext() ? (object?[])_rows.Current.Clone() : null;

            public IEnumerable<(object?[] Row, List<ChildCursor> Children)> RowsOf(string parentNumber)
            {
                while (_peek != null && ParentOf(_peek[0] as string) == parentNumber)
                {
                    var row = _peek;
                    Advance();
                    yield return (row, _children);
                }
            }

            private static string ParentOf(string? number)
            {
                if (number == null) return "";
                int dot = number.LastIndexOf('.');
                return dot < 0 ? "" : number.Substring(0, dot);
            }
        }

        public void Dispose()
        {
            foreach (var s in _spools.Values) s.Dispose();
            _spools.Clear();
        }
    }

    /// <summary>CSV cell text rules shared by every CSV the module writes and reads.</summary>
    public static class CsvText
    {
        /// <summary>
        /// Whether a spreadsheet would take the cell as a formula (OWASP "CSV injection": a leading =, +, -, @,
        /// tab or carriage return). Numbers such as -5 or +3.2 are left alone: a spreadsheet reads them as numbers.
        /// </summary>
        public static bool IsFormula(string v)
        {
            if (v.Length == 0) return false;
            char c = v[0];
            if (c != '=' && c != '+' && c != '-' && c != '@' && c != '\t' && c != '\r') return false;
            return !((c == '-' || c == '+') && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
        }

        /// <summary>A cell as written with the formula guard, back to the value: "'=x" → "=x".</summary>
        public static string Unescape(string cell)
            => cell.Length > 1 && cell[0] == '\'' && IsFormula(cell.Substring(1)) ? cell.Substring(1) : cell;
    }
}
