using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Text;
using Microsoft.AspNetCore.Builder;

namespace CommCare.Emulator;

public sealed record AppOption(string Value, string Label, string? LabelSw = null);

public sealed record AppQuestion(
    string Tag, string Type, string Path, string Label, string? LabelSw = null, bool Required = false, string? Relevant = null,
    string? Constraint = null, string? Calculate = null, string? Group = null, string? Repeat = null, AppOption[]? Options = null,
    bool IsGroup = false);

public sealed record AppForm(string Xmlns, string UniqueId, string NameEn, string NameSw, AppQuestion[] Questions);

public sealed record AppModule(string UniqueId, string NameEn, string NameSw, string CaseType, string[] CaseProperties, AppForm[] Forms);

/// <summary>An application document: a working copy (<c>CopyOf</c> null), a build of one, or a remote app.</summary>
public sealed class AppDoc
{
    public required string Id { get; init; }
    public required string Domain { get; init; }
    public required string Name { get; init; }
    public required int Version { get; init; }
    public string DocType { get; init; } = "Application";
    public string? CopyOf { get; init; }
    public bool IsReleased { get; init; }
    public long BuiltOn { get; init; }
    public string? BuildComment { get; init; }
    public long DateCreated { get; init; }
    public AppModule[] Modules { get; init; } = Array.Empty<AppModule>();
    /// <summary>What HQ's validation reports for a working copy that cannot be built (the .ccz of <c>latest=save</c> → 400).</summary>
    public string[] BuildErrors { get; init; } = Array.Empty<string>();

    public bool IsBuild => CopyOf is not null;
}

/// <summary>The seeded applications (demo only): two apps whose ids, build ids and xmlns match the generated forms, plus builds and a remote app.</summary>
public static class AppCatalog
{
    public const string RemoteAppId = "c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4";

    private static readonly AppOption[] DistrictOptions =
    {
        new("north", "North", "Kaskazini"), new("south", "South", "Kusini"), new("east", "East", "Mashariki"),
    };

    private static readonly AppOption[] GenderOptions = { new("female", "Female", "Mwanamke"), new("male", "Male", "Mwanaume") };

    private static readonly AppOption[] CloseReasonOptions =
    {
        new("moved", "Moved away"), new("recovered", "Recovered"), new("deceased", "Deceased"), new("duplicate", "Duplicate"),
    };

    private static AppForm Register(string uid) => new(Generator.XmlnsRegister, uid, "Register", "Sajili", new[]
    {
        new AppQuestion("input", "Text", "/data/household_name", "Household name", "Jina la kaya", Required: true),
        new AppQuestion("select1", "Select", "/data/district", "District", "Wilaya", Required: true, Options: DistrictOptions),
        new AppQuestion("input", "Text", "/data/village", "Village", "Kijiji"),
        new AppQuestion("input", "Int", "/data/hh_size", "Household size", "Idadi ya watu", Constraint: ". > 0 and . < 40"),
        new AppQuestion("input", "Text", "/data/contact_phone_number", "Phone number", "Namba ya simu", Relevant: "/data/hh_size > 0"),
    });

    private static AppForm Followup(string uid) => new(Generator.XmlnsFollowup, uid, "Follow-up Visit", "Ziara ya ufuatiliaji", new[]
    {
        new AppQuestion("input", "Int", "/data/age", "Age", "Umri", Required: true),
        new AppQuestion("select1", "Select", "/data/gender", "Gender", "Jinsia", Options: GenderOptions),
        new AppQuestion("input", "Date", "/data/visit_date", "Visit date", "Tarehe ya ziara", Required: true),
        new AppQuestion("group", "Group", "/data/vitals", "Vitals", "Vipimo", IsGroup: true),
        new AppQuestion("input", "Decimal", "/data/vitals/weight_kg", "Weight (kg)", "Uzito (kg)", Group: "/data/vitals"),
        new AppQuestion("repeat", "Repeat", "/data/medications", "Medications", "Dawa", IsGroup: true),
        new AppQuestion("input", "Text", "/data/medications/med_name", "Medication", "Dawa", Repeat: "/data/medications", Group: "/data/medications"),
        new AppQuestion("input", "Text", "/data/notes", "Notes", "Maelezo"),
        new AppQuestion("hidden", "DataBindOnly", "/data/last_visit_date", "last_visit_date", Calculate: "today()"),
    });

