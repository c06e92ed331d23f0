using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CommCare.Emulator;

/// <summary>
/// The legacy SMS Mobile Worker Registration and Send CommCare Install Info APIs (docs/commcare-api.md#sms-registration,
/// <c>sms/resources/v0_5.py</c>): <c>POST /a/{domain}/api/v0.5/sms_user_registration/</c> and
/// <c>.../sms_user_registration_reinstall/</c>. Order: (config <c>smsRegistration: false</c> → Django's HTML 404 for
/// both, as on a server that dropped the routes) → APPEND_SLASH → the resource's own <c>dispatch</c> gate (plan privilege
/// INBOUND_SMS → 401 JSON; the project setting → 403 JSON; before the method and auth checks) → method (405) → auth
/// (tastypie, <c>edit_data</c>) → fault → handler. Not throttled (<c>Meta(object)</c>). Nothing is really sent: every SMS
/// is recorded for <c>GET /_emulator/sms</c>.
/// </summary>
public static partial class SmsRegistrationApi
{
    public static readonly ApiSpec RegistrationSpec = new("sms_user_registration", AuthMode.DomainResource, "edit_data", Throttled: false)
    {
        Methods = new[] { "POST" },
        TargetOf = static (_, body) => PhoneNumbersOf(body),
    };

    public static readonly ApiSpec ReinstallSpec = RegistrationSpec with { Name = "sms_user_registration_reinstall" };

    /// <summary>Project spaces whose plan has the INBOUND_SMS privilege (other is on a plan without it).</summary>
    public static readonly HashSet<string> InboundSmsDomains = new(StringComparer.Ordinal) { "demo" };

    public static void Map(WebApplication app, EmulatorState st)
    {
        app.Map("/a/{domain}/api/v0.5/sms_user_registration/", Gate(st, Pipeline.Handle(st, RegistrationSpec, Register)));
        app.Map("/a/{domain}/api/v0.5/sms_user_registration_reinstall/", Gate(st, Pipeline.Handle(st, ReinstallSpec, Reinstall)));
    }

    private static RequestDelegate Gate(EmulatorState st, RequestDelegate inner) => async ctx =>
    {
        if (!st.Extras.SmsRegistration)
        {
            await Pipeline.WriteAsync(ctx, ApiResponse.HtmlNotFound());
            return;
        }
        var (rawPath, _) = Pipeline.RawTarget(ctx);
        if (rawPath.EndsWith('/'))
        {
            var domain = ctx.Request.RouteValues["domain"]?.ToString() ?? "";
            if (!InboundSmsDomains.Contains(domain))
            {
                await Pipeline.WriteAsync(ctx, PlainJson(401, ("error", "Your current plan does not have access to this feature")));
                return;
            }
            if (!st.Extras.SmsRegistrationEnabled)
            {
                await Pipeline.WriteAsync(ctx, PlainJson(403, ("error", "Please first enable SMS mobile worker registration for your project.")));
                return;
            }
        }
        await inner(ctx);
    };

    /// <summary><c>HttpResponse(json.dumps({...}), content_type='application/json')</c>: insertion order, ASCII, no charset.</summary>
    private static ApiResponse PlainJson(int status, params (string Key, string Value)[] members)
    {
        var w = new PyJsonWriter(256) { EnsureAscii = true };
        w.BeginObject();
        foreach (var (k, v) in members) w.Prop(k, v);
        w.EndObject();
        return new ApiResponse(status, "application/json").Append(w.ToArray());
    }

    private static ApiResponse Lists(params (string Key, List<string> Values)[] members)
    {
        var w = new PyJsonWriter(256) { EnsureAscii = true };
        w.BeginObject();
        foreach (var (k, values) in members)
        {
            w.Key(k).BeginArray();
            foreach (var v in values) w.String(v);
            w.EndArray();
        }
        w.EndObject();
        return new ApiResponse(200, "application/json").Append(w.ToArray());
    }

    /// <summary>tastypie <c>error_response(errors)</c>: 400 with the errors dict (one field).</summary>
    private static ApiResponse FieldError(string field, string message)
    {
        var w = new PyJsonWriter(128);
        w.BeginObject().Prop(field, message).EndObject();
        return ApiResponse.Json(400, w.ToArray());
    }

