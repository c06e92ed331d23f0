using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CommCare.Emulator;

/// <summary>
/// The form receiver (docs/commcare-api.md#form-submission): <c>receiver/api/</c> (API auth, edit_data + access_api),
/// <c>receiver/secure/[{app_id}/]</c> (Basic by default; an API key also needs edit_data + access_api) and
/// <c>receiver/[{app_id}/]</c> (no authentication unless the config's <c>secureSubmissions</c> is on). Multipart
/// (<c>xml_submission_file</c> + attachments) or a raw XML body; OpenRosa XML responses.
/// </summary>
public static class ReceiverApi
{
    public const int MaxFormBytes = 10 * 1024 * 1024;
    public const int MaxAttachmentBytes = 15 * 1024 * 1024;
    public const string MagicProperty = "xml_submission_file";

    /// <summary>couchforms.const.VALID_ATTACHMENT_FILE_EXTENSIONS (newest list order).</summary>
    public static readonly string[] ValidAttachmentExtensions =
    {
        "jpg", "jpeg", "3gpp", "3gp", "3ga", "3g2", "mp3", "wav", "amr", "mp4", "3gp2", "mpg4", "mpeg4", "m4v", "mpg", "mpeg",
        "qcp", "ogg", "png", "pdf",
    };

    private static readonly Func<HttpContext, byte[], string?> Target = static (_, body) => Submissions.InstanceIdIn(body);

    public static readonly ApiSpec ApiRouteSpec = new("receiver", AuthMode.FunctionView, "edit_data", Throttled: true)
    {
        Methods = new[] { "POST" },
        TargetOf = Target,
    };

    public static readonly ApiSpec SecureSpec = new("receiver", AuthMode.Receiver, "edit_data", Throttled: true)
    {
        Methods = new[] { "POST" },
        TargetOf = Target,
    };

    public static readonly ApiSpec OpenSpec = new("receiver", AuthMode.Anonymous, null, Throttled: true)
    {
        Methods = new[] { "POST" },
        TargetOf = Target,
    };

    public static void Map(WebApplication app, EmulatorState st)
    {
        app.Map("/a/{domain}/receiver/api/", Pipeline.Handle(st, ApiRouteSpec, ctx => Receive(ctx, null)));
        app.Map("/a/{domain}/receiver/secure/", Pipeline.Handle(st, SecureSpec, ctx => Receive(ctx, null)));
        app.Map("/a/{domain}/receiver/secure/{app_id}/", Pipeline.Handle(st, SecureSpec, ctx => Receive(ctx, ctx.Route("app_id"))));
        var open = Pipeline.Handle(st, OpenSpec, ctx => Receive(ctx, null));
        var openSecure = Pipeline.Handle(st, SecureSpec, ctx => Receive(ctx, null));
        var openApp = Pipeline.Handle(st, OpenSpec, ctx => Receive(ctx, ctx.Route("app_id")));
        var openAppSecure = Pipeline.Handle(st, SecureSpec, ctx => Receive(ctx, ctx.Route("app_id")));
        app.Map("/a/{domain}/receiver/", (RequestDelegate)(ctx => st.Config.SecureSubmissions ? openSecure(ctx) : open(ctx)));
        app.Map("/a/{domain}/receiver/{app_id}/", (RequestDelegate)(ctx => st.Config.SecureSubmissions ? openAppSecure(ctx) : openApp(ctx)));
    }

    /// <summary>A <c>BadSubmissionRequest</c>: its message as the body (Django's default content type), with its status.</summary>
    private static ApiResponse Bad(int status, string message) => ApiResponse.Text(status, message, ApiResponse.HtmlType);

