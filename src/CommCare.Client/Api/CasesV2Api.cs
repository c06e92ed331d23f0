using CommCare.Models;
using System;
using CommCare.Client.Http;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CommCare.Client.Json;
using CommCare.Client.Paging;

namespace CommCare.Client.Api
{
    /// <summary>An inclusive range over one of the Case API v2 date fields.</summary>
    public sealed class CaseDateRange
    {
        public CaseDateRange(DateTime? start, DateTime? end) { Start = start; End = end; }
        public DateTime? Start { get; }
        public DateTime? End { get; }
    }

    /// <summary>Filters of the Case API v2 list (docs/commcare-api.md#case-api-v2). Several values of one filter are OR-ed.</summary>
    public sealed class CaseV2Query
    {
        public IList<string>? CaseType { get; set; }
        public IList<string>? OwnerId { get; set; }
        public IList<string>? ExternalId { get; set; }
        public IList<string>? Name { get; set; }
        public bool? Closed { get; set; }
        public bool IncludeDeprecated { get; set; }
        /// <summary>properties.{name}={value}: exact, case-sensitive; "" matches missing or empty.</summary>
        public IDictionary<string, string>? Properties { get; set; }
        /// <summary>indices.{identifier}={case id}: cases with that index (children: parent = id).</summary>
        public IDictionary<string, string>? Indices { get; set; }
        public CaseDateRange? LastModified { get; set; }
        public CaseDateRange? ServerLastModified { get; set; }
        public CaseDateRange? DateOpened { get; set; }
        public CaseDateRange? DateClosed { get; set; }
        public CaseDateRange? IndexedOn { get; set; }
        /// <summary>A case-search XPath expression, e.g. age > 40 and district = "north".</summary>
        public string? Query { get; set; }
        public int PageSize { get; set; } = CasesApi.DefaultPageSize;
    }

    /// <summary>One answer of a bulk fetch: the case, or the id that was not found.</summary>
    public sealed class CaseFetchResult
    {
        internal CaseFetchResult(CCCase? found, string? missingId, bool byExternalId, string? error)
        { Case = found; MissingId = missingId; ByExternalId = byExternalId; Error = error; }
        public CCCase? Case { get; }
        public string? MissingId { get; }
        public bool ByExternalId { get; }
        public string? Error { get; }
    }

    /// <summary>Case API v2: cursor-paged reads, bulk fetch, and batched writes (docs/commcare-api.md#case-api-v2).</summary>
    public sealed class CasesV2Api
    {
        /// <summary>CASEBLOCK_CHUNKSIZE: the most changes one request may carry.</summary>
        public const int MaxBatch = 100;
        public const int MaxFetch = 5000;
        public const int MaxFieldLength = 255;

        private static readonly string[] ReservedProperties = { "case_id", "case_name", "case_type", "owner_id", "external_id", "user_id", "create", "close", "indices", "properties", "temporary_id" };
        private static readonly Regex RowError = new Regex(@"Error in row (\d+): (.*?)(?=; Error in row \d+: |$)", RegexOptions.Singleline | RegexOptions.CultureInvariant);

        private readonly CommCareClient _c;
        internal CasesV2Api(CommCareClient c) => _c = c;

        private Uri Root => _c.DomainApiPath("case/v2/");

        // ---------------------------------------------------------------- reads

        public CCPagedResult<CCCase> List(CaseV2Query query)
        {
            if (query.PageSize < 1 || query.PageSize > CasesApi.MaxPageSize)
                throw new CCApiException(CCErrorKind.InvalidArgument, $"PageSize must be between 1 and {CasesApi.MaxPageSize} for cases (the server's maximum).");
            var q = Filters(query);
            q.Add("limit", query.PageSize.ToString(CultureInfo.InvariantCulture));
            var first = new Uri(Root, q.ToString());
            // The cursor is keyset paging on (indexed_on, case_id): no gaps or repeats for unchanged data. The next URL is followed as given (docs/commcare-api.md U12).
            return _c.Pages(first, CaseV2Parser.Read, PageShape.CaseV2);
        }