    private static string? PhoneNumbersOf(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("users", out var users)
                || users.ValueKind != JsonValueKind.Array) return null;
            var numbers = users.EnumerateArray()
                .Where(u => u.ValueKind == JsonValueKind.Object && u.TryGetProperty("phone_number", out var p) && p.ValueKind == JsonValueKind.String)
                .Select(u => u.GetProperty("phone_number").GetString()!).ToList();
            return numbers.Count > 0 ? string.Join(", ", numbers) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private enum FieldType { Str, List, Bool, Dict }

    private static bool Is(JsonElement v, FieldType t) => t switch
    {
        FieldType.Str => v.ValueKind == JsonValueKind.String,
        FieldType.List => v.ValueKind == JsonValueKind.Array,
        FieldType.Bool => v.ValueKind is JsonValueKind.True or JsonValueKind.False,
        _ => v.ValueKind == JsonValueKind.Object,
    };

    private static string TypeName(FieldType t) => t switch
    {
        FieldType.Str => "str",
        FieldType.List => "list",
        FieldType.Bool => "bool",
        _ => "dict",
    };

    /// <summary><c>_validate_toplevel_fields</c>: per field in order, "required" then the type; the first problem wins.</summary>
    private static ApiResponse? CheckFields(JsonElement obj, params (string Name, bool Required, FieldType Type)[] defs)
    {
        foreach (var (name, required, type) in defs)
        {
            var present = obj.TryGetProperty(name, out var v);
            if (!present && required) return FieldError(name, "This field is required");
            if (present && !Is(v, type)) return FieldError(name, "Expected type: " + TypeName(type));
        }
        return null;
    }

