using System;
using System.Collections.Generic;

namespace CommCare.Emulator;

public sealed record ProjectSpace(string Name, string ProjectName);

/// <summary>A fixed emulator user (web user or mobile worker).</summary>
public sealed class Account
{
    public required string Username { get; init; }
    public required string Id { get; init; }
    public string FirstName { get; init; } = "";
    public string LastName { get; init; } = "";
    public string Email { get; init; } = "";
    public string? Password { get; init; }
    public string? ApiKey { get; init; }
    public bool IsMobileWorker { get; init; }

    /// <summary>domain → role permissions (HqPermissions names).</summary>
    public Dictionary<string, HashSet<string>> Memberships { get; init; } = new(StringComparer.Ordinal);

    public bool IsMemberOf(string domain) => Memberships.ContainsKey(domain);

    public bool Has(string domain, string permission)
        => Memberships.TryGetValue(domain, out var p) && p.Contains(permission);
}

/// <summary>The fixed accounts and project spaces (documented in README.md).</summary>
public static class Accounts
{
    public const string AdminId = "8f9756be9b1c7f28057d707b405d18f6";
    public const string OAuthToken = "emu-oauth-token-0004";

    public static readonly ProjectSpace[] Domains =
    {
        new("demo", "Demo Project"),
        new("other", "Other Project"),
    };

    /// <summary>Toggle slugs the emulator knows for <c>user_domains?feature_flag=</c> (none is enabled anywhere).</summary>
    public static readonly HashSet<string> KnownFeatureFlags = new(StringComparer.Ordinal)
    {
        "api_throttle_whitelist", "superset_analytics", "case_api_v0_6", "odata_feeds",
    };

    private static HashSet<string> AllPermissions() => new(StringComparer.Ordinal)
    {
        "access_api", "edit_data", "view_reports", "edit_web_users", "view_web_users",
        "edit_commcare_users", "view_commcare_users", "edit_groups", "view_groups",
        "edit_locations", "view_locations", "edit_apps", "view_apps", "access_all_locations",
        "edit_ucrs", "access_mobile_endpoints",
    };

    public static readonly Account Admin = new()
    {
        Username = "admin@example.com",
        Id = AdminId,
        FirstName = "Joe",
        LastName = "Admin",
        Email = "admin@example.com",
        Password = "emu-admin-password",
        ApiKey = "emu-admin-key-0001",
        Memberships = new(StringComparer.Ordinal) { ["demo"] = AllPermissions(), ["other"] = AllPermissions() },
    };

    public static readonly Account Viewer = new()
    {
        Username = "viewer@example.com",
        Id = "3d1c4f0e2b6a4b7f9a0c5e8d7b6a5f41",
        FirstName = "Vera",
        LastName = "Viewer",
        Email = "viewer@example.com",
        Password = "emu-viewer-password",
        ApiKey = "emu-viewer-key-0002",
        Memberships = new(StringComparer.Ordinal)
        {
            ["demo"] = new HashSet<string>(StringComparer.Ordinal) { "access_api", "view_reports", "view_apps" },
        },
    };

    public static readonly Account Outsider = new()
    {
        Username = "outsider@example.com",
        Id = "c0ffee00c0ffee00c0ffee00c0ffee03",
        FirstName = "Otto",
        LastName = "Outsider",
        Email = "outsider@example.com",
        Password = "emu-outsider-password",
        ApiKey = "emu-outsider-key-0003",
    };

    public static readonly Account Worker1 = new()
    {
        Username = "worker1@demo.commcarehq.org",
        Id = "e7ad965c70802884a7a67add763939e8",
        FirstName = "Wanda",
        LastName = "Worker",
        Email = "",
        Password = "emu-worker-password",
        IsMobileWorker = true,
        Memberships = new(StringComparer.Ordinal) { ["demo"] = AllPermissions() },
    };

    public static readonly Account[] All = { Admin, Viewer, Outsider, Worker1 };

    /// <summary>The caller of an unauthenticated submission (<c>receiver/</c> without secure submissions); never logs in.</summary>
    public static readonly Account Anonymous = new() { Username = "", Id = "" };

    public static Account? ByUsername(string username)
    {
        foreach (var a in All)
        {
            if (string.Equals(a.Username, username, StringComparison.OrdinalIgnoreCase)) return a;
        }
        return null;
    }

    public static ProjectSpace? Domain(string name)
    {
        foreach (var d in Domains) if (d.Name == name) return d;
        return null;
    }

    /// <summary>Mobile workers that own / modify generated cases and submit generated forms.</summary>
    public static readonly (string Id, string Username)[] DataWorkers =
    {
        (Worker1.Id, "worker1"),
        ("5b0c1e2d3f4a4b5c8d9e0f1a2b3c4d52", "worker2"),
        ("9a8b7c6d5e4f4a3b2c1d0e9f8a7b6c63", "worker3"),
    };
}
