using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Packaging;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Spreadsheet;

namespace CommCare.Client.Excel
{
    /// <summary>
    /// Writes worksheets row by row with the Open XML SDK's streaming writer into a package opened in
    /// streaming create mode: every row goes straight to the output, so memory does not grow with the row
    /// count. (The SDK's SpreadsheetDocument keeps a new package in memory until it is saved, so the parts
    /// are made here with the packaging API the SDK itself uses.) Text uses inline strings, so no
    /// shared-string table is built up. Sheets are written one after the other, in the order named.
    /// </summary>
    public sealed class XlsxWriter : IDisposable
    {
        private const string Rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/";
        private readonly Package _package;
        private readonly IReadOnlyList<string> _sheets;
        private int _sheet = -1;
        private Stream? _sheetStream;
        private OpenXmlWriter? _writer;
        private int _row;
        private bool _done;

        /// <summary>Whether Excel accepts this as a sheet name: 1 to 31 characters, none of : \ / ? * [ ].</summary>
        public static bool IsSheetName(string? n)
            => !string.IsNullOrWhiteSpace(n) && n!.Length <= 31 && n.IndexOfAny(new[] { ':', '\\', '/', '?', '*', '[', ']' }) < 0;

        public XlsxWriter(Stream output, string sheetName) : this(output, new[] { sheetName }) { }

        public XlsxWriter(Stream output, IReadOnlyList<string> sheetNames)
        {
            if (sheetNames.Count == 0) throw new ArgumentException("A workbook needs a sheet.", nameof(sheetNames));
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var n in sheetNames)
            {
                if (!IsSheetName(n))
                    throw new ArgumentException($"'{n}' cannot name an Excel sheet (1 to 31 characters, none of : \\ / ? * [ ]).", nameof(sheetNames));
                if (!seen.Add(n)) throw new ArgumentException($"Two sheets are named '{n}'.", nameof(sheetNames));
            }
            _sheets = sheetNames;
            _package = Package.Open(output, FileMode.Create, FileAccess.Write);
            var wbUri = new Uri("/xl/workbook.xml", UriKind.Relative);
            _package.CreateRelationship(wbUri, TargetMode.Internal, Rel + "officeDocument", "rId1");
            var wb = _package.CreatePart(wbUri, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", CompressionOption.Normal)!;
            for (int i = 0; i < sheetNames.Count; i++)
                wb.CreateRelationship(new Uri($"worksheets/sheet{i + 1}.xml", UriKind.Relative), TargetMode.Internal, Rel + "worksheet", "rId" + (i + 1));
            using (var s = wb.GetStream(FileMode.Create, FileAccess.Write))
            using (var w = OpenXmlWriter.Create(s))
            {
                w.WriteStartElement(new Workbook());
                w.WriteStartElement(new Sheets());
                for (int i = 0; i < sheetNames.Count; i++)
                    w.WriteElement(new Sheet { Name = sheetNames[i], SheetId = (uint)(i + 1), Id = "rId" + (i + 1) });
                w.WriteEndElement();
                w.WriteEndElement();
            }
            NextSheet();
        }

        public int RowsWritten => _row;

        /// <summary>Ends the current sheet and starts the next one named in the constructor.</summary>
        public void NextSheet()
        {
            EndSheet();
            if (++_sheet >= _sheets.Count) throw new InvalidOperationException("No more sheets were named.");
            var part = _package.CreatePart(new Uri($"/xl/worksheets/sheet{_sheet + 1}.xml", UriKind.Relative),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml", CompressionOption.Normal)!;
            _sheetStream = part.GetStream(FileMode.Create, FileAccess.Write);
            _writer = OpenXmlWriter.Create(_sheetStream);
            _writer.WriteStartElement(new Worksheet());
            _writer.WriteStartElement(new SheetData());
            _row = 0;
        }

        private void EndSheet()
        {
            if (_writer == null) return;
            _writer.WriteEndElement(); // SheetData
            _writer.WriteEndElement(); // Worksheet
            _writer.Close();
            _sheetStream!.Dispose();
            _writer = null;
            _sheetStream = null;
        }

        /// <summary>Appends a row. Strings (and anything else) become text; numbers stay numbers; null is an empty cell.</summary>
        public void WriteRow(IReadOnlyList<object?> cells)
        {
            var writer = _writer ?? throw new InvalidOperationException("The workbook is finished.");
            _row++;
            writer.WriteStartElement(new Row { RowIndex = (uint)_row });
            for (int i = 0; i < cells.Count; i++)
            {
                object? v = cells[i];
                if (v == null) continue;
                string reference = Column(i) + _row.ToString(CultureInfo.InvariantCulture);
                switch (v)
                {
                    case int _: case long _: case double _: case decimal _: case float _: case short _:
                        writer.WriteElement(new Cell { CellReference = reference, DataType = CellValues.Number, CellValue = new CellValue(Convert.ToString(v, CultureInfo.InvariantCulture)!) });
                        break;
                    default:
                        string text = v is DateTime dt ? dt.ToString(dt.TimeOfDay == TimeSpan.Zero ? "yyyy-MM-dd" : "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)
                            : Convert.ToString(v, CultureInfo.InvariantCulture) ?? "";
                        if (text.Length == 0) continue;
                        writer.WriteStartElement(new Cell { CellReference = reference, DataType = CellValues.InlineString });
                        writer.WriteStartElement(new InlineString());
                        writer.WriteElement(new Text(Clean(text)) { Space = SpaceProcessingModeValues.Preserve });
                        writer.WriteEndElement();
                        writer.WriteEndElement();
                        break;
                }
            }
            writer.WriteEndElement();
        }

        /// <summary>
        /// Text as Excel stores it (ECMA-376 ST_Xstring): characters XML cannot hold, and carriage returns (which
        /// XML readers fold into line feeds), become _xHHHH_; a literal "_xHHHH_" in the text gets its underscore
        /// escaped as _x005F_ so it reads back as itself.
        /// </summary>
        internal static string Clean(string s)
        {
            bool plain = true;
            for (int i = 0; i < s.Length && plain; i++)
            {
                char c = s[i];
                if ((c < 0x20 && c != '\t' && c != '\n') || c == '\uFFFE' || c == '\uFFFF' || (c == '_' && IsEscape(s, i))) plain = false;
            }
            if (plain) return s;
            var sb = new System.Text.StringBuilder(s.Length + 16);
            for (int i = 0; i < s.Length; i++)
            {
                char c = s[i];
                if ((c < 0x20 && c != '\t' && c != '\n') || c == '\uFFFE' || c == '\uFFFF') sb.Append("_x").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture)).Append('_');
                else if (c == '_' && IsEscape(s, i)) sb.Append("_x005F_");
                else sb.Append(c);
            }
            return sb.ToString();
        }

        private static bool IsEscape(string s, int i)
        {
            if (i + 6 >= s.Length || s[i + 1] != 'x' || s[i + 6] != '_') return false;
            for (int k = i + 2; k < i + 6; k++) if (!Uri.IsHexDigit(s[k])) return false;
            return true;
        }

        /// <summary>0 → A, 25 → Z, 26 → AA.</summary>
        internal static string Column(int index)
        {
            string s = "";
            for (int n = index + 1; n > 0; n = (n - 1) / 26) s = (char)('A' + (n - 1) % 26) + s;
            return s;
        }

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            EndSheet();
            // Sheets named but never started are still written, empty, so the workbook matches its list.
            while (_sheet + 1 < _sheets.Count) { NextSheet(); EndSheet(); }
            _package.Close();
        }
    }
}
