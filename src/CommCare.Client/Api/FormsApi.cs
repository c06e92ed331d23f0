using CommCare.Models;
using System;
using CommCare.Client.Http;
using System.Collections.Generic;
using System.Globalization;
using CommCare.Client.Json;
using CommCare.Client.Paging;

namespace CommCare.Client.Api
{
    /// <summary>Filters for the form list (docs/commcare-api.md#forms).</summary>
    public sealed class FormQuery
    {
        public string? Xmlns { get; set; }
        public string? AppId { get; set; }
        public string? CaseId { get; set; }
        public DateTime? ReceivedOnStart { get; set; }
        public DateTime? ReceivedOnEnd { get; set; }
        public DateTime? ServerModifiedOnStart { get; set; }
        public DateTime? ServerModifiedOnEnd { get; set; }
        public DateTime? IndexedOnStart { get; set; }
        public DateTime? IndexedOnEnd { get; set; }
        public bool IncludeArchived { get; set; }
        public bool IncludeCases { get; set; }
        /// <summary>received_on, server_modified_on or indexed_on, '-' for descending. Given: offset paging
        /// in that order (not gap-free). Not given: the gap-free indexed_on walk.</summary>
        public IList<string>? OrderBy { get; set; }
        public int PageSize { get; set; } = FormsApi.DefaultPageSize;
        /// <summary>Resuming: ids at IndexedOnStart that an earlier run delivered (set by OpenCheckpoint).</summary>
        public IList<string>? ResumeSkipIds { get; set; }
    }

    /// <summary>Form API v0.5 / form v1 (read).</summary>
    public sealed class FormsApi
    {
        public const int DefaultPageSize = 1000;
        public const int MaxPageSize = 1000;
        internal static readonly string[] OrderFields = { "received_on", "server_modified_on", "indexed_on" };

        private readonly CommCareClient _c;
        internal FormsApi(CommCareClient c) => _c = c;

        public CCPagedResult<CCForm> List(FormQuery query)
        {
            if (query.PageSize < 1 || query.PageSize > MaxPageSize)
                throw new CCApiException(CCErrorKind.InvalidArgument, $"PageSize must be between 1 and {MaxPageSize} for forms (the server's maximum).");
            var q = Filters(query);
            var baseUri = _c.DomainApi("form");
            if (query.OrderBy != null && query.OrderBy.Count > 0)
            {
                if (query.ResumeSkipIds != null) throw new CCApiException(CCErrorKind.InvalidArgument, "-Checkpoint needs the indexed_on walk: drop -OrderBy.");
                foreach (var o in query.OrderBy)

                {
                    string f = o.StartsWith("-", StringComparison.Ordinal) ? o.Substring(1) : o;
                    if (Array.IndexOf(OrderFields, f) < 0)
                        throw new CCApiException(CCErrorKind.InvalidArgument, $"OrderBy '{o}' is not one the server accepts: use {string.Join(", ", OrderFields)}, with '-' in front for descending.");
                    q.Add("order_by", o);
                }
                CasesApi.AddRange(q, "indexed_on", query.IndexedOnStart, query.IndexedOnEnd);
                q.Add("limit", query.PageSize.ToString(CultureInfo.InvariantCulture));
                var first = new Uri(baseUri, q.ToString());
                return _c.Pages(first, FormParser.Read);
            }
            if (query.IndexedOnStart.HasValue && query.IndexedOnEnd.HasValue && IsoDate.ToUtc(query.IndexedOnStart.Value) > IsoDate.ToUtc(query.IndexedOnEnd.Value))
                throw new CCApiException(CCErrorKind.InvalidArgument, "The indexed_on range is empty: its start is after its end.");
            return _c.Pages(
                () => new IndexedOnWalker<CCForm>(baseUri, q, query.PageSize, query.IndexedOnStart, query.IndexedOnEnd, f => f.Id, f => f.IndexedOn, query.ResumeSkipIds),
                FormParser.Read, lazy: true);
        }

        // Documented filters only: a filter on an arbitrary form field is unconfirmed and could match nothing (docs/commcare-api.md U14).
        private static QueryString Filters(FormQuery query)
        {
            var q = new QueryString();
            q.Add("xmlns", query.Xmlns);
            q.Add("app_id", query.AppId);
            q.Add("case_id", query.CaseId);
            CasesApi.AddRange(q, "received_on", query.ReceivedOnStart, query.ReceivedOnEnd);
            CasesApi.AddRange(q, "server_modified_on", query.ServerModifiedOnStart, query.ServerModifiedOnEnd);
            // Presence-based on the server: even include_archived=false would include them, so send it only when asked.
            if (query.IncludeArchived) q.Add("include_archived", "true");
            if (query.IncludeCases) q.Add("cases__full", "true");
            return q;
        }

        /// <summary>Opens a checkpoint for this query and moves the query to where it stopped.</summary>
        public CCCheckpoint OpenCheckpoint(string path, FormQuery query)
        {
            if (query.OrderBy != null && query.OrderBy.Count > 0) throw new CCApiException(CCErrorKind.InvalidArgument, "-Checkpoint needs the indexed_on walk: drop -OrderBy.");
            var cp = CCCheckpoint.Open(path, CCCheckpoint.Describe(_c.Session, "form", Filters(query), query.IndexedOnStart, query.IndexedOnEnd));
            CCCheckpoint.Apply(cp, query.IndexedOnStart, s => query.IndexedOnStart = s, ids => query.ResumeSkipIds = ids);
            return cp;
        }

        public CCForm? Get(string id, bool includeCases = false)
        {
            var q = new QueryString();
            if (includeCases) q.Add("cases__full", "true");
            var uri = new Uri(_c.DomainApi("form"), QueryString.Segment(id) + "/" + q);
            return PageFetcher.FetchOneAsync(_c.Engine, uri, FormParser.Read, _c.Sink, _c.Token).WaitPumping(_c.Sink);
        }
    }
}
