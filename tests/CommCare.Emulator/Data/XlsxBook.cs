using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Text;
using System.Xml;

namespace CommCare.Emulator;

/// <summary>One worksheet to write: a name and rows of cells (string, integer, double, bool or null = empty).</summary>
public sealed record XlsxSheet(string Name, IEnumerable<IReadOnlyList<object?>> Rows);

/// <summary>A worksheet read back: rows by 0-based row index, cells by 0-based column index (null = no cell).</summary>
public sealed class XlsxSheetData
{
    public required string Name { get; init; }
    public List<string?[]> Rows { get; } = new();

    public string? Cell(int row, int col)
        => row < Rows.Count && col < Rows[row].Length ? Rows[row][col] : null;
}

public sealed class XlsxFormatException(string message) : Exception(message);

/// <summary>
/// A minimal Office Open XML spreadsheet writer and reader (ZipArchive + XML): enough for HQ's lookup-table workbooks.
/// The writer uses a shared-string table; the reader understands shared strings, inline strings, formula strings,
/// numbers and booleans, and cell references with gaps (<c>C5</c> after <c>A1</c>).
/// </summary>
public static class XlsxBook
{
    public const string ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    private const string MainNs = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    private const string RelNs = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    private const string PkgRelNs = "http://schemas.openxmlformats.org/package/2006/relationships";

    // ---- writer --------------------------------------------------------------------------------------

