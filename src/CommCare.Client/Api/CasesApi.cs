using CommCare.Models;
using System;
using CommCare.Client.Http;
using System.Collections.Generic;
using System.Globalization;
using CommCare.Client.Json;
using CommCare.Client.Paging;

namespace CommCare.Client.Api
{
    /// <summary>Filters for the case list (docs/commcare-api.md#case-api-v1).</summary>
    public sealed class CaseQuery
    {
        public string? OwnerId { get; set; }
        public string? UserId { get; set; }
        public string? CaseType { get; set; }
        public bool? Closed { get; set; }
        public string? Name { get; set; }
        public string? ExternalId { get; set; }
        public DateTime? IndexedOnStart { get; set; }
        public DateTime? IndexedOnEnd { get; set; }
        public DateTime? DateModifiedStart { get; set; }
        public DateTime? DateModifiedEnd { get; set; }
        public DateTime? ServerDateModifiedStart { get; set; }
        public DateTime? ServerDateModifiedEnd { get; set; }
        /// <summary>server_date_modified, date_modified or indexed_on, '-' for descending. Given: plain
        /// offset paging in that order (not gap-free). Not given: the gap-free indexed_on walk.</summary>
        public IList<string>? OrderBy { get; set; }
        /// <summary>Other case properties to match exactly (sent as term filters).</summary>
        public IDictionary<string, string>? Properties { get; set; }
        public bool IncludeChildCases { get; set; }
        public bool IncludeParentCases { get; set; }
        public bool IncludeForms { get; set; }
        public int PageSize { get; set; } = CasesApi.DefaultPageSize;
        /// <summary>Resuming: ids at IndexedOnStart that an earlier run delivered (set by OpenCheckpoint).</summary>
        public IList<string>? ResumeSkipIds { get; set; }
    }

    /// <summary>Case Data API v0.5 / case v1 (read).</summary>
    public sealed class CasesApi
    {
        public const int DefaultPageSize = 1000;
        public const int MaxPageSize = 5000;
        internal static readonly string[] OrderFields = { "server_date_modified", "date_modified", "indexed_on" };
        // Names the server treats as paging/format controls or that our typed parameters own.
        internal static readonly HashSet<string> Reserved = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "limit", "offset", "order_by", "q", "format", "api_key", "username", "_search", "cursor",
            "indexed_on_start", "indexed_on_end", "server_date_modified_start", "server_date_modified_end",
            "server_modified_on_start", "server_modified_on_end", "date_modified_start", "date_modified_end",
        };

        private readonly CommCareClient _c;
        internal CasesApi(CommCareClient c) => _c = c;

        public CCPagedResult<CCCase> List(CaseQuery query)
        {
            if (query.PageSize < 1 || query.PageSize > MaxPageSize)
                throw new CCApiException(CCErrorKind.InvalidArgument, $"PageSize must be between 1 and {MaxPageSize} for cases (the server's maximum).");
            var filters = Filters(query);
            var baseUri = _c.DomainApi("case");
            if (query.OrderBy != null && query.OrderBy.Count > 0)
            {
                if (query.ResumeSkipIds != null) throw new CCApiException(CCErrorKind.InvalidArgument, "-Checkpoint needs the indexed_on walk: drop -OrderBy.");
                var q = filters.Clone();
                foreach (var o in query.OrderBy) q.Add("order_by", ValidateOrder(o));
                if (query.IndexedOnStart.HasValue) q.Add("indexed_on_start", IsoDate.ForFilter(query.IndexedOnStart.Value));
                if (query.IndexedOnEnd.HasValue) q.Add("indexed_on_end", IsoDate.ForFilter(query.IndexedOnEnd.Value));
                q.Add("limit", query.PageSize.ToString(CultureInfo.InvariantCulture));
                var first = new Uri(baseUri, q.ToString());
                return _c.Pages(first, CaseParser.Read);
            }
            if (query.IndexedOnStart.HasValue && query.IndexedOnEnd.HasValue && IsoDate.ToUtc(query.IndexedOnStart.Value) > IsoDate.ToUtc(query.IndexedOnEnd.Value))
                throw new CCApiException(CCErrorKind.InvalidArgument, "The indexed_on range is empty: its start is after its end.");
            return _c.Pages(
                () => new IndexedOnWalker<CCCase>(baseUri, filters, query.PageSize, query.IndexedOnStart, query.IndexedOnEnd, c => c.Id, c => c.IndexedOn, query.ResumeSkipIds),
                CaseParser.Read, lazy: true);
        }

