using CommCare.Models;
using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace CommCare.Client.Http
{
    /// <summary>Sends through the session's pipeline and turns transport failures into CCApiException.</summary>
    internal static class CCRequest
    {
        public static async Task<HttpResponseMessage> SendAsync(CCHttpEngine engine, HttpRequestMessage request, CancellationToken token)
        {
            string what = request.Method + " " + Redaction.PathAndQuery(request.RequestUri!);
            RequestInfo.For(request).Cancellation = token;
            try
            {
                return await engine.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                throw;
            }
            catch (CCApiException)
            {
                throw;
            }
            catch (TimeoutException ex)
            {
                var status = (ex as AttemptTimeoutException)?.Status;
                throw new CCApiException(CCErrorKind.Timeout,
                    Acted(request, status, what, $"stalled for {engine.Session.Policy.RequestTimeout.TotalSeconds:0.#} s")
                    ?? $"CommCare did not answer {what} in time{(IsRepeatable(request) ? $", after {engine.Session.Policy.MaxRetryCount} retries" : "")}: {ex.Message} Raise -RequestTimeout or try again later.",
                    status, requestPath: what, inner: ex);
            }
            catch (BodyCutOffException ex)
            {
                throw new CCApiException(CCErrorKind.Network,
                    Acted(request, ex.Status, what, "broke off")
                    ?? $"CommCare's answer to {what} ({(int)ex.Status}) broke off: {Redaction.Text(TraceHandler.Describe(ex.InnerException ?? ex))}",
                    ex.Status, requestPath: what, inner: ex);
            }
            catch (Exception ex) when (ex is HttpRequestException || ex is IOException || ex is TaskCanceledException)
            {
                throw new CCApiException(CCErrorKind.Network,
                    $"Could not reach CommCare at {engine.Session.Server.GetLeftPart(UriPartial.Authority)} for {what}: {Redaction.Text(TraceHandler.Describe(ex))}",
                    requestPath: what, inner: ex);
            }
        }

        /// <summary>For a write that CommCare answered with success before its body failed: the change was made,
        /// so saying "try again" would repeat it. Null otherwise.</summary>
        private static string? Acted(HttpRequestMessage request, HttpStatusCode? status, string what, string how)
        {
            int code = (int)(status ?? 0);
            if (code < 200 || code >= 300 || IsRepeatable(request)) return null;
            return $"CommCare answered {code} to {what}, so the change was made, but its answer {how} and its result could not be read. Check the result in CommCare before repeating it.";
        }

        private static bool IsRepeatable(HttpRequestMessage request)
            => ResilienceHandler.IsIdempotent(request.Method) || RequestInfo.For(request).SafeToRepeat;
    }

    /// <summary>Turns a failed HTTP answer into an error that says what happened and what to do.</summary>
    internal static class ApiErrors
    {
        public static async Task ThrowIfFailedAsync(CCHttpEngine engine, HttpRequestMessage request, HttpResponseMessage response)
        {
            int code = (int)response.StatusCode;
            // Any 2xx is success: e.g. a user DELETE may answer 202 or 204 (docs/commcare-api.md U41).
            if (code >= 200 && code < 300) return;
            string body = "";
            try { body = response.Content == null ? "" : await response.Content.ReadAsStringAsync().ConfigureAwait(false); }
            catch (Exception) { /* the status says enough */ }
            throw Create(engine, request, response.StatusCode, body);
        }

        internal static CCApiException Create(CCHttpEngine engine, HttpRequestMessage request, HttpStatusCode status, string body)
        {
            var session = engine.Session;
            int code = (int)status;
            string what = request.Method + " " + Redaction.PathAndQuery(request.RequestUri!);
            string? server = ServerMessage(Redaction.Value(body, session.Secret));
            string said = server == null ? "" : $" The server said: {server}";
            string user = session.UserName ?? "(bearer token)";
            int retries = session.Policy.MaxRetryCount;
            switch (code)
            {
                // Any 401 or 403, whatever its body or challenge, stops as an auth/permission error (docs/commcare-api.md U3, U4, U16).
                case 401:
                    return new CCApiException(CCErrorKind.Authentication,
                        $"CommCare refused the credentials for '{user}' (401 Unauthorized) on {session.Server.GetLeftPart(UriPartial.Authority)}. " +
                        "Check the user name (the web user's e-mail) and the API key, that the key is active and not expired, and that this machine's IP address is on the key's allow-list." + said,
                        status, server, what);
                case 403:
                    return new CCApiException(CCErrorKind.Permission,
                        $"'{user}' is not allowed to do this in project space '{session.Domain}' (403 Forbidden, {what}). " +
                        "The user must be a web user who is a member of the project with the 'Access APIs' permission and the permission this call needs (cases and forms need 'Edit data'); an API key limited to another project space or role, or mobile-worker credentials, also get 403." + said,
                        status, server, what);
                case 404:
                    return new CCApiException(CCErrorKind.NotFound,
                        // HQ answers some 404s with tastypie's canned "…Please try again later.": advice that does not fit a
                        // missing record, so it is not repeated (it stays in ServerMessage).
                        $"Not found (404): {what}. Check the project space name '{session.Domain}' and the id."
                        + (server != null && server.IndexOf("try again later", StringComparison.OrdinalIgnoreCase) >= 0 ? "" : said), status, server, what);
                case 400:
                    return new CCApiException(CCErrorKind.BadRequest,
                        $"CommCare rejected the request (400 Bad Request, {what})." + (server == null ? "" : " " + server), status, server, what);
                case 429:
                    return new CCApiException(CCErrorKind.Throttled,
                        $"CommCare kept throttling the request (429 Too Many Requests) after {retries} retries ({what}). " +
                        "Lower the session's rate (Set-CCSessionOption -RequestsPerSecond, or -MobileWorkerCount to match the project) or raise -MaxRetryCount / -RetryBudget.",
                        status, server, what);
                default:
                    if (code >= 500)
                        return new CCApiException(CCErrorKind.Server,
                            $"CommCare answered {code} {Reason(status)} for {what} after {retries} retries. Try again later." + said, status, server, what);
                    return new CCApiException(CCErrorKind.BadResponse, $"Unexpected answer {code} {Reason(status)} for {what}." + said, status, server, what);
            }
        }

        /// <summary>"Internal Server Error", not the enum's "InternalServerError".</summary>
        internal static string Reason(HttpStatusCode status)
            => System.Text.RegularExpressions.Regex.Replace(status.ToString(), "(?<=[a-z])(?=[A-Z])", " ");

        /// <summary>{"error": "..."} or {"error_message": "..."}; plain text bodies are kept short; HTML pages are dropped.</summary>
        internal static string? ServerMessage(string body)
        {
            if (string.IsNullOrWhiteSpace(body)) return null;
            string t = body.TrimStart();
            if (t.StartsWith("{", StringComparison.Ordinal))
            {
                try
                {
                    using var doc = JsonDocument.Parse(t);
                    foreach (var name in new[] { "error", "errors", "error_message", "message", "detail", "error_html" })
                        if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(name, out var e))
                        {
                            // Web user and invitation errors come as a list: {"errors": ["...", "..."]}.
                            if (e.ValueKind == JsonValueKind.Array)
                                return Redaction.Text(string.Join("; ", e.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString() : x.GetRawText())));
                            string said = e.ValueKind == JsonValueKind.String ? e.GetString() ?? "" : e.GetRawText();
                            // The .ccz download explains build errors as an HTML fragment: keep its text.
                            if (name == "error_html") said = System.Net.WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Replace(System.Text.RegularExpressions.Regex.Replace(said, "<li>", " - "), "<[^>]+>", " ")).Trim();
                            return Redaction.Text(said);
                        }
                }
                catch (JsonException) { }
            }
            if (t.StartsWith("<", StringComparison.Ordinal)) return null;
            // Bulk endpoints answer with a JSON array of per-item results: keep it whole for the caller to read.
            if (t.StartsWith("[", StringComparison.Ordinal)) return Redaction.Text(t.Trim());
            return Redaction.Truncate(Redaction.Text(t.Trim()), 500);
        }
    }
}
