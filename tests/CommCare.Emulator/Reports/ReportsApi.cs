using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;

namespace CommCare.Emulator;

/// <summary>
/// UCR reports (docs/commcare-api.md#reports-data-sources-and-odata): the report list (<c>simplereportconfiguration</c>), report data
/// (<c>configurablereportdata</c>, 50 rows at most per call), data source definitions
/// (<c>datasourceconfiguration</c> / <c>ucr_data_source</c>) and the data-source row export (<c>ucr</c>, cursor).
/// </summary>
public static class ReportsApi
{
    /// <summary>Default auth (access_api only); throttled; no pagination.</summary>
    public static readonly ApiSpec ReportListSpec = new("simplereportconfiguration", AuthMode.DomainResource, null, Throttled: true);

    /// <summary>view_reports; throttled.</summary>
    public static readonly ApiSpec ReportDataSpec = new("configurablereportdata", AuthMode.DomainResource, "view_reports", Throttled: true);

    /// <summary>The data list URL: <c>list_allowed_methods = []</c> → 405 for every method.</summary>
    public static readonly ApiSpec ReportDataListSpec = new("configurablereportdata", AuthMode.DomainResource, "view_reports", Throttled: true)
    {
        Methods = Array.Empty<string>(),
    };

    /// <summary>edit_ucrs; throttled; no pagination.</summary>
    public static readonly ApiSpec DataSourceSpec = new("datasourceconfiguration", AuthMode.DomainResource, "edit_ucrs", Throttled: true);

    /// <summary><c>api_auth()</c> + <c>require_can_edit_data</c> + <c>@api_throttle</c>.</summary>
    public static readonly ViewSpec UcrRowsSpec = new("ucr", ViewAuth.ApiAuth, "edit_data", ViewThrottle.ApiThrottle);

    public const int DataDefaultLimit = 50;
    public const int DataMaxLimit = 50;
    public const int RowsDefaultLimit = 1000;
    public const int RowsMaxLimit = 10000;

    /// <summary>Toggles: on for demo, off for every other project.</summary>
    public static bool UserConfigurableReports(string domain) => domain == "demo";
    public static bool ExportDataSourceData(string domain) => domain == "demo";

    public static void Map(WebApplication app, EmulatorState st)
    {
        foreach (var p in new[] { "/a/{domain}/api/simplereportconfiguration/v1/", "/a/{domain}/api/v0.5/simplereportconfiguration/" })
        {
            var prefix = p;
            app.Map(prefix, Pipeline.Handle(st, ReportListSpec, ctx => ReportList(ctx, prefix)));
            app.Map(prefix + "{id}/", Pipeline.Handle(st, ReportListSpec, ctx => ReportDetail(ctx, prefix)));
        }
        foreach (var p in new[] { "/a/{domain}/api/configurablereportdata/v1/", "/a/{domain}/api/v0.5/configurablereportdata/" })
        {
            app.Map(p, Pipeline.Handle(st, ReportDataListSpec, _ => ApiResponse.Empty(405)));
            app.Map(p + "{id}/", Pipeline.Handle(st, ReportDataSpec, ReportData));
        }
        foreach (var p in new[]
                 {
                     "/a/{domain}/api/datasourceconfiguration/v1/", "/a/{domain}/api/v0.5/datasourceconfiguration/",
                     "/a/{domain}/api/ucr_data_source/v1/", "/a/{domain}/api/v0.5/ucr_data_source/",
                 })
        {
            var prefix = p;
            app.Map(prefix, Pipeline.Handle(st, DataSourceSpec, ctx => DataSourceList(ctx, prefix)));
            app.Map(prefix + "{id}/", Pipeline.Handle(st, DataSourceSpec, ctx => DataSourceDetail(ctx, prefix)));
        }
        app.Map("/a/{domain}/api/v0.5/ucr/", ViewPipeline.Handle(st, UcrRowsSpec, UcrRows));
        app.Map("/a/{domain}/api/ucr/v1/", ViewPipeline.Handle(st, UcrRowsSpec, UcrRows));
    }

    // ---- report list / detail ---------------------------------------------------------------------------

