using System;
using System.Collections.Generic;
using System.Text;

namespace CommCare.Emulator;

/// <summary>
/// A fully materialised response (status, headers, body segments). Handlers return one of these so the
/// pipeline can log it, replace it by a fault, or truncate it.
/// </summary>
public sealed class ApiResponse
{
    public const string JsonType = "application/json; charset=utf-8";
    /// <summary>Django's default content type, used for tastypie's empty-body responses.</summary>
    public const string HtmlType = "text/html; charset=utf-8";

    /// <summary>tastypie's canned 500 body.</summary>
    public static readonly byte[] Canned500 =
        PyJsonWriter.ErrorBody("error_message", "Sorry, this request could not be processed. Please try again later.");

    public int Status { get; set; }
    public string? ContentType { get; set; }
    public List<KeyValuePair<string, string>> Headers { get; } = new();
    public List<ReadOnlyMemory<byte>> Body { get; } = new();
    public long Length { get; private set; }

    /// <summary>A body produced on the fly (large attachments): <see cref="Length"/> bytes from <see cref="StreamOffset"/>.</summary>
    public IBlob? Stream { get; private set; }
    public long StreamOffset { get; private set; }

    /// <summary>Send no Content-Length (chunked transfer), like Django's StreamingHttpResponse.</summary>
    public bool OmitContentLength { get; set; }

    public ApiResponse(int status, string? contentType = HtmlType)
    {
        Status = status;
        ContentType = contentType;
    }

    public ApiResponse Header(string name, string value)
    {
        Headers.Add(new(name, value));
        return this;
    }

    public ApiResponse Append(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.Length == 0) return this;
        Body.Add(bytes);
        Length += bytes.Length;
        return this;
    }

    /// <summary>Serves <paramref name="count"/> bytes of <paramref name="blob"/> from <paramref name="offset"/> (instead of <see cref="Body"/>).</summary>
    public ApiResponse StreamFrom(IBlob blob, long offset, long count)
    {
        Stream = blob;
        StreamOffset = offset;
        Length = count;
        return this;
    }

    public byte[] BodyBytes()
    {
        var res = new byte[Length];
        var p = 0;
        foreach (var seg in Body)
        {
            seg.Span.CopyTo(res.AsSpan(p));
            p += seg.Length;
        }
        return res;
    }

    /// <summary>Status with an empty body (tastypie's HttpUnauthorized, HttpForbidden, HttpNotFound, ...).</summary>
    public static ApiResponse Empty(int status) => new(status);

    public static ApiResponse Json(int status, ReadOnlyMemory<byte> body) => new ApiResponse(status, JsonType).Append(body);

    public static ApiResponse Text(int status, string text, string contentType)
        => new ApiResponse(status, contentType).Append(Encoding.UTF8.GetBytes(text));

    /// <summary>tastypie <c>BadRequest</c>: 400 <c>{"error": sanitize(message)}</c>.</summary>
    public static ApiResponse BadRequest(string message)
        => Json(400, PyJsonWriter.ErrorBody("error", Sanitize(message)));

    public static ApiResponse ServerError() => Json(500, Canned500);

    /// <summary>A Django function view's <c>JsonResponse({"error": message})</c> (json.dumps: ensure_ascii, no escaping of &lt;&gt;&amp;).</summary>
    public static ApiResponse JsonError(int status, string message)
    {
        var w = new PyJsonWriter(64 + message.Length * 2) { EnsureAscii = true };
        w.BeginObject().Prop("error", message).EndObject();
        return Json(status, w.ToArray());
    }

    /// <summary>Django's 403.html (HQ's <c>no_permissions</c> view): what a plain function view answers on a permission failure.</summary>
    public static ApiResponse HtmlForbidden() => Text(403,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Permission Denied</title>\n</head>\n<body>\n" +
        "  <h1>Permission Denied</h1><p>You don't have permission to access this page.</p>\n</body>\n</html>\n", HtmlType);

    /// <summary>Django's HTML 500 page (an exception a function view does not catch).</summary>
    public static ApiResponse HtmlServerError() => Text(500,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Server Error (500)</title>\n</head>\n<body>\n" +
        "  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n", HtmlType);

    /// <summary>tastypie's <c>sanitize()</c>: HTML-escapes &amp;, &lt;, &gt; (quotes are kept).</summary>
    public static string Sanitize(string s)
    {
        if (s.AsSpan().IndexOfAny('&', '<', '>') < 0) return s;
        return s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
    }

    /// <summary>Django's plain HTML 404 page (unknown URL).</summary>
    public static ApiResponse HtmlNotFound() => Text(404,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n" +
        "  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n", HtmlType);
}
