using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CommCare.Emulator;

/// <summary>
/// OTA restore (docs/commcare-api.md#ota-restore): <c>GET /a/{domain}/phone/restore/[{app_id}/]</c>. Not a tastypie resource: its own
/// request order (APPEND_SLASH → method → <c>mobile_auth_or_formplayer</c> (Basic default challenge; 406 for a
/// deactivated / deleted mobile worker) → membership (401 text) → <c>access_mobile_endpoints</c> (403) → fault →
/// handler), no API throttle (RATE_LIMIT_RESTORES is off), the same fault injector and request log.
/// </summary>
public static class RestoreApi
{
    /// <summary>Receiver mode gives the Basic challenge for a missing header, like <c>mobile_auth</c>'s default BASIC.</summary>
    private static readonly ApiSpec AuthSpec = new("restore", AuthMode.Receiver, null, Throttled: false);

    public const string XmlType = "text/xml; charset=utf-8";
    public const string ResponseNs = "http://openrosa.org/http/response";
    public const string SyncNs = "http://commcarehq.org/sync";
    public const string RegistrationNs = "http://openrosa.org/user/registration";

    public static void Map(WebApplication app, EmulatorState st)
    {
        app.Map("/a/{domain}/phone/restore/", (RequestDelegate)(ctx => Run(ctx, st)));
        app.Map("/a/{domain}/phone/restore/{app_id}/", (RequestDelegate)(ctx => Run(ctx, st)));
    }

    /// <summary>The restore user: a mobile worker of the store, or a fixed web user.</summary>
    private sealed record RestoreUser(string Id, string Username, string RawUsername, bool IsMobileWorker, MobileWorker? Worker, Account? Web);

    private static async Task Run(HttpContext ctx, EmulatorState st)
    {
        var info = Pipeline.Info(ctx);
        var (rawPath, rawQuery) = Pipeline.RawTarget(ctx);
        if (!rawPath.EndsWith('/'))
        {
            await Pipeline.WriteAsync(ctx, st.Config.AppendSlash
                ? ApiResponse.Empty(301).Header("Location", rawPath + "/" + (rawQuery.Length > 0 ? "?" + rawQuery : ""))
                : ApiResponse.HtmlNotFound());
            return;
        }
        if (!HttpMethods.IsGet(ctx.Request.Method) && !HttpMethods.IsHead(ctx.Request.Method))
        {
            await Pipeline.WriteAsync(ctx, ApiResponse.Empty(405).Header("Allow", "GET"));
            return;
        }

        var query = new QueryParams(rawQuery);
        var domain = ctx.Request.RouteValues["domain"]?.ToString() ?? "";
        var auth = Auth.Authenticate(ctx, query, AuthSpec, st.Data);
        info.Auth = auth.LogName;
        if (auth.Failure is not null)
        {
            await Pipeline.WriteAsync(ctx, Handle401(ctx, st, auth));
            return;
        }
        var caller = auth.User!;
        info.User = caller.Username;
        // A Formplayer origin token that does not validate (the emulator knows none) → 403.
        if (ctx.Request.Headers.ContainsKey("X-CommCareHQ-Origin-Token"))
        {
            await Pipeline.WriteAsync(ctx, ApiResponse.Empty(403));
            return;
        }
        if (!caller.IsMemberOf(domain))
        {
            await Pipeline.WriteAsync(ctx, ApiResponse.Text(401, $"{caller.Username} was not in the domain {domain}", ApiResponse.HtmlType));
            return;
        }
        // require_mobile_access: the role permission access_mobile_endpoints (mobile workers' roles grant it).
        if (!caller.IsMobileWorker && !caller.Has(domain, "access_mobile_endpoints"))
        {
            await Pipeline.WriteAsync(ctx, ApiResponse.Empty(403));
            return;
        }

        await Pipeline.FaultThenHandleAsync(ctx, st, info, rawPath,
            data => Restore(ctx, st, data, query, caller, domain), ApiResponse.HtmlServerError);
    }

