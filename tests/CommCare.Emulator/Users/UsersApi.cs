using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CommCare.Emulator;

/// <summary>
/// Mobile workers (docs/commcare-api.md#users-and-bulk-upload): v0.5 / v1 list, detail, create,
/// update, retire, activate, deactivate, email_password_reset. State lives in <see cref="UserStore"/>.
/// </summary>
public static partial class UsersApi
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 1000;
    private const string Permission = "edit_commcare_users";

    public static readonly ApiSpec ListSpec = new("user", AuthMode.DomainResource, Permission, Throttled: true)
    {
        Methods = new[] { "GET", "POST" },
    };

    public static readonly ApiSpec DetailSpec = new("user", AuthMode.DomainResource, Permission, Throttled: true)
    {
        Methods = new[] { "GET", "PUT", "DELETE" },
    };

    public static readonly ApiSpec ActionSpec = new("user", AuthMode.DomainResource, Permission, Throttled: true)
    {
        Methods = new[] { "POST" },
    };

    public static readonly string[] Prefixes =
    {
        "/a/{domain}/api/user/v1/",
        "/a/{domain}/api/v0.5/user/",
    };

    public static void Map(WebApplication app, EmulatorState st)
    {
        foreach (var prefix in Prefixes)
        {
            var p = prefix;
            app.Map(p, Pipeline.Handle(st, ListSpec, ctx => Guard(() =>
                HttpMethods.IsPost(ctx.Http.Request.Method) ? Create(ctx, p) : List(ctx, p))));
            app.Map(p + "{id}/", Pipeline.Handle(st, DetailSpec, ctx => Guard(() => ctx.Http.Request.Method.ToUpperInvariant() switch
            {
                "PUT" => Update(ctx, p),
                "DELETE" => Delete(ctx),
                _ => Detail(ctx, p),
            })));
            app.Map(p + "{id}/activate/", Pipeline.Handle(st, ActionSpec, ctx => Guard(() => SetActive(ctx, true))));
            app.Map(p + "{id}/deactivate/", Pipeline.Handle(st, ActionSpec, ctx => Guard(() => SetActive(ctx, false))));
            app.Map(p + "{id}/email_password_reset/", Pipeline.Handle(st, ActionSpec, ctx => Guard(() => PasswordReset(ctx))));
        }
    }

    /// <summary>An error HQ does not catch (a TypeError / AttributeError in the update path): tastypie's canned 500.</summary>
    internal sealed class UncaughtError : Exception;

    internal static ApiResponse Guard(Func<ApiResponse> f)
    {
        try
        {
            return f();
        }
        catch (UncaughtError)
        {
            return ApiResponse.ServerError();
        }
    }

    private static string ResourceUri(string prefix, string domain, string id) => prefix.Replace("{domain}", domain) + id + "/";

    // ---- read ------------------------------------------------------------------------------------------

    public static ApiResponse List(ApiContext ctx, string prefix)
    {
        var q = ctx.Query;
        var domain = ctx.Domain!;
        var store = ctx.Data.Users;
        var extras = SafeBool(q.Get("extras"));
        var archived = SafeBool(q.Get("archived"));
        var groupId = q.Get("group");
        ExtrasIndex? index = extras ? ExtrasIndex.For(ctx.Data.For(domain)) : null;

        lock (store.Lock)
        {
            var users = new List<MobileWorker>();
            if (!string.IsNullOrEmpty(groupId))
            {
                // Group.get_users(only_commcare=True): active, not retired members in membership order; `archived` is ignored.
                var g = store.Group(domain, groupId);
                if (g is null) return ApiResponse.BadRequest($"Project {domain} has no group with id={groupId}");
                foreach (var id in g.UserIds)
                {
                    if (store.Live(domain, id) is { Active: true } u) users.Add(u);
                }
            }
            else
            {
                foreach (var u in store.Workers(domain))
                {
                    if (!u.Retired && u.Active != archived) users.Add(u);
                }
                users.Sort(static (a, b) => string.CompareOrdinal(a.Username, b.Username));
            }

            var err = Paging.LimitOffsetOrError(q, DefaultLimit, MaxLimit, out var limit, out var offset);
            if (err is not null) return err;
            var objects = new List<ReadOnlyMemory<byte>>();
            for (var i = offset; i < users.Count && objects.Count < limit; i++)
            {
                var u = users[(int)i];
                objects.Add(UserJson(store, u, ResourceUri(prefix, domain, u.Id), index?.Counts(u.Id)));
            }
            return Paging.Page(ctx, limit, offset, users.Count, objects);
        }
    }

    public static ApiResponse Detail(ApiContext ctx, string prefix)
    {
        var domain = ctx.Domain!;
        var store = ctx.Data.Users;
        var index = SafeBool(ctx.Query.Get("extras")) ? ExtrasIndex.For(ctx.Data.For(domain)) : null;
        lock (store.Lock)
        {
            var u = store.Live(domain, ctx.Route("id"));
            // UserResource.obj_get returns None; full_dehydrate raises ApiFieldError for the non-null `id` → 400.
            if (u is null)
                return ApiResponse.BadRequest("The object 'None' has an empty attribute 'id' and doesn't allow a default or null value.");
            return ApiResponse.Json(200, UserJson(store, u, ResourceUri(prefix, domain, u.Id), index?.Counts(u.Id)));
        }
    }

    // ---- create ----------------------------------------------------------------------------------------

    public static ApiResponse Create(ApiContext ctx, string prefix)
    {
        var data = ParseBody(ctx.Body, out var bodyError);
        if (data is null) return bodyError!;
        var domain = ctx.Domain!;
        var store = ctx.Data.Users;

        // generate_mobile_username: format and validity first, availability under the lock below.
        var usernameError = CheckUsername(Get(data, "username"), domain, out var full);
        if (usernameError is not null) return ApiResponse.BadRequest(usernameError);

        string id;
        lock (store.Lock)
        {
            if (!IsUsernameAvailable(store, full))
                return ApiResponse.BadRequest($"Username '{full}' is already taken or reserved.");

            // Without the TWO_STAGE_MOBILE_WORKER_ACCOUNT_CREATION privilege these two are popped and have no effect.
            Remove(data, "require_account_confirmation");
            Remove(data, "send_confirmation_email_now");
            if (Truthy(Get(data, "connect_username")))
                return ApiResponse.BadRequest("You don't have permission to use connect_username field");
            // email = bundle.data.get('email', '').lower()
            var email = Get(data, "email") is { } e ? RequireString(e).ToLowerInvariant() : "";
            var password = Get(data, "password");
            if (!Truthy(password)) return ApiResponse.BadRequest("Password or connect username required");

            var u = new MobileWorker
            {
                Id = Guid.NewGuid().ToString("N"),
                Domain = domain,
                Username = full.ToLowerInvariant(),
                Email = email,
                Password = password!.Value.ValueKind == JsonValueKind.String ? password.Value.GetString() : password.Value.GetRawText(),
            };
            Remove(data, "password");
            Remove(data, "username");
            // CommCareUserResource._update: its errors (unknown fields, role, locations, ...) are ignored on create.
            var r = Apply(store, u, domain, data);
            if (r.Fatal is not null) return r.Fatal;
            store.Add(u);
            if (r.Groups is not null) store.SetGroups(u, r.Groups);
            id = u.Id;
        }
        var w = new PyJsonWriter(64);
        w.BeginObject().Prop("id", id).EndObject();
        return ApiResponse.Json(201, w.ToArray()).Header("Location", ResourceUri(prefix, domain, id));
    }

    // ---- update / retire / status ----------------------------------------------------------------------

    public static ApiResponse Update(ApiContext ctx, string prefix)
    {
        var data = ParseBody(ctx.Body, out var bodyError);
        if (data is null) return bodyError!;
        var domain = ctx.Domain!;
        var store = ctx.Data.Users;
        var index = SafeBool(ctx.Query.Get("extras")) ? ExtrasIndex.For(ctx.Data.For(domain)) : null;
        lock (store.Lock)
        {
            // CommCareUser.get(pk) raises ResourceNotFound (or the domain assert fails): uncaught → 500 (known HQ bug).
            var current = store.Live(domain, ctx.Route("id"));
            if (current is null) return ApiResponse.ServerError();
            var u = current.Clone();
            Remove(data, "send_confirmation_email_now");
            var r = Apply(store, u, domain, data);
            if (r.Fatal is not null) return r.Fatal;
            if (r.Errors.Count > 0)
                return ApiResponse.BadRequest("The request resulted in the following errors: " + string.Join(", ", r.Errors));
            store.Replace(u);
            if (r.Groups is not null) store.SetGroups(u, r.Groups);
            return ApiResponse.Json(200, UserJson(store, u, ResourceUri(prefix, domain, u.Id), index?.Counts(u.Id)));
        }
    }

    public static ApiResponse Delete(ApiContext ctx)
    {
        var store = ctx.Data.Users;
        lock (store.Lock)
        {
            var u = store.Live(ctx.Domain!, ctx.Route("id"));
            if (u is null) return ApiResponse.Empty(404);
            // retire(): soft delete; the username stays reserved; group memberships go.
            u.Retired = true;
            store.SetGroups(u, Array.Empty<string>());
        }
        return ApiResponse.Empty(202);
    }

    internal static readonly byte[] EmptyObject = "{}"u8.ToArray();

    /// <summary>tastypie's canned error body with 404 (NotFound raised inside a custom view → _handle_500).</summary>
    internal static ApiResponse CannedNotFound() => ApiResponse.Json(404, ApiResponse.Canned500);

    public static ApiResponse SetActive(ApiContext ctx, bool active)
    {
        var store = ctx.Data.Users;
        lock (store.Lock)
        {
            var u = store.Live(ctx.Domain!, ctx.Route("id"));
            if (u is null) return CannedNotFound();
            u.Active = active;
        }
        return ApiResponse.Json(202, EmptyObject);
    }

    public static ApiResponse PasswordReset(ApiContext ctx)
    {
        var store = ctx.Data.Users;
        lock (store.Lock)
        {
            var u = store.Live(ctx.Domain!, ctx.Route("id"));
            if (u is null) return CannedNotFound();
            if (string.IsNullOrEmpty(u.Email)) return ApiResponse.BadRequest("This user does not have an email address set.");
            if (u.Password is null) return ApiResponse.BadRequest("This user account cannot reset the password.");
            if (!u.Active) return ApiResponse.BadRequest("This user is inactive and cannot reset their password.");
        }
        return ApiResponse.Json(202, EmptyObject);
    }

    // ---- field updates (corehq/apps/api/user_updates.py CommcareUserUpdates) ---------------------------

    private sealed class ApplyResult
    {
        public readonly List<string> Errors = new();
        /// <summary>The new group membership when <c>groups</c> was sent and valid.</summary>
        public List<string>? Groups;
        /// <summary>A response that aborts the whole request (invalid group ids).</summary>
        public ApiResponse? Fatal;
    }

    private static ApplyResult Apply(UserStore store, MobileWorker u, string domain, List<KeyValuePair<string, JsonElement>> data)
    {
        var r = new ApplyResult();
        JsonElement? primary = null, locations = null;
        foreach (var (key, v) in data)
        {
            switch (key)
            {
                case "primary_location":
                    primary = v;
                    break;
                case "locations":
                    locations = v;
                    break;
                case "default_phone_number":
                    if (v.ValueKind != JsonValueKind.String)
                    {
                        r.Errors.Add("'default_phone_number' must be a string");
                        break;
                    }
                    var n = StripPlus(v.GetString()!);
                    u.PhoneNumbers.Remove(n);
                    u.PhoneNumbers.Insert(0, n);
                    break;
                case "email":
                    u.Email = RequireString(v).ToLowerInvariant();
                    break;
                case "first_name":
                    u.FirstName = StringOrNull(v);
                    break;
                case "last_name":
                    u.LastName = StringOrNull(v);
                    break;
                case "language":
                    u.Language = StringOrNull(v);
                    break;
                case "password":
                    // set_password(None) leaves an unusable password.
                    u.Password = StringOrNull(v);
                    break;
                case "phone_numbers":
                    if (v.ValueKind != JsonValueKind.Array) throw new UncaughtError();
                    u.PhoneNumbers.Clear();
                    foreach (var el in v.EnumerateArray())
                    {
                        var num = el.ValueKind == JsonValueKind.String ? StripPlus(el.GetString()!) : PyStr(el);
                        if (!u.PhoneNumbers.Contains(num)) u.PhoneNumbers.Add(num);
                    }
                    break;
                case "groups":
                    if (v.ValueKind != JsonValueKind.Array) throw new UncaughtError();
                    var ids = new List<string>();
                    var bad = new List<string>();
                    foreach (var el in v.EnumerateArray())
                    {
                        var gid = PyStr(el);
                        if (el.ValueKind == JsonValueKind.String && store.Group(domain, gid) is not null)
                        {
                            if (!ids.Contains(gid)) ids.Add(gid);
                        }
                        else if (!bad.Contains(gid))
                        {
                            bad.Add(gid);
                        }
                    }
                    if (bad.Count > 0)
                    {
                        // CommCareUser.set_groups raises a ValidationError (not an updater error): the request stops here.
                        r.Fatal = ApiResponse.BadRequest(
                            "Unable to save groups. The following group_ids are not in the current domain: " + string.Join(", ", bad));
                        return r;
                    }
                    r.Groups = ids;
                    break;
                case "user_data":
                    UpdateUserData(u, domain, v, r.Errors);
                    break;
                case "role":
                    UserRole? role = null;
                    var roleCount = 0;
                    if (v.ValueKind == JsonValueKind.String)
                    {
                        foreach (var candidate in store.Roles(domain))
                        {
                            if (candidate.Name != v.GetString()) continue;
                            role ??= candidate;
                            roleCount++;
                        }
                    }
                    if (role is null) r.Errors.Add($"The role '{PyStr(v)}' does not exist");
                    else if (roleCount > 1) r.Errors.Add($"There are multiple roles with the name '{PyStr(v)}' in the domain '{domain}'");
                    else u.RoleId = role.Id;
                    break;
                default:
                    r.Errors.Add($"Attempted to update unknown or non-editable field '{key}'");
                    break;
            }
        }
        UpdateLocations(store, u, domain, primary, locations, r.Errors);
        return r;
    }

    /// <summary>UserData.update: only the keys sent change. The system keys are refused when set to something else.</summary>
    private static void UpdateUserData(MobileWorker u, string domain, JsonElement v, List<string> errors)
    {
        if (v.ValueKind != JsonValueKind.Object) throw new UncaughtError();
        var items = Members(v);
        foreach (var (k, val) in items)
        {
            if (k == "commcare_profile" && Truthy(val))
            {
                errors.Add("User data profile not found");
                return;
            }
            if (k == "commcare_project" && Truthy(val) && !(val.ValueKind == JsonValueKind.String && val.GetString() == domain))
            {
                errors.Add("'commcare_project' cannot be set directly");
                return;
            }
        }
        foreach (var (k, val) in items)
        {
            if (k is "commcare_profile" or "commcare_project") continue;
            u.SetUserData(k, val);
        }
    }

    /// <summary>The <c>location</c> pseudo-field, applied after the others (messages from docs/commcare-api.md#users-and-bulk-upload).</summary>
    private static void UpdateLocations(UserStore store, MobileWorker u, string domain, JsonElement? primary, JsonElement? locations,
        List<string> errors)
    {
        var noPrimary = primary is null || primary.Value.ValueKind == JsonValueKind.Null;
        var noLocations = locations is null || locations.Value.ValueKind == JsonValueKind.Null;
        if (noPrimary && noLocations) return;
        if (!Truthy(primary) && !Truthy(locations))
        {
            u.PrimaryLocation = null;
            u.LocationIds.Clear();
            return;
        }
        var ids = new List<string>();
        if (!noLocations)
        {
            if (locations!.Value.ValueKind != JsonValueKind.Array) throw new UncaughtError();
            foreach (var el in locations.Value.EnumerateArray())
            {
                var id = PyStr(el);
                if (el.ValueKind != JsonValueKind.String || store.Location(domain, id) is null)
                {
                    errors.Add("One or more of the locations was not found.");
                    return;
                }
                if (!ids.Contains(id)) ids.Add(id);
            }
        }
        var noUsers = new List<string>();
        foreach (var id in ids)
        {
            var loc = store.Location(domain, id)!;
            if (!loc.HasUsers && !noUsers.Contains(loc.SiteCode)) noUsers.Add(loc.SiteCode);
        }
        if (noUsers.Count > 0)
        {
            errors.Add("These locations cannot have users assigned because of their organization level settings: " +
                       string.Join(", ", noUsers) + ".");
            return;
        }
        var p = Truthy(primary) ? PyStr(primary!.Value) : null;
        if (p is not null && !ids.Contains(p))
        {
            errors.Add("Primary location must be one of the user's locations");
            return;
        }
        if (ids.Count > 0 && p is null)
        {
            errors.Add("Primary location can't be empty if the user has any locations set");
            return;
        }
        u.PrimaryLocation = p;
        u.LocationIds = ids;
    }

    // ---- usernames (corehq/apps/users/util.py, validation.py) ------------------------------------------

    [GeneratedRegex(@"\s+")]
    private static partial Regex WhitespaceRx();

    /// <summary>BAD_MOBILE_USERNAME_REGEX, including its range quirk (<c>+-_</c> is the range 0x2B–0x5F).</summary>
    [GeneratedRegex("[^A-Za-z0-9.+-_]")]
    private static partial Regex BadMobileUsernameRx();

    /// <summary>Django's EmailValidator.user_regex (dot-atom or quoted string).</summary>
    [GeneratedRegex("(^[-!#$%&'*+/=?^_`{}|~0-9A-Z]+(\\.[-!#$%&'*+/=?^_`{}|~0-9A-Z]+)*\\z" +
                    "|^\"([\\x01-\\x08\\x0b\\x0c\\x0e-\\x1f!#-\\[\\]-\\x7f]|\\\\[\\x01-\\x09\\x0b\\x0c\\x0e-\\x7f])*\"\\z)",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex EmailUserRx();

    /// <summary>Django's EmailValidator.domain_regex.</summary>
    [GeneratedRegex(@"^((?:[A-Z0-9](?:[A-Z0-9-]{0,61}[A-Z0-9])?\.)+)(?:[A-Z0-9-]{2,63}(?<!-))\z",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex EmailDomainRx();

    /// <summary>
    /// generate_mobile_username minus the availability check. Returns the 400 message, or null with the complete
    /// username in <paramref name="full"/> (as HQ forms it: a short name is lower-cased with whitespace runs → '.';
    /// a complete one is taken as sent).
    /// </summary>
    private static string? CheckUsername(JsonElement? value, string domain, out string full)
    {
        full = "";
        if (value is null || value.Value.ValueKind == JsonValueKind.Null) return "Username is required.";
        if (value.Value.ValueKind != JsonValueKind.String) throw new UncaughtError();
        var s = value.Value.GetString()!;
        if (s.Length == 0) return "Username is required.";
        full = s.Contains('@') ? s : WhitespaceRx().Replace(s, ".").ToLowerInvariant() + "@" + domain.ToLowerInvariant() + ".commcarehq.org";
        if (!IsValidEmail(full)) return $"Username '{full}' must be a valid email address.";
        var parts = full.Split('@');
        if (parts.Length != 2) throw new UncaughtError(); // a quoted local part with '@': the unpacking fails in HQ
        if (BadMobileUsernameRx().IsMatch(parts[0]))
            return $"The username component '{parts[0]}' of '{full}' may not contain special characters.";
        var expected = domain + ".commcarehq.org";
        if (parts[1] != expected) return $"The username email domain '@{parts[1]}' should be '@{expected}'.";
        return null;
    }

    /// <summary>is_username_available: reserved local parts, then any existing user (retired ones included).</summary>
    private static bool IsUsernameAvailable(UserStore store, string full)
    {
        var local = full.Split('@')[0].ToLowerInvariant();
        if (local is "admin" or "demo_user") return false;
        return !store.UsernameExists(full.ToLowerInvariant()) && Accounts.ByUsername(full) is null;
    }

    /// <summary>django.core.validators.validate_email.</summary>
    internal static bool IsValidEmail(string value)
    {
        if (value.Length == 0 || value.Length > 320 || !value.Contains('@')) return false;
        var at = value.LastIndexOf('@');
        var user = value[..at];
        var dom = value[(at + 1)..];
        if (!EmailUserRx().IsMatch(user)) return false;
        if (dom == "localhost" || EmailDomainRx().IsMatch(dom)) return true;
        try
        {
            return EmailDomainRx().IsMatch(new IdnMapping().GetAscii(dom));
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    // ---- JSON helpers ----------------------------------------------------------------------------------

    /// <summary>tastypie deserialisation: invalid JSON → 400; JSON that is not an object breaks HQ's handlers → 500.</summary>
    internal static List<KeyValuePair<string, JsonElement>>? ParseBody(byte[] body, out ApiResponse? error)
    {
        error = null;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                error = ApiResponse.ServerError();
                return null;
            }
            return Members(doc.RootElement);
        }
        catch (JsonException)
        {
            error = ApiResponse.BadRequest("Request is not valid JSON.");
            return null;
        }
    }

    /// <summary>An object's members as a Python dict would hold them (a repeated key keeps its first position, last value).</summary>
    internal static List<KeyValuePair<string, JsonElement>> Members(JsonElement obj)
    {
        var list = new List<KeyValuePair<string, JsonElement>>();
        foreach (var p in obj.EnumerateObject())
        {
            var idx = list.FindIndex(kv => kv.Key == p.Name);
            var value = p.Value.Clone();
            if (idx >= 0) list[idx] = new(p.Name, value);
            else list.Add(new(p.Name, value));
        }
        return list;
    }

    internal static JsonElement? Get(List<KeyValuePair<string, JsonElement>> data, string key)
    {
        foreach (var kv in data) if (kv.Key == key) return kv.Value;
        return null;
    }

    internal static void Remove(List<KeyValuePair<string, JsonElement>> data, string key) => data.RemoveAll(kv => kv.Key == key);

    internal static string RequireString(JsonElement v)
        => v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new UncaughtError();

    internal static string? StringOrNull(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Null => null,
        _ => throw new UncaughtError(),
    };

    /// <summary>corehq.apps.sms.util.strip_plus.</summary>
    internal static string StripPlus(string s) => s.Length > 0 && s[0] == '+' ? s[1..] : s;

    /// <summary>Python truthiness of a JSON value (absent counts as None).</summary>
    internal static bool Truthy(JsonElement? e)
    {
        if (e is not { } v) return false;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.String => v.GetString()!.Length > 0,
            JsonValueKind.Number => v.TryGetDouble(out var d) && d != 0,
            JsonValueKind.Array => v.GetArrayLength() > 0,
            JsonValueKind.Object => v.EnumerateObject().MoveNext(),
            _ => false,
        };
    }

    /// <summary>Python <c>str()</c> of a JSON value, for messages.</summary>
    internal static string PyStr(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString()!,
        JsonValueKind.Null => "None",
        JsonValueKind.True => "True",
        JsonValueKind.False => "False",
        _ => v.GetRawText(),
    };

    /// <summary>dimagi.utils.parsing.string_to_boolean via _safe_bool: anything unparsable is false.</summary>
    internal static bool SafeBool(string? v)
        => v is not null && v.Trim().ToLowerInvariant() is "true" or "t" or "yes" or "y" or "1";

    // ---- serialisation ---------------------------------------------------------------------------------

    private static byte[] UserJson(UserStore store, MobileWorker u, string resourceUri, ExtrasCounts? extras)
    {
        var w = new PyJsonWriter(1024);
        w.BeginObject();
        w.Prop("default_phone_number", u.PhoneNumbers.Count > 0 ? u.PhoneNumbers[0] : null);
        w.Prop("email", u.Email);
        w.Prop("eulas", u.Eulas);
        if (extras is { } e)
        {
            w.Key("extras").BeginObject()
                .Prop("completed_last_30", e.CompletedLast30)
                .Prop("completed_last_month", e.CompletedLastMonth)
                .Prop("submitted_last_30", e.SubmittedLast30)
                .Prop("submitted_last_month", e.SubmittedLastMonth)
                .EndObject();
        }
        w.Prop("first_name", u.FirstName);
        w.Key("groups");
        StringArray(w, store.GroupIdsOf(u));
        w.Prop("id", u.Id);
        w.Prop("language", u.Language);
        w.Prop("last_name", u.LastName);
        w.Key("locations");
        StringArray(w, u.LocationIds);
        w.Key("phone_numbers");
        StringArray(w, u.PhoneNumbers);
        w.Prop("primary_location", u.PrimaryLocation);
        w.Prop("resource_uri", resourceUri);
        w.Prop("role", store.RoleById(u.RoleId)?.Name);
        w.Key("user_data").BeginObject();
        var data = new List<KeyValuePair<string, JsonElement>>(u.UserData);
        data.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        foreach (var (k, v) in data)
        {
            w.Key(k);
            WriteElement(w, v);
        }
        w.EndObject();
        w.Prop("username", u.Username);
        w.EndObject();
        return w.ToArray();
    }

    internal static void StringArray(PyJsonWriter w, List<string> items)
    {
        w.BeginArray();
        foreach (var s in items) w.String(s);
        w.EndArray();
    }

    /// <summary>A JSON value the way Python re-serialises it (sorted keys, Python float repr).</summary>
    internal static void WriteElement(PyJsonWriter w, JsonElement v)
    {
        switch (v.ValueKind)
        {
            case JsonValueKind.Object:
                var members = Members(v);
                members.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
                w.BeginObject();
                foreach (var (k, x) in members)
                {
                    w.Key(k);
                    WriteElement(w, x);
                }
                w.EndObject();
                break;
            case JsonValueKind.Array:
                w.BeginArray();
                foreach (var x in v.EnumerateArray()) WriteElement(w, x);
                w.EndArray();
                break;
            case JsonValueKind.String:
                w.String(v.GetString());
                break;
            case JsonValueKind.True:
                w.Bool(true);
                break;
            case JsonValueKind.False:
                w.Bool(false);
                break;
            case JsonValueKind.Number:
                w.RawValue(Encoding.UTF8.GetBytes(PyNumber(v.GetRawText())));
                break;
            default:
                w.Null();
                break;
        }
    }

    /// <summary>Python's rendering of a JSON number after json.loads (ints kept, floats as repr).</summary>
    internal static string PyNumber(string raw)
    {
        if (raw.AsSpan().IndexOfAny(".eE") < 0) return raw;
        if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return raw;
        if (double.IsInfinity(d)) return d > 0 ? "Infinity" : "-Infinity";
        var s = d.ToString("R", CultureInfo.InvariantCulture);
        if (s.Contains('E'))
        {
            // Python: 1e+16, 1e-05
            var e = s.IndexOf('E');
            var mant = s[..e];
            var exp = int.Parse(s[(e + 1)..], CultureInfo.InvariantCulture);
            return mant + "e" + (exp < 0 ? "-" : "+") + Math.Abs(exp).ToString("D2", CultureInfo.InvariantCulture);
        }
        return s.Contains('.') ? s : s + ".0";
    }

    // ---- extras (form counts per user) -----------------------------------------------------------------

    private readonly record struct ExtrasCounts(long SubmittedLast30, long CompletedLast30, long SubmittedLastMonth, long CompletedLastMonth);

    /// <summary>Per user: sorted received_on and timeEnd of the user's non-archived forms (built once per data set).</summary>
    private sealed class ExtrasIndex
    {
        private static readonly ConditionalWeakTable<DomainData, ExtrasIndex> Cache = new();
        private static readonly ExtrasIndex Empty = new(new Dictionary<string, (long[], long[])>());
        private readonly Dictionary<string, (long[] Received, long[] Completed)> _byUser;

        private ExtrasIndex(Dictionary<string, (long[], long[])> byUser) => _byUser = byUser;

        public static ExtrasIndex For(DomainData? dd) => dd is null ? Empty : Cache.GetValue(dd, Build);

        private static ExtrasIndex Build(DomainData dd)
        {
            var received = new Dictionary<string, List<long>>(StringComparer.Ordinal);
            var completed = new Dictionary<string, List<long>>(StringComparer.Ordinal);
            foreach (var f in dd.Forms)
            {
                if (f.Archived || f.UserId is not { } uid) continue;
                if (!received.TryGetValue(uid, out var r)) received[uid] = r = new List<long>();
                if (!completed.TryGetValue(uid, out var c)) completed[uid] = c = new List<long>();
                r.Add(f.ReceivedOn);
                c.Add(f.TimeEnd);
            }
            var res = new Dictionary<string, (long[], long[])>(StringComparer.Ordinal);
            foreach (var (uid, r) in received)
            {
                var ra = r.ToArray();
                var ca = completed[uid].ToArray();
                Array.Sort(ra);
                Array.Sort(ca);
                res[uid] = (ra, ca);
            }
            return new ExtrasIndex(res);
        }

        public ExtrasCounts Counts(string userId)
        {
            if (!_byUser.TryGetValue(userId, out var t)) return default;
            var now = DateTime.UtcNow;
            var nowT = now.Ticks;
            var d30 = nowT - TimeSpan.FromDays(30).Ticks;
            var firstOfThisMonth = new DateTime(now.Year, now.Month, 1, 0, 0, 0, DateTimeKind.Utc);
            var firstOfLastMonth = firstOfThisMonth.AddMonths(-1);
            return new ExtrasCounts(
                CountIn(t.Received, d30, nowT),
                CountIn(t.Completed, d30, nowT),
                CountIn(t.Received, firstOfLastMonth.Ticks, firstOfThisMonth.Ticks),
                CountIn(t.Completed, firstOfLastMonth.Ticks, firstOfThisMonth.Ticks));
        }

        /// <summary>Values in [lo, hi] of a sorted array.</summary>
        private static long CountIn(long[] sorted, long lo, long hi)
        {
            var a = LowerBound(sorted, lo);
            var b = LowerBound(sorted, hi + 1);
            return Math.Max(0, b - a);
        }

        private static int LowerBound(long[] a, long v)
        {
            int lo = 0, hi = a.Length;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (a[mid] < v) lo = mid + 1;
                else hi = mid;
            }
            return lo;
        }
    }
}
