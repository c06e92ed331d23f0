using System;
using System.Diagnostics;
using System.Globalization;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;

namespace CommCare.Emulator;

/// <summary>How a non-tastypie endpoint authenticates.</summary>
public enum ViewAuth
{
    /// <summary>
    /// HQ's <c>api_auth()</c> function-view decorator (Case API v2, messaging events, ucr rows, fixapi): ApiKey, Basic,
    /// Bearer; mobile workers ARE allowed; a member without the permission gets Django's HTML 403 page.
    /// </summary>
    ApiAuth,
    /// <summary>
    /// <c>ODataAuthentication</c> (docs/commcare-api.md#reports-data-sources-and-odata): Basic (password or API key) and <c>ApiKey</c> only; anything else,
    /// or nothing, is a 401 with <c>WWW-Authenticate: Basic realm=""</c>. Web users only (mobile worker → 403);
    /// a user who is not a member of the project → 401. The permission check is the handler's (its answer differs
    /// per view).
    /// </summary>
    OData,
    /// <summary>No authentication decorator (the .ccz download): credentials are read for the log when valid, never required.</summary>
    Anonymous,
}

/// <summary>Which throttle guards a view.</summary>
public enum ViewThrottle
{
    None,
    /// <summary>tastypie <c>HQThrottle</c>: 429, empty body, no Retry-After.</summary>
    Tastypie,
    /// <summary>HQ's <c>@api_throttle</c>: 429, empty body, <c>Retry-After: &lt;seconds&gt;</c>.</summary>
    ApiThrottle,
}

/// <summary>How one function view / OData view is guarded (the tastypie resources use <see cref="ApiSpec"/>).</summary>
public sealed record ViewSpec(string Name, ViewAuth Auth, string? Permission, ViewThrottle Throttle)
{
    public string[] Methods { get; init; } = { "GET" };

    /// <summary>Django APPEND_SLASH applies (false for OData's <c>$metadata</c> and <c>feed</c>, which have no slash).</summary>
    public bool AppendSlash { get; init; } = true;

    /// <summary>
    /// 405 as a function view answers it, <c>{"error": "Request method not allowed"}</c> (true), or as tastypie does,
    /// an empty body with <c>Allow</c> (false).
    /// </summary>
    public bool JsonMethodError { get; init; } = true;
}

/// <summary>
/// The request order of <see cref="Pipeline"/> (slash → method → auth → throttle → fault → handler) for endpoints that
/// are not tastypie domain resources: HQ function views (<c>api_auth</c>), OData views and the anonymous .ccz download.
/// It uses the same fault injector, rate limiter, request log and response writer.
/// </summary>
public static class ViewPipeline
{
    /// <summary>The caller of an anonymous view that sent no (valid) credentials.</summary>
    public static readonly Account Anonymous = new() { Username = "", Id = "" };

    private static readonly byte[] MethodNotAllowedBody = PyJsonWriter.ErrorBody("error", "Request method not allowed");

    public static RequestDelegate Handle(EmulatorState st, ViewSpec spec, Func<ApiContext, ApiResponse> handler)
        => ctx => Run(ctx, st, spec, handler);

    /// <summary>Django's 403 page (<c>handler403 = no_permissions</c>), what a function view answers a member without the permission.</summary>
    public static ApiResponse HtmlForbidden() => ApiResponse.Text(403,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n  <title>403 Forbidden : CommCare HQ</title>\n</head>\n<body>\n" +
        "  <h1>403 Forbidden</h1>\n  <p>You do not have permission to view this page.</p>\n</body>\n</html>\n", ApiResponse.HtmlType);

    /// <summary>Django's 500 page: what an unhandled error in a function view gives (not tastypie's JSON).</summary>
    public static ApiResponse HtmlServerError() => ApiResponse.Text(500,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n  <title>500 Internal Server Error : CommCare HQ</title>\n</head>\n<body>\n" +
        "  <h1>500 Internal Server Error</h1>\n  <p>Sorry, something went wrong.</p>\n</body>\n</html>\n", ApiResponse.HtmlType);

    private static async Task Run(HttpContext ctx, EmulatorState st, ViewSpec spec, Func<ApiContext, ApiResponse> handler)
    {
        var info = Pipeline.Info(ctx);
        var (rawPath, rawQuery) = Pipeline.RawTarget(ctx);

        if (spec.AppendSlash && !rawPath.EndsWith('/'))
        {
            if (st.Config.AppendSlash)
            {
                var loc = rawPath + "/" + (rawQuery.Length > 0 ? "?" + rawQuery : "");
                await Pipeline.WriteAsync(ctx, ApiResponse.Empty(301).Header("Location", loc));
            }
            else
            {
                await Pipeline.WriteAsync(ctx, ApiResponse.HtmlNotFound());
            }
            return;
        }

        var method = ctx.Request.Method;
        var allow = string.Join(", ", spec.Methods);
        if (Array.IndexOf(spec.Methods, method.ToUpperInvariant()) < 0)
        {
            if (HttpMethods.IsOptions(method) && !spec.JsonMethodError)
            {
                await Pipeline.WriteAsync(ctx, ApiResponse.Text(200, string.Join(",", spec.Methods), ApiResponse.HtmlType).Header("Allow", allow));
                return;
            }
            var r = spec.JsonMethodError
                ? ApiResponse.Json(405, MethodNotAllowedBody)
                : ApiResponse.Empty(405);
            await Pipeline.WriteAsync(ctx, r.Header("Allow", allow));
            return;
        }

        var body = Array.Empty<byte>();
        if (HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method))
        {
            body = await Pipeline.ReadBodyAsync(ctx);
            info.Target = Pipeline.TargetOf(body);
        }