    /// <summary><c>DoesNothingPaginator</c>: every report, <c>meta</c> is <c>{"total_count": N}</c> only.</summary>
    public static ApiResponse ReportList(ApiContext ctx, string prefix)
    {
        var reports = new List<UcrReport>(ReportCatalog.For(ctx.Domain!));
        var w = new PyJsonWriter(2048);
        w.BeginObject().Key("meta").BeginObject().Prop("total_count", reports.Count).EndObject();
        w.Key("objects").BeginArray();
        foreach (var r in reports) WriteReport(w, r, prefix, ctx.Domain!);
        w.EndArray().EndObject();
        return ApiResponse.Json(200, w.ToArray());
    }

    /// <summary>User-built reports only: a static id or an unknown one → 404 (tastypie's canned body).</summary>
    public static ApiResponse ReportDetail(ApiContext ctx, string prefix)
    {
        var r = ReportCatalog.Find(ctx.Domain!, ctx.Route("id"));
        if (r is null || r.IsStatic) return UsersApi.CannedNotFound();
        var w = new PyJsonWriter(1024);
        WriteReport(w, r, prefix, ctx.Domain!);
        return ApiResponse.Json(200, w.ToArray());
    }

    private static void WriteReport(PyJsonWriter w, UcrReport r, string prefix, string domain)
    {
        w.BeginObject();
        w.Key("columns").BeginArray();
        foreach (var c in r.Columns)
        {
            w.BeginObject()
                .Prop("column_id", c.Id)
                .Prop("display", c.Display)
                .Prop("type", c.Kind == ReportColumnKind.Expanded ? "expanded" : "field")
                .EndObject();
        }
        w.EndArray();
        w.Key("filters").BeginArray();
        foreach (var f in r.Filters)
        {
            w.BeginObject().Prop("datatype", f.Datatype).Prop("slug", f.Slug).Prop("type", f.Type).EndObject();
        }
        w.EndArray();
        w.Prop("id", r.Id);
        w.Prop("resource_uri", prefix.Replace("{domain}", domain) + r.Id + "/");
        w.Prop("title", r.Title);
        w.EndObject();
    }

    // ---- report data ------------------------------------------------------------------------------------

    /// <summary>
    /// <c>ConfigurableReportDataResource.obj_get</c>: offset, then limit (at most 50), then the filters; 50 rows per call;
    /// <c>next_page</c> is the path with <c>offset</c>, <c>limit</c> and every other parameter, or <c>""</c> at the end.
    /// </summary>
    public static ApiResponse ReportData(ApiContext ctx)
    {
        var report = ReportCatalog.Find(ctx.Domain!, ctx.Route("id"));
        if (report is null) return UsersApi.CannedNotFound();
        var q = ctx.Query;

        long offset = 0;
        if (q.Get("offset") is { } os && (!Paging.TryPyInt(os, out offset) || offset < 0))
            return ApiResponse.BadRequest("start must be a positive integer.");
        long limit = DataDefaultLimit;
        if (q.Get("limit") is { } ls && (!Paging.TryPyInt(ls, out limit) || limit < 0))
            return ApiResponse.BadRequest("limit must be a positive integer.");
        if (limit > DataMaxLimit) return ApiResponse.BadRequest("Limit may not exceed 50.");

        var filter = ReportFilters.Parse(report, q, out var error);
        if (filter is null) return ApiResponse.BadRequest(error!);

        var w = new PyJsonWriter(16 * 1024);
        w.BeginObject();
        WriteDataColumns(w, report);

        long total;
        w.Key("data").BeginArray();
        if (report.GroupBy is null)
        {
            var src = report.Source;
            var sorted = SortedColumns(report);
            if (filter.IsEmpty)
            {
                total = src.Count;
                for (var i = offset; i < src.Count && i < offset + limit; i++) WriteListRow(w, src.Row((int)i), sorted);
            }
            else
            {
                total = 0;
                for (var i = 0; i < src.Count; i++)
                {
                    var row = src.Row(i);
                    if (!filter.Matches(row)) continue;
                    if (total >= offset && total < offset + limit) WriteListRow(w, row, sorted);
                    total++;
                }
            }
        }
        else
        {
            var groups = Aggregate(report, filter);
            total = groups.Count;
            for (var i = offset; i < groups.Count && i < offset + limit; i++) WriteGroupRow(w, report, groups[(int)i]);
        }
        w.EndArray();

        var rest = q.Encode(new[] { "offset", "limit" }, Array.Empty<KeyValuePair<string, string>>());
        string Link(long off) => ctx.RawPath + "?offset=" + off.ToString(CultureInfo.InvariantCulture)
                                 + "&limit=" + limit.ToString(CultureInfo.InvariantCulture) + (rest.Length > 0 ? "&" + rest : "");
        w.Prop("next_page", total > offset + limit ? Link(offset + limit) : "");
        w.Prop("resource_uri", Link(offset));
        w.Prop("total_records", total);
        w.EndObject();
        return ApiResponse.Json(200, w.ToArray());
    }

