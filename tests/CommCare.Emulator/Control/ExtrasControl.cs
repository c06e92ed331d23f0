using System;
using System.Buffers;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CommCare.Emulator;

/// <summary>
/// Control-plane additions for the restore, SMS registration, forwarding and export areas (no auth, not logged, never
/// faulted or throttled, like the rest of <c>/_emulator/</c>). See README.md.
/// </summary>
public static class ExtrasControl
{
    public static void Map(WebApplication app, EmulatorState st)
    {
        app.MapMethods("/_emulator/sms", new[] { "GET" }, (RequestDelegate)(ctx =>
            Json(ctx, 200, w => SmsRegistrationApi.WriteOutbox(w, st.Extras.Sms()))));
        app.MapMethods("/_emulator/sms", new[] { "DELETE" }, (RequestDelegate)(ctx =>
        {
            st.Extras.ClearSms();
            return Json(ctx, 200, w =>
            {
                w.WriteStartObject();
                w.WriteBoolean("ok", true);
                w.WriteEndObject();
            });
        }));

        app.MapMethods("/_emulator/forwarders", new[] { "GET" }, (RequestDelegate)(ctx => Json(ctx, 200, w =>
        {
            w.WriteStartArray();
            foreach (var f in ForwardingApi.Seeded)
            {
                w.WriteStartObject();
                w.WriteString("id", f.Id);
                w.WriteString("domain", f.Domain);
                w.WriteString("type", f.Type);
                w.WriteString("url", f.Url);
                w.WriteString("format", f.Format);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        })));

        // The exact body (and Content-Type, headers) HQ would POST to a forwarding URL for one record.
        app.MapMethods("/_emulator/forwarding-payload", new[] { "GET" }, (RequestDelegate)(async ctx =>
        {
            if (st.Data is not { } data)
            {
                await Error(ctx, 503, "data set not ready");
                return;
            }
            var q = ctx.Request.Query;
            var format = q["format"].ToString();
            var id = q["id"].ToString();
            var domain = q["domain"].Count > 0 ? q["domain"].ToString() : "demo";
            if (id.Length == 0)
            {
                await Error(ctx, 400, "give id=<form or case id> and format=" + string.Join("|", ForwardingApi.Formats));
                return;
            }
            var payload = ForwardingApi.Payload(data, domain, format, id, out var error, out var notFound, st.Alt.CaseForwardChangesOnly);
            if (payload is null)
            {
                await Error(ctx, notFound ? 404 : 400, error!);
                return;
            }
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = payload.ContentType;
            foreach (var (k, v) in payload.Headers) ctx.Response.Headers[k] = v;
            if (payload.Query is not null) ctx.Response.Headers["X-Emulator-Forwarding-Query"] = payload.Query;
            ctx.Response.ContentLength = payload.Body.Length;
            await ctx.Response.Body.WriteAsync(payload.Body);
        }));

        app.MapMethods("/_emulator/restore-tokens", new[] { "GET" }, (RequestDelegate)(ctx => Json(ctx, 200, w =>
        {
            w.WriteStartArray();
            foreach (var t in st.Extras.Tokens())
            {
                w.WriteStartObject();
                w.WriteString("restoreId", t.Id);
                w.WriteString("domain", t.Domain);
                w.WriteString("userId", t.UserId);
                w.WriteString("serverTime", Dates.ToString(t.ServerTime, DateStyle.MicroZ));
                w.WriteString("stateHash", RestoreApi.StateHash(t.CaseIds));
                w.WriteNumber("cases", t.CaseIds.Count);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        })));
    }

    private static Task Json(HttpContext ctx, int status, Action<Utf8JsonWriter> write) => Control.Json(ctx, status, write);

    private static Task Error(HttpContext ctx, int status, string message) => Control.Error(ctx, status, message);
}