        var query = new QueryParams(rawQuery);
        var domain = ctx.Request.RouteValues["domain"]?.ToString();
        var (user, failure, scheme) = Authenticate(ctx, query, spec, domain, st.Data);
        info.Auth = scheme;
        if (failure is not null)
        {
            await Pipeline.WriteAsync(ctx, failure);
            return;
        }
        if (user.Username.Length > 0) info.User = user.Username;

        if (spec.Throttle != ViewThrottle.None && domain is not null && !st.RateLimit.TryAcquire(domain))
        {
            info.Throttled = true;
            var r = ApiResponse.Empty(429);
            if (spec.Throttle == ViewThrottle.ApiThrottle) r.Header("Retry-After", RetryAfter(st));
            await Pipeline.WriteAsync(ctx, r);
            return;
        }

        await Pipeline.FaultThenHandleAsync(ctx, st, info, rawPath, data => handler(new ApiContext
        {
            Http = ctx,
            State = st,
            Query = query,
            User = user,
            Data = data,
            Domain = domain,
            RawPath = rawPath,
            Body = body,
        }), spec.Auth == ViewAuth.OData ? ApiResponse.ServerError : HtmlServerError);
    }

    private static (Account User, ApiResponse? Failure, string Scheme) Authenticate(
        HttpContext ctx, QueryParams query, ViewSpec spec, string? domain, DataSet? data)
    {
        // Auth.Authenticate speaks tastypie; a DomainResource spec gives the Basic challenge on a bad Basic password.
        var tastypie = new ApiSpec(spec.Name, AuthMode.DomainResource, spec.Permission, Throttled: false);
        var header = ctx.Request.Headers.Authorization.ToString();
        var lower = header.ToLowerInvariant();

        if (spec.Auth == ViewAuth.Anonymous)
        {
            if (header.Length == 0 && !query.Has("api_key")) return (Anonymous, null, "none");
            var a = Auth.Authenticate(ctx, query, tastypie, data);
            return (a.User ?? Anonymous, null, a.LogName);
        }

        if (spec.Auth == ViewAuth.OData)
        {
            // basic / api_key only; the default (no header, Digest, Bearer) is the Basic challenge.
            var isBasic = lower.StartsWith("basic ", StringComparison.Ordinal);
            var isApiKey = !isBasic && header.IndexOf(' ') is > 0 and var sp && header[..sp].Equals("apikey", StringComparison.OrdinalIgnoreCase);
            if (!isBasic && !isApiKey)
            {
                var scheme = lower.StartsWith("digest ", StringComparison.Ordinal) ? "digest"
                    : lower.StartsWith("bearer ", StringComparison.Ordinal) ? "bearer" : "none";
                return (Anonymous, ApiResponse.Empty(401).Header("WWW-Authenticate", "Basic realm=\"\""), scheme);
            }
            var a = Auth.Authenticate(ctx, query, tastypie, data);
            if (a.Failure is not null)
            {
                var f = a.Failure;
                if (f.Status == 401 && !HasHeader(f, "WWW-Authenticate")) f.Header("WWW-Authenticate", "Basic realm=\"\"");
                return (Anonymous, f, a.LogName);
            }
            var u = a.User!;
            if (domain is null) return (u, ApiResponse.Empty(403), a.LogName);
            if (u.IsMobileWorker) return (u, ApiResponse.Empty(403), a.LogName);
            if (!u.IsMemberOf(domain)) return (u, ApiResponse.Empty(401), a.LogName);
            if (!u.Has(domain, "access_api")) return (u, ApiResponse.Empty(403), a.LogName);
            return (u, null, a.LogName);
        }

        // api_auth(): ApiKey / Basic / Bearer (Digest challenged, as everywhere in the emulator).
        var r = Auth.Authenticate(ctx, query, tastypie, data);
        if (r.Failure is not null) return (Anonymous, r.Failure, r.LogName);
        var user = r.User!;
        if (domain is null || !user.IsMemberOf(domain)) return (user, ApiResponse.Empty(403), r.LogName);
        if (!user.Has(domain, "access_api")) return (user, ApiResponse.Empty(403), r.LogName);
        if (spec.Permission is not null && !user.Has(domain, spec.Permission)) return (user, HtmlForbidden(), r.LogName);
        return (user, null, r.LogName);
    }

    private static bool HasHeader(ApiResponse r, string name)
    {
        foreach (var h in r.Headers) if (string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    /// <summary>
    /// Seconds until the exceeded window frees up, as <c>RateLimiter.get_retry_after</c> does (fractional): the rest of the
    /// current second when the per-second window is on, else the rest of the current 30-second grain.
    /// </summary>
    private static string RetryAfter(EmulatorState st)
    {
        var (perSecond, _) = st.RateLimit.Limits;
        var now = st.RateLimit.Clock();
        var grain = perSecond > 0 ? TimeSpan.TicksPerSecond : 30 * TimeSpan.TicksPerSecond;
        var rest = (grain - now % grain) / (double)TimeSpan.TicksPerSecond;
        rest = Math.Max(0.1, Math.Ceiling(rest * 10) / 10);
        return rest.ToString("0.0", CultureInfo.InvariantCulture);
    }
}
