using System;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace CommCare.Emulator;

public enum AuthScheme { None, ApiKey, Basic, Bearer, Digest }

public readonly record struct AuthOutcome(AuthScheme Scheme, Account? User, ApiResponse? Failure)
{
    public string LogName => Scheme switch
    {
        AuthScheme.ApiKey => "apikey",
        AuthScheme.Basic => "basic",
        AuthScheme.Bearer => "bearer",
        AuthScheme.Digest => "digest",
        _ => "none",
    };
}

/// <summary>
/// Authentication as in docs/commcare-api.md#hosts-paths-and-authentication (<c>determine_authtype_from_header</c> + the per-type decorators)
/// and authorisation (membership, mobile workers, permissions).
/// </summary>
public static class Auth
{
    /// <summary>
    /// Identifies the caller. Failure is set for 400 (malformed ApiKey header) and 401 (no / bad credentials).
    /// </summary>
    public static AuthOutcome Authenticate(HttpContext ctx, QueryParams query, ApiSpec spec, DataSet? dataSet = null)
    {
        var header = ctx.Request.Headers.Authorization.ToString();
        var lower = header.ToLowerInvariant();

        if (lower.StartsWith("basic ", StringComparison.Ordinal))
        {
            var user = CheckBasic(header[6..].Trim(), dataSet, ctx);
            return user is not null
                ? new(AuthScheme.Basic, user, null)
                : new(AuthScheme.Basic, null, Unauthorized(spec, basicChallenge: true));
        }
        if (lower.StartsWith("digest ", StringComparison.Ordinal))
        {
            // Digest is not emulated: every Digest answer is refused with a fresh challenge.
            return new(AuthScheme.Digest, null, Unauthorized(spec, digestChallenge: true));
        }
        if (lower.StartsWith("bearer ", StringComparison.Ordinal))
        {
            var token = header[7..].Trim();
            return token == Accounts.OAuthToken
                ? new(AuthScheme.Bearer, Accounts.Admin, null)
                : new(AuthScheme.Bearer, null, Unauthorized(spec));
        }

        // tastypie ApiKeyAuthentication.extract_credentials: "<type> <data>" with type == apikey
        // (case-insensitive), data split on the FIRST ':'; otherwise username/api_key from the query string.
        string? username = null, key = null;
        var fromHeader = false;
        if (header.Length > 0)
        {
            var sp = header.IndexOf(' ');
            if (sp > 0 && header[..sp].Equals("apikey", StringComparison.OrdinalIgnoreCase))
            {
                var data = header[(sp + 1)..].Trim();
                var colon = data.IndexOf(':');
                if (colon < 0)
                {
                    // determine_authtype_from_header → Http400("Bad HTTP_AUTHORIZATION header ...")
                    return new(AuthScheme.ApiKey, null,
                        ApiResponse.Text(400, "Bad HTTP_AUTHORIZATION header " + header, ApiResponse.HtmlType));
                }
                username = data[..colon];
                key = data[(colon + 1)..];
                fromHeader = true;
            }
        }
        if (!fromHeader && spec.CredsInQuery)
        {
            username = query.Get("username");
            key = query.Get("api_key");
        }
        if (!string.IsNullOrEmpty(username) && !string.IsNullOrEmpty(key))
        {
            var acct = Accounts.ByUsername(username);
            if (acct is not null && acct.ApiKey is not null && acct.ApiKey == key) return new(AuthScheme.ApiKey, acct, null);
            // The account's restricted keys (ApiKeys.cs): IP allowlist / expiry / deactivation → 401, domain / role → cut down.
            var restricted = acct is null ? null : ApiKeys.Resolve(acct, key, ctx);
            return restricted is not null
                ? new(AuthScheme.ApiKey, restricted, null)
                : new(AuthScheme.ApiKey, null, Unauthorized(spec));
        }

        // Nothing usable: default auth type is Digest → challenge (the secure receiver defaults to Basic).
        if (spec.Mode == AuthMode.Receiver) return new(AuthScheme.None, null, Unauthorized(spec, basicChallenge: true));
        return new(AuthScheme.None, null, Unauthorized(spec, digestChallenge: true));
    }

