using System;
using System.Collections.Generic;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CommCare.Emulator;

/// <summary>Case API v1 / v0.5 / v0.4 (docs/commcare-api.md#case-api-v1): list + detail, read only.</summary>
public static class CasesApi
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 5000;

    public static readonly ApiSpec Spec = new("case", AuthMode.DomainResource, "edit_data", Throttled: true);

    public static readonly string[] Prefixes =
    {
        "/a/{domain}/api/case/v1/",
        "/a/{domain}/api/v0.5/case/",
        "/a/{domain}/api/v0.4/case/",
    };

    /// <summary>Resource fields (for "No matching ... field for ordering on.").</summary>
    private static readonly HashSet<string> Fields = new(StringComparer.Ordinal)
    {
        "id", "case_id", "domain", "user_id", "opened_by", "closed", "closed_by", "date_closed", "date_modified",
        "server_date_modified", "server_date_opened", "indexed_on", "xform_ids", "properties", "indices",
        "resource_uri", "child_cases", "parent_cases", "xforms_by_name", "xforms_by_xmlns",
    };

    private static readonly Dictionary<string, Func<CaseRec, long>> Ordering = new(StringComparer.Ordinal)
    {
        ["server_date_modified"] = static c => c.ServerModified,
        ["date_modified"] = static c => c.DateModified,
        ["indexed_on"] = static c => c.IndexedOn,
    };

    public static void Map(WebApplication app, EmulatorState st)
    {
        foreach (var prefix in Prefixes)
        {
            app.Map(prefix, Pipeline.Handle(st, Spec, List));
            app.Map(prefix + "{id}/", Pipeline.Handle(st, Spec, Detail));
        }
    }

    private static CaseExtras Extras(QueryParams q)
    {
        var e = CaseExtras.None;
        if (q.Flag("child_cases__full")) e |= CaseExtras.ChildCases;
        if (q.Flag("parent_cases__full")) e |= CaseExtras.ParentCases;
        if (q.Flag("xforms_by_name__full")) e |= CaseExtras.XFormsByName;
        if (q.Flag("xforms_by_xmlns__full")) e |= CaseExtras.XFormsByXmlns;
        return e;
    }

    public static ApiResponse Detail(ApiContext ctx)
    {
        var dd = ctx.Data.For(ctx.Domain!);
        if (dd is null || !dd.CaseById.TryGetValue(ctx.Route("id"), out var c)) return ApiResponse.Empty(404);
        var extras = Extras(ctx.Query);
        if (extras == CaseExtras.None) return ApiResponse.Json(200, dd.CaseJson(c));
        var w = new PyJsonWriter(8192);
        dd.Serializer.WriteCase(w, c, extras);
        return ApiResponse.Json(200, w.ToArray());
    }

    private static readonly RecordList<CaseRec> Lister = new()
    {
        Fields = Fields, Ordering = Ordering, DefaultLimit = DefaultLimit, MaxLimit = MaxLimit,
        DefaultOrder = new SortKey<CaseRec>("server_date_modified", Ordering["server_date_modified"], false),
    };

    public static ApiResponse List(ApiContext ctx)
    {
        var dd = ctx.Data.For(ctx.Domain!);
        if (dd is null) return ApiResponse.Empty(404);
        var extras = Extras(ctx.Query);
        return Lister.Answer(ctx, dd.Cases, dd.CaseIndexedOn, q => BuildQuery(q, dd), k => Perm(dd, k), dd.CaseJson,
            extras == CaseExtras.None ? null : (w, c) => dd.Serializer.WriteCase(w, c, extras));
    }

    private static int[]? Perm(DomainData dd, SortKey<CaseRec> k) => (k.Field, k.Desc) switch
    {
        ("indexed_on", false) => null,
        ("indexed_on", true) => dd.CaseIdxDesc,
        ("server_date_modified", false) => dd.CaseSrvModAsc,
        ("server_date_modified", true) => dd.CaseSrvModDesc,
        ("date_modified", false) => dd.CaseDateModAsc,
        _ => dd.CaseDateModDesc,
    };

    /// <summary>es_query_from_get_params(doc_type='case') with case_param_consumers.</summary>
    private static RecordQuery<CaseRec> BuildQuery(QueryParams q, DomainData dd)
    {
        var items = new Dictionary<string, string>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var kv in q.Items())
        {
            if (FilterParams.IsReserved(kv.Key)) continue;
            items[kv.Key] = kv.Value;
            order.Add(kv.Key);
        }
        var query = new RecordQuery<CaseRec>();

        if (items.Remove("_search", out var search))
        {
            FilterParams.ApplySearch(search, query, static c => c.ServerModified);
        }

        // TermParam consumers
        if (FilterParams.PopTerm(items, "case_name") is { } caseName)
            query.Predicates.Add(AnalyzedTerm(caseName.ToLowerInvariant(), static c => c.Name));
        if (FilterParams.PopTerm(items, "case_type") is { } caseType)
            query.SeqPredicates.Add(TypeFilter(dd, caseType.ToLowerInvariant(), exact: false));
        if (FilterParams.PopTerm(items, "type.exact") is { } typeExact)
            query.SeqPredicates.Add(TypeFilter(dd, typeExact, exact: true));
        if (FilterParams.PopTerm(items, "name.exact") is { } nameExact)
            query.Predicates.Add(c => c.Name == nameExact);
        if (FilterParams.PopTerm(items, "external_id.exact") is { } extExact)
            query.Predicates.Add(c => c.ExternalId == extExact);
        if (FilterParams.PopTerm(items, "contact_phone_number") is { } phone)
            query.Predicates.Add(c => c.Field("contact_phone_number") == phone);

        // DateRangeParams consumers (validation order matters for the error message)
        var (g, l) = FilterParams.PopDateRange(items, "server_modified_on");
        query.Range(static c => c.ServerModified, g, l);
        (g, l) = FilterParams.PopDateRange(items, "date_modified");
        query.Range(static c => c.DateModified, g, l);
        (g, l) = FilterParams.PopDateRange(items, "server_date_modified");
        query.Range(static c => c.ServerModified, g, l);
        (g, l) = FilterParams.PopDateRange(items, "indexed_on");
        query.IndexedRange(g, l);

        // everything else: generic term filter (value lower-cased); hot fields use dense arrays
        foreach (var key in order)
        {
            if (!items.TryGetValue(key, out var value)) continue;
            if (key == "type")
            {
                query.SeqPredicates.Add(TypeFilter(dd, value.ToLowerInvariant(), exact: false));
                continue;
            }
            if (key == "closed")
            {
                var v = value.ToLowerInvariant();
                var closed = dd.CaseClosed;
                query.SeqPredicates.Add(v switch
                {
                    "true" => i => closed[i],
                    "false" => i => !closed[i],
                    _ => static _ => false,
                });
                continue;
            }
            query.Predicates.Add(FilterParams.GenericTerm<CaseRec>(key, value, static (c, f) => c.Field(f)));
        }
        return query;
    }

    /// <summary>Case type filter on the dense per-Seq type array: analysed (case-insensitive, no whitespace) or exact.</summary>
    private static Func<int, bool> TypeFilter(DomainData dd, string value, bool exact)
    {
        var types = dd.CaseTypes;
        if (exact) return i => types[i] == value;
        if (value.AsSpan().ContainsAny(" \t\r\n")) return static _ => false;
        var v = value.ToLowerInvariant();
        return i => string.Equals(types[i], v, StringComparison.OrdinalIgnoreCase);
    }

    private static Func<CaseRec, bool> AnalyzedTerm(string lowered, Func<CaseRec, string> field)
    {
        foreach (var ch in lowered) if (char.IsWhiteSpace(ch)) return static _ => false;
        return c => string.Equals(field(c), lowered, StringComparison.OrdinalIgnoreCase);
    }
}