    private static AppForm Close(string uid) => new(Generator.XmlnsClose, uid, "Close Case", "Funga kesi", new[]
    {
        new AppQuestion("select1", "Select", "/data/close_reason", "Reason for closing", "Sababu", Required: true, Options: CloseReasonOptions),
        new AppQuestion("trigger", "Trigger", "/data/confirm", "Press OK to close the case", "Bonyeza OK"),
    });

    private static readonly AppModule[] App1Modules =
    {
        new("a1b2c3d4e5f60718293a4b5c6d7e8f01", "Households", "Kaya", "household",
            new[] { "contact_phone_number", "district", "hh_size", "village" },
            new[] { Register("f1e2d3c4b5a60718293a4b5c6d7e8f01") }),
        new("a1b2c3d4e5f60718293a4b5c6d7e8f02", "Patients", "Wagonjwa", "patient",
            new[] { "age", "close_reason", "district", "gender", "last_visit_date", "village" },
            new[] { Followup("f1e2d3c4b5a60718293a4b5c6d7e8f02"), Close("f1e2d3c4b5a60718293a4b5c6d7e8f03") }),
    };

    private static readonly AppModule[] App2Modules =
    {
        new("b1c2d3e4f5a60718293a4b5c6d7e8f01", "Follow-up", "Ufuatiliaji", "patient",
            new[] { "age", "close_reason", "gender", "last_visit_date" },
            new[]
            {
                Register("e1d2c3b4a5f60718293a4b5c6d7e8f01"), Followup("e1d2c3b4a5f60718293a4b5c6d7e8f02"),
                Close("e1d2c3b4a5f60718293a4b5c6d7e8f03"),
            }),
    };

    public static readonly AppDoc[] Docs =
    {
        new()
        {
            Id = Generator.App1, Domain = "demo", Name = "Household Survey", Version = 19, DateCreated = Dates.Ticks(2023, 11, 1, 9),
            Modules = App1Modules,
        },
        new()
        {
            Id = Generator.App2, Domain = "demo", Name = "Patient Follow-up", Version = 8, DateCreated = Dates.Ticks(2024, 1, 15, 14),
            Modules = App2Modules,
            BuildErrors = new[] { "Form 'Close Case' in module 'Follow-up' has no case action but its module has a case type." },
        },
        new()
        {
            Id = RemoteAppId, Domain = "demo", Name = "Remote Reporting App", Version = 3, DocType = "RemoteApp",
            DateCreated = Dates.Ticks(2023, 6, 1),
        },
        Build(Generator.App1, "d41d8cd98f00b204e9800998ecf84201", 16, "Household Survey", true, Dates.Ticks(2024, 1, 10, 8, 30), "First field release", App1Modules),
        Build(Generator.App1, "d41d8cd98f00b204e9800998ecf84202", 17, "Household Survey", true, Dates.Ticks(2024, 2, 15, 10), "Adds the close form", App1Modules),
        Build(Generator.App1, Generator.Build1, 18, "Household Survey", false, Dates.Ticks(2024, 3, 20, 16, 45), "", App1Modules),
        Build(Generator.App2, "d41d8cd98f00b204e9800998ecf84203", 6, "Patient Follow-up", false, Dates.Ticks(2024, 2, 1, 12), "Pilot", App2Modules),
        Build(Generator.App2, Generator.Build2, 7, "Patient Follow-up", false, Dates.Ticks(2024, 2, 20, 12), "", App2Modules),
    };

