using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;

namespace CommCare.Emulator;

/// <summary>One column of a seeded export: its header and the path of the value in the record's v0.5 API JSON.</summary>
public sealed record ExportColumn(string Header, string Source);

/// <summary>A seeded export instance (<c>FormExportInstance</c> / <c>CaseExportInstance</c>).</summary>
public sealed record ExportInstance(string Id, string Domain, string Name, string Type, string Format, string? Xmlns, string? CaseType,
    string TableName, ExportColumn[] Columns)
{
    public bool IsDeidentified { get; init; }
    /// <summary><c>show_det_config_download</c>: listed by <c>det_export_instance</c>.</summary>
    public bool ShowDet { get; init; } = true;
    public bool IsDailySaved { get; init; } = true;

    public string Extension => Format switch { "csv" => "zip", _ => Format };

    public string FileName => Name + "." + Extension;
}

/// <summary>
/// docs/commcare-api.md#exports-messaging-events-and-audit (<c>det_export_instance</c>, tastypie, <c>view_reports</c>, throttled), the saved-export download (the
/// saved-export download <c>/a/{d}/data/export/custom/dailysaved/download/{id}/</c>, an <c>api_auth</c> function view) and
/// the DET config download behind <c>det_config_url</c>. Export files are built from the current records of the project
/// each time they are downloaded (never stale), with the same values the form / case APIs serve.
/// </summary>
public static partial class ExportsApi
{
    public static readonly ApiSpec DetSpec = new("det_export_instance", AuthMode.DomainResource, "view_reports", Throttled: true);

    /// <summary><c>@api_auth()</c> + <c>@require_GET</c>; not throttled.</summary>
    public static readonly ViewSpec DownloadSpec = new("download_daily_saved_export", ViewAuth.ApiAuth, null, ViewThrottle.None)
    {
        JsonMethodError = false,
    };

    public static readonly ViewSpec DetSchemaSpec = new("download-det-schema", ViewAuth.ApiAuth, null, ViewThrottle.None)
    {
        JsonMethodError = false,
    };

    public const string FollowupExportId = "e5a1c0d2b3f44e6a9c8d7b6a5f4e3d01";
    public const string RegistrationExportId = "e5a1c0d2b3f44e6a9c8d7b6a5f4e3d02";
    public const string PatientExportId = "e5a1c0d2b3f44e6a9c8d7b6a5f4e3d03";
    public const string HouseholdFeedId = "e5a1c0d2b3f44e6a9c8d7b6a5f4e3d04";
    public const string OtherExportId = "e5a1c0d2b3f44e6a9c8d7b6a5f4e3d05";

    /// <summary>Plans with DAILY_SAVED_EXPORT and EXCEL_DASHBOARD (other has neither).</summary>
    public static readonly HashSet<string> ExportPrivilegeDomains = new(StringComparer.Ordinal) { "demo" };

    public static readonly ExportInstance[] All =
    {
        new(FollowupExportId, "demo", "Follow-up Visits", "form", "xlsx", Generator.XmlnsFollowup, null, "Forms", new ExportColumn[]
        {
            new("formid", "id"), new("visit_date", "form.visit_date"), new("weight", "form.weight"), new("notes", "form.notes"),
            new("case_id", "form.case.@case_id"), new("username", "form.meta.username"), new("userID", "form.meta.userID"),
            new("started_time", "form.meta.timeStart"), new("completed_time", "form.meta.timeEnd"),
            new("received_on", "received_on"), new("app_id", "app_id"),
        }),
        new(RegistrationExportId, "demo", "Registrations (de-identified)", "form", "csv", Generator.XmlnsRegister, null, "Forms", new ExportColumn[]
        {
            new("formid", "id"), new("district", "form.district"), new("num_members", "form.num_members"),
            new("completed_time", "form.meta.timeEnd"), new("received_on", "received_on"),
        })
        {
            IsDeidentified = true,
        },
        new(PatientExportId, "demo", "Patients", "case", "xlsx", null, "patient", "Cases", new ExportColumn[]
        {
            new("caseid", "id"), new("name", "properties.case_name"), new("owner_id", "properties.owner_id"),
            new("opened_on", "properties.date_opened"), new("last_modified", "date_modified"), new("closed", "closed"),
            new("external_id", "properties.external_id"), new("age", "properties.age"), new("gender", "properties.gender"),
            new("district", "properties.district"), new("village", "properties.village"),
            new("parent_case_id", "indices.parent.case_id"),
        }),
        new(HouseholdFeedId, "demo", "Households dashboard", "case", "html", null, "household", "Cases", new ExportColumn[]
        {
            new("caseid", "id"), new("name", "properties.case_name"), new("district", "properties.district"),
            new("village", "properties.village"), new("hh_size", "properties.hh_size"), new("closed", "closed"),
        })
        {
            ShowDet = false,
            IsDailySaved = false,
        },
        new(OtherExportId, "other", "Other households", "case", "csv", null, "household", "Cases", new ExportColumn[]
        {
            new("caseid", "id"), new("name", "properties.case_name"), new("closed", "closed"),
        }),
    };

