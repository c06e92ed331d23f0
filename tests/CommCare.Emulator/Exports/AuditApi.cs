using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Microsoft.AspNetCore.Builder;

namespace CommCare.Emulator;

/// <summary>A web navigation event (<c>NavigationEventAudit</c>): who, where, when (UTC ticks).</summary>
public sealed record NavigationEvent(string Domain, string User, long EventTicks);

/// <summary>A device log line (<c>DeviceReportEntry</c>).</summary>
public sealed record DeviceLogEntry(int Id, string Domain, string XformId, int I, string Msg, string Type, long Date, long ServerDate,
    string AppVersion, string DeviceId, string Username, string UserId);

/// <summary>
/// docs/commcare-api.md#exports-messaging-events-and-audit (<c>action_times</c>, <c>NavigationEventAuditResource</c>) and device logs (<c>device-log</c>,
/// <c>DeviceReportResource</c>). Both are read-only tastypie resources that are not throttled; their data are seeded
/// (read-only, the same for every data set).
/// </summary>
public static class AuditApi
{
    public static readonly ApiSpec ActionTimesSpec = new("action_times", AuthMode.DomainResource, "view_web_users", Throttled: false);
    public static readonly ApiSpec DeviceLogSpec = new("device-log", AuthMode.DomainResource, "edit_data", Throttled: false);

    /// <summary>Projects with the ACTION_TIMES_API toggle.</summary>
    public static readonly HashSet<string> ActionTimesDomains = new(StringComparer.Ordinal) { "demo" };

    /// <summary>The projects' default time zones (<c>Domain.get_default_timezone()</c>).</summary>
    public static readonly Dictionary<string, string> DomainTimeZones = new(StringComparer.Ordinal)
    {
        ["demo"] = "Africa/Nairobi",
        ["other"] = "UTC",
    };

    public const int ActionTimesLimit = 10000;

    private static readonly string[] LogTypes = { "login", "user-report", "form-submission", "exception", "sync" };

    public static readonly NavigationEvent[] Events = SeedEvents();
    public static readonly DeviceLogEntry[] DeviceLogs = SeedDeviceLogs();

    public static void Map(WebApplication app, EmulatorState st)
    {
        foreach (var p in new[] { "/a/{domain}/api/action_times/v1/", "/a/{domain}/api/v0.5/action_times/" })
        {
            app.Map(p, Pipeline.Handle(st, ActionTimesSpec, ActionTimes));
        }
        foreach (var p in new[] { "/a/{domain}/api/device-log/v1/", "/a/{domain}/api/v0.5/device-log/" })
        {
            app.Map(p, Pipeline.Handle(st, DeviceLogSpec, ctx => DeviceLogList(ctx, p)));
            app.Map(p + "{id}/", Pipeline.Handle(st, DeviceLogSpec, ctx => DeviceLogDetail(ctx, p)));
        }
    }

    // ---- seed --------------------------------------------------------------------------------------------

    /// <summary>
    /// March 2024: admin@example.com every day, viewer@example.com on weekdays, 3–6 events a day between 04:00 and
    /// 20:59 UTC; on every 5th day admin also works late (an event at 22:30 UTC, which is the next day in Nairobi).
    /// A few events in other.
    /// </summary>
    private static NavigationEvent[] SeedEvents()
    {
        var list = new List<NavigationEvent>();
        var users = new[] { Accounts.Admin.Username, Accounts.Viewer.Username };
        for (var day = 0; day < 31; day++)
        {
            var date = new DateTime(2024, 3, 1, 0, 0, 0, DateTimeKind.Utc).AddDays(day);
            for (var u = 0; u < users.Length; u++)
            {
                if (u == 1 && date.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday) continue;
                var r = new Rng(77, u, day);
                var n = 3 + r.Next(4);
                for (var k = 0; k < n; k++)
                {
                    var t = date.Ticks + (4 * 3600 + r.Next(17 * 3600)) * TimeSpan.TicksPerSecond + r.Next(1_000_000) * Dates.TicksPerMicro;
                    list.Add(new NavigationEvent("demo", users[u], t));
                }
                if (u == 0 && day % 5 == 4) list.Add(new NavigationEvent("demo", users[u], date.Ticks + (22 * 3600 + 30 * 60) * TimeSpan.TicksPerSecond));
            }
        }
        for (var day = 0; day < 3; day++)
        {
            list.Add(new NavigationEvent("other", Accounts.Admin.Username, new DateTime(2024, 3, 4 + day, 9, 15, 0, DateTimeKind.Utc).Ticks));
        }
        list.Sort(static (a, b) => a.EventTicks.CompareTo(b.EventTicks));
        return list.ToArray();
    }

