using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace CommCare.Emulator;

/// <summary>A sheet row: its 1-based row number and its non-empty cells by 1-based column number.</summary>
public sealed record SheetRow(int Number, SortedDictionary<int, string> Cells);

/// <summary>The spreadsheet cannot be read (not a zip, no sheet, broken XML).</summary>
public sealed class XlsxException(string message) : Exception(message);

/// <summary>
/// A small, independent .xlsx reader (ZipArchive + XML) for the case importer: the first sheet of the workbook, shared
/// strings, inline strings, numbers (as Python/openpyxl would turn them into text: <c>12</c>, <c>12.5</c>, <c>1e-05</c>),
/// booleans (<c>True</c>/<c>False</c>), formula string results and error values. Cell references (<c>C5</c>) are
/// honoured, so rows and columns may have gaps; a cell without a reference follows the previous one. Styles are not
/// read (a date cell is its serial number).
/// </summary>
public static class Xlsx
{
    public static List<SheetRow> ReadFirstSheet(byte[] data)
    {
        try
        {
            using var zip = new ZipArchive(new MemoryStream(data), ZipArchiveMode.Read);
            var workbookPath = OfficeDocumentPath(zip) ?? "xl/workbook.xml";
            var dir = workbookPath.Contains('/') ? workbookPath[..(workbookPath.LastIndexOf('/') + 1)] : "";
            var rels = Relationships(zip, dir + "_rels/" + workbookPath[dir.Length..] + ".rels", dir);
            var workbook = Load(zip, workbookPath) ?? throw new XlsxException("the workbook part is missing");
            var firstSheet = workbook.Descendants().FirstOrDefault(e => e.Name.LocalName == "sheet")
                             ?? throw new XlsxException("the workbook has no sheet");
            var rid = firstSheet.Attributes().FirstOrDefault(a => a.Name.LocalName == "id")?.Value;
            string? sheetPath = null;
            if (rid is not null && rels.TryGetValue(rid, out var target)) sheetPath = target.Path;
            sheetPath ??= dir + "worksheets/sheet1.xml";
            var sharedPath = rels.Values.FirstOrDefault(r => r.Type.EndsWith("/sharedStrings", StringComparison.Ordinal)).Path ?? dir + "sharedStrings.xml";
            var shared = SharedStrings(zip, sharedPath);
            var sheet = Load(zip, sheetPath) ?? throw new XlsxException($"the sheet part '{sheetPath}' is missing");
            return Rows(sheet, shared);
        }
        catch (InvalidDataException e)
        {
            throw new XlsxException("not a zip file: " + e.Message);
        }
        catch (XmlException e)
        {
            throw new XlsxException("broken XML: " + e.Message);
        }
    }

    private static string? OfficeDocumentPath(ZipArchive zip)
    {
        var rels = Load(zip, "_rels/.rels");
        var rel = rels?.Descendants().FirstOrDefault(e => e.Name.LocalName == "Relationship"
            && ((string?)e.Attribute("Type") ?? "").EndsWith("/officeDocument", StringComparison.Ordinal));
        var target = (string?)rel?.Attribute("Target");
        return target is null ? null : target.TrimStart('/');
    }

    private static Dictionary<string, (string Path, string Type)> Relationships(ZipArchive zip, string path, string dir)
    {
        var res = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        var doc = Load(zip, path);
        if (doc is null) return res;
        foreach (var r in doc.Descendants().Where(e => e.Name.LocalName == "Relationship"))
        {
            var id = (string?)r.Attribute("Id");
            var target = (string?)r.Attribute("Target");
            if (id is null || target is null) continue;
            var full = target.StartsWith('/') ? target.TrimStart('/') : Normalise(dir + target);
            res[id] = (full, (string?)r.Attribute("Type") ?? "");
        }
        return res;
    }

    private static string Normalise(string path)
    {
        var parts = new List<string>();
        foreach (var p in path.Split('/'))
        {
            if (p == "..")
            {
                if (parts.Count > 0) parts.RemoveAt(parts.Count - 1);
            }
            else if (p != "." && p.Length > 0)
            {
                parts.Add(p);
            }
        }
        return string.Join('/', parts);
    }

