using System;
using System.Collections.Generic;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CommCare.Emulator;

/// <summary>Form API v1 / v0.5 / v0.4 (docs/commcare-api.md#forms): list + detail, read only.</summary>
public static class FormsApi
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 1000;

    public static readonly ApiSpec Spec = new("form", AuthMode.DomainResource, "edit_data", Throttled: true);

    public static readonly string[] Prefixes =
    {
        "/a/{domain}/api/form/v1/",
        "/a/{domain}/api/v0.5/form/",
        "/a/{domain}/api/v0.4/form/",
    };

    private static readonly HashSet<string> Fields = new(StringComparer.Ordinal)
    {
        "id", "form", "type", "version", "uiversion", "metadata", "received_on", "server_modified_on",
        "indexed_on", "app_id", "build_id", "initial_processing_complete", "problem", "archived", "edited_on",
        "edited_by_user_id", "domain", "submit_ip", "attachments", "is_phone_submission", "cases", "resource_uri",
    };

    private static readonly Dictionary<string, Func<FormRec, long>> Ordering = new(StringComparer.Ordinal)
    {
        ["received_on"] = static f => f.ReceivedOn,
        ["server_modified_on"] = static f => f.ServerModifiedOn,
        ["indexed_on"] = static f => f.IndexedOn,
    };

    public static void Map(WebApplication app, EmulatorState st)
    {
        foreach (var prefix in Prefixes)
        {
            app.Map(prefix, Pipeline.Handle(st, Spec, List));
            app.Map(prefix + "{id}/", Pipeline.Handle(st, Spec, Detail));
        }
    }

    public static ApiResponse Detail(ApiContext ctx)
    {
        var dd = ctx.Data.For(ctx.Domain!);
        if (dd is null || !dd.FormById.TryGetValue(ctx.Route("id"), out var f)) return ApiResponse.Empty(404);
        if (!ctx.Query.Flag("cases__full")) return ApiResponse.Json(200, dd.FormJson(f));
        var w = new PyJsonWriter(16384);
        dd.Serializer.WriteForm(w, f, withCases: true);
        return ApiResponse.Json(200, w.ToArray());
    }

    // Default order -received_on; any order_by replaces it entirely.
    private static readonly RecordList<FormRec> Lister = new()
    {
        Fields = Fields, Ordering = Ordering, DefaultLimit = DefaultLimit, MaxLimit = MaxLimit, WriterSize = 16384,
        DefaultOrder = new SortKey<FormRec>("received_on", Ordering["received_on"], true),
    };

    public static ApiResponse List(ApiContext ctx)
    {
        var dd = ctx.Data.For(ctx.Domain!);
        if (dd is null) return ApiResponse.Empty(404);
        return Lister.Answer(ctx, dd.Forms, dd.FormIndexedOn, q => BuildQuery(q, dd), k => Perm(dd, k), dd.FormJson,
            ctx.Query.Flag("cases__full") ? (w, f) => dd.Serializer.WriteForm(w, f, withCases: true) : null);
    }

    private static int[]? Perm(DomainData dd, SortKey<FormRec> k) => (k.Field, k.Desc) switch
    {
        ("indexed_on", false) => null,
        ("indexed_on", true) => dd.FormIdxDesc,
        ("received_on", false) => dd.FormRecvAsc,
        ("received_on", true) => dd.FormRecvDesc,
        ("server_modified_on", false) => dd.FormSrvModAsc,
        _ => dd.FormSrvModDesc,
    };

    /// <summary>es_query_from_get_params(doc_type='form') with xform_param_consumers.</summary>
    private static RecordQuery<FormRec> BuildQuery(QueryParams q, DomainData dd)
    {
        var items = new Dictionary<string, string>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var kv in q.Items())
        {
            if (FilterParams.IsReserved(kv.Key)) continue;
            items[kv.Key] = kv.Value;
            order.Add(kv.Key);
        }
        var query = new RecordQuery<FormRec>();

        // include_archived: presence (any value, even "false") adds archived forms
        if (!items.Remove("include_archived"))
        {
            query.Excluded = dd.FormArchived;
            query.ExcludedPrefix = dd.FormLivePrefix;
        }

        if (items.Remove("_search", out var search))
        {
            FilterParams.ApplySearch(search, query, static f => f.ServerModifiedOn);
        }

        if (FilterParams.PopTerm(items, "xmlns") is { } xmlns)
            query.SeqPredicates.Add(XmlnsFilter(dd, xmlns));
        if (FilterParams.PopTerm(items, "xmlns.exact") is { } xmlnsExact)
            query.SeqPredicates.Add(XmlnsFilter(dd, xmlnsExact));
        if (FilterParams.PopTerm(items, "case_id") is { } caseId)
        {
            var cases = dd.Cases;
            query.Predicates.Add(f =>
            {
                foreach (var cs in f.CaseSeqs) if (cases[cs].Id == caseId) return true;
                return false;
            });
        }

        var (g, l) = FilterParams.PopDateRange(items, "received_on");
        query.Range(static f => f.ReceivedOn, g, l);
        (g, l) = FilterParams.PopDateRange(items, "server_modified_on");
        query.Range(static f => f.ServerModifiedOn, g, l);
        (g, l) = FilterParams.PopDateRange(items, "server_date_modified");
        query.Range(static f => f.ServerModifiedOn, g, l);
        (g, l) = FilterParams.PopDateRange(items, "indexed_on");
        query.IndexedRange(g, l);

        foreach (var key in order)
        {
            if (!items.TryGetValue(key, out var value)) continue;
            if (key == "app_id")
            {
                var v = value.ToLowerInvariant();
                var appIds = dd.FormAppIds;
                if (v.AsSpan().ContainsAny(" \t\r\n")) query.SeqPredicates.Add(static _ => false);
                else query.SeqPredicates.Add(i => string.Equals(appIds[i], v, StringComparison.OrdinalIgnoreCase));
                continue;
            }
            query.Predicates.Add(FilterParams.GenericTerm<FormRec>(key, value, static (f, name) => f.Field(name)));
        }
        return query;
    }

    /// <summary>Exact, case-sensitive xmlns filter on the dense per-Seq xmlns array.</summary>
    private static Func<int, bool> XmlnsFilter(DomainData dd, string xmlns)
    {
        var all = dd.FormXmlns;
        return i => all[i] == xmlns;
    }
}
