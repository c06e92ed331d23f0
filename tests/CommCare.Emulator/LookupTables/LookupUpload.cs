using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace CommCare.Emulator;

/// <summary>An async Excel upload: it answers "in progress" for the configured number of polls, then runs.</summary>
public sealed class LookupUploadJob
{
    public required string Id { get; init; }
    public required string Domain { get; init; }
    public required byte[] File { get; init; }
    public required bool Replace { get; init; }
    public required int Polls { get; init; }
    public string? Failure { get; init; }
    public string? FailureMessage { get; init; }
    public int Seen { get; set; }
    /// <summary>The final status body once the job has run (every later poll repeats it).</summary>
    public byte[]? Result { get; set; }
}

public sealed class LookupUploadJobs
{
    public readonly object Lock = new();
    private readonly Dictionary<string, LookupUploadJob> _jobs = new(StringComparer.Ordinal);

    public void Add(LookupUploadJob j)
    {
        lock (Lock) _jobs[j.Id] = j;
    }

    public LookupUploadJob? Get(string id)
    {
        lock (Lock) return _jobs.TryGetValue(id, out var j) ? j : null;
    }
}

/// <summary>The outcome of running a workbook: format errors (nothing changed), or tables loaded with row warnings.</summary>
public sealed record LookupUploadResult(List<string> FormatErrors, int Tables, List<string> Warnings);

/// <summary>
/// The lookup-table Excel API (docs/commcare-api.md#lookup-tables): <c>POST /a/{d}/fixtures/fixapi/</c> (multipart, sync or async),
/// <c>GET /a/{d}/fixtures/fixapi/status/{download_id}/</c>, and the workbook download
/// <c>GET /a/{d}/fixtures/edit_lookup_tables/download/</c> (the layout of HQ's <c>download.py</c>: a <c>types</c> sheet and
/// one sheet per table).
/// </summary>
public static partial class LookupUpload
{
    public const string DeleteHeader = "Delete(Y/N)";
    private const string JsonType = "application/json";

    /// <summary><c>api_auth()</c>, <c>require_can_edit_fixtures</c> (Edit Data), <c>@api_throttle</c>; <c>require_POST</c>.</summary>
    public static readonly ViewSpec UploadSpec = new("fixapi", ViewAuth.ApiAuth, "edit_data", ViewThrottle.ApiThrottle)
    {
        Methods = new[] { "POST" },
        JsonMethodError = false,
    };

    /// <summary><c>api_auth()</c>, <c>require_can_edit_fixtures</c>; not throttled.</summary>
    public static readonly ViewSpec StatusSpec = new("fixapi-status", ViewAuth.ApiAuth, "edit_data", ViewThrottle.None)
    {
        JsonMethodError = false,
    };

    /// <summary>The workbook download (UNCONFIRMED as an API; see README): api_auth + Edit Data; not throttled.</summary>
    public static readonly ViewSpec DownloadSpec = new("fixtures-download", ViewAuth.ApiAuth, "edit_data", ViewThrottle.None)
    {
        JsonMethodError = false,
    };

