using System;
using System.Collections.Generic;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CommCare.Emulator;

/// <summary>
/// Web users (docs/commcare-api.md#users-and-bulk-upload) and invitations (docs/commcare-api.md#users-and-bulk-upload): list with
/// <c>web_username</c>, detail, PATCH, activate / deactivate, invitation POST. Permission <c>edit_web_users</c>,
/// throttled. State lives in <see cref="UserStore"/>. What the fixed accounts may do (Accounts.cs) does not follow
/// these records: changing a web user's role here does not change its API permissions.
/// </summary>
public static class WebUsersApi
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 1000;
    private const string Permission = "edit_web_users";
    private const string JsonResponseType = "application/json";
    private static readonly string[] Targets = { "username", "email" };

    public static readonly ApiSpec ListSpec = new("web-user", AuthMode.DomainResource, Permission, Throttled: true);

    public static readonly ApiSpec DetailSpec = new("web-user", AuthMode.DomainResource, Permission, Throttled: true)
    {
        Methods = new[] { "GET", "PATCH" },
        TargetKeys = Targets,
    };

    public static readonly ApiSpec ActionSpec = new("web-user", AuthMode.DomainResource, Permission, Throttled: true)
    {
        Methods = new[] { "POST" },
        TargetKeys = Targets,
    };

    public static readonly ApiSpec InvitationSpec = new("invitation", AuthMode.DomainResource, Permission, Throttled: true)
    {
        Methods = new[] { "POST" },
        TargetKeys = Targets,
    };

    public static readonly string[] Prefixes = { "/a/{domain}/api/web-user/v1/", "/a/{domain}/api/v0.5/web-user/" };

    public const string InvitationPath = "/a/{domain}/api/invitation/v1/";

    private static readonly string[] PatchParams =
        { "role", "primary_location_id", "assigned_location_ids", "profile", "user_data", "tableau_role", "tableau_groups" };

    /// <summary>TableauUser.Roles values (the exact list is UNCONFIRMED).</summary>
    public static readonly string[] TableauRoles =
    {
        "Creator", "Explorer", "ExplorerCanPublish", "ReadOnly", "ServerAdministrator", "SiteAdministratorCreator",
        "SiteAdministratorExplorer", "Unlicensed", "Viewer",
    };

    public static void Map(WebApplication app, EmulatorState st)
    {
        foreach (var prefix in Prefixes)
        {
            var p = prefix;
            app.Map(p, Pipeline.Handle(st, ListSpec, ctx => UsersApi.Guard(() => List(ctx, p))));
            app.Map(p + "{id}/", Pipeline.Handle(st, DetailSpec, ctx => UsersApi.Guard(() =>
                HttpMethods.IsPatch(ctx.Http.Request.Method) ? Patch(ctx, p) : Detail(ctx, p))));
            app.Map(p + "{id}/activate/", Pipeline.Handle(st, ActionSpec, ctx => UsersApi.Guard(() => SetActive(ctx, true))));
            app.Map(p + "{id}/deactivate/", Pipeline.Handle(st, ActionSpec, ctx => UsersApi.Guard(() => SetActive(ctx, false))));
        }
        app.Map(InvitationPath, Pipeline.Handle(st, InvitationSpec, ctx => UsersApi.Guard(() => Invite(ctx))));
    }

    private static string ResourceUri(string prefix, string domain, string id) => prefix.Replace("{domain}", domain) + id + "/";

    // ---- read ------------------------------------------------------------------------------------------

    /// <summary>
    /// The project's web users ordered by username. <c>web_username=&lt;email&gt;</c> → that user only (0 or 1 rows;
    /// case-insensitive). A deactivated membership is still listed (<c>is_active_in_domain</c> false).
    /// </summary>
    public static ApiResponse List(ApiContext ctx, string prefix)
    {
        var domain = ctx.Domain!;
        var store = ctx.Data.Users;
        var filter = ctx.Query.Get("web_username");
        lock (store.Lock)
        {
            var users = new List<WebUserRecord>();
            foreach (var u in store.WebUsers(domain))
            {
                if (string.IsNullOrEmpty(filter) || string.Equals(u.Username, filter, StringComparison.OrdinalIgnoreCase)) users.Add(u);
            }
            users.Sort(static (a, b) => string.CompareOrdinal(a.Username, b.Username));
            var err = Paging.LimitOffsetOrError(ctx.Query, DefaultLimit, MaxLimit, out var limit, out var offset);
            if (err is not null) return err;
            var objects = new List<ReadOnlyMemory<byte>>();
            for (var i = offset; i < users.Count && objects.Count < limit; i++)
            {
                objects.Add(WebUserJson(store, users[(int)i], prefix, detail: false));
            }
            return Paging.Page(ctx, limit, offset, users.Count, objects);
        }
    }

    /// <summary>Detail; a miss (unknown id, a mobile worker, another project's user) → 500 with tastypie's canned body.</summary>
    public static ApiResponse Detail(ApiContext ctx, string prefix)
    {
        var store = ctx.Data.Users;
        lock (store.Lock)
        {
            var u = store.WebUser(ctx.Domain!, ctx.Route("id"));
            return u is null ? ApiResponse.ServerError() : ApiResponse.Json(200, WebUserJson(store, u, prefix, detail: true));
        }
    }

    // ---- PATCH -----------------------------------------------------------------------------------------

    /// <summary>
    /// PATCH detail → 202 with the full web user. The miss is found before the body is read: 400 (ApiFieldError).
    /// Spec validation failures → 400 <c>{"errors": [...]}</c>; updater failures → 400 <c>{"error": "The request
    /// resulted in the following errors: ..."}</c>. Nothing changes unless everything is valid.
    /// </summary>
    public static ApiResponse Patch(ApiContext ctx, string prefix)
    {
        var domain = ctx.Domain!;
        var store = ctx.Data.Users;
        lock (store.Lock)
        {
            var current = store.WebUser(domain, ctx.Route("id"));
            if (current is null)
                return ApiResponse.BadRequest("The object 'None' has an empty attribute 'id' and doesn't allow a default or null value.");
            var data = UsersApi.ParseBody(ctx.Body, out var bodyError);
            if (data is null) return bodyError!;

            var spec = Spec.From(data);
            var errors = Validate(store, domain, spec, data, isPost: false, email: current.Username);
            if (errors.Count > 0) return ErrorsResponse(errors);

            var u = current.Clone();
            var updateErrors = new List<string>();
            if (spec.Role is { } role) u.RoleId = store.RoleByName(domain, role)?.Id ?? u.RoleId;
            if (UsersApi.Get(data, "profile") is not null) u.Profile = null; // only "" (clear) gets past validation: no profiles exist
            if (spec.UserData is { } userData)
            {
                foreach (var (k, v) in userData) SetUserData(u.UserData, k, v);
            }
            if (spec.AssignedLocationIds is { } assigned)
            {
                var missing = MissingLocations(store, domain, assigned);
                if (missing.Count > 0) updateErrors.Add($"Could not find location ids: {string.Join(", ", missing)}.");
                else
                {
                    u.AssignedLocationIds = new List<string>(assigned);
                    u.PrimaryLocationId = string.IsNullOrEmpty(spec.PrimaryLocationId) ? null : spec.PrimaryLocationId;
                }
            }
            if (UsersApi.Get(data, "tableau_role") is not null) u.TableauRole = spec.TableauRole;
            if (spec.TableauGroups is { } tg) u.TableauGroups = new List<string>(tg);
            if (updateErrors.Count > 0)
                return ApiResponse.BadRequest("The request resulted in the following errors: " + string.Join(", ", updateErrors));
            store.ReplaceWebUser(u);
            return ApiResponse.Json(202, WebUserJson(store, u, prefix, detail: true));
        }
    }

    /// <summary>POST <c>{id}/activate/</c> / <c>{id}/deactivate/</c>: flips the membership's is_active → 202 <c>{}</c>; miss → 404 canned.</summary>
    public static ApiResponse SetActive(ApiContext ctx, bool active)
    {
        var store = ctx.Data.Users;
        lock (store.Lock)
        {
            var u = store.WebUser(ctx.Domain!, ctx.Route("id"));
            if (u is null) return UsersApi.CannedNotFound();
            u.ActiveInDomain = active;
        }
        return ApiResponse.Json(202, UsersApi.EmptyObject);
    }

    // ---- invitations -----------------------------------------------------------------------------------

    /// <summary>POST invitation → 201 with the invitation. Validation → 400 <c>{"errors": [...]}</c>.</summary>
    public static ApiResponse Invite(ApiContext ctx)
    {
        var data = UsersApi.ParseBody(ctx.Body, out var bodyError);
        if (data is null) return bodyError!;
        var domain = ctx.Domain!;
        var store = ctx.Data.Users;
        lock (store.Lock)
        {
            var spec = Spec.From(data);
            var errors = Validate(store, domain, spec, data, isPost: true, email: spec.Email);
            if (errors.Count > 0) return ErrorsResponse(errors);
            var assigned = spec.AssignedLocationIds ?? new List<string>();
            if (assigned.Count > 0)
            {
                var missing = MissingLocations(store, domain, assigned);
                if (missing.Count > 0)
                    return ApiResponse.Text(400, AsciiJson("error", $"Could not find location ids: {string.Join(", ", missing)}."), JsonResponseType);
            }
            var inv = new InvitationRecord
            {
                Id = Guid.NewGuid().ToString("D"),
                Domain = domain,
                Email = spec.Email!.ToLowerInvariant(),
                RoleId = store.RoleByName(domain, spec.Role!)?.Id,
                PrimaryLocationId = assigned.Count > 0 ? spec.PrimaryLocationId : null,
                AssignedLocationIds = new List<string>(assigned),
                UserData = spec.UserData ?? new List<KeyValuePair<string, JsonElement>>(),
                TableauRole = spec.TableauRole,
                TableauGroups = spec.TableauGroups ?? new List<string>(),
                InvitedOn = DateTime.UtcNow.Ticks,
            };
            store.AddInvitation(inv);

            var w = new PyJsonWriter(512);
            w.BeginObject();
            w.Key("assigned_location_ids");
            UsersApi.StringArray(w, inv.AssignedLocationIds);
            w.Prop("email", inv.Email);
            w.Prop("id", inv.Id);
            w.Prop("primary_location_id", inv.PrimaryLocationId);
            w.Prop("profile", inv.Profile);
            w.Prop("resource_uri", "");
            w.Prop("role", store.RoleById(inv.RoleId)?.Name);
            w.Key("tableau_groups");
            UsersApi.StringArray(w, inv.TableauGroups);
            w.Prop("tableau_role", inv.TableauRole);
            w.Key("user_data");
            GroupsApi.WriteMap(w, inv.UserData);
            w.EndObject();
            return ApiResponse.Json(201, w.ToArray());
        }
    }

    // ---- validation (corehq/apps/api/validation.py WebUserResourceValidator) ----------------------------

    private sealed class Spec
    {
        public string? Email;
        public string? Role;
        public bool RoleGiven;
        public string? PrimaryLocationId;
        public List<string>? AssignedLocationIds;
        public string? Profile;
        public List<KeyValuePair<string, JsonElement>>? UserData;
        public string? TableauRole;
        public List<string>? TableauGroups;

        /// <summary>Reads the body into the spec; wrong JSON types break HQ (500).</summary>
        public static Spec From(List<KeyValuePair<string, JsonElement>> data)
        {
            var s = new Spec();
            foreach (var (k, v) in data)
            {
                switch (k)
                {
                    case "email":
                        s.Email = OptString(v);
                        break;
                    case "role":
                        s.RoleGiven = true;
                        s.Role = OptString(v);
                        break;
                    case "primary_location_id":
                        s.PrimaryLocationId = OptString(v);
                        break;
                    case "assigned_location_ids":
                        s.AssignedLocationIds = OptStringList(v);
                        break;
                    case "profile":
                        s.Profile = OptString(v);
                        break;
                    case "user_data":
                        if (v.ValueKind == JsonValueKind.Null) break;
                        if (v.ValueKind != JsonValueKind.Object) throw new UsersApi.UncaughtError();
                        s.UserData = UsersApi.Members(v);
                        break;
                    case "tableau_role":
                        s.TableauRole = OptString(v);
                        break;
                    case "tableau_groups":
                        s.TableauGroups = OptStringList(v);
                        break;
                }
            }
            return s;
        }

        private static string? OptString(JsonElement v) => v.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.String => v.GetString(),
            _ => throw new UsersApi.UncaughtError(),
        };

        private static List<string>? OptStringList(JsonElement v)
        {
            if (v.ValueKind == JsonValueKind.Null) return null;
            if (v.ValueKind != JsonValueKind.Array) throw new UsersApi.UncaughtError();
            var res = new List<string>();
            foreach (var el in v.EnumerateArray())
            {
                if (el.ValueKind != JsonValueKind.String) throw new UsersApi.UncaughtError();
                res.Add(el.GetString()!);
            }
            return res;
        }
    }

    /// <summary>The validators in HQ's order; every message is collected.</summary>
    private static List<string> Validate(UserStore store, string domain, Spec s, List<KeyValuePair<string, JsonElement>> data,
        bool isPost, string? email)
    {
        var errors = new List<string>();
        // validate_parameters
        var invalid = new List<string>();
        foreach (var (k, _) in data)
        {
            if (Array.IndexOf(PatchParams, k) < 0 && !(isPost && k == "email")) invalid.Add(k);
        }
        if (invalid.Count > 0) errors.Add("Invalid parameter(s): " + string.Join(", ", invalid));
        // validate_required_fields
        if (isPost)
        {
            if (string.IsNullOrEmpty(s.Email) || string.IsNullOrEmpty(s.Role)) errors.Add("'email' and 'role' are required for each user");
        }
        else if (s.RoleGiven && s.Role == "")
        {
            errors.Add("'role' is required for each user");
        }
        // validate_role (editable roles, the admin role included)
        if (!string.IsNullOrEmpty(s.Role) && store.RoleByName(domain, s.Role) is null)
            errors.Add($"Role '{s.Role}' does not exist or you do not have permission to access it");
        // validate_profile (no profiles are defined in the emulated projects)
        if (!string.IsNullOrEmpty(s.Profile)) errors.Add($"Profile '{s.Profile}' does not exist");
        // validate_custom_data_against_profile
        if (s.UserData is { } ud)
        {
            foreach (var (k, _) in ud)
            {
                if (k == "commcare_profile") errors.Add($"'{k}' cannot be set directly");
            }
        }
        // validate_email
        if (isPost && email is not null)
        {
            var taken = false;
            foreach (var u in store.WebUsers(domain)) taken |= string.Equals(u.Username, email, StringComparison.OrdinalIgnoreCase);
            foreach (var i in store.Invitations(domain)) taken |= string.Equals(i.Email, email, StringComparison.OrdinalIgnoreCase);
            if (taken) errors.Add("A user with this email address is already in this project or has a pending invitation.");
            else if (email.Length > 0 && !UsersApi.IsValidEmail(email)) errors.Add("User has an invalid email address for their email");
        }
        // validate_locations
        if (s.AssignedLocationIds is not null || s.PrimaryLocationId is not null)
        {
            if (s.AssignedLocationIds is null || s.PrimaryLocationId is null)
            {
                errors.Add("Both primary_location and locations must be provided together.");
            }
            else if (!string.IsNullOrEmpty(s.PrimaryLocationId) && !s.AssignedLocationIds.Contains(s.PrimaryLocationId))
            {
                errors.Add("Primary location must be one of the user's locations");
            }
            else if (s.AssignedLocationIds.Count > 0 && string.IsNullOrEmpty(s.PrimaryLocationId))
            {
                errors.Add("Primary location can't be empty if the user has any locations set");
            }
        }
        // validate_tableau_group
        if (s.TableauGroups is { } groups)
        {
            var bad = groups.FindAll(g => Array.IndexOf(UserStore.TableauGroupNames, g) < 0);
            if (bad.Count > 0)
            {
                errors.Add($"These groups, {string.Join(", ", bad)}, are not valid for this domain. Please choose from the following: " +
                           string.Join(", ", UserStore.TableauGroupNames));
            }
        }
        // validate_tableau_role
        if (s.TableauRole is { } tr && Array.IndexOf(TableauRoles, tr) < 0)
            errors.Add($"Invalid tableau role: '{tr}'. Please choose one of the following: {string.Join(", ", TableauRoles)}");
        return errors;
    }

    /// <summary>The ids (request order, no repeats) that are no active location of the project.</summary>
    private static List<string> MissingLocations(UserStore store, string domain, List<string> ids)
    {
        var missing = new List<string>();
        foreach (var id in ids)
        {
            if (store.Location(domain, id) is null && !missing.Contains(id)) missing.Add(id);
        }
        return missing;
    }

    private static void SetUserData(List<KeyValuePair<string, JsonElement>> data, string key, JsonElement value)
    {
        var i = data.FindIndex(kv => kv.Key == key);
        if (i >= 0) data[i] = new(key, value);
        else data.Add(new(key, value));
    }

    /// <summary>Django <c>JsonResponse({"errors": [...]}, status=400)</c>: not tastypie, so no sanitize(), ASCII-escaped.</summary>
    private static ApiResponse ErrorsResponse(List<string> errors)
    {
        var sb = new StringBuilder("{\"errors\": [");
        for (var i = 0; i < errors.Count; i++)
        {
            if (i > 0) sb.Append(", ");
            AsciiString(sb, errors[i]);
        }
        sb.Append("]}");
        return ApiResponse.Text(400, sb.ToString(), JsonResponseType);
    }

    private static string AsciiJson(string key, string message)
    {
        var sb = new StringBuilder("{");
        AsciiString(sb, key);
        sb.Append(": ");
        AsciiString(sb, message);
        sb.Append('}');
        return sb.ToString();
    }

    /// <summary>Python <c>json.dumps</c> string with ensure_ascii=True.</summary>
    private static void AsciiString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20 || c > 0x7e) sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }

    // ---- serialisation ---------------------------------------------------------------------------------

    /// <summary>
    /// v0_5.WebUserResource: the v0_1 fields plus the newest ones (docs/commcare-api.md#users-and-bulk-upload). <c>tableau_groups</c> is detail-only
    /// (<c>use_in='detail'</c>), so lists leave it out.
    /// </summary>
    private static byte[] WebUserJson(UserStore store, WebUserRecord u, string prefix, bool detail)
    {
        var role = store.RoleById(u.RoleId);
        var w = new PyJsonWriter(1024);
        w.BeginObject();
        w.Key("assigned_location_ids");
        UsersApi.StringArray(w, u.AssignedLocationIds);
        w.Prop("default_phone_number", u.PhoneNumbers.Count > 0 ? u.PhoneNumbers[0] : null);
        w.Prop("email", u.Email);
        w.Prop("eulas", u.Eulas);
        w.Prop("first_name", u.FirstName);
        w.Prop("id", u.Id);
        w.Prop("is_active_in_domain", u.ActiveInDomain);
        w.Prop("is_admin", role?.IsAdmin ?? false);
        w.Prop("last_name", u.LastName);
        w.Key("permissions");
        WritePermissions(w, role);
        w.Key("phone_numbers");
        UsersApi.StringArray(w, u.PhoneNumbers);
        w.Prop("primary_location_id", u.PrimaryLocationId);
        w.Prop("profile", u.Profile);
        w.Prop("resource_uri", ResourceUri(prefix, u.Domain, u.Id));
        w.Prop("role", role?.Name ?? "");
        if (detail)
        {
            w.Key("tableau_groups");
            UsersApi.StringArray(w, u.TableauGroups);
        }
        w.Prop("tableau_role", u.TableauRole);
        w.Key("user_data");
        GroupsApi.WriteMap(w, u.UserData);
        w.Prop("username", u.Username);
        w.EndObject();
        return w.ToArray();
    }

    private static readonly string[] PermissionKeys = BuildPermissionKeys();

    private static string[] BuildPermissionKeys()
    {
        var keys = new List<string>(UserStore.AllPermissionNames) { "view_report_list" };
        keys.Sort(StringComparer.Ordinal);
        return keys.ToArray();
    }

    /// <summary>The role's <c>permissions.to_json()</c> (an opaque object; <c>{}</c> without a role); the SSO answer shows it too.</summary>
    internal static void WritePermissions(PyJsonWriter w, UserRole? role)
    {
        w.BeginObject();
        if (role is not null)
        {
            foreach (var k in PermissionKeys)
            {
                if (k == "view_report_list")
                {
                    w.Key(k).BeginArray().EndArray();
                    continue;
                }
                w.Prop(k, role.IsAdmin || role.Permissions.Contains(k));
            }
        }
        w.EndObject();
    }
}