    public static ExportInstance? Find(string id)
    {
        foreach (var e in All) if (e.Id == id) return e;
        return null;
    }

    public static void Map(WebApplication app, EmulatorState st)
    {
        app.Map("/a/{domain}/api/det_export_instance/v1/", Pipeline.Handle(st, DetSpec, List));
        app.Map("/a/{domain}/api/det_export_instance/v1/{id}/", Pipeline.Handle(st, DetSpec, Detail));
        app.Map("/a/{domain}/data/export/custom/dailysaved/download/{id}/", ViewPipeline.Handle(st, DownloadSpec, Download));
        app.Map("/a/{domain}/data/export/custom/schema/det/download/{id}/", ViewPipeline.Handle(st, DetSchemaSpec, DetSchema));
    }

    // ---- det_export_instance ---------------------------------------------------------------------------

    private static IEnumerable<ExportInstance> Listed(string domain)
        => All.Where(e => e.Domain == domain && e.ShowDet && e.Type == "form").Concat(All.Where(e => e.Domain == domain && e.ShowDet && e.Type == "case"));

    public static ApiResponse List(ApiContext ctx)
    {
        var err = Paging.LimitOffsetOrError(ctx.Query, 20, 1000, out var limit, out var offset);
        if (err is not null) return err;
        var all = Listed(ctx.Domain!).ToList();
        var objects = new List<ReadOnlyMemory<byte>>();
        for (var i = offset; i < all.Count && objects.Count < limit; i++) objects.Add(Json(all[(int)i]));
        return Paging.Page(ctx, limit, offset, all.Count, objects);
    }

    public static ApiResponse Detail(ApiContext ctx)
    {
        var e = Listed(ctx.Domain!).FirstOrDefault(x => x.Id == ctx.Route("id"));
        return e is null ? ApiResponse.Empty(404) : ApiResponse.Json(200, Json(e));
    }

    public static string DetConfigUrl(ExportInstance e) => $"/a/{e.Domain}/data/export/custom/schema/det/download/{e.Id}/";

    private static byte[] Json(ExportInstance e)
    {
        var w = new PyJsonWriter(512);
        w.BeginObject();
        w.Prop("case_type", e.Type == "case" ? e.CaseType : null);
        w.Prop("det_config_url", DetConfigUrl(e));
        w.Prop("export_format", e.Format);
        w.Prop("id", e.Id);
        w.Prop("is_deidentified", e.IsDeidentified);
        w.Prop("name", e.Name);
        w.Prop("resource_uri", $"/a/{e.Domain}/api/det_export_instance/v1/{e.Id}/");
        w.Prop("type", e.Type);
        w.Prop("xmlns", e.Type == "form" ? e.Xmlns : null);
        w.EndObject();
        return w.ToArray();
    }

    // ---- the saved-export download ---------------------------------------------------------------------

