using System;
using System.Collections.Generic;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.AspNetCore.Builder;

namespace CommCare.Emulator;

/// <summary>One column of an OData feed table: its label, EDM type and how a row gets its value.</summary>
public sealed record ODataColumn(string Label, string EdmType);

/// <summary>A saved export with <c>is_odata_config</c>: a case export of one case type or a form export of one xmlns.</summary>
public sealed record ODataConfig(string Id, string Domain, string Kind, string Name, string Filter, ODataColumn[][] Tables);

/// <summary>
/// OData feeds (docs/commcare-api.md#reports-data-sources-and-odata): service document, <c>$metadata</c> (EDMX) and <c>feed</c> for the case and form feeds, for the
/// main table (0) and one child table (1), under the legacy <c>v0.5/odata/{cases|forms}/</c> and the new
/// <c>odata/{cases|forms}/v1/</c> paths. Offset paging with an absolute <c>@odata.nextLink</c>; <c>OData-Version: 4.0</c>.
/// </summary>
public static class ODataApi
{
    public const int DefaultLimit = 2000;
    public const int MaxLimit = 10000;

    /// <summary>The ODATA_FEED privilege: on for demo only.</summary>
    public static bool HasPrivilege(string domain) => domain == "demo";

    public static readonly ViewSpec ServiceSpec = new("odata", ViewAuth.OData, null, ViewThrottle.Tastypie) { JsonMethodError = false };

    public static readonly ViewSpec NoSlashSpec = new("odata", ViewAuth.OData, null, ViewThrottle.Tastypie)
    {
        JsonMethodError = false,
        AppendSlash = false,
    };

    private static readonly ODataColumn[] CaseMain =
    {
        new("caseid", "Edm.String"), new("name", "Edm.String"), new("owner_id", "Edm.String"),
        new("opened_on", "Edm.DateTimeOffset"), new("last_modified", "Edm.DateTimeOffset"), new("closed", "Edm.String"),
        new("external_id", "Edm.String"), new("age", "Edm.String"), new("gender", "Edm.String"), new("district", "Edm.String"),
        new("village", "Edm.String"), new("last_visit_date", "Edm.String"), new("parent_case_id", "Edm.String"),
    };

    private static readonly ODataColumn[] CaseHistory = { new("number", "Edm.String"), new("caseid", "Edm.String"), new("xform_id", "Edm.String") };

    private static readonly ODataColumn[] FormMain =
    {
        new("formid", "Edm.String"), new("received_on", "Edm.DateTimeOffset"), new("completed_time", "Edm.DateTimeOffset"),
        new("username", "Edm.String"), new("userID", "Edm.String"), new("app_id", "Edm.String"), new("build_version", "Edm.String"),
        new("case_id", "Edm.String"), new("number_of_cases", "Edm.String"),
    };

    private static readonly ODataColumn[] FormCases = { new("number", "Edm.String"), new("formid", "Edm.String"), new("case_id", "Edm.String") };

    public static readonly ODataConfig[] Configs =
    {
        new("3b9f1c2e7d4a4e8f9a0b1c2d3e4f5a61", "demo", "cases", "Patients (OData)", "patient", new[] { CaseMain, CaseHistory }),
        new("3b9f1c2e7d4a4e8f9a0b1c2d3e4f5a62", "demo", "forms", "Follow-up visits (OData)", Generator.XmlnsFollowup, new[] { FormMain, FormCases }),
    };

    public static void Map(WebApplication app, EmulatorState st)
    {
        foreach (var kind in new[] { "cases", "forms" })
        {
            var k = kind;
            foreach (var root in new[] { $"/a/{{domain}}/api/v0.5/odata/{k}/", $"/a/{{domain}}/api/odata/{k}/v1/" })
            {
                app.Map(root + "{config_id}/", ViewPipeline.Handle(st, ServiceSpec, ctx => Service(ctx, k, null)));
                app.Map(root + "{config_id}/{table_id:int}/", ViewPipeline.Handle(st, ServiceSpec, ctx => Service(ctx, k, ctx.Route("table_id"))));
                app.Map(root + "{config_id}/$metadata", ViewPipeline.Handle(st, NoSlashSpec, ctx => Metadata(ctx, k, null)));
                app.Map(root + "{config_id}/{table_id:int}/$metadata", ViewPipeline.Handle(st, NoSlashSpec, ctx => Metadata(ctx, k, ctx.Route("table_id"))));
                app.Map(root + "{config_id}/feed", ViewPipeline.Handle(st, NoSlashSpec, ctx => Feed(ctx, k, null)));
                app.Map(root + "{config_id}/{table_id:int}/feed", ViewPipeline.Handle(st, NoSlashSpec, ctx => Feed(ctx, k, ctx.Route("table_id"))));
            }
        }
    }

    private static ApiResponse OData(ApiResponse r) => r.Header("OData-Version", "4.0");

    private static ODataConfig? Config(ApiContext ctx, string kind)
    {
        var id = ctx.Route("config_id");
        foreach (var c in Configs) if (c.Id == id && c.Domain == ctx.Domain && c.Kind == kind) return c;
        return null;
    }