    /// <summary>Body → object, the top-level fields, <c>app_id</c> (an application of the project), then the users.</summary>
    private static ApiResponse? Validate(ApiContext ctx, out JsonElement root, params (string Name, bool Required, FieldType Type)[] defs)
    {
        root = default;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(ctx.Body);
        }
        catch (JsonException)
        {
            return ApiResponse.BadRequest("Request is not valid JSON.");
        }
        root = doc.RootElement.Clone();
        doc.Dispose();
        if (root.ValueKind != JsonValueKind.Object) return ApiResponse.ServerError();
        if (CheckFields(root, defs) is { } e) return e;
        if (AppCatalog.Find(ctx.Data, ctx.Domain!, root.GetProperty("app_id").GetString()!) is null) return FieldError("app_id", "Invalid app_id specified");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var u in root.GetProperty("users").EnumerateArray())
        {
            if (u.ValueKind != JsonValueKind.Object) return FieldError("users", "Expected a list of dictionaries");
            if (CheckFields(u, ("phone_number", true, FieldType.Str), ("custom_user_data", false, FieldType.Dict)) is { } ue) return ue;
            var number = Leniency(u.GetProperty("phone_number").GetString()!);
            if (!seen.Add(number)) return FieldError("users", "phone_number cannot be reused within a request: " + number);
        }
        return null;
    }

    /// <summary><c>apply_leniency</c>: drop <c>( ) - .</c> and whitespace, then a leading <c>+</c>.</summary>
    public static string Leniency(string number)
    {
        var s = LenientRx().Replace(number, "");
        return s.StartsWith('+') ? s[1..] : s;
    }

    /// <summary>The emulator's stand-in for <c>validate_phone_number</c>: 8 to 15 digits.</summary>
    public static bool ValidNumber(string number) => number.Length is >= 8 and <= 15 && number.All(char.IsAsciiDigit);

    [GeneratedRegex(@"[()\s\-.]+")]
    private static partial Regex LenientRx();

    public static ApiResponse Register(ApiContext ctx)
    {
        if (Validate(ctx, out var root,
                ("app_id", true, FieldType.Str), ("users", true, FieldType.List), ("android_only", false, FieldType.Bool),
                ("require_email", false, FieldType.Bool), ("custom_registration_message", false, FieldType.Str)) is { } err) return err;
        var domain = ctx.Domain!;
        var appId = root.GetProperty("app_id").GetString()!;
        var androidOnly = root.TryGetProperty("android_only", out var ao) && ao.GetBoolean();
        string? custom = root.TryGetProperty("custom_registration_message", out var cm) ? cm.GetString()!.Trim() : null;
        if (string.IsNullOrEmpty(custom)) custom = null;

        var success = new List<string>();
        var invalid = new List<string>();
        var inUse = new List<string>();
        var store = ctx.Data.Users;
        foreach (var u in root.GetProperty("users").EnumerateArray())
        {
            var number = Leniency(u.GetProperty("phone_number").GetString()!);
            if (!ValidNumber(number))
            {
                invalid.Add(number);
                continue;
            }
            if (OwnerOf(store, number, null) is not null)
            {
                inUse.Add(number);
                continue;
            }
            var url = $"{ctx.State.BaseUrl}/a/{domain}/settings/users/commcare/register/{Guid.NewGuid():N}/";
            string message;
            if (custom is not null) message = custom.Replace("{}", url);
            else if (androidOnly) message = "Welcome to CommCare! Please click here to register as a mobile worker: " + url;
            else message = "Welcome to CommCare! Reply 1 if you have an Android phone, or 2 if you do not.";
            ctx.State.Extras.AddSms(new SentSms(domain, "registration", number, appId, message, DateTime.UtcNow.Ticks));
            success.Add(number);
        }
        return Lists(("success_numbers", success), ("invalid_format_numbers", invalid), ("numbers_in_use", inUse));
    }

    public static ApiResponse Reinstall(ApiContext ctx)
    {
        if (Validate(ctx, out var root,
                ("app_id", true, FieldType.Str), ("users", true, FieldType.List), ("reinstall_message", false, FieldType.Str)) is { } err) return err;
        var domain = ctx.Domain!;
        var appId = root.GetProperty("app_id").GetString()!;
        string? custom = root.TryGetProperty("reinstall_message", out var rm) ? rm.GetString()!.Trim() : null;
        if (string.IsNullOrEmpty(custom)) custom = null;

        var success = new List<string>();
        var invalid = new List<string>();
        var errors = new List<string>();
        var store = ctx.Data.Users;
        foreach (var u in root.GetProperty("users").EnumerateArray())
        {
            var number = Leniency(u.GetProperty("phone_number").GetString()!);
            if (!ValidNumber(number))
            {
                invalid.Add(number);
                continue;
            }
            if (OwnerOf(store, number, domain) is null)
            {
                errors.Add(number);
                continue;
            }
            var link = $"{ctx.State.BaseUrl}/a/{domain}/apps/download/{appId}/odk/";
            var message = custom is not null ? custom.Replace("{}", link) : "Click here to install CommCare: " + link;
            ctx.State.Extras.AddSms(new SentSms(domain, "reinstall", number, appId, message, DateTime.UtcNow.Ticks));
            success.Add(number);
        }
        return Lists(("success_numbers", success), ("invalid_format_numbers", invalid), ("error_numbers", errors));
    }

    /// <summary>The live mobile worker with this phone number (of <paramref name="domain"/>, or of any project when null).</summary>
    private static MobileWorker? OwnerOf(UserStore store, string number, string? domain)
    {
        lock (store.Lock)
        {
            foreach (var d in Accounts.Domains)
            {
                if (domain is not null && d.Name != domain) continue;
                foreach (var w in store.Workers(d.Name))
                {
                    if (!w.Retired && w.PhoneNumbers.Contains(number)) return w;
                }
            }
        }
        return null;
    }

    /// <summary><c>GET /_emulator/sms</c>: the recorded messages, oldest first.</summary>
    public static void WriteOutbox(Utf8JsonWriter w, List<SentSms> messages)
    {
        w.WriteStartArray();
        foreach (var m in messages)
        {
            w.WriteStartObject();
            w.WriteString("domain", m.Domain);
            w.WriteString("kind", m.Kind);
            w.WriteString("phoneNumber", m.PhoneNumber);
            w.WriteString("appId", m.AppId);
            w.WriteString("message", m.Message);
            w.WriteString("sentAt", Dates.ToString(m.SentTicks - m.SentTicks % Dates.TicksPerMicro, DateStyle.MicroZ));
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
