using CommCare.Models;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace CommCare.Client.Tables
{
    /// <summary>RFC 4180 CSV read as it streams: quoted fields may hold commas, doubled quotes and line breaks;
    /// CRLF, LF or CR end a record; a leading byte-order mark is skipped.</summary>
    public static class CsvRecords
    {
        public static IEnumerable<string[]> Read(TextReader reader)
        {
            var cells = new List<string>();
            var field = new StringBuilder();
            bool quoted = false, inQuotes = false, any = false, first = true;
            int number = 1, c;
            while ((c = reader.Read()) >= 0)
            {
                if (first) { first = false; if (c == '\uFEFF') continue; }
                if (inQuotes)
                {
                    if (c == '"')
                    {
                        if (reader.Peek() == '"') { field.Append('"'); reader.Read(); }
                        else inQuotes = false;
                    }
                    else field.Append((char)c);
                    continue;
                }
                switch (c)
                {
                    case '"' when field.Length == 0 && !quoted: inQuotes = quoted = any = true; break;
                    case ',': cells.Add(field.ToString()); field.Clear(); quoted = false; any = true; break;
                    case '\r':
                    case '\n':
                        if (c == '\r' && reader.Peek() == '\n') reader.Read();
                        cells.Add(field.ToString()); field.Clear(); quoted = false;
                        yield return cells.ToArray();
                        number++;
                        cells.Clear(); any = false;
                        break;
                    default: field.Append((char)c); any = true; break;
                }
            }
            if (inQuotes) throw new CCApiException(CCErrorKind.InvalidArgument, $"-Path: record {number} of the CSV file has a quoted field that never ends (a missing closing \").");
            if (any || field.Length > 0) { cells.Add(field.ToString()); yield return cells.ToArray(); }
        }
    }
}