        internal static QueryString Filters(CaseV2Query query)
        {
            var q = new QueryString();
            AddAll(q, "case_type", query.CaseType);
            AddAll(q, "owner_id", query.OwnerId);
            AddAll(q, "external_id", query.ExternalId);
            AddAll(q, "case_name", query.Name);
            if (query.Closed.HasValue) q.Add("closed", query.Closed.Value ? "true" : "false");
            if (query.IncludeDeprecated) q.Add("include_deprecated", "true");
            if (query.Properties != null)
                foreach (var kv in query.Properties)
                {
                    if (!IsXmlName(kv.Key)) throw new CCApiException(CCErrorKind.InvalidArgument, $"'{kv.Key}' is not a case property name (letters, digits, '_', '-', '.'; not starting with a digit).");
                    q.Add("properties." + kv.Key, kv.Value ?? "");
                }
            if (query.Indices != null)
                foreach (var kv in query.Indices)
                {
                    if (!IsXmlName(kv.Key)) throw new CCApiException(CCErrorKind.InvalidArgument, $"'{kv.Key}' is not an index identifier (such as parent or host).");
                    if (string.IsNullOrEmpty(kv.Value)) throw new CCApiException(CCErrorKind.InvalidArgument, $"The index '{kv.Key}' needs the id of the case it points to.");
                    q.Add("indices." + kv.Key, kv.Value);
                }
            Range(q, "last_modified", query.LastModified);
            Range(q, "server_last_modified", query.ServerLastModified);
            Range(q, "date_opened", query.DateOpened);
            Range(q, "date_closed", query.DateClosed);
            Range(q, "indexed_on", query.IndexedOn);
            if (!string.IsNullOrWhiteSpace(query.Query)) q.Add("query", query.Query);
            return q;
        }

        private static void AddAll(QueryString q, string name, IList<string>? values)
        {
            if (values == null) return;
            foreach (var v in values) if (v != null) q.Add(name, v);
        }

        private static void Range(QueryString q, string field, CaseDateRange? range)
        {
            if (range == null) return;
            if (range.Start.HasValue && range.End.HasValue && IsoDate.ToUtc(range.Start.Value) > IsoDate.ToUtc(range.End.Value))
                throw new CCApiException(CCErrorKind.InvalidArgument, $"The {field} range is empty: its start ({range.Start:u}) is after its end ({range.End:u}).");
            // Full datetimes, never bare dates: a bare date would switch the server to whole-day semantics.
            if (range.Start.HasValue) q.Add(field + ".gte", IsoDate.ForFilter(range.Start.Value));
            if (range.End.HasValue) q.Add(field + ".lte", IsoDate.ForFilter(range.End.Value));
        }

        /// <summary>One case by id, or null when the project has no such case.</summary>
        public CCCase? Get(string id)
        {
            var uri = new Uri(Root, QueryString.Segment(id));
            return Paging.PageFetcher.FetchOneAsync(_c.Engine, uri, CaseV2Parser.Read, _c.Sink, _c.Token).WaitPumping(_c.Sink);
        }

