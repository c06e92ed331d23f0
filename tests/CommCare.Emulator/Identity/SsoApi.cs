using System;
using System.Collections.Generic;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CommCare.Emulator;

/// <summary>
/// The SSO credential check (docs/commcare-api.md#identity-and-sso, <c>v0_4.SingleSignOnResource</c>): <c>POST</c> a URL-encoded
/// <c>username</c> + <c>password</c>; the answer is the user as the v0.1 user / web-user resources dehydrate it (200), a
/// 400 text for a missing parameter, or 403 with an empty body for anything else (unknown user, not a member of the
/// project, wrong password). No authentication (<c>SSOAuthentication</c> always passes); throttled.
/// </summary>
public static class SsoApi
{
    public static readonly ApiSpec Spec = new("sso", AuthMode.Anonymous, null, Throttled: true)
    {
        Methods = new[] { "POST" },
        TargetOf = static (ctx, body) => Form(ctx.Request.ContentType, body).Get("username"),
    };

    /// <summary><c>detail_allowed_methods = []</c>: every method of a detail URL is a 405 with an empty <c>Allow</c>.</summary>
    public static readonly ApiSpec DetailSpec = new("sso", AuthMode.Anonymous, null, Throttled: true)
    {
        Methods = Array.Empty<string>(),
    };

    public static readonly string[] Prefixes =
    {
        "/a/{domain}/api/sso/v1/",
        "/a/{domain}/api/v0.5/sso/",
        "/a/{domain}/api/v0.4/sso/",
    };

    public static void Map(WebApplication app, EmulatorState st)
    {
        foreach (var prefix in Prefixes)
        {
            app.Map(prefix, Pipeline.Handle(st, Spec, Check));
            app.Map(prefix + "{id}/", Pipeline.Handle(st, DetailSpec, static _ => ApiResponse.Empty(405)));
        }
    }

    /// <summary>Django's <c>request.POST</c>: URL-encoded or multipart form fields (anything else gives no fields).</summary>
    public static QueryParams Form(string? contentType, byte[] body)
    {
        if (contentType is not null && contentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            return new QueryParams(Encoding.UTF8.GetString(body));
        }
        var q = new QueryParams("");
        if (Multipart.Parse(body, contentType) is { } parts)
        {
            foreach (var p in parts)
            {
                if (p.FileName is null) q.Pairs.Add(new(p.Name, Encoding.UTF8.GetString(p.Data)));
            }
        }
        return q;
    }

    public static ApiResponse Check(ApiContext ctx)
    {
        var domain = ctx.Domain!;
        var form = Form(ctx.Http.Request.ContentType, ctx.Body);
        var username = form.Get("username");
        var password = form.Get("password");
        if (username is null) return ApiResponse.Text(400, "Missing required parameter: username", ApiResponse.HtmlType);
        if (password is null) return ApiResponse.Text(400, "Missing required parameter: password", ApiResponse.HtmlType);
        if (!username.Contains('@')) username = username + "@" + domain + ".commcarehq.org";

        var store = ctx.Data.Users;
        lock (store.Lock)
        {
            // Mobile workers (retired ones no longer exist; a deactivated one still passes check_password).
            foreach (var d in Accounts.Domains)
            {
                foreach (var u in store.Workers(d.Name))
                {
                    if (u.Retired || !string.Equals(u.Username, username, StringComparison.OrdinalIgnoreCase)) continue;
                    if (u.Domain != domain || u.Password is null || password.Length == 0 || u.Password != password) return ApiResponse.Empty(403);
                    if (!u.Active && ctx.State.Alt.SsoDeactivatedNoUser) return ApiResponse.Json(200, "{\"id\": null}"u8.ToArray());
                    return ApiResponse.Json(200, WorkerJson(store, u));
                }
            }
            // Web users: the fixed accounts (their password, never the API key).
            var acct = Accounts.ByUsername(username);
            if (acct is null || acct.IsMobileWorker || !acct.IsMemberOf(domain) || acct.Password is null || acct.Password != password)
            {
                return ApiResponse.Empty(403);
            }
            WebUserRecord? rec = null;
            foreach (var w in store.WebUsers(domain)) if (w.Id == acct.Id) rec = w;
            return ApiResponse.Json(200, WebUserJson(store, acct, rec));
        }
    }

    /// <summary><c>v0_1.CommCareUserResource</c> (caller holds the store lock).</summary>
    public static byte[] WorkerJson(UserStore store, MobileWorker u)
    {
        var data = new List<KeyValuePair<string, JsonElement>>(u.UserData);
        if (u.PrimaryLocation is { } loc)
        {
            data.Add(new("commcare_location_id", Str(loc)));
            data.Add(new("commcare_location_ids", Str(string.Join(" ", u.LocationIds))));
            data.Add(new("commcare_primary_case_sharing_id", Str(loc)));
        }
        data.Add(new("commcare_project", Str(u.Domain)));

        var w = new PyJsonWriter(1024);
        w.BeginObject();
        w.Prop("default_phone_number", u.PhoneNumbers.Count > 0 ? u.PhoneNumbers[0] : null);
        w.Prop("email", u.Email);
        w.Prop("eulas", u.Eulas);
        w.Prop("first_name", u.FirstName);
        w.Key("groups");
        UsersApi.StringArray(w, store.GroupIdsOf(u));
        w.Prop("id", u.Id);
        w.Prop("last_name", u.LastName);
        w.Key("phone_numbers");
        UsersApi.StringArray(w, u.PhoneNumbers);
        w.Prop("resource_uri", "");
        w.Key("user_data");
        GroupsApi.WriteMap(w, data);
        w.Prop("username", u.Username);
        w.EndObject();
        return w.ToArray();
    }

    /// <summary><c>v0_1.WebUserResource</c>: the base fields plus <c>role</c>, <c>is_admin</c>, <c>permissions</c>.</summary>
    public static byte[] WebUserJson(UserStore store, Account a, WebUserRecord? rec)
    {
        var role = store.RoleById(rec?.RoleId);
        var phones = rec?.PhoneNumbers ?? new List<string>();
        var w = new PyJsonWriter(1024);
        w.BeginObject();
        w.Prop("default_phone_number", phones.Count > 0 ? phones[0] : null);
        w.Prop("email", rec?.Email ?? a.Email);
        w.Prop("eulas", rec?.Eulas ?? "[]");
        w.Prop("first_name", rec?.FirstName ?? a.FirstName);
        w.Prop("id", a.Id);
        w.Prop("is_admin", role?.IsAdmin ?? false);
        w.Prop("last_name", rec?.LastName ?? a.LastName);
        w.Key("permissions");
        WebUsersApi.WritePermissions(w, role);   // the same object the web-user API shows
        w.Key("phone_numbers");
        UsersApi.StringArray(w, phones);
        w.Prop("resource_uri", "");
        w.Prop("role", role?.Name ?? "");
        w.Prop("username", a.Username);
        w.EndObject();
        return w.ToArray();
    }

    private static JsonElement Str(string s)
    {
        using var doc = JsonDocument.Parse(JsonSerializer.Serialize(s));
        return doc.RootElement.Clone();
    }
}