    private static void WriteDataColumns(PyJsonWriter w, UcrReport report)
    {
        w.Key("columns").BeginArray();
        foreach (var c in report.Columns)
        {
            if (c.Kind != ReportColumnKind.Expanded)
            {
                w.BeginObject().Prop("header", c.Display).Prop("slug", c.Id).EndObject();
                continue;
            }
            foreach (var v in ReportCatalog.ExpansionValues(c.Id))
            {
                w.BeginObject().Prop("expand_column_value", v).Prop("header", c.Display + "-" + v).Prop("slug", c.Id + "-" + v).EndObject();
            }
        }
        w.EndArray();
    }

    private static string[] SortedColumns(UcrReport report)
    {
        var ids = new List<string>();
        foreach (var c in report.Columns) ids.Add(c.Id);
        ids.Sort(string.CompareOrdinal);
        return ids.ToArray();
    }

    private static void WriteListRow(PyJsonWriter w, VisitRow row, string[] sortedColumns)
    {
        w.BeginObject();
        foreach (var c in sortedColumns)
        {
            w.Key(c);
            WriteValue(w, row.Value(c));
        }
        w.EndObject();
    }

    internal static void WriteValue(PyJsonWriter w, object? v)
    {
        switch (v)
        {
            case null: w.Null(); break;
            case string s: w.String(s); break;
            case int i: w.Number((long)i); break;
            case long l: w.Number(l); break;
            case double d: w.RawValue(Encoding.ASCII.GetBytes(PyFloat(d))); break;
            case bool b: w.Bool(b); break;
            default: w.String(Convert.ToString(v, CultureInfo.InvariantCulture)); break;
        }
    }

    /// <summary>Python <c>repr(float)</c> for ordinary values: shortest round-trip, always with a fraction.</summary>
    public static string PyFloat(double d)
    {
        var s = d.ToString("R", CultureInfo.InvariantCulture);
        return s.Contains('.') || s.Contains('E') || s.Contains('N') || s.Contains('I') ? s : s + ".0";
    }

    private sealed class Group
    {
        public required string[] Keys;
        public int Count;
        public readonly Dictionary<string, int> Expanded = new(StringComparer.Ordinal);
    }

    private static List<Group> Aggregate(UcrReport report, ReportFilters filter)
    {
        var by = report.GroupBy!;
        var map = new Dictionary<string, Group>(StringComparer.Ordinal);
        var src = report.Source;
        for (var i = 0; i < src.Count; i++)
        {
            var row = src.Row(i);
            if (!filter.Matches(row)) continue;
            var keys = new string[by.Length];
            for (var k = 0; k < by.Length; k++) keys[k] = Convert.ToString(row.Value(by[k]), CultureInfo.InvariantCulture) ?? "";
            var key = string.Join('\u0001', keys);
            if (!map.TryGetValue(key, out var g)) map[key] = g = new Group { Keys = keys };
            g.Count++;
            foreach (var c in report.Columns)
            {
                if (c.Kind != ReportColumnKind.Expanded) continue;
                var slug = c.Id + "-" + Convert.ToString(row.Value(c.Id), CultureInfo.InvariantCulture);
                g.Expanded[slug] = g.Expanded.GetValueOrDefault(slug) + 1;
            }
        }
        var list = new List<Group>(map.Values);
        list.Sort((a, b) =>
        {
            for (var k = 0; k < a.Keys.Length; k++)
            {
                var c = string.CompareOrdinal(a.Keys[k], b.Keys[k]);
                if (c != 0) return c;
            }
            return 0;
        });
        return list;
    }