    private static AppDoc Build(string appId, string id, int version, string name, bool released, long builtOn, string comment, AppModule[] modules) => new()
    {
        Id = id, Domain = "demo", Name = name, Version = version, CopyOf = appId, IsReleased = released, BuiltOn = builtOn,
        BuildComment = comment, DateCreated = builtOn, Modules = modules,
    };

    /// <summary>The seeded apps, plus the survey app (Survey.cs) when the data set has survey forms.</summary>
    private static IEnumerable<AppDoc> All(DataSet? ds)
    {
        foreach (var d in Docs) yield return d;
        if (ds is { Spec.SurveyForms: > 0 }) foreach (var d in Survey.Docs) yield return d;
    }

    public static AppDoc? Find(DataSet? ds, string domain, string id)
    {
        foreach (var d in All(ds)) if (d.Domain == domain && d.Id == id) return d;
        return null;
    }

    /// <summary>Current (working-copy) apps, remote apps excluded, by date_created.</summary>
    public static List<AppDoc> WorkingCopies(DataSet? ds, string domain)
    {
        var list = new List<AppDoc>();
        foreach (var d in All(ds)) if (d.Domain == domain && !d.IsBuild && d.DocType != "RemoteApp") list.Add(d);
        list.Sort(static (a, b) => a.DateCreated.CompareTo(b.DateCreated));
        return list;
    }

    /// <summary>Every build of an app, by version (only apps <see cref="Find"/> found get here, so the survey builds are always searched).</summary>
    public static List<AppDoc> Builds(string domain, string appId)
    {
        var list = new List<AppDoc>();
        foreach (var d in Docs) if (d.Domain == domain && d.CopyOf == appId) list.Add(d);
        foreach (var d in Survey.Docs) if (d.Domain == domain && d.CopyOf == appId) list.Add(d);
        list.Sort(static (a, b) => a.Version.CompareTo(b.Version));
        return list;
    }
}

/// <summary>
/// Applications (docs/commcare-api.md#applications): the application structure API (no pagination), the
/// Zapier-oriented <c>domain_forms</c> / <c>domain_cases</c> lists, <c>list_apps</c>, and the .ccz download.
/// </summary>
public static class ApplicationsApi
{
    /// <summary><c>LoginAndDomainAuthentication</c>: access_api only; web users only; throttled.</summary>
    public static readonly ApiSpec AppSpec = new("application", AuthMode.DomainResource, null, Throttled: true);

    /// <summary>access_api; not throttled.</summary>
    public static readonly ApiSpec HelperSpec = new("domain_forms", AuthMode.DomainResource, null, Throttled: false);

    /// <summary><c>api_auth()</c> + <c>api_throttle</c>; no permission beyond membership.</summary>
    public static readonly ViewSpec ListAppsSpec = new("list_apps", ViewAuth.ApiAuth, null, ViewThrottle.ApiThrottle);

    /// <summary><c>direct_ccz</c>: no authentication decorator (anonymous works), not throttled.</summary>
    public static readonly ViewSpec CczSpec = new("download_ccz", ViewAuth.Anonymous, null, ViewThrottle.None);

    private const string JsonType = "application/json";

    public static void Map(WebApplication app, EmulatorState st)
    {
        foreach (var p in new[] { "/a/{domain}/api/application/v1/", "/a/{domain}/api/v0.5/application/", "/a/{domain}/api/v0.4/application/" })
        {
            app.Map(p, Pipeline.Handle(st, AppSpec, List));
            app.Map(p + "{id}/", Pipeline.Handle(st, AppSpec, Detail));
        }
        foreach (var p in new[] { "/a/{domain}/api/domain_forms/v1/", "/a/{domain}/api/v0.5/domain_forms/" })
        {
            app.Map(p, Pipeline.Handle(st, HelperSpec, DomainForms));
        }
        foreach (var p in new[] { "/a/{domain}/api/domain_cases/v1/", "/a/{domain}/api/v0.5/domain_cases/" })
        {
            app.Map(p, Pipeline.Handle(st, HelperSpec with { Name = "domain_cases" }, DomainCases));
        }
        app.Map("/a/{domain}/apps/api/list_apps/", ViewPipeline.Handle(st, ListAppsSpec, ListApps));
        app.Map("/a/{domain}/apps/api/download_ccz/", ViewPipeline.Handle(st, CczSpec, DownloadCcz));
    }

