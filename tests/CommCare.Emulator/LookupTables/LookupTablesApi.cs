using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;

namespace CommCare.Emulator;

/// <summary>
/// Lookup tables (docs/commcare-api.md#lookup-tables): <c>lookup_table</c> (definitions, CRUD),
/// <c>lookup_table_item</c> (rows, CRUD; v2 answers writes with the row) and <c>fixture</c> (rows, flattened, read only).
/// The Excel download / upload is in <see cref="LookupUpload"/>.
/// </summary>
public static class LookupTablesApi
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 1000;
    public const int FixtureLimit = 1000;

    public static readonly ApiSpec TableListSpec = new("lookup_table", AuthMode.DomainResource, null, Throttled: true)
    {
        Methods = new[] { "GET", "POST" },
        TargetKeys = new[] { "tag" },
    };

    public static readonly ApiSpec TableDetailSpec = new("lookup_table", AuthMode.DomainResource, null, Throttled: true)
    {
        Methods = new[] { "GET", "PUT", "DELETE" },
        TargetKeys = new[] { "tag" },
    };

    public static readonly ApiSpec ItemListSpec = new("lookup_table_item", AuthMode.DomainResource, null, Throttled: true)
    {
        Methods = new[] { "GET", "POST" },
        TargetKeys = new[] { "data_type_id" },
    };

    public static readonly ApiSpec ItemDetailSpec = new("lookup_table_item", AuthMode.DomainResource, null, Throttled: true)
    {
        Methods = new[] { "GET", "PUT", "DELETE" },
        TargetKeys = new[] { "data_type_id" },
    };

    /// <summary><c>FixtureResource</c>: edit_apps; GET only (newest code).</summary>
    public static readonly ApiSpec FixtureSpec = new("fixture", AuthMode.DomainResource, "edit_apps", Throttled: true);

    public static void Map(WebApplication app, EmulatorState st)
    {
        foreach (var p in new[] { "/a/{domain}/api/lookup_table/v1/", "/a/{domain}/api/v0.5/lookup_table/" })
        {
            var prefix = p;
            app.Map(prefix, Pipeline.Handle(st, TableListSpec, ctx => UsersApi.Guard(() =>
                ctx.Http.Request.Method.ToUpperInvariant() == "POST" ? CreateTable(ctx, prefix) : ListTables(ctx, prefix))));
            app.Map(prefix + "{id}/", Pipeline.Handle(st, TableDetailSpec, ctx => UsersApi.Guard(() => ctx.Http.Request.Method.ToUpperInvariant() switch
            {
                "PUT" => UpdateTable(ctx, prefix),
                "DELETE" => DeleteTable(ctx),
                _ => TableDetail(ctx, prefix),
            })));
        }
        foreach (var (p, v2) in new[]
                 {
                     ("/a/{domain}/api/lookup_table_item/v1/", false), ("/a/{domain}/api/v0.5/lookup_table_item/", false),
                     ("/a/{domain}/api/lookup_table_item/v2/", true), ("/a/{domain}/api/v0.6/lookup_table_item/", true),
                 })
        {
            var prefix = p;
            var returnData = v2;
            app.Map(prefix, Pipeline.Handle(st, ItemListSpec, ctx => UsersApi.Guard(() =>
                ctx.Http.Request.Method.ToUpperInvariant() == "POST" ? CreateItem(ctx, prefix, returnData) : ListItems(ctx))));
            app.Map(prefix + "{id}/", Pipeline.Handle(st, ItemDetailSpec, ctx => UsersApi.Guard(() => ctx.Http.Request.Method.ToUpperInvariant() switch
            {
                "PUT" => UpdateItem(ctx, prefix, returnData),
                "DELETE" => DeleteItem(ctx),
                _ => ItemDetail(ctx),
            })));
        }
        foreach (var p in new[] { "/a/{domain}/api/fixture/v1/", "/a/{domain}/api/v0.5/fixture/", "/a/{domain}/api/v0.4/fixture/" })
        {
            app.Map(p, Pipeline.Handle(st, FixtureSpec, ListFixtures));
            app.Map(p + "{id}/", Pipeline.Handle(st, FixtureSpec, FixtureDetail));
        }
    }

    private static LookupTableStore Store(ApiContext ctx) => ctx.State.Features.LookupTables;

    /// <summary>Absolute, as in the reference's example file (<c>https://www.commcarehq.org/a/demo/api/lookup_table/v1/&lt;id&gt;/</c>).</summary>
    private static string TableUri(ApiContext ctx, string prefix, string id)
        => ctx.Http.Request.Scheme + "://" + ctx.Http.Request.Host.Value + prefix.Replace("{domain}", ctx.Domain!) + id + "/";

    // ---- lookup_table ------------------------------------------------------------------------------------

    public static ApiResponse ListTables(ApiContext ctx, string prefix)
    {
        var store = Store(ctx);
        lock (store.Lock)
        {
            var tables = new List<LookupTable>(store.Tables(ctx.Domain!));
            var err = Paging.LimitOffsetOrError(ctx.Query, DefaultLimit, MaxLimit, out var limit, out var offset);
            if (err is not null) return err;
            var objects = new List<ReadOnlyMemory<byte>>();
            for (var i = offset; i < tables.Count && objects.Count < limit; i++)
            {
                objects.Add(LookupJson.Table(tables[(int)i], TableUri(ctx, prefix, tables[(int)i].Id)));
            }
            return Paging.Page(ctx, limit, offset, tables.Count, objects);
        }
    }

    /// <summary>A table of another project, or an unknown id → 404, empty body.</summary>
    public static ApiResponse TableDetail(ApiContext ctx, string prefix)
    {
        var store = Store(ctx);
        lock (store.Lock)
        {
            var t = store.Table(ctx.Domain!, ctx.Route("id"));
            return t is null ? ApiResponse.Empty(404) : ApiResponse.Json(200, LookupJson.Table(t, TableUri(ctx, prefix, t.Id)));
        }
    }

    /// <summary>POST → 201, empty body, <c>Location</c>. Schema errors → 400 with a bare array of messages; a duplicate tag → 400 <c>{"error"}</c>.</summary>
    public static ApiResponse CreateTable(ApiContext ctx, string prefix)
    {
        var root = ParseObject(ctx.Body, out var bad);
        if (root is null) return bad!;
        var errors = ValidateTable(root.Value, requireAll: true);
        if (errors.Count > 0) return SchemaErrors(errors);
        var store = Store(ctx);
        lock (store.Lock)
        {
            var tag = root.Value.GetProperty("tag").GetString()!;
            if (store.TableByTag(ctx.Domain!, tag) is not null)
                return ApiResponse.BadRequest($"A lookup table with name {tag} already exists");
            var t = new LookupTable { Id = LookupTableStore.NewId(), Domain = ctx.Domain!, Tag = tag };
            ApplyTable(t, root.Value);
            store.AddTable(t);
            return ApiResponse.Empty(201).Header("Location", TableUri(ctx, prefix, t.Id));
        }
    }

    /// <summary>
    /// PUT → 204. <c>tag</c> must be sent and unchanged; <c>is_global</c>, <c>fields</c>, <c>item_attributes</c> change when
    /// present. An unknown id creates a new table with a new id (tastypie's fallback) → 201 + <c>Location</c>.
    /// </summary>
    public static ApiResponse UpdateTable(ApiContext ctx, string prefix)
    {
        var root = ParseObject(ctx.Body, out var bad);
        if (root is null) return bad!;
        var store = Store(ctx);
        lock (store.Lock)
        {
            var t = store.Table(ctx.Domain!, ctx.Route("id"));
            if (t is null) return CreateTable(ctx, prefix);
            if (!root.Value.TryGetProperty("tag", out var tagEl) || tagEl.ValueKind == JsonValueKind.Null)
                return ApiResponse.BadRequest("tag must be specified");
            if (tagEl.ValueKind != JsonValueKind.String || tagEl.GetString() != t.Tag)
                return ApiResponse.BadRequest("Lookup table tag cannot be changed");
            var errors = ValidateTable(root.Value, requireAll: false);
            if (errors.Count > 0) return SchemaErrors(errors);
            ApplyTable(t, root.Value);
            return ApiResponse.Empty(204);
        }
    }

    /// <summary>DELETE → 202 (the table and all its rows). Unknown → 404, empty body.</summary>
    public static ApiResponse DeleteTable(ApiContext ctx)
    {
        var store = Store(ctx);
        lock (store.Lock)
        {
            var t = store.Table(ctx.Domain!, ctx.Route("id"));
            if (t is null) return ApiResponse.Empty(404);
            store.DeleteTable(t);
            return ApiResponse.Empty(202);
        }
    }

    private static void ApplyTable(LookupTable t, JsonElement root)
    {
        if (root.TryGetProperty("is_global", out var g) && g.ValueKind is JsonValueKind.True or JsonValueKind.False) t.IsGlobal = g.GetBoolean();
        if (root.TryGetProperty("fields", out var fields) && fields.ValueKind == JsonValueKind.Array)
        {
            var list = new List<LookupField>();
            foreach (var f in fields.EnumerateArray())
            {
                var lf = new LookupField { Name = f.GetProperty("field_name").GetString()! };
                if (f.TryGetProperty("properties", out var props) && props.ValueKind == JsonValueKind.Array)
                {
                    foreach (var p in props.EnumerateArray()) lf.Properties.Add(p.GetString()!);
                }
                list.Add(lf);
            }
            t.Fields = list;
        }
        if (root.TryGetProperty("item_attributes", out var attrs) && attrs.ValueKind == JsonValueKind.Array)
        {
            var list = new List<string>();
            foreach (var a in attrs.EnumerateArray()) list.Add(a.GetString()!);
            t.ItemAttributes = list;
        }
    }

    /// <summary>jsonschema-style messages (<c>'tag' is a required property</c>, <c>5 is not of type 'string'</c>).</summary>
    private static List<string> ValidateTable(JsonElement root, bool requireAll)
    {
        var errors = new List<string>();
        if (requireAll)
        {
            if (!root.TryGetProperty("tag", out _)) errors.Add("'tag' is a required property");
            if (!root.TryGetProperty("fields", out _)) errors.Add("'fields' is a required property");
        }
        if (root.TryGetProperty("tag", out var tag) && tag.ValueKind != JsonValueKind.String) errors.Add(TypeError(tag, "string"));
        if (root.TryGetProperty("is_global", out var g) && g.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            errors.Add(TypeError(g, "boolean"));
        if (root.TryGetProperty("fields", out var fields))
        {
            if (fields.ValueKind != JsonValueKind.Array)
            {
                errors.Add(TypeError(fields, "array"));
            }
            else
            {
                foreach (var f in fields.EnumerateArray())
                {
                    if (f.ValueKind != JsonValueKind.Object)
                    {
                        errors.Add(TypeError(f, "object"));
                        continue;
                    }
                    if (!f.TryGetProperty("field_name", out var fn)) errors.Add("'field_name' is a required property");
                    else if (fn.ValueKind != JsonValueKind.String) errors.Add(TypeError(fn, "string"));
                    if (f.TryGetProperty("properties", out var props))
                    {
                        if (props.ValueKind != JsonValueKind.Array) errors.Add(TypeError(props, "array"));
                        else foreach (var p in props.EnumerateArray()) if (p.ValueKind != JsonValueKind.String) errors.Add(TypeError(p, "string"));
                    }
                }
            }
        }
        if (root.TryGetProperty("item_attributes", out var attrs))
        {
            if (attrs.ValueKind != JsonValueKind.Array) errors.Add(TypeError(attrs, "array"));
            else foreach (var a in attrs.EnumerateArray()) if (a.ValueKind != JsonValueKind.String) errors.Add(TypeError(a, "string"));
        }
        return errors;
    }

    // ---- lookup_table_item -------------------------------------------------------------------------------

    /// <summary>Every row of every table of the project (no filters), table by table, each by sort key.</summary>
    public static ApiResponse ListItems(ApiContext ctx)
    {
        var store = Store(ctx);
        lock (store.Lock)
        {
            var rows = store.AllRows(ctx.Domain!);
            var err = Paging.LimitOffsetOrError(ctx.Query, DefaultLimit, MaxLimit, out var limit, out var offset);
            if (err is not null) return err;
            var objects = new List<ReadOnlyMemory<byte>>();
            for (var i = offset; i < rows.Count && objects.Count < limit; i++) objects.Add(LookupJson.Item(rows[(int)i]));
            return Paging.Page(ctx, limit, offset, rows.Count, objects);
        }
    }

    public static ApiResponse ItemDetail(ApiContext ctx)
    {
        var store = Store(ctx);
        lock (store.Lock)
        {
            var r = store.Row(ctx.Domain!, ctx.Route("id"));
            return r is null ? ApiResponse.Empty(404) : ApiResponse.Json(200, LookupJson.Item(r));
        }
    }

    /// <summary>
    /// POST → 201: v1 with an empty body and <c>Location</c>, v2 with the row. <c>data_type_id</c> missing → 400; a table that
    /// is not in the project → 404 with tastypie's canned body. <c>sort_key</c> = the table's row count + 1.
    /// </summary>
    public static ApiResponse CreateItem(ApiContext ctx, string prefix, bool returnData)
    {
        var root = ParseObject(ctx.Body, out var bad);
        if (root is null) return bad!;
        var store = Store(ctx);
        lock (store.Lock)
        {
            return CreateItemLocked(ctx, store, root.Value, prefix, returnData, LookupTableStore.NewId());
        }
    }

    private static ApiResponse CreateItemLocked(ApiContext ctx, LookupTableStore store, JsonElement root, string prefix, bool returnData, string id)
    {
        if (!root.TryGetProperty("data_type_id", out var dt) || dt.ValueKind == JsonValueKind.Null
            || (dt.ValueKind == JsonValueKind.String && dt.GetString()!.Length == 0))
            return ApiResponse.BadRequest("data_type_id must be specified");
        var table = dt.ValueKind == JsonValueKind.String ? store.Table(ctx.Domain!, dt.GetString()!) : null;
        if (table is null) return UsersApi.CannedNotFound();
        var errors = ValidateItem(root);
        if (errors.Count > 0) return SchemaErrors(errors);
        var row = new LookupRow
        {
            Id = id,
            Domain = ctx.Domain!,
            TableId = table.Id,
            SortKey = store.RowCount(table.Id) + 1,
        };
        ApplyItem(row, root);
        store.AddRow(row);
        var location = prefix.Replace("{domain}", ctx.Domain!) + row.Id + "/";
        return returnData
            ? ApiResponse.Json(201, LookupJson.Item(row)).Header("Location", location)
            : ApiResponse.Empty(201).Header("Location", location);
    }

    /// <summary>PUT: v1 → 204, v2 → 200 with the row. An unknown id creates a row with that id (201).</summary>
    public static ApiResponse UpdateItem(ApiContext ctx, string prefix, bool returnData)
    {
        var root = ParseObject(ctx.Body, out var bad);
        if (root is null) return bad!;
        var store = Store(ctx);
        lock (store.Lock)
        {
            var row = store.Row(ctx.Domain!, ctx.Route("id"));
            if (row is null)
            {
                var id = ctx.Route("id");
                if (store.TableAnyDomain(id) is not null || id.Length != 32) id = LookupTableStore.NewId();
                return CreateItemLocked(ctx, store, root.Value, prefix, returnData, id);
            }
            if (root.Value.TryGetProperty("data_type_id", out var dt) && dt.ValueKind == JsonValueKind.String)
            {
                var table = store.Table(ctx.Domain!, dt.GetString()!);
                if (table is null) return UsersApi.CannedNotFound();
                row.TableId = table.Id;
            }
            var errors = ValidateItem(root.Value);
            if (errors.Count > 0) return SchemaErrors(errors);
            ApplyItem(row, root.Value);
            return returnData ? ApiResponse.Json(200, LookupJson.Item(row)) : ApiResponse.Empty(204);
        }
    }

    public static ApiResponse DeleteItem(ApiContext ctx)
    {
        var store = Store(ctx);
        lock (store.Lock)
        {
            var r = store.Row(ctx.Domain!, ctx.Route("id"));
            if (r is null) return ApiResponse.Empty(404);
            store.DeleteRow(r);
            return ApiResponse.Empty(202);
        }
    }

    private static List<string> ValidateItem(JsonElement root)
    {
        var errors = new List<string>();
        if (root.TryGetProperty("fields", out var fields))
        {
            if (fields.ValueKind != JsonValueKind.Object)
            {
                errors.Add(TypeError(fields, "object"));
            }
            else
            {
                foreach (var f in fields.EnumerateObject())
                {
                    if (f.Value.ValueKind != JsonValueKind.Object)
                    {
                        errors.Add(TypeError(f.Value, "object"));
                        continue;
                    }
                    if (!f.Value.TryGetProperty("field_list", out var list))
                    {
                        errors.Add("'field_list' is a required property");
                        continue;
                    }
                    if (list.ValueKind != JsonValueKind.Array)
                    {
                        errors.Add(TypeError(list, "array"));
                        continue;
                    }
                    foreach (var v in list.EnumerateArray())
                    {
                        if (v.ValueKind != JsonValueKind.Object)
                        {
                            errors.Add(TypeError(v, "object"));
                            continue;
                        }
                        if (!v.TryGetProperty("field_value", out var fv)) errors.Add("'field_value' is a required property");
                        else if (fv.ValueKind != JsonValueKind.String) errors.Add(TypeError(fv, "string"));
                        if (v.TryGetProperty("properties", out var p))
                        {
                            if (p.ValueKind != JsonValueKind.Object) errors.Add(TypeError(p, "object"));
                            else foreach (var pp in p.EnumerateObject()) if (pp.Value.ValueKind != JsonValueKind.String) errors.Add(TypeError(pp.Value, "string"));
                        }
                    }
                }
            }
        }
        if (root.TryGetProperty("item_attributes", out var attrs))
        {
            if (attrs.ValueKind != JsonValueKind.Object) errors.Add(TypeError(attrs, "object"));
            else foreach (var a in attrs.EnumerateObject()) if (a.Value.ValueKind != JsonValueKind.String) errors.Add(TypeError(a.Value, "string"));
        }
        return errors;
    }

    private static void ApplyItem(LookupRow row, JsonElement root)
    {
        if (root.TryGetProperty("fields", out var fields) && fields.ValueKind == JsonValueKind.Object)
        {
            var list = new List<KeyValuePair<string, List<LookupValue>>>();
            foreach (var f in fields.EnumerateObject())
            {
                var values = new List<LookupValue>();
                foreach (var v in f.Value.GetProperty("field_list").EnumerateArray())
                {
                    var props = new List<KeyValuePair<string, string>>();
                    if (v.TryGetProperty("properties", out var p)) foreach (var pp in p.EnumerateObject()) props.Add(new(pp.Name, pp.Value.GetString()!));
                    values.Add(new LookupValue(v.GetProperty("field_value").GetString()!, props));
                }
                list.Add(new(f.Name, values));
            }
            row.Fields = list;
        }
        if (root.TryGetProperty("item_attributes", out var attrs) && attrs.ValueKind == JsonValueKind.Object)
        {
            var list = new List<KeyValuePair<string, string>>();
            foreach (var a in attrs.EnumerateObject()) list.Add(new(a.Name, a.Value.GetString()!));
            row.ItemAttributes = list;
        }
    }

    // ---- fixture ------------------------------------------------------------------------------------------

    /// <summary>
    /// Three modes: children of a row (<c>parent_id</c>, <c>parent_ref_name</c>, <c>child_type</c>, <c>references</c>, all
    /// four), by table (<c>fixture_type</c> tag or <c>fixture_type_id</c>), or every row. 1000 per page by default.
    /// </summary>
    public static ApiResponse ListFixtures(ApiContext ctx)
    {
        var q = ctx.Query;
        var store = Store(ctx);
        lock (store.Lock)
        {
            var domain = ctx.Domain!;
            List<LookupRow> rows;
            string? parentId = q.Get("parent_id"), parentRef = q.Get("parent_ref_name"), childType = q.Get("child_type"),
                references = q.Get("references"), typeId = q.Get("fixture_type_id"), typeTag = q.Get("fixture_type");
            if (!string.IsNullOrEmpty(parentId) && !string.IsNullOrEmpty(parentRef) && !string.IsNullOrEmpty(childType) && !string.IsNullOrEmpty(references))
            {
                rows = new List<LookupRow>();
                var parent = store.Row(domain, parentId);
                var child = store.TableByTag(domain, childType);
                var value = parent?.Field(references) is { Count: > 0 } pv ? pv[0].Value : null;
                if (child is not null && value is not null)
                {
                    foreach (var r in store.Rows(child))
                    {
                        if (r.Field(parentRef) is { } cv && cv.Exists(v => v.Value == value)) rows.Add(r);
                    }
                }
            }
            else if (!string.IsNullOrEmpty(typeId) || !string.IsNullOrEmpty(typeTag))
            {
                var t = !string.IsNullOrEmpty(typeId) ? store.Table(domain, typeId) : store.TableByTag(domain, typeTag!);
                rows = t is null ? new List<LookupRow>() : store.Rows(t);
            }
            else
            {
                rows = store.AllRows(domain);
            }
            var err = Paging.LimitOffsetOrError(q, FixtureLimit, FixtureLimit, out var limit, out var offset);
            if (err is not null) return err;
            var objects = new List<ReadOnlyMemory<byte>>();
            for (var i = offset; i < rows.Count && objects.Count < limit; i++)
            {
                var r = rows[(int)i];
                objects.Add(LookupJson.Fixture(r, store.Table(domain, r.TableId)?.Tag));
            }
            return Paging.Page(ctx, limit, offset, rows.Count, objects);
        }
    }

    public static ApiResponse FixtureDetail(ApiContext ctx)
    {
        var store = Store(ctx);
        lock (store.Lock)
        {
            var r = store.Row(ctx.Domain!, ctx.Route("id"));
            return r is null
                ? ApiResponse.Empty(404)
                : ApiResponse.Json(200, LookupJson.Fixture(r, store.Table(ctx.Domain!, r.TableId)?.Tag));
        }
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    /// <summary>Invalid JSON → 400 <c>Request is not valid JSON.</c>; JSON that is not an object → 500.</summary>
    private static JsonElement? ParseObject(byte[] body, out ApiResponse? error)
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
            return doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            error = ApiResponse.BadRequest("Request is not valid JSON.");
            return null;
        }
    }

    private static ApiResponse SchemaErrors(List<string> errors)
    {
        var w = new PyJsonWriter(128);
        w.BeginArray();
        foreach (var e in errors) w.String(e);
        w.EndArray();
        return ApiResponse.Json(400, w.ToArray());
    }

    private static string TypeError(JsonElement v, string type) => $"{PyRepr(v)} is not of type '{type}'";

    /// <summary>Python <c>repr()</c> of a decoded JSON value (close enough for messages).</summary>
    private static string PyRepr(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => "'" + v.GetString()!.Replace("\\", "\\\\").Replace("'", "\\'") + "'",
        JsonValueKind.True => "True",
        JsonValueKind.False => "False",
        JsonValueKind.Null => "None",
        JsonValueKind.Number => v.GetRawText(),
        JsonValueKind.Array => "[" + string.Join(", ", EnumerateRepr(v.EnumerateArray())) + "]",
        _ => "{" + string.Join(", ", EnumerateObjectRepr(v)) + "}",
    };

    private static IEnumerable<string> EnumerateRepr(JsonElement.ArrayEnumerator items)
    {
        foreach (var i in items) yield return PyRepr(i);
    }

    private static IEnumerable<string> EnumerateObjectRepr(JsonElement o)
    {
        foreach (var p in o.EnumerateObject()) yield return "'" + p.Name + "': " + PyRepr(p.Value);
    }

    internal static string Int(int i) => i.ToString(CultureInfo.InvariantCulture);
}
