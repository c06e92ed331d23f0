using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.AspNetCore.Builder;

namespace CommCare.Emulator;

/// <summary>A seeded data-forwarding configuration (repeater). <see cref="Format"/> is not shown by the API.</summary>
public sealed record Forwarder(string Id, string Domain, string Type, string Url, string Format, string? Version = "2.0");

/// <summary>What HQ would POST to a forwarding URL: body, content type, extra headers and the query it appends.</summary>
public sealed record ForwardingPayload(byte[] Body, string ContentType, List<KeyValuePair<string, string>> Headers, string? Query);

/// <summary>
/// Data forwarding (docs/commcare-api.md#data-forwarding): the legacy read-only <c>RepeaterResource</c> listing
/// (<c>/a/{d}/api/v0.4/data-forwarding/</c>, also under <c>v0.5</c>), domain admins only, throttled; and the payloads HQ
/// sends, built by <see cref="Payload"/> from the same records the form / case APIs serve (the control plane's
/// <c>GET /_emulator/forwarding-payload</c>).
/// </summary>
public static class ForwardingApi
{
    public static readonly ApiSpec Spec = new("data-forwarding", AuthMode.DomainResource, null, Throttled: true);

    public static readonly string[] Prefixes = { "/a/{domain}/api/v0.4/data-forwarding/", "/a/{domain}/api/v0.5/data-forwarding/" };

    public static readonly Forwarder[] Seeded =
    {
        new("7d3f0a9e5c1b4e2d8f6a0c4e2b8d6f01", "demo", "FormRepeater", "https://forwarding.example.org/commcare/forms/xml", "form-xml"),
        new("7d3f0a9e5c1b4e2d8f6a0c4e2b8d6f02", "demo", "FormRepeater", "https://forwarding.example.org/commcare/forms/json", "form-json"),
        new("7d3f0a9e5c1b4e2d8f6a0c4e2b8d6f03", "demo", "CaseRepeater", "https://forwarding.example.org/commcare/cases/json", "case-json"),
    };

    public static readonly string[] Formats = { "form-xml", "form-json", "form-stub", "case-json", "case-xml" };

    public static void Map(WebApplication app, EmulatorState st)
    {
        foreach (var prefix in Prefixes)
        {
            app.Map(prefix, Pipeline.Handle(st, Spec, ctx => List(ctx, prefix)));
            app.Map(prefix + "{id}/", Pipeline.Handle(st, Spec, ctx => Detail(ctx, prefix)));
        }
    }

    /// <summary><c>DomainAdminAuthentication</c>: the project's admin role (and, for a restricted key, its cut-down permissions).</summary>
    private static bool IsDomainAdmin(ApiContext ctx)
    {
        var domain = ctx.Domain!;
        if (!ctx.User.Has(domain, "edit_web_users")) return false;
        var store = ctx.Data.Users;
        lock (store.Lock)
        {
            foreach (var w in store.WebUsers(domain))
            {
                if (w.Id == ctx.User.Id) return store.RoleById(w.RoleId)?.IsAdmin ?? false;
            }
        }
        return false;
    }

    private static string Uri(string prefix, Forwarder f) => prefix.Replace("{domain}", f.Domain) + f.Id + "/";

    private static byte[] Json(string prefix, Forwarder f)
    {
        var w = new PyJsonWriter(256);
        w.BeginObject()
            .Prop("domain", f.Domain)
            .Prop("id", f.Id)
            .Prop("resource_uri", Uri(prefix, f))
            .Prop("type", f.Type)
            .Prop("url", f.Url)
            .Prop("version", f.Version)
            .EndObject();
        return w.ToArray();
    }

    public static ApiResponse List(ApiContext ctx, string prefix)
    {
        if (!IsDomainAdmin(ctx)) return ApiResponse.Empty(403);
        var err = Paging.LimitOffsetOrError(ctx.Query, 20, 1000, out var limit, out var offset);
        if (err is not null) return err;
        var all = Seeded.Where(f => f.Domain == ctx.Domain).ToList();
        var objects = new List<ReadOnlyMemory<byte>>();
        for (var i = offset; i < all.Count && objects.Count < limit; i++) objects.Add(Json(prefix, all[(int)i]));
        return Paging.Page(ctx, limit, offset, all.Count, objects);
    }

    public static ApiResponse Detail(ApiContext ctx, string prefix)
    {
        if (!IsDomainAdmin(ctx)) return ApiResponse.Empty(403);
        var f = Seeded.FirstOrDefault(x => x.Id == ctx.Route("id") && x.Domain == ctx.Domain);
        return f is null ? ApiResponse.Empty(404) : ApiResponse.Json(200, Json(prefix, f));
    }