    private static void WriteGroupRow(PyJsonWriter w, UcrReport report, Group g)
    {
        var values = new List<KeyValuePair<string, object?>>();
        var by = report.GroupBy!;
        foreach (var c in report.Columns)
        {
            switch (c.Kind)
            {
                case ReportColumnKind.Field:
                    values.Add(new(c.Id, g.Keys[Array.IndexOf(by, c.Id)]));
                    break;
                case ReportColumnKind.Count:
                    values.Add(new(c.Id, g.Count));
                    break;
                case ReportColumnKind.Expanded:
                    foreach (var v in ReportCatalog.ExpansionValues(c.Id))
                    {
                        var slug = c.Id + "-" + v;
                        values.Add(new(slug, g.Expanded.GetValueOrDefault(slug)));
                    }
                    break;
            }
        }
        values.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        w.BeginObject();
        foreach (var kv in values)
        {
            w.Key(kv.Key);
            WriteValue(w, kv.Value);
        }
        w.EndObject();
    }

    // ---- data source definitions ------------------------------------------------------------------------

    private static ApiResponse? DataSourceGate(ApiContext ctx)
        => UserConfigurableReports(ctx.Domain!)
            ? null
            : ApiResponse.Json(401, PyJsonWriter.ErrorBody("error", "You don't have permission to access this API"));

    public static ApiResponse DataSourceList(ApiContext ctx, string prefix)
    {
        if (DataSourceGate(ctx) is { } denied) return denied;
        var sources = ctx.Domain == "demo" ? ReportCatalog.Sources : Array.Empty<VisitSource>();
        var w = new PyJsonWriter(1024);
        w.BeginObject().Key("meta").BeginObject().Prop("total_count", sources.Length).EndObject();
        w.Key("objects").BeginArray();
        foreach (var s in sources) WriteDataSource(w, s, prefix, ctx.Domain!, detail: false);
        w.EndArray().EndObject();
        return ApiResponse.Json(200, w.ToArray());
    }

    public static ApiResponse DataSourceDetail(ApiContext ctx, string prefix)
    {
        if (DataSourceGate(ctx) is { } denied) return denied;
        var s = ReportCatalog.FindSource(ctx.Domain!, ctx.Route("id"));
        if (s is null) return UsersApi.CannedNotFound();
        var w = new PyJsonWriter(2048);
        WriteDataSource(w, s, prefix, ctx.Domain!, detail: true);
        return ApiResponse.Json(200, w.ToArray());
    }

    private static void WriteDataSource(PyJsonWriter w, VisitSource s, string prefix, string domain, bool detail)
    {
        w.BeginObject();
        if (detail)
        {
            w.Key("configured_filter").BeginObject()
                .Key("expression").BeginObject().Prop("property_name", "xmlns").Prop("type", "property_name").EndObject()
                .Prop("operator", "eq")
                .Prop("property_value", Generator.XmlnsFollowup)
                .Prop("type", "boolean_expression")
                .EndObject();
            w.Key("configured_indicators").BeginArray();
            foreach (var (column, datatype) in VisitSource.Indicators)
            {
                w.BeginObject()
                    .Prop("column_id", column)
                    .Prop("datatype", datatype)
                    .Prop("display_name", column)
                    .Key("expression").BeginObject()
                    .Key("property_path").BeginArray().String("form").String(column).EndArray()
                    .Prop("type", "property_path")
                    .EndObject()
                    .Prop("type", "expression")
                    .EndObject();
            }
            w.EndArray();
        }
        w.Prop("display_name", s.DisplayName);
        w.Prop("id", s.Id);
        w.Prop("resource_uri", prefix.Replace("{domain}", domain) + s.Id + "/");
        w.EndObject();
    }

    // ---- data-source rows (cursor) ----------------------------------------------------------------------

