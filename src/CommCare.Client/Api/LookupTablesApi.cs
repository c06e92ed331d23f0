using CommCare.Models;
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading;
using CommCare.Client.Excel;
using CommCare.Client.Http;
using CommCare.Client.Json;
using CommCare.Client.Paging;

namespace CommCare.Client.Api
{
    /// <summary>Lookup tables: definitions, rows, and the Excel upload (docs/commcare-api.md#lookup-tables).</summary>
    public sealed class LookupTablesApi
    {
        private readonly CommCareClient _c;
        internal LookupTablesApi(CommCareClient c) => _c = c;

        public IReadOnlyList<CCLookupTable> Tables()
        {
            var first = new Uri(_c.DomainApi("lookup_table"), "?limit=1000");
            return new List<CCLookupTable>(_c.Pages(first, LookupTableParser.ReadTable));
        }

        /// <summary>The table with this tag or id, or null.</summary>
        public CCLookupTable? Find(string tagOrId)
        {
            foreach (var t in Tables()) if (t.Id == tagOrId || t.Tag == tagOrId) return t;
            return null;
        }

        /// <summary>Rows of the given tables (every row of the project when null), in table order. The API has no
        /// filter, so rows of other tables are read and dropped.</summary>
        public IEnumerable<CCLookupTableItem> Items(IReadOnlyList<CCLookupTable> tables, bool all)
        {
            var byId = new Dictionary<string, CCLookupTable>(StringComparer.Ordinal);
            foreach (var t in tables) byId[t.Id] = t;
            var first = new Uri(_c.DomainApi("lookup_table_item"), "?limit=1000");
            foreach (var item in _c.Pages(first, LookupTableParser.ReadItem))
            {
                if (byId.TryGetValue(item.TableId, out var t)) item.Table = t.Tag;
                else if (!all) continue;
                yield return item;
            }
        }

        /// <summary>Adds a row (v2 answers with it). Not repeated after a lost answer: a second POST would be a second row.</summary>
        public CCLookupTableItem AddItem(CCLookupTable table, IDictionary<string, string?> fields)
        {
            // v2, whose answer is the row (whether v1 answers with data is unconfirmed: docs/commcare-api.md U45).
            string text = Writes.Send(_c, HttpMethod.Post, _c.DomainApiPath("lookup_table_item/v2/"), ItemBody(table, fields));
            return ParseItem(text, table);
        }

        /// <summary>Replaces a row's fields (PUT, safe to repeat).</summary>
        public CCLookupTableItem SetItem(CCLookupTable table, string id, IDictionary<string, string?> fields)
        {
            string text = Writes.Send(_c, HttpMethod.Put, new Uri(_c.DomainApiPath("lookup_table_item/v2/"), QueryString.Segment(id) + "/"), ItemBody(table, fields));
            return ParseItem(text, table);
        }

        public void RemoveItem(string id)
            => Writes.Send(_c, HttpMethod.Delete, new Uri(_c.DomainApiPath("lookup_table_item/v2/"), QueryString.Segment(id) + "/"), null);

        private static CCLookupTableItem ParseItem(string text, CCLookupTable table)
        {
            try
            {
                var r = new Utf8JsonReader(Encoding.UTF8.GetBytes(text));
                r.Read();
                var item = LookupTableParser.ReadItem(ref r);
                item.Table = table.Tag;
                return item;
            }
            catch (JsonException ex) { throw new CCApiException(CCErrorKind.BadResponse, "CommCare's answer to a lookup table write was not the expected row: " + ex.Message, inner: ex); }
        }

        private static byte[] ItemBody(CCLookupTable table, IDictionary<string, string?> fields)
        {
            var known = new HashSet<string>(StringComparer.Ordinal);
            foreach (var f in table.Fields) known.Add(f.Name);
            foreach (var k in fields.Keys)
                if (!known.Contains(k))
                    throw new CCApiException(CCErrorKind.InvalidArgument, $"-Fields: '{k}' is not a field of lookup table '{table.Tag}'; its fields are {string.Join(", ", known)}.");
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms))
            {
                w.WriteStartObject();
                w.WriteString("data_type_id", table.Id);
                w.WriteStartObject("fields");
                foreach (var kv in fields)
                {
                    w.WriteStartObject(kv.Key);
                    w.WriteStartArray("field_list");
                    w.WriteStartObject();
                    w.WriteString("field_value", kv.Value ?? "");
                    w.WriteStartObject("properties");
                    w.WriteEndObject();
                    w.WriteEndObject();
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
                w.WriteEndObject();
                w.WriteStartObject("item_attributes");
                w.WriteEndObject();
                w.WriteEndObject();
            }
            return ms.ToArray();
        }