    [GeneratedRegex("^(?:dl-)?[0-9a-fA-Z]{25,32}$")]
    private static partial Regex DownloadIdRx();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_\-.]*$")]
    private static partial Regex IdentifierRx();

    [GeneratedRegex(@"^field\s*(\d+)\s*:\s*property\s*(\d+)$", RegexOptions.IgnoreCase)]
    private static partial Regex FieldPropertyRx();

    [GeneratedRegex(@"^field\s+(\d+)$", RegexOptions.IgnoreCase)]
    private static partial Regex FieldRx();

    [GeneratedRegex(@"^property\s+(\d+)$", RegexOptions.IgnoreCase)]
    private static partial Regex PropertyRx();

    public static void Map(WebApplication app, EmulatorState st)
    {
        app.Map("/a/{domain}/fixtures/fixapi/", ViewPipeline.Handle(st, UploadSpec, Upload));
        app.Map("/a/{domain}/fixtures/fixapi/status/{download_id}/", ViewPipeline.Handle(st, StatusSpec, Status));
        app.Map("/a/{domain}/fixtures/edit_lookup_tables/download/", ViewPipeline.Handle(st, DownloadSpec, Download));
    }

    private static ApiResponse Json(PyJsonWriter w) => new ApiResponse(200, JsonType).Append(w.ToArray());

    private static ApiResponse Answer(string message, int code, string? downloadId = null, string? statusUrl = null)
    {
        var w = new PyJsonWriter(256);
        w.BeginObject().Prop("message", message).Prop("code", code);
        if (downloadId is not null) w.Prop("status_url", statusUrl).Prop("download_id", downloadId);
        w.EndObject();
        return Json(w);
    }

    // ---- upload ----------------------------------------------------------------------------------------

    /// <summary>
    /// Always HTTP 200; the outcome is the body's <c>code</c>: 200 success, 402 warnings, 405 failure. <c>async=true</c> queues
    /// a job (not validated first) and answers with <c>download_id</c> and an absolute <c>status_url</c>.
    /// </summary>
    public static ApiResponse Upload(ApiContext ctx)
    {
        var form = ReadForm(ctx);
        if (form is null || !form.Value.Files.TryGetValue("file-to-upload", out var file) || !form.Value.Fields.TryGetValue("replace", out var replaceRaw))
        {
            return Answer("Invalid post request.Submit the form with field 'file-to-upload' and POST parameter 'replace'", 405);
        }
        // "true"/"false" (any case); any other value stays a truthy string and acts like true.
        var replace = !string.Equals(replaceRaw, "false", StringComparison.OrdinalIgnoreCase);
        var isAsync = form.Value.Fields.TryGetValue("async", out var a) && string.Equals(a, "true", StringComparison.OrdinalIgnoreCase);

        if (isAsync)
        {
            var features = ctx.State.Features;
            var job = new LookupUploadJob
            {
                Id = "dl-" + Guid.NewGuid().ToString("N"),
                Domain = ctx.Domain!,
                File = file,
                Replace = replace,
                Polls = features.LookupUploadPolls,
                Failure = features.LookupUploadFailure,
                FailureMessage = features.LookupUploadFailureMessage,
            };
            features.UploadJobs.Add(job);
            var statusUrl = ctx.Http.Request.Scheme + "://" + ctx.Http.Request.Host.Value + "/a/" + ctx.Domain + "/fixtures/fixapi/status/" + job.Id + "/";
            return Answer("File has been uploaded successfully and is queued for processing.", 200, job.Id, statusUrl);
        }

        var result = Run(ctx, file, replace);
        if (result.FormatErrors.Count > 0)
        {
            return Answer("Please fix the following formatting issues in your Excel file: " + string.Join("\n", result.FormatErrors), 405);
        }
        return Answer(DisplayMessage(result), result.Warnings.Count > 0 ? 402 : 200);
    }

    /// <summary>The text of HQ's <c>fixture_upload_status_api.txt</c> for a successful run.</summary>
    private static string DisplayMessage(LookupUploadResult r)
    {
        var sb = new StringBuilder();
        sb.Append("Successfully uploaded ").Append(r.Tables.ToString(CultureInfo.InvariantCulture)).Append(" tables.");
        if (r.Warnings.Count > 0)
        {
            sb.Append("\nHowever, we ran into the following problems:");
            foreach (var e in r.Warnings) sb.Append('\n').Append(e);
        }
        return sb.ToString();
    }

    private readonly record struct Form(Dictionary<string, string> Fields, Dictionary<string, byte[]> Files);

    /// <summary>The multipart form (null when the body is not multipart or does not parse).</summary>
    private static Form? ReadForm(ApiContext ctx)
    {
        var ct = ctx.Http.Request.ContentType;
        if (ct is null || !MediaTypeHeaderValue.TryParse(ct, out var media)) return null;
        var boundary = HeaderUtilities.RemoveQuotes(media.Boundary).Value;
        if (!media.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase) || string.IsNullOrEmpty(boundary)) return null;
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        try
        {
            var reader = new MultipartReader(boundary, new MemoryStream(ctx.Body));
            while (reader.ReadNextSectionAsync().GetAwaiter().GetResult() is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var cd)) continue;
                var name = HeaderUtilities.RemoveQuotes(cd.Name).Value ?? "";
                using var ms = new MemoryStream();
                section.Body.CopyTo(ms);
                if (cd.FileName.HasValue || cd.FileNameStar.HasValue) files[name] = ms.ToArray();
                else fields[name] = Encoding.UTF8.GetString(ms.ToArray());
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException)
        {
            return null;
        }
        return new Form(fields, files);
    }

    // ---- status ----------------------------------------------------------------------------------------

    /// <summary>
    /// Always 200: <c>{"message": "Task in progress. N% complete", "progress": N}</c> for the configured number of polls, then
    /// <c>{"complete": true, "message": "Upload complete."}</c> (plus <c>"errors"</c> when rows had warnings) or
    /// <c>{"error": true, "message": ...}</c>. An unknown id is "in progress" forever (<c>None% complete</c>, progress null).
    /// </summary>
    public static ApiResponse Status(ApiContext ctx)
    {
        var id = ctx.Route("download_id");
        if (!DownloadIdRx().IsMatch(id)) return ApiResponse.HtmlNotFound();
        var job = ctx.State.Features.UploadJobs.Get(id);
        if (job is null || job.Domain != ctx.Domain) return Progress(null);
        lock (job)
        {
            if (job.Result is not null) return new ApiResponse(200, JsonType).Append(job.Result);
            job.Seen++;
            if (job.Seen <= job.Polls) return Progress(100 * job.Seen / (job.Polls + 1));

            var w = new PyJsonWriter(256);
            if (job.Failure == "error")
            {
                w.BeginObject().Prop("error", true).Prop("message", job.FailureMessage ?? "An unknown error occurred.").EndObject();
            }
            else if (job.Failure == "task-failed")
            {
                w.BeginObject().Prop("message", $"Upload did not complete. Reason: '{job.FailureMessage ?? "Task failed"}'").Prop("error", true).EndObject();
            }
            else
            {
                var result = Run(ctx, job.File, job.Replace);
                if (result.FormatErrors.Count > 0)
                {
                    w.BeginObject().Prop("error", true)
                        .Prop("message", "Please fix the following formatting issues in your Excel file: " + string.Join("\n", result.FormatErrors))
                        .EndObject();
                }
                else
                {
                    w.BeginObject().Prop("complete", true).Prop("message", "Upload complete.");
                    if (result.Warnings.Count > 0)
                    {
                        w.Key("errors").BeginArray();
                        foreach (var e in result.Warnings) w.String(e);
                        w.EndArray();
                    }
                    w.EndObject();
                }
            }
            job.Result = w.ToArray();
            return new ApiResponse(200, JsonType).Append(job.Result);
        }
    }

    private static ApiResponse Progress(int? percent)
    {
        var w = new PyJsonWriter(96);
        w.BeginObject()
            .Prop("message", "Task in progress. " + (percent?.ToString(CultureInfo.InvariantCulture) ?? "None") + "% complete")
            .Key("progress").Number(percent)
            .EndObject();
        return Json(w);
    }

    // ---- download --------------------------------------------------------------------------------------

    /// <summary>The workbook of the tables named by <c>table_id</c> (repeatable; unknown ids ignored) or of every table.</summary>
    public static ApiResponse Download(ApiContext ctx)
    {
        var store = ctx.State.Features.LookupTables;
        byte[] bytes;
        lock (store.Lock)
        {
            var ids = ctx.Query.GetList("table_id");
            var tables = new List<LookupTable>();
            foreach (var t in store.Tables(ctx.Domain!))
            {
                if (ids.Count == 0 || ids.Contains(t.Id)) tables.Add(t);
            }
            bytes = XlsxBook.Write(BuildWorkbook(store, tables, ctx.State.Alt.LookupUidHeader));
        }
        return new ApiResponse(200, XlsxBook.ContentType)
            .Header("Content-Disposition", $"attachment; filename=\"{ctx.Domain}_fixtures.xlsx\"")
            .Append(bytes);
    }

    /// <summary>HQ's <c>_prepare_fixture</c> layout.</summary>
    public static List<XlsxSheet> BuildWorkbook(LookupTableStore store, List<LookupTable> tables, string uidHeader = Alternatives.DefaultLookupUidHeader)
    {
        var maxFields = 0;
        var maxAttrs = 0;
        var fieldPropCount = new List<int>();
        foreach (var t in tables)
        {
            maxFields = Math.Max(maxFields, t.Fields.Count);
            maxAttrs = Math.Max(maxAttrs, t.ItemAttributes.Count);
            for (var i = 0; i < t.Fields.Count; i++)
            {
                if (fieldPropCount.Count <= i) fieldPropCount.Add(t.Fields[i].Properties.Count);
                else fieldPropCount[i] = Math.Max(fieldPropCount[i], t.Fields[i].Properties.Count);
            }
        }
        var typeHeaders = new List<object?> { DeleteHeader, "table_id", "is_global?" };
        for (var i = 1; i <= maxFields; i++) typeHeaders.Add("field " + I(i));
        for (var i = 1; i <= maxAttrs; i++) typeHeaders.Add("property " + I(i));
        var propHeaders = new List<(int Field, int Prop)>();
        for (var f = 0; f < fieldPropCount.Count; f++)
        {
            for (var p = 0; p < fieldPropCount[f]; p++)
            {
                propHeaders.Add((f, p));
                typeHeaders.Add($"field {I(f + 1)} : property {I(p + 1)}");
            }
        }
        var typeRows = new List<IReadOnlyList<object?>> { typeHeaders };
        foreach (var t in tables)
        {
            var row = new List<object?> { "N", t.Tag, t.IsGlobal ? "yes" : "no" };
            for (var i = 0; i < maxFields; i++) row.Add(i < t.Fields.Count ? t.Fields[i].Name : "");
            for (var i = 0; i < maxAttrs; i++) row.Add(i < t.ItemAttributes.Count ? t.ItemAttributes[i] : "");
            foreach (var (f, p) in propHeaders)
            {
                row.Add(f < t.Fields.Count && p < t.Fields[f].Properties.Count ? t.Fields[f].Properties[p] : "");
            }
            typeRows.Add(row);
        }
        var sheets = new List<XlsxSheet> { new("types", typeRows) };

        foreach (var t in tables)
        {
            var rows = store.Rows(t);
            int maxUsers = 0, maxGroups = 0, maxLocations = 0;
            var maxCombos = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var r in rows)
            {
                maxUsers = Math.Max(maxUsers, r.Users.Count);
                maxGroups = Math.Max(maxGroups, r.Groups.Count);
                maxLocations = Math.Max(maxLocations, r.Locations.Count);
                foreach (var f in t.Fields)
                {
                    maxCombos[f.Name] = Math.Max(maxCombos.GetValueOrDefault(f.Name), r.Field(f.Name)?.Count ?? 0);
                }
            }
            var headers = new List<object?> { uidHeader, DeleteHeader };
            foreach (var f in t.Fields)
            {
                if (f.Properties.Count == 0)
                {
                    headers.Add("field: " + f.Name);
                    continue;
                }
                for (var x = 1; x <= Math.Max(1, maxCombos.GetValueOrDefault(f.Name)); x++)
                {
                    foreach (var p in f.Properties) headers.Add($"{f.Name}: {p} {I(x)}");
                    headers.Add($"field: {f.Name} {I(x)}");
                }
            }
            foreach (var a in t.ItemAttributes) headers.Add("property: " + a);
            for (var i = 1; i <= maxUsers; i++) headers.Add("user " + I(i));
            for (var i = 1; i <= maxGroups; i++) headers.Add("group " + I(i));
            for (var i = 1; i <= maxLocations; i++) headers.Add("location " + I(i));

            var sheetRows = new List<IReadOnlyList<object?>> { headers };
            foreach (var r in rows)
            {
                var row = new List<object?> { r.Id, "N" };
                foreach (var f in t.Fields)
                {
                    var values = r.Field(f.Name) ?? new List<LookupValue>();
                    if (f.Properties.Count == 0)
                    {
                        row.Add(values.Count > 0 ? values[0].Value : "");
                        continue;
                    }
                    var combos = Math.Max(1, maxCombos.GetValueOrDefault(f.Name));
                    for (var x = 0; x < combos; x++)
                    {
                        foreach (var p in f.Properties)
                        {
                            var pv = "";
                            if (x < values.Count) foreach (var kv in values[x].Properties) if (kv.Key == p) pv = kv.Value;
                            row.Add(pv);
                        }
                        row.Add(x < values.Count ? values[x].Value : "");
                    }
                }
                foreach (var a in t.ItemAttributes)
                {
                    var v = "";
                    foreach (var kv in r.ItemAttributes) if (kv.Key == a) v = kv.Value;
                    row.Add(v);
                }
                for (var i = 0; i < maxUsers; i++) row.Add(i < r.Users.Count ? r.Users[i] : "");
                for (var i = 0; i < maxGroups; i++) row.Add(i < r.Groups.Count ? r.Groups[i] : "");
                for (var i = 0; i < maxLocations; i++) row.Add(i < r.Locations.Count ? r.Locations[i] : "");
                sheetRows.Add(row);
            }
            sheets.Add(new XlsxSheet(t.Tag, sheetRows));
        }
        return sheets;
    }

    private static string I(int i) => i.ToString(CultureInfo.InvariantCulture);

    // ---- run a workbook --------------------------------------------------------------------------------

    private sealed class TableDef
    {
        public required string Tag;
        public bool Delete;
        public bool IsGlobal;
        public List<LookupField> Fields = new();
        public List<string> Attributes = new();
    }

    private sealed class RowDef
    {
        public string? Uid;
        public bool Delete;
        public List<KeyValuePair<string, List<LookupValue>>> Fields = new();
        public List<KeyValuePair<string, string>> Attributes = new();
        public List<string> Users = new(), Groups = new(), Locations = new();
    }

    /// <summary>Validates the whole workbook first (format errors change nothing), then loads it with replace semantics.</summary>
    public static LookupUploadResult Run(ApiContext ctx, byte[] file, bool replace)
    {
        var errors = new List<string>();
        List<XlsxSheetData> sheets;
        try
        {
            sheets = XlsxBook.Read(file);
        }
        catch (XlsxFormatException)
        {
            return new LookupUploadResult(new List<string> { "Invalid file-format. Please upload a valid xlsx file." }, 0, new List<string>());
        }
        XlsxSheetData? Sheet(string name) => sheets.Find(s => s.Name == name);

        var types = Sheet("types");
        if (types is null) return Fail("Workbook does not contain a sheet called types");
        var tdefs = ParseTypes(types, errors);
        if (errors.Count > 0) return new LookupUploadResult(errors, 0, new List<string>());

        var rowsByTag = new Dictionary<string, List<RowDef>>(StringComparer.Ordinal);
        foreach (var td in tdefs)
        {
            if (td.Delete) continue;
            var sheet = Sheet(td.Tag);
            if (sheet is null)
            {
                return Fail($"There's no sheet for type '{td.Tag}' in 'types' sheet. There must be one sheet per row in the 'types' sheet.");
            }
            var rows = ParseRows(td, sheet, errors, ctx.State.Alt.LookupUidHeader);
            if (errors.Count > 0) return new LookupUploadResult(errors, 0, new List<string>());
            rowsByTag[td.Tag] = rows;
        }

        var domain = ctx.Domain!;
        var warnings = new List<string>();
        var store = ctx.State.Features.LookupTables;
        var directory = ctx.Data.Users;
        var count = 0;
        lock (store.Lock)
        {
            foreach (var td in tdefs)
            {
                var table = store.TableByTag(domain, td.Tag);
                if (td.Delete)
                {
                    if (table is not null) store.DeleteTable(table);
                    continue;
                }
                count++;
                if (table is null)
                {
                    table = new LookupTable { Id = LookupTableStore.NewId(), Domain = domain, Tag = td.Tag };
                    store.AddTable(table);
                }
                table.IsGlobal = td.IsGlobal;
                table.Fields = td.Fields;
                table.ItemAttributes = td.Attributes;
                if (replace) store.DeleteRows(table);

                var sortKey = -1;
                foreach (var rd in rowsByTag[td.Tag])
                {
                    var existing = rd.Uid is { Length: > 0 } ? store.Row(domain, rd.Uid) : null;
                    if (existing is not null && existing.TableId != table.Id) existing = null;
                    if (rd.Delete)
                    {
                        if (existing is not null) store.DeleteRow(existing);
                        continue;
                    }
                    sortKey++;
                    var row = existing;
                    if (row is null)
                    {
                        // A UID that is free (e.g. after replace) is kept, so a downloaded workbook re-uploads to the same ids.
                        var id = rd.Uid is { Length: 32 } uid && IsHex(uid) && store.Row(domain, uid) is null && store.TableAnyDomain(uid) is null
                            ? uid.ToLowerInvariant()
                            : LookupTableStore.NewId();
                        row = new LookupRow { Id = id, Domain = domain, TableId = table.Id };
                        store.AddRow(row);
                    }
                    row.SortKey = sortKey;
                    row.Fields = rd.Fields;
                    row.ItemAttributes = rd.Attributes;
                    lock (directory.Lock)
                    {
                        row.Users = KnownOwners(rd.Users, "user", n => UserKnown(directory, domain, n), warnings);
                        row.Groups = KnownOwners(rd.Groups, "group", n => directory.GroupByName(domain, n) is not null, warnings);
                        row.Locations = KnownOwners(rd.Locations, "location", n => LocationKnown(directory, domain, n), warnings);
                    }
                }
            }
        }
        return new LookupUploadResult(new List<string>(), count, warnings);
    }

    private static LookupUploadResult Fail(string message) => new(new List<string> { message }, 0, new List<string>());

    private static bool IsHex(string s)
    {
        foreach (var c in s) if (!Uri.IsHexDigit(c)) return false;
        return true;
    }

    private static List<string> KnownOwners(List<string> names, string kind, Func<string, bool> known, List<string> warnings)
    {
        var ok = new List<string>();
        foreach (var n in names)
        {
            var name = kind == "group" ? n : n.ToLowerInvariant();
            if (known(name)) ok.Add(name);
            else warnings.Add($"Unknown {kind}: '{name}'. But the row is successfully added");
        }
        return ok;
    }

    private static bool UserKnown(UserStore users, string domain, string name)
    {
        foreach (var u in users.Workers(domain))
        {
            if (u.Retired) continue;
            var at = u.Username.IndexOf('@');
            var raw = at < 0 ? u.Username : u.Username[..at];
            if (raw == name || u.Username == name) return true;
        }
        return false;
    }

    private static bool LocationKnown(UserStore users, string domain, string name)
    {
        foreach (var l in users.Locations(domain))
        {
            if (string.Equals(l.SiteCode, name, StringComparison.OrdinalIgnoreCase)
                || string.Equals(l.Name, name, StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    /// <summary>The header row as name → column (the first occurrence wins).</summary>
    private static Dictionary<string, int> Headers(XlsxSheetData sheet)
    {
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        if (sheet.Rows.Count == 0) return map;
        var row = sheet.Rows[0];
        for (var c = 0; c < row.Length; c++)
        {
            var h = row[c]?.Trim();
            if (!string.IsNullOrEmpty(h) && !map.ContainsKey(h)) map[h] = c;
        }
        return map;
    }

    private static bool RowIsEmpty(string?[] row)
    {
        foreach (var c in row) if (!string.IsNullOrWhiteSpace(c)) return false;
        return true;
    }

    private static bool Yes(string? v) => v?.Trim().ToLowerInvariant() is "yes" or "y" or "true" or "1";

    private static List<TableDef> ParseTypes(XlsxSheetData sheet, List<string> errors)
    {
        var defs = new List<TableDef>();
        var headers = Headers(sheet);
        if (!headers.TryGetValue("table_id", out var tagCol) && !headers.TryGetValue("tag", out tagCol))
        {
            errors.Add("Workbook 'types' has no column 'table_id'.");
            return defs;
        }
        headers.TryGetValue(DeleteHeader, out var delCol);
        var hasDel = headers.ContainsKey(DeleteHeader);
        var globalCol = headers.TryGetValue("is_global?", out var gc) ? gc : headers.TryGetValue("is_global", out gc) ? gc : -1;
        var fieldCols = new SortedDictionary<int, int>();
        var attrCols = new SortedDictionary<int, int>();
        var propCols = new List<(int Field, int Prop, int Col)>();
        foreach (var (h, c) in headers)
        {
            Match m;
            if ((m = FieldPropertyRx().Match(h)).Success) propCols.Add((int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), c));
            else if ((m = FieldRx().Match(h)).Success) fieldCols[int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)] = c;
            else if ((m = PropertyRx().Match(h)).Success) attrCols[int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)] = c;
        }
        propCols.Sort(static (a, b) => a.Field != b.Field ? a.Field.CompareTo(b.Field) : a.Prop.CompareTo(b.Prop));

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var r = 1; r < sheet.Rows.Count; r++)
        {
            var row = sheet.Rows[r];
            if (RowIsEmpty(row)) continue;
            var tag = sheet.Cell(r, tagCol)?.Trim();
            if (string.IsNullOrEmpty(tag))
            {
                errors.Add("Workbook 'types' has no column 'table_id'.");
                return defs;
            }
            if (!IdentifierRx().IsMatch(tag))
            {
                errors.Add("Lookup-tables 'table_id' must be valid XML identifiers." +
                           $"table_id '{tag}' should not contain spaces or special characters, or start with a number, ");
                return defs;
            }
            var td = new TableDef
            {
                Tag = tag,
                Delete = hasDel && string.Equals(sheet.Cell(r, delCol)?.Trim(), "y", StringComparison.OrdinalIgnoreCase),
                IsGlobal = globalCol >= 0 && Yes(sheet.Cell(r, globalCol)),
            };
            var fieldNumbers = new List<int>();
            foreach (var (n, c) in fieldCols)
            {
                var name = sheet.Cell(r, c)?.Trim();
                if (string.IsNullOrEmpty(name)) continue;
                if (double.TryParse(name, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                {
                    errors.Add($"Error in 'types' sheet for 'field {I(n)}', '{name}'. Field names should be strings, not numbers");
                    return defs;
                }
                var field = new LookupField { Name = name };
                foreach (var (f, _, pc) in propCols)
                {
                    if (f != n) continue;
                    var prop = sheet.Cell(r, pc)?.Trim();
                    if (!string.IsNullOrEmpty(prop)) field.Properties.Add(prop);
                }
                td.Fields.Add(field);
                fieldNumbers.Add(n);
            }
            foreach (var (_, c) in attrCols)
            {
                var attr = sheet.Cell(r, c)?.Trim();
                if (!string.IsNullOrEmpty(attr)) td.Attributes.Add(attr);
            }
            if (!td.Delete && td.Fields.Count == 0 && td.Attributes.Count == 0)
            {
                errors.Add("Lookup-tables can not have empty fields and empty properties on items. " +
                           $"table_id '{tag}' has no fields and no properties");
                return defs;
            }
            if (!seen.Add(tag))
            {
                errors.Add($"Lookup-tables should have unique 'table_id'. There are two rows with table_id '{tag}' in 'types' sheet.");
                return defs;
            }
            defs.Add(td);
        }
        return defs;
    }

    private static List<RowDef> ParseRows(TableDef td, XlsxSheetData sheet, List<string> errors, string uidHeader)
    {
        var rows = new List<RowDef>();
        var headers = Headers(sheet);
        // every 'field: x' header must name a field of the table, and every field without properties needs its column
        foreach (var h in headers.Keys)
        {
            if (!h.StartsWith("field:", StringComparison.Ordinal)) continue;
            var rest = h["field:".Length..].Trim();
            var known = false;
            foreach (var f in td.Fields)
            {
                if (f.Properties.Count == 0 && rest == f.Name) known = true;
                if (f.Properties.Count > 0 && rest.StartsWith(f.Name + " ", StringComparison.Ordinal)
                    && int.TryParse(rest[(f.Name.Length + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out _)) known = true;
            }
            if (!known)
            {
                errors.Add($"Excel-sheet '{td.Tag}' has an extra column'field: {rest}' that's not defined in its 'types' definition");
                return rows;
            }
        }
        foreach (var f in td.Fields)
        {
            var present = f.Properties.Count == 0 ? headers.ContainsKey("field: " + f.Name) : headers.ContainsKey($"field: {f.Name} 1");
            if (!present)
            {
                errors.Add($"Excel-sheet '{td.Tag}' does not contain the column 'field: {f.Name}' as specified in its 'types' definition");
                return rows;
            }
        }
        // HQ reads exactly "UID"; the alternative (lookupUidHeader) is a server that also reads its own spelling.
        var uidCol = headers.TryGetValue("UID", out var u) ? u : headers.TryGetValue(uidHeader, out var ua) ? ua : -1;
        var delCol = headers.TryGetValue(DeleteHeader, out var d) ? d : -1;
        var owners = new List<(string Kind, int N, int Col)>();
        foreach (var (h, c) in headers)
        {
            var m = Regex.Match(h, @"^(user|group|location)\s+(\d+)$");
            if (m.Success) owners.Add((m.Groups[1].Value, int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), c));
        }
        owners.Sort(static (a, b) => a.N.CompareTo(b.N));

        for (var r = 1; r < sheet.Rows.Count; r++)
        {
            if (RowIsEmpty(sheet.Rows[r])) continue;
            string Cell(int c) => c < 0 ? "" : sheet.Cell(r, c) ?? "";
            var rd = new RowDef
            {
                Uid = uidCol >= 0 ? sheet.Cell(r, uidCol)?.Trim() : null,
                Delete = string.Equals(Cell(delCol).Trim(), "y", StringComparison.OrdinalIgnoreCase),
            };
            foreach (var f in td.Fields)
            {
                var values = new List<LookupValue>();
                if (f.Properties.Count == 0)
                {
                    values.Add(new LookupValue(Cell(headers["field: " + f.Name]), new()));
                }
                else
                {
                    for (var x = 1; headers.TryGetValue($"field: {f.Name} {I(x)}", out var vc); x++)
                    {
                        var value = Cell(vc);
                        var props = new List<KeyValuePair<string, string>>();
                        var any = value.Length > 0;
                        foreach (var p in f.Properties)
                        {
                            var pv = headers.TryGetValue($"{f.Name}: {p} {I(x)}", out var pc) ? Cell(pc) : "";
                            if (pv.Length > 0) any = true;
                            props.Add(new(p, pv));
                        }
                        if (any) values.Add(new LookupValue(value, props));
                    }
                }
                rd.Fields.Add(new(f.Name, values));
            }
            foreach (var a in td.Attributes)
            {
                rd.Attributes.Add(new(a, headers.TryGetValue("property: " + a, out var ac) ? Cell(ac) : ""));
            }
            foreach (var (kind, _, c) in owners)
            {
                var v = Cell(c).Trim();
                if (v.Length == 0) continue;
                (kind == "user" ? rd.Users : kind == "group" ? rd.Groups : rd.Locations).Add(v);
            }
            rows.Add(rd);
        }
        return rows;
    }
}
