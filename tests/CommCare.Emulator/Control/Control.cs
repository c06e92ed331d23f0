using System;
using System.Buffers;
using System.Collections.Generic;
using System.Linq;
using System.IO;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CommCare.Emulator;

/// <summary>
/// The control plane under /_emulator/ (no auth, not logged, never faulted or throttled). See README.md.
/// </summary>
public static class Control
{
    private static readonly SemaphoreSlim RegenLock = new(1, 1);

    public static void Map(WebApplication app, EmulatorState st)
    {
        app.MapMethods("/_emulator/health", new[] { "GET" }, (RequestDelegate)(ctx =>
            Json(ctx, 200, w =>
            {
                w.WriteStartObject();
                w.WriteBoolean("ok", true);
                w.WriteString("baseUrl", st.BaseUrl);
                w.WriteBoolean("dataReady", st.Data is not null);
                w.WriteEndObject();
            })));

        app.MapMethods("/_emulator/reset", new[] { "POST" }, (RequestDelegate)(ctx =>
        {
            st.Reset();
            return Json(ctx, 200, w =>
            {
                w.WriteStartObject();
                w.WriteBoolean("ok", true);
                w.WriteEndObject();
            });
        }));

        app.MapMethods("/_emulator/dataset", new[] { "GET" }, (RequestDelegate)(async ctx =>
        {
            if (st.Data is not { } ds)
            {
                await Error(ctx, 503, "data set not ready");
                return;
            }
            // ?wait=true: answer once every record's JSON is pre-serialised
            if (string.Equals(ctx.Request.Query["wait"], "true", StringComparison.OrdinalIgnoreCase)) await ds.JsonReady;
            await Json(ctx, 200, w => WriteDataSet(w, ds));
        }));

        app.MapMethods("/_emulator/dataset", new[] { "POST" }, (RequestDelegate)(async ctx =>
        {
            using var doc = await ReadBody(ctx);
            if (doc is null)
            {
                await Error(ctx, 400, "body must be a JSON object");
                return;
            }
            DataSetSpec spec;
            try
            {
                spec = ParseSpec(doc.RootElement);
            }
            catch (Exception e) when (e is FormatException or InvalidOperationException)
            {
                await Error(ctx, 400, e.Message);
                return;
            }
            await RegenLock.WaitAsync();
            DataSet ds;
            try
            {
                ds = await Task.Run(() => st.Regenerate(spec));
                await ds.JsonReady; // answer when the new set is fully pre-serialised
            }
            finally
            {
                RegenLock.Release();
            }
            await Json(ctx, 200, w => WriteDataSet(w, ds));
        }));

        // Both put the whole directory back to the seed: mobile workers, groups, locations and location types,
        // roles, web users and invitations.
        foreach (var path in new[] { "/_emulator/users/reset", "/_emulator/directory/reset" })
        {
            app.MapMethods(path, new[] { "POST" }, (RequestDelegate)(ctx =>
            {
                if (st.Data is not { } ds) return Error(ctx, 503, "data set not ready");
                ds.Users.Reset();
                return Json(ctx, 200, w =>
                {
                    w.WriteStartObject();
                    w.WriteBoolean("ok", true);
                    w.WriteEndObject();
                });
            }));
        }

        app.MapMethods("/_emulator/config", new[] { "GET" }, (RequestDelegate)(ctx => Json(ctx, 200, w => WriteConfig(w, st.Config, st))));
        app.MapMethods("/_emulator/config", new[] { "POST" }, (RequestDelegate)(async ctx =>
        {
            using var doc = await ReadBody(ctx);
            if (doc is null)
            {
                await Error(ctx, 400, "body must be a JSON object");
                return;
            }
            var cfg = st.Config;
            var root = doc.RootElement;
            if (root.TryGetProperty("nextStyle", out var ns))
            {
                var s = ns.ValueKind == JsonValueKind.String ? ns.GetString() : null;
                NextStyle? style = s?.ToLowerInvariant() switch
                {
                    "path" => NextStyle.Path,
                    "query" => NextStyle.Query,
                    "absolute" => NextStyle.Absolute,
                    _ => null,
                };
                if (style is null)
                {
                    await Error(ctx, 400, "nextStyle must be \"path\", \"query\" or \"absolute\"");
                    return;
                }
                cfg = cfg with { NextStyle = style.Value };
            }
            if (root.TryGetProperty("appendSlash", out var asl))
            {
                if (asl.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    await Error(ctx, 400, "appendSlash must be a boolean");
                    return;
                }
                cfg = cfg with { AppendSlash = asl.GetBoolean() };
            }
            if (root.TryGetProperty("importPolls", out var ip))
            {
                if (ip.ValueKind != JsonValueKind.Number || !ip.TryGetInt32(out var polls) || polls < 0 || polls > 1000)
                {
                    await Error(ctx, 400, "importPolls must be an integer between 0 and 1000");
                    return;
                }
                cfg = cfg with { ImportPolls = polls };
            }
            if (root.TryGetProperty("secureSubmissions", out var ss))
            {
                if (ss.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    await Error(ctx, 400, "secureSubmissions must be a boolean");
                    return;
                }
                cfg = cfg with { SecureSubmissions = ss.GetBoolean() };
            }
            if (root.TryGetProperty("deprecatedCaseTypes", out var dct))
            {
                if (dct.ValueKind != JsonValueKind.Array || dct.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
                {
                    await Error(ctx, 400, "deprecatedCaseTypes must be an array of strings");
                    return;
                }
                cfg = cfg with { DeprecatedCaseTypes = new HashSet<string>(dct.EnumerateArray().Select(e => e.GetString()!), StringComparer.Ordinal) };
            }
            if (st.Extras.Configure(root, apply: false) is { } extrasError)
            {
                await Error(ctx, 400, extrasError);
                return;
            }
            if (st.Alt.Configure(root, apply: false) is { } altError)
            {
                await Error(ctx, 400, altError);
                return;
            }
            if (st.Features.Configure(root) is { } featureError)
            {
                await Error(ctx, 400, featureError);
                return;
            }
            st.Extras.Configure(root);
            st.Alt.Configure(root);
            st.Config = cfg;
            await Json(ctx, 200, w => WriteConfig(w, cfg, st));
        }));

        app.MapMethods("/_emulator/faults", new[] { "GET" }, (RequestDelegate)(ctx => Json(ctx, 200, st.Faults.Describe)));
        app.MapMethods("/_emulator/faults", new[] { "DELETE" }, (RequestDelegate)(ctx =>
        {
            st.Faults.Reset();
            return Json(ctx, 200, st.Faults.Describe);
        }));
        app.MapMethods("/_emulator/faults", new[] { "POST" }, (RequestDelegate)(async ctx =>
        {
            using var doc = await ReadBody(ctx);
            if (doc is null)
            {
                await Error(ctx, 400, "body must be a JSON object");
                return;
            }
            try
            {
                st.Faults.Configure(doc.RootElement);
                if (doc.RootElement.TryGetProperty("rateLimit", out var rl)) ConfigureRateLimit(st, rl);
            }
            catch (Exception e) when (e is FormatException or InvalidOperationException)
            {
                await Error(ctx, 400, e.Message);
                return;
            }
            await Json(ctx, 200, st.Faults.Describe);
        }));

        app.MapMethods("/_emulator/ratelimit", new[] { "GET" }, (RequestDelegate)(ctx => Json(ctx, 200, w => WriteRateLimit(w, st))));
        app.MapMethods("/_emulator/ratelimit", new[] { "POST" }, (RequestDelegate)(async ctx =>
        {
            using var doc = await ReadBody(ctx);
            if (doc is null)
            {
                await Error(ctx, 400, "body must be a JSON object");
                return;
            }
            try
            {
                var root = doc.RootElement;
                ConfigureRateLimit(st, root.TryGetProperty("rateLimit", out var rl) ? rl : root);
            }
            catch (Exception e) when (e is FormatException or InvalidOperationException)
            {
                await Error(ctx, 400, e.Message);
                return;
            }
            await Json(ctx, 200, w => WriteRateLimit(w, st));
        }));

        // A deterministic (generated, never held in memory) attachment on a form or a case, for streaming tests.
        app.MapMethods("/_emulator/attachments", new[] { "POST" }, (RequestDelegate)(async ctx =>
        {
            using var doc = await ReadBody(ctx);
            if (doc is null)
            {
                await Error(ctx, 400, "body must be a JSON object");
                return;
            }
            if (st.Data is not { } ds)
            {
                await Error(ctx, 503, "data set not ready");
                return;
            }
            var root = doc.RootElement;
            string? Str(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var domain = Str("domain") ?? "demo";
            var formId = Str("formId");
            var caseId = Str("caseId");
            var name = Str("name");
            var contentType = Str("contentType") ?? "application/octet-stream";
            long size = root.TryGetProperty("size", out var sz) && sz.ValueKind == JsonValueKind.Number && sz.TryGetInt64(out var n) ? n : -1;
            long seed = root.TryGetProperty("seed", out var sd) && sd.ValueKind == JsonValueKind.Number && sd.TryGetInt64(out var sn) ? sn : 1;
            if (ds.Store(domain) is not { } store)
            {
                await Error(ctx, 404, $"unknown domain '{domain}'");
                return;
            }
            if ((formId is null) == (caseId is null) || string.IsNullOrEmpty(name) || name == "form.xml" || size < 0 || size > (4L << 30))
            {
                await Error(ctx, 400, "give formId or caseId, a name (not form.xml) and a size between 0 and 4 GiB");
                return;
            }
            var att = new Attachment(name, contentType, new GeneratedBlob(seed, size, jpeg: contentType == "image/jpeg" && size >= 24));
            string? missing = null;
            lock (store.Lock)
            {
                var tx = new DomainTx(store);
                if (formId is not null)
                {
                    if (tx.Form(formId) is not { } f)
                    {
                        missing = $"no form '{formId}' in {domain}";
                    }
                    else
                    {
                        var copy = f.Clone();
                        copy.Attachments = f.Attachments.Where(a => a.Name != name).Append(att).OrderBy(a => a.Name, StringComparer.Ordinal).ToArray();
                        tx.ReplaceFormInPlace(copy);
                    }
                }
                else if (tx.Case(caseId!) is not { } c)
                {
                    missing = $"no case '{caseId}' in {domain}";
                }
                else
                {
                    var copy = c.Clone();
                    if (!copy.Created) copy.Origin ??= c;
                    copy.Attachments = c.Attachments.Where(a => a.Name != name).Append(att).OrderBy(a => a.Name, StringComparer.Ordinal).ToArray();
                    tx.ReplaceInPlace(copy);
                }
                if (missing is null) tx.Commit();
            }
            if (missing is not null)
            {
                await Error(ctx, 404, missing);
                return;
            }
            var url = formId is not null
                ? $"{st.BaseUrl}/a/{domain}/api/form_attachment/v1/{formId}/{name}"
                : $"{st.BaseUrl}/a/{domain}/api/case_attachment/v1/{caseId}/{name}";
            await Json(ctx, 200, w =>
            {
                w.WriteStartObject();
                w.WriteBoolean("ok", true);
                w.WriteString("domain", domain);
                if (formId is not null) w.WriteString("formId", formId);
                else w.WriteString("caseId", caseId);
                w.WriteString("name", name);
                w.WriteNumber("size", size);
                w.WriteString("contentType", contentType);
                w.WriteString("url", url);
                w.WriteEndObject();
            });
        }));

        app.MapMethods("/_emulator/requests", new[] { "GET" }, (RequestDelegate)(ctx =>
        {
            int? last = int.TryParse(ctx.Request.Query["last"], out var n) ? n : null;
            var entries = st.Log.Snapshot(last);
            return Json(ctx, 200, w => RequestLog.WriteEntries(w, entries));
        }));
        app.MapMethods("/_emulator/requests", new[] { "DELETE" }, (RequestDelegate)(ctx =>
        {
            st.Log.Clear();
            return Json(ctx, 200, w =>
            {
                w.WriteStartObject();
                w.WriteBoolean("ok", true);
                w.WriteEndObject();
            });
        }));
        app.MapMethods("/_emulator/stats", new[] { "GET" }, (RequestDelegate)(ctx => Json(ctx, 200, st.Log.WriteStats)));

        app.Map("/_emulator/{**rest}", (RequestDelegate)(ctx => Error(ctx, 404, "unknown control endpoint or method")));
    }

    private static void ConfigureRateLimit(EmulatorState st, JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new FormatException("rateLimit must be a JSON object");
        var ps = e.TryGetProperty("perSecond", out var a) && a.ValueKind == JsonValueKind.Number ? a.GetInt32() : 0;
        var pm = e.TryGetProperty("perMinute", out var b) && b.ValueKind == JsonValueKind.Number ? b.GetInt32() : 0;
        if (ps < 0 || pm < 0) throw new FormatException("limits must be >= 0");
        st.RateLimit.Configure(ps, pm);
    }

    private static DataSetSpec ParseSpec(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new FormatException("body must be a JSON object");
        int Int(string name, int def)
        {
            if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return def;
            var i = v.GetInt32();
            if (i < 0 || i > 5_000_000) throw new FormatException($"{name} must be between 0 and 5000000");
            return i;
        }
        var seed = e.TryGetProperty("seed", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt64() : 1;
        return new DataSetSpec(
            Int("cases", DataSetSpec.DefaultCases),
            Int("forms", DataSetSpec.DefaultForms),
            Int("sameTimestampForms", 0),
            Int("sameTimestampCases", 0),
            seed,
            Int("surveyForms", 0),
            Int("sameTimestampSurveyForms", 0));
    }

    public static void WriteDataSet(Utf8JsonWriter w, DataSet ds)
    {
        w.WriteStartObject();
        var demo = ds.For("demo")!;
        w.WriteNumber("cases", demo.Cases.Length);
        w.WriteNumber("forms", demo.Forms.Length);
        w.WriteNumber("archivedForms", demo.ArchivedForms);
        w.WriteNumber("sameTimestampForms", ds.Spec.SameTimestampForms > 1 ? Math.Min(ds.Spec.SameTimestampForms, demo.Forms.Length) : 0);
        w.WriteNumber("sameTimestampCases", ds.Spec.SameTimestampCases > 1 ? Math.Min(ds.Spec.SameTimestampCases, demo.Cases.Length) : 0);
        w.WriteNumber("surveyForms", demo.SurveyForms);
        w.WriteNumber("sameTimestampSurveyForms", ds.Spec.SameTimestampSurveyForms > 1 ? Math.Min(ds.Spec.SameTimestampSurveyForms, demo.SurveyForms) : 0);
        w.WriteNumber("seed", ds.Spec.Seed);
        w.WriteNumber("generationMs", Math.Round(ds.GenerationMs, 1));
        w.WriteBoolean("jsonReady", ds.JsonReady.IsCompleted);
        if (ds.JsonReadyMs is { } jr) w.WriteNumber("jsonReadyMs", Math.Round(jr, 1));
        else w.WriteNull("jsonReadyMs");
        w.WriteStartObject("domains");
        foreach (var name in ds.Domains.Keys)
        {
            var d = ds.For(name)!;
            w.WriteStartObject(name);
            w.WriteNumber("cases", d.Cases.Length);
            w.WriteNumber("forms", d.Forms.Length);
            w.WriteNumber("archivedForms", d.ArchivedForms);
            DateProp(w, "sharedCaseIndexedOn", d.SharedCaseIndexedOn);
            DateProp(w, "sharedFormIndexedOn", d.SharedFormIndexedOn);
            DateProp(w, "sharedSurveyFormIndexedOn", d.SharedSurveyFormIndexedOn);
            DateProp(w, "firstCaseIndexedOn", d.CaseIndexedOn.Length > 0 ? d.CaseIndexedOn[0] : 0);
            DateProp(w, "lastCaseIndexedOn", d.CaseIndexedOn.Length > 0 ? d.CaseIndexedOn[^1] : 0);
            DateProp(w, "firstFormIndexedOn", d.FormIndexedOn.Length > 0 ? d.FormIndexedOn[0] : 0);
            DateProp(w, "lastFormIndexedOn", d.FormIndexedOn.Length > 0 ? d.FormIndexedOn[^1] : 0);
            WriteDirectory(w, ds.Users, name);
            w.WriteEndObject();
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>Mobile-worker counts and the ids of the domain's groups, locations and roles.</summary>
    private static void WriteDirectory(Utf8JsonWriter w, UserStore users, string domain)
    {
        lock (users.Lock)
        {
            int active = 0, inactive = 0, retired = 0;
            foreach (var u in users.Workers(domain))
            {
                if (u.Retired) retired++;
                else if (u.Active) active++;
                else inactive++;
            }
            w.WriteNumber("mobileWorkers", active + inactive);
            w.WriteNumber("activeMobileWorkers", active);
            w.WriteNumber("deactivatedMobileWorkers", inactive);
            w.WriteNumber("retiredMobileWorkers", retired);
            w.WriteStartArray("groups");
            foreach (var g in users.Groups(domain))
            {
                w.WriteStartObject();
                w.WriteString("id", g.Id);
                w.WriteString("name", g.Name);
                w.WriteNumber("members", g.UserIds.Count);
                w.WriteNumber("activeMembers", users.ActiveMemberIds(g).Count);
                w.WriteBoolean("caseSharing", g.CaseSharing);
                w.WriteBoolean("reporting", g.Reporting);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("locationTypes");
            foreach (var t in users.LocationTypes(domain))
            {
                w.WriteStartObject();
                w.WriteNumber("id", t.Id);
                w.WriteString("name", t.Name);
                w.WriteString("code", t.Code);
                if (t.ParentTypeId is { } pt) w.WriteNumber("parentId", pt);
                else w.WriteNull("parentId");
                w.WriteBoolean("hasUsers", t.HasUsers);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("locations");
            foreach (var l in users.Locations(domain))
            {
                w.WriteStartObject();
                w.WriteString("id", l.Id);
                w.WriteNumber("intId", l.IntId);
                w.WriteString("name", l.Name);
                w.WriteString("siteCode", l.SiteCode);
                w.WriteString("locationType", l.LocationType);
                w.WriteNumber("locationTypeId", l.Type.Id);
                w.WriteBoolean("hasUsers", l.HasUsers);
                if (l.ParentId is null) w.WriteNull("parentId");
                else w.WriteString("parentId", l.ParentId);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("roles");
            foreach (var r in users.Roles(domain))
            {
                w.WriteStartObject();
                w.WriteString("id", r.Id);
                w.WriteString("name", r.Name);
                w.WriteBoolean("isAdmin", r.IsAdmin);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("webUsers");
            foreach (var u in users.WebUsers(domain))
            {
                w.WriteStartObject();
                w.WriteString("id", u.Id);
                w.WriteString("username", u.Username);
                if (users.RoleById(u.RoleId) is { } role) w.WriteString("role", role.Name);
                else w.WriteNull("role");
                w.WriteBoolean("isActiveInDomain", u.ActiveInDomain);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("invitations");
            foreach (var i in users.Invitations(domain))
            {
                w.WriteStartObject();
                w.WriteString("id", i.Id);
                w.WriteString("email", i.Email);
                if (users.RoleById(i.RoleId) is { } role) w.WriteString("role", role.Name);
                else w.WriteNull("role");
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
    }

    private static void DateProp(Utf8JsonWriter w, string name, long ticks)
    {
        if (ticks == 0) w.WriteNull(name);
        else w.WriteString(name, Dates.ToString(ticks, DateStyle.MicroZ));
    }

    private static void WriteConfig(Utf8JsonWriter w, EmulatorConfig c, EmulatorState st)
    {
        w.WriteStartObject();
        w.WriteString("nextStyle", c.NextStyle.ToString().ToLowerInvariant());
        w.WriteBoolean("appendSlash", c.AppendSlash);
        w.WriteNumber("importPolls", c.ImportPolls);
        w.WriteBoolean("secureSubmissions", c.SecureSubmissions);
        w.WriteStartArray("deprecatedCaseTypes");
        foreach (var t in c.DeprecatedCaseTypes.Order(StringComparer.Ordinal)) w.WriteStringValue(t);
        w.WriteEndArray();
        st.Features.Write(w);
        st.Extras.Write(w);
        st.Alt.Write(w);
        w.WriteEndObject();
    }

    private static void WriteRateLimit(Utf8JsonWriter w, EmulatorState st)
    {
        var (ps, pm) = st.RateLimit.Limits;
        w.WriteStartObject();
        w.WriteNumber("perSecond", ps);
        w.WriteNumber("perMinute", pm);
        w.WriteEndObject();
    }

    /// <summary>Reads the request body as JSON; an empty body counts as <c>{}</c>; null when it is not a JSON object.</summary>
    private static async Task<JsonDocument?> ReadBody(HttpContext ctx)
    {
        using var ms = new MemoryStream();
        await ctx.Request.Body.CopyToAsync(ms);
        if (ms.Length == 0) return JsonDocument.Parse("{}");
        try
        {
            var doc = JsonDocument.Parse(ms.ToArray());
            if (doc.RootElement.ValueKind == JsonValueKind.Object) return doc;
            doc.Dispose();
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A control-plane JSON answer (also used by ExtrasControl).</summary>
    internal static Task Json(HttpContext ctx, int status, Action<Utf8JsonWriter> write)
    {
        var buf = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buf, new JsonWriterOptions { Indented = false }))
        {
            write(w);
        }
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = ApiResponse.JsonType;
        ctx.Response.ContentLength = buf.WrittenCount;
        return ctx.Response.Body.WriteAsync(buf.WrittenMemory).AsTask();
    }

    internal static Task Error(HttpContext ctx, int status, string message) => Json(ctx, status, w =>
    {
        w.WriteStartObject();
        w.WriteString("error", message);
        w.WriteEndObject();
    });
}