        /// <summary>Cases by ids and external ids (bulk-fetch, 5,000 a request), in the order asked, ids first.</summary>
        public IReadOnlyList<CaseFetchResult> Fetch(IReadOnlyList<string> caseIds, IReadOnlyList<string> externalIds)
        {
            var results = new List<CaseFetchResult>(caseIds.Count + externalIds.Count);
            // Not ext/{id}: unconfirmed on older servers and with duplicates; bulk fetch returns every match (docs/commcare-api.md U11).
            var uri = new Uri(Root, "bulk-fetch/");
            int i = 0, j = 0;
            while (i < caseIds.Count || j < externalIds.Count)
            {
                int takeIds = Math.Min(caseIds.Count - i, MaxFetch);
                int takeExt = Math.Min(externalIds.Count - j, MaxFetch - takeIds);
                byte[] body;
                using (var ms = new MemoryStream())
                {
                    using (var w = new Utf8JsonWriter(ms))
                    {
                        w.WriteStartObject();
                        w.WriteStartArray("case_ids");
                        for (int k = 0; k < takeIds; k++) w.WriteStringValue(caseIds[i + k]);
                        w.WriteEndArray();
                        w.WriteStartArray("external_ids");
                        for (int k = 0; k < takeExt; k++) w.WriteStringValue(externalIds[j + k]);
                        w.WriteEndArray();
                        w.WriteEndObject();
                    }
                    body = ms.ToArray();
                }
                // A read despite POST: safe to repeat.
                string text = Writes.Send(_c, HttpMethod.Post, uri, body, safeToRepeat: true);
                var cases = ReadCaseList(text, "cases", out _);
                if (cases.Count != takeIds + takeExt)
                    throw new CCApiException(CCErrorKind.BadResponse, $"CommCare answered a bulk fetch of {takeIds + takeExt} cases with {cases.Count} entries.");
                for (int k = 0; k < cases.Count; k++)
                {
                    bool byExt = k >= takeIds;
                    string asked = byExt ? externalIds[j + k - takeIds] : caseIds[i + k];
                    var (found, error) = cases[k];
                    results.Add(error != null ? new CaseFetchResult(null, asked, byExt, error) : new CaseFetchResult(found, null, byExt, null));
                }
                i += takeIds; j += takeExt;
            }
            return results;
        }

        private static List<(CCCase Case, string? Error)> ReadCaseList(string text, string key, out string? formId)
        {
            formId = null;
            var list = new List<(CCCase, string?)>();
            try
            {
                var r = new Utf8JsonReader(Encoding.UTF8.GetBytes(text));
                if (!r.Read() || r.TokenType != JsonTokenType.StartObject) throw new JsonException("The answer is not a JSON object.");
                bool saw = false;
                while (r.Read() && r.TokenType != JsonTokenType.EndObject)
                {
                    string name = r.GetString()!;
                    r.Read();
                    if (name == key && r.TokenType == JsonTokenType.StartArray)
                    {
                        saw = true;
                        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
                        {
                            var c = CaseV2Parser.Read(ref r, out var error);
                            list.Add((c, error));
                        }
                    }
                    else if (name == key && r.TokenType == JsonTokenType.StartObject)
                    {
                        saw = true;
                        var c = CaseV2Parser.Read(ref r, out var error);
                        list.Add((c, error));
                    }
                    else if (name == "form_id") formId = JsonValue.ReadString(ref r);
                    else r.Skip();
                }
                if (!saw) throw new JsonException($"The answer has no \"{key}\".");
            }
            catch (JsonException ex)
            {
                throw new CCApiException(CCErrorKind.BadResponse, "CommCare's answer to a case request was not the expected JSON: " + ex.Message, inner: ex);
            }
            return list;
        }

        // ---------------------------------------------------------------- writes