    // ---- application structure --------------------------------------------------------------------------

    /// <summary><c>DoesNothingPaginatorCompat</c>: every app, limit/offset ignored.</summary>
    public static ApiResponse List(ApiContext ctx)
    {
        var apps = AppCatalog.WorkingCopies(ctx.Data, ctx.Domain!);
        var extras = ctx.Query.Flag("extras");
        var w = new PyJsonWriter(16 * 1024);
        w.BeginObject().Key("meta").BeginObject()
            .PropNull("limit").PropNull("next").Prop("offset", 0).PropNull("previous").Prop("total_count", apps.Count)
            .EndObject();
        w.Key("objects").BeginArray();
        foreach (var a in apps) WriteApp(w, a, extras);
        w.EndArray().EndObject();
        return ApiResponse.Json(200, w.ToArray());
    }

    /// <summary>A working copy or a build; a remote app or an unknown id → 404, empty body.</summary>
    public static ApiResponse Detail(ApiContext ctx)
    {
        var a = AppCatalog.Find(ctx.Data, ctx.Domain!, ctx.Route("id"));
        if (a is null || a.DocType == "RemoteApp") return ApiResponse.Empty(404);
        var w = new PyJsonWriter(8 * 1024);
        WriteApp(w, a, ctx.Query.Flag("extras"));
        return ApiResponse.Json(200, w.ToArray());
    }

    private static void WriteApp(PyJsonWriter w, AppDoc a, bool extras)
    {
        // With extras=true the raw document's attributes are merged in; the API's own fields win on clashes.
        var raw = new SortedDictionary<string, Action>(StringComparer.Ordinal);
        if (extras)
        {
            raw["_id"] = () => w.String(a.Id);
            raw["application_version"] = () => w.String("2.0");
            raw["build_spec"] = () => w.BeginObject().Prop("doc_type", "BuildSpec").Prop("version", "2.53.0").EndObject();
            raw["copy_of"] = () => w.String(a.CopyOf);
            raw["date_created"] = () => w.Date(a.DateCreated, DateStyle.MicroZ);
            raw["doc_type"] = () => w.String(a.DocType);
            raw["domain"] = () => w.String(a.Domain);
            raw["langs"] = () => w.BeginArray().String("en").String("sw").EndArray();
        }
        raw["build_comment"] = () => w.String(a.IsBuild ? a.BuildComment : null);
        raw["built_from_app_id"] = () => w.String(a.CopyOf);
        raw["built_on"] = () => w.Date(a.IsBuild ? a.BuiltOn : 0, DateStyle.MicroZ);
        raw["id"] = () => w.String(a.Id);
        raw["is_released"] = () => w.Bool(a.IsReleased);
        raw["modules"] = () => WriteModules(w, a);
        raw["name"] = () => w.String(a.Name);
        raw["resource_uri"] = () => w.String("");
        raw["version"] = () => w.Number((long)a.Version);
        raw["versions"] = () =>
        {
            w.BeginArray();
            if (!a.IsBuild)
            {
                foreach (var b in AppCatalog.Builds(a.Domain, a.Id))
                {
                    w.BeginObject()
                        .Prop("build_comment", b.BuildComment)
                        .PropDate("built_on", b.BuiltOn, DateStyle.MicroZ)
                        .Prop("id", b.Id)
                        .Prop("is_released", b.IsReleased)
                        .Prop("version", b.Version)
                        .EndObject();
                }
            }
            w.EndArray();
        };
        w.BeginObject();
        foreach (var (key, write) in raw)
        {
            w.Key(key);
            write();
        }
        w.EndObject();
    }