        /// <summary>
        /// The tables as a workbook in the upload layout (docs/commcare-api.md#lookup-tables): a "types" sheet, then one sheet per table named
        /// by its tag with UID, Delete(Y/N), one "field: name" column per field value (fields with properties get
        /// numbered value columns and "name: property n" columns), and "property: attribute" columns. Row
        /// ownership is not in the API, so there are no user/group/location columns.
        /// </summary>
        public long Export(IReadOnlyList<CCLookupTable> tables, Stream output)
        {
            // Built from the API: a download endpoint in the API is unconfirmed (docs/commcare-api.md U45).
            // The upload layout names each sheet by its table's tag, and Excel refuses longer or odd sheet names:
            // say which table before anything is fetched (a shortened name would not load back into that table).
            foreach (var t in tables)
                if (!XlsxWriter.IsSheetName(t.Tag))
                    throw new CCApiException(CCErrorKind.InvalidArgument,
                        $"Lookup table '{t.Tag}' cannot be exported as a workbook: its tag is {t.Tag.Length} characters long or has one of : \\ / ? * [ ], and an Excel sheet name (the upload layout names each sheet by its tag) holds 1 to 31 characters without them. Export the other tables with -Table, and read this one with Get-CCLookupTableItem.");
            var rows = new Dictionary<string, List<CCLookupTableItem>>(StringComparer.Ordinal);
            foreach (var t in tables) rows[t.Id] = new List<CCLookupTableItem>();
            foreach (var item in Items(tables, all: false)) rows[item.TableId].Add(item);
            var names = new List<string> { TypesSheet };
            foreach (var t in tables) names.Add(t.Tag);
            long n = 0;
            using var w = new XlsxWriter(output, names);
            int maxFields = 0, maxProps = 0;
            foreach (var t in tables) { maxFields = Math.Max(maxFields, t.Fields.Count); maxProps = Math.Max(maxProps, t.ItemAttributes.Count); }
            var head = new List<object?> { DeleteHeader, "table_id", "is_global?" };
            for (int i = 1; i <= maxFields; i++) head.Add("field " + i);
            for (int i = 1; i <= maxProps; i++) head.Add("property " + i);
            // Field properties (such as lang) are declared as "field i : property j".
            var fieldProps = new int[maxFields];
            foreach (var t in tables) for (int i = 0; i < t.Fields.Count; i++) fieldProps[i] = Math.Max(fieldProps[i], t.Fields[i].Properties.Count);
            var propColumn = new Dictionary<(int, int), int>();
            for (int i = 0; i < maxFields; i++)
                for (int j = 0; j < fieldProps[i]; j++) { propColumn[(i, j)] = head.Count; head.Add($"field {i + 1} : property {j + 1}"); }
            w.WriteRow(head);
            foreach (var t in tables)
            {
                var r = new object?[head.Count];
                r[0] = "N"; r[1] = t.Tag; r[2] = t.IsGlobal ? "yes" : "no";
                for (int i = 0; i < t.Fields.Count; i++)
                {
                    r[3 + i] = t.Fields[i].Name;
                    for (int j = 0; j < t.Fields[i].Properties.Count; j++) r[propColumn[(i, j)]] = t.Fields[i].Properties[j];
                }
                for (int i = 0; i < t.ItemAttributes.Count; i++) r[3 + maxFields + i] = t.ItemAttributes[i];
                w.WriteRow(r);
            }
            foreach (var t in tables)
            {
                w.NextSheet();
                var items = rows[t.Id];
                items.Sort((a, b) => (a.SortKey ?? 0).CompareTo(b.SortKey ?? 0));
                // A field with properties can hold several values: one numbered group of columns per value.
                var width = new Dictionary<string, int>(StringComparer.Ordinal);
                foreach (var f in t.Fields)
                {
                    int k = 1;
                    if (f.Properties.Count > 0) foreach (var it in items) if (it.FieldValues.TryGetValue(f.Name, out var vs)) k = Math.Max(k, vs.Count);
                    width[f.Name] = k;
                }
                var header = new List<object?> { UidHeader, DeleteHeader };
                foreach (var f in t.Fields)
                {
                    if (f.Properties.Count == 0) { header.Add("field: " + f.Name); continue; }
                    for (int k = 1; k <= width[f.Name]; k++)
                    {
                        header.Add($"field: {f.Name} {k}");
                        foreach (var p in f.Properties) header.Add($"{f.Name}: {p} {k}");
                    }
                }
                foreach (var a in t.ItemAttributes) header.Add("property: " + a);
                w.WriteRow(header);
                foreach (var it in items)
                {
                    var r = new List<object?> { it.Id, "N" };
                    foreach (var f in t.Fields)
                    {
                        it.FieldValues.TryGetValue(f.Name, out var vs);
                        if (f.Properties.Count == 0) { r.Add(vs != null && vs.Count > 0 ? vs[0].Value : null); continue; }
                        for (int k = 0; k < width[f.Name]; k++)
                        {
                            var v = vs != null && k < vs.Count ? vs[k] : null;
                            r.Add(v?.Value);
                            foreach (var p in f.Properties) r.Add(v != null && v.Properties.TryGetValue(p, out var pv) ? pv : null);
                        }
                    }
                    foreach (var a in t.ItemAttributes) r.Add(it.ItemAttributes.TryGetValue(a, out var av) ? av : null);
                    w.WriteRow(r);
                    n++;
                }
            }
            return n;
        }