    private static Account? CheckBasic(string b64, DataSet? data, HttpContext? ctx = null)
    {
        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(b64));
        }
        catch (FormatException)
        {
            return null;
        }
        var colon = decoded.IndexOf(':');
        if (colon < 0) return null;
        var secret = decoded[(colon + 1)..];
        // Mobile workers of the data set (seeded or created through the user API): their current password,
        // and only while active and not retired. A worker the store does not know falls back to the fixed accounts.
        if (data is not null && data.Users.TryAuthenticate(decoded[..colon], secret, out var worker)) return worker;
        var acct = Accounts.ByUsername(decoded[..colon]);
        if (acct is null || secret.Length == 0) return null;
        // Password, or an API key as the password (ApiKeyFallbackBackend).
        if (acct.Password == secret || acct.ApiKey == secret) return acct;
        return ctx is null ? null : ApiKeys.Resolve(acct, secret, ctx);
    }

    /// <summary>403/401 for an authenticated user who may not use this endpoint, or null when allowed.</summary>
    public static ApiResponse? Authorize(Account user, string? domain, ApiSpec spec, AuthScheme scheme = AuthScheme.ApiKey)
    {
        if (spec.Mode == AuthMode.User)
        {
            // LoginAuthentication(): the login decorator answers 403 for mobile workers
            // (allow_cc_users=False), which LoginAuthentication turns into a plain 401.
            return user.IsMobileWorker ? Unauthorized(spec) : null;
        }
        if (domain is null) return ApiResponse.Empty(403);
        if (spec.Mode is AuthMode.FunctionView or AuthMode.Receiver)
        {
            // api_auth / the receiver's decorators: mobile workers allowed; membership first (403 empty), then the
            // role permissions (require_permission → Django's HTML 403 page).
            if (!user.IsMemberOf(domain)) return ApiResponse.Empty(403);
            if (spec.Mode == AuthMode.Receiver && scheme != AuthScheme.ApiKey) return null;
            var forbidden = spec.EmptyForbidden ? ApiResponse.Empty(403) : ApiResponse.HtmlForbidden();
            if (spec.RequireAccessApi && !user.Has(domain, "access_api")) return forbidden;
            if (spec.Permission is not null && !user.Has(domain, spec.Permission)) return forbidden;
            return null;
        }
        if (user.IsMobileWorker) return ApiResponse.Empty(403);
        if (!user.IsMemberOf(domain)) return ApiResponse.Empty(403);
        if (!user.Has(domain, "access_api")) return ApiResponse.Empty(403);
        if (spec.Permission is not null && !user.Has(domain, spec.Permission)) return ApiResponse.Empty(403);
        return null;
    }

    private static ApiResponse Unauthorized(ApiSpec spec, bool digestChallenge = false, bool basicChallenge = false)
    {
        var r = spec.PlainText401
            ? ApiResponse.Text(401, "Username or API Key is incorrect, expired or deactivated", "text/plain")
            : ApiResponse.Empty(401);
        if (digestChallenge)
        {
            r.Header("WWW-Authenticate", DigestChallenge());
        }
        else if (basicChallenge && spec.Mode is AuthMode.DomainResource or AuthMode.FunctionView or AuthMode.Receiver)
        {
            r.Header("WWW-Authenticate", "Basic realm=\"\"");
        }
        return r;
    }

    /// <summary>django_digest / python_digest style challenge.</summary>
    public static string DigestChallenge()
    {
        var nonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var opaque = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        return $"Digest realm=\"DJANGO\", qop=\"auth\", nonce=\"{nonce}\", opaque=\"{opaque}\", algorithm=\"MD5\", stale=\"false\"";
    }
}