    /// <summary>
    /// The payload of one record in one format, or an error message (<paramref name="notFound"/> tells 404 from 400).
    /// form-xml: the form's <c>form.xml</c> (what the attachment API serves); form-json: the v0.5 form detail bytes;
    /// form-stub: <c>{"received_on", "form_id", "case_ids"}</c>; case-json: the v0.5 case detail bytes; case-xml: one
    /// Case XML 2.0 block with the case's full current state (as in a restore).
    /// </summary>
    /// <param name="changesOnly">Alternative (caseForwardChangesOnly): a case payload carries only the changed properties
    /// (docs/commcare-api.md#data-forwarding: a "case update" repeater, UNCONFIRMED).</param>
    public static ForwardingPayload? Payload(DataSet data, string domain, string format, string id, out string? error, out bool notFound, bool changesOnly = false)
    {
        error = null;
        notFound = false;
        if (Array.IndexOf(Formats, format) < 0)
        {
            error = "format must be one of " + string.Join(", ", Formats);
            return null;
        }
        if (data.Store(domain) is not { } store)
        {
            error = $"unknown domain '{domain}'";
            notFound = true;
            return null;
        }
        var dd = store.Current;
        var headers = new List<KeyValuePair<string, string>>();
        if (format.StartsWith("form-", StringComparison.Ordinal))
        {
            if (!dd.FormById.TryGetValue(id, out var f))
            {
                error = $"no form '{id}' in {domain}";
                notFound = true;
                return null;
            }
            headers.Add(new("Received-On", Dates.ToString(f.ReceivedOn, DateStyle.MicroZ)));
            var query = f.AppId.Length > 0 ? "app_id=" + f.AppId : null;
            switch (format)
            {
                case "form-xml":
                    return new ForwardingPayload(f.Sub?.Xml ?? AttachmentsApi.GeneratedXml(dd, f), "text/xml", headers, query);
                case "form-json":
                    return new ForwardingPayload(dd.FormJson(f).ToArray(), "application/json", headers, query);
                default:
                {
                    var w = new PyJsonWriter(256);
                    w.BeginObject()
                        .PropDate("received_on", f.ReceivedOn, DateStyle.MicroZ)
                        .Prop("form_id", f.Id)
                        .Key("case_ids").BeginArray();
                    foreach (var cs in f.CaseSeqs) w.String(dd.Cases[cs].Id);
                    w.EndArray().EndObject();
                    return new ForwardingPayload(w.ToArray(), "text/xml", headers, query);
                }
            }
        }
        if (!dd.CaseById.TryGetValue(id, out var c))
        {
            error = $"no case '{id}' in {domain}";
            notFound = true;
            return null;
        }
        headers.Add(new("Server-Modified-On", Dates.ToString(c.ServerModified, DateStyle.MicroZ)));
        if (changesOnly) return ChangesOnly(c, format, headers);
        if (format == "case-json") return new ForwardingPayload(dd.CaseJson(c).ToArray(), "application/json", headers, null);
        var sb = new StringBuilder(1024);
        RestoreApi.WriteCase(sb, dd, c, dd.BaseUrl);
        return new ForwardingPayload(Encoding.UTF8.GetBytes(sb.ToString()), "text/xml", headers, null);
    }

    /// <summary>
    /// A "case update" payload: the case id, who and when, and only the properties that differ from the case's
    /// generated state (for a case never written since: its last property). No create block, no case type, no indices.
    /// </summary>
    private static ForwardingPayload ChangesOnly(CaseRec c, string format, List<KeyValuePair<string, string>> headers)
    {
        var changed = new List<KeyValuePair<string, string?>>();
        if (c.Origin is { } o)
        {
            foreach (var kv in c.ApiProps)
                if (!o.ApiProps.Any(p => p.Key == kv.Key && p.Value == kv.Value)) changed.Add(kv);
        }
        else if (c.ApiProps.Length > 0) changed.Add(c.ApiProps[^1]);
        if (format == "case-json")
        {
            var w = new PyJsonWriter(256);
            w.BeginObject()
                .Prop("case_id", c.Id)
                .PropDate("date_modified", c.DateModified, DateStyle.MicroZ)
                .Prop("domain", c.Domain)
                .Key("properties").BeginObject();
            foreach (var (k, v) in changed) w.Prop(k, v);
            w.EndObject()
                .PropDate("server_date_modified", c.ServerModified, DateStyle.MicroZ)
                .Prop("user_id", c.UserId)
                .EndObject();
            return new ForwardingPayload(w.ToArray(), "application/json", headers, null);
        }
        var sb = new StringBuilder(512);
        sb.Append("<case case_id=\"").Append(RestoreApi.Attr(c.Id)).Append("\" date_modified=\"").Append(Dates.ToString(c.DateModified, DateStyle.MicroZ))
            .Append("\" user_id=\"").Append(RestoreApi.Attr(c.UserId)).Append("\" xmlns=\"").Append(CaseXml.Ns).Append("\"><update>");
        foreach (var (k, v) in changed)
            sb.Append('<').Append(k).Append('>').Append(RestoreApi.Text(v ?? "")).Append("</").Append(k).Append('>');
        sb.Append("</update></case>");
        return new ForwardingPayload(Encoding.UTF8.GetBytes(sb.ToString()), "text/xml", headers, null);
    }
}
