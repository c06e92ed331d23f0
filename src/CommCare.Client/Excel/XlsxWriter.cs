using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;

namespace CommCare.Client.Excel
{
    /// <summary>
    /// Writes one worksheet row by row with the Open XML SDK's streaming writer: rows go straight to the
    /// package stream, so memory does not grow with the row count (given a write-only stream, which the
    /// package then writes in create mode). Text uses inline strings, so no shared-string table is built up.
    /// </summary>
    public sealed class XlsxWriter : IDisposable
    {
        private readonly SpreadsheetDocument _doc;
        private readonly OpenXmlWriter _writer;
        private readonly string _sheetName;
        private readonly WorksheetPart _sheetPart;
        private int _row;
        private bool _done;

        public XlsxWriter(Stream output, string sheetName)
        {
            if (string.IsNullOrWhiteSpace(sheetName) || sheetName.Length > 31 || sheetName.IndexOfAny(new[] { ':', '\\', '/', '?', '*', '[', ']' }) >= 0)
                throw new ArgumentException($"'{sheetName}' cannot name an Excel sheet (1 to 31 characters, none of : \\ / ? * [ ]).", nameof(sheetName));
            _sheetName = sheetName;
            _doc = SpreadsheetDocument.Create(output, SpreadsheetDocumentType.Workbook);
            _doc.AddWorkbookPart();
            _sheetPart = _doc.WorkbookPart!.AddNewPart<WorksheetPart>();
            _writer = OpenXmlWriter.Create(_sheetPart);
            _writer.WriteStartElement(new Worksheet());
            _writer.WriteStartElement(new SheetData());
        }

        public int RowsWritten => _row;

        /// <summary>Appends a row. Strings (and anything else) become text; numbers stay numbers; null is an empty cell.</summary>
        public void WriteRow(IReadOnlyList<object?> cells)
        {
            _row++;
            _writer.WriteStartElement(new Row { RowIndex = (uint)_row });
            for (int i = 0; i < cells.Count; i++)
            {
                object? v = cells[i];
                if (v == null) continue;
                string reference = Column(i) + _row.ToString(CultureInfo.InvariantCulture);
                switch (v)
                {
                    case int _: case long _: case double _: case decimal _: case float _: case short _:
                        _writer.WriteElement(new Cell { CellReference = reference, DataType = CellValues.Number, CellValue = new CellValue(Convert.ToString(v, CultureInfo.InvariantCulture)!) });
                        break;
                    default:
                        string text = v is DateTime dt ? dt.ToString(dt.TimeOfDay == TimeSpan.Zero ? "yyyy-MM-dd" : "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)
                            : Convert.ToString(v, CultureInfo.InvariantCulture) ?? "";
                        if (text.Length == 0) continue;
                        var cell = new Cell { CellReference = reference, DataType = CellValues.InlineString };
                        _writer.WriteStartElement(cell);
                        _writer.WriteStartElement(new InlineString());
                        _writer.WriteElement(new Text(Clean(text)) { Space = SpaceProcessingModeValues.Preserve });
                        _writer.WriteEndElement();
                        _writer.WriteEndElement();
                        break;
                }
            }
            _writer.WriteEndElement();
        }

        /// <summary>Characters XML cannot hold are dropped (Excel cannot store them either).</summary>
        private static string Clean(string s)
        {
            for (int i = 0; i < s.Length; i++)
            {
                char c = s[i];
                if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == '\uFFFE' || c == '\uFFFF')
                {
                    var sb = new System.Text.StringBuilder(s.Length);
                    foreach (char d in s) if (!((d < 0x20 && d != '\t' && d != '\n' && d != '\r') || d == '\uFFFE' || d == '\uFFFF')) sb.Append(d);
                    return sb.ToString();
                }
            }
            return s;
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
            _writer.WriteEndElement(); // SheetData
            _writer.WriteEndElement(); // Worksheet
            _writer.Close();
            var wb = new Workbook();
            var sheets = wb.AppendChild(new Sheets());
            sheets.Append(new Sheet { Id = _doc.WorkbookPart!.GetIdOfPart(_sheetPart), SheetId = 1, Name = _sheetName });
            _doc.WorkbookPart.Workbook = wb;
            _doc.Dispose();
        }
    }
}
