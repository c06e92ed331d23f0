using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CommCare.Emulator;

/// <summary>
/// Case API v2 (docs/commcare-api.md#case-api-v2; <c>corehq/apps/hqcase/views.py</c>): list / query with the keyset
/// cursor, single and multiple ids, bulk-fetch, external id; create / update / upsert / close, single and bulk. The cases
/// are the same records the v0.5 case API serves; every write is a form (xmlns <c>http://commcarehq.org/case_api</c>).
/// Bodies are Django <c>JsonResponse</c>s: insertion-ordered keys, <c>ensure_ascii</c>.
/// </summary>
public static partial class CasesV2Api
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 5000;
    public const int MaxUpdates = 100;
    public const string FormXmlns = "http://commcarehq.org/case_api";

    private static readonly string[] Targets = { "external_id", "case_name", "case_id" };

    public static readonly ApiSpec Spec = new("case_v2", AuthMode.FunctionView, "edit_data", Throttled: true)
    {
        Methods = new[] { "GET", "POST", "PUT" },
        SlashOptional = true,
        JsonMethodNotAllowed = true,
        RetryAfter = true,
        CredsInQuery = false,
        TargetKeys = Targets,
    };

    /// <summary>PUT /ext/{external_id}/: the target is the body's naming member, else the URL's external id.</summary>
    public static readonly ApiSpec ExtSpec = Spec with
    {
        TargetOf = static (ctx, body) => Pipeline.TargetOf(body, Targets) ?? ctx.Request.RouteValues["external_id"]?.ToString(),
    };

    /// <summary>bulk-fetch does not check the method (a GET fails on its empty body).</summary>
    public static readonly ApiSpec BulkFetchSpec = Spec with { Methods = new[] { "GET", "POST", "PUT", "PATCH", "DELETE" } };

    public static readonly string[] Prefixes = { "/a/{domain}/api/case/v2", "/a/{domain}/api/v0.6/case" };

    /// <summary>Routing ignores a trailing slash, so each route is mapped once; the spec accepts both forms.</summary>
    public static void Map(WebApplication app, EmulatorState st)
    {
        foreach (var prefix in Prefixes)
        {
            var root = Pipeline.Handle(st, Spec, Guard(ctx => ctx.Http.Request.Method.ToUpperInvariant() switch
            {
                "POST" => Write(ctx, WriteMode.Post, null),
                "PUT" => Write(ctx, WriteMode.Put, null),
                _ => List(ctx),
            }));
            app.Map(prefix + "/", root);
            var bulk = Pipeline.Handle(st, BulkFetchSpec, Guard(BulkFetch));
            app.Map(prefix + "/bulk-fetch/", bulk);
            var ext = Pipeline.Handle(st, ExtSpec, Guard(ctx => ctx.Http.Request.Method.ToUpperInvariant() switch
            {
                "PUT" => Write(ctx, WriteMode.Ext, ctx.Route("external_id")),
                // POST falls through to "create" in HQ; here it is refused (an emulator choice: the module never POSTs to ext/).
                "POST" => ApiResponse.JsonError(405, "Request method not allowed"),
                _ => GetByExternalId(ctx),
            }));
            app.Map(prefix + "/ext/{external_id}/", ext);
            var detail = Pipeline.Handle(st, Spec, Guard(ctx => ctx.Http.Request.Method.ToUpperInvariant() switch
            {
                "PUT" => Write(ctx, WriteMode.PutId, ctx.Route("case_id")),
                "POST" => ApiResponse.JsonError(405, "Request method not allowed"),
                _ => Get(ctx),
            }));
            app.Map(prefix + "/{case_id}/", detail);
        }
    }

    /// <summary>A Case API <c>UserError</c>: 400 <c>{"error": message}</c>.</summary>
    private sealed class UserError(string message) : Exception(message);

    /// <summary>An exception HQ's view does not catch: Django's HTML 500 page.</summary>
    private sealed class Unhandled : Exception;

    private static Func<ApiContext, ApiResponse> Guard(Func<ApiContext, ApiResponse> f) => ctx =>
    {
        try
        {
            return f(ctx);
        }
        catch (UserError e)
        {
            return ApiResponse.JsonError(400, e.Message);
        }
        catch (Unhandled)
        {
            return ApiResponse.HtmlServerError();
        }
    };

    private static PyJsonWriter Writer(int capacity = 4096) => new(capacity) { EnsureAscii = true };

    private static bool IsDeprecated(ApiContext ctx, string caseType) => ctx.State.Config.DeprecatedCaseTypes.Contains(caseType);

    private static void WriteCase(ApiContext ctx, DomainData dd, PyJsonWriter w, CaseRec c, bool es = true)
        => dd.Serializer.WriteCaseV2(w, c, es, es && IsDeprecated(ctx, c.Type), ctx.State.Alt.CaseV2SystemProperties);

    // ================================================================ reads ====

    /// <summary>Python's <c>_to_boolean</c>: false for "" and FALSE_STRINGS, true otherwise.</summary>
    private static bool ToBoolean(string v) => !(v.Length == 0 || v.ToLowerInvariant() is "false" or "f" or "no" or "n" or "off" or "0");

    public static ApiResponse List(ApiContext ctx)
    {
        var dd = ctx.Data.For(ctx.Domain!)!;
        List<KeyValuePair<string, string>> pairs;
        long? afterIndexed = null;
        string? afterId = null;
        if (ctx.Query.Has("cursor"))
        {
            // Everything is in the cursor; the other parameters are ignored.
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(ctx.Query.Get("cursor")!));
            }
            catch (FormatException)
            {
                throw new Unhandled(); // binascii.Error
            }
            var cq = new QueryParams(decoded);
            pairs = new List<KeyValuePair<string, string>>(cq.Pairs);
            var gte = cq.GetList("indexed_on.gte");
            var last = cq.GetList("last_case_id");
            pairs.RemoveAll(kv => kv.Key is "indexed_on.gte" or "last_case_id");
            if (gte.Count > 0)
            {
                if (!CaseXml.TryParseDate(gte[0], out var t)) throw new UserError($"Cannot parse datetime '{gte[0]}'");
                afterIndexed = t;
                afterId = last.Count > 0 ? last[0] : "";
            }
        }
        else
        {
            pairs = new List<KeyValuePair<string, string>>(ctx.Query.Pairs);
        }

        // limit first (popped before the filters), then include_deprecated, then the filters in parameter order
        var limit = DefaultLimit;
        var limits = pairs.Where(kv => kv.Key == "limit").Select(kv => kv.Value).ToList();
        if (limits.Count > 0)
        {
            if (!Paging.TryPyInt(limits[0], out var l) || l < 0) throw new UserError($"'{limits[0]}' is not a valid value for 'limit'");
            if (l > MaxLimit) throw new UserError($"You cannot request more than {MaxLimit} cases per request.");
            limit = (int)l;
        }
        var includeDeprecated = pairs.FirstOrDefault(kv => kv.Key == "include_deprecated") is { Key: not null } inc && ToBoolean(inc.Value);
        var filters = new List<Func<CaseRec, bool>>();
        foreach (var group in pairs.Where(kv => kv.Key is not ("limit" or "include_deprecated"))
                     .GroupBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var alternatives = group.Select(kv => Filter(dd, kv.Key, kv.Value)).ToList();
            filters.Add(alternatives.Count == 1 ? alternatives[0] : c => alternatives.Any(f => f(c)));
        }
        var deprecated = ctx.State.Config.DeprecatedCaseTypes;
        if (!includeDeprecated && deprecated.Count > 0) filters.Add(c => !deprecated.Contains(c.Type));

        // matching records in (indexed_on, case_id) order, from the cursor position
        var cases = dd.Cases;
        var start = 0;
        if (afterIndexed is { } ai)
        {
            int lo = 0, hi = cases.Length;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (cases[mid].IndexedOn < ai) lo = mid + 1;
                else hi = mid;
            }
            start = lo;
        }
        var matches = new List<CaseRec>();
        for (var i = start; i < cases.Length; i++)
        {
            var c = cases[i];
            if (afterIndexed is { } a && c.IndexedOn == a && string.CompareOrdinal(c.Id, afterId) <= 0) continue;
            var ok = true;
            foreach (var f in filters)
            {
                if (f(c)) continue;
                ok = false;
                break;
            }
            if (ok) matches.Add(c);
        }
        var page = new List<CaseRec>(Math.Min(limit, matches.Count));
        var k = 0;
        while (k < matches.Count && page.Count < limit)
        {
            // one run of equal indexed_on, sorted by case id
            var end = k + 1;
            while (end < matches.Count && matches[end].IndexedOn == matches[k].IndexedOn) end++;
            var run = matches.GetRange(k, end - k);
            if (run.Count > 1) run.Sort(static (x, y) => string.CompareOrdinal(x.Id, y.Id));
            foreach (var c in run)
            {
                if (page.Count == limit) break;
                page.Add(c);
            }
            k = end;
        }

        var w = Writer(1024 + page.Count * 900);
        w.BeginObject();
        w.Prop("matching_records", matches.Count);
        w.Key("cases").BeginArray();
        foreach (var c in page) WriteCase(ctx, dd, w, c);
        w.EndArray();
        if (page.Count > 0 && matches.Count > page.Count)
        {
            var lastCase = page[^1];
            var cursorPairs = new List<KeyValuePair<string, string>>(pairs);
            SetPair(cursorPairs, "indexed_on.gte", Dates.ToString(lastCase.IndexedOn, DateStyle.MicroZ));
            SetPair(cursorPairs, "last_case_id", lastCase.Id);
            var sb = new StringBuilder();
            foreach (var kv in cursorPairs)
            {
                if (sb.Length > 0) sb.Append('&');
                QueryParams.QuotePlus(sb, kv.Key);
                sb.Append('=');
                QueryParams.QuotePlus(sb, kv.Value);
            }
            var cursor = Convert.ToBase64String(Encoding.UTF8.GetBytes(sb.ToString()));
            var next = new StringBuilder();
            next.Append(ctx.Http.Request.Scheme).Append("://").Append(ctx.Http.Request.Host.Value)
                .Append("/a/").Append(ctx.Domain).Append("/api/case/v2?cursor=");
            QueryParams.QuotePlus(next, cursor);
            w.Prop("next", next.ToString());
        }
        w.EndObject();
        return ApiResponse.Json(200, w.ToArray());
    }

    /// <summary>Python <c>{**params, key: value}</c>: an existing key keeps its place (its values collapse to one).</summary>
    private static void SetPair(List<KeyValuePair<string, string>> pairs, string key, string value)
    {
        var idx = pairs.FindIndex(kv => kv.Key == key);
        pairs.RemoveAll(kv => kv.Key == key);
        if (idx < 0 || idx > pairs.Count) pairs.Add(new(key, value));
        else pairs.Insert(idx, new(key, value));
    }

    /// <summary><c>_get_filter</c>: one parameter value → a predicate (or a UserError).</summary>
    private static Func<CaseRec, bool> Filter(DomainData dd, string key, string value)
    {
        switch (key)
        {
            case "external_id": return c => c.ExternalId == value;
            case "case_type": return c => c.Type == value;
            case "owner_id": return c => c.OwnerId == value;
            case "case_name": return c => c.Name == value;
            case "closed":
            {
                var closed = ToBoolean(value);
                return c => c.Closed == closed;
            }
            case "query":
                try
                {
                    return CaseQuery.Parse(value);
                }
                catch (CaseQueryException e)
                {
                    throw new UserError("Bad query: " + e.Message);
                }
        }
        var dot = key.IndexOf('.');
        if (dot > 0)
        {
            var prefix = key[..dot];
            var qualifier = key[(dot + 1)..];
            switch (prefix)
            {
                case "properties":
                    return PropertyFilter(qualifier, value);
                case "indices":
                    return c =>
                    {
                        foreach (var ix in c.IndicesIn(dd)) if (ix.Identifier == qualifier && ix.CaseId == value) return true;
                        return false;
                    };
                case "last_modified": return DateFilter(qualifier, value, static c => c.DateModified);
                case "server_last_modified": return DateFilter(qualifier, value, static c => c.ServerModified);
                case "date_opened": return DateFilter(qualifier, value, static c => c.DateOpened);
                case "date_closed": return DateFilter(qualifier, value, static c => c.Closed ? c.DateClosed : 0);
                case "indexed_on": return DateFilter(qualifier, value, static c => c.IndexedOn);
            }
        }
        throw new UserError($"'{key}' is not a valid parameter.");
    }

    private static Func<CaseRec, bool> PropertyFilter(string name, string value)
    {
        Func<CaseRec, string?> get = name switch
        {
            "case_name" or "name" => static c => c.Name,
            "case_type" => static c => c.Type,
            "owner_id" => static c => c.OwnerId,
            "external_id" => static c => c.ExternalId.Length == 0 ? null : c.ExternalId,
            _ => c => c.Property(name),
        };
        if (value.Length == 0) return c => string.IsNullOrEmpty(get(c));
        return c => get(c) == value;
    }

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$")]
    private static partial Regex DateOnlyRx();

    /// <summary><c>_make_date_filter</c> with <c>parse_str_to_date</c>: a bare date keeps date semantics.</summary>
    private static Func<CaseRec, bool> DateFilter(string op, string value, Func<CaseRec, long> field)
    {
        if (op is not ("gt" or "gte" or "lt" or "lte")) throw new UserError($"'{op}' is not a valid type of date range.");
        long t;
        var dateOnly = false;
        if (DateOnlyRx().IsMatch(value))
        {
            if (!DateTime.TryParseExact(value, "yyyy-M-d", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var d))
                throw new UserError($"Cannot parse datetime '{value}'");
            t = d.Ticks;
            dateOnly = true;
        }
        else if (value.Any(char.IsDigit)
                 && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var dto))
        {
            t = dto.UtcTicks - dto.UtcTicks % Dates.TicksPerMicro;
        }
        else
        {
            throw new UserError($"Cannot parse datetime '{value}'");
        }
        if (dateOnly)
        {
            var dayEnd = t + TimeSpan.TicksPerDay;
            return op switch
            {
                "gt" => c => field(c) is var v && v != 0 && v >= dayEnd,
                "gte" => c => field(c) is var v && v != 0 && v >= t,
                "lt" => c => field(c) is var v && v != 0 && v < t,
                _ => c => field(c) is var v && v != 0 && v < dayEnd,
            };
        }
        return op switch
        {
            "gt" => c => field(c) is var v && v != 0 && v > t,
            "gte" => c => field(c) is var v && v != 0 && v >= t,
            "lt" => c => field(c) is var v && v != 0 && v < t,
            _ => c => field(c) is var v && v != 0 && v <= t,
        };
    }

    [GeneratedRegex(@"^[\w\-,]+$")]
    private static partial Regex CaseIdsRx();

    /// <summary>GET /{case_id} (one case) or /{id1},{id2} (bulk shape).</summary>
    public static ApiResponse Get(ApiContext ctx)
    {
        var dd = ctx.Data.For(ctx.Domain!)!;
        var raw = ctx.Route("case_id");
        if (!CaseIdsRx().IsMatch(raw)) return ApiResponse.HtmlNotFound();
        if (raw.Contains(','))
        {
            return Bulk(ctx, dd, raw.Split(','), Array.Empty<string>());
        }
        if (!dd.CaseById.TryGetValue(raw, out var c)) return ApiResponse.JsonError(404, $"Case '{raw}' not found");
        var w = Writer();
        WriteCase(ctx, dd, w, c);
        return ApiResponse.Json(200, w.ToArray());
    }

    public static ApiResponse GetByExternalId(ApiContext ctx)
    {
        var dd = ctx.Data.For(ctx.Domain!)!;
        var ext = ctx.Route("external_id");
        var found = ByExternalId(dd.Cases, ext);
        if (found.Count == 0) return ApiResponse.JsonError(404, $"Case '{ext}' not found");
        if (found.Count > 1) throw new UserError($"Multiple cases found with external_id '{ext}': {string.Join(", ", found.Select(c => c.Id))}");
        var w = Writer();
        WriteCase(ctx, dd, w, found[0]);
        return ApiResponse.Json(200, w.ToArray());
    }

    private static List<CaseRec> ByExternalId(IEnumerable<CaseRec> cases, string ext)
    {
        var res = new List<CaseRec>();
        if (ext.Length == 0) return res;
        foreach (var c in cases) if (c.ExternalId == ext) res.Add(c);
        return res;
    }

    public static ApiResponse BulkFetch(ApiContext ctx)
    {
        var dd = ctx.Data.For(ctx.Domain!)!;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(ctx.Body);
        }
        catch (JsonException)
        {
            throw new UserError("Payload must be valid JSON");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new Unhandled(); // data.get on a list / str
            var caseIds = StringList(root, "case_ids");
            var externalIds = StringList(root, "external_ids");
            if (caseIds is null && externalIds is null) throw new UserError("Payload must include 'case_ids' or 'external_ids' fields");
            if ((caseIds?.Count ?? 0) + (externalIds?.Count ?? 0) > MaxLimit)
                throw new UserError($"You cannot request more than {MaxLimit} cases per request.");
            return Bulk(ctx, dd, caseIds ?? new List<string>(), externalIds ?? new List<string>());
        }
    }

    private static List<string>? StringList(JsonElement root, string key)
    {
        if (!root.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Array) throw new Unhandled();
        var res = new List<string>();
        foreach (var e in v.EnumerateArray()) res.Add(e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText());
        return res;
    }

    /// <summary><c>get_bulk</c>: ids first, then external ids, in request order; misses are stubs.</summary>
    private static ApiResponse Bulk(ApiContext ctx, DomainData dd, IReadOnlyList<string> caseIds, IReadOnlyList<string> externalIds)
    {
        var w = Writer(1024 + (caseIds.Count + externalIds.Count) * 900);
        var found = 0;
        var missing = 0;
        var items = new PyJsonWriter(1024) { EnsureAscii = true };
        items.BeginArray();
        foreach (var id in caseIds)
        {
            if (dd.CaseById.TryGetValue(id, out var c))
            {
                WriteCase(ctx, dd, items, c);
                found++;
            }
            else
            {
                items.BeginObject().Prop("case_id", id).Prop("error", "not found").EndObject();
                missing++;
            }
        }
        foreach (var ext in externalIds)
        {
            var c = ByExternalId(dd.Cases, ext).FirstOrDefault();
            if (c is not null)
            {
                WriteCase(ctx, dd, items, c);
                found++;
            }
            else
            {
                items.BeginObject().Prop("external_id", ext).Prop("error", "not found").EndObject();
                missing++;
            }
        }
        items.EndArray();
        w.BeginObject();
        w.Prop("matching_records", found);
        w.Prop("missing_records", missing);
        w.Key("cases").RawValue(items.WrittenSpan);
        w.EndObject();
        return ApiResponse.Json(200, w.ToArray());
    }

    // ================================================================ writes ====

    private enum WriteMode { Post, Put, PutId, Ext }

    /// <summary>An index as sent.</summary>
    private sealed record IndexSpec(string Name, string? CaseId, string? ExternalId, string? TemporaryId, string CaseType, string Relationship);

    /// <summary>One validated create / update / upsert.</summary>
    private sealed class Change
    {
        public bool? Creation;
        public string? CaseId;
        public string? ExternalId;
        public string? CaseType;
        public string? CaseName;
        public string? OwnerId;
        public string? TemporaryId;
        public readonly List<KeyValuePair<string, string>> Properties = new();
        public readonly List<IndexSpec> Indices = new();
        public bool Close;
        /// <summary>After resolution: the case id written to, and whether the block creates it.</summary>
        public string TargetId = "";
        public bool Creates;
    }

    private static readonly HashSet<string> CreationFields = new(StringComparer.Ordinal)
    {
        "case_type", "case_name", "owner_id", "external_id", "temporary_id", "properties", "indices", "close", "user_id",
    };

    private static readonly HashSet<string> UpdateFields = new(StringComparer.Ordinal)
    {
        "case_id", "case_type", "case_name", "owner_id", "external_id", "properties", "indices", "close", "user_id",
    };

    private static readonly HashSet<string> UpsertFields = new(StringComparer.Ordinal)
    {
        "case_id", "case_type", "case_name", "owner_id", "external_id", "temporary_id", "properties", "indices", "close", "user_id",
    };

    private static ApiResponse Write(ApiContext ctx, WriteMode mode, string? routeValue)
    {
        var store = ctx.Data.Store(ctx.Domain!)!;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(ctx.Body);
        }
        catch (JsonException)
        {
            throw new UserError("Payload must be valid JSON");
        }
        using (doc)
        {
            var root = doc.RootElement;
            var dd = store.Current;
            List<Change> changes;
            var bulk = false;
            switch (mode)
            {
                case WriteMode.Ext:
                {
                    if (root.ValueKind != JsonValueKind.Object) throw new UserError("Payload must be a single JSON object");
                    var fields = Fields(root);
                    if (!fields.Any(kv => kv.Key == "external_id")) fields.Add(new("external_id", StringValue(routeValue!)));
                    var found = ByExternalId(dd.Cases, routeValue!);
                    if (found.Count > 1)
                        throw new UserError($"Multiple cases found with external_id '{routeValue}': {string.Join(", ", found.Select(c => c.Id))}");
                    Change ch;
                    if (found.Count == 0)
                    {
                        ch = Parse(fields, true);
                    }
                    else
                    {
                        var bodyId = fields.FirstOrDefault(kv => kv.Key == "case_id").Value;
                        if (bodyId.ValueKind == JsonValueKind.String && bodyId.GetString() != found[0].Id)
                        {
                            throw new UserError(
                                $"The given value of \"case_id\" does not match the existing value for the case identified by external_id = \"{routeValue}\". \"case_id\" is read-only and cannot be modified.");
                        }
                        fields.RemoveAll(kv => kv.Key == "case_id");
                        fields.Add(new("case_id", StringValue(found[0].Id)));
                        ch = Parse(fields, false);
                    }
                    changes = new List<Change> { ch };
                    break;
                }
                case WriteMode.PutId:
                {
                    if (root.ValueKind == JsonValueKind.Array) throw new Unhandled(); // data['case_id'] on a list
                    if (root.ValueKind != JsonValueKind.Object) throw new Unhandled();
                    var fields = Fields(root);
                    if (!fields.Any(kv => kv.Key == "case_id")) fields.Add(new("case_id", StringValue(routeValue!)));
                    changes = new List<Change> { Parse(fields, false) };
                    break;
                }
                default:
                    if (root.ValueKind == JsonValueKind.Array)
                    {
                        bulk = true;
                        if (root.GetArrayLength() > MaxUpdates)
                            throw new UserError($"You cannot submit more than {MaxUpdates} updates in a single request");
                        changes = new List<Change>();
                        var errors = new List<string>();
                        var row = 0;
                        foreach (var item in root.EnumerateArray())
                        {
                            row++;
                            try
                            {
                                if (item.ValueKind != JsonValueKind.Object) throw new UserError("Each update must be a JSON object");
                                var fields = Fields(item);
                                var createIdx = fields.FindIndex(kv => kv.Key == "create");
                                if (createIdx < 0) throw new UserError("A 'create' flag is required for each update.");
                                var flag = fields[createIdx].Value;
                                fields.RemoveAt(createIdx);
                                bool? creation = flag.ValueKind switch
                                {
                                    JsonValueKind.True => true,
                                    JsonValueKind.False => false,
                                    JsonValueKind.Null => null,
                                    _ => throw new UserError("'create' must be true, false or null"),
                                };
                                changes.Add(Parse(fields, creation));
                            }
                            catch (UserError e)
                            {
                                errors.Add($"Error in row {row}: {e.Message}");
                            }
                        }
                        if (errors.Count > 0) throw new UserError(string.Join("; ", errors));
                    }
                    else if (root.ValueKind == JsonValueKind.Object)
                    {
                        changes = new List<Change> { Parse(Fields(root), mode == WriteMode.Post) };
                    }
                    else
                    {
                        throw new Unhandled();
                    }
                    break;
            }

            Resolve(dd, changes);

            // one form with every case block
            var now = DateTime.UtcNow.Ticks;
            now -= now % Dates.TicksPerMicro;
            var modified = Dates.ToString(now, DateStyle.MicroZ);
            var blocks = changes.Select(ch => Block(ch, ctx.User.Id, modified)).ToList();
            var instanceId = Guid.NewGuid().ToString();
            var deviceId = ctx.Http.Request.Headers.UserAgent.ToString();
            var xml = CaseXml.Envelope(FormXmlns, instanceId, now, ctx.User.Username, ctx.User.Id, deviceId, blocks);
            var result = Submissions.Process(store, new SubmissionInput(xml, new List<Attachment>(), null, ctx.User.Id,
                ctx.Http.Connection.RemoteIpAddress?.ToString() ?? "127.0.0.1", false));
            if (result.Outcome != SubmissionOutcome.Success)
            {
                var ew = Writer(256);
                ew.BeginObject().Prop("error", result.Problem).Prop("form_id", result.FormId).EndObject();
                return ApiResponse.Json(400, ew.ToArray());
            }
            var data = result.Data!;
            var w = Writer(1024 + changes.Count * 900);
            w.BeginObject();
            w.Prop("form_id", result.FormId);
            if (bulk)
            {
                w.Key("cases").BeginArray();
                foreach (var ch in changes) WriteCase(ctx, data, w, data.CaseById[ch.TargetId], es: false);
                w.EndArray();
            }
            else
            {
                w.Key("case");
                WriteCase(ctx, data, w, data.CaseById[changes[0].TargetId], es: false);
            }
            w.EndObject();
            return ApiResponse.Json(200, w.ToArray());
        }
    }

    private static JsonElement StringValue(string s)
    {
        using var d = JsonDocument.Parse(JsonSerializer.Serialize(s));
        return d.RootElement.Clone();
    }

    private static List<KeyValuePair<string, JsonElement>> Fields(JsonElement obj)
    {
        // json.loads keeps the last of duplicate keys, in the position of the first
        var res = new List<KeyValuePair<string, JsonElement>>();
        foreach (var p in obj.EnumerateObject())
        {
            var i = res.FindIndex(kv => kv.Key == p.Name);
            if (i >= 0) res[i] = new(p.Name, p.Value);
            else res.Add(new(p.Name, p.Value));
        }
        return res;
    }

    /// <summary>Python's <c>str()</c> of a JSON value after json.loads (for error messages).</summary>
    private static string PyStr(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString()!,
        JsonValueKind.Null => "None",
        JsonValueKind.True => "True",
        JsonValueKind.False => "False",
        JsonValueKind.Number => UsersApi.PyNumber(v.GetRawText()),
        JsonValueKind.Array => "[" + string.Join(", ", v.EnumerateArray().Select(PyRepr)) + "]",
        _ => "{" + string.Join(", ", v.EnumerateObject().Select(p => "'" + p.Name + "': " + PyRepr(p.Value))) + "}",
    };

    private static string PyRepr(JsonElement v) => v.ValueKind == JsonValueKind.String ? "'" + v.GetString() + "'" : PyStr(v);

    /// <summary><c>_get_individual_update</c>: field checks of one object (no lookups yet).</summary>
    private static Change Parse(List<KeyValuePair<string, JsonElement>> fields, bool? creation)
    {
        if (creation == true && fields.Any(kv => kv.Key == "case_id")) throw new UserError("You cannot specify case_id when creating a new case");
        var allowed = creation switch { true => CreationFields, false => UpdateFields, _ => UpsertFields };
        foreach (var kv in fields)
        {
            if (!allowed.Contains(kv.Key)) throw new UserError($"'{kv.Key}' is not a valid field.");
        }
        var ch = new Change { Creation = creation };
        string? Str(string key)
        {
            var kv = fields.FirstOrDefault(x => x.Key == key);
            if (kv.Key is null || kv.Value.ValueKind == JsonValueKind.Null) return null;
            if (kv.Value.ValueKind != JsonValueKind.String) throw new UserError($"Property {key} must be a string, received '{PyStr(kv.Value)}'");
            var s = kv.Value.GetString()!;
            if (s.Length > 255) throw new UserError($"Property {key} must be no longer than 255 characters");
            return s;
        }
        ch.CaseId = Str("case_id");
        ch.ExternalId = Str("external_id");
        ch.CaseType = Str("case_type");
        ch.CaseName = Str("case_name");
        ch.OwnerId = Str("owner_id");
        var temp = fields.FirstOrDefault(x => x.Key == "temporary_id");
        if (temp.Key is not null && temp.Value.ValueKind is not JsonValueKind.Null)
            ch.TemporaryId = temp.Value.ValueKind == JsonValueKind.String ? temp.Value.GetString() : temp.Value.GetRawText();
        if (creation == true)
        {
            foreach (var (name, value) in new[] { ("case_type", ch.CaseType), ("case_name", ch.CaseName), ("owner_id", ch.OwnerId) })
            {
                if (string.IsNullOrEmpty(value)) throw new UserError($"Property {name} is required.");
            }
        }
        if (creation == false && string.IsNullOrEmpty(ch.CaseId) && string.IsNullOrEmpty(ch.ExternalId))
            throw new UserError("Case updates must provide either a case_id or external_id");
        if (creation is null && string.IsNullOrEmpty(ch.ExternalId)) throw new UserError("Upserts must provide an external_id");

        var props = fields.FirstOrDefault(x => x.Key == "properties");
        if (props.Key is not null && props.Value.ValueKind != JsonValueKind.Null)
        {
            if (props.Value.ValueKind != JsonValueKind.Object) throw new UserError("Property properties must be a JSON object");
            foreach (var (name, value) in Fields(props.Value))
            {
                if (value.ValueKind != JsonValueKind.String)
                    throw new UserError($"Error with case property '{name}'. Values must be strings, received '{PyStr(value)}'");
                if (!CaseXml.IsXmlName(name))
                    throw new UserError($"Error with case property '{name}'. Case property names must be valid XML identifiers.");
                ch.Properties.Add(new(name, value.GetString()!));
            }
        }
        var indices = fields.FirstOrDefault(x => x.Key == "indices");
        if (indices.Key is not null && indices.Value.ValueKind != JsonValueKind.Null)
        {
            if (indices.Value.ValueKind != JsonValueKind.Object) throw new UserError("Property indices must be a JSON object");
            foreach (var (name, value) in Fields(indices.Value))
            {
                if (!CaseXml.IsXmlName(name)) throw new UserError($"Error with index '{name}'. Index names must be valid XML identifiers.");
                if (value.ValueKind != JsonValueKind.Object) throw new UserError($"Error with index '{name}'. Indices must be JSON objects");
                var ix = Fields(value);
                foreach (var kv in ix)
                {
                    if (kv.Key is not ("case_id" or "external_id" or "temporary_id" or "case_type" or "relationship"))
                        throw new UserError($"'{kv.Key}' is not a valid field.");
                }
                string? IxStr(string key)
                {
                    var kv = ix.FirstOrDefault(x => x.Key == key);
                    if (kv.Key is null || kv.Value.ValueKind == JsonValueKind.Null) return null;
                    return kv.Value.ValueKind == JsonValueKind.String ? kv.Value.GetString() : PyStr(kv.Value);
                }
                var cid = IxStr("case_id");
                var eid = IxStr("external_id");
                var tid = IxStr("temporary_id");
                var ids = new[] { cid, eid, tid }.Count(x => !string.IsNullOrEmpty(x));
                if (ids > 1) throw new UserError("Indices must specify case_id, external_id, or temporary ID, and only one");
                var type = IxStr("case_type");
                var rel = IxStr("relationship");
                if (ids == 1)
                {
                    if (string.IsNullOrEmpty(type)) throw new UserError("Property case_type is required when creating or updating case indices");
                    if (string.IsNullOrEmpty(rel)) throw new UserError("Property relationship is required when creating or updating case indices");
                }
                if (!string.IsNullOrEmpty(rel) && rel is not ("child" or "extension"))
                    throw new UserError($"Valid values for an index relationship are 'child', 'extension'. Got '{rel}'");
                ch.Indices.Add(new IndexSpec(name, NullIfEmpty(cid), NullIfEmpty(eid), NullIfEmpty(tid), type ?? "", string.IsNullOrEmpty(rel) ? "child" : rel));
            }
        }
        var close = fields.FirstOrDefault(x => x.Key == "close");
        if (close.Key is not null && close.Value.ValueKind != JsonValueKind.Null)
        {
            if (close.Value.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw new UserError($"Property close must be a boolean, received '{PyStr(close.Value)}'");
            ch.Close = close.Value.GetBoolean();
        }
        return ch;
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    /// <summary>
    /// <c>CaseIDLookerUpper</c>: case ids for updates and upserts, temporary ids, index targets. The request's own
    /// creates are consulted before the database for external ids (not for upserts).
    /// </summary>
    private static void Resolve(DomainData dd, List<Change> changes)
    {
        var temporary = new Dictionary<string, string>(StringComparer.Ordinal);
        var createdExternal = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var ch in changes)
        {
            if (ch.Creation == true)
            {
                ch.TargetId = Guid.NewGuid().ToString();
                ch.Creates = true;
            }
            else if (ch.Creation is null)
            {
                var found = ByExternalId(dd.Cases, ch.ExternalId!);
                if (found.Count > 1)
                    throw new UserError($"Multiple cases found with external_id '{ch.ExternalId}': {string.Join(", ", found.Select(c => c.Id))}");
                if (found.Count == 1)
                {
                    if (ch.CaseId is not null && ch.CaseId != found[0].Id)
                    {
                        throw new UserError(
                            $"The given value of \"case_id\" does not match the existing value for the case identified by external_id = \"{ch.ExternalId}\". \"case_id\" is read-only and cannot be modified.");
                    }
                    ch.TargetId = found[0].Id;
                }
                else
                {
                    if (ch.CaseId is not null) throw new UserError("You cannot specify case_id when creating a new case");
                    foreach (var (name, value) in new[] { ("case_type", ch.CaseType), ("case_name", ch.CaseName), ("owner_id", ch.OwnerId) })
                    {
                        if (string.IsNullOrEmpty(value)) throw new UserError($"Property {name} is required.");
                    }
                    ch.TargetId = Guid.NewGuid().ToString();
                    ch.Creates = true;
                }
            }
            else if (ch.CaseId is not null)
            {
                if (!dd.CaseById.ContainsKey(ch.CaseId) && !changes.Any(o => o.Creates && o.TargetId == ch.CaseId))
                    throw new UserError($"No case found with ID '{ch.CaseId}'");
                ch.TargetId = ch.CaseId;
            }
            else
            {
                ch.TargetId = LookupExternal(dd, createdExternal, ch.ExternalId!);
            }
            if (ch.Creates)
            {
                if (ch.TemporaryId is not null) temporary[ch.TemporaryId] = ch.TargetId;
                if (ch.ExternalId is not null) createdExternal.TryAdd(ch.ExternalId, ch.TargetId);
            }
        }
        foreach (var ch in changes)
        {
            for (var i = 0; i < ch.Indices.Count; i++)
            {
                var ix = ch.Indices[i];
                if (ix.ExternalId is not null)
                {
                    ch.Indices[i] = ix with { CaseId = LookupExternal(dd, createdExternal, ix.ExternalId), ExternalId = null };
                }
                else if (ix.TemporaryId is not null)
                {
                    if (!temporary.TryGetValue(ix.TemporaryId, out var id)) throw new UserError($"Could not find a case with temporary_id '{ix.TemporaryId}'");
                    ch.Indices[i] = ix with { CaseId = id, TemporaryId = null };
                }
            }
        }
    }

    private static string LookupExternal(DomainData dd, Dictionary<string, string> createdExternal, string ext)
    {
        if (createdExternal.TryGetValue(ext, out var mine)) return mine;
        var found = ByExternalId(dd.Cases, ext);
        if (found.Count == 0) throw new UserError($"Could not find a case with external_id '{ext}'");
        if (found.Count > 1) throw new UserError($"There are multiple cases with external_id {ext}");
        return found[0].Id;
    }

    /// <summary>The Case XML block HQ's <c>CaseBlock</c> builds for a change.</summary>
    private static CaseBlock Block(Change ch, string userId, string modified)
    {
        var b = new CaseBlock { CaseId = ch.TargetId, DateModified = modified, UserId = userId };
        if (ch.Creates)
        {
            b.Create = true;
            b.CaseType = ch.CaseType;
            b.CaseName = ch.CaseName;
            b.OwnerId = ch.OwnerId;
        }
        else
        {
            if (ch.CaseName is not null) b.Updates.Add(new("case_name", ch.CaseName));
            if (ch.CaseType is not null) b.Updates.Add(new("case_type", ch.CaseType));
            if (ch.OwnerId is not null) b.Updates.Add(new("owner_id", ch.OwnerId));
        }
        if (ch.ExternalId is not null) b.Updates.Add(new("external_id", ch.ExternalId));
        foreach (var kv in ch.Properties) b.Updates.Add(kv);
        foreach (var ix in ch.Indices) b.Indices.Add(new IndexAction(ix.Name, ix.CaseType, ix.Relationship, ix.CaseId ?? ""));
        b.Close = ch.Close;
        return b;
    }
}
