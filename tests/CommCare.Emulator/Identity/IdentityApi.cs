using System;
using System.Collections.Generic;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CommCare.Emulator;

/// <summary>User-scope endpoints without a domain (docs/commcare-api.md#identity-and-sso): identity and user_domains.</summary>
public static class IdentityApi
{
    /// <summary>LoginAuthentication(); not throttled.</summary>
    public static readonly ApiSpec IdentitySpec = new("identity", AuthMode.User, null, Throttled: false);

    /// <summary>LoginAuthentication(allow_session_auth=True); 401 body is plain text; not throttled.</summary>
    public static readonly ApiSpec UserDomainsSpec = new("user_domains", AuthMode.User, null, Throttled: false, PlainText401: true);

    public static void Map(WebApplication app, EmulatorState st)
    {
        app.Map("/api/identity/v1/", Pipeline.Handle(st, IdentitySpec, Identity));
        app.Map("/api/v0.5/identity/", Pipeline.Handle(st, IdentitySpec, Identity));
        app.Map("/api/user_domains/v1/", Pipeline.Handle(st, UserDomainsSpec, UserDomains));
        app.Map("/api/v0.5/user_domains/", Pipeline.Handle(st, UserDomainsSpec, UserDomains));
    }

    /// <summary>A single object (ListToSingleObjectSerializer): no meta, no resource_uri.</summary>
    public static ApiResponse Identity(ApiContext ctx)
    {
        var u = ctx.User;
        var w = new PyJsonWriter(256);
        w.BeginObject()
            .Prop("email", u.Email)
            .Prop("first_name", u.FirstName)
            .Prop("id", u.Id)
            .Prop("last_name", u.LastName)
            .Prop("username", u.Username)
            .EndObject();
        return ApiResponse.Json(200, w.ToArray());
    }

    public static ApiResponse UserDomains(ApiContext ctx)
    {
        var q = ctx.Query;
        var flag = q.Get("feature_flag");
        if (!string.IsNullOrEmpty(flag) && !Accounts.KnownFeatureFlags.Contains(flag))
        {
            return ApiResponse.BadRequest($"'{flag}' is not a valid feature flag");
        }
        var canViewReports = !string.IsNullOrEmpty(q.Get("can_view_reports"));

        var domains = new List<ProjectSpace>();
        foreach (var d in Accounts.Domains)
        {
            if (!ctx.User.IsMemberOf(d.Name)) continue;
            if (!string.IsNullOrEmpty(flag)) continue; // no toggle is enabled on any emulated domain
            if (canViewReports && !ctx.User.Has(d.Name, "view_reports")) continue;
            domains.Add(d);
        }

        var err = Paging.LimitOffsetOrError(q, 20, 1000, out var limit, out var offset);
        if (err is not null) return err;
        var objects = new List<ReadOnlyMemory<byte>>();
        for (var i = offset; i < domains.Count && objects.Count < limit; i++)
        {
            var d = domains[(int)i];
            var w = new PyJsonWriter(128);
            w.BeginObject().Prop("domain_name", d.Name).Prop("project_name", d.ProjectName).EndObject();
            objects.Add(w.ToArray());
        }
        return Paging.Page(ctx, limit, offset, domains.Count, objects);
    }
}