    public static ApiResponse Receive(ApiContext ctx, string? appId)
    {
        var domain = ctx.Domain!;
        var store = ctx.Data.Store(domain);
        if (store is null) return Bad(400, $"No domain with name {domain}");

        byte[] xml;
        var attachments = new List<Attachment>();
        var contentType = ctx.Http.Request.ContentType;
        if (Multipart.Is(contentType))
        {
            var parts = Multipart.Parse(ctx.Body, contentType);
            if (parts is null)
            {
                return Bad(400, $"If you use multipart/form-data, please name your file {MagicProperty}.\nYou may also do a normal (non-multipart) post with the xml submission as the request body instead.\n");
            }
            if (parts.Any(p => p.FileName is null)) return Bad(400, "Received a submission with POST.keys()");
            // request.FILES: one file per name (the last one), in order of first appearance
            var files = new List<MultipartPart>();
            foreach (var p in parts)
            {
                var i = files.FindIndex(f => f.Name == p.Name);
                if (i >= 0) files[i] = p;
                else files.Add(p);
            }
            var instance = files.FirstOrDefault(f => f.Name == MagicProperty);
            if (instance is null)
            {
                return Bad(400, $"If you use multipart/form-data, please name your file {MagicProperty}.\nYou may also do a normal (non-multipart) post with the xml submission as the request body instead.\n");
            }
            if (instance.Data.Length > MaxFormBytes) return Bad(413, "Form exceeds 10MB size limit\n");
            if (!ValidExtension(instance.FileName!, new[] { "xml" }))
            {
                return Bad(422, "If you use multipart/form-data, please use xml file only for submitting form xml. You may also do a normal (non-multipart) with the xml submission as the request body instead\n");
            }
            foreach (var f in files)
            {
                if (f.Name == MagicProperty) continue;
                if (f.Data.Length > MaxAttachmentBytes) return Bad(413, "Attachment exceeds 15MB size limit\n");
                var type = f.ContentType ?? "application/octet-stream";
                var typeOk = type.StartsWith("audio/", StringComparison.Ordinal) || type.StartsWith("image/", StringComparison.Ordinal)
                             || type.StartsWith("video/", StringComparison.Ordinal) || type is "application/octet-stream" or "application/pdf";
                if (!ValidExtension(f.FileName!, ValidAttachmentExtensions) && !typeOk)
                {
                    return Bad(422, "If you use multipart/form-data, please use the following supported file extensions for attachments: "
                                    + string.Join(", ", ValidAttachmentExtensions) + "\n");
                }
                attachments.Add(new Attachment(f.Name, type, new BytesBlob(f.Data)));
            }
            xml = instance.Data;
            if (xml.Length == 0) return Bad(400, $"If you use multipart/form-data, the file {MagicProperty} must not have an empty payload\n");
        }
        else
        {
            xml = ctx.Body;
            if (xml.Length == 0) return Bad(400, "Post may not have an empty body\n");
        }

        var headers = ctx.Http.Request.Headers;
        var openRosa = headers.TryGetValue("X-OpenRosa-Version", out var orv) ? orv.ToString() : null;
        var v3 = openRosa == "3.0";
        var authUser = ReferenceEquals(ctx.User, Accounts.Anonymous) ? null : ctx.User.Id;
        var result = Submissions.Process(store, new SubmissionInput(xml, attachments, appId, authUser,
            ctx.Http.Connection.RemoteIpAddress?.ToString() ?? "127.0.0.1", openRosa is not null));

        switch (result.Outcome)
        {
            case SubmissionOutcome.SubmissionError:
                return OpenRosa(500, "submit_error", "There was an error processing the form: " + result.Problem);
            case SubmissionOutcome.Duplicate:
                return v3
                    ? Processed(ctx, result.FormId, 201, "submit_success", Success)
                    : Processed(ctx, result.FormId, 201, "submit_error", result.Problem!);
            case SubmissionOutcome.ProcessingError:
                return v3
                    ? Processed(ctx, result.FormId, 422, "processing_failure", result.Problem!)
                    : Processed(ctx, result.FormId, 201, "submit_error", result.Problem!);
            default:
                return Processed(ctx, result.FormId, 201, "submit_success", Success);
        }
    }

    public const string Success = "   √   ";

    private static bool ValidExtension(string fileName, string[] valid)
    {
        var dot = fileName.LastIndexOf('.');
        if (dot < 0) return false;
        return Array.IndexOf(valid, fileName[(dot + 1)..]) >= 0;
    }

    /// <summary>couchforms' OpenRosaResponse (ElementTree, no XML declaration), served as text/html.</summary>
    public static ApiResponse OpenRosa(int status, string nature, string message)
        => ApiResponse.Text(status,
            "<OpenRosaResponse xmlns=\"http://openrosa.org/http/response\"><message nature=\"" + nature + "\">"
            + CaseXml.Esc(message).Replace("&apos;", "'").Replace("&quot;", "\"") + "</message></OpenRosaResponse>",
            ApiResponse.HtmlType);

    /// <summary>A processed submission: the OpenRosa body plus <c>Location</c>, <c>X-CommCareHQ-FormID</c> and HQ's header quirk.</summary>
    private static ApiResponse Processed(ApiContext ctx, string formId, int status, string nature, string message)
        => OpenRosa(status, nature, message)
            .Header("Location", ctx.State.BaseUrl)
            .Header("X-CommCareHQ-FormID", formId)
            .Header("HTTP_X_OPENROSA_VERSION", "1.0");
}