    /// <summary>60 device log lines from worker1..3 in demo (March 2024), 4 in other; ids 1.. in creation order.</summary>
    private static DeviceLogEntry[] SeedDeviceLogs()
    {
        var list = new List<DeviceLogEntry>();
        var id = 0;
        for (var k = 0; k < 60; k++)
        {
            var r = new Rng(91, 0, k);
            var (userId, name) = Accounts.DataWorkers[k % 3];
            var report = k / 4; // four lines per device report
            var date = new DateTime(2024, 3, 1, 6, 0, 0, DateTimeKind.Utc).Ticks + report * 11 * TimeSpan.TicksPerHour + (k % 4) * 37 * TimeSpan.TicksPerSecond;
            var type = LogTypes[r.Next(LogTypes.Length)];
            var msg = type switch
            {
                "login" => "logged in as " + name,
                "sync" => "sync completed with " + (1 + r.Next(40)).ToString(CultureInfo.InvariantCulture) + " cases",
                "form-submission" => "form submitted: Follow-up Visit",
                "exception" => "java.lang.NullPointerException: case property 'age' is empty",
                _ => "user report: app is slow",
            };
            list.Add(new DeviceLogEntry(++id, "demo", Hex("device-report/" + report.ToString(CultureInfo.InvariantCulture)), k % 4, msg, type,
                date, date + 17 * TimeSpan.TicksPerMinute + 123456 * Dates.TicksPerMicro, "CommCare Android, version \"2.53.1\"(464694). App v18.",
                "35800107068464" + (k % 3).ToString(CultureInfo.InvariantCulture), name, userId));
        }
        for (var k = 0; k < 4; k++)
        {
            var date = new DateTime(2024, 3, 10, 8, 0, 0, DateTimeKind.Utc).Ticks + k * TimeSpan.TicksPerMinute;
            list.Add(new DeviceLogEntry(++id, "other", Hex("device-report/other"), k, "logged in as olive", "login", date, date + TimeSpan.TicksPerMinute,
                "CommCare Android, version \"2.53.1\"(464694). App v3.", "358001070684699", "olive", UserStore.HexId("other/olive")));
        }
        return list.ToArray();
    }

