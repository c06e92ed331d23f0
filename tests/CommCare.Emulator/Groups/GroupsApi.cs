using System;
using System.Collections.Generic;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CommCare.Emulator;

/// <summary>
/// Groups (docs/commcare-api.md#groups-and-locations; <c>v0_4/v0_5.GroupResource</c>):
/// list, detail, create (single POST and bulk PATCH), update (PUT), soft delete. State lives in <see cref="UserStore"/>,
/// so a group's <c>users</c> and the mobile workers' <c>groups</c> are two views of one membership list.
/// </summary>
public static class GroupsApi
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 1000;
    private const string Permission = "edit_commcare_users";
    private static readonly string[] Targets = { "username", "name" };

    public static readonly ApiSpec ListSpec = new("group", AuthMode.DomainResource, Permission, Throttled: true)
    {
        Methods = new[] { "GET", "POST", "PATCH" },
        TargetKeys = Targets,
    };

    public static readonly ApiSpec DetailSpec = new("group", AuthMode.DomainResource, Permission, Throttled: true)
    {
        Methods = new[] { "GET", "PUT", "DELETE" },
        TargetKeys = Targets,
    };

    /// <summary>v0.4 (<c>v0_4.GroupResource</c>): read only.</summary>
    public static readonly ApiSpec ReadOnlySpec = new("group", AuthMode.DomainResource, Permission, Throttled: true);

    public static readonly string[] Prefixes =
    {
        "/a/{domain}/api/group/v1/",
        "/a/{domain}/api/v0.5/group/",
    };

    public const string LegacyPrefix = "/a/{domain}/api/v0.4/group/";

    public static void Map(WebApplication app, EmulatorState st)
    {
        foreach (var prefix in Prefixes)
        {
            var p = prefix;
            app.Map(p, Pipeline.Handle(st, ListSpec, ctx => UsersApi.Guard(() => ctx.Http.Request.Method.ToUpperInvariant() switch
            {
                "POST" => Create(ctx, p),
                "PATCH" => BulkCreate(ctx),
                _ => List(ctx, p),
            })));
            app.Map(p + "{id}/", Pipeline.Handle(st, DetailSpec, ctx => UsersApi.Guard(() => ctx.Http.Request.Method.ToUpperInvariant() switch
            {
                "PUT" => Update(ctx, p),
                "DELETE" => Delete(ctx),
                _ => Detail(ctx, p),
            })));
        }
        app.Map(LegacyPrefix, Pipeline.Handle(st, ReadOnlySpec, ctx => List(ctx, LegacyPrefix)));
        app.Map(LegacyPrefix + "{id}/", Pipeline.Handle(st, ReadOnlySpec, ctx => Detail(ctx, LegacyPrefix)));
    }

    /// <summary>
    /// v0.5/v1 (<c>v0_5.GroupResource</c>) build the detail path of the version used; v0.4 does not override
    /// get_resource_uri, whose reverse has no domain and falls back to <c>""</c> (UNCONFIRMED).
    /// </summary>
    private static string ResourceUri(string prefix, string domain, string id)
        => prefix == LegacyPrefix ? "" : prefix.Replace("{domain}", domain) + id + "/";

    // ---- read ------------------------------------------------------------------------------------------

    /// <summary>All live groups of the project, ordered by name (<c>name.exact</c>); no filters.</summary>
    public static ApiResponse List(ApiContext ctx, string prefix)
    {
        var domain = ctx.Domain!;
        var store = ctx.Data.Users;
        lock (store.Lock)
        {
            // Alternative (listDeletedGroups): the list also holds soft-deleted groups (21: "non-deleted, UNCONFIRMED").
            var groups = new List<UserGroup>(ctx.State.Alt.ListDeletedGroups ? store.GroupsWithDeleted(domain) : store.Groups(domain));
            groups.Sort(static (a, b) =>
            {
                var c = string.CompareOrdinal(a.Name, b.Name);
                return c != 0 ? c : string.CompareOrdinal(a.Id, b.Id);
            });
            var err = Paging.LimitOffsetOrError(ctx.Query, DefaultLimit, MaxLimit, out var limit, out var offset);
            if (err is not null) return err;
            var objects = new List<ReadOnlyMemory<byte>>();
            for (var i = offset; i < groups.Count && objects.Count < limit; i++)
            {
                objects.Add(GroupJson(store, groups[(int)i], prefix));
            }
            return Paging.Page(ctx, limit, offset, groups.Count, objects);
        }
    }

    /// <summary>get_object_or_not_exist: unknown, deleted or other-domain id → 404 with an empty body.</summary>
    public static ApiResponse Detail(ApiContext ctx, string prefix)
    {
        var store = ctx.Data.Users;
        lock (store.Lock)
        {
            var g = store.Group(ctx.Domain!, ctx.Route("id"));
            return g is null ? ApiResponse.Empty(404) : ApiResponse.Json(200, GroupJson(store, g, prefix));
        }
    }

    // ---- create ----------------------------------------------------------------------------------------

    /// <summary>POST list → 201 <c>{"id"}</c> + <c>Location</c>; a validation failure → 400 <c>{"error_message"}</c>.</summary>
    public static ApiResponse Create(ApiContext ctx, string prefix)
    {
        var data = UsersApi.ParseBody(ctx.Body, out var bodyError);
        if (data is null) return bodyError!;
        var domain = ctx.Domain!;
        var store = ctx.Data.Users;
        string id;
        lock (store.Lock)
        {
            var r = CreateOne(store, domain, data);
            if (r.Error is not null) return ApiResponse.Json(400, PyJsonWriter.ErrorBody("error_message", r.Error));
            id = r.Id!;
        }
        var w = new PyJsonWriter(64);
        w.BeginObject().Prop("id", id).EndObject();
        return ApiResponse.Json(201, w.ToArray()).Header("Location", ResourceUri(prefix, domain, id));
    }

    /// <summary>
    /// PATCH list (<c>patch_list_replica(obj_create)</c>): creates only. 202 with the bare array of new ids; if any
    /// item failed, 400 with the same array where the failed items hold their error text (the others ARE created).
    /// </summary>
    public static ApiResponse BulkCreate(ApiContext ctx)
    {
        var items = BulkItems(ctx.Body, out var err);
        if (items is null) return err!;
        var domain = ctx.Domain!;
        var store = ctx.Data.Users;
        var results = new List<string>();
        var failed = false;
        lock (store.Lock)
        {
            foreach (var item in items)
            {
                // bundle.data.get(...) on something that is not a dict: AttributeError → 500 (earlier items stay created).
                if (item.ValueKind != JsonValueKind.Object) return ApiResponse.ServerError();
                var r = CreateOne(store, domain, UsersApi.Members(item));
                if (r.Error is not null)
                {
                    failed = true;
                    results.Add(r.Error);
                }
                else
                {
                    results.Add(r.Id!);
                }
            }
        }
        var w = new PyJsonWriter(64 + results.Count * 40);
        w.BeginArray();
        foreach (var s in results) w.String(s);
        w.EndArray();
        return ApiResponse.Json(failed ? 400 : 202, w.ToArray());
    }

    /// <summary>
    /// The <c>objects</c> of a bulk body (tastypie <c>patch_list</c>): invalid JSON → 400 <c>Request is not valid JSON.</c>;
    /// no <c>objects</c> → 400 <c>Invalid data sent: missing 'objects'</c>; <c>objects</c> not a list → 500.
    /// </summary>
    internal static List<JsonElement>? BulkItems(byte[] body, out ApiResponse? error)
    {
        error = null;
        JsonElement root;
        try
        {
            using var doc = JsonDocument.Parse(body);
            root = doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            error = ApiResponse.BadRequest("Request is not valid JSON.");
            return null;
        }
        JsonElement objects = default;
        var found = false;
        if (root.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in root.EnumerateObject())
            {
                if (p.Name != "objects") continue;
                objects = p.Value;
                found = true;
            }
        }
        if (!found)
        {
            error = ApiResponse.BadRequest("Invalid data sent: missing 'objects'");
            return null;
        }
        if (objects.ValueKind != JsonValueKind.Array)
        {
            error = ApiResponse.ServerError();
            return null;
        }
        return new List<JsonElement>(objects.EnumerateArray());
    }

    private readonly record struct CreateResult(string? Id, string? Error);

    /// <summary>
    /// <c>GroupResource.obj_create</c>. Name required and unique (case-sensitive) among live groups; then the group is
    /// saved and each listed user's memberships are REPLACED by this group (<c>set_groups([new_id])</c>). A listed id
    /// that is not a live mobile worker of the project raises in HQ after the save: the group stays created (with the
    /// memberships set so far) and the answer is the canned 500 (<see cref="UsersApi.UncaughtError"/>).
    /// </summary>
    private static CreateResult CreateOne(UserStore store, string domain, List<KeyValuePair<string, JsonElement>> data)
    {
        var nameEl = UsersApi.Get(data, "name");
        if (nameEl is null || nameEl.Value.ValueKind == JsonValueKind.Null
            || (nameEl.Value.ValueKind == JsonValueKind.String && nameEl.Value.GetString()!.Length == 0))
        {
            return new CreateResult(null, "Name is required");
        }
        // Group(bundle.data) validates property types (jsonobject BadValueError → 500).
        if (nameEl.Value.ValueKind != JsonValueKind.String) throw new UsersApi.UncaughtError();
        var name = nameEl.Value.GetString()!;
        if (store.GroupByName(domain, name) is not null) return new CreateResult(null, $"A group with name {name} already exists");

        var caseSharing = OptionalBool(UsersApi.Get(data, "case_sharing"), false);
        var reporting = OptionalBool(UsersApi.Get(data, "reporting"), true);
        var metadata = OptionalObject(UsersApi.Get(data, "metadata"));
        var users = OptionalIdList(UsersApi.Get(data, "users"));

        var g = new UserGroup
        {
            Id = Guid.NewGuid().ToString("N"),
            Domain = domain,
            Name = name,
            CaseSharing = caseSharing,
            Reporting = reporting,
            Metadata = metadata,
        };
        foreach (var id in users) if (!g.UserIds.Contains(id)) g.UserIds.Add(id);
        store.AddGroup(g);
        // for user in group.users: CommCareUser.get(user).set_groups([group._id])
        foreach (var id in users)
        {
            var u = store.Live(domain, id);
            if (u is null) throw new UsersApi.UncaughtError();
            store.SetGroups(u, new[] { g.Id });
        }
        return new CreateResult(g.Id, null);
    }

    // ---- update / delete -------------------------------------------------------------------------------

    /// <summary>
    /// PUT detail (<c>obj_update</c> + <c>_update</c>) → 200 with the full group. Only the keys sent change. Unknown,
    /// deleted or other-domain id → 500 (couch ResourceNotFound / the domain assert; HQ's known bug).
    /// </summary>
    public static ApiResponse Update(ApiContext ctx, string prefix)
    {
        var data = UsersApi.ParseBody(ctx.Body, out var bodyError);
        if (data is null) return bodyError!;
        var domain = ctx.Domain!;
        var store = ctx.Data.Users;
        lock (store.Lock)
        {
            var g = store.Group(domain, ctx.Route("id"));
            if (g is null) return ApiResponse.ServerError();

            // Validate everything first so that a refused request changes nothing.
            string? newName = null;
            bool? caseSharing = null, reporting = null;
            List<KeyValuePair<string, JsonElement>>? metadata = null;
            List<string>? users = null;
            foreach (var (key, v) in data)
            {
                switch (key)
                {
                    case "name":
                        if (v.ValueKind == JsonValueKind.Null || (v.ValueKind == JsonValueKind.String && v.GetString()!.Trim().Length == 0))
                            return ApiResponse.BadRequest("Name must not be blank");
                        if (v.ValueKind != JsonValueKind.String) throw new UsersApi.UncaughtError();
                        var n = v.GetString()!;
                        if (n != g.Name && store.GroupByName(domain, n) is not null)
                            return ApiResponse.BadRequest($"A group with name {n} already exists");
                        newName = n;
                        break;
                    case "case_sharing":
                        caseSharing = OptionalBool(v, g.CaseSharing);
                        break;
                    case "reporting":
                        reporting = OptionalBool(v, g.Reporting);
                        break;
                    case "metadata":
                        metadata = OptionalObject(v);
                        break;
                    case "users":
                        if (v.ValueKind != JsonValueKind.Array) throw new UsersApi.UncaughtError();
                        users = OptionalIdList(v);
                        break;
                    case "domain":
                        // setattr(group, 'domain', value), then `assert bundle.obj.domain == kwargs['domain']` → 500.
                        if (v.ValueKind != JsonValueKind.String || v.GetString() != domain) throw new UsersApi.UncaughtError();
                        break;
                    default:
                        // id, resource_uri and any other key are set as dynamic properties that the API never shows.
                        break;
                }
            }
            if (newName is not null) g.Name = newName;
            if (caseSharing is not null) g.CaseSharing = caseSharing.Value;
            if (reporting is not null) g.Reporting = reporting.Value;
            if (metadata is not null) g.Metadata = metadata;
            if (users is not null)
            {
                // add_user / remove_user per difference: kept members keep their place, new ones are appended.
                g.UserIds.RemoveAll(id => !users.Contains(id));
                foreach (var id in users) if (!g.UserIds.Contains(id)) g.UserIds.Add(id);
            }
            return ApiResponse.Json(200, GroupJson(store, g, prefix));
        }
    }

    /// <summary>DELETE detail: soft delete → 204. Unknown, deleted or other-domain id → 404 with the canned body.</summary>
    public static ApiResponse Delete(ApiContext ctx)
    {
        var store = ctx.Data.Users;
        lock (store.Lock)
        {
            var g = store.Group(ctx.Domain!, ctx.Route("id"));
            if (g is null) return UsersApi.CannedNotFound();
            g.Deleted = true;
        }
        return ApiResponse.Empty(204);
    }

    // ---- value helpers ---------------------------------------------------------------------------------

    private static bool OptionalBool(JsonElement? v, bool current) => v?.ValueKind switch
    {
        null => current,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw new UsersApi.UncaughtError(),
    };

    private static List<KeyValuePair<string, JsonElement>> OptionalObject(JsonElement? v) => v?.ValueKind switch
    {
        null or JsonValueKind.Null => new List<KeyValuePair<string, JsonElement>>(),
        JsonValueKind.Object => UsersApi.Members(v.Value),
        _ => throw new UsersApi.UncaughtError(),
    };

    /// <summary>A list of user ids (strings); anything else breaks HQ → 500. Duplicates are dropped, order kept.</summary>
    private static List<string> OptionalIdList(JsonElement? v)
    {
        var res = new List<string>();
        if (v is null || v.Value.ValueKind == JsonValueKind.Null) return res;
        if (v.Value.ValueKind != JsonValueKind.Array) throw new UsersApi.UncaughtError();
        foreach (var el in v.Value.EnumerateArray())
        {
            if (el.ValueKind != JsonValueKind.String) throw new UsersApi.UncaughtError();
            var s = el.GetString()!;
            if (!res.Contains(s)) res.Add(s);
        }
        return res;
    }

    // ---- serialisation ---------------------------------------------------------------------------------

    private static byte[] GroupJson(UserStore store, UserGroup g, string prefix)
    {
        var w = new PyJsonWriter(512);
        w.BeginObject();
        w.Prop("case_sharing", g.CaseSharing);
        w.Prop("domain", g.Domain);
        w.Prop("id", g.Id);
        w.Key("metadata");
        WriteMap(w, g.Metadata);
        w.Prop("name", g.Name);
        w.Prop("reporting", g.Reporting);
        w.Prop("resource_uri", ResourceUri(prefix, g.Domain, g.Id));
        w.Key("users");
        UsersApi.StringArray(w, store.ActiveMemberIds(g));
        w.EndObject();
        return w.ToArray();
    }

    /// <summary>A key/value list as a JSON object with sorted keys (Python re-serialisation of the values).</summary>
    internal static void WriteMap(PyJsonWriter w, List<KeyValuePair<string, JsonElement>> items)
    {
        var sorted = new List<KeyValuePair<string, JsonElement>>(items);
        sorted.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        w.BeginObject();
        foreach (var (k, v) in sorted)
        {
            w.Key(k);
            UsersApi.WriteElement(w, v);
        }
        w.EndObject();
    }
}