    /// <summary>
    /// <c>get_datasource_data</c>: rows in (inserted_at, doc_id) order; <c>meta.next</c> = <c>?cursor=&lt;b64&gt;</c>
    /// (only the cursor: the client re-sends data_source_id and limit) whenever the page had rows.
    /// </summary>
    public static ApiResponse UcrRows(ApiContext ctx)
    {
        if (!ExportDataSourceData(ctx.Domain!)) return ApiResponse.Empty(403);
        var q = ctx.Query;
        var dsId = q.Get("data_source_id");
        if (string.IsNullOrEmpty(dsId)) return ApiResponse.Text(400, "Missing data_source_id parameter", "text/plain");

        var limit = RowsDefaultLimit;
        if (q.Get("limit") is { } ls)
        {
            if (!Paging.TryPyInt(ls, out var l) || l <= 0)
                return ApiResponse.BadRequest($"Invalid limit '{ls}' provided. Please provide a positive integer.");
            limit = (int)Math.Min(l, RowsMaxLimit);
        }

        var src = ReportCatalog.FindSource(ctx.Domain!, dsId);
        if (src is null) return ApiResponse.HtmlNotFound();

        var start = 0;
        if (q.Get("cursor") is { Length: > 0 } cursor)
        {
            if (!TryDecodeCursor(cursor, out var lastDoc, out var lastInserted)) return ApiResponse.BadRequest("Invalid cursor");
            start = src.IndexAfter(lastInserted, lastDoc);
        }

        var w = new PyJsonWriter(64 * 1024);
        w.BeginObject().Key("objects").BeginArray();
        var end = Math.Min(src.Count, start + limit);
        VisitRow last = default;
        for (var i = start; i < end; i++)
        {
            var row = src.Row(i);
            last = row;
            w.BeginObject();
            w.Prop("id", row.DocId);
            w.Prop("doc_id", row.DocId);
            w.Key("inserted_at").Date(row.InsertedAt, DateStyle.Micro);
            foreach (var c in VisitSource.Columns)
            {
                w.Key(c);
                WriteValue(w, row.Value(c));
            }
            w.EndObject();
        }
        w.EndArray();
        string? next = null;
        if (end > start)
        {
            var raw = "last_doc_id=" + Quote(last.DocId) + "&last_inserted_at=" + Quote(Dates.ToString(last.InsertedAt, DateStyle.Micro));
            next = "?cursor=" + Quote(Convert.ToBase64String(Encoding.UTF8.GetBytes(raw)));
        }
        w.Key("meta").BeginObject().Prop("next", next).Prop("limit", limit).EndObject();
        w.EndObject();
        return ApiResponse.Json(200, w.ToArray());
    }

    private static string Quote(string s)
    {
        var sb = new StringBuilder();
        QueryParams.QuotePlus(sb, s);
        return sb.ToString();
    }

    private static bool TryDecodeCursor(string cursor, out string lastDoc, out long lastInserted)
    {
        lastDoc = "";
        lastInserted = 0;
        try
        {
            var raw = Encoding.UTF8.GetString(Convert.FromBase64String(cursor));
            var p = new QueryParams(raw);
            lastDoc = p.Get("last_doc_id") ?? "";
            var ins = p.Get("last_inserted_at");
            return lastDoc.Length > 0 && ins is not null && Dates.TryParseFilter(ins, out lastInserted);
        }
        catch (FormatException)
        {
            return false;
        }
    }
}

/// <summary>
/// The report filters of one data request (docs/commcare-api.md#reports-data-sources-and-odata): <c>slug=v1%1Fv2</c> for choice lists, <c>slug-start</c> /
/// <c>slug-end</c> (<c>YYYY-MM-DD</c>, both required) for dates, <c>slug-operator</c> / <c>slug-operand</c> for numbers.
/// </summary>
public sealed class ReportFilters
{
    private readonly List<Func<VisitRow, bool>> _predicates = new();

    public bool IsEmpty => _predicates.Count == 0;

    public bool Matches(VisitRow row)
    {
        foreach (var p in _predicates) if (!p(row)) return false;
        return true;
    }

    public static readonly string[] Operators = { "=", "!=", "<", "<=", ">", ">=" };

    private static readonly string[] Reserved = { "offset", "limit", "format", "username", "api_key" };

    /// <summary>Null (and the 400 message) on an unknown parameter or a bad value.</summary>
    public static ReportFilters? Parse(UcrReport report, QueryParams q, out string? error)
    {
        error = null;
        var result = new ReportFilters();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in q.Items())
        {
            if (Array.IndexOf(Reserved, k) >= 0) continue;
            if (FilterOf(report, k) is null)
            {
                error = $"'{k}' is not a valid filter for this report. Valid filters: {ValidNames(report)}";
                return null;
            }
            values[k] = v;
        }