    public static ApiResponse Download(ApiContext ctx)
    {
        var domain = ctx.Domain!;
        var e = Find(ctx.Route("id"));
        if (e is null) return ApiResponse.HtmlNotFound();
        // assert domain == export_instance.domain
        if (e.Domain != domain) return ApiResponse.HtmlServerError();
        if (!ExportPrivilegeDomains.Contains(domain) && (e.Format == "html" || e.IsDailySaved)) return ApiResponse.HtmlNotFound();
        // filters.is_location_safe_for_user: the seeded exports have no location filter, so only users who can see
        // every location pass; the seeded mobile workers other than worker1 cannot (web users are taken as unrestricted).
        if (ctx.User.IsMobileWorker && !ctx.User.Has(domain, "access_all_locations")) return ViewPipeline.HtmlForbidden();
        // can_download_daily_saved_export: the form / case export report permissions (view_reports stands for both).
        if (!ctx.User.Has(domain, "view_reports")) return ApiResponse.HtmlNotFound();

        var dd = ctx.Data.For(domain);
        if (dd is null) return ApiResponse.HtmlNotFound();
        var table = Table(dd, e);
        byte[] bytes;
        string type;
        var download = true;
        switch (e.Format)
        {
            case "xlsx":
                bytes = XlsxBook.Write(new[] { new XlsxSheet(e.TableName, table) });
                type = XlsxBook.ContentType;
                break;
            case "csv":
                bytes = CsvZip(e.TableName + ".csv", table);
                type = "application/zip";
                break;
            default:
                bytes = Encoding.UTF8.GetBytes(Html(e, table));
                type = "text/html; charset=utf-8";
                download = false;
                break;
        }
        return Ranged(ctx, bytes, type, download ? e.FileName : null);
    }

    /// <summary><c>get_download_response</c>: Content-Length, <c>Accept-Ranges: bytes</c>, one <c>bytes=a-b</c> range → 206.</summary>
    private static ApiResponse Ranged(ApiContext ctx, byte[] bytes, string type, string? fileName)
    {
        var total = bytes.LongLength;
        ApiResponse r;
        var range = ctx.Http.Request.Headers.Range.ToString();
        if (range.Length > 0 && RangeRx().Match(range) is { Success: true } m)
        {
            var start = long.Parse(m.Groups[1].ValueSpan, CultureInfo.InvariantCulture);
            var end = m.Groups[2].Success ? long.Parse(m.Groups[2].ValueSpan, CultureInfo.InvariantCulture) : total - 1;
            if (start > end || end >= total)
            {
                return new ApiResponse(416, ApiResponse.HtmlType).Header("Content-Range", $"bytes */{total}").Header("Accept-Ranges", "bytes");
            }
            r = new ApiResponse(206, type).Header("Content-Range", $"bytes {start}-{end}/{total}")
                .Append(bytes.AsMemory((int)start, (int)(end - start + 1)));
        }
        else
        {
            r = new ApiResponse(200, type).Append(bytes);
        }
        r.Header("Accept-Ranges", "bytes");
        if (fileName is not null) r.Header("Content-Disposition", $"attachment; filename=\"{fileName}\"");
        return r;
    }

    [GeneratedRegex(@"^\s*bytes\s*=\s*([0-9]+)\s*-\s*([0-9]+)?\s*$")]
    private static partial Regex RangeRx();

    /// <summary>The header row and one row per record (forms of the xmlns, not archived, by received_on; cases of the type).</summary>
    public static List<IReadOnlyList<object?>> Table(DomainData dd, ExportInstance e)
    {
        var rows = new List<IReadOnlyList<object?>> { e.Columns.Select(c => (object?)c.Header).ToArray() };
        if (e.Type == "form")
        {
            var forms = dd.Forms.Where(f => !f.Archived && f.Xmlns == e.Xmlns).OrderBy(f => f.ReceivedOn).ThenBy(f => f.Seq);
            foreach (var f in forms) rows.Add(Row(dd.FormJson(f), e.Columns));
        }
        else
        {
            foreach (var c in dd.Cases.Where(c => c.Type == e.CaseType)) rows.Add(Row(dd.CaseJson(c), e.Columns));
        }
        return rows;
    }

    private static object?[] Row(ReadOnlyMemory<byte> json, ExportColumn[] columns)
    {
        using var doc = JsonDocument.Parse(json);
        return columns.Select(c => (object?)Value(doc.RootElement, c.Source)).ToArray();
    }

