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
            => PageFetcher.FetchAsync(_c.Engine, _c.DomainApi("application"), Read, _c.Sink, _c.Token).WaitPumping(_c.Sink).Items;

        /// <summary>An application or a build by id; null when there is none.</summary>
        public CCApplication? Get(string id)
            => PageFetcher.FetchOneAsync(_c.Engine, new Uri(_c.DomainApi("application"), QueryString.Segment(id) + "/"), Read, _c.Sink, _c.Token).WaitPumping(_c.Sink);

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

        internal static CCApplication Read(ref Utf8JsonReader r)
        {
            var o = JsonValue.ReadObject(ref r);
            var app = new CCApplication
            {
                Id = JsonValue.Str(o, "id") ?? "",
                Name = JsonValue.Str(o, "name"),
                Version = JsonValue.Int(o, "version"),
                IsReleased = JsonValue.Bool(o, "is_released"),
                BuiltOn = JsonValue.Date(o, "built_on"),
                BuildComment = JsonValue.Str(o, "build_comment"),
                BuiltFromAppId = JsonValue.Str(o, "built_from_app_id"),
            };
            var modules = new List<CCAppModule>();
            var caseTypes = new List<string>();
            if (o.TryGetValue("modules", out var ml) && ml is List<object?> ms)
                foreach (var m in ms)
                {
                    if (!(m is Dictionary<string, object?> md)) continue;
                    var mod = new CCAppModule { Error = JsonValue.Str(md, "error"), CaseType = JsonValue.Str(md, "case_type"), UniqueId = JsonValue.Str(md, "unique_id"), CaseProperties = JsonValue.Strings(md, "case_properties") };
                    (mod.Name, mod.DisplayName) = Names(md);
                    if (!string.IsNullOrEmpty(mod.CaseType) && !caseTypes.Contains(mod.CaseType!)) caseTypes.Add(mod.CaseType!);
                    var forms = new List<CCAppForm>();
                    if (md.TryGetValue("forms", out var fl) && fl is List<object?> fs)
                        foreach (var f in fs)
                        {
                            if (!(f is Dictionary<string, object?> fd)) continue;
                            var form = new CCAppForm { Xmlns = JsonValue.Str(fd, "xmlns"), UniqueId = JsonValue.Str(fd, "unique_id") };
                            (form.Name, form.DisplayName) = Names(fd);
                            var questions = new List<CCAppQuestion>();
                            if (fd.TryGetValue("questions", out var ql) && ql is List<object?> qs)
                                foreach (var q in qs) if (q is Dictionary<string, object?> qd) questions.Add(Question(qd));
                            form.Questions = questions;
                            forms.Add(form);
                        }
                    mod.Forms = forms;
                    modules.Add(mod);
                }
            app.Modules = modules;
            app.CaseTypes = caseTypes;
            var versions = new List<CCAppVersion>();
            if (o.TryGetValue("versions", out var vl) && vl is List<object?> vs)
                foreach (var v in vs)
                    if (v is Dictionary<string, object?> vd)
                        versions.Add(new CCAppVersion { Id = JsonValue.Str(vd, "id") ?? "", Version = JsonValue.Int(vd, "version"), IsReleased = JsonValue.Bool(vd, "is_released"), BuiltOn = JsonValue.Date(vd, "built_on"), BuildComment = JsonValue.Str(vd, "build_comment") });
            app.Versions = versions;
            return app;
        }

        private static readonly HashSet<string> QuestionKeys = new HashSet<string>(StringComparer.Ordinal)
        { "label", "value", "hashtagValue", "type", "tag", "required", "relevant", "constraint", "calculate", "group", "repeat", "options", "translations" };

        private static CCAppQuestion Question(Dictionary<string, object?> q)
        {
            var qq = new CCAppQuestion
            {
                Label = JsonValue.Str(q, "label"), Value = JsonValue.Str(q, "value"), HashtagValue = JsonValue.Str(q, "hashtagValue"), Type = JsonValue.Str(q, "type"), Tag = JsonValue.Str(q, "tag"),
                Required = JsonValue.Bool(q, "required"),
                Relevant = JsonValue.Str(q, "relevant"), Constraint = JsonValue.Str(q, "constraint"), Calculate = JsonValue.Str(q, "calculate"), Group = JsonValue.Str(q, "group"), Repeat = JsonValue.Str(q, "repeat"),
            };
            var options = new List<CCAppQuestionOption>();
            if (q.TryGetValue("options", out var ol) && ol is List<object?> os)
                foreach (var opt in os) if (opt is Dictionary<string, object?> od) options.Add(new CCAppQuestionOption { Label = JsonValue.Str(od, "label"), Value = JsonValue.Str(od, "value") });
            qq.Options = options;
            if (q.TryGetValue("translations", out var tr) && tr is Dictionary<string, object?> td) foreach (var kv in td) qq.Translations[kv.Key] = kv.Value as string;
            foreach (var kv in q)
                if (!QuestionKeys.Contains(kv.Key)) (qq.AdditionalFields ??= new Dictionary<string, object?>(StringComparer.Ordinal))[kv.Key] = kv.Value;
            return qq;
        }

        private static (IDictionary<string, string?>, string?) Names(Dictionary<string, object?> o)
        {
            var names = new Dictionary<string, string?>(StringComparer.Ordinal);
            string? display = null;
            if (o.TryGetValue("name", out var n))
            {
                if (n is Dictionary<string, object?> nd) foreach (var kv in nd) names[kv.Key] = kv.Value as string;
                else if (n is string ns) { names[""] = ns; display = ns; }
            }
            if (display == null) display = names.TryGetValue("en", out var en) && en != null ? en : First(names);
            return (names, display);
        }

        private static string? First(Dictionary<string, string?> d) { foreach (var kv in d) return kv.Value; return null; }
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
            return _c.Pages(() => new DedupingWalker<CCMessagingEvent>(new OffsetWalker<CCMessagingEvent>(first), e => e.Id.ToString(CultureInfo.InvariantCulture)), Read);
        }

        private static void Range(QueryString q, string field, DateTime? start, DateTime? end)
        {
            if (start.HasValue && end.HasValue && IsoDate.ToUtc(start.Value) > IsoDate.ToUtc(end.Value))
                throw new CCApiException(CCErrorKind.InvalidArgument, $"The {field} range is empty: its start is after its end.");
            // Naive UTC: the server compares without converting (USE_TZ = False).
            if (start.HasValue) q.Add(field + ".gte", IsoDate.ToUtc(start.Value).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture));
            if (end.HasValue) q.Add(field + ".lte", IsoDate.ToUtc(end.Value).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture));
        }

        internal static CCMessagingEvent Read(ref Utf8JsonReader r)
        {
            var o = JsonValue.ReadObject(ref r);
            var e = new CCMessagingEvent
            {
                Id = o.TryGetValue("id", out var id) && id is long l ? l : 0,
                ContentType = JsonValue.Str(o, "content_type"),
                Date = JsonValue.Date(o, "date"),
                DateLastActivity = JsonValue.Date(o, "date_last_activity"),
                CaseId = JsonValue.Str(o, "case_id"),
                Domain = JsonValue.Str(o, "domain"),
                Status = JsonValue.Str(o, "status"),
                Error = o.TryGetValue("error", out var er) ? er as Dictionary<string, object?> : null,
                Form = o.TryGetValue("form", out var fo) ? fo as Dictionary<string, object?> : null,
                Recipient = o.TryGetValue("recipient", out var rc) ? rc as Dictionary<string, object?> : null,
                Source = o.TryGetValue("source", out var so) ? so as Dictionary<string, object?> : null,
            };
            var messages = new List<IDictionary<string, object?>>();
            if (o.TryGetValue("messages", out var ml) && ml is List<object?> ms) foreach (var m in ms) if (m is Dictionary<string, object?> md) messages.Add(md);
            e.Messages = messages;
            return e;
        }
    }
}