    private static string Hex(string key) => Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(Encoding.UTF8.GetBytes("emu-audit:" + key)));

    // ---- action_times --------------------------------------------------------------------------------------

    private sealed record ActionRow(DateOnly LocalDate, string User, long Start, long End);

    private static readonly HashSet<string> ValidKeys = new(StringComparer.Ordinal)
    {
        "users", "limit", "local_timezone", "cursor", "format", "local_date", "UTC_start_time_start", "UTC_start_time_end",
    };

    public static ApiResponse ActionTimes(ApiContext ctx)
    {
        var domain = ctx.Domain!;
        if (!ActionTimesDomains.Contains(domain))
        {
            return new ApiResponse(403, "application/json").Append(Encoding.UTF8.GetBytes("{\"error\": \"You don't have permission to access this API\"}"));
        }
        var q = ctx.Query;
        string? cursorLocalDate = null, cursorUser = null;
        int? cursorLimit = null;
        if (q.Get("cursor") is { Length: > 0 } cursor)
        {
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(cursor));
            }
            catch (FormatException)
            {
                return ApiResponse.ServerError();
            }
            q = new QueryParams(decoded);
            cursorLocalDate = q.Get("cursor_local_date");
            cursorUser = q.Get("cursor_user");
            var kept = new QueryParams("");
            foreach (var kv in q.Pairs) if (kv.Key is not ("cursor_local_date" or "cursor_user")) kept.Pairs.Add(kv);
            q = kept;
            if (q.Get("limit") is { } cl && int.TryParse(cl, NumberStyles.Integer, CultureInfo.InvariantCulture, out var cln)) cursorLimit = cln;
        }

        var invalid = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (key, _) in q.Items())
        {
            var k = key.Contains('.') ? key[..key.IndexOf('.')] : key;
            if (!ValidKeys.Contains(k)) invalid.Add(k);
        }
        if (invalid.Count > 0) return ApiResponse.BadRequest("Invalid parameter(s): " + string.Join(", ", invalid));

        var limit = ActionTimesLimit;
        if (q.Get("limit") is { Length: > 0 } ls)
        {
            if (!Paging.TryPyInt(ls, out var n) || n < 0) return ApiResponse.BadRequest("limit must be a positive integer.");
            if (n > ActionTimesLimit) return ApiResponse.BadRequest($"Limit may not exceed {ActionTimesLimit}.");
            limit = n == 0 ? ActionTimesLimit : (int)n;
        }

        long? startMin = null, startMax = null;
        foreach (var (name, set) in new (string, Action<long>)[] { ("UTC_start_time_start", v => startMin = v), ("UTC_start_time_end", v => startMax = v) })
        {
            if (q.Get(name) is { Length: > 0 } v)
            {
                if (!CaseXml.TryParseDate(v, out var t)) return ApiResponse.BadRequest($"Cannot parse datetime '{v}'");
                set(t);
            }
        }

        var tzName = q.Get("local_timezone") ?? DomainTimeZones.GetValueOrDefault(domain, "UTC");
        if (FindZone(tzName) is not { } tz) return ApiResponse.ServerError(); // pytz.UnknownTimeZoneError

        var dateFilters = new List<(string Op, DateOnly Date)>();
        foreach (var (key, value) in q.Items())
        {
            if (!key.StartsWith("local_date.", StringComparison.Ordinal)) continue;
            var op = key["local_date.".Length..];
            if (op is not ("gt" or "gte" or "lt" or "lte")) return ApiResponse.BadRequest($"'{op}' is not a valid type of date range.");
            if (!CaseXml.TryParseDate(value, out var t)) return ApiResponse.BadRequest($"Cannot parse datetime '{value}'");
            dateFilters.Add((op, DateOnly.FromDateTime(new DateTime(t, DateTimeKind.Utc))));
        }
        var users = q.GetList("users");

        // Group by (local date, user): first and last event.
        var groups = new SortedDictionary<(DateOnly, string), (long Start, long End)>(Comparer<(DateOnly, string)>.Create(
            static (a, b) => a.Item1 != b.Item1 ? a.Item1.CompareTo(b.Item1) : string.CompareOrdinal(a.Item2, b.Item2)));
        foreach (var e in Events)
        {
            if (e.Domain != domain || (users.Count > 0 && !users.Contains(e.User))) continue;
            var local = TimeZoneInfo.ConvertTimeFromUtc(new DateTime(e.EventTicks, DateTimeKind.Utc), tz);
            var key = (DateOnly.FromDateTime(local), e.User);
            groups[key] = groups.TryGetValue(key, out var g) ? (Math.Min(g.Start, e.EventTicks), Math.Max(g.End, e.EventTicks)) : (e.EventTicks, e.EventTicks);
        }
        var rows = new List<ActionRow>();
        foreach (var ((date, user), (start, end)) in groups)
        {
            var keep = true;
            foreach (var (op, d) in dateFilters)
            {
                keep &= op switch { "gt" => date > d, "gte" => date >= d, "lt" => date < d, _ => date <= d };
            }
            if (!keep) continue;
            if (cursorLocalDate is not null && cursorUser is not null && DateOnly.TryParse(cursorLocalDate, CultureInfo.InvariantCulture, out var cd))
            {
                if (!(date > cd || (date == cd && string.CompareOrdinal(user, cursorUser) > 0))) continue;
            }
            if (startMin is { } mn && start < mn) continue;
            if (startMax is { } mx && start > mx) continue;
            rows.Add(new ActionRow(date, user, start, end));
        }
        var total = rows.Count;
        var page = rows.Take(limit).ToList();
        var metaLimit = cursorLimit ?? limit;

        string? next = null;
        if (total > metaLimit && page.Count > 0)
        {
            var last = page[^1];
            var source = ctx.Query.Get("cursor") is { Length: > 0 } ? new QueryParams(Encoding.UTF8.GetString(Convert.FromBase64String(ctx.Query.Get("cursor")!))) : ctx.Query;
            var pairs = source.Pairs.Where(kv => kv.Key is not ("cursor_local_date" or "cursor_user")).ToList();
            pairs.Add(new("cursor_local_date", last.LocalDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));
            pairs.Add(new("cursor_user", last.User));
            var sb = new StringBuilder();
            foreach (var (k, v) in pairs)
            {
                if (sb.Length > 0) sb.Append('&');
                QueryParams.QuotePlus(sb, k);
                sb.Append('=');
                QueryParams.QuotePlus(sb, v);
            }
            var b64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(sb.ToString()));
            var nq = new StringBuilder("?cursor=");
            QueryParams.QuotePlus(nq, b64);
            next = nq.ToString();
        }

        var w = new PyJsonWriter(256 + page.Count * 200);
        w.BeginObject().Key("meta").BeginObject()
            .Prop("limit", metaLimit)
            .Prop("local_date_timezone", tzName)
            .Prop("next", next)
            .Prop("offset", 0)
            .PropNull("previous")
            .Prop("total_count", total)
            .EndObject();
        w.Key("objects").BeginArray();
        foreach (var r in page)
        {
            w.BeginObject()
                .PropDate("UTC_end_time", r.End, Iso(r.End))
                .PropDate("UTC_start_time", r.Start, Iso(r.Start))
                .Prop("local_date", r.LocalDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
                .Prop("user", r.User)
                .Prop("user_id", Accounts.ByUsername(r.User)?.Id)
                .EndObject();
        }
        w.EndArray().EndObject();
        return ApiResponse.Json(200, w.ToArray());
    }

    /// <summary>Python's naive <c>isoformat()</c>: no fraction when the microseconds are 0.</summary>
    private static DateStyle Iso(long ticks) => ticks % TimeSpan.TicksPerSecond == 0 ? DateStyle.Seconds : DateStyle.Micro;

    /// <summary>A tz database zone; the seeded projects' zones also without a tz database on the machine.</summary>
    private static TimeZoneInfo? FindZone(string name)
    {
        if (name == "UTC") return TimeZoneInfo.Utc;
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(name);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return name == "Africa/Nairobi" ? TimeZoneInfo.CreateCustomTimeZone(name, TimeSpan.FromHours(3), name, name) : null;
        }
    }

    // ---- device-log ----------------------------------------------------------------------------------------

    private static readonly string[] ExactFields = { "user_id", "username", "type", "xform_id", "device_id" };
    private static readonly string[] DateLookups = { "exact", "gt", "gte", "lt", "lte", "range" };
    private static readonly string[] AllFields =
    {
        "app_version", "date", "device_id", "domain", "i", "id", "msg", "server_date", "type", "user_id", "username", "xform_id",
    };

    public static ApiResponse DeviceLogList(ApiContext ctx, string prefix)
    {
        var domain = ctx.Domain!;
        var preds = new List<Func<DeviceLogEntry, bool>>();
        foreach (var (key, value) in ctx.Query.Items())
        {
            var parts = key.Split("__");
            var field = parts[0];
            if (Array.IndexOf(AllFields, field) < 0) continue; // not a field: ignored (limit, offset, format, ...)
            if (field != "date" && Array.IndexOf(ExactFields, field) < 0) return ApiResponse.BadRequest($"The '{field}' field does not allow filtering.");
            if (parts.Length > 2) return ApiResponse.BadRequest($"The '{field}' field does not support relations.");
            var lookup = parts.Length == 2 ? parts[1] : "exact";
            if (field == "date")
            {
                if (Array.IndexOf(DateLookups, lookup) < 0) return ApiResponse.BadRequest($"'{lookup}' is not an allowed filter on the '{field}' field.");
                var values = lookup == "range" ? value.Split(',') : new[] { value };
                if (lookup == "range" && values.Length != 2) return ApiResponse.BadRequest("Invalid resource lookup data provided (mismatched type).");
                var ticks = new long[values.Length];
                for (var i = 0; i < values.Length; i++)
                {
                    if (!CaseXml.TryParseDate(values[i], out ticks[i]))
                        return ApiResponse.BadRequest($"['“{values[i]}” value has an invalid format. It must be in YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ] format.']");
                }
                preds.Add(lookup switch
                {
                    "gt" => e => e.Date > ticks[0],
                    "gte" => e => e.Date >= ticks[0],
                    "lt" => e => e.Date < ticks[0],
                    "lte" => e => e.Date <= ticks[0],
                    "range" => e => e.Date >= ticks[0] && e.Date <= ticks[1],
                    _ => e => e.Date == ticks[0],
                });
                continue;
            }
            if (lookup != "exact") return ApiResponse.BadRequest($"'{lookup}' is not an allowed filter on the '{field}' field.");
            preds.Add(field switch
            {
                "user_id" => e => e.UserId == value,
                "username" => e => e.Username == value,
                "type" => e => e.Type == value,
                "xform_id" => e => e.XformId == value,
                _ => e => e.DeviceId == value,
            });
        }
        var err = Paging.LimitOffsetOrError(ctx.Query, 20, 1000, out var limit, out var offset);
        if (err is not null) return err;
        var rows = DeviceLogs.Where(e => e.Domain == domain && preds.All(p => p(e))).Skip((int)Math.Min(offset, int.MaxValue)).Take(limit).ToList();

        // NoCountingPaginator: total_count null, next always present.
        var w = new PyJsonWriter(256 + rows.Count * 400);
        w.BeginObject().Key("meta").BeginObject()
            .Prop("limit", limit)
            .Prop("next", Paging.Uri(ctx, limit, offset + limit))
            .Prop("offset", offset)
            .Prop("previous", offset - limit < 0 ? null : Paging.Uri(ctx, limit, offset - limit))
            .PropNull("total_count")
            .EndObject();
        w.Key("objects").BeginArray();
        foreach (var e in rows) WriteLog(w, e, prefix);
        w.EndArray().EndObject();
        return ApiResponse.Json(200, w.ToArray());
    }

    public static ApiResponse DeviceLogDetail(ApiContext ctx, string prefix)
    {
        var id = ctx.Route("id");
        var e = DeviceLogs.FirstOrDefault(x => x.Domain == ctx.Domain && x.Id.ToString(CultureInfo.InvariantCulture) == id);
        if (e is null) return ApiResponse.Empty(404);
        var w = new PyJsonWriter(512);
        WriteLog(w, e, prefix);
        return ApiResponse.Json(200, w.ToArray());
    }

    private static void WriteLog(PyJsonWriter w, DeviceLogEntry e, string prefix)
    {
        w.BeginObject()
            .Prop("app_version", e.AppVersion)
            .PropDate("date", e.Date, Iso(e.Date))
            .Prop("device_id", e.DeviceId)
            .Prop("domain", e.Domain)
            .Prop("i", e.I)
            .Prop("id", e.Id)
            .Prop("msg", e.Msg)
            .Prop("resource_uri", prefix.Replace("{domain}", e.Domain) + e.Id.ToString(CultureInfo.InvariantCulture) + "/")
            .PropDate("server_date", e.ServerDate, Iso(e.ServerDate))
            .Prop("type", e.Type)
            .Prop("user_id", e.UserId)
            .Prop("username", e.Username)
            .Prop("xform_id", e.XformId)
            .EndObject();
    }
}