        /// <summary>Why a change cannot be sent, naming the cmdlet parameter to fix; null when it can.</summary>
        public static string? Problem(CCCaseChange c, out string parameter)
        {
            parameter = "";
            switch (c.Mode)
            {
                case CCCaseWriteMode.Create:
                    if (!string.IsNullOrEmpty(c.CaseId)) { parameter = "CaseId"; return "a new case cannot be given a case id; CommCare makes one (use -ExternalId for your own key)."; }
                    if (string.IsNullOrWhiteSpace(c.CaseType)) { parameter = "CaseType"; return "a new case needs a case type."; }
                    if (string.IsNullOrWhiteSpace(c.CaseName)) { parameter = "Name"; return "a new case needs a name."; }
                    if (string.IsNullOrWhiteSpace(c.OwnerId)) { parameter = "OwnerId"; return "a new case needs an owner (a mobile worker, case-sharing group or location id)."; }
                    break;
                case CCCaseWriteMode.Update:
                    if (string.IsNullOrWhiteSpace(c.CaseId) && string.IsNullOrWhiteSpace(c.ExternalId)) { parameter = "CaseId"; return "give the case id (or -ExternalId) of the case to change."; }
                    break;
                case CCCaseWriteMode.Upsert:
                    if (string.IsNullOrWhiteSpace(c.ExternalId)) { parameter = "ExternalId"; return "-Upsert finds the case by its external id: give -ExternalId."; }
                    break;
            }
            if (c.Mode != CCCaseWriteMode.Create && !string.IsNullOrEmpty(c.TemporaryId)) { parameter = "TemporaryId"; return "a temporary id names a case being created; it cannot be given to an update."; }
            string? p = Long(c.CaseType, "CaseType") ?? Long(c.CaseName, "Name") ?? Long(c.OwnerId, "OwnerId") ?? Long(c.ExternalId, "ExternalId");
            if (p != null) { parameter = p; return $"is longer than {MaxFieldLength} characters, the server's limit."; }
            foreach (var kv in new[] { ("CaseType", c.CaseType), ("Name", c.CaseName), ("OwnerId", c.OwnerId), ("ExternalId", c.ExternalId), ("CaseId", c.CaseId) })
                if (kv.Item2 != null && !IsXmlText(kv.Item2)) { parameter = kv.Item1; return "contains a control character that cannot be stored in a case."; }
            foreach (var kv in c.Properties)
            {
                parameter = "Property";
                if (!IsXmlName(kv.Key)) return $"'{kv.Key}' is not a valid case property name: use letters, digits, '_', '-' or '.', starting with a letter or '_'.";
                if (Array.IndexOf(ReservedProperties, kv.Key) >= 0) return $"'{kv.Key}' is set with its own parameter (case_name: -Name, case_type: -CaseType, owner_id: -OwnerId, external_id: -ExternalId), not as a property.";
                if (kv.Value == null) return $"the value of '{kv.Key}' is null; use '' to empty a property.";
                if (!IsXmlText(kv.Value)) return $"the value of '{kv.Key}' contains a control character that cannot be stored in a case.";
            }
            foreach (var kv in c.Indices)
            {
                parameter = "Index";
                if (!IsXmlName(kv.Key)) return $"'{kv.Key}' is not a valid index identifier (such as parent or host).";
                var ix = kv.Value;
                int refs = (string.IsNullOrEmpty(ix.CaseId) ? 0 : 1) + (string.IsNullOrEmpty(ix.ExternalId) ? 0 : 1) + (string.IsNullOrEmpty(ix.TemporaryId) ? 0 : 1);
                if (refs > 1) return $"the index '{kv.Key}' names its case more than one way; give one of case_id, external_id or temporary_id.";
                if (refs == 1 && string.IsNullOrWhiteSpace(ix.CaseType)) return $"the index '{kv.Key}' needs the case type of the case it points to (case_type).";
                if (ix.Relationship != "child" && ix.Relationship != "extension") return $"the index '{kv.Key}' has relationship '{ix.Relationship}'; use child or extension.";
            }
            parameter = "";
            return null;
        }

        private static string? Long(string? v, string name) => v != null && v.Length > MaxFieldLength ? name : null;

        internal static bool IsXmlName(string? name)
        {
            if (string.IsNullOrEmpty(name)) return false;
            try { System.Xml.XmlConvert.VerifyNCName(name); }
            catch (System.Xml.XmlException) { return false; }
            return !name!.StartsWith("xml", StringComparison.OrdinalIgnoreCase);
        }

        internal static bool IsXmlText(string s)
        {
            foreach (char ch in s)
                if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') return false;
            return true;
        }

