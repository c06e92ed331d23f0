using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;

namespace CommCare.Emulator;

public sealed record MessagingMessage(
    long MessageId, long Date, long DateModified, string Type, string Direction, string Content, string Status, string Backend,
    string? PhoneNumber, string? EmailAddress, string? ErrorMessage);

/// <summary>One <c>MessagingSubEvent</c> as the API shows it.</summary>
public sealed record MessagingEvent(
    long Id, string Domain, string ContentType, long Date, long DateLastActivity, string? CaseId, string Status,
    (string Code, string Message)? Error, (string AppId, string FormDefinitionId, string FormName, string? SubmissionId)? Form,
    (string Id, string Type, string Name) Recipient, (string Id, string Type, string Name) Source, MessagingMessage[] Messages);

/// <summary>
/// Messaging events (docs/commcare-api.md#exports-messaging-events-and-audit): list with filters and the date cursor, and detail. 360 deterministic
/// events in demo (2024-01-01 … 2024-06-28, about 12 hours apart) and 4 in other.
/// </summary>
public static partial class MessagingApi
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 1000;

    /// <summary><c>api_auth()</c>, "can edit data", <c>@api_throttle</c>.</summary>
    public static readonly ViewSpec Spec = new("messaging-event", ViewAuth.ApiAuth, "edit_data", ViewThrottle.ApiThrottle);

    public static readonly string[] ContentTypes = { "sms", "email", "sms-survey", "ivr-survey", "phone-verification", "manual-sms", "api-sms", "chat-sms" };
    public static readonly string[] SourceTypes = { "scheduled-broadcast", "immediate-broadcast", "keyword", "reminder", "conditional-alert", "other" };
    public static readonly string[] Statuses = { "completed", "in-progress", "not-completed", "error", "email-sent" };

    private static readonly Dictionary<string, string[]> ContentTypeSlugs = new(StringComparer.Ordinal)
    {
        ["sms"] = new[] { "sms", "phone-verification", "manual-sms", "api-sms", "chat-sms" },
        ["sms-survey"] = new[] { "sms-survey", "ivr-survey" },
        ["ivr-survey"] = new[] { "ivr-survey" },
        ["email"] = new[] { "email" },
        ["phone-verification"] = new[] { "phone-verification" },
        ["manual-sms"] = new[] { "manual-sms" },
        ["api-sms"] = new[] { "api-sms" },
        ["chat-sms"] = new[] { "chat-sms" },
    };

    private static readonly Dictionary<string, string[]> SourceSlugs = new(StringComparer.Ordinal)
    {
        ["broadcast"] = new[] { "scheduled-broadcast", "immediate-broadcast" },
        ["scheduled-broadcast"] = new[] { "scheduled-broadcast" },
        ["immediate-broadcast"] = new[] { "immediate-broadcast" },
        ["keyword"] = new[] { "keyword" },
        ["reminder"] = new[] { "reminder", "conditional-alert" },
        ["conditional-alert"] = new[] { "conditional-alert" },
        ["other"] = new[] { "other" },
    };

    private static readonly Lazy<MessagingEvent[]> SeededEvents = new(Seed);

    /// <summary>Every seeded event (read only; built on first use).</summary>
    public static MessagingEvent[] Events => SeededEvents.Value;

    public static void Map(WebApplication app, EmulatorState st)
    {
        foreach (var p in new[] { "/a/{domain}/api/messaging-event/v1/", "/a/{domain}/api/v0.5/messaging-event/" })
        {
            app.Map(p, ViewPipeline.Handle(st, Spec, List));
            app.Map(p + "{event_id:long}/", ViewPipeline.Handle(st, Spec, Detail));
        }
    }

    // ---- seed --------------------------------------------------------------------------------------------

    private static readonly string[] Names =
    {
        "Mattie Ross", "Amina Otieno", "Brian Kamau", "Grace Wanjiru", "Silas Mwangi", "Ruth Achieng", "Tom Chaney", "Ada Holt",
    };

    private static readonly string[] Bodies =
    {
        "Reminder: your clinic visit is tomorrow.", "Welcome to the programme!", "Please reply with your child's weight, in kg.",
        "Karibu! Ziara yako ni kesho.", "Your appointment has been moved — call us on 0700 000 000.", "Thank you, \"Grace\", for replying.",
    };

    private static MessagingEvent[] Seed()
    {
        var list = new List<MessagingEvent>();
        var t0 = Dates.Ticks(2024, 1, 1, 6);
        for (var i = 0; i < 360; i++) list.Add(Make("demo", i, t0, 10_215_000));
        for (var i = 0; i < 4; i++) list.Add(Make("other", i, t0, 20_400_000));
        return list.ToArray();
    }

    private static MessagingEvent Make(string domain, int i, long t0, long idBase)
    {
        var r = new Rng(domain == "demo" ? 42 : 43, 51, i);
        // ~12 h apart, strictly increasing; date_last_activity a few seconds later, so both orders agree.
        var date = t0 + i * 12L * TimeSpan.TicksPerHour + r.Next(0, 600) * TimeSpan.TicksPerMinute + r.Next(1, 1_000_000) * Dates.TicksPerMicro;
        var lastActivity = date + r.Next(0, 50) * TimeSpan.TicksPerSecond;
        var contentType = ContentTypes[i % 7 == 3 ? 2 : i % 11 == 5 ? 3 : r.Next(ContentTypes.Length)];
        var source = SourceTypes[r.Next(SourceTypes.Length)];
        var id = idBase + (i * 37 % 360) * 10 + i % 7;
        var name = Names[r.Next(Names.Length)];
        var recipientType = i % 9 == 0 ? "mobile_worker" : i % 13 == 0 ? "web_user" : i % 17 == 0 ? "unknown" : "case";
        var caseId = recipientType == "case" ? CaseId(r.Next(40)) : null;
        var recipientId = caseId ?? (recipientType == "unknown" ? "" : new Rng(7, 52, r.Next(12)).Hex32());
        var isEmail = contentType == "email";
        var status = i % 10 == 4 ? "error" : i % 23 == 7 ? "in-progress" : i % 29 == 11 ? "not-completed" : isEmail ? "email-sent" : "completed";
        (string, string)? error = status == "error"
            ? (i % 3) switch
            {
                0 => ("NO_RECIPIENT", "No recipient"),
                1 => isEmail ? ("INVALID_EMAIL", "Recipient email address is invalid") : ("GATEWAY_ERROR", "Gateway error."),
                _ => ("NO_PHONE_NUMBER", "Contact has no phone number"),
            }
            : null;
        (string, string, string, string?)? form = contentType is "sms-survey" or "ivr-survey"
            ? (Generator.App1, "f1e2d3c4b5a60718293a4b5c6d7e8f02", "Follow-up Visit", status == "completed" ? new Rng(9, 53, i).Uuid() : null)
            : null;
        var phone = "+2547" + (10_000_000 + r.Next(89_999_999)).ToString(CultureInfo.InvariantCulture);
        var email = name.ToLowerInvariant().Replace(' ', '.') + "@example.org";
        var messages = new List<MessagingMessage>();
        var count = error is not null && error.Value.Item1 is "NO_RECIPIENT" or "NO_PHONE_NUMBER" ? 0 : 1 + (contentType.Contains("survey", StringComparison.Ordinal) ? 1 : 0);
        for (var m = 0; m < count; m++)
        {
            var md = date + (m + 1) * 3 * TimeSpan.TicksPerSecond;
            var smsError = !isEmail && status == "completed" && i % 31 == 0 && m == 0 ? "Message blocked by the gateway (opt-out)" : null;
            messages.Add(new MessagingMessage(
                MessageId: 153_000 + i * 2 + m,
                Date: md,
                DateModified: m == 0 && i % 5 == 0 ? md + TimeSpan.TicksPerMinute : 0,
                Type: isEmail ? "email" : "sms",
                Direction: m == 1 ? "incoming" : "outgoing",
                Content: m == 1 ? (i % 2 == 0 ? "12.5" : "ndiyo") : Bodies[r.Next(Bodies.Length)],
                Status: smsError is not null || status == "error" ? "error" : isEmail ? "email-sent" : m == 1 ? "received" : "sent",
                Backend: isEmail ? "AWS_SES" : "MOBILE_BACKEND_TWILIO",
                PhoneNumber: isEmail ? null : phone,
                EmailAddress: isEmail ? email : null,
                ErrorMessage: smsError ?? (status == "error" ? error!.Value.Item2 : null)));
        }
        var sourceName = source switch
        {
            "keyword" => "Keyword: VISIT",
            "conditional-alert" => "Alert - Missed visit",
            "reminder" => "Reminder - Weekly follow-up",
            "other" => "API",
            _ => "Broadcast - Clinic day",
        };
        return new MessagingEvent(id, domain, contentType, date, lastActivity, caseId, status, error, form,
            (recipientId, recipientType, recipientType == "unknown" ? "" : name),
            ((4600 + r.Next(80)).ToString(CultureInfo.InvariantCulture), source, sourceName),
            messages.ToArray());
    }

    private static string CaseId(int n) => new Rng(5, 54, n).Uuid();

    // ---- serialisation -------------------------------------------------------------------------------------

    /// <summary>Naive <c>isoformat()</c>: microseconds only when non-zero.</summary>
    private static string Iso(long ticks) => Dates.ToString(ticks, ticks % TimeSpan.TicksPerSecond == 0 ? DateStyle.Seconds : DateStyle.Micro);

    private static void Write(PyJsonWriter w, MessagingEvent e)
    {
        w.BeginObject();
        w.Prop("id", e.Id);
        w.Prop("content_type", e.ContentType);
        w.Prop("date", Iso(e.Date));
        w.Prop("date_last_activity", Iso(e.DateLastActivity));
        w.Prop("case_id", e.CaseId);
        w.Prop("domain", e.Domain);
        w.Prop("status", e.Status);
        w.Key("error");
        if (e.Error is { } err) w.BeginObject().Prop("code", err.Code).Prop("message", err.Message).PropNull("message_detail").EndObject();
        else w.Null();
        w.Key("form");
        if (e.Form is { } f)
        {
            w.BeginObject().Prop("app_id", f.AppId).Prop("form_definition_id", f.FormDefinitionId).Prop("form_name", f.FormName)
                .Prop("form_submission_id", f.SubmissionId).EndObject();
        }
        else
        {
            w.Null();
        }
        w.Key("recipient").BeginObject().Prop("recipient_id", e.Recipient.Id).Prop("type", e.Recipient.Type).Prop("name", e.Recipient.Name).EndObject();
        w.Key("source").BeginObject().Prop("source_id", e.Source.Id).Prop("type", e.Source.Type).Prop("name", e.Source.Name).EndObject();
        w.Key("messages").BeginArray();
        foreach (var m in e.Messages)
        {
            w.BeginObject()
                .Prop("message_id", m.MessageId)
                .Prop("date", Iso(m.Date))
                .Prop("date_modified", m.DateModified == 0 ? null : Iso(m.DateModified))
                .Prop("type", m.Type)
                .Prop("direction", m.Direction)
                .Prop("content", m.Content)
                .Prop("status", m.Status)
                .Prop("backend", m.Backend);
            if (m.EmailAddress is not null) w.Prop("email_address", m.EmailAddress);
            else w.Prop("phone_number", m.PhoneNumber);
            if (m.ErrorMessage is not null) w.Prop("error_message", m.ErrorMessage);
            w.EndObject();
        }
        w.EndArray();
        w.EndObject();
    }

    // ---- endpoints ---------------------------------------------------------------------------------------

    /// <summary><c>\d+</c>; another project's event or an unknown id → 404, empty body.</summary>
    public static ApiResponse Detail(ApiContext ctx)
    {
        var id = long.Parse(ctx.Route("event_id"), CultureInfo.InvariantCulture);
        foreach (var e in Events)
        {
            if (e.Id != id || e.Domain != ctx.Domain) continue;
            var w = new PyJsonWriter(1024);
            Write(w, e);
            return new ApiResponse(200, "application/json").Append(w.ToArray());
        }
        return ApiResponse.Empty(404);
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}$")]
    private static partial Regex DateOnlyRx();

    [GeneratedRegex(@"^\+?\d+$")]
    private static partial Regex PhoneRx();

    private sealed class Query
    {
        public readonly List<Func<MessagingEvent, bool>> Predicates = new();
        public bool Descending;
        public int Limit = DefaultLimit;
    }

    /// <summary>
    /// Filters, <c>order_by</c>, <c>limit</c> and the cursor. With <c>cursor</c> every other parameter comes from the cursor;
    /// the next page fetches limit+1 rows and drops the first when it is the previous page's last object.
    /// </summary>
    public static ApiResponse List(ApiContext ctx)
    {
        var raw = ctx.Query;
        long? lastObjectId = null;
        var cursor = raw.Get("cursor");
        var pairs = raw.Pairs;
        if (!string.IsNullOrEmpty(cursor))
        {
            string decoded;
            try
            {
                decoded = Encoding.UTF8.GetString(Convert.FromBase64String(cursor));
            }
            catch (FormatException)
            {
                return ApiResponse.BadRequest("Invalid cursor");
            }
            var cp = new QueryParams(decoded);
            pairs = cp.Pairs;
            if (cp.Get("last_object_id") is { } lo && long.TryParse(lo, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)) lastObjectId = l;
        }
        var q = new QueryParams("");
        foreach (var kv in pairs) if (kv.Key is not ("cursor" or "last_object_id")) q.Pairs.Add(kv);

        var parsed = Parse(q, out var error);
        if (parsed is null) return error!;

        var domain = ctx.Domain!;
        var rows = new List<MessagingEvent>();
        foreach (var e in Events)
        {
            if (e.Domain != domain) continue;
            var ok = true;
            foreach (var p in parsed.Predicates)
            {
                if (p(e)) continue;
                ok = false;
                break;
            }
            if (ok) rows.Add(e);
        }
        rows.Sort((a, b) =>
        {
            var c = a.DateLastActivity.CompareTo(b.DateLastActivity);
            if (c == 0) c = a.Id.CompareTo(b.Id);
            return parsed.Descending ? -c : c;
        });

        var page = new List<MessagingEvent>();
        var skip = lastObjectId is not null && rows.Count > 0 && rows[0].Id == lastObjectId ? 1 : 0;
        for (var i = skip; i < rows.Count && page.Count < parsed.Limit; i++) page.Add(rows[i]);

        var w = new PyJsonWriter(64 * 1024);
        w.BeginObject().Key("objects").BeginArray();
        foreach (var e in page) Write(w, e);
        w.EndArray();
        string? next = null;
        if (page.Count > 0)
        {
            var last = page[^1];
            var dateKey = parsed.Descending ? "date.lte" : "date.gte";
            var cp = new QueryParams("");
            foreach (var kv in q.Pairs) if (kv.Key != dateKey) cp.Pairs.Add(kv);
            var encoded = cp.Encode(Array.Empty<string>(), new KeyValuePair<string, string>[]
            {
                new(dateKey, Iso(last.Date)),
                new("last_object_id", last.Id.ToString(CultureInfo.InvariantCulture)),
            });
            var sb = new StringBuilder();
            QueryParams.QuotePlus(sb, Convert.ToBase64String(Encoding.UTF8.GetBytes(encoded)));
            next = ctx.Http.Request.Scheme + "://" + ctx.Http.Request.Host.Value + ctx.RawPath + "?cursor=" + sb;
        }
        w.Key("meta").BeginObject().Prop("limit", parsed.Limit).Prop("next", next).EndObject();
        w.EndObject();
        return new ApiResponse(200, "application/json").Append(w.ToArray());
    }

    private static Query? Parse(QueryParams q, out ApiResponse? error)
    {
        error = null;
        var result = new Query();
        if (q.Get("limit") is { } ls)
        {
            if (!Paging.TryPyInt(ls, out var l) || l <= 0)
            {
                error = ApiResponse.BadRequest($"Invalid limit '{ls}' provided. Please provide a positive integer.");
                return null;
            }
            result.Limit = (int)Math.Min(l, MaxLimit);
        }
        if (q.Get("order_by") is { Length: > 0 } ob)
        {
            if (ob is not ("date_last_activity" or "-date_last_activity"))
            {
                error = ApiResponse.BadRequest($"No matching '{ob}' field for ordering");
                return null;
            }
            result.Descending = ob[0] == '-';
        }
        foreach (var (key, value) in q.Items())
        {
            var dot = key.IndexOf('.');
            if (dot > 0 && key[..dot] is "date" or "date_last_activity")
            {
                var field = key[..dot];
                var op = key[(dot + 1)..];
                if (op is not ("lt" or "lte" or "gt" or "gte"))
                {
                    error = ApiResponse.BadRequest($"'{op}' is not a valid type of date range.");
                    return null;
                }
                if (!TryBound(value, op, out var bound, out var strict))
                {
                    error = ApiResponse.BadRequest($"Cannot parse datetime '{value}'");
                    return null;
                }
                Func<MessagingEvent, long> get = field == "date" ? static e => e.Date : static e => e.DateLastActivity;
                result.Predicates.Add(op is "lt" or "lte"
                    ? strict ? e => get(e) < bound : e => get(e) <= bound
                    : strict ? e => get(e) > bound : e => get(e) >= bound);
                continue;
            }
            switch (key)
            {
                case "source":
                {
                    var set = Expand(value, SourceSlugs);
                    // none of the slugs known: the filter consumer returns None and HQ fails with an unhandled 500
                    if (set is null) throw new InvalidOperationException($"no known source in '{value}'");
                    result.Predicates.Add(e => set.Contains(e.Source.Type));
                    break;
                }
                case "content_type":
                {
                    var set = Expand(value, ContentTypeSlugs);
                    if (set is null) throw new InvalidOperationException($"no known content_type in '{value}'");
                    result.Predicates.Add(e => set.Contains(e.ContentType));
                    break;
                }
                case "status":
                    if (Array.IndexOf(Statuses, value) < 0)
                    {
                        error = ApiResponse.BadRequest($"'{value}' is an invalid value for the 'status' filter");
                        return null;
                    }
                    result.Predicates.Add(value == "error"
                        ? static e => e.Status == "error" || Array.Exists(e.Messages, m => m.ErrorMessage is not null)
                        : e => e.Status == value);
                    break;
                case "error_code":
                    result.Predicates.Add(e => e.Error?.Code == value);
                    break;
                case "case_id":
                    result.Predicates.Add(e => e.CaseId == value);
                    break;
                case "email_address":
                    if (!UsersApi.IsValidEmail(value))
                    {
                        error = ApiResponse.BadRequest($"'{value}' is an invalid value for the 'email_address' filter");
                        return null;
                    }
                    result.Predicates.Add(e => Array.Exists(e.Messages, m => string.Equals(m.EmailAddress, value, StringComparison.OrdinalIgnoreCase)));
                    break;
                case "phone_number":
                {
                    var digits = value.Trim();
                    if (!PhoneRx().IsMatch(digits))
                    {
                        error = ApiResponse.BadRequest($"'{value}' is an invalid value for the 'phone_number' filter");
                        return null;
                    }
                    digits = digits.TrimStart('+');
                    result.Predicates.Add(e => Array.Exists(e.Messages, m => m.PhoneNumber?.Contains(digits, StringComparison.Ordinal) == true));
                    break;
                }
            }
        }
        return result;
    }

    /// <summary>The union of the known slugs' types, or null when none of the comma-separated slugs is known.</summary>
    private static HashSet<string>? Expand(string value, Dictionary<string, string[]> slugs)
    {
        HashSet<string>? set = null;
        foreach (var s in value.Split(','))
        {
            if (!slugs.TryGetValue(s.Trim(), out var types)) continue;
            set ??= new HashSet<string>(StringComparer.Ordinal);
            set.UnionWith(types);
        }
        return set;
    }

    /// <summary>
    /// <c>parse_str_to_date</c>: a bare <c>YYYY-MM-DD</c> is a day (lt = before it, lte = through its end, gt = after its
    /// end, gte = from its start); anything else is an ISO datetime, an offset converted to UTC.
    /// </summary>
    private static bool TryBound(string value, string op, out long bound, out bool strict)
    {
        bound = 0;
        strict = op is "lt" or "gt";
        var v = value.Trim();
        if (DateOnlyRx().IsMatch(v))
        {
            if (!DateTime.TryParseExact(v, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var d))
                return false;
            var start = d.Ticks;
            var nextDay = start + TimeSpan.TicksPerDay;
            (bound, strict) = op switch
            {
                "lt" => (start, true),
                "lte" => (nextDay, true),
                "gt" => (nextDay, false),
                _ => (start, false),
            };
            return true;
        }
        if (!DateTimeOffset.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var dto))
            return false;
        bound = dto.UtcTicks;
        return true;
    }
}