    /// <summary>
    /// <c>handle_401_response</c>: a 401 for Basic credentials whose username is a deactivated or deleted (retired) mobile
    /// worker becomes 406 JSON; any other failure stays as it is.
    /// </summary>
    private static ApiResponse Handle401(HttpContext ctx, EmulatorState st, AuthOutcome auth)
    {
        var failure = auth.Failure!;
        if (failure.Status != 401 || auth.Scheme != AuthScheme.Basic || st.Data is not { } data) return failure;
        string username;
        try
        {
            var header = ctx.Request.Headers.Authorization.ToString();
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
            var colon = decoded.IndexOf(':');
            if (colon < 0) return failure;
            username = decoded[..colon];
        }
        catch (FormatException)
        {
            return failure;
        }
        var store = data.Users;
        lock (store.Lock)
        {
            foreach (var d in Accounts.Domains)
            {
                foreach (var u in store.Workers(d.Name))
                {
                    if (!string.Equals(u.Username, username, StringComparison.OrdinalIgnoreCase)) continue;
                    if (u.Retired)
                        return JsonObject(406, ("error", "user.deleted"),
                            ("default_response", "Your account has been deleted, please contact your domain admin to request for restore"));
                    if (!u.Active)
                        return JsonObject(406, ("error", "user.deactivated"),
                            ("default_response", "Your account has been deactivated, please contact your domain admin to reactivate"));
                    return failure;
                }
            }
        }
        return failure;
    }

    private static ApiResponse JsonObject(int status, params (string Key, string Value)[] members)
    {
        var w = new PyJsonWriter(256) { EnsureAscii = true };
        w.BeginObject();
        foreach (var (k, v) in members) w.Prop(k, v);
        w.EndObject();
        return new ApiResponse(status, "application/json").Append(w.ToArray());
    }

    /// <summary>An OpenRosa response with just a message (<c>get_simple_response_xml</c>).</summary>
    public static ApiResponse Simple(int status, string nature, string message) => ApiResponse.Text(status,
        $"<OpenRosaResponse xmlns=\"{ResponseNs}\"><message nature=\"{nature}\">{Text(message)}</message></OpenRosaResponse>", XmlType);

    private static ApiResponse Restore(HttpContext http, EmulatorState st, DataSet data, QueryParams q, Account caller, string domain)
    {
        // get_restore_response: user_id mismatch → 412 before anything else.
        var userIdParam = q.Get("user_id");
        if (!string.IsNullOrEmpty(userIdParam) && userIdParam != caller.Id)
        {
            return Simple(412, "ota_restore_error", "Attempt to sync with invalid user.");
        }

        // Who is restored: the caller, or the "as" user (is_permitted_to_restore).
        RestoreUser? user;
        var asParam = q.Get("as");
        var store = data.Users;
        lock (store.Lock)
        {
            user = FindUser(store, caller.Username);
            if (!string.IsNullOrEmpty(asParam))
            {
                var asName = asParam.Contains('@') ? asParam : asParam + "@" + domain + ".commcarehq.org";
                var asUser = FindUser(store, asName);
                if (asUser is null) return ApiResponse.Text(401, $"Invalid restore as user {asName}", ApiResponse.HtmlType);
                if (asUser.Id != caller.Id)
                {
                    var asDomainOk = asUser.Worker is { } aw ? aw.Domain == domain : asUser.Web!.IsMemberOf(domain);
                    if (!asDomainOk) return ApiResponse.Text(401, $"{asUser.Username} was not in the domain {domain}", ApiResponse.HtmlType);
                    if (caller.IsMobileWorker && !caller.Has(domain, "edit_commcare_users"))
                        return ApiResponse.Text(401, $"{caller.Username} does not have permission to edit commcare users", ApiResponse.HtmlType);
                }
                user = asUser;
            }
        }
        if (user is null) return ApiResponse.Text(404, "Could not find user", ApiResponse.HtmlType);

        // check_version: an unknown restore format is a ValueError (Django's HTML 500).
        var version = q.Get("version");
        if (string.IsNullOrEmpty(version)) version = "2.0";
        if (version is not ("1.0" or "2.0")) return ApiResponse.HtmlServerError();

        var dd = data.For(domain);
        if (dd is null) return ApiResponse.Text(404, "Could not find user", ApiResponse.HtmlType);

        // The sync token (since) and the phone's case-state hash (state).
        var since = q.Get("since");
        SyncToken? last = null;
        if (!string.IsNullOrEmpty(since))
        {
            last = st.Extras.Token(since);
            if (last is null || last.Domain != domain)
                return Simple(412, "ota_restore_error", $"No sync log with ID {since} found");
            if (last.UserId != user.Id)
                return Simple(412, "ota_restore_error", $"Sync log {since} does not match user id {user.Id} (was {last.UserId})");
            var state = q.Get("state");
            if (!string.IsNullOrEmpty(state) && state != StateHash(last.CaseIds))
                return Simple(412, "ota_restore_error", "Phone case list is inconsistant with server's records.");
        }

        // Async restore: only with OpenRosa >= 2.0 (header first, then the openrosa_version parameter).
        var openRosa = http.Request.Headers["X-OpenRosa-Version"].ToString();
        if (openRosa.Length == 0) openRosa = q.Get("openrosa_version") ?? "";
        if (st.Extras.RestorePendingPolls > 0 && IsAtLeast2(openRosa))
        {
            var key = string.Join("|", domain, user.Id, since ?? "", q.Get("device_id") ?? "", http.Request.RouteValues["app_id"]?.ToString() ?? "");
            if (st.Extras.Pending(key, out var done, out var polls))
            {
                var total = dd.Cases.Length;
                var retry = st.Extras.RestoreRetryAfter;
                var progressDone = polls <= 0 ? 0 : (int)((long)total * done / (polls + 1));
                var body = $"<OpenRosaResponse xmlns=\"{ResponseNs}\"><message nature=\"ota_restore_pending\">Asynchronous restore under way for {Text(user.RawUsername)}</message>"
                    + $"<Sync xmlns=\"{SyncNs}\"><progress done=\"{progressDone}\" total=\"{total}\" retry-after=\"{retry}\"/></Sync></OpenRosaResponse>";
                return ApiResponse.Text(202, body, XmlType).Header("Retry-After", retry.ToString(CultureInfo.InvariantCulture));
            }
        }

        var items = q.Get("items") == "true";
        var skipFixtures = last is not null && q.Get("skip_fixtures") == "true";
        return Payload(st, data, dd, user, last, items, skipFixtures);
    }

