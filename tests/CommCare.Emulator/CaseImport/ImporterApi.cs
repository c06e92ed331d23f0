using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CommCare.Emulator;

/// <summary>One bulk case upload (a <c>CaseUploadRecord</c> and its background task). Changed under its store's lock.</summary>
public sealed class CaseUpload
{
    public required string Id { get; init; }
    public required string Domain { get; init; }
    public required long Created { get; init; }
    public required string UserName { get; init; }
    public required string UserId { get; init; }
    public required string CaseType { get; init; }
    public required string Comment { get; set; }
    public required string FileName { get; init; }
    public required byte[] File { get; init; }
    public required string SearchField { get; init; }
    public required string SearchColumn { get; init; }
    public required string NameColumn { get; init; }
    public required bool CreateNewCases { get; init; }
    public required List<SheetRow> Rows { get; init; }
    /// <summary>Status GETs needed to finish (the config's importPolls at upload time).</summary>
    public required int PollsNeeded { get; init; }
    public int Polls;
    /// <summary>0 queued, 1 started, 2 finished, 3 failed.</summary>
    public int State;
    public int Percent;
    public ImportResult? Result;
    /// <summary>The key the multiple-match count is written under (alternative tooManyMatchesField; null: left out).</summary>
    public string? TooManyMatchesField = Alternatives.DefaultTooManyMatchesField;
    public List<string> FormIds { get; } = new();
    public List<string> CaseIds { get; } = new();
}

public sealed record ImportError(string Title, string Description, string Column, List<int> Rows);

public sealed record ImportResult(int MatchCount, int CreatedCount, int NumChunks, int TooManyMatches, List<ImportError> Errors);

/// <summary>
/// The Excel case importer API (docs/commcare-api.md#bulk-case-upload-case-importer): <c>POST /a/{d}/importer/excel/bulk_upload_api/</c>, the upload
/// status (path UNCONFIRMED, chosen here: <c>/a/{d}/importer/history/uploads/{upload_id}/status/</c>), the upload history
/// and its per-upload endpoints. Permission edit_data only (no access_api), not throttled.
/// </summary>
public static partial class ImporterApi
{
    /// <summary>A <c>case_type</c> that makes the import fail (state 3) when it finishes.</summary>
    public const string FailCaseType = "fail-import";
    public const int ChunkSize = 100;
    public const int MaxColumns = 300;
    public const string FormXmlns = "http://commcarehq.org/case";

    public static readonly ApiSpec UploadSpec = new("importer", AuthMode.FunctionView, "edit_data", Throttled: false)
    {
        Methods = new[] { "POST" },
        RequireAccessApi = false,
        TargetOf = UploadTarget,
    };

    public static readonly ApiSpec HistorySpec = new("importer", AuthMode.FunctionView, "edit_data", Throttled: false)
    {
        RequireAccessApi = false,
    };

    public static readonly ApiSpec CommentSpec = HistorySpec with { Methods = new[] { "POST" } };

    public static void Map(WebApplication app, EmulatorState st)
    {
        app.Map("/a/{domain}/importer/excel/bulk_upload_api/", Pipeline.Handle(st, UploadSpec, Upload));
        app.Map("/a/{domain}/importer/history/uploads/", Pipeline.Handle(st, HistorySpec, History));
        app.Map("/a/{domain}/importer/history/uploads/{upload_id}/status/", Pipeline.Handle(st, HistorySpec, Status));
        app.Map("/a/{domain}/importer/history/uploads/{upload_id}/", Pipeline.Handle(st, HistorySpec, OriginalFile));
        app.Map("/a/{domain}/importer/history/uploads/{upload_id}/form_ids.txt", Pipeline.Handle(st, HistorySpec with { SlashOptional = true }, ctx => IdList(ctx, forms: true)));
        app.Map("/a/{domain}/importer/history/uploads/{upload_id}/case_ids.txt", Pipeline.Handle(st, HistorySpec with { SlashOptional = true }, ctx => IdList(ctx, forms: false)));
        app.Map("/a/{domain}/importer/history/uploads/{upload_id}/comment/", Pipeline.Handle(st, CommentSpec, SetComment));
    }