        /// <summary>
        /// Writes up to <see cref="MaxBatch"/> changes in one request (more are sent in several). The API is
        /// all-or-nothing per request, so rows it rejects are reported as those rows' errors and the rest are
        /// sent again; a rejection that names no row is narrowed down by halving the batch. A batch with
        /// creates is never repeated blindly: when its answer is lost, creates that have an external id are
        /// sent again as upserts (which find the case the first attempt made), and creates without one are
        /// reported as OutcomeUnknown rather than risk a second copy.
        /// temporaryIds maps temporary ids to the case ids made for them in earlier calls (kept by the caller
        /// across batches); it is updated here.
        /// </summary>
        public IReadOnlyList<CCCaseWriteResult> Write(IReadOnlyList<CCCaseChange> changes, IDictionary<string, string> temporaryIds)
        {
            var results = new CCCaseWriteResult?[changes.Count];
            for (int start = 0; start < changes.Count; start += MaxBatch)
            {
                var idx = new List<int>();
                for (int k = start; k < Math.Min(changes.Count, start + MaxBatch); k++)
                {
                    var problem = Problem(changes[k], out var parameter);
                    if (problem != null) results[k] = new CCCaseWriteResult(k, null, new CCApiException(CCErrorKind.InvalidArgument, $"-{parameter}: {problem}"));
                    else idx.Add(k);
                }
                Send(changes, idx, results, temporaryIds, asUpsert: null);
            }
            var list = new List<CCCaseWriteResult>(changes.Count);
            for (int k = 0; k < results.Length; k++) list.Add(results[k] ?? new CCCaseWriteResult(k, null, new CCApiException(CCErrorKind.BadResponse, "CommCare gave no answer for this case.")));
            return list;
        }

        private void Send(IReadOnlyList<CCCaseChange> changes, List<int> idx, CCCaseWriteResult?[] results, IDictionary<string, string> tempIds, HashSet<int>? asUpsert)
        {
            if (idx.Count == 0) return;
            _c.Token.ThrowIfCancellationRequested();
            bool hasCreate = false;
            foreach (int k in idx) if (changes[k].Mode == CCCaseWriteMode.Create && (asUpsert == null || !asUpsert.Contains(k))) hasCreate = true;
            byte[] body = Serialize(changes, idx, tempIds, asUpsert);
            string text;
            try
            {
                // Updates and upserts are safe to repeat (the pipeline retries them); a batch with creates is not.
                text = Writes.Send(_c, hasCreate ? HttpMethod.Post : HttpMethod.Put, Root, body, safeToRepeat: !hasCreate);
            }
            catch (CCApiException ex) when (ex.Kind == CCErrorKind.BadRequest && ex.StatusCode == System.Net.HttpStatusCode.BadRequest)
            {
                var rows = ParseRowErrors(ex.ServerMessage);
                var failed = new HashSet<int>();
                foreach (var (row, message) in rows)
                {
                    if (row < 1 || row > idx.Count) continue;
                    int k = idx[row - 1];
                    if (failed.Add(k)) results[k] = new CCCaseWriteResult(k, null, new CCApiException(CCErrorKind.BadRequest, message, ex.StatusCode, message, ex.RequestPath));
                }
                if (failed.Count > 0)
                {
                    Send(changes, idx.FindAll(k => !failed.Contains(k)), results, tempIds, asUpsert);
                }
                else if (idx.Count == 1)
                {
                    results[idx[0]] = new CCCaseWriteResult(idx[0], null, ex);
                }
                else
                {
                    // A rejection without row numbers (for example case processing): halve until it is one row.
                    int half = idx.Count / 2;
                    Send(changes, idx.GetRange(0, half), results, tempIds, asUpsert);
                    Send(changes, idx.GetRange(half, idx.Count - half), results, tempIds, asUpsert);
                }
                return;
            }
            catch (CCApiException ex) when (hasCreate && MayHaveActed(ex))
            {
                Ambiguous(changes, idx, results, tempIds, ex);
                return;
            }
            catch (CCApiException ex)
            {
                foreach (int k in idx) results[k] = new CCCaseWriteResult(k, null, ex);
                return;
            }

            List<(CCCase Case, string? Error)> cases;
            string? formId;
            try { cases = ReadCaseList(text, "cases", out formId); }
            catch (CCApiException ex) when (hasCreate)
            {
                // A success status with an unreadable body: the server acted, we cannot see what it made.
                Ambiguous(changes, idx, results, tempIds, ex);
                return;
            }
            if (cases.Count != idx.Count)
            {
                var bad = new CCApiException(hasCreate ? CCErrorKind.OutcomeUnknown : CCErrorKind.BadResponse,
                    $"CommCare answered a write of {idx.Count} cases with {cases.Count}; check these cases before writing them again.");
                foreach (int k in idx) results[k] = new CCCaseWriteResult(k, null, bad);
                return;
            }
            for (int n = 0; n < idx.Count; n++)
            {
                int k = idx[n];
                var written = cases[n].Case;
                written.FormId = formId;
                results[k] = new CCCaseWriteResult(k, written, null);
                var tmp = changes[k].TemporaryId;
                if (!string.IsNullOrEmpty(tmp) && !string.IsNullOrEmpty(written.Id)) tempIds[tmp!] = written.Id;
            }
        }