        foreach (var f in report.Filters)
        {
            switch (f.Type)
            {
                case "choice_list":
                {
                    if (!values.TryGetValue(f.Slug, out var raw) || raw.Length == 0) break;
                    var allowed = Choices(f);
                    var chosen = new HashSet<string>(StringComparer.Ordinal);
                    var all = false;
                    foreach (var v in raw.Split('\u001f'))
                    {
                        if (v == "_all")
                        {
                            all = true;
                            continue;
                        }
                        if (Array.IndexOf(allowed, v) < 0)
                        {
                            error = $"Invalid value '{v}' for filter '{f.Slug}'. Valid values: {string.Join(", ", allowed)}";
                            return null;
                        }
                        chosen.Add(v);
                    }
                    if (all || chosen.Count == 0) break;
                    var field = f.Field;
                    result._predicates.Add(r => chosen.Contains((string)r.Value(field)!));
                    break;
                }
                case "date":
                {
                    var hasStart = values.TryGetValue(f.Slug + "-start", out var s);
                    var hasEnd = values.TryGetValue(f.Slug + "-end", out var e);
                    if (!hasStart && !hasEnd) break;
                    if (!hasStart || !hasEnd)
                    {
                        error = $"Date filter '{f.Slug}' needs both '{f.Slug}-start' and '{f.Slug}-end'";
                        return null;
                    }
                    if (!TryDate(s!, out var from))
                    {
                        error = $"Invalid date '{s}' for '{f.Slug}-start'. Use YYYY-MM-DD";
                        return null;
                    }
                    if (!TryDate(e!, out var to))
                    {
                        error = $"Invalid date '{e}' for '{f.Slug}-end'. Use YYYY-MM-DD";
                        return null;
                    }
                    result._predicates.Add(r => r.VisitDate >= from && r.VisitDate <= to);
                    break;
                }
                case "numeric":
                {
                    var hasOp = values.TryGetValue(f.Slug + "-operator", out var op);
                    var hasOperand = values.TryGetValue(f.Slug + "-operand", out var operand);
                    if (!hasOp && !hasOperand) break;
                    if (!hasOp || !hasOperand)
                    {
                        error = $"Numeric filter '{f.Slug}' needs both '{f.Slug}-operator' and '{f.Slug}-operand'";
                        return null;
                    }
                    if (Array.IndexOf(Operators, op) < 0)
                    {
                        error = $"Invalid operator '{op}' for '{f.Slug}-operator'.";
                        return null;
                    }
                    double x;
                    if (f.Datatype == "integer")
                    {
                        if (!Paging.TryPyInt(operand!, out var li))
                        {
                            error = $"Invalid operand '{operand}' for '{f.Slug}-operand'. A whole number is required";
                            return null;
                        }
                        x = li;
                    }
                    else if (!double.TryParse(operand, NumberStyles.Float, CultureInfo.InvariantCulture, out x))
                    {
                        error = $"Invalid operand '{operand}' for '{f.Slug}-operand'. A number is required";
                        return null;
                    }
                    var field = f.Field;
                    var oper = op!;
                    result._predicates.Add(r =>
                    {
                        var val = Convert.ToDouble(r.Value(field), CultureInfo.InvariantCulture);
                        return oper switch
                        {
                            "=" => val == x,
                            "!=" => val != x,
                            "<" => val < x,
                            "<=" => val <= x,
                            ">" => val > x,
                            _ => val >= x,
                        };
                    });
                    break;
                }
            }
        }
        return result;
    }

    public static string[] Choices(ReportFilter f) => f.Field switch
    {
        "district" => VisitSource.Districts,
        "gender" => VisitSource.Genders,
        _ => Array.Empty<string>(),
    };

    private static ReportFilter? FilterOf(UcrReport report, string param)
    {
        foreach (var f in report.Filters)
        {
            foreach (var name in ParamNames(f)) if (name == param) return f;
        }
        return null;
    }

    private static IEnumerable<string> ParamNames(ReportFilter f) => f.Type switch
    {
        "date" => new[] { f.Slug + "-start", f.Slug + "-end" },
        "numeric" => new[] { f.Slug + "-operator", f.Slug + "-operand" },
        _ => new[] { f.Slug },
    };

    private static string ValidNames(UcrReport report)
    {
        var names = new List<string>();
        foreach (var f in report.Filters) names.AddRange(ParamNames(f));
        return names.Count == 0 ? "(none)" : string.Join(", ", names);
    }

    /// <summary>Strictly <c>YYYY-MM-DD</c>.</summary>
    private static bool TryDate(string s, out long ticks)
    {
        ticks = 0;
        if (s.Length != 10 || s[4] != '-' || s[7] != '-') return false;
        if (!DateTime.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture,
                DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var d)) return false;
        ticks = d.Ticks;
        return true;
    }
}