    private static void WriteModules(PyJsonWriter w, AppDoc a)
    {
        w.BeginArray();
        foreach (var m in a.Modules)
        {
            w.BeginObject();
            w.Key("case_properties").BeginArray();
            foreach (var p in m.CaseProperties) w.String(p);
            w.EndArray();
            w.Prop("case_type", m.CaseType);
            w.Key("forms").BeginArray();
            foreach (var f in m.Forms)
            {
                w.BeginObject();
                w.Key("name").BeginObject().Prop("en", f.NameEn).Prop("sw", f.NameSw).EndObject();
                w.Key("questions").BeginArray();
                foreach (var q in f.Questions) WriteQuestion(w, q);
                w.EndArray();
                w.Prop("unique_id", f.UniqueId);
                w.Prop("xmlns", f.Xmlns);
                w.EndObject();
            }
            w.EndArray();
            w.Key("name").BeginObject().Prop("en", m.NameEn).Prop("sw", m.NameSw).EndObject();
            w.Prop("unique_id", m.UniqueId);
            w.EndObject();
        }
        w.EndArray();
    }

    /// <summary><c>form.get_questions(...)</c>-style keys, sorted.</summary>
    private static void WriteQuestion(PyJsonWriter w, AppQuestion q)
    {
        w.BeginObject();
        w.Prop("calculate", q.Calculate);
        w.Prop("comment", null);
        w.Prop("constraint", q.Constraint);
        w.Prop("group", q.Group);
        w.Prop("hashtagValue", "#form/" + q.Path["/data/".Length..]);
        w.Prop("is_group", q.IsGroup);
        w.Prop("label", q.Label);
        w.Key("options").BeginArray();
        foreach (var o in q.Options ?? Array.Empty<AppOption>())
        {
            w.BeginObject().Prop("label", o.Label).Key("translations").BeginObject().Prop("en", o.Label);
            if (o.LabelSw is not null) w.Prop("sw", o.LabelSw);
            w.EndObject().Prop("value", o.Value).EndObject();
        }
        w.EndArray();
        w.Prop("relevant", q.Relevant);
        w.Prop("repeat", q.Repeat ?? "");
        w.Prop("required", q.Required);
        w.Prop("tag", q.Tag);
        w.Key("translations").BeginObject().Prop("en", q.Label);
        if (q.LabelSw is not null) w.Prop("sw", q.LabelSw);
        w.EndObject();
        w.Prop("type", q.Type);
        w.Prop("value", q.Path);
        w.EndObject();
    }

    // ---- domain_forms / domain_cases ------------------------------------------------------------------------

    /// <summary><c>application_id</c> required (missing or unknown → 404, tastypie's canned body); 200 / 1000.</summary>
    public static ApiResponse DomainForms(ApiContext ctx)
    {
        var id = ctx.Query.Get("application_id");
        var a = string.IsNullOrEmpty(id) ? null : AppCatalog.Find(ctx.Data, ctx.Domain!, id);
        if (a is null || a.DocType == "RemoteApp") return UsersApi.CannedNotFound();
        var items = new List<(string Name, string Xmlns)>();
        foreach (var m in a.Modules)
        {
            foreach (var f in m.Forms) items.Add(($"{a.Name} > {m.NameEn} > {f.NameEn}", f.Xmlns));
        }
        var err = Paging.LimitOffsetOrError(ctx.Query, 200, 1000, out var limit, out var offset);
        if (err is not null) return err;
        var objects = new List<ReadOnlyMemory<byte>>();
        for (var i = offset; i < items.Count && objects.Count < limit; i++)
        {
            var w = new PyJsonWriter(128);
            w.BeginObject().Prop("form_name", items[(int)i].Name).Prop("form_xmlns", items[(int)i].Xmlns).EndObject();
            objects.Add(w.ToArray());
        }
        return Paging.Page(ctx, limit, offset, items.Count, objects);
    }