    /// <summary>The value at a dotted path (the first element of an array on the way); strings as they are, booleans as Python prints them.</summary>
    public static string Value(JsonElement root, string path)
    {
        var cur = root;
        foreach (var part in path.Split('.'))
        {
            if (cur.ValueKind == JsonValueKind.Array) cur = cur.GetArrayLength() > 0 ? cur[0] : default;
            if (cur.ValueKind != JsonValueKind.Object || !cur.TryGetProperty(part, out var next)) return "";
            cur = next;
        }
        if (cur.ValueKind == JsonValueKind.Array) cur = cur.GetArrayLength() > 0 ? cur[0] : default;
        return cur.ValueKind switch
        {
            JsonValueKind.String => cur.GetString() ?? "",
            JsonValueKind.True => "True",
            JsonValueKind.False => "False",
            JsonValueKind.Number => cur.GetRawText(),
            _ => "",
        };
    }

    /// <summary>A zip holding one CSV (Python's csv module: minimal quoting, CRLF), entries dated 2024-01-01.</summary>
    private static byte[] CsvZip(string entryName, List<IReadOnlyList<object?>> table)
    {
        var sb = new StringBuilder();
        foreach (var row in table)
        {
            for (var i = 0; i < row.Count; i++)
            {
                if (i > 0) sb.Append(',');
                var s = row[i]?.ToString() ?? "";
                if (s.AsSpan().IndexOfAny(",\"\r\n") >= 0) sb.Append('"').Append(s.Replace("\"", "\"\"")).Append('"');
                else sb.Append(s);
            }
            sb.Append("\r\n");
        }
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            var entry = zip.CreateEntry(entryName, CompressionLevel.Fastest);
            entry.LastWriteTime = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
            using var s = entry.Open();
            var bytes = Encoding.UTF8.GetBytes(sb.ToString());
            s.Write(bytes, 0, bytes.Length);
        }
        return ms.ToArray();
    }

    private static string Html(ExportInstance e, List<IReadOnlyList<object?>> table)
    {
        static string H(string s) => System.Net.WebUtility.HtmlEncode(s);
        var sb = new StringBuilder("<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>")
            .Append(H(e.Name)).Append("</title></head>\n<body>\n<table>\n<thead><tr>");
        foreach (var h in table[0]) sb.Append("<th>").Append(H(h?.ToString() ?? "")).Append("</th>");
        sb.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in table.Skip(1))
        {
            sb.Append("<tr>");
            foreach (var v in row) sb.Append("<td>").Append(H(v?.ToString() ?? "")).Append("</td>");
            sb.Append("</tr>\n");
        }
        sb.Append("</tbody>\n</table>\n</body>\n</html>\n");
        return sb.ToString();
    }

    // ---- the DET config ------------------------------------------------------------------------------

    /// <summary>
    /// The Data Export Tool config workbook (commcare-export's Excel query format): one sheet named after the table with
    /// <c>Data Source</c>, <c>Filter Name</c>, <c>Filter Value</c>, <c>Field</c>, <c>Source Field</c>; the source fields are
    /// the API paths the export's columns come from.
    /// </summary>
    public static ApiResponse DetSchema(ApiContext ctx)
    {
        var e = Find(ctx.Route("id"));
        if (e is null) return ApiResponse.HtmlNotFound();
        if (e.Domain != ctx.Domain) return ApiResponse.HtmlServerError();
        var rows = new List<IReadOnlyList<object?>>
        {
            new object?[] { "Data Source", "Filter Name", "Filter Value", "Field", "Source Field" },
        };
        for (var i = 0; i < e.Columns.Length; i++)
        {
            var c = e.Columns[i];
            if (i == 0)
            {
                rows.Add(e.Type == "form"
                    ? new object?[] { "form", "xmlns.exact", e.Xmlns, c.Header, c.Source }
                    : new object?[] { "case", "type", e.CaseType, c.Header, c.Source });
            }
            else
            {
                rows.Add(new object?[] { null, null, null, c.Header, c.Source });
            }
        }
        var bytes = XlsxBook.Write(new[] { new XlsxSheet(e.TableName, rows) });
        return new ApiResponse(200, XlsxBook.ContentType).Append(bytes)
            .Header("Content-Disposition", $"attachment; filename=\"{e.Name}.xlsx\"");
    }
}