    /// <summary>Text content as ElementTree escapes it (<c>&amp;</c>, <c>&lt;</c>, <c>&gt;</c>).</summary>
    public static string Text(string s)
    {
        if (s.AsSpan().IndexOfAny('&', '<', '>') < 0) return s;
        return s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
    }

    /// <summary>An attribute value as ElementTree escapes it (also <c>"</c>, and line breaks / tabs as character references).</summary>
    public static string Attr(string s)
    {
        s = Text(s);
        if (s.AsSpan().IndexOfAny("\"\n\r\t") < 0) return s;
        return s.Replace("\"", "&quot;").Replace("\n", "&#10;").Replace("\r", "&#13;").Replace("\t", "&#09;");
    }

    private static bool IsAtLeast2(string v)
    {
        var parts = v.Split('.');
        return parts.Length > 0 && int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var major) && major >= 2;
    }

    /// <summary>A mobile worker (not retired) or a fixed web user by full username (case-insensitive); caller holds the lock.</summary>
    private static RestoreUser? FindUser(UserStore store, string username)
    {
        foreach (var d in Accounts.Domains)
        {
            foreach (var u in store.Workers(d.Name))
            {
                if (u.Retired || !string.Equals(u.Username, username, StringComparison.OrdinalIgnoreCase)) continue;
                var raw = u.Username.Split('@')[0];
                return new RestoreUser(u.Id, u.Username, raw, true, u.Clone(), null);
            }
        }
        var a = Accounts.ByUsername(username);
        if (a is null || a.IsMobileWorker) return null;
        return new RestoreUser(a.Id, a.Username, a.Username, false, null, a);
    }

    /// <summary><c>CaseStateHash</c>: <c>ccsh:</c> + md5 of the sorted case ids joined with <c>:</c>.</summary>
    public static string StateHash(IEnumerable<string> caseIds)
    {
        var ids = caseIds.ToList();
        ids.Sort(StringComparer.Ordinal);
        return "ccsh:" + Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(string.Join(":", ids))));
    }

    // ---- the payload ---------------------------------------------------------------------------------

    private static ApiResponse Payload(EmulatorState st, DataSet data, DomainData dd, RestoreUser user, SyncToken? last, bool items, bool skipFixtures)
    {
        var store = data.Users;
        HashSet<string> owners;
        List<UserGroup> groups;
        lock (store.Lock)
        {
            owners = new HashSet<string>(StringComparer.Ordinal) { user.Id };
            groups = new List<UserGroup>();
            if (user.Worker is { } w)
            {
                foreach (var g in store.Groups(w.Domain))
                {
                    if (!g.UserIds.Contains(w.Id)) continue;
                    groups.Add(g);
                    if (g.CaseSharing) owners.Add(g.Id);
                }
                foreach (var locId in w.LocationIds)
                {
                    if (store.Location(w.Domain, locId) is { Type.SharesCases: true } loc) owners.Add(loc.Id);
                }
            }
        }

        // What the phone should hold: open cases it owns, plus every case their indices reach (parents / hosts).
        var holds = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<CaseRec>();
        foreach (var c in dd.Cases)
        {
            if (c.Closed || !owners.Contains(c.OwnerId)) continue;
            if (holds.Add(c.Id)) pending.Push(c);
        }
        while (pending.Count > 0)
        {
            var c = pending.Pop();
            foreach (var ix in c.IndicesIn(dd))
            {
                if (dd.CaseById.TryGetValue(ix.CaseId, out var target) && holds.Add(target.Id)) pending.Push(target);
            }
        }

        // Full restore: every held case. Incremental: cases changed since the token that the phone holds or should hold.
        var send = new List<CaseRec>();
        foreach (var c in dd.Cases)
        {
            if (last is null)
            {
                if (holds.Contains(c.Id)) send.Add(c);
            }
            else if (c.IndexedOn > last.ServerTime && (holds.Contains(c.Id) || last.CaseIds.Contains(c.Id)))
            {
                send.Add(c);
            }
        }

        var serverTime = Math.Max(dd.CaseIndexedOn.Length > 0 ? dd.CaseIndexedOn[^1] : 0, dd.FormIndexedOn.Length > 0 ? dd.FormIndexedOn[^1] : 0);
        var token = Guid.NewGuid().ToString("N");
        st.Extras.AddToken(new SyncToken(token, dd.Domain, user.Id, serverTime, holds, DateTime.UtcNow.Ticks));

        var sb = new StringBuilder(4096 + send.Count * 1024);
        var count = 1; // the message
        sb.Append("<Sync xmlns=\"").Append(SyncNs).Append("\"><restore_id>").Append(token).Append("</restore_id></Sync>");
        count++;
        WriteRegistration(sb, store, user, dd.Domain);
        count++;
        if (!skipFixtures)
        {
            count += WriteGroupsFixture(sb, user, groups);
            count += WriteItemLists(sb, st, store, user, groups, dd.Domain);
        }
        foreach (var c in send)
        {
            WriteCase(sb, dd, c, dd.BaseUrl);
            count++;
        }

        var head = new StringBuilder(256);
        head.Append("<OpenRosaResponse xmlns=\"").Append(ResponseNs).Append('"');
        if (items) head.Append(" items=\"").Append(count.ToString(CultureInfo.InvariantCulture)).Append('"');
        head.Append("><message nature=\"ota_restore_success\">Successfully restored account ")
            .Append(Text(user.RawUsername)).Append("!</message>");
        head.Append(sb).Append("</OpenRosaResponse>");
        return ApiResponse.Text(200, head.ToString(), XmlType);
    }

    private static void WriteRegistration(StringBuilder sb, UserStore store, RestoreUser user, string domain)
    {
        var data = new SortedDictionary<string, string>(StringComparer.Ordinal);
        string first, lastName, phone = "";
        string? password;
        if (user.Worker is { } w)
        {
            foreach (var (k, v) in w.UserData)
            {
                data[k] = v.ValueKind switch
                {
                    System.Text.Json.JsonValueKind.String => v.GetString() ?? "",
                    System.Text.Json.JsonValueKind.Null => "",
                    _ => v.GetRawText(),
                };
            }
            first = w.FirstName ?? "";
            lastName = w.LastName ?? "";
            if (w.PhoneNumbers.Count > 0) phone = w.PhoneNumbers[0];
            password = w.Password;
            if (w.PrimaryLocation is { } loc)
            {
                data["commcare_location_id"] = loc;
                data["commcare_location_ids"] = string.Join(" ", w.LocationIds);
                data["commcare_primary_case_sharing_id"] = loc;
            }
            data["commcare_user_type"] = "commcare";
        }
        else
        {
            var a = user.Web!;
            first = a.FirstName;
            lastName = a.LastName;
            password = a.Password;
            lock (store.Lock)
            {
                foreach (var rec in store.WebUsers(domain))
                {
                    if (rec.Id == a.Id && rec.PhoneNumbers.Count > 0) phone = rec.PhoneNumbers[0];
                }
            }
            data["commcare_user_type"] = "web";
        }
        data["commcare_first_name"] = first;
        data["commcare_last_name"] = lastName;
        data["commcare_phone_number"] = phone;
        data["commcare_project"] = domain;

        sb.Append("<Registration xmlns=\"").Append(RegistrationNs).Append("\">");
        sb.Append("<username>").Append(Text(user.RawUsername)).Append("</username>");
        sb.Append("<password>").Append(Text(PasswordHash(user.Id, password))).Append("</password>");
        sb.Append("<uuid>").Append(user.Id).Append("</uuid>");
        sb.Append("<date>").Append(DateJoined(user.Id)).Append("</date>");
        sb.Append("<user_data>");
        foreach (var (k, v) in data)
        {
            sb.Append("<data key=\"").Append(Attr(k)).Append("\">").Append(Text(v)).Append("</data>");
        }
        sb.Append("</user_data></Registration>");
    }

    /// <summary>A Django-style salted SHA-1 of the password (never the password itself); <c>!</c> when unusable.</summary>
    private static string PasswordHash(string userId, string? password)
    {
        if (password is null) return "!";
        var salt = userId.Length >= 5 ? userId[..5] : userId;
        return "sha1$" + salt + "$" + Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(salt + password)));
    }

    /// <summary>A stable "date joined" between 2023-01-01 and 2023-12-31 (the store does not keep one).</summary>
    private static string DateJoined(string userId)
    {
        var n = 0;
        foreach (var ch in userId) n = (n * 31 + ch) & 0x7fffffff;
        return new DateTime(2023, 1, 1).AddDays(n % 365).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    }

    /// <summary>The <c>user-groups</c> fixture (every group of the user, with its metadata as <c>group_data</c>).</summary>
    private static int WriteGroupsFixture(StringBuilder sb, RestoreUser user, List<UserGroup> groups)
    {
        sb.Append("<fixture id=\"user-groups\" user_id=\"").Append(user.Id).Append("\">");
        if (groups.Count == 0)
        {
            sb.Append("<groups/>");
        }
        else
        {
            sb.Append("<groups>");
            foreach (var g in groups)
            {
                sb.Append("<group id=\"").Append(g.Id).Append("\"><name>").Append(Text(g.Name)).Append("</name>");
                if (g.Metadata.Count > 0)
                {
                    sb.Append("<group_data>");
                    foreach (var (k, v) in g.Metadata)
                    {
                        var text = v.ValueKind == System.Text.Json.JsonValueKind.String ? v.GetString() ?? "" : v.GetRawText();
                        sb.Append("<data key=\"").Append(Attr(k)).Append("\">").Append(Text(text)).Append("</data>");
                    }
                    sb.Append("</group_data>");
                }
                sb.Append("</group>");
            }
            sb.Append("</groups>");
        }
        sb.Append("</fixture>");
        return 1;
    }

    /// <summary>
    /// <c>item-list:&lt;tag&gt;</c> fixtures, tables by tag: a global table with all its rows; a table that is not global with
    /// the rows the user owns (directly, through a group, or through a location's site code), left out when there are none.
    /// </summary>
    private static int WriteItemLists(StringBuilder sb, EmulatorState st, UserStore store, RestoreUser user, List<UserGroup> groups, string domain)
    {
        var groupNames = new HashSet<string>(groups.Select(g => g.Name), StringComparer.Ordinal);
        var siteCodes = new HashSet<string>(StringComparer.Ordinal);
        if (user.Worker is { } w)
        {
            lock (store.Lock)
            {
                foreach (var id in w.LocationIds)
                {
                    if (store.Location(w.Domain, id) is { } l) siteCodes.Add(l.SiteCode);
                }
            }
        }
        var raw = user.RawUsername;
        var written = 0;
        var tables = st.Features.LookupTables;
        lock (tables.Lock)
        {
            foreach (var t in tables.Tables(domain).OrderBy(t => t.Tag, StringComparer.Ordinal))
            {
                var rows = new List<LookupRow>();
                foreach (var r in tables.Rows(t))
                {
                    if (t.IsGlobal
                        || r.Users.Any(u => string.Equals(u, raw, StringComparison.OrdinalIgnoreCase) || string.Equals(u, user.Username, StringComparison.OrdinalIgnoreCase))
                        || r.Groups.Any(groupNames.Contains)
                        || r.Locations.Any(siteCodes.Contains))
                    {
                        rows.Add(r);
                    }
                }
                if (!t.IsGlobal && rows.Count == 0) continue;
                var tag = Text(t.Tag);
                sb.Append("<fixture id=\"item-list:").Append(tag).Append("\" user_id=\"").Append(user.Id).Append("\">");
                if (rows.Count == 0)
                {
                    sb.Append('<').Append(tag).Append("_list/>");
                }
                else
                {
                    sb.Append('<').Append(tag).Append("_list>");
                    foreach (var r in rows) WriteItem(sb, t, r);
                    sb.Append("</").Append(tag).Append("_list>");
                }
                sb.Append("</fixture>");
                written++;
            }
        }
        return written;
    }

    /// <summary>A row as <c>LookupTableRow.to_xml()</c>: item attributes as attributes, one element per field value.</summary>
    private static void WriteItem(StringBuilder sb, LookupTable t, LookupRow r)
    {
        var tag = Text(t.Tag);
        sb.Append('<').Append(tag);
        foreach (var attr in t.ItemAttributes)
        {
            var value = "";
            foreach (var (k, v) in r.ItemAttributes) if (k == attr) value = v;
            sb.Append(' ').Append(Text(attr)).Append("=\"").Append(Attr(value)).Append('"');
        }
        sb.Append('>');
        foreach (var f in t.Fields)
        {
            var name = Text(f.Name);
            var values = r.Field(f.Name);
            if (values is null || values.Count == 0)
            {
                sb.Append('<').Append(name).Append("/>");
                continue;
            }
            foreach (var v in values)
            {
                sb.Append('<').Append(name);
                foreach (var (pk, pv) in v.Properties) sb.Append(' ').Append(Text(pk)).Append("=\"").Append(Attr(pv)).Append('"');
                if (v.Value.Length == 0) sb.Append("/>");
                else sb.Append('>').Append(Text(v.Value)).Append("</").Append(name).Append('>');
            }
        }
        sb.Append("</").Append(tag).Append('>');
    }

    /// <summary>
    /// One Case XML 2.0 block with the case's full current state (restore and case-XML forwarding): <c>create</c>
    /// (case_type, case_name, owner_id), <c>update</c> (every other property of the case API's <c>properties</c>, sorted,
    /// with the same values; <c>external_id</c> left out when empty), <c>index</c>, <c>attachment</c> (remote URLs) and
    /// <c>close</c> for a closed case. Compact (no whitespace), no XML declaration.
    /// </summary>
    public static void WriteCase(StringBuilder sb, DomainData dd, CaseRec c, string baseUrl)
    {
        sb.Append("<case case_id=\"").Append(Attr(c.Id))
            .Append("\" date_modified=\"").Append(Dates.ToString(c.DateModified, DateStyle.MicroZ))
            .Append("\" user_id=\"").Append(Attr(c.UserId))
            .Append("\" xmlns=\"").Append(CaseXml.Ns).Append("\">");
        sb.Append("<create><case_type>").Append(Text(c.Type)).Append("</case_type><case_name>").Append(Text(c.Name))
            .Append("</case_name><owner_id>").Append(Text(c.OwnerId)).Append("</owner_id></create>");
        sb.Append("<update>");
        foreach (var (k, v) in c.ApiProps)
        {
            if (k is "case_name" or "case_type" or "owner_id") continue;
            if (k == "external_id" && string.IsNullOrEmpty(v)) continue;
            if (string.IsNullOrEmpty(v)) sb.Append('<').Append(k).Append("/>");
            else sb.Append('<').Append(k).Append('>').Append(Text(v)).Append("</").Append(k).Append('>');
        }
        sb.Append("</update>");
        var indices = c.IndicesIn(dd);
        if (indices.Length > 0)
        {
            sb.Append("<index>");
            foreach (var ix in indices.OrderBy(i => i.Identifier, StringComparer.Ordinal))
            {
                sb.Append('<').Append(ix.Identifier).Append(" case_type=\"").Append(Attr(ix.CaseType)).Append('"');
                if (ix.Relationship != "child") sb.Append(" relationship=\"").Append(Attr(ix.Relationship)).Append('"');
                sb.Append('>').Append(Text(ix.CaseId)).Append("</").Append(ix.Identifier).Append('>');
            }
            sb.Append("</index>");
        }
        if (c.Attachments.Length > 0)
        {
            sb.Append("<attachment>");
            foreach (var a in c.Attachments)
            {
                var url = $"{baseUrl}/a/{c.Domain}/api/case_attachment/v1/{c.Id}/{a.Name}";
                sb.Append('<').Append(a.Name).Append(" from=\"remote\" src=\"").Append(Attr(url)).Append("\"/>");
            }
            sb.Append("</attachment>");
        }
        if (c.Closed) sb.Append("<close/>");
        sb.Append("</case>");
    }
}