    /// <summary>The case types that have at least one case in the data set; 100 / 1000.</summary>
    public static ApiResponse DomainCases(ApiContext ctx)
    {
        var types = new SortedSet<string>(StringComparer.Ordinal);
        if (ctx.Data.For(ctx.Domain!) is { } d) foreach (var c in d.Cases) types.Add(c.Type);
        var list = new List<string>(types);
        var err = Paging.LimitOffsetOrError(ctx.Query, 100, 1000, out var limit, out var offset);
        if (err is not null) return err;
        var objects = new List<ReadOnlyMemory<byte>>();
        for (var i = offset; i < list.Count && objects.Count < limit; i++)
        {
            var w = new PyJsonWriter(64);
            w.BeginObject().Prop("case_type", list[(int)i]).Prop("placeholder", "").EndObject();
            objects.Add(w.ToArray());
        }
        return Paging.Page(ctx, limit, offset, list.Count, objects);
    }

    // ---- list_apps / download_ccz ---------------------------------------------------------------------------

    public static ApiResponse ListApps(ApiContext ctx)
    {
        var w = new PyJsonWriter(1024);
        w.BeginObject().Prop("status", "success").Key("applications").BeginArray();
        var baseUrl = ctx.Http.Request.Scheme + "://" + ctx.Http.Request.Host.Value;
        foreach (var a in AppCatalog.WorkingCopies(ctx.Data, ctx.Domain!))
        {
            w.BeginObject()
                .Prop("name", a.Name)
                .Prop("version", a.Version)
                .Prop("app_id", a.Id)
                .Prop("download_url", $"{baseUrl}/a/{ctx.Domain}/apps/api/download_ccz/?app_id={a.Id}")
                .EndObject();
        }
        w.EndArray().EndObject();
        return new ApiResponse(200, JsonType).Append(w.ToArray());
    }

    private static ApiResponse CczError(int status, string message)
    {
        var w = new PyJsonWriter(128);
        w.BeginObject().Prop("status", "error").Prop("message", message).EndObject();
        return new ApiResponse(status, JsonType).Append(w.ToArray());
    }

    /// <summary>
    /// <c>direct_ccz</c>: <c>app_id</c> (an app or a build id), then <c>version</c> (a build number) or <c>latest</c>
    /// (<c>release</c> | <c>build</c> | <c>save</c>, the default); <c>include_multimedia=true</c> adds the media files.
    /// </summary>
    public static ApiResponse DownloadCcz(ApiContext ctx)
    {
        var q = ctx.Query;
        var appId = q.Get("app_id");
        if (string.IsNullOrEmpty(appId)) return CczError(400, "You must specify `app_id` in your GET parameters");
        var version = q.Get("version");
        var latest = q.Get("latest");
        if (!string.IsNullOrEmpty(version) && !string.IsNullOrEmpty(latest)) return CczError(400, "You can't specify both 'version' and 'latest'");
        if (!string.IsNullOrEmpty(latest) && latest is not ("release" or "build" or "save"))
            return CczError(400, "latest must be either 'release', 'build', or 'save'");
        var v = 0;
        if (!string.IsNullOrEmpty(version) && !int.TryParse(version, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out v))
            return CczError(400, "'version' must be an integer");

        var domain = ctx.Domain!;
        var doc = AppCatalog.Find(ctx.Data, domain, appId);
        if (doc is null || doc.DocType == "RemoteApp") return CczError(404, "Application not found");
        var masterId = doc.CopyOf ?? doc.Id;
        AppDoc? target = doc;
        if (!string.IsNullOrEmpty(version))
        {
            target = AppCatalog.Builds(domain, masterId).Find(b => b.Version == v);
        }
        else if (latest is "release" or "build")
        {
            target = null;
            foreach (var b in AppCatalog.Builds(domain, masterId))
            {
                if (latest == "build" || b.IsReleased) target = b;
            }
        }
        if (target is null) return CczError(404, "Application not found");
        if (!target.IsBuild && target.BuildErrors.Length > 0)
        {
            var html = new StringBuilder("<p>Sorry, your application has errors and cannot be built:</p><ul>");
            foreach (var e in target.BuildErrors) html.Append("<li>").Append(System.Net.WebUtility.HtmlEncode(e)).Append("</li>");
            html.Append("</ul>");
            var w = new PyJsonWriter(256);
            w.BeginObject().Prop("error_html", html.ToString()).EndObject();
            return new ApiResponse(400, JsonType).Append(w.ToArray());
        }

        var bytes = BuildCcz(target, q.Flag("include_multimedia"));
        return new ApiResponse(200, "application/zip")
            .Header("Content-Disposition", $"attachment; filename=\"{Slugify(target.Name)}.ccz\"")
            .Append(bytes);
    }