        /// <summary>HQ's own download and upload spell these headers so (fixtures download.py and upload/workbook.py,
        /// the same in every version read): the row id, the delete flag, and the types sheet's tag.</summary>
        public const string UidHeader = "UID", DeleteHeader = "Delete(Y/N)", TypesSheet = "types";

        /// <summary>
        /// Checks a workbook before upload: a table sheet whose row-id or delete column is spelled otherwise than HQ
        /// reads it would have every row added again (or a deleted row kept), so it is refused, naming the column
        /// (docs/commcare-api.md U44). Warnings: sheets with no row-id column at all, whose rows
        /// are all added as new rows unless replace. Null when the workbook cannot be read (the server judges it).
        /// </summary>
        public static (string? Problem, List<string> Warnings)? CheckWorkbook(byte[] workbook, bool replace)
        {
            var sheets = XlsxReader.TryRead(workbook, maxRows: 2);
            if (sheets == null) return null;
            var warnings = new List<string>();
            foreach (var sheet in sheets)
            {
                if (sheet.Name == TypesSheet) continue;
                var headers = sheet.Headers;
                if (Array.IndexOf(headers, UidHeader) < 0)
                {
                    foreach (var h in headers)
                        if (h != null && IdLike(h))
                            return ($"sheet '{sheet.Name}': the column '{h}' looks like the row id, but CommCare reads the row id only from a column named exactly '{UidHeader}'; uploaded as it is, every row would be added again as a new row. Rename the column to '{UidHeader}'.", warnings);
                    if (!replace && sheet.Rows.Count > 1)
                        warnings.Add($"sheet '{sheet.Name}' has no '{UidHeader}' column: each of its rows is added as a new row (use -Replace to replace the table's rows instead).");
                }
                if (Array.IndexOf(headers, DeleteHeader) < 0)
                    foreach (var h in headers)
                        if (h != null && Normal(h).StartsWith("delete", StringComparison.Ordinal))
                            return ($"sheet '{sheet.Name}': the column '{h}' looks like the delete flag, but CommCare reads only a column named exactly '{DeleteHeader}'; rows marked for deletion would be kept. Rename the column to '{DeleteHeader}'.", warnings);
            }
            return (null, warnings);
        }

        private static string Normal(string header) => new string(header.Where(char.IsLetterOrDigit).ToArray()).ToLowerInvariant();

        private static bool IdLike(string header)
        {
            string n = Normal(header);
            return n == "uid" || n == "id" || n == "rowid" || n == "uuid" || n == "itemid" || n == "rowuid";
        }

