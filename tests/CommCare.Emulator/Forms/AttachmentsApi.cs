using System;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;

namespace CommCare.Emulator;

/// <summary>
/// Form and case attachment downloads (docs/commcare-api.md#attachments). Form attachments: 200 with Content-Length and
/// <c>Accept-Ranges: bytes</c>, a single <c>Range: bytes=a-b</c> → 206 (end beyond the size → 416), anything else → 200.
/// Case attachments: a plain 200 stream (no Content-Length, no ranges), type <c>plain/text</c> when unknown. Misses are
/// Django's HTML 404 page. Not throttled.
/// </summary>
public static partial class AttachmentsApi
{
    /// <summary>The Submit History report permission (view_report) stands for both views' permission checks.</summary>
    public static readonly ApiSpec Spec = new("attachment", AuthMode.FunctionView, "view_reports", Throttled: false)
    {
        SlashOptional = true,
        EmptyForbidden = true,
        CredsInQuery = false,
    };

    public static void Map(WebApplication app, EmulatorState st)
    {
        foreach (var p in new[] { "/a/{domain}/api/form_attachment/v1/{form_id}/{**name}", "/a/{domain}/api/form/attachment/{form_id}/{**name}" })
        {
            app.Map(p, Pipeline.Handle(st, Spec, FormAttachment));
        }
        foreach (var p in new[] { "/a/{domain}/api/case_attachment/v1/{case_id}/{**name}", "/a/{domain}/api/case/attachment/{case_id}/{**name}" })
        {
            app.Map(p, Pipeline.Handle(st, Spec, CaseAttachment));
        }
    }

    public static ApiResponse FormAttachment(ApiContext ctx)
    {
        var store = ctx.Data.Store(ctx.Domain!);
        var f = store?.AnyForm(ctx.Route("form_id"));
        if (store is null || f is null) return ApiResponse.HtmlNotFound();
        var name = ctx.Route("name");
        string type;
        IBlob blob;
        if (name == "form.xml")
        {
            type = "text/xml";
            blob = new BytesBlob(f.Sub?.Xml ?? GeneratedXml(store.Current, f));
        }
        else if (f.Attachments.FirstOrDefault(a => a.Name == name) is { } a)
        {
            type = a.ContentType;
            blob = a.Blob;
        }
        else
        {
            return ApiResponse.HtmlNotFound();
        }

        var total = blob.Length;
        var range = ctx.Http.Request.Headers.Range.ToString();
        if (range.Length > 0 && RangeRx().Match(range) is { Success: true } m)
        {
            var start = long.Parse(m.Groups[1].ValueSpan, CultureInfo.InvariantCulture);
            var end = m.Groups[2].Success ? long.Parse(m.Groups[2].ValueSpan, CultureInfo.InvariantCulture) : total - 1;
            if (start > end || end >= total)
            {
                return new ApiResponse(416, ApiResponse.HtmlType).Header("Content-Range", $"bytes */{total}").Header("Accept-Ranges", "bytes");
            }
            return new ApiResponse(206, type)
                .Header("Content-Range", $"bytes {start}-{end}/{total}")
                .Header("Accept-Ranges", "bytes")
                .StreamFrom(blob, start, end - start + 1);
        }
        return new ApiResponse(200, type).Header("Accept-Ranges", "bytes").StreamFrom(blob, 0, total);
    }

    [GeneratedRegex(@"^\s*bytes\s*=\s*([0-9]+)\s*-\s*([0-9]+)?\s*$")]
    private static partial Regex RangeRx();

    public static ApiResponse CaseAttachment(ApiContext ctx)
    {
        var dd = ctx.Data.For(ctx.Domain!);
        if (dd is null || !dd.CaseById.TryGetValue(ctx.Route("case_id"), out var c)) return ApiResponse.HtmlNotFound();
        // int(request.GET.get(...)) without a guard: a non-integer is a server error
        foreach (var p in new[] { "max_size", "max_image_width", "max_image_height" })
        {
            if (ctx.Query.Get(p) is { } v && !Paging.TryPyInt(v, out _)) return ApiResponse.HtmlServerError();
        }
        var name = ctx.Route("name");
        var a = c.Attachments.FirstOrDefault(x => x.Name == name);
        if (a is null) return ApiResponse.HtmlNotFound();
        return new ApiResponse(200, string.IsNullOrEmpty(a.ContentType) ? "plain/text" : a.ContentType) { OmitContentLength = true }
            .StreamFrom(a.Blob, 0, a.Blob.Length);
    }

    /// <summary>
    /// The <c>form.xml</c> of a generated form: its form JSON turned back into XML (the inverse of xml2json), padded with
    /// trailing whitespace to the <c>length</c> its attachments map announces (when it fits).
    /// </summary>
    public static byte[] GeneratedXml(DomainData dd, FormRec f)
    {
        using var doc = JsonDocument.Parse(dd.FormJson(f));
        var form = doc.RootElement.GetProperty("form");
        var sb = new StringBuilder("<?xml version='1.0' ?>");
        var root = form.TryGetProperty("#type", out var t) ? t.GetString()! : "data";
        WriteElement(sb, root, form, null);
        var bytes = Encoding.UTF8.GetBytes(sb.ToString());
        if (bytes.Length >= f.XmlLength) return bytes;
        var padded = new byte[f.XmlLength];
        bytes.CopyTo(padded, 0);
        padded.AsSpan(bytes.Length).Fill((byte)' ');
        padded[bytes.Length] = (byte)'\n';
        return padded;
    }

    private static void WriteElement(StringBuilder sb, string name, JsonElement value, string? parentNs)
    {
        if (value.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in value.EnumerateArray()) WriteElement(sb, name, item, parentNs);
            return;
        }
        sb.Append('<').Append(name);
        if (value.ValueKind != JsonValueKind.Object)
        {
            var text = value.ValueKind switch
            {
                JsonValueKind.String => value.GetString()!,
                JsonValueKind.Null => "",
                _ => value.GetRawText(),
            };
            if (text.Length == 0) sb.Append("/>");
            else sb.Append('>').Append(CaseXml.Esc(text)).Append("</").Append(name).Append('>');
            return;
        }
        var ns = parentNs;
        if (value.TryGetProperty("@xmlns", out var x) && x.GetString() != parentNs)
        {
            ns = x.GetString();
            sb.Append(" xmlns=\"").Append(CaseXml.Esc(ns ?? "")).Append('"');
        }
        foreach (var p in value.EnumerateObject())
        {
            if (p.Name.StartsWith('@') && p.Name != "@xmlns")
                sb.Append(' ').Append(p.Name[1..]).Append("=\"").Append(CaseXml.Esc(p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText())).Append('"');
        }
        sb.Append('>');
        if (value.TryGetProperty("#text", out var txt)) sb.Append(CaseXml.Esc(txt.GetString() ?? ""));
        foreach (var p in value.EnumerateObject())
        {
            if (p.Name.StartsWith('@') || p.Name.StartsWith('#')) continue;
            WriteElement(sb, p.Name, p.Value, ns);
        }
        sb.Append("</").Append(name).Append('>');
    }
}