    private static XElement? Load(ZipArchive zip, string path)
    {
        var entry = zip.GetEntry(path) ?? zip.Entries.FirstOrDefault(e => string.Equals(e.FullName, path, StringComparison.OrdinalIgnoreCase));
        if (entry is null) return null;
        using var s = entry.Open();
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
        using var reader = XmlReader.Create(s, settings);
        return XDocument.Load(reader).Root;
    }

    /// <summary>The text of an <c>&lt;si&gt;</c> / <c>&lt;is&gt;</c>: every <c>&lt;t&gt;</c>, phonetic runs excluded.</summary>
    private static string RichText(XElement e)
    {
        var sb = new StringBuilder();
        foreach (var t in e.Descendants().Where(d => d.Name.LocalName == "t"))
        {
            if (t.Ancestors().Any(a => a.Name.LocalName == "rPh")) continue;
            sb.Append(t.Value);
        }
        return sb.ToString();
    }

    private static List<string> SharedStrings(ZipArchive zip, string path)
    {
        var res = new List<string>();
        var doc = Load(zip, path);
        if (doc is null) return res;
        foreach (var si in doc.Elements().Where(e => e.Name.LocalName == "si")) res.Add(RichText(si));
        return res;
    }

    private static List<SheetRow> Rows(XElement sheet, List<string> shared)
    {
        var res = new List<SheetRow>();
        var sheetData = sheet.Elements().FirstOrDefault(e => e.Name.LocalName == "sheetData");
        if (sheetData is null) return res;
        var rowNumber = 0;
        foreach (var row in sheetData.Elements().Where(e => e.Name.LocalName == "row"))
        {
            rowNumber = int.TryParse((string?)row.Attribute("r"), out var rn) ? rn : rowNumber + 1;
            var cells = new SortedDictionary<int, string>();
            var col = 0;
            foreach (var c in row.Elements().Where(e => e.Name.LocalName == "c"))
            {
                var r = (string?)c.Attribute("r");
                col = r is not null && ColumnOf(r) is > 0 and var cn ? cn : col + 1;
                var type = (string?)c.Attribute("t") ?? "n";
                var v = c.Elements().FirstOrDefault(e => e.Name.LocalName == "v")?.Value;
                string? text = type switch
                {
                    "s" => v is not null && int.TryParse(v, out var idx) && idx >= 0 && idx < shared.Count ? shared[idx] : null,
                    "inlineStr" => c.Elements().FirstOrDefault(e => e.Name.LocalName == "is") is { } isEl ? RichText(isEl) : null,
                    "b" => v is null ? null : v.Trim() == "1" ? "True" : "False",
                    "str" or "e" or "d" => v,
                    _ => v is null || v.Trim().Length == 0 ? null : Number(v.Trim()),
                };
                if (!string.IsNullOrEmpty(text)) cells[col] = text;
            }
            if (cells.Count > 0) res.Add(new SheetRow(rowNumber, cells));
        }
        res.Sort(static (a, b) => a.Number.CompareTo(b.Number));
        return res;
    }

    /// <summary>openpyxl's <c>_cast_number</c> then <c>str()</c>: an int unless there is a '.' or an exponent.</summary>
    private static string Number(string raw)
    {
        if (raw.AsSpan().IndexOfAny(".eE") < 0) return long.TryParse(raw, out var l) ? l.ToString(System.Globalization.CultureInfo.InvariantCulture) : raw;
        return UsersApi.PyNumber(raw);
    }

    /// <summary>The 1-based column of a reference like <c>AB12</c> (0 when there are no letters).</summary>
    public static int ColumnOf(string reference)
    {
        var col = 0;
        foreach (var ch in reference)
        {
            var u = char.ToUpperInvariant(ch);
            if (u is < 'A' or > 'Z') break;
            col = col * 26 + (u - 'A' + 1);
        }
        return col;
    }
}