        /// <summary>The answer to a batch with creates was lost (or unreadable): the server may have written all of it.</summary>
        private void Ambiguous(IReadOnlyList<CCCaseChange> changes, List<int> idx, CCCaseWriteResult?[] results, IDictionary<string, string> tempIds, CCApiException cause)
        {
            _c.Sink.Verbose($"The answer to a write of {idx.Count} cases was lost ({cause.Message}); checking before writing again.");
            // Creates with no external id cannot be found again, nor can rows pointing at them by temporary id.
            var unknown = new HashSet<int>();
            foreach (int k in idx)
                if (changes[k].Mode == CCCaseWriteMode.Create && string.IsNullOrEmpty(changes[k].ExternalId)) unknown.Add(k);
            bool grew = true;
            while (grew)
            {
                grew = false;
                foreach (int k in idx)
                {
                    if (unknown.Contains(k)) continue;
                    foreach (var ix in changes[k].Indices.Values)
                    {
                        if (string.IsNullOrEmpty(ix.TemporaryId) || tempIds.ContainsKey(ix.TemporaryId!)) continue;
                        foreach (int t in unknown)
                            if (changes[t].TemporaryId == ix.TemporaryId) { unknown.Add(k); grew = true; break; }
                        if (unknown.Contains(k)) break;
                    }
                }
            }
            foreach (int k in unknown)
                results[k] = new CCCaseWriteResult(k, null, new CCApiException(CCErrorKind.OutcomeUnknown,
                    $"The answer from CommCare was lost ({cause.Message}), so this case may or may not have been created. " +
                    "It was not sent again, to avoid a duplicate: look for it before creating it again. Cases given an external id (-ExternalId) are checked and retried safely.",
                    cause.StatusCode, cause.ServerMessage, cause.RequestPath, cause));
            var again = idx.FindAll(k => !unknown.Contains(k));
            var upsert = new HashSet<int>();
            foreach (int k in again) if (changes[k].Mode == CCCaseWriteMode.Create) upsert.Add(k);
            Send(changes, again, results, tempIds, upsert);
        }

        private static bool MayHaveActed(CCApiException ex)
        {
            switch (ex.Kind)
            {
                case CCErrorKind.Network:
                case CCErrorKind.Timeout:
                case CCErrorKind.BadResponse:
                case CCErrorKind.OutcomeUnknown:
                    return true;
                case CCErrorKind.Server:
                    // 503 is refused before acting (and retried by the pipeline); 500/502/504 may come after the write.
                    return ex.StatusCode != System.Net.HttpStatusCode.ServiceUnavailable;
                default:
                    return false;
            }
        }