    public static byte[] Write(IReadOnlyList<XlsxSheet> sheets)
    {
        var strings = new List<string>();
        var stringIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        int Intern(string s)
        {
            if (!stringIndex.TryGetValue(s, out var i))
            {
                i = strings.Count;
                strings.Add(s);
                stringIndex[s] = i;
            }
            return i;
        }

        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            var names = new List<string>();
            for (var s = 0; s < sheets.Count; s++)
            {
                names.Add(SheetName(sheets[s].Name, names));
                WritePart(zip, $"xl/worksheets/sheet{s + 1}.xml", w =>
                {
                    w.WriteStartElement("worksheet", MainNs);
                    w.WriteStartElement("sheetData", MainNs);
                    var r = 0;
                    foreach (var row in sheets[s].Rows)
                    {
                        r++;
                        w.WriteStartElement("row", MainNs);
                        w.WriteAttributeString("r", r.ToString(CultureInfo.InvariantCulture));
                        for (var c = 0; c < row.Count; c++)
                        {
                            var v = row[c];
                            if (v is null) continue;
                            w.WriteStartElement("c", MainNs);
                            w.WriteAttributeString("r", CellRef(c, r));
                            switch (v)
                            {
                                case string str:
                                    w.WriteAttributeString("t", "s");
                                    w.WriteElementString("v", MainNs, Intern(str).ToString(CultureInfo.InvariantCulture));
                                    break;
                                case bool b:
                                    w.WriteAttributeString("t", "b");
                                    w.WriteElementString("v", MainNs, b ? "1" : "0");
                                    break;
                                case double d:
                                    w.WriteElementString("v", MainNs, d.ToString("R", CultureInfo.InvariantCulture));
                                    break;
                                case decimal m:
                                    w.WriteElementString("v", MainNs, m.ToString(CultureInfo.InvariantCulture));
                                    break;
                                case IFormattable f:
                                    w.WriteElementString("v", MainNs, f.ToString(null, CultureInfo.InvariantCulture));
                                    break;
                                default:
                                    w.WriteAttributeString("t", "s");
                                    w.WriteElementString("v", MainNs, Intern(v.ToString() ?? "").ToString(CultureInfo.InvariantCulture));
                                    break;
                            }
                            w.WriteEndElement();
                        }
                        w.WriteEndElement();
                    }
                    w.WriteEndElement();
                    w.WriteEndElement();
                });
            }

            WritePart(zip, "xl/sharedStrings.xml", w =>
            {
                w.WriteStartElement("sst", MainNs);
                w.WriteAttributeString("count", strings.Count.ToString(CultureInfo.InvariantCulture));
                w.WriteAttributeString("uniqueCount", strings.Count.ToString(CultureInfo.InvariantCulture));
                foreach (var s in strings)
                {
                    w.WriteStartElement("si", MainNs);
                    w.WriteStartElement("t", MainNs);
                    w.WriteAttributeString("xml", "space", null, "preserve");
                    w.WriteString(EscapeText(s));
                    w.WriteEndElement();
                    w.WriteEndElement();
                }
                w.WriteEndElement();
            });

            WritePart(zip, "xl/workbook.xml", w =>
            {
                w.WriteStartElement("workbook", MainNs);
                w.WriteAttributeString("xmlns", "r", null, RelNs);
                w.WriteStartElement("sheets", MainNs);
                for (var s = 0; s < names.Count; s++)
                {
                    w.WriteStartElement("sheet", MainNs);
                    w.WriteAttributeString("name", names[s]);
                    w.WriteAttributeString("sheetId", (s + 1).ToString(CultureInfo.InvariantCulture));
                    w.WriteAttributeString("id", RelNs, "rId" + (s + 1).ToString(CultureInfo.InvariantCulture));
                    w.WriteEndElement();
                }
                w.WriteEndElement();
                w.WriteEndElement();
            });

            WritePart(zip, "xl/_rels/workbook.xml.rels", w =>
            {
                w.WriteStartElement("Relationships", PkgRelNs);
                for (var s = 0; s < names.Count; s++)
                {
                    Rel(w, "rId" + (s + 1).ToString(CultureInfo.InvariantCulture),
                        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet",
                        $"worksheets/sheet{s + 1}.xml");
                }
                Rel(w, $"rId{names.Count + 1}", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings", "sharedStrings.xml");
                Rel(w, $"rId{names.Count + 2}", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles", "styles.xml");
                w.WriteEndElement();
            });

            WritePart(zip, "xl/styles.xml", w =>
            {
                w.WriteStartElement("styleSheet", MainNs);
                w.WriteStartElement("fonts", MainNs);
                w.WriteAttributeString("count", "1");
                w.WriteStartElement("font", MainNs);
                w.WriteStartElement("sz", MainNs);
                w.WriteAttributeString("val", "11");
                w.WriteEndElement();
                w.WriteStartElement("name", MainNs);
                w.WriteAttributeString("val", "Calibri");
                w.WriteEndElement();
                w.WriteEndElement();
                w.WriteEndElement();
                w.WriteStartElement("fills", MainNs);
                w.WriteAttributeString("count", "2");
                foreach (var pattern in new[] { "none", "gray125" })
                {
                    w.WriteStartElement("fill", MainNs);
                    w.WriteStartElement("patternFill", MainNs);
                    w.WriteAttributeString("patternType", pattern);
                    w.WriteEndElement();
                    w.WriteEndElement();
                }
                w.WriteEndElement();
                w.WriteStartElement("borders", MainNs);
                w.WriteAttributeString("count", "1");
                w.WriteStartElement("border", MainNs);
                w.WriteEndElement();
                w.WriteEndElement();
                w.WriteStartElement("cellStyleXfs", MainNs);
                w.WriteAttributeString("count", "1");
                w.WriteStartElement("xf", MainNs);
                w.WriteAttributeString("numFmtId", "0");
                w.WriteAttributeString("fontId", "0");
                w.WriteAttributeString("fillId", "0");
                w.WriteAttributeString("borderId", "0");
                w.WriteEndElement();
                w.WriteEndElement();
                w.WriteStartElement("cellXfs", MainNs);
                w.WriteAttributeString("count", "1");
                w.WriteStartElement("xf", MainNs);
                w.WriteAttributeString("numFmtId", "0");
                w.WriteAttributeString("fontId", "0");
                w.WriteAttributeString("fillId", "0");
                w.WriteAttributeString("borderId", "0");
                w.WriteAttributeString("xfId", "0");
                w.WriteEndElement();
                w.WriteEndElement();
                w.WriteStartElement("cellStyles", MainNs);
                w.WriteAttributeString("count", "1");
                w.WriteStartElement("cellStyle", MainNs);
                w.WriteAttributeString("name", "Normal");
                w.WriteAttributeString("xfId", "0");
                w.WriteAttributeString("builtinId", "0");
                w.WriteEndElement();
                w.WriteEndElement();
                w.WriteEndElement();
            });

            WritePart(zip, "_rels/.rels", w =>
            {
                w.WriteStartElement("Relationships", PkgRelNs);
                Rel(w, "rId1", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument", "xl/workbook.xml");
                w.WriteEndElement();
            });

            WritePart(zip, "[Content_Types].xml", w =>
            {
                const string ns = "http://schemas.openxmlformats.org/package/2006/content-types";
                w.WriteStartElement("Types", ns);
                void Default(string ext, string type)
                {
                    w.WriteStartElement("Default", ns);
                    w.WriteAttributeString("Extension", ext);
                    w.WriteAttributeString("ContentType", type);
                    w.WriteEndElement();
                }
                void Override(string part, string type)
                {
                    w.WriteStartElement("Override", ns);
                    w.WriteAttributeString("PartName", part);
                    w.WriteAttributeString("ContentType", type);
                    w.WriteEndElement();
                }
                Default("rels", "application/vnd.openxmlformats-package.relationships+xml");
                Default("xml", "application/xml");
                Override("/xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml");
                for (var s = 0; s < names.Count; s++)
                {
                    Override($"/xl/worksheets/sheet{s + 1}.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml");
                }
                Override("/xl/sharedStrings.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml");
                Override("/xl/styles.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml");
                w.WriteEndElement();
            });
        }
        return ms.ToArray();
    }

    private static void Rel(XmlWriter w, string id, string type, string target)
    {
        w.WriteStartElement("Relationship", PkgRelNs);
        w.WriteAttributeString("Id", id);
        w.WriteAttributeString("Type", type);
        w.WriteAttributeString("Target", target);
        w.WriteEndElement();
    }

    private static void WritePart(ZipArchive zip, string name, Action<XmlWriter> write)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.Fastest);
        entry.LastWriteTime = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using var s = entry.Open();
        using var w = XmlWriter.Create(s, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = false });
        w.WriteStartDocument(true);
        write(w);
        w.WriteEndDocument();
    }

    /// <summary>A valid, unique sheet name: at most 31 characters, none of <c>[]:*?/\</c>.</summary>
    private static string SheetName(string name, List<string> taken)
    {
        var sb = new StringBuilder();
        foreach (var ch in name) sb.Append("[]:*?/\\".IndexOf(ch) >= 0 ? '_' : ch);
        var n = sb.Length == 0 ? "Sheet" : sb.ToString();
        if (n.Length > 31) n = n[..31];
        var candidate = n;
        for (var i = 2; taken.Exists(t => string.Equals(t, candidate, StringComparison.OrdinalIgnoreCase)); i++)
        {
            var suffix = "_" + i.ToString(CultureInfo.InvariantCulture);
            candidate = (n.Length + suffix.Length > 31 ? n[..(31 - suffix.Length)] : n) + suffix;
        }
        return candidate;
    }

    /// <summary>
    /// Text as SpreadsheetML stores it: characters XML 1.0 cannot carry become <c>_xHHHH_</c>, and an underscore that
    /// would otherwise read as such an escape becomes <c>_x005F_</c> (what Excel does).
    /// </summary>
    public static string EscapeText(string s)
    {
        StringBuilder? sb = null;
        for (var i = 0; i < s.Length; i++)
        {
            var ch = s[i];
            string? rep = null;
            if (ch < 0x20 && ch is not ('\t' or '\n' or '\r') || ch is '\uFFFE' or '\uFFFF')
            {
                rep = "_x" + ((int)ch).ToString("X4", CultureInfo.InvariantCulture) + "_";
            }
            else if (char.IsSurrogate(ch) && !(char.IsHighSurrogate(ch) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                     && !(char.IsLowSurrogate(ch) && i > 0 && char.IsHighSurrogate(s[i - 1])))
            {
                rep = "\uFFFD";
            }
            else if (ch == '_' && IsEscapeAt(s, i))
            {
                rep = "_x005F_";
            }
            if (rep is null)
            {
                sb?.Append(ch);
                continue;
            }
            sb ??= new StringBuilder(s, 0, i, s.Length + 16);
            sb.Append(rep);
        }
        return sb?.ToString() ?? s;
    }

    private static bool IsEscapeAt(string s, int i)
    {
        if (i + 7 > s.Length || s[i] != '_' || s[i + 1] != 'x' || s[i + 6] != '_') return false;
        for (var k = i + 2; k < i + 6; k++) if (!Uri.IsHexDigit(s[k])) return false;
        return true;
    }

    /// <summary>Decodes <c>_xHHHH_</c> escapes.</summary>
    public static string UnescapeText(string s)
    {
        if (s.IndexOf("_x", StringComparison.Ordinal) < 0) return s;
        var sb = new StringBuilder(s.Length);
        for (var i = 0; i < s.Length; i++)
        {
            if (IsEscapeAt(s, i))
            {
                sb.Append((char)int.Parse(s.AsSpan(i + 2, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                i += 6;
                continue;
            }
            sb.Append(s[i]);
        }
        return sb.ToString();
    }

    /// <summary><c>(2, 5)</c> → <c>C5</c> (column 0-based, row 1-based).</summary>
    public static string CellRef(int col, int row)
    {
        var letters = "";
        for (var c = col + 1; c > 0; c = (c - 1) / 26) letters = (char)('A' + (c - 1) % 26) + letters;
        return letters + row.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary><c>C5</c> → column 2, row 5 (row 0 when the reference has no digits).</summary>
    public static bool TryParseCellRef(string r, out int col, out int row)
    {
        col = 0;
        row = 0;
        var i = 0;
        while (i < r.Length && char.IsAsciiLetter(r[i]))
        {
            col = col * 26 + (char.ToUpperInvariant(r[i]) - 'A' + 1);
            i++;
        }
        if (i == 0 || col > 16384) return false;
        col--;
        if (i == r.Length) return true;
        return int.TryParse(r.AsSpan(i), NumberStyles.None, CultureInfo.InvariantCulture, out row) && row > 0;
    }

    // ---- reader --------------------------------------------------------------------------------------

    /// <summary>Reads every worksheet. Throws <see cref="XlsxFormatException"/> when the bytes are no readable workbook.</summary>
    public static List<XlsxSheetData> Read(byte[] bytes)
    {
        try
        {
            using var zip = new ZipArchive(new MemoryStream(bytes, writable: false), ZipArchiveMode.Read);
            var wbEntry = zip.GetEntry("xl/workbook.xml") ?? throw new XlsxFormatException("no xl/workbook.xml");
            var rels = ReadRels(zip, "xl/_rels/workbook.xml.rels");
            var shared = ReadSharedStrings(zip, rels);

            var result = new List<XlsxSheetData>();
            using (var s = wbEntry.Open())
            using (var x = XmlReader.Create(s, ReaderSettings()))
            {
                while (x.Read())
                {
                    if (x.NodeType != XmlNodeType.Element || x.LocalName != "sheet") continue;
                    var name = x.GetAttribute("name") ?? "";
                    var rid = x.GetAttribute("id", RelNs);
                    if (rid is null || !rels.TryGetValue(rid, out var target)) continue;
                    var entry = zip.GetEntry(ResolveTarget(target)) ?? throw new XlsxFormatException($"missing part {target}");
                    result.Add(ReadSheet(entry, name, shared));
                }
            }
            return result;
        }
        catch (Exception e) when (e is InvalidDataException or XmlException or IOException or FormatException or OverflowException)
        {
            throw new XlsxFormatException(e.Message);
        }
    }

    private static XmlReaderSettings ReaderSettings() => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        XmlResolver = null,
    };

    private static string ResolveTarget(string target)
    {
        if (target.StartsWith('/')) return target[1..];
        var parts = new List<string> { "xl" };
        foreach (var p in target.Split('/'))
        {
            if (p == "..") { if (parts.Count > 0) parts.RemoveAt(parts.Count - 1); }
            else if (p != "." && p.Length > 0) parts.Add(p);
        }
        return string.Join('/', parts);
    }

    private static Dictionary<string, string> ReadRels(ZipArchive zip, string path)
    {
        var rels = new Dictionary<string, string>(StringComparer.Ordinal);
        var e = zip.GetEntry(path);
        if (e is null) return rels;
        using var s = e.Open();
        using var x = XmlReader.Create(s, ReaderSettings());
        while (x.Read())
        {
            if (x.NodeType == XmlNodeType.Element && x.LocalName == "Relationship"
                && x.GetAttribute("Id") is { } id && x.GetAttribute("Target") is { } t)
            {
                rels[id] = t;
            }
        }
        return rels;
    }

    private static List<string> ReadSharedStrings(ZipArchive zip, Dictionary<string, string> rels)
    {
        var list = new List<string>();
        string? path = null;
        foreach (var t in rels.Values) if (t.EndsWith("sharedStrings.xml", StringComparison.OrdinalIgnoreCase)) path = ResolveTarget(t);
        var e = zip.GetEntry(path ?? "xl/sharedStrings.xml");
        if (e is null) return list;
        using var s = e.Open();
        using var x = XmlReader.Create(s, ReaderSettings());
        while (x.Read())
        {
            if (x.NodeType == XmlNodeType.Element && x.LocalName == "si") list.Add(ReadRichText(x));
        }
        return list;
    }

    /// <summary>The text of an <c>si</c> / <c>is</c> element: its <c>t</c> children, or the runs' <c>t</c> (phonetic runs skipped).</summary>
    private static string ReadRichText(XmlReader x)
    {
        // Leaves the reader on the element's end tag (or on the element itself when it is empty).
        if (x.IsEmptyElement) return "";
        var depth = x.Depth;
        var sb = new StringBuilder();
        x.Read();
        while (!x.EOF && x.Depth > depth)
        {
            if (x.NodeType == XmlNodeType.Element)
            {
                if (x.LocalName == "t")
                {
                    sb.Append(x.ReadElementContentAsString());
                    continue;
                }
                if (x.LocalName == "rPh")
                {
                    x.Skip();
                    continue;
                }
            }
            x.Read();
        }
        return UnescapeText(sb.ToString());
    }

    private static XlsxSheetData ReadSheet(ZipArchiveEntry entry, string name, List<string> shared)
    {
        var sheet = new XlsxSheetData { Name = name };
        using var s = entry.Open();
        using var x = XmlReader.Create(s, ReaderSettings());
        var rowIndex = -1;
        List<string?>? cells = null;
        void Flush()
        {
            if (cells is null) return;
            while (sheet.Rows.Count < rowIndex) sheet.Rows.Add(Array.Empty<string?>());
            sheet.Rows.Add(cells.ToArray());
            cells = null;
        }
        while (x.Read())
        {
            if (x.NodeType != XmlNodeType.Element) continue;
            if (x.LocalName == "row")
            {
                Flush();
                rowIndex = x.GetAttribute("r") is { } rs && int.TryParse(rs, NumberStyles.None, CultureInfo.InvariantCulture, out var rn) && rn > 0
                    ? rn - 1
                    : Math.Max(rowIndex + 1, sheet.Rows.Count);
                cells = new List<string?>();
                if (x.IsEmptyElement) Flush();
                continue;
            }
            if (x.LocalName != "c" || cells is null) continue;
            var col = cells.Count;
            if (x.GetAttribute("r") is { } cr && TryParseCellRef(cr, out var c, out _)) col = c;
            var type = x.GetAttribute("t") ?? "n";
            string? v = null, inline = null;
            if (!x.IsEmptyElement)
            {
                var depth = x.Depth;
                x.Read();
                while (!x.EOF && x.Depth > depth)
                {
                    if (x.NodeType == XmlNodeType.Element)
                    {
                        if (x.LocalName == "v")
                        {
                            v = x.ReadElementContentAsString();
                            continue;
                        }
                        if (x.LocalName == "is")
                        {
                            inline = ReadRichText(x);
                            x.Read();
                            continue;
                        }
                        x.Skip();
                        continue;
                    }
                    x.Read();
                }
            }
            string? value = type switch
            {
                "s" => v is not null && int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var si) && si < shared.Count
                    ? shared[si]
                    : throw new XlsxFormatException($"bad shared string index '{v}'"),
                "inlineStr" => inline ?? "",
                "str" => v is null ? null : UnescapeText(v),
                "b" => v is null ? null : v.Trim() == "1" ? "True" : "False",
                "e" => v,
                _ => v is null ? null : PyNumber(v),
            };
            while (cells.Count <= col) cells.Add(null);
            cells[col] = value;
        }
        Flush();
        return sheet;
    }

    /// <summary>A numeric cell as Python <c>str()</c> of what openpyxl returns: an int when integral, else the float.</summary>
    public static string PyNumber(string v)
    {
        v = v.Trim();
        if (long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return l.ToString(CultureInfo.InvariantCulture);
        var d = double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture);
        if (Math.Abs(d) < 1e15 && d == Math.Floor(d)) return ((long)d).ToString(CultureInfo.InvariantCulture);
        return d.ToString("R", CultureInfo.InvariantCulture);
    }
}