    private static string BaseUrl(ApiContext ctx) => ctx.Http.Request.Scheme + "://" + ctx.Http.Request.Host.Value;

    /// <summary>The request path up to and including <c>{config_id}/</c> or <c>{config_id}/{table_id}/</c>.</summary>
    private static string ServicePath(ApiContext ctx)
    {
        var p = ctx.RawPath;
        if (p.EndsWith("/$metadata", StringComparison.Ordinal)) return p[..^"$metadata".Length];
        if (p.EndsWith("/feed", StringComparison.Ordinal)) return p[..^"feed".Length];
        return p;
    }

    /// <summary>Views (service document, $metadata): any refusal is a plain 404.</summary>
    private static ApiResponse? ViewGate(ApiContext ctx, string kind, out ODataConfig? config)
    {
        config = null;
        if (!HasPrivilege(ctx.Domain!) || !ctx.User.Has(ctx.Domain!, "view_reports")) return OData(ApiResponse.HtmlNotFound());
        config = Config(ctx, kind);
        return config is null ? OData(ApiResponse.HtmlNotFound()) : null;
    }

    public static ApiResponse Service(ApiContext ctx, string kind, string? table)
    {
        if (ViewGate(ctx, kind, out _) is { } refused) return refused;
        var w = new PyJsonWriter(256);
        w.BeginObject()
            .Prop("@odata.context", BaseUrl(ctx) + ServicePath(ctx) + "$metadata")
            .Key("value").BeginArray()
            .BeginObject().Prop("kind", "EntitySet").Prop("name", "feed").Prop("url", "feed").EndObject()
            .EndArray()
            .EndObject();
        return OData(ApiResponse.Json(200, w.ToArray()));
    }

    public static ApiResponse Metadata(ApiContext ctx, string kind, string? table)
    {
        if (ViewGate(ctx, kind, out var config) is { } refused) return refused;
        var t = table is null ? 0 : int.Parse(table, CultureInfo.InvariantCulture);
        if (t >= config!.Tables.Length) return OData(ApiResponse.HtmlNotFound());
        var columns = config.Tables[t];
        var key = columns[0].Label;
        var sb = new StringBuilder();
        sb.Append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        sb.Append("<edmx:Edmx xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\" Version=\"4.0\">\n");
        sb.Append("  <edmx:DataServices>\n");
        sb.Append("    <Schema xmlns=\"http://docs.oasis-open.org/odata/ns/edm\" Namespace=\"CommCare\">\n");
        sb.Append("      <EntityType Name=\"feed\">\n");
        sb.Append("        <Key><PropertyRef Name=\"").Append(key).Append("\"/></Key>\n");
        foreach (var c in columns)
        {
            sb.Append("        <Property Name=\"").Append(System.Security.SecurityElement.Escape(c.Label)).Append("\" Type=\"").Append(c.EdmType).Append("\"/>\n");
        }
        sb.Append("      </EntityType>\n");
        sb.Append("      <EntityContainer Name=\"Container\">\n");
        sb.Append("        <EntitySet Name=\"feed\" EntityType=\"CommCare.feed\"/>\n");
        sb.Append("      </EntityContainer>\n");
        sb.Append("    </Schema>\n");
        sb.Append("  </edmx:DataServices>\n");
        sb.Append("</edmx:Edmx>\n");
        return OData(ApiResponse.Text(200, sb.ToString(), "application/xml"));
    }

    /// <summary>
    /// The rows of one table. <c>limit</c> (default 2000, at most 10000) and <c>offset</c> count documents; a child table
    /// yields several rows per document. <c>@odata.nextLink</c> is absolute and absent on the last page.
    /// </summary>
    public static ApiResponse Feed(ApiContext ctx, string kind, string? table)
    {
        if (ctx.RawPath.EndsWith('/')) return ApiResponse.HtmlNotFound();
        var domain = ctx.Domain!;
        if (!HasPrivilege(domain)) return OData(ApiResponse.Text(404, "Feature flag not enabled.", "text/plain"));
        if (!ctx.User.Has(domain, "view_reports")) return OData(ApiResponse.Text(403, "You do not have permission to view this feed.", ApiResponse.HtmlType));
        var config = Config(ctx, kind);
        if (config is null)
        {
            var e = new PyJsonWriter(96);
            e.BeginObject().Key("error").BeginObject().Prop("code", "404").Prop("message", "This OData feed does not exist").EndObject().EndObject();
            return OData(ApiResponse.Json(404, e.ToArray()));
        }
        var err = Paging.LimitOffsetOrError(ctx.Query, DefaultLimit, MaxLimit, out var limit, out var offset);
        if (err is not null) return OData(err);

        var t = table is null ? 0 : int.Parse(table, CultureInfo.InvariantCulture);
        var data = ctx.Data.For(domain);
        var docs = data is null ? Array.Empty<int>() : Documents(data, config);
        var w = new PyJsonWriter(64 * 1024);
        w.BeginObject();
        w.Prop("@odata.context", BaseUrl(ctx) + ServicePath(ctx) + "$metadata#feed");
        if (limit > 0 && offset + limit < docs.Length)
        {
            var qs = ctx.Query.Encode(new[] { "limit", "offset" }, new KeyValuePair<string, string>[]
            {
                new("limit", limit.ToString(CultureInfo.InvariantCulture)),
                new("offset", (offset + limit).ToString(CultureInfo.InvariantCulture)),
            });
            w.Prop("@odata.nextLink", BaseUrl(ctx) + ctx.RawPath + "?" + qs);
        }
        w.Key("value").BeginArray();
        if (t < config.Tables.Length && data is not null)
        {
            for (var i = offset; i < docs.Length && i < offset + limit; i++)
            {
                if (kind == "cases") WriteCase(w, data, data.Cases[docs[i]], t, i);
                else WriteForm(w, data, data.Forms[docs[i]], t, i);
            }
        }
        w.EndArray().EndObject();
        return OData(ApiResponse.Json(200, w.ToArray()));
    }