        /// <summary>
        /// Uploads a workbook (async on the server) and follows it to the end. replace=true empties each listed
        /// table first, so a repeat does the same again: only then is a lost answer retried.
        /// </summary>
        public CCLookupTableImport Upload(byte[] workbook, string fileName, bool replace, Action<int?>? progress, TimeSpan timeout)
        {
            var body = new MultipartBody()
                .File("file-to-upload", fileName, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", workbook)
                // Exactly true/false: how HQ reads other values is unconfirmed (docs/commcare-api.md U42).
                .Field("replace", replace ? "true" : "false")
                .Field("async", "true");
            var uri = new Uri(_c.Session.Server, "a/" + QueryString.Segment(_c.Session.Domain) + "/fixtures/fixapi/");
            string text = Writes.SendMultipart(_c, uri, body, safeToRepeat: replace);
            var answer = Parse(text);
            int code = answer.TryGetValue("code", out var c) && c is long l ? (int)l : 200;
            string? message = JsonValue.Str(answer, "message");
            if (code == 405) throw new CCApiException(CCErrorKind.BadRequest, "CommCare refused the lookup table workbook: " + message, serverMessage: message);
            var result = new CCLookupTableImport { FileName = fileName, Message = message, StatusUrl = JsonValue.Str(answer, "status_url") };
            if (result.StatusUrl == null)
            {
                // A synchronous answer (older servers): 200 done, 402 done with warnings.
                result.Complete = true;
                if (code == 402) result.Warnings = Warnings(message);
                return result;
            }
            var statusUri = Uri.TryCreate(result.StatusUrl, UriKind.Absolute, out var abs) ? abs : new Uri(_c.Session.Server, result.StatusUrl);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var wait = TimeSpan.FromMilliseconds(300);
            while (true)
            {
                var st = Parse(Writes.Send(_c, HttpMethod.Get, statusUri, null));
                string? msg = JsonValue.Str(st, "message");
                if (JsonValue.Bool(st, "error"))
                    throw new CCApiException(CCErrorKind.BadRequest, "The lookup table upload failed: " + msg + " Nothing was changed by it.", serverMessage: msg);
                if (JsonValue.Bool(st, "complete"))
                {
                    result.Complete = true;
                    result.Message = msg;
                    var warnings = new List<string>();
                    // Whether the message holds the row warnings is unconfirmed: they are read from errors (docs/commcare-api.md U43).
                    if (st.TryGetValue("errors", out var errs) && errs is List<object?> el) foreach (var x in el) if (x is string xs) warnings.Add(xs);
                    result.Warnings = warnings;
                    return result;
                }
                progress?.Invoke(st.TryGetValue("progress", out var p) && p is long pl ? (int)pl : (int?)null);
                // An unknown or expired job looks "in progress" forever (docs/commcare-api.md#lookup-tables): our own limit ends the wait.
                if (clock.Elapsed > timeout)
                    throw new CCApiException(CCErrorKind.Timeout, $"The lookup table upload was still in progress after {timeout.TotalSeconds:0} s; check it at {result.StatusUrl}.");
                if (_c.Token.WaitHandle.WaitOne(wait)) _c.Token.ThrowIfCancellationRequested();
                if (wait < TimeSpan.FromSeconds(3)) wait = TimeSpan.FromMilliseconds(wait.TotalMilliseconds * 2);
            }
        }

        private static List<string> Warnings(string? message)
        {
            var list = new List<string>();
            if (message == null) return list;
            int i = message.IndexOf("problems:", StringComparison.Ordinal);
            foreach (var line in (i >= 0 ? message.Substring(i + 9) : message).Split('\n')) if (line.Trim().Length > 0) list.Add(line.Trim());
            return list;
        }

        private static Dictionary<string, object?> Parse(string text)
        {
            try
            {
                var r = new Utf8JsonReader(Encoding.UTF8.GetBytes(text));
                r.Read();
                return JsonValue.ReadObject(ref r);
            }
            catch (Exception ex) when (ex is JsonException || ex is InvalidOperationException)
            {
                throw new CCApiException(CCErrorKind.BadResponse, "CommCare's answer to the lookup table upload was not JSON: " + ex.Message, inner: ex);
            }
        }

    }
}
