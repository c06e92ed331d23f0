using CommCare.Models;
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using CommCare.Client.Excel;
using CommCare.Client.Http;
using CommCare.Client.Json;

namespace CommCare.Client.Api
{
    /// <summary>Options of the bulk case upload (docs/commcare-api.md#bulk-case-upload-case-importer).</summary>
    public sealed class CaseImportOptions
    {
        public string CaseType { get; set; } = "";
        /// <summary>case_id (default) or external_id.</summary>
        public string SearchField { get; set; } = "case_id";
        public string? SearchColumn { get; set; }
        public string? NameColumn { get; set; }
        public bool CreateNewCases { get; set; }
        public string? Comment { get; set; }
    }

    /// <summary>Bulk Upload Case Data API: an Excel workbook to /a/{domain}/importer/excel/bulk_upload_api/, then its status.</summary>
    public sealed class CaseImportApi
    {
        public const int MaxColumns = 300;       // MAX_CASE_IMPORTER_COLUMNS
        public const int MaxRows = 100000;       // MAX_CASE_IMPORTER_ROWS
        private readonly CommCareClient _c;
        internal CaseImportApi(CommCareClient c) => _c = c;

        /// <summary>Why a header cannot be a column of a case import; null when it can.</summary>
        public static string? HeaderProblem(string header)
        {
            if (string.IsNullOrWhiteSpace(header)) return "a column has no name.";
            if (header == "type") return "the column name 'type' is reserved by CommCare's importer; rename it.";
            if (!char.IsLetter(header[0]) && header[0] != '_') return $"the column name '{header}' must start with a letter.";
            if (!CasesV2Api.IsXmlName(header)) return $"the column name '{header}' is not a valid case property name (letters, digits, '_' and '-').";
            return null;
        }

        /// <summary>
        /// The sheet rows (1 = header) whose search column is blank. What CommCare does with a blank external id is
        /// unconfirmed (a row error, or a new case on every run: docs/commcare-api.md U39), so such rows are refused
        /// unless the user asks for a case per row. A missing column makes every row blank.
        /// </summary>
        public static List<int> BlankSearchRows(XlsxSheetRows sheet, string column)
        {
            var blank = new List<int>();
            int col = Array.IndexOf(sheet.Headers, column);
            for (int i = 1; i < sheet.Rows.Count; i++)
            {
                var (number, cells) = sheet.Rows[i];
                if (col < 0 || col >= cells.Length || string.IsNullOrWhiteSpace(cells[col])) blank.Add(number);
            }
            return blank;
        }

        /// <summary>Rows as a one-sheet workbook ("Sheet1": a sheet named like a case type would switch the server to multi-sheet mode).</summary>
        public static byte[] BuildWorkbook(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<object?>> rows)
        {
            using var ms = new MemoryStream();
            using (var w = new XlsxWriter(ms, "Sheet1"))
            {
                var head = new object?[headers.Count];
                for (int i = 0; i < headers.Count; i++) head[i] = headers[i];
                w.WriteRow(head);
                foreach (var r in rows) w.WriteRow(r);
            }
            return ms.ToArray();
        }

        /// <summary>
        /// Uploads the workbook and returns the queued import. Never retried after the server may have
        /// received it: each upload is a new import, and with CreateNewCases a second one makes the cases again.
        /// </summary>
        public CCCaseImport Upload(byte[] workbook, string fileName, CaseImportOptions o)
        {
            string type = fileName.EndsWith(".xls", StringComparison.OrdinalIgnoreCase) ? "application/vnd.ms-excel" : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
            var body = new MultipartBody()
                .File("file", fileName, type, workbook)
                .Field("case_type", o.CaseType)
                .Field("search_field", o.SearchField)
                .Field("search_column", o.SearchColumn)
                .Field("name_column", o.NameColumn)
                .Field("create_new_cases", o.CreateNewCases ? "on" : null)   // only exactly "on" means true
                .Field("comment", o.Comment);
            var uri = new Uri(_c.Session.Server, "a/" + Paging.QueryString.Segment(_c.Session.Domain) + "/importer/excel/bulk_upload_api/");
            string text = UploadAsync(uri, body.ToContent()).WaitPumping(_c.Sink);
            string? statusUrl = null;
            try
            {
                using var doc = JsonDocument.Parse(text);
                if (doc.RootElement.TryGetProperty("status_url", out var s)) statusUrl = s.GetString();
            }
            catch (JsonException) { }
            // The status URL's path is unconfirmed: used as given (docs/commcare-api.md U35).
            if (string.IsNullOrEmpty(statusUrl))
                throw new CCApiException(CCErrorKind.OutcomeUnknown, "CommCare accepted the upload but sent no status_url; check the import history in CommCare before uploading again.");
            return new CCCaseImport { StatusUrl = statusUrl!, State = CCCaseImportState.Queued, CaseType = o.CaseType, FileName = fileName, SearchColumn = o.SearchColumn ?? o.SearchField };
        }