    private static readonly ConditionalWeakTable<DomainData, Dictionary<string, int[]>> DocCache = new();

    /// <summary>The sequence numbers of the feed's documents (indexed_on order), cached per data set.</summary>
    private static int[] Documents(DomainData data, ODataConfig config)
    {
        var cache = DocCache.GetValue(data, static _ => new Dictionary<string, int[]>(StringComparer.Ordinal));
        lock (cache)
        {
            if (cache.TryGetValue(config.Id, out var docs)) return docs;
            var list = new List<int>();
            if (config.Kind == "cases")
            {
                foreach (var c in data.Cases) if (c.Type == config.Filter) list.Add(c.Seq);
            }
            else
            {
                foreach (var f in data.Forms) if (!f.Archived && f.Xmlns == config.Filter) list.Add(f.Seq);
            }
            return cache[config.Id] = list.ToArray();
        }
    }

    private static void WriteCase(PyJsonWriter w, DomainData data, CaseRec c, int table, long docIndex)
    {
        if (table == 0)
        {
            var row = new SortedDictionary<string, string?>(StringComparer.Ordinal)
            {
                ["caseid"] = c.Id,
                ["name"] = c.Name,
                ["owner_id"] = c.OwnerId,
                ["opened_on"] = Dates.ToString(c.ServerOpened != 0 ? c.ServerOpened : c.DateOpened, DateStyle.MicroZ),
                ["last_modified"] = Dates.ToString(c.ServerModified, DateStyle.MicroZ),
                ["closed"] = c.Closed ? "True" : "False",
                ["external_id"] = c.ExternalId,
                ["age"] = c.Field("age"),
                ["gender"] = c.Field("gender"),
                ["district"] = c.Field("district"),
                ["village"] = c.Field("village"),
                ["last_visit_date"] = c.Field("last_visit_date"),
                ["parent_case_id"] = c.ParentSeq >= 0 ? data.Cases[c.ParentSeq].Id : null,
            };
            WriteRow(w, row);
            return;
        }
        for (var i = 0; i < c.FormSeqs.Length; i++)
        {
            WriteRow(w, new SortedDictionary<string, string?>(StringComparer.Ordinal)
            {
                ["number"] = Number(docIndex, i),
                ["caseid"] = c.Id,
                ["xform_id"] = data.Forms[c.FormSeqs[i]].Id,
            });
        }
    }

    private static void WriteForm(PyJsonWriter w, DomainData data, FormRec f, int table, long docIndex)
    {
        if (table == 0)
        {
            var worker = Accounts.DataWorkers[f.Worker];
            WriteRow(w, new SortedDictionary<string, string?>(StringComparer.Ordinal)
            {
                ["formid"] = f.Id,
                ["received_on"] = Dates.ToString(f.ReceivedOn, DateStyle.MicroZ),
                ["completed_time"] = Dates.ToString(f.TimeEnd, DateStyle.MicroZ),
                ["username"] = worker.Username,
                ["userID"] = worker.Id,
                ["app_id"] = f.AppId,
                ["build_version"] = f.AppBuildVersion.ToString(CultureInfo.InvariantCulture),
                ["case_id"] = f.CaseSeqs.Length > 0 ? data.Cases[f.CaseSeqs[0]].Id : null,
                ["number_of_cases"] = f.CaseSeqs.Length.ToString(CultureInfo.InvariantCulture),
            });
            return;
        }
        for (var i = 0; i < f.CaseSeqs.Length; i++)
        {
            WriteRow(w, new SortedDictionary<string, string?>(StringComparer.Ordinal)
            {
                ["number"] = Number(docIndex, i),
                ["formid"] = f.Id,
                ["case_id"] = data.Cases[f.CaseSeqs[i]].Id,
            });
        }
    }

    private static string Number(long doc, int row) => doc.ToString(CultureInfo.InvariantCulture) + "." + row.ToString(CultureInfo.InvariantCulture);

    private static void WriteRow(PyJsonWriter w, SortedDictionary<string, string?> row)
    {
        w.BeginObject();
        foreach (var (k, v) in row) w.Prop(k, v);
        w.EndObject();
    }
}
