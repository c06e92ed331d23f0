using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net.Sockets;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace CommCare.Emulator;

public enum AuthMode
{
    /// <summary>Tastypie resource under /a/{domain}/: LoginAndDomainAuthentication / RequirePermissionAuthentication.</summary>
    DomainResource,
    /// <summary>User-scope tastypie resource (identity, user_domains): LoginAuthentication.</summary>
    User,
    /// <summary>
    /// Plain Django view under /a/{domain}/ with <c>api_auth</c> (Case API v2, attachments, the receiver's <c>api/</c>,
    /// the case importer): mobile workers allowed, a missing permission gives Django's HTML 403 page.
    /// </summary>
    FunctionView,
    /// <summary>
    /// <c>receiver/secure/...</c>: Basic by default (a missing header gets a Basic challenge); any member may submit
    /// with Basic/Bearer, an API key also needs <c>edit_data</c> + <c>access_api</c>.
    /// </summary>
    Receiver,
    /// <summary><c>receiver/...</c> of a project without secure submissions: no authentication at all.</summary>
    Anonymous,
}

/// <summary>How one endpoint is guarded.</summary>
public sealed record ApiSpec(string Name, AuthMode Mode, string? Permission, bool Throttled, bool PlainText401 = false)
{
    public string[] Methods { get; init; } = { "GET" };

    /// <summary>
    /// Body members that name the target of a write in the request log, in order of preference (the first one
    /// present wins). <c>username</c> always comes first.
    /// </summary>
    public string[] TargetKeys { get; init; } = { "username" };

    /// <summary>The route matches with and without the trailing slash (Case API v2's <c>/?$</c>): no APPEND_SLASH redirect.</summary>
    public bool SlashOptional { get; init; }

    /// <summary>A Django function view: a wrong method gives 405 <c>{"error": "Request method not allowed"}</c>.</summary>
    public bool JsonMethodNotAllowed { get; init; }

    /// <summary><c>@api_throttle</c>: a throttled request gets <c>Retry-After</c> (seconds, may be fractional).</summary>
    public bool RetryAfter { get; init; }

    /// <summary>Whether the role permission <c>access_api</c> is required besides <see cref="ApiSpec.Permission"/>.</summary>
    public bool RequireAccessApi { get; init; } = true;

    /// <summary>tastypie's <c>allow_creds_in_data</c>: <c>?username=&amp;api_key=</c> accepted (Case API v2: false).</summary>
    public bool CredsInQuery { get; init; } = true;

    /// <summary>A missing permission gives 403 with an empty body instead of the HTML page (attachment views).</summary>
    public bool EmptyForbidden { get; init; }

    /// <summary>Names the request-log target for bodies that are not JSON (multipart uploads, XML).</summary>
    public Func<HttpContext, byte[], string?>? TargetOf { get; init; }
}

/// <summary>What a handler gets once method, auth, throttle and faults have been dealt with.</summary>
public sealed class ApiContext
{
    public required HttpContext Http { get; init; }
    public required EmulatorState State { get; init; }
    public required QueryParams Query { get; init; }
    public required Account User { get; init; }
    public required DataSet Data { get; init; }
    public string? Domain { get; init; }
    /// <summary>The request path as sent (not decoded), used for <c>next</c> links.</summary>
    public required string RawPath { get; init; }
    /// <summary>The request body (read for POST/PUT/PATCH before authentication; empty otherwise).</summary>
    public byte[] Body { get; init; } = Array.Empty<byte>();

    public string Route(string name) => Http.Request.RouteValues[name]?.ToString() ?? "";
}

/// <summary>Per-request notes for the request log (HttpContext.Items).</summary>
public sealed class RequestInfo
{
    public const string Key = "emu.info";
    public string Auth = "none";
    public string? Fault;
    public string? User;
    public int? Status;
    public bool Throttled;
    /// <summary>POST/PUT/PATCH: the JSON body's <c>username</c> (or the area's other naming member; never the password), for the request log.</summary>
    public string? Target;
    /// <summary>A JSON write's body, passwords masked, so tests can see what a client sent (not only that it sent).</summary>
    public string? Body;
    /// <summary>Time spent producing the response (query + page assembly), excluding network writes.</summary>
    public double HandlerMs;
}

