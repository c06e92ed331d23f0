using System;
using System.Collections.Generic;
using System.Net;
using Microsoft.AspNetCore.Http;

namespace CommCare.Emulator;

/// <summary>
/// One extra <c>HQApiKey</c> of a fixed account (docs/commcare-api.md#api-keys): besides the account's own unrestricted key, a user
/// may hold several keys, each with its own restrictions.
/// </summary>
public sealed record RestrictedApiKey(string Username, string Key, string Name)
{
    /// <summary>Individual addresses (no CIDR); empty = any address.</summary>
    public string[] IpAllowlist { get; init; } = Array.Empty<string>();
    /// <summary>The only project space the key works on (null = all the user's projects).</summary>
    public string? Domain { get; init; }
    /// <summary>A role that narrows the key's permissions (in <see cref="RoleDomain"/>, which then is the only project).</summary>
    public string? RoleId { get; init; }
    public string? RoleDomain { get; init; }
    /// <summary>UTC expiry (ticks); 0 = none.</summary>
    public long ExpiresTicks { get; init; }
    public bool IsActive { get; init; } = true;
}

/// <summary>
/// The seeded restricted keys and how they authenticate (<c>HQApiKeyAuthentication.is_authenticated</c>,
/// <c>require_api_permission</c>). A key that fails (IP not listed, expired, deactivated) is a plain 401, like an unknown key.
/// A key restricted to a domain or a role authenticates as a copy of its owner whose permissions are cut down:
/// every other project keeps the membership but loses all permissions (so the permission check answers 403).
/// </summary>
public static class ApiKeys
{
    public const string IpRestricted = "emu-admin-key-ip-0005";
    public const string OtherOnly = "emu-admin-key-other-0006";
    public const string Expired = "emu-admin-key-expired-0007";
    public const string Deactivated = "emu-admin-key-inactive-0008";
    public const string ViewerRole = "emu-admin-key-viewer-0009";
    public const string LocalIp = "emu-admin-key-localip-0010";

    public static readonly RestrictedApiKey[] All =
    {
        new(Accounts.Admin.Username, IpRestricted, "IP allowlist (not this machine)")
        {
            IpAllowlist = new[] { "203.0.113.7", "198.51.100.23" },
        },
        new(Accounts.Admin.Username, OtherOnly, "Project 'other' only") { Domain = "other" },
        new(Accounts.Admin.Username, Expired, "Expired 2024-12-31")
        {
            ExpiresTicks = new DateTime(2024, 12, 31, 0, 0, 0, DateTimeKind.Utc).Ticks,
        },
        new(Accounts.Admin.Username, Deactivated, "Deactivated") { IsActive = false },
        new(Accounts.Admin.Username, ViewerRole, "Viewer role in demo")
        {
            RoleId = UserStore.RoleViewer,
            RoleDomain = "demo",
        },
        new(Accounts.Admin.Username, LocalIp, "IP allowlist (127.0.0.1)")
        {
            IpAllowlist = new[] { "127.0.0.1", "::1" },
        },
    };

    /// <summary>The permissions of the Viewer role (UserStore.RoleViewer), the role a role-restricted key is cut down to.</summary>
    private static readonly Dictionary<string, string[]> RolePermissions = new(StringComparer.Ordinal)
    {
        [UserStore.RoleViewer] = new[] { "access_api", "view_reports", "view_apps" },
    };

    /// <summary>
    /// The account a restricted key of <paramref name="owner"/> authenticates as, or null when <paramref name="key"/> is
    /// none of its restricted keys or the key is refused (IP, expiry, deactivated): the caller answers 401.
    /// </summary>
    public static Account? Resolve(Account owner, string key, HttpContext ctx)
    {
        RestrictedApiKey? k = null;
        foreach (var candidate in All)
        {
            if (candidate.Key == key && string.Equals(candidate.Username, owner.Username, StringComparison.OrdinalIgnoreCase)) k = candidate;
        }
        if (k is null || !k.IsActive) return null;
        if (k.ExpiresTicks != 0 && DateTime.UtcNow.Ticks >= k.ExpiresTicks) return null;
        if (k.IpAllowlist.Length > 0 && Array.IndexOf(k.IpAllowlist, ClientIp(ctx)) < 0) return null;
        var only = k.Domain ?? k.RoleDomain;
        if (only is null) return owner;

        var memberships = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var (domain, perms) in owner.Memberships)
        {
            var kept = new HashSet<string>(StringComparer.Ordinal);
            if (domain == only)
            {
                if (k.RoleId is not null && RolePermissions.TryGetValue(k.RoleId, out var rolePerms))
                {
                    foreach (var p in rolePerms) if (perms.Contains(p)) kept.Add(p);
                }
                else
                {
                    kept.UnionWith(perms);
                }
            }
            memberships[domain] = kept;
        }
        return new Account
        {
            Username = owner.Username,
            Id = owner.Id,
            FirstName = owner.FirstName,
            LastName = owner.LastName,
            Email = owner.Email,
            Password = owner.Password,
            ApiKey = owner.ApiKey,
            IsMobileWorker = owner.IsMobileWorker,
            Memberships = memberships,
        };
    }

    /// <summary>
    /// The address HQ sees (<c>dimagi.utils.web.get_ip</c>): the first address of <c>X-Forwarded-For</c> when present,
    /// else the peer address (IPv4-mapped addresses as plain IPv4).
    /// </summary>
    public static string ClientIp(HttpContext ctx)
    {
        var xff = ctx.Request.Headers["X-Forwarded-For"].ToString();
        if (xff.Length > 0)
        {
            var first = xff.Split(',')[0].Trim();
            if (first.Length > 0) return first;
        }
        var ip = ctx.Connection.RemoteIpAddress;
        if (ip is null) return "127.0.0.1";
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        return ip.Equals(IPAddress.IPv6Loopback) ? "::1" : ip.ToString();
    }
}
