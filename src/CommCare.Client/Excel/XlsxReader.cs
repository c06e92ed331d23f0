using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;

namespace CommCare.Client.Excel
{
    /// <summary>One worksheet's rows as cell texts: Number is the sheet's row number (1 = the header row).</summary>
    public sealed class XlsxSheetRows
    {
        public string Name { get; internal set; } = "";
        public List<(int Number, string?[] Cells)> Rows { get; } = new List<(int, string?[])>();

        /// <summary>The header row's texts, trimmed (empty when the sheet has no rows).</summary>
        public string?[] Headers => Rows.Count > 0 ? Rows[0].Cells.Select(h => h?.Trim()).ToArray() : new string?[0];
    }

    /// <summary>
    /// Reads what the client must check in a workbook before uploading it (headers, a column's values): cell texts
    /// only, no styles (a date is its serial number). Rows stream through the SDK's reader.
    /// </summary>
    public static class XlsxReader
    {
        /// <summary>Every sheet in workbook order with at most maxRows rows each; null when the bytes are not an .xlsx workbook.</summary>
        public static IReadOnlyList<XlsxSheetRows>? TryRead(byte[] workbook, int maxRows = int.MaxValue)
        {
            try
            {
                using var doc = SpreadsheetDocument.Open(new MemoryStream(workbook, false), false);
                var wb = doc.WorkbookPart;
                if (wb?.Workbook?.Sheets == null) return null;
                var shared = new List<string>();
                if (wb.SharedStringTablePart?.SharedStringTable is SharedStringTable sst)
                    foreach (var item in sst.Elements<SharedStringItem>()) shared.Add(Text(item));
                var sheets = new List<XlsxSheetRows>();
                foreach (var sheet in wb.Workbook.Sheets.Elements<Sheet>())
                {
                    var result = new XlsxSheetRows { Name = sheet.Name?.Value ?? "" };
                    sheets.Add(result);
                    if (sheet.Id?.Value == null || !(wb.GetPartById(sheet.Id.Value) is WorksheetPart part)) continue;
                    using var reader = OpenXmlReader.Create(part);
                    int lastRow = 0;
                    while (result.Rows.Count < maxRows && reader.Read())
                    {
                        if (reader.ElementType != typeof(Row) || !reader.IsStartElement) continue;
                        var row = (Row)reader.LoadCurrentElement()!;
                        int number = row.RowIndex?.Value is uint ri ? (int)ri : lastRow + 1;
                        lastRow = number;
                        var cells = new List<string?>();
                        int col = -1;
                        foreach (var c in row.Elements<Cell>())
                        {
                            col = c.CellReference?.Value is string r ? Column(r) : col + 1;
                            while (cells.Count <= col) cells.Add(null);
                            cells[col] = Value(c, shared);
                        }
                        if (cells.Any(v => !string.IsNullOrEmpty(v))) result.Rows.Add((number, cells.ToArray()));
                    }
                }
                return sheets;
            }
            catch (Exception ex) when (ex is OpenXmlPackageException || ex is InvalidDataException || ex is IOException || ex is FormatException || ex is System.Xml.XmlException)
            {
                return null;
            }
        }

        /// <summary>A cell as text, as CommCare HQ's own reader makes it: booleans as True/False (Python's str), whole
        /// numbers without ".0" (a phone number typed as a number), ECMA-376 escapes (_x000D_) turned back into characters.</summary>
        private static string? Value(Cell c, List<string> shared)
        {
            var type = c.DataType?.Value;
            string? text;
            if (type == CellValues.InlineString) text = c.InlineString == null ? null : Text(c.InlineString);
            else
            {
                string? v = c.CellValue?.Text;
                if (type == CellValues.SharedString) text = int.TryParse(v, out int i) && i >= 0 && i < shared.Count ? shared[i] : null;
                else if (type == CellValues.Boolean) text = v == "1" ? "True" : v == "0" ? "False" : v;
                else if (type == CellValues.String || type == CellValues.Error || v == null) text = v;
                else text = decimal.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
                    ? (d == decimal.Truncate(d) ? decimal.Truncate(d).ToString(CultureInfo.InvariantCulture) : d.ToString(CultureInfo.InvariantCulture)) : v;
            }
            return text == null || text.IndexOf("_x", StringComparison.Ordinal) < 0 ? text
                : Escape.Replace(text, m => ((char)int.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture)).ToString());
        }

        private static readonly Regex Escape = new Regex("_x([0-9A-Fa-f]{4})_", RegexOptions.CultureInvariant);

        // The text runs of a string item, without phonetic (ruby) runs.
        private static string Text(OpenXmlElement item)
            => string.Concat(item.Descendants<Text>().Where(t => !(t.Parent is PhoneticRun)).Select(t => t.Text));

        private static int Column(string reference)
        {
            int n = 0;
            foreach (char ch in reference)
            {
                if (ch < 'A' || ch > 'Z') break;
                n = n * 26 + (ch - 'A' + 1);
            }
            return Math.Max(0, n - 1);
        }
    }
}