        internal static List<(int Row, string Message)> ParseRowErrors(string? message)
        {
            var list = new List<(int, string)>();
            if (string.IsNullOrEmpty(message)) return list;
            foreach (Match m in RowError.Matches(message!))
                if (int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int row))
                    list.Add((row, m.Groups[2].Value.Trim()));
            return list;
        }

        internal static byte[] SerializeForTest(IReadOnlyList<CCCaseChange> changes, HashSet<int>? asUpsert = null, IDictionary<string, string>? temporaryIds = null)
            => Serialize(changes, Enumerable.Range(0, changes.Count).ToList(), temporaryIds ?? new Dictionary<string, string>(), asUpsert);

        private static byte[] Serialize(IReadOnlyList<CCCaseChange> changes, List<int> idx, IDictionary<string, string> tempIds, HashSet<int>? asUpsert)
        {
            // Temporary ids of rows in this request stay temporary ids; those made by earlier requests are now case ids.
            // In an upsert retry the rows are found by external id, so references to them use that.
            var inRequest = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (int k in idx) if (!string.IsNullOrEmpty(changes[k].TemporaryId)) inRequest[changes[k].TemporaryId!] = k;
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms))
            {
                w.WriteStartArray();
                foreach (int k in idx)
                {
                    var c = changes[k];
                    bool upsert = c.Mode == CCCaseWriteMode.Upsert || (asUpsert != null && asUpsert.Contains(k));
                    w.WriteStartObject();
                    if (upsert) w.WriteNull("create");
                    else w.WriteBoolean("create", c.Mode == CCCaseWriteMode.Create);
                    if (c.Mode == CCCaseWriteMode.Update && !string.IsNullOrEmpty(c.CaseId)) w.WriteString("case_id", c.CaseId);
                    if (!string.IsNullOrEmpty(c.ExternalId)) w.WriteString("external_id", c.ExternalId);
                    if (c.CaseType != null) w.WriteString("case_type", c.CaseType);
                    if (c.CaseName != null) w.WriteString("case_name", c.CaseName);
                    if (c.OwnerId != null) w.WriteString("owner_id", c.OwnerId);
                    if (!upsert && c.Mode == CCCaseWriteMode.Create && !string.IsNullOrEmpty(c.TemporaryId)) w.WriteString("temporary_id", c.TemporaryId);
                    if (c.Properties.Count > 0)
                    {
                        w.WriteStartObject("properties");
                        foreach (var kv in c.Properties) w.WriteString(kv.Key, kv.Value);
                        w.WriteEndObject();
                    }
                    if (c.Indices.Count > 0)
                    {
                        w.WriteStartObject("indices");
                        foreach (var kv in c.Indices)
                        {
                            var ix = kv.Value;
                            w.WriteStartObject(kv.Key);
                            if (!string.IsNullOrEmpty(ix.CaseId)) w.WriteString("case_id", ix.CaseId);
                            else if (!string.IsNullOrEmpty(ix.ExternalId)) w.WriteString("external_id", ix.ExternalId);
                            else if (!string.IsNullOrEmpty(ix.TemporaryId))
                            {
                                if (tempIds.TryGetValue(ix.TemporaryId!, out var made)) w.WriteString("case_id", made);
                                else if (asUpsert != null && inRequest.TryGetValue(ix.TemporaryId!, out int t) && asUpsert.Contains(t)) w.WriteString("external_id", changes[t].ExternalId);
                                else w.WriteString("temporary_id", ix.TemporaryId);
                            }
                            if (ix.CaseType != null) w.WriteString("case_type", ix.CaseType);
                            w.WriteString("relationship", ix.Relationship);
                            w.WriteEndObject();
                        }
                        w.WriteEndObject();
                    }
                    if (c.Close) w.WriteBoolean("close", true);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            return ms.ToArray();
        }
    }
}