/// <summary>
/// The tastypie request order: APPEND_SLASH redirect → method (405) → authentication / authorisation
/// (400/401/403) → throttle (429) → injected fault → handler.
/// </summary>
public static class Pipeline
{
    public static RequestDelegate Handle(EmulatorState st, ApiSpec spec, Func<ApiContext, ApiResponse> handler)
        => ctx => Run(ctx, st, spec, handler);

    public static (string Path, string Query) RawTarget(HttpContext ctx)
    {
        var raw = ctx.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw) || raw[0] != '/')
        {
            return (ctx.Request.PathBase + ctx.Request.Path, ctx.Request.QueryString.HasValue ? ctx.Request.QueryString.Value![1..] : "");
        }
        var q = raw.IndexOf('?');
        return q < 0 ? (raw, "") : (raw[..q], raw[(q + 1)..]);
    }

    public static RequestInfo Info(HttpContext ctx)
    {
        if (ctx.Items.TryGetValue(RequestInfo.Key, out var o) && o is RequestInfo i) return i;
        var n = new RequestInfo();
        ctx.Items[RequestInfo.Key] = n;
        return n;
    }

    private static async Task Run(HttpContext ctx, EmulatorState st, ApiSpec spec, Func<ApiContext, ApiResponse> handler)
    {
        var info = Info(ctx);
        var (rawPath, rawQuery) = RawTarget(ctx);

        // Django CommonMiddleware APPEND_SLASH (runs before any view).
        if (!rawPath.EndsWith('/') && !spec.SlashOptional)
        {
            if (st.Config.AppendSlash)
            {
                var loc = rawPath + "/" + (rawQuery.Length > 0 ? "?" + rawQuery : "");
                await WriteAsync(ctx, ApiResponse.Empty(301).Header("Location", loc));
            }
            else
            {
                await WriteAsync(ctx, ApiResponse.HtmlNotFound());
            }
            return;
        }

        var method = ctx.Request.Method;
        var allow = string.Join(", ", spec.Methods);
        if (HttpMethods.IsOptions(method))
        {
            var opt = ApiResponse.Text(200, string.Join(",", spec.Methods), ApiResponse.HtmlType).Header("Allow", allow);
            await WriteAsync(ctx, opt);
            return;
        }
        if (Array.IndexOf(spec.Methods, method.ToUpperInvariant()) < 0)
        {
            await WriteAsync(ctx, spec.JsonMethodNotAllowed
                ? ApiResponse.JsonError(405, "Request method not allowed")
                : ApiResponse.Empty(405).Header("Allow", allow));
            return;
        }

        // Bodies of writes are read up front so that the log can name the target even when the request is
        // refused or faulted later.
        var body = Array.Empty<byte>();
        if (HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method))
        {
            body = await ReadBodyAsync(ctx);
            info.Body = BodyForLog(body, ctx.Request.ContentType);
            try
            {
                info.Target = spec.TargetOf is { } targetOf ? targetOf(ctx, body) : TargetOf(body, spec.TargetKeys);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                info.Target = null; // a body the log cannot read is still handed to the handler
            }
        }

        var query = new QueryParams(rawQuery);
        var domain = spec.Mode == AuthMode.User ? null : ctx.Request.RouteValues["domain"]?.ToString();
        Account user;
        if (spec.Mode == AuthMode.Anonymous)
        {
            user = Accounts.Anonymous;
        }
        else
        {
            var auth = Auth.Authenticate(ctx, query, spec, st.Data);
            info.Auth = auth.LogName;
            if (auth.Failure is not null)
            {
                await WriteAsync(ctx, auth.Failure);
                return;
            }
            user = auth.User!;
            info.User = user.Username;
            var denied = Auth.Authorize(user, domain, spec, auth.Scheme);
            if (denied is not null)
            {
                await WriteAsync(ctx, denied);
                return;
            }
        }

        if (spec.Throttled && domain is not null && !st.RateLimit.TryAcquire(domain, out var retryAfter))
        {
            info.Throttled = true;
            var r429 = ApiResponse.Empty(429);
            if (spec.RetryAfter) r429.Header("Retry-After", RateLimiter.FormatSeconds(retryAfter));
            await WriteAsync(ctx, r429);
            return;
        }

        await FaultThenHandleAsync(ctx, st, info, rawPath, data => handler(new ApiContext
        {
            Http = ctx,
            State = st,
            Query = query,
            User = user,
            Data = data,
            Domain = domain,
            RawPath = rawPath,
            Body = body,
        }), ApiResponse.ServerError);
    }

    /// <summary>
    /// The end every route shares once the caller is let in: the next scripted fault (drop, an error answer,
    /// a delay), the handler (an exception is logged and answered with <paramref name="onError"/>), then
    /// commit-drop (the request took full effect; the client never hears about it) or the (truncated) answer.
    /// </summary>
    public static async Task FaultThenHandleAsync(HttpContext ctx, EmulatorState st, RequestInfo info, string rawPath,
        Func<DataSet, ApiResponse> handle, Func<ApiResponse> onError)
    {
        var fault = st.Faults.Next(rawPath);
        if (fault is not null)
        {
            info.Fault = fault.Name;
            // commit-drop is handled after the handler: the request takes effect, then the connection is aborted.
            if (fault.Kind == FaultKind.Drop)
            {
                info.Status = 0;
                ctx.Abort();
                return;
            }
            var fr = Faults.Response(fault);
            if (fr is not null)
            {
                await WriteAsync(ctx, fr);
                return;
            }
            if (fault.Kind == FaultKind.Slow && fault.SlowMs > 0)
            {
                try
                {
                    await Task.Delay(fault.SlowMs, ctx.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }

        if (st.Data is not { } data)
        {
            await WriteAsync(ctx, ApiResponse.Empty(503).Header("Retry-After", "1"));
            return;
        }

        var wrongRange = fault?.Kind == FaultKind.WrongRange && ctx.Request.Headers.Range.Count > 0;
        if (wrongRange) ctx.Request.Headers.Remove("Range");
        ApiResponse resp;
        var t0 = Stopwatch.GetTimestamp();
        try
        {
            resp = handle(data);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Console.Error.WriteLine($"emulator: unhandled error for {ctx.Request.Method} {rawPath}: {ex}");
            resp = onError();
        }
        info.HandlerMs = Ms(t0);
        if (fault?.Kind == FaultKind.CommitDrop)
        {
            info.Status = 0;
            ctx.Abort();
            return;
        }
        switch (fault?.Kind)
        {
            case FaultKind.Stall: await StallAsync(ctx, resp); return;
            case FaultKind.Endless: await EndlessAsync(ctx, resp.Status, resp.ContentType); return;
            case FaultKind.Endless500: await EndlessAsync(ctx, 500, ApiResponse.JsonType); return;
            case FaultKind.WrongRange when wrongRange: WrongRange(resp); break;
        }
        await WriteAsync(ctx, resp, truncate: fault?.Kind == FaultKind.Truncate);
    }

    /// <summary>stall: the handler's status, headers and first half of the body (at least the headers), then
    /// nothing more until the client gives up; the connection stays open.</summary>
    private static async Task StallAsync(HttpContext ctx, ApiResponse r)
    {
        var res = ctx.Response;
        res.StatusCode = r.Status;
        if (r.ContentType is not null) res.ContentType = r.ContentType;
        foreach (var h in r.Headers) res.Headers.Append(h.Key, h.Value);
        res.ContentLength = Math.Max(r.Length, 1);
        Info(ctx).Status = r.Status;
        var half = new byte[r.Length / 2];
        if (r.Stream is { } blob) blob.CopyTo(r.StreamOffset, half);
        else r.BodyBytes().AsSpan(0, half.Length).CopyTo(half);
        await res.Body.WriteAsync(half, ctx.RequestAborted);
        await res.Body.FlushAsync(ctx.RequestAborted);
        try
        {
            await Task.Delay(TimeSpan.FromMinutes(10), ctx.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // the client gave up, as it should
        }
    }

    /// <summary>endless / endless-500: a chunked body (no Content-Length) that never ends: a JSON-looking start,
    /// then spaces, 1 MB at a time, until the client goes away.</summary>
    private static async Task EndlessAsync(HttpContext ctx, int status, string? contentType)
    {
        var res = ctx.Response;
        res.StatusCode = status;
        res.ContentType = contentType ?? ApiResponse.JsonType;
        Info(ctx).Status = status;
        var chunk = new byte[1 << 20];
        Array.Fill(chunk, (byte)' ');
        try
        {
            await res.Body.WriteAsync("{\"meta\": {}, \"objects\": ["u8.ToArray(), ctx.RequestAborted);
            while (!ctx.RequestAborted.IsCancellationRequested)
                await res.Body.WriteAsync(chunk, ctx.RequestAborted);
        }
        catch (Exception e) when (e is OperationCanceledException or System.IO.IOException)
        {
            // the client gave up, as it should
        }
    }

    /// <summary>wrong-range: a request with a Range gets the whole body as a 206 whose Content-Range says
    /// it starts at byte 0 (a server or proxy that ignored the Range yet claims a partial answer).</summary>
    private static void WrongRange(ApiResponse r)
    {
        if (r.Status != 200) return;
        r.Status = 206;
        r.Header("Content-Range", $"bytes 0-{r.Length - 1}/{r.Length}");
    }

    /// <summary>The request body; a client that goes away mid-body leaves what arrived.</summary>
    private static readonly System.Text.RegularExpressions.Regex PasswordMember =
        new(@"(""password""\s*:\s*)""(?:[^""\\]|\\.)*""", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>The body as text for the request log: JSON only, up to 256 KB, every "password" value masked.</summary>
    public static string? BodyForLog(byte[] body, string? contentType)
    {
        if (body.Length == 0 || body.Length > 256 * 1024 || contentType is null || !contentType.Contains("json", StringComparison.OrdinalIgnoreCase)) return null;
        return PasswordMember.Replace(System.Text.Encoding.UTF8.GetString(body), "$1\"***\"");
    }

    public static async Task<byte[]> ReadBodyAsync(HttpContext ctx)
    {
        using var ms = new System.IO.MemoryStream();
        try
        {
            await ctx.Request.Body.CopyToAsync(ms, ctx.RequestAborted);
        }
        catch (Exception e) when (e is System.IO.IOException or Microsoft.AspNetCore.Http.BadHttpRequestException)
        {
            // a client that goes away mid-body: treat what arrived as the body
        }
        return ms.ToArray();
    }

    /// <summary>
    /// The naming member of a JSON object body: <c>username</c>, else the first of <paramref name="keys"/> present
    /// (strings as sent, other values as raw JSON), or null. A bulk body <c>{"objects": [...]}</c> gives the items'
    /// targets joined with <c>", "</c>. <c>password</c> is never a key.
    /// </summary>
    public static string? TargetOf(byte[] body, string[]? keys = null)
    {
        if (body.Length == 0) return null;
        keys ??= new[] { "username" };
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind == System.Text.Json.JsonValueKind.Array) return TargetOfItems(root, keys);
            if (root.ValueKind != System.Text.Json.JsonValueKind.Object) return null;
            var own = TargetOfObject(root, keys);
            if (own is not null) return own;
            if (root.TryGetProperty("objects", out var objects) && objects.ValueKind == System.Text.Json.JsonValueKind.Array)
            {
                return TargetOfItems(objects, keys);
            }
            return null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>The targets of the objects of a JSON array, joined with <c>", "</c> (null when none names anything).</summary>
    private static string? TargetOfItems(System.Text.Json.JsonElement array, string[] keys)
    {
        var parts = new System.Collections.Generic.List<string>();
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind == System.Text.Json.JsonValueKind.Object && TargetOfObject(item, keys) is { } t) parts.Add(t);
        }
        return parts.Count > 0 ? string.Join(", ", parts) : null;
    }

    private static string? TargetOfObject(System.Text.Json.JsonElement obj, string[] keys)
    {
        foreach (var key in Prepend("username", keys))
        {
            if (key == "password") continue;
            string? target = null;
            var found = false;
            foreach (var p in obj.EnumerateObject())
            {
                if (p.Name != key) continue;
                found = true;
                target = p.Value.ValueKind switch
                {
                    System.Text.Json.JsonValueKind.String => p.Value.GetString(),
                    System.Text.Json.JsonValueKind.Null => null,
                    _ => p.Value.GetRawText(),
                };
            }
            if (found && target is not null) return target;
        }
        return null;
    }

    private static System.Collections.Generic.IEnumerable<string> Prepend(string first, string[] rest)
    {
        yield return first;
        foreach (var k in rest) if (k != first) yield return k;
    }

    /// <summary>Writes a response; with <paramref name="truncate"/> only the first half of the body is sent, then the connection is aborted.</summary>
    public static async Task WriteAsync(HttpContext ctx, ApiResponse r, bool truncate = false)
    {
        var res = ctx.Response;
        res.StatusCode = r.Status;
        if (r.ContentType is not null) res.ContentType = r.ContentType;
        res.Headers["Access-Control-Allow-Origin"] = "*";
        res.Headers["Access-Control-Allow-Headers"] = "Content-Type, Authorization";
        foreach (var h in r.Headers) res.Headers.Append(h.Key, h.Value);
        if (!r.OmitContentLength) res.ContentLength = r.Length;
        if (r.Length == 0 || HttpMethods.IsHead(ctx.Request.Method)) return;

        var limit = truncate ? r.Length / 2 : r.Length;
        long written = 0;
        long sinceFlush = 0;
        var writer = res.BodyWriter;
        if (r.Stream is { } blob)
        {
            // Produced slice by slice: only one 64 KB chunk is in memory at a time.
            while (written < limit)
            {
                var take = (int)Math.Min(64 * 1024, limit - written);
                var span = writer.GetSpan(take)[..take];
                blob.CopyTo(r.StreamOffset + written, span);
                writer.Advance(take);
                written += take;
                sinceFlush += take;
                if (sinceFlush >= 1 << 20)
                {
                    sinceFlush = 0;
                    var fr = await writer.FlushAsync(ctx.RequestAborted);
                    if (fr.IsCanceled || fr.IsCompleted) return;
                }
            }
        }
        foreach (var seg in r.Body)
        {
            var take = (int)Math.Min(seg.Length, limit - written);
            if (take <= 0) break;
            writer.Write(seg.Span[..take]);
            written += take;
            sinceFlush += take;
            if (sinceFlush >= 8 << 20)
            {
                sinceFlush = 0;
                var fr = await writer.FlushAsync(ctx.RequestAborted);
                if (fr.IsCanceled || fr.IsCompleted) return;
            }
        }
        await writer.FlushAsync(ctx.RequestAborted);
        if (truncate)
        {
            Info(ctx).Status = r.Status;
            // Let the transport hand the bytes to the socket, end the stream with a FIN after them (so the client
            // really receives the partial body), then drop the connection.
            var socket = ctx.Features.Get<IConnectionSocketFeature>()?.Socket;
            await Task.Delay(100);
            try
            {
                socket?.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // already gone
            }
            ctx.Abort();
        }
    }

    /// <summary>Terminal handler for unknown URLs: Django's HTML 404 page.</summary>
    public static Task NotFound(HttpContext ctx) => WriteAsync(ctx, ApiResponse.HtmlNotFound());

    public static double Ms(long startTimestamp) => Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds;
}