    /// <summary>The request-log target of an upload: <c>&lt;file name&gt; (&lt;case_type&gt;)</c>.</summary>
    private static string? UploadTarget(HttpContext ctx, byte[] body)
    {
        var parts = Multipart.Parse(body, ctx.Request.ContentType);
        if (parts is null) return null;
        var file = parts.FirstOrDefault(p => p.Name == "file" && p.FileName is not null);
        var type = parts.LastOrDefault(p => p.Name == "case_type" && p.FileName is null);
        var caseType = type is null ? null : Encoding.UTF8.GetString(type.Data);
        if (file is null) return caseType;
        return caseType is null ? file.FileName : $"{file.FileName} ({caseType})";
    }

    private static ApiResponse Fail(string message)
    {
        var w = new PyJsonWriter(128 + message.Length) { EnsureAscii = true };
        w.BeginObject().Prop("code", 500).Prop("message", message).EndObject();
        return ApiResponse.Json(500, w.ToArray());
    }

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_\-]*$")]
    private static partial Regex PropertyNameRx();

    public static ApiResponse Upload(ApiContext ctx)
    {
        var store = ctx.Data.Store(ctx.Domain!)!;
        var parts = Multipart.Parse(ctx.Body, ctx.Http.Request.ContentType) ?? new List<MultipartPart>();
        // request.POST.get / request.FILES.get: the last value of a name
        string? Field(string name) => parts.LastOrDefault(p => p.Name == name && p.FileName is null) is { } p ? Encoding.UTF8.GetString(p.Data) : null;
        var file = parts.LastOrDefault(p => p.Name == "file" && p.FileName is not null);
        var caseType = Field("case_type");
        if (file is null || string.IsNullOrEmpty(caseType)) return Fail("Invalid POST request. Both 'file' and 'case_type' are required");
        var fileName = file.FileName!;
        var ext = fileName.Contains('.') ? fileName[(fileName.LastIndexOf('.') + 1)..].ToLowerInvariant() : "";
        if (ext is not ("xls" or "xlsx")) return Fail("Please upload file with one of the following extensions: xls, xlsx");
        var searchField = Field("search_field") ?? "case_id";
        if (searchField is not ("case_id" or "external_id")) return Fail($"Illegal value for search_field: {searchField}");
        var searchColumn = Field("search_column") is { Length: > 0 } sc ? sc : searchField;
        var nameColumn = Field("name_column") is { Length: > 0 } nc ? nc : "name";
        var create = Field("create_new_cases") == "on";
        if (ext == "xls")
            return Fail("The emulator cannot read .xls (Excel 97-2003) files; upload the workbook as .xlsx");

        List<SheetRow> rows;
        try
        {
            rows = Xlsx.ReadFirstSheet(file.Data);
        }
        catch (XlsxException e)
        {
            return Fail("Upload failed! Please make sure you are using a valid Excel 2007 or later (.xlsx) file. Error details: " + e.Message);
        }
        if (rows.Count == 0) return Fail("Your spreadsheet is empty. Please try again with a different spreadsheet.");
        var header = rows[0];
        if (header.Cells.Count > MaxColumns) return Fail($"Your spreadsheet has too many columns. A maximum of {MaxColumns} is supported.");
        var invalid = header.Cells.Values.Where(h => !PropertyNameRx().IsMatch(h)).ToList();
        if (invalid.Count > 0) return Fail("Invalid column names: " + string.Join(", ", invalid.Select(h => $"'{h}'")));
        if (header.Cells.Values.Contains("type")) return Fail("Field name \"type\" is reserved");

        var upload = new CaseUpload
        {
            Id = Submissions.NewId(),
            Domain = ctx.Domain!,
            Created = DateTime.UtcNow.Ticks,
            UserName = ctx.User.Username,
            UserId = ctx.User.Id,
            CaseType = caseType,
            Comment = Field("comment") ?? "",
            FileName = fileName,
            File = file.Data,
            SearchField = searchField,
            SearchColumn = searchColumn,
            NameColumn = nameColumn,
            CreateNewCases = create,
            Rows = rows,
            PollsNeeded = Math.Max(0, ctx.State.Config.ImportPolls),
        };
        lock (store.Lock)
        {
            store.Uploads.Add(upload);
            if (upload.PollsNeeded == 0) Finish(ctx, store, upload);
        }
        var statusUrl = $"{ctx.Http.Request.Scheme}://{ctx.Http.Request.Host.Value}/a/{ctx.Domain}/importer/history/uploads/{upload.Id}/status/";
        var w = new PyJsonWriter(256) { EnsureAscii = true };
        w.BeginObject().Prop("code", 200).Prop("message", "success").Prop("status_url", statusUrl).EndObject();
        return ApiResponse.Json(200, w.ToArray());
    }

    private static CaseUpload? Find(ApiContext ctx, DomainStore store)
    {
        var id = ctx.Route("upload_id");
        lock (store.Lock) return store.Uploads.FirstOrDefault(u => u.Id == id);
    }

    /// <summary>Each GET moves the task on: state 0 on the first, 1 with a percentage in between, 2 (or 3) on the last.</summary>
    public static ApiResponse Status(ApiContext ctx)
    {
        var store = ctx.Data.Store(ctx.Domain!)!;
        var u = Find(ctx, store);
        if (u is null) return ApiResponse.HtmlNotFound();
        lock (store.Lock)
        {
            if (u.State < 2)
            {
                u.Polls++;
                if (u.Polls >= u.PollsNeeded)
                {
                    Finish(ctx, store, u);
                }
                else if (u.Polls == 1)
                {
                    u.State = 0;
                    u.Percent = 0;
                }
                else
                {
                    u.State = 1;
                    u.Percent = (u.Polls - 1) * 100 / (u.PollsNeeded - 1);
                }
            }
            var w = new PyJsonWriter(512) { EnsureAscii = true };
            WriteStatus(w, u);
            return ApiResponse.Json(200, w.ToArray());
        }
    }

    private static void WriteStatus(PyJsonWriter w, CaseUpload u)
    {
        w.BeginObject();
        w.Prop("state", u.State);
        w.Key("progress").BeginObject().Prop("percent", u.Percent).EndObject();
        if (u.Result is not { } r || u.State != 2)
        {
            w.PropNull("result");
        }
        else
        {
            w.Key("result").BeginObject()
                .Prop("match_count", r.MatchCount)
                .Prop("created_count", r.CreatedCount)
                .Prop("num_chunks", r.NumChunks)
                .Key("errors").BeginArray();
            foreach (var e in r.Errors)
            {
                w.BeginObject().Prop("title", e.Title).Prop("description", e.Description).Prop("column", e.Column).Key("rows").BeginArray();
                foreach (var row in e.Rows) w.Number((long)row);
                w.EndArray().EndObject();
            }
            w.EndArray();
            if (u.TooManyMatchesField is { } tmm) w.Prop(tmm, r.TooManyMatches);
            w.EndObject();
        }
        w.EndObject();
    }

    public static ApiResponse History(ApiContext ctx)
    {
        var store = ctx.Data.Store(ctx.Domain!)!;
        var limit = Paging.TryPyInt(ctx.Query.Get("limit") ?? "10", out var l) && l > 0 ? (int)Math.Min(l, 1000) : 10;
        var page = Paging.TryPyInt(ctx.Query.Get("page") ?? "1", out var p) && p > 0 ? (int)Math.Min(p, 100000) : 1;
        var w = new PyJsonWriter(1024) { EnsureAscii = true };
        lock (store.Lock)
        {
            w.BeginArray();
            foreach (var u in Enumerable.Reverse(store.Uploads).Skip((page - 1) * limit).Take(limit))
            {
                w.BeginObject();
                w.Prop("domain", u.Domain);
                w.Prop("created", new DateTime(u.Created, DateTimeKind.Utc).ToString("MMM dd, yyyy HH:mm 'UTC'", CultureInfo.InvariantCulture));
                w.Prop("upload_id", u.Id);
                w.Key("task_status");
                WriteStatus(w, u);
                w.Prop("user_name", u.UserName);
                w.Prop("case_type", u.CaseType);
                w.Prop("comment", u.Comment);
                w.Prop("upload_file_name", u.FileName);
                w.Prop("upload_file_length", u.File.Length);
                w.Prop("upload_file_download_allowed", true);
                w.Prop("upload_comment_edit_allowed", true);
                w.EndObject();
            }
            w.EndArray();
        }
        return ApiResponse.Json(200, w.ToArray());
    }

    public static ApiResponse OriginalFile(ApiContext ctx)
    {
        var store = ctx.Data.Store(ctx.Domain!)!;
        var u = Find(ctx, store);
        if (u is null) return ApiResponse.HtmlNotFound();
        return new ApiResponse(200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            .Header("Content-Disposition", $"attachment; filename=\"{u.FileName}\"")
            .Append(u.File);
    }

    public static ApiResponse IdList(ApiContext ctx, bool forms)
    {
        var store = ctx.Data.Store(ctx.Domain!)!;
        var u = Find(ctx, store);
        if (u is null) return ApiResponse.HtmlNotFound();
        lock (store.Lock)
        {
            var ids = forms ? u.FormIds : u.CaseIds;
            return ApiResponse.Text(200, string.Concat(ids.Select(i => i + "\n")), "text/plain");
        }
    }

    public static ApiResponse SetComment(ApiContext ctx)
    {
        var store = ctx.Data.Store(ctx.Domain!)!;
        var u = Find(ctx, store);
        if (u is null) return ApiResponse.HtmlNotFound();
        var parts = Multipart.Parse(ctx.Body, ctx.Http.Request.ContentType);
        var comment = parts?.LastOrDefault(p => p.Name == "comment" && p.FileName is null) is { } p ? Encoding.UTF8.GetString(p.Data) : null;
        if (comment is null && parts is null && ctx.Http.Request.HasFormContentType)
        {
            comment = new QueryParams(Encoding.UTF8.GetString(ctx.Body)).Get("comment");
        }
        if (comment is null) return ApiResponse.Text(400, "POST body must contain non-null comment property", ApiResponse.HtmlType);
        lock (store.Lock) u.Comment = comment;
        return ApiResponse.Json(200, "{}"u8.ToArray());
    }

    // ---- the import itself ---------------------------------------------------------------------------------

    private const string OwnerIdDescription = "Owner ID was used in the mapping but there were errors when uploading because of these values. Make sure the values in this column are ID's for users or case sharing groups or locations.";
    private const string OwnerNameDescription = "Owner name was used in the mapping but there were errors when uploading because of these values.";
    private const string DateDescription = "Date fields were specified that caused an error during conversion. This is likely caused by a value from Excel having the wrong type or not being formatted properly.";
    private const string BlankExternalDescription = "Blank external ids were found in these rows causing as error when importing cases.";
    private const string ParentDescription = "An invalid or unknown parent case was specified for the uploaded case.";
    private const string GenerationDescription = "Cases could not be created from these rows.";

    private static readonly HashSet<string> SpecialColumns = new(StringComparer.Ordinal)
    {
        "case_id", "owner_id", "owner_name", "external_id", "date_opened", "close", "parent_id", "parent_external_id",
        "parent_type", "parent_relationship_type", "parent_identifier",
    };

    /// <summary>Runs the import (call under the store's lock): rows → case blocks → one form per chunk of 100 rows.</summary>
    private static void Finish(ApiContext ctx, DomainStore store, CaseUpload u)
    {
        if (u.CaseType == FailCaseType)
        {
            u.State = 3;
            u.Result = null;
            return;
        }
        var header = u.Rows[0].Cells;
        var errors = new List<ImportError>();
        void Error(string title, string description, string column, int row)
        {
            var e = errors.FirstOrDefault(x => x.Title == title && x.Column == column);
            if (e is null) errors.Add(e = new ImportError(title, description, column, new List<int>()));
            e.Rows.Add(row);
        }

        var users = ctx.Data.Users;
        var dd = store.Current;
        var createdByExternal = new Dictionary<string, string>(StringComparer.Ordinal);
        int matched = 0, created = 0, tooMany = 0, processed = 0;
        var chunk = new List<CaseBlock>();
        var chunkRows = new List<int>();
        var modified = Dates.ToString(DateTime.UtcNow.Ticks, DateStyle.MicroZ);
        var chunks = 0;
        var blankCreates = ctx.State.Alt.BlankExternalIdCreates;
        u.TooManyMatchesField = ctx.State.Alt.TooManyMatchesField;

        void Flush()
        {
            if (chunk.Count == 0) return;
            chunks++;
            var xml = CaseXml.Envelope(FormXmlns, Guid.NewGuid().ToString(), DateTime.UtcNow.Ticks - DateTime.UtcNow.Ticks % 10, u.UserName, u.UserId, "Excel Case Importer", chunk);
            var result = Submissions.Process(store, new SubmissionInput(xml, new List<Attachment>(), null, u.UserId, "127.0.0.1", false));
            if (result.Outcome == SubmissionOutcome.Success)
            {
                u.FormIds.Add(result.FormId);
                foreach (var id in result.CaseIds) if (!u.CaseIds.Contains(id)) u.CaseIds.Add(id);
            }
            else
            {
                foreach (var r in chunkRows) Error("Case Generation", GenerationDescription + " " + result.Problem, "", r);
            }
            chunk.Clear();
            chunkRows.Clear();
        }

        foreach (var row in u.Rows.Skip(1))
        {
            string? Cell(string column)
            {
                foreach (var (col, name) in header)
                {
                    if (name == column && row.Cells.TryGetValue(col, out var v)) return v;
                }
                return null;
            }
            var search = Cell(u.SearchColumn)?.Trim() ?? "";
            // Alternative (blankExternalIdCreates): a blank external id makes a new case (docs/commcare-api.md#bulk-case-upload-case-importer: UNCONFIRMED).
            if (u.SearchField == "external_id" && search.Length == 0 && !(blankCreates && u.CreateNewCases))
            {
                Error("Blank External Id", BlankExternalDescription, u.SearchColumn, row.Number);
                continue;
            }
            // find the case (of this case type)
            string? caseId = null;
            if (search.Length > 0)
            {
                if (u.SearchField == "case_id")
                {
                    if (dd.CaseById.TryGetValue(search, out var c) && c.Type == u.CaseType) caseId = c.Id;
                }
                else if (createdByExternal.TryGetValue(search, out var mine))
                {
                    caseId = mine;
                }
                else
                {
                    var found = dd.Cases.Where(c => c.ExternalId == search && c.Type == u.CaseType).ToList();
                    if (found.Count > 1)
                    {
                        tooMany++;
                        continue;
                    }
                    if (found.Count == 1) caseId = found[0].Id;
                }
            }
            if (caseId is null && !u.CreateNewCases) continue;

            // owner
            string? owner = null;
            if (Cell("owner_id") is { } ownerCell && ownerCell.Trim().Length > 0)
            {
                owner = ownerCell.Trim();
                if (!IsOwner(users, u.Domain, owner))
                {
                    Error("Invalid Owner Id", OwnerIdDescription, "owner_id", row.Number);
                    continue;
                }
            }
            else if (Cell("owner_name") is { } ownerName && ownerName.Trim().Length > 0)
            {
                owner = OwnerByName(users, u.Domain, ownerName.Trim());
                if (owner is null)
                {
                    Error("Invalid Owner Name", OwnerNameDescription, "owner_name", row.Number);
                    continue;
                }
            }
            string? dateOpened = null;
            if (Cell("date_opened") is { } dateCell && dateCell.Trim().Length > 0 && dateCell != "---")
            {
                if (!ParseImportDate(dateCell.Trim(), out var d))
                {
                    Error("Invalid Date", DateDescription, "date_opened", row.Number);
                    continue;
                }
                dateOpened = d;
            }
            IndexAction? parent = null;
            var parentId = Cell("parent_id")?.Trim();
            var parentExt = Cell("parent_external_id")?.Trim();
            if (!string.IsNullOrEmpty(parentId) || !string.IsNullOrEmpty(parentExt))
            {
                var parentType = Cell("parent_type")?.Trim() ?? "";
                CaseRec? p = null;
                if (!string.IsNullOrEmpty(parentId)) dd.CaseById.TryGetValue(parentId, out p);
                else
                {
                    var found = dd.Cases.Where(c => c.ExternalId == parentExt && (parentType.Length == 0 || c.Type == parentType)).ToList();
                    if (found.Count == 1) p = found[0];
                }
                if (p is null)
                {
                    Error("Invalid Parent Id", ParentDescription, !string.IsNullOrEmpty(parentId) ? "parent_id" : "parent_external_id", row.Number);
                    continue;
                }
                var rel = Cell("parent_relationship_type")?.Trim() is { Length: > 0 } r ? r : "child";
                var identifier = Cell("parent_identifier")?.Trim() is { Length: > 0 } pi ? pi : rel == "extension" ? "host" : "parent";
                parent = new IndexAction(identifier, parentType.Length > 0 ? parentType : p.Type, rel, p.Id);
            }

            var b = new CaseBlock { DateModified = modified, UserId = u.UserId };
            var creating = caseId is null;
            if (creating)
            {
                caseId = Guid.NewGuid().ToString();
                b.Create = true;
                b.CaseType = u.CaseType;
                b.CaseName = Value(Cell(u.NameColumn)) ?? "";
                b.OwnerId = owner ?? u.UserId;
                if (u.SearchField == "external_id" && search.Length > 0)
                {
                    b.Updates.Add(new("external_id", search));
                    createdByExternal[search] = caseId;
                }
                created++;
            }
            else
            {
                if (Value(Cell(u.NameColumn)) is { } name) b.Updates.Add(new("case_name", name));
                if (owner is not null) b.Updates.Add(new("owner_id", owner));
                matched++;
            }
            b.CaseId = caseId!;
            if (u.SearchField != "external_id" && Value(Cell("external_id")) is { } extValue) b.Updates.Add(new("external_id", extValue));
            if (dateOpened is not null) b.Updates.Add(new("date_opened", dateOpened));
            foreach (var (col, name) in header)
            {
                if (name == u.SearchColumn || name == u.NameColumn || SpecialColumns.Contains(name)) continue;
                if (!row.Cells.TryGetValue(col, out var raw)) continue;
                b.Updates.Add(new(name, Value(raw) ?? ""));
            }
            if (parent is not null) b.Indices.Add(parent);
            if (Cell("close")?.Trim().ToLowerInvariant() is "yes" or "true" or "1" or "y") b.Close = true;
            chunk.Add(b);
            chunkRows.Add(row.Number);
            processed++;
            if (chunk.Count == ChunkSize)
            {
                Flush();
                dd = store.Current;
            }
        }
        Flush();
        u.State = 2;
        u.Percent = 100;
        u.Result = new ImportResult(matched, created, chunks, tooMany, errors);
        _ = processed;
    }

    /// <summary>A cell value: <c>---</c> means blank.</summary>
    private static string? Value(string? cell) => cell is null ? null : cell == "---" ? "" : cell;

    /// <summary>A date cell: ISO text or an Excel serial number (1900 date system).</summary>
    private static bool ParseImportDate(string v, out string date)
    {
        date = "";
        if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var serial) && serial is > 0 and < 2958466)
        {
            var d = new DateTime(1899, 12, 30, 0, 0, 0, DateTimeKind.Utc).AddDays(serial);
            date = d.ToString(d.TimeOfDay == TimeSpan.Zero ? "yyyy-MM-dd" : "yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture);
            return true;
        }
        if (CaseXml.TryParseDate(v, out var t))
        {
            date = Dates.ToString(t, t % TimeSpan.TicksPerDay == 0 && !v.Contains('T') ? DateStyle.DateOnly : DateStyle.MicroZ);
            return true;
        }
        return false;
    }

    /// <summary>A user (mobile worker or web user), case-sharing group or case-sharing location of the project.</summary>
    private static bool IsOwner(UserStore users, string domain, string id)
    {
        foreach (var a in Accounts.All) if (a.Id == id && a.IsMemberOf(domain)) return true;
        lock (users.Lock)
        {
            if (users.Live(domain, id) is not null) return true;
            if (users.WebUser(domain, id) is not null) return true;
            if (users.Group(domain, id) is { CaseSharing: true }) return true;
            if (users.Location(domain, id) is { Type.SharesCases: true }) return true;
        }
        return false;
    }

    /// <summary><c>get_id_from_name</c>: a mobile worker's username, a case-sharing group's name, a location's site code or name.</summary>
    private static string? OwnerByName(UserStore users, string domain, string name)
    {
        var full = name.Contains('@') ? name : $"{name}@{domain}.commcarehq.org";
        lock (users.Lock)
        {
            foreach (var w in users.Workers(domain))
            {
                if (!w.Retired && string.Equals(w.Username, full, StringComparison.OrdinalIgnoreCase)) return w.Id;
            }
            if (users.GroupByName(domain, name) is { CaseSharing: true } g) return g.Id;
            foreach (var l in users.Locations(domain))
            {
                if (l.Type.SharesCases && (l.SiteCode == name || l.Name == name)) return l.Id;
            }
        }
        return null;
    }
}
