using CommCare.Models;
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;

namespace CommCare.Client.Excel
{
    /// <summary>
    /// Streams rows to a .csv, .xlsx or .json file as they arrive, so memory stays flat whatever the row count.
    /// Written to a temporary file beside the target and moved into place at the end: a failed export never
    /// leaves a file that looks complete.
    /// </summary>
    public static class TableFile
    {
        public static string? FormatOf(string path)
        {
            switch (Path.GetExtension(path).ToLowerInvariant())
            {
                case ".csv": return "csv";
                case ".xlsx": return "xlsx";
                case ".json": return "json";
                default: return null;
            }
        }

        /// <summary>Writes the headers, then every row (values by key, in header order); returns the row count.</summary>
        public static long Write(string path, IReadOnlyList<string> headers, IReadOnlyList<string> keys,
            IEnumerable<IReadOnlyDictionary<string, object?>> rows, string sheetName, Action<long>? progress = null, bool escapeFormulas = true)
        {
            string format = FormatOf(path) ?? throw new CCApiException(CCErrorKind.InvalidArgument, $"-Path: '{path}' must end in .csv, .xlsx or .json.");
            long n = 0;
            WriteAtomically(path, overwrite: true, fs =>
            {
                switch (format)
                {
                    case "csv": n = Csv(fs, headers, keys, rows, progress, escapeFormulas); break;
                    case "json": n = Json(fs, headers, keys, rows, progress); break;
                    default: n = Xlsx(fs, headers, keys, rows, sheetName, progress); break;
                }
            });
            return n;
        }

        /// <summary>
        /// Writes through a temporary file beside <paramref name="path"/> and moves it into place only when
        /// <paramref name="write"/> has finished. Without <paramref name="overwrite"/> an existing file is an
        /// IOException (also one that appeared while writing), and the temporary file is removed.
        /// </summary>
        public static void WriteAtomically(string path, bool overwrite, Action<Stream> write)
        {
            string full = Path.GetFullPath(path);
            if (!overwrite && File.Exists(full)) throw new IOException($"'{full}' already exists.");
            string tmp = Path.Combine(Path.GetDirectoryName(full) ?? ".", "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N").Substring(0, 8) + ".partial");
            try
            {
                using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16)) write(fs);
                if (overwrite && File.Exists(full)) File.Delete(full);
                File.Move(tmp, full);
            }
            catch
            {
                try { if (File.Exists(tmp)) File.Delete(tmp); } catch (IOException) { }
                throw;
            }
        }

        private static long Csv(Stream s, IReadOnlyList<string> headers, IReadOnlyList<string> keys, IEnumerable<IReadOnlyDictionary<string, object?>> rows, Action<long>? progress, bool escapeFormulas)
        {
            long n = 0;
            using var w = new StreamWriter(s, new UTF8Encoding(false), 1 << 16) { NewLine = "\r\n" };
            for (int i = 0; i < headers.Count; i++) { if (i > 0) w.Write(','); w.Write(Quote(headers[i])); }
            w.WriteLine();
            foreach (var row in rows)
            {
                for (int i = 0; i < keys.Count; i++)
                {
                    if (i > 0) w.Write(',');
                    row.TryGetValue(keys[i], out var v);
                    w.Write(escapeFormulas ? Cell(Text(v)) : Quote(Text(v)));
                }
                w.WriteLine();
                if ((++n & 1023) == 0) progress?.Invoke(n);
            }
            return n;
        }

        /// <summary>A data cell: guarded against running as a spreadsheet formula (<see cref="CommCare.Client.Tables.CsvText"/>), then quoted.</summary>
        public static string Cell(string v) => Quote(CommCare.Client.Tables.CsvText.IsFormula(v) ? "'" + v : v);

        /// <summary>RFC 4180: quote fields with a comma, quote, line break or edge spaces; double inner quotes.</summary>
        public static string Quote(string v)
        {
            if (v.Length == 0) return v;
            bool q = v[0] == ' ' || v[v.Length - 1] == ' ' || v.IndexOfAny(new[] { ',', '"', '\r', '\n' }) >= 0;
            return q ? "\"" + v.Replace("\"", "\"\"") + "\"" : v;
        }

        private static string Text(object? v)
        {
            switch (v)
            {
                case null: return "";
                case bool b: return b ? "true" : "false";
                case double d: return d.ToString("R", CultureInfo.InvariantCulture);
                default: return Convert.ToString(v, CultureInfo.InvariantCulture) ?? "";
            }
        }

        private static long Json(Stream s, IReadOnlyList<string> headers, IReadOnlyList<string> keys, IEnumerable<IReadOnlyDictionary<string, object?>> rows, Action<long>? progress)
        {
            long n = 0;
            using var w = new Utf8JsonWriter(s, new JsonWriterOptions { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            w.WriteStartArray();
            foreach (var row in rows)
            {
                w.WriteStartObject();
                for (int i = 0; i < keys.Count; i++)
                {
                    row.TryGetValue(keys[i], out var v);
                    w.WritePropertyName(headers[i]);
                    switch (v)
                    {
                        case null: w.WriteNullValue(); break;
                        case string str: w.WriteStringValue(str); break;
                        case bool b: w.WriteBooleanValue(b); break;
                        case long l: w.WriteNumberValue(l); break;
                        case double d: w.WriteNumberValue(d); break;
                        default: w.WriteStringValue(Text(v)); break;
                    }
                }
                w.WriteEndObject();
                if ((++n & 1023) == 0) { w.Flush(); progress?.Invoke(n); }
            }
            w.WriteEndArray();
            return n;
        }

        private static long Xlsx(Stream s, IReadOnlyList<string> headers, IReadOnlyList<string> keys, IEnumerable<IReadOnlyDictionary<string, object?>> rows, string sheetName, Action<long>? progress)
        {
            long n = 0;
            using var w = new XlsxWriter(s, SheetName(sheetName));
            var cells = new object?[keys.Count];
            var head = new object?[headers.Count];
            for (int i = 0; i < headers.Count; i++) head[i] = headers[i];
            w.WriteRow(head);
            foreach (var row in rows)
            {
                for (int i = 0; i < keys.Count; i++) { row.TryGetValue(keys[i], out var v); cells[i] = v is bool b ? (b ? "true" : "false") : v; }
                w.WriteRow(cells);
                if ((++n & 1023) == 0) progress?.Invoke(n);
            }
            return n;
        }

        /// <summary>A title made into a legal sheet name (31 characters, none of : \ / ? * [ ]).</summary>
        public static string SheetName(string? title)
        {
            var sb = new StringBuilder();
            foreach (char c in title ?? "") if (":\\/?*[]".IndexOf(c) < 0 && c >= 0x20) sb.Append(c);
            string s = sb.ToString().Trim().Trim('\'');
            if (s.Length == 0) s = "Sheet1";
            return s.Length > 31 ? s.Substring(0, 31) : s;
        }
    }
}