        /// <summary>Opens a checkpoint for this query and moves the query to where it stopped.</summary>
        public CCCheckpoint OpenCheckpoint(string path, CaseQuery query)
        {
            if (query.OrderBy != null && query.OrderBy.Count > 0) throw new CCApiException(CCErrorKind.InvalidArgument, "-Checkpoint needs the indexed_on walk: drop -OrderBy.");
            var cp = CCCheckpoint.Open(path, CCCheckpoint.Describe(_c.Session, "case", Filters(query), query.IndexedOnStart, query.IndexedOnEnd));
            CCCheckpoint.Apply(cp, query.IndexedOnStart, s => query.IndexedOnStart = s, ids => query.ResumeSkipIds = ids);
            return cp;
        }

        /// <summary>One case by id, or null when the server has no such case in this project.</summary>
        public CCCase? Get(string id, bool includeChildCases = false, bool includeParentCases = false, bool includeForms = false)
        {
            // One detail call per id: the v1 multi-get is unconfirmed in practice (docs/commcare-api.md U10).
            var q = new QueryString();
            AddIncludes(q, includeChildCases, includeParentCases, includeForms);
            var uri = new Uri(_c.DomainApi("case"), QueryString.Segment(id) + "/" + q);
            return PageFetcher.FetchOneAsync(_c.Engine, uri, CaseParser.Read, _c.Sink, _c.Token).WaitPumping(_c.Sink);
        }

        internal static QueryString Filters(CaseQuery query)
        {
            var q = new QueryString();
            q.Add("owner_id", query.OwnerId);
            q.Add("user_id", query.UserId);
            // The .exact keyword fields: the plain ones are analysed, so "patient-visit", "P-17" or
            // "Mattie Ross" would never match a term filter (docs/commcare-api.md U9).
            q.Add("type.exact", query.CaseType);
            q.Add("name.exact", query.Name);
            q.Add("external_id.exact", query.ExternalId);
            if (query.Closed.HasValue) q.Add("closed", query.Closed.Value ? "true" : "false");
            AddRange(q, "date_modified", query.DateModifiedStart, query.DateModifiedEnd);
            AddRange(q, "server_date_modified", query.ServerDateModifiedStart, query.ServerDateModifiedEnd);
            if (query.Properties != null)
                foreach (var kv in query.Properties)
                {
                    if (string.IsNullOrWhiteSpace(kv.Key) || Reserved.Contains(kv.Key) || kv.Key.EndsWith("__full", StringComparison.OrdinalIgnoreCase))
                        throw new CCApiException(CCErrorKind.InvalidArgument, $"'{kv.Key}' cannot be used as a property filter: it is a reserved parameter name. Use the cmdlet's own parameter instead.");
                    q.Add(kv.Key, kv.Value);
                }
            AddIncludes(q, query.IncludeChildCases, query.IncludeParentCases, query.IncludeForms);
            return q;
        }

        private static void AddIncludes(QueryString q, bool child, bool parent, bool forms)
        {
            if (child) q.Add("child_cases__full", "true");
            if (parent) q.Add("parent_cases__full", "true");
            if (forms) { q.Add("xforms_by_name__full", "true"); q.Add("xforms_by_xmlns__full", "true"); }
        }

        internal static void AddRange(QueryString q, string field, DateTime? start, DateTime? end)
        {
            if (start.HasValue && end.HasValue && IsoDate.ToUtc(start.Value) > IsoDate.ToUtc(end.Value))
                throw new CCApiException(CCErrorKind.InvalidArgument, $"The {field} range is empty: its start ({start:u}) is after its end ({end:u}).");
            if (start.HasValue) q.Add(field + "_start", IsoDate.ForFilter(start.Value));
            if (end.HasValue) q.Add(field + "_end", IsoDate.ForFilter(end.Value));
        }

        private static string ValidateOrder(string o)
        {
            string f = o.StartsWith("-", StringComparison.Ordinal) ? o.Substring(1) : o;
            if (Array.IndexOf(OrderFields, f) < 0)
                throw new CCApiException(CCErrorKind.InvalidArgument, $"OrderBy '{o}' is not one the server accepts: use {string.Join(", ", OrderFields)}, with '-' in front for descending.");
            return o;
        }
    }
}
