using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

using static CommCare.Emulator.DjangoFilters;

namespace CommCare.Emulator;

/// <summary>
/// Locations v1 (read only), locations v2 (read, POST create, PATCH bulk create/update, PUT update) and location
/// types (docs/commcare-api.md#groups-and-locations; <c>locations/resources/v0_5.py</c>,
/// <c>v0_6.py</c>). Tastypie <c>ModelResource</c>s: permission <c>edit_locations</c>, not throttled, 20 / 1000.
/// </summary>
public static partial class LocationsApi
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 1000;
    public const int PatchLimit = 100;
    private const string Permission = "edit_locations";
    private static readonly string[] Targets = { "username", "site_code", "name" };
    // Declared before the field tables below, which use them in their initialisers.
    private static readonly string[] ExactOnly = { "exact" };

    public static readonly ApiSpec V1Spec = new("location", AuthMode.DomainResource, Permission, Throttled: false);

    public static readonly ApiSpec V2ListSpec = new("location", AuthMode.DomainResource, Permission, Throttled: false)
    {
        Methods = new[] { "GET", "POST", "PATCH" },
        TargetKeys = Targets,
    };

    public static readonly ApiSpec V2DetailSpec = new("location", AuthMode.DomainResource, Permission, Throttled: false)
    {
        Methods = new[] { "GET", "PUT" },
        TargetKeys = Targets,
    };

    /// <summary>
    /// location_type declares no allowed methods, so tastypie allows them all; writes are then refused by
    /// <c>ReadOnlyAuthorization</c> with an empty 401.
    /// </summary>
    public static readonly ApiSpec TypeSpec = new("location_type", AuthMode.DomainResource, Permission, Throttled: false)
    {
        Methods = new[] { "GET", "POST", "PUT", "PATCH", "DELETE" },
    };

    public static readonly string[] V1Prefixes = { "/a/{domain}/api/location/v1/", "/a/{domain}/api/v0.5/location/" };
    public static readonly string[] V2Prefixes = { "/a/{domain}/api/location/v2/", "/a/{domain}/api/v0.6/location/" };
    public static readonly string[] TypePrefixes = { "/a/{domain}/api/location_type/v1/", "/a/{domain}/api/v0.5/location_type/" };

    public static void Map(WebApplication app, EmulatorState st)
    {
        for (var i = 0; i < V1Prefixes.Length; i++)
        {
            var p = V1Prefixes[i];
            var typePrefix = TypePrefixes[i];
            app.Map(p, Pipeline.Handle(st, V1Spec, ctx => UsersApi.Guard(() => ListV1(ctx, p, typePrefix))));
            app.Map(p + "{id}/", Pipeline.Handle(st, V1Spec, ctx => UsersApi.Guard(() => DetailV1(ctx, p, typePrefix))));
        }
        foreach (var prefix in V2Prefixes)
        {
            var p = prefix;
            app.Map(p, Pipeline.Handle(st, V2ListSpec, ctx => UsersApi.Guard(() => ctx.Http.Request.Method.ToUpperInvariant() switch
            {
                "POST" => Create(ctx, p),
                "PATCH" => Bulk(ctx),
                _ => ListV2(ctx),
            })));
            app.Map(p + "{id}/", Pipeline.Handle(st, V2DetailSpec, ctx => UsersApi.Guard(() =>
                HttpMethods.IsPut(ctx.Http.Request.Method) ? Update(ctx) : DetailV2(ctx))));
        }
        foreach (var prefix in TypePrefixes)
        {
            var p = prefix;
            app.Map(p, Pipeline.Handle(st, TypeSpec, ctx => UsersApi.Guard(() =>
                HttpMethods.IsGet(ctx.Http.Request.Method) || HttpMethods.IsHead(ctx.Http.Request.Method) ? ListTypes(ctx, p) : ApiResponse.Empty(401))));
            app.Map(p + "{id}/", Pipeline.Handle(st, TypeSpec, ctx => UsersApi.Guard(() =>
                HttpMethods.IsGet(ctx.Http.Request.Method) || HttpMethods.IsHead(ctx.Http.Request.Method) ? TypeDetail(ctx, p) : ApiResponse.Empty(401))));
        }
    }

    /// <summary><c>absolute_reverse</c>: scheme and host of the request, then the path.</summary>
    private static string Absolute(ApiContext ctx, string prefix, string domain, string id)
        => ctx.Http.Request.Scheme + "://" + ctx.Http.Request.Host.Value + prefix.Replace("{domain}", domain) + id + "/";

    // ---- v1 --------------------------------------------------------------------------------------------

    /// <summary>v1 fields and their <c>Meta.filtering</c> (null = declared but not filterable; "ALL" = every lookup).</summary>
    private static readonly Dictionary<string, Field> V1Fields = new(StringComparer.Ordinal)
    {
        ["id"] = new(FieldKind.Int, null),
        ["name"] = new(FieldKind.Str, null),
        ["domain"] = new(FieldKind.Str, ExactOnly),
        ["location_id"] = new(FieldKind.Str, null),
        ["site_code"] = new(FieldKind.Str, ExactOnly),
        ["external_id"] = new(FieldKind.Str, ExactOnly),
        ["created_at"] = new(FieldKind.DateTime, AllLookups),
        ["last_modified"] = new(FieldKind.DateTime, AllLookups),
        ["latitude"] = new(FieldKind.Decimal, AllLookups),
        ["longitude"] = new(FieldKind.Decimal, AllLookups),
        ["location_data"] = new(FieldKind.Other, null),
        ["location_type"] = new(FieldKind.Other, null, Related: true),
        ["parent"] = new(FieldKind.Other, null, Related: true),
        ["resource_uri"] = new(FieldKind.Other, null, NoAttribute: true),
    };

    /// <summary>v2 (<c>v0_6</c>, the version the reference describes): only the implicit domain filter.</summary>
    private static readonly Dictionary<string, Field> V2Fields = new(StringComparer.Ordinal)
    {
        ["domain"] = new(FieldKind.Str, ExactOnly),
        ["location_id"] = new(FieldKind.Str, null),
        ["name"] = new(FieldKind.Str, null),
        ["site_code"] = new(FieldKind.Str, null),
        ["last_modified"] = new(FieldKind.DateTime, null),
        ["latitude"] = new(FieldKind.Decimal, null),
        ["longitude"] = new(FieldKind.Decimal, null),
        ["location_data"] = new(FieldKind.Other, null),
    };

    private static readonly Dictionary<string, Field> TypeFields = new(StringComparer.Ordinal)
    {
        ["id"] = new(FieldKind.Int, null),
        ["domain"] = new(FieldKind.Str, ExactOnly),
        ["name"] = new(FieldKind.Str, null),
        ["code"] = new(FieldKind.Str, null),
        ["parent"] = new(FieldKind.Other, null, Related: true),
        ["administrative"] = new(FieldKind.Other, null),
        ["shares_cases"] = new(FieldKind.Other, null),
        ["view_descendants"] = new(FieldKind.Other, null),
        ["resource_uri"] = new(FieldKind.Other, null, NoAttribute: true),
    };

    public static ApiResponse ListV1(ApiContext ctx, string prefix, string typePrefix)
    {
        var domain = ctx.Domain!;
        var store = ctx.Data.Users;
        lock (store.Lock)
        {
            var rows = new List<UserLocation>(store.Locations(domain));
            var err = ApplyFilters(ctx.Query, V1Fields, ref rows, LocationValue) ?? CheckOrdering(ctx.Query, V1Fields);
            if (err is not null) return err;
            rows.Sort(static (a, b) => a.IntId.CompareTo(b.IntId));
            err = Paging.LimitOffsetOrError(ctx.Query, DefaultLimit, MaxLimit, out var limit, out var offset);
            if (err is not null) return err;
            var objects = new List<ReadOnlyMemory<byte>>();
            for (var i = offset; i < rows.Count && objects.Count < limit; i++)
            {
                objects.Add(V1Json(ctx, store, rows[(int)i], prefix, typePrefix));
            }
            return Paging.Page(ctx, limit, offset, rows.Count, objects);
        }
    }

    /// <summary>Lookup by the 32-hex location_id; a miss (or another domain) → 404, empty body.</summary>
    public static ApiResponse DetailV1(ApiContext ctx, string prefix, string typePrefix)
    {
        var store = ctx.Data.Users;
        lock (store.Lock)
        {
            var l = store.Location(ctx.Domain!, ctx.Route("id"));
            return l is null ? ApiResponse.Empty(404) : ApiResponse.Json(200, V1Json(ctx, store, l, prefix, typePrefix));
        }
    }

    private static byte[] V1Json(ApiContext ctx, UserStore store, UserLocation l, string prefix, string typePrefix)
    {
        var w = new PyJsonWriter(1024);
        w.BeginObject();
        w.Key("created_at").String(IsoNaive(l.CreatedAt));
        w.Prop("domain", l.Domain);
        w.Prop("external_id", l.ExternalId);
        w.Prop("id", l.IntId);
        w.Key("last_modified").String(IsoNaive(l.LastModified));
        w.Prop("latitude", DecimalText(l.Latitude));
        w.Key("location_data");
        GroupsApi.WriteMap(w, l.Metadata);
        w.Prop("location_id", l.Id);
        w.Prop("location_type", Absolute(ctx, typePrefix, l.Domain, l.Type.Id.ToString(CultureInfo.InvariantCulture)));
        w.Prop("longitude", DecimalText(l.Longitude));
        w.Prop("name", l.Name);
        var parent = l.ParentId is null ? null : store.LocationAnyDomain(l.ParentId);
        w.Prop("parent", parent is null ? null : Absolute(ctx, prefix, parent.Domain, parent.Id));
        w.Prop("resource_uri", Absolute(ctx, prefix, l.Domain, l.Id));
        w.Prop("site_code", l.SiteCode);
        w.EndObject();
        return w.ToArray();
    }

    // ---- v2 read ---------------------------------------------------------------------------------------

    public static ApiResponse ListV2(ApiContext ctx)
    {
        var domain = ctx.Domain!;
        var store = ctx.Data.Users;
        lock (store.Lock)
        {
            var rows = new List<UserLocation>(store.Locations(domain));
            var err = ApplyFilters(ctx.Query, V2Fields, ref rows, LocationValue) ?? CheckOrdering(ctx.Query, V2Fields);
            if (err is not null) return err;
            rows.Sort(static (a, b) => a.IntId.CompareTo(b.IntId));
            err = Paging.LimitOffsetOrError(ctx.Query, DefaultLimit, MaxLimit, out var limit, out var offset);
            if (err is not null) return err;
            var objects = new List<ReadOnlyMemory<byte>>();
            for (var i = offset; i < rows.Count && objects.Count < limit; i++) objects.Add(V2Json(store, rows[(int)i]));
            return Paging.Page(ctx, limit, offset, rows.Count, objects);
        }
    }

    public static ApiResponse DetailV2(ApiContext ctx)
    {
        var store = ctx.Data.Users;
        lock (store.Lock)
        {
            var l = store.Location(ctx.Domain!, ctx.Route("id"));
            return l is null ? ApiResponse.Empty(404) : ApiResponse.Json(200, V2Json(store, l));
        }
    }

    private static byte[] V2Json(UserStore store, UserLocation l)
    {
        var w = new PyJsonWriter(768);
        w.BeginObject();
        w.Prop("domain", l.Domain);
        w.Key("last_modified").String(IsoNaive(l.LastModified));
        w.Prop("latitude", DecimalText(l.Latitude));
        w.Key("location_data");
        GroupsApi.WriteMap(w, l.Metadata);
        w.Prop("location_id", l.Id);
        w.Prop("location_type_code", l.Type.Code);
        w.Prop("location_type_name", l.Type.Name);
        w.Prop("longitude", DecimalText(l.Longitude));
        w.Prop("name", l.Name);
        w.Prop("parent_location_id", l.ParentId is null ? "" : store.LocationAnyDomain(l.ParentId)?.Id ?? "");
        w.Prop("site_code", l.SiteCode);
        w.EndObject();
        return w.ToArray();
    }

    // ---- location types ----------------------------------------------------------------------------------

    public static ApiResponse ListTypes(ApiContext ctx, string prefix)
    {
        var domain = ctx.Domain!;
        var store = ctx.Data.Users;
        lock (store.Lock)
        {
            var rows = new List<LocationTypeInfo>(store.LocationTypes(domain));
            var err = ApplyFilters(ctx.Query, TypeFields, ref rows, static (_, _) => null) ?? CheckOrdering(ctx.Query, TypeFields);
            if (err is not null) return err;
            rows.Sort(static (a, b) => a.Id.CompareTo(b.Id));
            err = Paging.LimitOffsetOrError(ctx.Query, DefaultLimit, MaxLimit, out var limit, out var offset);
            if (err is not null) return err;
            var objects = new List<ReadOnlyMemory<byte>>();
            for (var i = offset; i < rows.Count && objects.Count < limit; i++) objects.Add(TypeJson(ctx, store, rows[(int)i], prefix));
            return Paging.Page(ctx, limit, offset, rows.Count, objects);
        }
    }

    /// <summary>Integer pk: a miss → 404 empty; a non-integer id → 404 with the canned body (tastypie NotFound → _handle_500).</summary>
    public static ApiResponse TypeDetail(ApiContext ctx, string prefix)
    {
        var raw = ctx.Route("id");
        if (!Paging.TryPyInt(raw, out var id)) return UsersApi.CannedNotFound();
        var store = ctx.Data.Users;
        lock (store.Lock)
        {
            var t = id is >= int.MinValue and <= int.MaxValue ? store.LocationTypeById(ctx.Domain!, (int)id) : null;
            return t is null ? ApiResponse.Empty(404) : ApiResponse.Json(200, TypeJson(ctx, store, t, prefix));
        }
    }

    private static byte[] TypeJson(ApiContext ctx, UserStore store, LocationTypeInfo t, string prefix)
    {
        var w = new PyJsonWriter(512);
        w.BeginObject();
        w.Prop("administrative", t.Administrative);
        w.Prop("code", t.Code);
        w.Prop("domain", t.Domain);
        w.Prop("id", t.Id);
        w.Prop("name", t.Name);
        var parent = store.LocationTypeById(t.ParentTypeId);
        w.Prop("parent", parent is null ? null : Absolute(ctx, prefix, parent.Domain, parent.Id.ToString(CultureInfo.InvariantCulture)));
        w.Prop("resource_uri", Absolute(ctx, prefix, t.Domain, t.Id.ToString(CultureInfo.InvariantCulture)));
        w.Prop("shares_cases", t.SharesCases);
        w.Prop("view_descendants", t.ViewDescendants);
        w.EndObject();
        return w.ToArray();
    }

    // ---- v2 writes -------------------------------------------------------------------------------------

    /// <summary>tastypie <c>BadRequest</c> raised inside a write (400 <c>{"error"}</c>).</summary>
    private sealed class LocationError(string message) : Exception(message);

    /// <summary>Django <c>ValidationError</c> on save (400 <c>{"error": "['&lt;message&gt;']"}</c>).</summary>
    private sealed class SaveValidationError(string message) : Exception(message);

    /// <summary>
    /// Runs a write against the store with all-or-nothing semantics: any failure (400 or 500) restores the locations
    /// as they were (the single writes because nothing is saved before the last check, PATCH because of <c>@atomic</c>).
    /// </summary>
    private static ApiResponse Atomic(UserStore store, Func<ApiResponse> write)
    {
        lock (store.Lock)
        {
            var snapshot = store.SnapshotLocations();
            try
            {
                var r = write();
                if (r.Status >= 400) store.RestoreLocations(snapshot);
                return r;
            }
            catch (LocationError e)
            {
                store.RestoreLocations(snapshot);
                return ApiResponse.BadRequest(e.Message);
            }
            catch (SaveValidationError e)
            {
                store.RestoreLocations(snapshot);
                return ApiResponse.BadRequest("[" + PyRepr(e.Message) + "]");
            }
            catch (UsersApi.UncaughtError)
            {
                store.RestoreLocations(snapshot);
                return ApiResponse.ServerError();
            }
        }
    }

    /// <summary>POST list: create one → 201 with the full v2 location and <c>Location</c> (absolute detail URL).</summary>
    public static ApiResponse Create(ApiContext ctx, string prefix)
    {
        var data = UsersApi.ParseBody(ctx.Body, out var bodyError);
        if (data is null) return bodyError!;
        var domain = ctx.Domain!;
        var store = ctx.Data.Users;
        return Atomic(store, () =>
        {
            var l = CreateOne(store, domain, data);
            return ApiResponse.Json(201, V2Json(store, l)).Header("Location", Absolute(ctx, prefix, domain, l.Id));
        });
    }

    /// <summary>PUT detail: partial update → 200 with the full v2 location. Unknown id → 400 (never 404).</summary>
    public static ApiResponse Update(ApiContext ctx)
    {
        var data = UsersApi.ParseBody(ctx.Body, out var bodyError);
        if (data is null) return bodyError!;
        var domain = ctx.Domain!;
        var store = ctx.Data.Users;
        var id = ctx.Route("id");
        return Atomic(store, () =>
        {
            var l = UpdateOne(store, domain, id, data);
            return ApiResponse.Json(200, V2Json(store, l));
        });
    }

    /// <summary>
    /// PATCH list (<c>patch_list_replica</c>, <c>@atomic</c>): items with <c>location_id</c> update, the others create.
    /// More than 100 → 400; the first failing item → 400 <c>{"error"}</c> and nothing is kept. 202 with the ids.
    /// </summary>
    public static ApiResponse Bulk(ApiContext ctx)
    {
        var items = GroupsApi.BulkItems(ctx.Body, out var err);
        if (items is null) return err!;
        if (items.Count > PatchLimit) return ApiResponse.BadRequest("Object count exceeds limit for PATCH method.");
        var domain = ctx.Domain!;
        var store = ctx.Data.Users;
        return Atomic(store, () =>
        {
            var ids = new List<string>();
            foreach (var item in items)
            {
                if (item.ValueKind != JsonValueKind.Object) throw new UsersApi.UncaughtError();
                var data = UsersApi.Members(item);
                UserLocation l;
                if (UsersApi.Get(data, "location_id") is { } lid)
                {
                    UsersApi.Remove(data, "location_id");
                    l = UpdateOne(store, domain, lid.ValueKind == JsonValueKind.String ? lid.GetString()! : UsersApi.PyStr(lid), data);
                }
                else
                {
                    l = CreateOne(store, domain, data);
                }
                ids.Add(l.Id);
            }
            var w = new PyJsonWriter(64 + ids.Count * 40);
            w.BeginArray();
            foreach (var id in ids) w.String(id);
            w.EndArray();
            return ApiResponse.Json(202, w.ToArray());
        });
    }

    private static UserLocation CreateOne(UserStore store, string domain, List<KeyValuePair<string, JsonElement>> data)
    {
        if (UsersApi.Get(data, "name") is null || UsersApi.Get(data, "location_type_code") is null)
            throw new LocationError("'name' and 'location_type_code' are required fields when creating a new location.");
        var now = Now();
        // SQLLocation(domain=domain); location_id is assigned by save().
        var l = new UserLocation
        {
            Id = "",
            IntId = 0,
            Domain = domain,
            Name = "",
            SiteCode = "",
            Type = null!,
        };
        ApplyUpdate(store, domain, l, data, isNew: true);
        var saved = new UserLocation
        {
            Id = Guid.NewGuid().ToString("N"),
            IntId = store.NextLocationIntId(),
            Domain = domain,
            Name = l.Name,
            SiteCode = l.SiteCode,
            Type = l.Type,
            ParentId = l.ParentId,
            Latitude = l.Latitude,
            Longitude = l.Longitude,
            Metadata = l.Metadata,
            CreatedAt = now,
            LastModified = now,
        };
        store.AddLocation(saved);
        return saved;
    }

    private static UserLocation UpdateOne(UserStore store, string domain, string id, List<KeyValuePair<string, JsonElement>> data)
    {
        var l = store.Location(domain, id)
                ?? throw new LocationError($"Could not update: could not find location with given ID {id} on the domain.");
        ApplyUpdate(store, domain, l, data, isNew: false);
        l.LastModified = Now();
        return l;
    }

    /// <summary>
    /// <c>LocationResource._update</c> (v0_6), in its order: parent, name (sibling uniqueness; site code regenerated
    /// when none is sent), site_code, location_data, location type, latitude/longitude, leftover fields, save.
    /// </summary>
    private static void ApplyUpdate(UserStore store, string domain, UserLocation l, List<KeyValuePair<string, JsonElement>> data, bool isNew)
    {
        data = new List<KeyValuePair<string, JsonElement>>(data);
        JsonElement? Pop(string key)
        {
            var v = UsersApi.Get(data, key);
            UsersApi.Remove(data, key);
            return v;
        }

        if (UsersApi.Get(data, "parent_location_id") is { } pid)
        {
            Pop("parent_location_id");
            // SQLLocation.objects.get(location_id=...) (any project): a miss raises a plain Exception → 500.
            var parent = (pid.ValueKind == JsonValueKind.String ? store.LocationAnyDomain(pid.GetString()!) : null)
                         ?? throw new UsersApi.UncaughtError();
            if (!isNew && UsersApi.Get(data, "location_type_code") is null) ValidateNewParent(store, domain, l, parent);
            l.ParentId = parent.Id;
        }
        if (UsersApi.Get(data, "name") is { } nameEl)
        {
            if (nameEl.ValueKind != JsonValueKind.String) throw new UsersApi.UncaughtError();
            var name = nameEl.GetString()!;
            if (HasSiblingWithName(store, l, name, l.ParentId)) throw new LocationError("Location with same name and parent already exists.");
            Pop("name");
            l.Name = name;
            if (UsersApi.Get(data, "site_code") is null) l.SiteCode = GenerateSiteCode(store, domain, l.Id, name);
        }
        if (Pop("site_code") is { } sc)
        {
            if (sc.ValueKind != JsonValueKind.String) throw new UsersApi.UncaughtError(); // site_code.lower() on a non-string
            var code = sc.GetString()!.ToLowerInvariant();
            if (!SiteCodeRx().IsMatch(code)) throw new LocationError("The site code cannot contain spaces or special characters.");
            foreach (var other in store.Locations(domain))
            {
                if (other.Id != l.Id && string.Equals(other.SiteCode, code, StringComparison.OrdinalIgnoreCase))
                    throw new LocationError("another location already uses this site code");
            }
            l.SiteCode = code;
        }
        if (Pop("location_data") is { } ld)
        {
            // No custom location fields are defined in the emulated projects, so the validator accepts any object.
            if (ld.ValueKind != JsonValueKind.Object) throw new UsersApi.UncaughtError();
            l.Metadata = UsersApi.Members(ld);
        }
        var typeGiven = UsersApi.Get(data, "location_type_code") is not null;
        if (typeGiven || isNew)
        {
            var code = Pop("location_type_code");
            l.Type = ResolveLocationType(store, domain, l, code, isNew);
        }
        JsonElement? lat = Pop("latitude"), lon = Pop("longitude");
        if (data.Count > 0)
        {
            var keys = new List<string>();
            foreach (var (k, _) in data) keys.Add(PyRepr(k));
            throw new LocationError("Invalid fields were included in request: [" + string.Join(", ", keys) + "]");
        }
        // save(): DecimalField.to_python / format_number.
        if (lat is { } la) l.Latitude = ToDecimal(la);
        if (lon is { } lo) l.Longitude = ToDecimal(lo);
    }

    /// <summary>_validate_new_parent (an update that moves a location without sending its type).</summary>
    private static void ValidateNewParent(UserStore store, string domain, UserLocation l, UserLocation parent)
    {
        var allowed = AllowedTypes(store, domain, parent);
        if (allowed.Count == 0) throw new LocationError("The selected parent location cannot have child locations!");
        if (!allowed.Contains(l.Type)) throw new LocationError("Parent cannot have children of this location's type.");
        if (HasSiblingWithName(store, l, l.Name, parent.Id)) throw new LocationError("Location with same name and parent already exists.");
    }

    /// <summary>LocationForm.get_allowed_types: the project's types whose parent type is the parent's type (None for roots).</summary>
    private static List<LocationTypeInfo> AllowedTypes(UserStore store, string domain, UserLocation? parent)
    {
        var res = new List<LocationTypeInfo>();
        int? parentType = parent?.Type.Id;
        foreach (var t in store.LocationTypes(domain)) if (t.ParentTypeId == parentType) res.Add(t);
        return res;
    }

    /// <summary>locations.util.get_location_type.</summary>
    private static LocationTypeInfo ResolveLocationType(UserStore store, string domain, UserLocation l, JsonElement? code, bool isNew)
    {
        var parent = l.ParentId is null ? null : store.LocationAnyDomain(l.ParentId);
        var allowed = AllowedTypes(store, domain, parent);
        if (allowed.Count == 0) throw new LocationError("The selected parent location cannot have child locations!");
        LocationTypeInfo? type = null;
        if (!UsersApi.Truthy(code))
        {
            if (allowed.Count == 1) type = allowed[0];
            else throw new LocationError("You must select a location type");
        }
        else
        {
            var s = code!.Value.ValueKind == JsonValueKind.String ? code.Value.GetString()! : UsersApi.PyStr(code.Value);
            foreach (var t in store.LocationTypes(domain))
            {
                if (code.Value.ValueKind == JsonValueKind.String && (t.Code == s || t.Name == s))
                {
                    type = t;
                    break;
                }
            }
            if (type is null) throw new LocationError($"LocationType '{s}' not found");
            if (!allowed.Contains(type)) throw new LocationError("Location type not valid for the selected parent.");
        }
        if (!isNew && type.Id != l.Type.Id)
        {
            foreach (var other in store.Locations(domain))
            {
                if (other.ParentId == l.Id) throw new LocationError("You cannot change the location type of a location with children");
            }
        }
        return type;
    }

    /// <summary>has_siblings_with_name: same project, same name (exact), same parent (or both roots), another location.</summary>
    private static bool HasSiblingWithName(UserStore store, UserLocation l, string name, string? parentId)
    {
        foreach (var other in store.Locations(l.Domain))
        {
            if (other.Id != l.Id && other.Name == name && other.ParentId == parentId) return true;
        }
        return false;
    }

    [GeneratedRegex(@"^[-_\w\d]+$")]
    private static partial Regex SiteCodeRx();

    [GeneratedRegex(@"[^\w\s-]")]
    private static partial Regex SlugStripRx();

    [GeneratedRegex(@"[-\s]+")]
    private static partial Regex SlugDashRx();

    [GeneratedRegex(@"[\W\d]+")]
    private static partial Regex NonWordOrDigitRx();

    [GeneratedRegex(@"\d*$")]
    private static partial Regex EndingDigitsRx();

    /// <summary>generate_site_code → commtrack.util.generate_code (slugified name + the name's trailing digits, made unique).</summary>
    private static string GenerateSiteCode(UserStore store, string domain, string selfId, string name)
    {
        var existing = new HashSet<string>(StringComparer.Ordinal);
        foreach (var other in store.Locations(domain))
        {
            if (other.Id != selfId) existing.Add(other.SiteCode.ToLowerInvariant());
        }
        var objectName = name.Length == 0 ? "no name" : name;
        var slug = NonWordOrDigitRx().Replace(Slugify(objectName.ToLowerInvariant()), "_").Trim('_');
        var postfix = EndingDigitsRx().Match(objectName).Value;
        while (existing.Contains(slug + postfix))
        {
            postfix = postfix.Length > 0
                ? (System.Numerics.BigInteger.Parse(postfix, CultureInfo.InvariantCulture) + 1).ToString(CultureInfo.InvariantCulture)
                : "1";
        }
        return slug + postfix;
    }

    /// <summary>django slugify(unidecode(text)): ASCII-folded, [^\w\s-] removed, runs of dashes/space → '-', stripped of '-_'.</summary>
    private static string Slugify(string text)
    {
        string folded;
        try
        {
            folded = text.Normalize(NormalizationForm.FormKD);
        }
        catch (Exception e) when (e is PlatformNotSupportedException or ArgumentException)
        {
            folded = text;
        }
        var sb = new StringBuilder(folded.Length);
        foreach (var c in folded) if (c < 0x80) sb.Append(c);
        var v = SlugStripRx().Replace(sb.ToString().ToLowerInvariant(), "");
        return SlugDashRx().Replace(v, "-").Trim('-', '_');
    }

    /// <summary>DecimalField: <c>decimal.Decimal(value)</c>, then quantized to 10 places (max_digits 20).</summary>
    private static decimal? ToDecimal(JsonElement v)
    {
        string text;
        switch (v.ValueKind)
        {
            case JsonValueKind.Null:
                return null;
            case JsonValueKind.True:
                return 1m;
            case JsonValueKind.False:
                return 0m;
            case JsonValueKind.Number:
                text = v.GetRawText();
                break;
            case JsonValueKind.String:
                text = v.GetString()!.Trim();
                break;
            default:
                throw new SaveValidationError($"\u201c{UsersApi.PyStr(v)}\u201d value must be a decimal number.");
        }
        if (!decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                CultureInfo.InvariantCulture, out var d))
        {
            if (v.ValueKind == JsonValueKind.Number) throw new UsersApi.UncaughtError(); // out of range for the column
            throw new SaveValidationError($"\u201c{UsersApi.PyStr(v)}\u201d value must be a decimal number.");
        }
        d = Math.Round(d, 10, MidpointRounding.ToEven);
        // format_number: more than 20 significant digits after quantizing raises InvalidOperation (uncaught).
        if (Math.Abs(d) >= 10_000_000_000m) throw new UsersApi.UncaughtError();
        return d;
    }

    private static string? DecimalText(decimal? d) => d?.ToString("F10", CultureInfo.InvariantCulture);

    /// <summary>Python <c>datetime.isoformat()</c> of a naive value (no fraction when the microseconds are 0).</summary>
    internal static string IsoNaive(long ticks)
        => Dates.ToString(ticks, ticks % TimeSpan.TicksPerSecond == 0 ? DateStyle.Seconds : DateStyle.Micro);

    private static long Now()
    {
        var t = DateTime.UtcNow.Ticks;
        return t - t % Dates.TicksPerMicro;
    }

    /// <summary>Python <c>repr()</c> of a str.</summary>
    internal static string PyRepr(string s)
    {
        var quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        var sb = new StringBuilder(s.Length + 2);
        sb.Append(quote);
        foreach (var c in s)
        {
            if (c == '\\') sb.Append("\\\\");
            else if (c == quote) sb.Append('\\').Append(c);
            else if (c == '\n') sb.Append("\\n");
            else if (c == '\r') sb.Append("\\r");
            else if (c == '\t') sb.Append("\\t");
            else if (c < 0x20 || c == 0x7f) sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        sb.Append(quote);
        return sb.ToString();
    }

    /// <summary>A row's value for a field: string, decimal?, long ticks (0 = null) boxed, or null.</summary>
    private static object? LocationValue(UserLocation l, string field) => field switch
    {
        "domain" => l.Domain,
        "site_code" => l.SiteCode,
        "external_id" => l.ExternalId,
        "created_at" => l.CreatedAt,
        "last_modified" => l.LastModified,
        "latitude" => l.Latitude,
        "longitude" => l.Longitude,
        _ => null,
    };
}
