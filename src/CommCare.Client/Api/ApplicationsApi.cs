using CommCare.Models;
using System;
using CommCare.Client.Http;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;
using CommCare.Client.Json;
using CommCare.Client.Paging;

namespace CommCare.Client.Api
{
    /// <summary>Application structure and .ccz downloads (docs/commcare-api.md#applications).</summary>
    public sealed class ApplicationsApi
    {
        private readonly CommCareClient _c;
        internal ApplicationsApi(CommCareClient c) => _c = c;

        /// <summary>Every current application (not paged by the server; remote apps are not listed).</summary>
        public IReadOnlyList<CCApplication> List()
            => PageFetcher.FetchAsync(_c.Engine, _c.DomainApi("application"), ApplicationParser.Read, _c.Sink, _c.Token).WaitPumping(_c.Sink).Items;

        /// <summary>An application or a build by id; null when there is none.</summary>
        public CCApplication? Get(string id)
            => PageFetcher.FetchOneAsync(_c.Engine, new Uri(_c.DomainApi("application"), QueryString.Segment(id) + "/"), ApplicationParser.Read, _c.Sink, _c.Token).WaitPumping(_c.Sink);

        /// <summary>
        /// The structure of every build too, for exports whose columns must cover forms submitted from any
        /// build: the working copies first (one, or all), then each one's builds, newest first, fetched only for
        /// apps <paramref name="wanted"/> accepts (those that have the form or case types asked for).
        /// </summary>
        public IReadOnlyList<CCApplication> WithBuilds(string? appId, Func<CCApplication, bool> wanted, Action<string>? progress = null)
        {
            IReadOnlyList<CCApplication> apps = appId == null ? List()
                : new[] { Get(appId) ?? throw new CCApiException(CCErrorKind.NotFound, $"-AppId: application '{appId}' was not found in project space '{_c.Session.Domain}'; list them with Get-CCApplication.") };
            var all = new List<CCApplication>(apps);
            foreach (var app in apps)
            {
                if (!wanted(app)) continue;
                var builds = new List<CCAppVersion>(app.Versions);
                builds.Sort((a, b) => (b.Version ?? 0).CompareTo(a.Version ?? 0));
                foreach (var v in builds)
                {
                    if (string.IsNullOrEmpty(v.Id) || v.Id == app.Id) continue;
                    progress?.Invoke($"{app.Name} build {v.Version}");
                    var b = Get(v.Id);
                    if (b != null) all.Add(b);
                }
            }
            return all;
        }

        /// <summary>The .ccz download URL: the working copy, a build number, or the latest release/build.</summary>
        public Uri CczUri(string appId, int? version, string? latest, bool includeMultimedia)
        {
            var q = new QueryString().Add("app_id", appId);
            if (version.HasValue) q.Add("version", version.Value.ToString(CultureInfo.InvariantCulture));
            if (latest != null) q.Add("latest", latest);
            if (includeMultimedia) q.Add("include_multimedia", "true");
            return new Uri(new Uri(_c.Session.Server, "a/" + QueryString.Segment(_c.Session.Domain) + "/apps/api/download_ccz/"), q.ToString());
        }

    }

    /// <summary>Filters of the messaging event list.</summary>
    public sealed class MessagingQuery
    {
        public DateTime? DateStart { get; set; }
        public DateTime? DateEnd { get; set; }
        public DateTime? LastActivityStart { get; set; }
        public DateTime? LastActivityEnd { get; set; }
        public IList<string>? Source { get; set; }
        public IList<string>? ContentType { get; set; }
        public string? Status { get; set; }
        public string? ErrorCode { get; set; }
        public string? CaseId { get; set; }
        public string? PhoneNumber { get; set; }
        public string? EmailAddress { get; set; }
        public bool Descending { get; set; }
        public int PageSize { get; set; } = 1000;
    }

    /// <summary>Messaging events with their cursor paging (docs/commcare-api.md#exports-messaging-events-and-audit).</summary>
    public sealed class MessagingApi
    {
        private readonly CommCareClient _c;
        internal MessagingApi(CommCareClient c) => _c = c;

        public CCPagedResult<CCMessagingEvent> List(MessagingQuery query)
        {
            if (query.PageSize < 1 || query.PageSize > 1000) throw new CCApiException(CCErrorKind.InvalidArgument, "PageSize must be between 1 and 1000 for messaging events.");
            var q = new QueryString();
            Range(q, "date", query.DateStart, query.DateEnd);
            Range(q, "date_last_activity", query.LastActivityStart, query.LastActivityEnd);
            if (query.Source != null && query.Source.Count > 0) q.Add("source", string.Join(",", query.Source));
            if (query.ContentType != null && query.ContentType.Count > 0) q.Add("content_type", string.Join(",", query.ContentType));
            q.Add("status", query.Status).Add("error_code", query.ErrorCode).Add("case_id", query.CaseId).Add("phone_number", query.PhoneNumber).Add("email_address", query.EmailAddress);
            if (query.Descending) q.Add("order_by", "-date_last_activity");
            q.Add("limit", query.PageSize.ToString(CultureInfo.InvariantCulture));
            var first = new Uri(_c.DomainApiPath("messaging-event/v1/"), q.ToString());
            // Paging by date_last_activity may repeat events (docs/commcare-api.md U26): de-duplicated by id.
            return _c.Pages(() => new DedupingWalker<CCMessagingEvent>(new OffsetWalker<CCMessagingEvent>(first), e => e.Id.ToString(CultureInfo.InvariantCulture)), MessagingEventParser.Read);
        }

        private static void Range(QueryString q, string field, DateTime? start, DateTime? end)
        {
            if (start.HasValue && end.HasValue && IsoDate.ToUtc(start.Value) > IsoDate.ToUtc(end.Value))
                throw new CCApiException(CCErrorKind.InvalidArgument, $"The {field} range is empty: its start is after its end.");
            // Naive UTC: the server compares without converting (USE_TZ = False).
            if (start.HasValue) q.Add(field + ".gte", IsoDate.ToUtc(start.Value).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture));
            if (end.HasValue) q.Add(field + ".lte", IsoDate.ToUtc(end.Value).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture));
        }

    }
}
