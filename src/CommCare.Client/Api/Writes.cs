using System;
using System.Globalization;
using System.Net.Http;
using System.Text.Json;
using System.Threading.Tasks;
using CommCare.Client.Http;

namespace CommCare.Client.Api
{
    /// <summary>Sending JSON writes through the session's pipeline; shared by the API areas.</summary>
    internal static class Writes
    {
        /// <summary>Sends a request with an optional JSON body and returns the response text; a non-2xx
        /// answer becomes a CCApiException. safeToRepeat: the call may be retried after an unknown outcome
        /// (PUT-like updates), which the pipeline otherwise never does for POST.</summary>
        public static string Send(CommCareClient c, HttpMethod method, Uri uri, byte[]? json, bool safeToRepeat = false)
        {
            using var request = new HttpRequestMessage(method, uri);
            if (json != null)
            {
                var content = new ByteArrayContent(json);
                content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
                request.Content = content;
            }
            var info = RequestInfo.For(request);
            info.Sink = c.Sink;
            info.SafeToRepeat = safeToRepeat;
            return SendAsync(c, request).WaitPumping(c.Sink);
        }

        /// <summary>Sends a ready multipart/form-data body (built once, so a retry sends the same bytes).</summary>
        public static string SendMultipart(CommCareClient c, Uri uri, MultipartBody body, bool safeToRepeat)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = body.ToContent() };
            var info = RequestInfo.For(request);
            info.Sink = c.Sink;
            info.SafeToRepeat = safeToRepeat;
            return SendAsync(c, request).WaitPumping(c.Sink);
        }

        private static async Task<string> SendAsync(CommCareClient c, HttpRequestMessage request)
        {
            using var response = await CCRequest.SendAsync(c.Engine, request, c.Token).ConfigureAwait(false);
            await ApiErrors.ThrowIfFailedAsync(c.Engine, request, response).ConfigureAwait(false);
            // The attempt has read the body (under its deadline); a cut-off or stalled one failed there.
            return response.Content == null ? "" : await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        }

        /// <summary>The "id" of a create answer ({"id": ...} or a full object), or null.</summary>
        public static string? IdFrom(string text)
        {
            if (string.IsNullOrWhiteSpace(text)) return null;
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("id", out var id) ? id.GetString() : null;
        }

        public static void Value(Utf8JsonWriter w, object? v)
        {
            switch (v)
            {
                case null: w.WriteNullValue(); break;
                case bool b: w.WriteBooleanValue(b); break;
                case int i: w.WriteNumberValue(i); break;
                case long l: w.WriteNumberValue(l); break;
                case double d: w.WriteNumberValue(d); break;
                case decimal m: w.WriteNumberValue(m); break;
                default: w.WriteStringValue(Convert.ToString(v, CultureInfo.InvariantCulture)); break;
            }
        }
    }
}
