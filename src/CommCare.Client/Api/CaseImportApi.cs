using CommCare.Models;
using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using CommCare.Client.Excel;
using CommCare.Client.Http;
using CommCare.Client.Json;

namespace CommCare.Client.Api
{
    /// <summary>Options of the bulk case upload (72-bulk-case-upload.md §2).</summary>
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
            if (string.IsNullOrEmpty(statusUrl))
                throw new CCApiException(CCErrorKind.OutcomeUnknown, "CommCare accepted the upload but sent no status_url; check the import history in CommCare before uploading again.");
            return new CCCaseImport { StatusUrl = statusUrl!, State = CCCaseImportState.Queued, CaseType = o.CaseType, FileName = fileName };
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
                // Validation failures come back as 500 with {"code": 500, "message": "..."}: the upload was refused, not a server fault.
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
            var next = new CCCaseImport { StatusUrl = import.StatusUrl, CaseType = import.CaseType, FileName = import.FileName, RowCount = import.RowCount };
            try
            {
                using var doc = JsonDocument.Parse(text);
                var root = doc.RootElement;
                if (root.TryGetProperty("state", out var st) && st.ValueKind == JsonValueKind.Number)
                    next.State = (CCCaseImportState)Math.Max(0, Math.Min(3, st.GetInt32()));
                if (root.TryGetProperty("progress", out var p) && p.ValueKind == JsonValueKind.Object && p.TryGetProperty("percent", out var pc) && pc.ValueKind == JsonValueKind.Number)
                    next.PercentComplete = (int)pc.GetDouble();
                if (root.TryGetProperty("result", out var r) && r.ValueKind == JsonValueKind.Object)
                {
                    next.MatchCount = Int(r, "match_count");
                    next.CreatedCount = Int(r, "created_count");
                    next.NumChunks = Int(r, "num_chunks");
                    next.TooManyMatches = Int(r, "too_many_matches");
                    var errors = new List<CCCaseImportError>();
                    if (r.TryGetProperty("errors", out var es) && es.ValueKind == JsonValueKind.Array)
                        foreach (var e in es.EnumerateArray())
                        {
                            var rows = new List<int>();
                            if (e.TryGetProperty("rows", out var rs) && rs.ValueKind == JsonValueKind.Array)
                                foreach (var x in rs.EnumerateArray()) if (x.ValueKind == JsonValueKind.Number) rows.Add(x.GetInt32());
                            errors.Add(new CCCaseImportError { Title = Str(e, "title") ?? "Error", Description = Str(e, "description"), Column = Str(e, "column"), Rows = rows });
                        }
                    next.Errors = errors;
                }
            }
            catch (JsonException ex)
            {
                throw new CCApiException(CCErrorKind.BadResponse, "CommCare's import status was not the expected JSON: " + ex.Message, inner: ex);
            }
            return next;
        }

        private static int? Int(JsonElement o, string name)
            => o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : (int?)null;

        private static string? Str(JsonElement o, string name)
            => o.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
    }
}