        private async Task<string> UploadAsync(Uri uri, HttpContent body)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = body };
            RequestInfo.For(request).Sink = _c.Sink;
            HttpResponseMessage response;
            try { response = await CCRequest.SendAsync(_c.Engine, request, _c.Token).ConfigureAwait(false); }
            catch (CCApiException ex) when (ex.Kind == CCErrorKind.Network || ex.Kind == CCErrorKind.Timeout)
            {
                throw new CCApiException(CCErrorKind.OutcomeUnknown,
                    $"The upload's answer was lost ({ex.Message}); CommCare may have started the import. Check the import history (Data > Import Cases) before uploading again: a second upload is a second import.",
                    inner: ex);
            }
            using (response)
            {
                // The attempt has read the body whole (a stalled or cut-off one is an error above).
                string text = response.Content == null ? "" : await response.Content.ReadAsStringAsync().ConfigureAwait(false);
                int code = (int)response.StatusCode;
                if (code >= 200 && code < 300) return text;
                // Validation failures come back as 500 with {"code": 500, "message": "..."}: the upload was refused, not a server fault. The message is shown as sent (its prefix is unconfirmed: docs/commcare-api.md U34).
                if (code == 500 && ApiErrors.ServerMessage(text) is string said && text.TrimStart().StartsWith("{", StringComparison.Ordinal))
                    throw new CCApiException(CCErrorKind.BadRequest, "CommCare refused the case import: " + said, response.StatusCode, said, "POST " + Redaction.PathAndQuery(uri));
                throw ApiErrors.Create(_c.Engine, request, response.StatusCode, text);
            }
        }

        /// <summary>Reads the import's status once (GET status_url, same credentials).</summary>
        public CCCaseImport Status(CCCaseImport import)
        {
            if (!Uri.TryCreate(import.StatusUrl, UriKind.Absolute, out var uri)) uri = new Uri(_c.Session.Server, import.StatusUrl);
            string text = Writes.Send(_c, HttpMethod.Get, uri, null);
            var next = new CCCaseImport { StatusUrl = import.StatusUrl, CaseType = import.CaseType, FileName = import.FileName, RowCount = import.RowCount, SearchColumn = import.SearchColumn };
            try
            {
                using var doc = JsonDocument.Parse(text);
                var root = doc.RootElement;
                if (root.TryGetProperty("state", out var st) && st.ValueKind == JsonValueKind.Number)
                    // An unknown state is never "finished" (docs/commcare-api.md U36); the history endpoints are not used (U38).
                    next.State = (CCCaseImportState)Math.Max(0, Math.Min(3, st.GetInt32()));
                if (root.TryGetProperty("progress", out var p) && p.ValueKind == JsonValueKind.Object && p.TryGetProperty("percent", out var pc) && pc.ValueKind == JsonValueKind.Number)
                    next.PercentComplete = (int)pc.GetDouble();
                if (root.TryGetProperty("result", out var r) && r.ValueKind == JsonValueKind.Object)
                {
                    var errors = new List<CCCaseImportError>();
                    foreach (var field in r.EnumerateObject())
                    {
                        switch (field.Name)
                        {
                            case "match_count": next.MatchCount = Int(r, field.Name); break;
                            case "created_count": next.CreatedCount = Int(r, field.Name); break;
                            case "num_chunks": next.NumChunks = Int(r, field.Name); break;
                            case "errors":
                                if (field.Value.ValueKind == JsonValueKind.Array)
                                    foreach (var e in field.Value.EnumerateArray())
                                        errors.Add(new CCCaseImportError { Title = Str(e, "title") ?? "Error", Description = Str(e, "description"), Column = Str(e, "column"), Rows = Rows(e, "rows") });
                                break;
                            default:
                                // The multiple-match count's name is unconfirmed (docs/commcare-api.md U37), and a field we do not know may count rows
                                // that were not imported: both are row errors, never a clean success.
                                if (IsTooManyMatches(field.Name)) next.TooManyMatches = Count(field.Value);
                                else if (!IsEmpty(field.Value))
                                    errors.Add(new CCCaseImportError { Title = "Unrecognised result field", Column = field.Name, Rows = Rows(r, field.Name),
                                        Description = $"CommCare's import result has a field this module does not know, '{field.Name}' = {Clip(field.Value.GetRawText())}; rows it counts may not have been imported as given. Check the import in CommCare (Data > Import Cases)." });
                                break;
                        }
                    }
                    int reportedRows = errors.SelectMany(e => e.Rows).Distinct().Count();
                    if (next.TooManyMatches > 0)
                        errors.Insert(0, new CCCaseImportError { Title = "Too many matches", Column = import.SearchColumn, Rows = TooManyRows(r),
                            Description = $"{next.TooManyMatches} row(s) matched more than one case and were skipped (not imported). Make the ids unique in CommCare, then import those rows again." });
                    int accounted = (next.MatchCount ?? 0) + (next.CreatedCount ?? 0) + (next.TooManyMatches ?? 0) + reportedRows;
                    if (next.State == CCCaseImportState.Completed && import.RowCount is int total && accounted < total && !errors.Any(e => e.Rows.Count == 0))
                        errors.Add(new CCCaseImportError { Title = "Rows not accounted for",
                            Description = $"{total - accounted} of {total} row(s) were neither updated, created nor reported with an error: no case matched them (and -CreateNewCases was not given), or CommCare skipped them without saying why." });
                    next.Errors = errors;
                }
            }
            catch (JsonException ex)
            {
                throw new CCApiException(CCErrorKind.BadResponse, "CommCare's import status was not the expected JSON: " + ex.Message, inner: ex);
            }
            return next;
        }

        /// <summary>too_many_matches and the other spellings of it (tooManyMatches, too-many-matches, multiple_matches).</summary>
        internal static bool IsTooManyMatches(string name)
        {
            string n = new string(name.Where(char.IsLetter).ToArray()).ToLowerInvariant();
            return n == "toomanymatches" || n == "multiplematches";
        }

        // A count, or a list of the rows it counts.
        private static int? Count(JsonElement v)
            => v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n) ? n : v.ValueKind == JsonValueKind.Array ? v.GetArrayLength() : (int?)null;

        private static IReadOnlyList<int> TooManyRows(JsonElement result)
        {
            foreach (var f in result.EnumerateObject()) if (IsTooManyMatches(f.Name)) return Rows(result, f.Name);
            return Array.Empty<int>();
        }

        private static IReadOnlyList<int> Rows(JsonElement o, string name)
        {
            var rows = new List<int>();
            if (o.TryGetProperty(name, out var rs) && rs.ValueKind == JsonValueKind.Array)
                foreach (var x in rs.EnumerateArray()) if (x.ValueKind == JsonValueKind.Number && x.TryGetInt32(out int n)) rows.Add(n);
            return rows;
        }

        private static bool IsEmpty(JsonElement v)
            => v.ValueKind == JsonValueKind.Null || v.ValueKind == JsonValueKind.False
               || (v.ValueKind == JsonValueKind.Number && v.GetDouble() == 0)
               || (v.ValueKind == JsonValueKind.String && v.GetString()!.Length == 0)
               || (v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 0)
               || (v.ValueKind == JsonValueKind.Object && !v.EnumerateObject().Any());

        private static string Clip(string raw) => raw.Length <= 200 ? raw : raw.Substring(0, 200) + "...";

        private static int? Int(JsonElement o, string name)
            => o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : (int?)null;

        private static string? Str(JsonElement o, string name)
            => o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }
}