    /// <summary>Django's <c>slugify</c>: ASCII letters, digits, <c>_</c> and <c>-</c>, spaces → <c>-</c>, lower case.</summary>
    public static string Slugify(string s)
    {
        var sb = new StringBuilder();
        foreach (var ch in s.Normalize(NormalizationForm.FormKD))
        {
            if (char.IsAsciiLetterOrDigit(ch) || ch is '_' or '-') sb.Append(char.ToLowerInvariant(ch));
            else if (char.IsWhiteSpace(ch)) sb.Append('-');
        }
        var slug = sb.ToString();
        while (slug.Contains("--", StringComparison.Ordinal)) slug = slug.Replace("--", "-", StringComparison.Ordinal);
        return slug.Trim('-', '_');
    }

    // A 1×1 transparent PNG (the app logo when include_multimedia=true).
    private static readonly byte[] LogoPng = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==");

    /// <summary>A small but real .ccz: profile, suite, media suite, app strings, one XForm per form.</summary>
    public static byte[] BuildCcz(AppDoc a, bool multimedia)
    {
        var masterId = a.CopyOf ?? a.Id;
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, string text) => AddBytes(name, Encoding.UTF8.GetBytes(text));
            void AddBytes(string name, byte[] bytes)
            {
                var e = zip.CreateEntry(name, CompressionLevel.Fastest);
                e.LastWriteTime = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
                using var s = e.Open();
                s.Write(bytes);
            }
            var ver = a.Version.ToString(CultureInfo.InvariantCulture);
            Add("profile.ccpr",
                $"<?xml version='1.0' encoding='UTF-8'?>\n<profile version=\"{ver}\" uniqueid=\"{masterId}\" name=\"{Esc(a.Name)}\" " +
                "update=\"http://127.0.0.1/a/demo/apps/download/" + masterId + "/profile.ccpr\" requiredMajor=\"2\" requiredMinor=\"53\">\n" +
                "  <property key=\"CommCareLogin\" value=\"on\"/>\n" +
                $"  <suite><resource id=\"suite\" version=\"{ver}\"><location authority=\"local\">./suite.xml</location></resource></suite>\n" +
                "</profile>\n");
            var suite = new StringBuilder();
            suite.Append($"<?xml version='1.0' encoding='UTF-8'?>\n<suite version=\"{ver}\" descriptor=\"Suite File\">\n");
            var strings = new StringBuilder($"app.display.name={a.Name}\n");
            var sw = new StringBuilder($"app.display.name={a.Name}\n");
            for (var m = 0; m < a.Modules.Length; m++)
            {
                var mod = a.Modules[m];
                strings.Append($"modules.m{m}={mod.NameEn}\n");
                sw.Append($"modules.m{m}={mod.NameSw}\n");
                for (var f = 0; f < mod.Forms.Length; f++)
                {
                    var form = mod.Forms[f];
                    var path = $"modules-{m}/forms-{f}.xml";
                    suite.Append($"  <xform><resource id=\"{form.UniqueId}\" version=\"{ver}\"><location authority=\"local\">./{path}</location></resource></xform>\n");
                    strings.Append($"forms.m{m}f{f}={form.NameEn}\n");
                    sw.Append($"forms.m{m}f{f}={form.NameSw}\n");
                    Add(path, XForm(form));
                }
                suite.Append($"  <menu id=\"m{m}\"><text><locale id=\"modules.m{m}\"/></text>");
                for (var f = 0; f < mod.Forms.Length; f++) suite.Append($"<command id=\"m{m}-f{f}\"/>");
                suite.Append("</menu>\n");
            }
            suite.Append("  <locale language=\"default\"><resource id=\"app_default_strings\" version=\"" + ver + "\"><location authority=\"local\">./default/app_strings.txt</location></resource></locale>\n");
            suite.Append("  <locale language=\"en\"><resource id=\"app_en_strings\" version=\"" + ver + "\"><location authority=\"local\">./en/app_strings.txt</location></resource></locale>\n");
            suite.Append("  <locale language=\"sw\"><resource id=\"app_sw_strings\" version=\"" + ver + "\"><location authority=\"local\">./sw/app_strings.txt</location></resource></locale>\n");
            suite.Append("</suite>\n");
            Add("suite.xml", suite.ToString());
            Add("default/app_strings.txt", strings.ToString());
            Add("en/app_strings.txt", strings.ToString());
            Add("sw/app_strings.txt", sw.ToString());
            var media = new StringBuilder($"<?xml version='1.0' encoding='UTF-8'?>\n<suite version=\"{ver}\" descriptor=\"Media Suite File\">\n");
            if (multimedia)
            {
                media.Append($"  <media path=\"../../commcare/image\"><resource id=\"media-logo\" version=\"{ver}\" descriptor=\"logo.png\"><location authority=\"local\">./commcare/image/logo.png</location></resource></media>\n");
                AddBytes("commcare/image/logo.png", LogoPng);
            }
            media.Append("</suite>\n");
            Add("media_suite.xml", media.ToString());
        }
        return ms.ToArray();
    }

    private static string Esc(string s) => System.Security.SecurityElement.Escape(s) ?? "";

    private static string XForm(AppForm f)
    {
        var sb = new StringBuilder();
        sb.Append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<h:html xmlns:h=\"http://www.w3.org/1999/xhtml\" xmlns=\"http://www.w3.org/2002/xforms\">\n");
        sb.Append($"<h:head><h:title>{Esc(f.NameEn)}</h:title><model><instance><data xmlns=\"{f.Xmlns}\" name=\"{Esc(f.NameEn)}\">");
        foreach (var q in f.Questions)
        {
            if (q.Group is null) sb.Append('<').Append(q.Path["/data/".Length..]).Append("/>");
        }
        sb.Append("</data></instance>");
        foreach (var q in f.Questions)
        {
            if (q.IsGroup) continue;
            sb.Append($"<bind nodeset=\"{q.Path}\"");
            if (q.Required) sb.Append(" required=\"true()\"");
            if (q.Relevant is not null) sb.Append($" relevant=\"{Esc(q.Relevant)}\"");
            if (q.Constraint is not null) sb.Append($" constraint=\"{Esc(q.Constraint)}\"");
            if (q.Calculate is not null) sb.Append($" calculate=\"{Esc(q.Calculate)}\"");
            sb.Append("/>");
        }
        sb.Append("</model></h:head>\n<h:body>");
        foreach (var q in f.Questions)
        {
            if (q.IsGroup || q.Tag == "hidden") continue;
            sb.Append($"<{q.Tag} ref=\"{q.Path}\"><label>{Esc(q.Label)}</label>");
            foreach (var o in q.Options ?? Array.Empty<AppOption>()) sb.Append($"<item><label>{Esc(o.Label)}</label><value>{o.Value}</value></item>");
            sb.Append($"</{q.Tag}>");
        }
        sb.Append("</h:body>\n</h:html>\n");
        return sb.ToString();
    }
}
