using CommCare.Models;
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using System.Xml;
using System.Xml.Linq;
using CommCare.Client.Http;
using CommCare.Client.Paging;

namespace CommCare.Client.Api
{
    /// <summary>The OTA restore: /a/{domain}/phone/restore/ (docs/commcare-api.md#ota-restore), streamed and parsed.</summary>
    public sealed class RestoreApi
    {
        private readonly CommCareClient _c;
        internal RestoreApi(CommCareClient c) => _c = c;

        public Uri Uri(string? asUser, string? since, string version, bool skipFixtures, string? appId)
        {
            // version is always sent and the body parsed whatever its charset (docs/commcare-api.md U28).
            var q = new QueryString().Add("version", version).Add("since", since).Add("as", asUser);
            if (skipFixtures) q.Add("skip_fixtures", "true");
            string path = "a/" + QueryString.Segment(_c.Session.Domain) + "/phone/restore/" + (appId == null ? "" : QueryString.Segment(appId) + "/");
            return new Uri(new Uri(_c.Session.Server, path), q.ToString());
        }

        /// <summary>Downloads and parses a restore; an async restore (202) is waited for as the server asks.</summary>
        public CCRestore Get(Uri uri, TimeSpan maxWait) => GetAsync(uri, maxWait).WaitPumping(_c.Sink);

        private async Task<CCRestore> GetAsync(Uri uri, TimeSpan maxWait)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            int broken = 0;
            while (true)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, uri);
                var info = RequestInfo.For(request);
                info.Sink = _c.Sink;
                info.Streamed = true;
                request.Headers.TryAddWithoutValidation("X-OpenRosa-Version", "3.0");
                using var response = await CCRequest.SendAsync(_c.Engine, request, _c.Token).ConfigureAwait(false);
                int code = (int)response.StatusCode;
                if (code == 202)
                {
                    var wait = ResilienceHandler.RetryAfter(response) ?? TimeSpan.FromSeconds(5);
                    if (clock.Elapsed + wait > maxWait) throw new CCApiException(CCErrorKind.Timeout, $"The restore was still being prepared after {clock.Elapsed.TotalSeconds:0} s.");
                    _c.Sink.Verbose($"The restore is being prepared; waiting {wait.TotalSeconds:0.#} s as the server asks.");
                    if (_c.Token.WaitHandle.WaitOne(wait)) _c.Token.ThrowIfCancellationRequested();
                    continue;
                }
                if (code == 412 || code == 406 || (code == 401 && response.Headers.WwwAuthenticate.Count == 0) || code == 404)
                {
                    string text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
                    var (_, message) = SubmissionsApi.ParseOpenRosa(text);
                    string said = message ?? ApiErrors.ServerMessage(text) ?? text.Trim();
                    if (text.TrimStart().StartsWith("{", StringComparison.Ordinal))
                    {
                        try
                        {
                            using var doc = System.Text.Json.JsonDocument.Parse(text);
                            if (doc.RootElement.TryGetProperty("default_response", out var dr)) said = dr.GetString() ?? said;
                        }
                        catch (System.Text.Json.JsonException) { }
                    }
                    // 412: the sync token is unknown or stale; only a full restore helps.
                    if (code == 412) said = said.TrimEnd('.') + ". Do a full restore (without -Since).";
                    var kind = code == 412 ? CCErrorKind.BadRequest : code == 404 ? CCErrorKind.NotFound : CCErrorKind.Authentication;
                    throw new CCApiException(kind, $"CommCare refused the restore ({code}): {said}", response.StatusCode, said, "GET " + Redaction.PathAndQuery(uri));
                }
                await ApiErrors.ThrowIfFailedAsync(_c.Engine, request, response).ConfigureAwait(false);
                using var stream = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
                try { return Parse(stream, _c.Session.Policy.MaxResponseSize); }
                catch (XmlException ex) { throw new CCApiException(CCErrorKind.BadResponse, $"The restore is not the expected XML (or is larger than the {AttemptTimeoutHandler.Mb(_c.Session.Policy.MaxResponseSize)} cap, which Set-CCSessionOption -MaxResponseSize raises): " + ex.Message, inner: ex); }
                catch (Exception ex) when ((ex is IOException || ex is TimeoutException) && !_c.Token.IsCancellationRequested)
                {
                    // The body stalled (each read has the attempt's deadline) or broke off: a restore is a GET, so it is asked for again.
                    string how = ex is TimeoutException ? "stalled" : "broke off";
                    if (++broken > _c.Session.Policy.MaxRetryCount)
                        throw new CCApiException(ex is TimeoutException ? CCErrorKind.Timeout : CCErrorKind.Network,
                            $"The restore {how} {broken} times (last: {ex.Message}). Raise -RequestTimeout or try again later.", requestPath: "GET " + Redaction.PathAndQuery(uri), inner: ex);
                    _c.Sink.Verbose($"The restore {how} ({ex.Message}); asking again ({broken} of {_c.Session.Policy.MaxRetryCount}).");
                }
            }
        }

        /// <summary>Reads the envelope element by element: cases one at a time, so a big restore is not one big tree.</summary>
        internal static CCRestore Parse(Stream stream, long maxCharacters = CCThrottlePolicy.DefaultMaxResponseSize)
        {
            var restore = new CCRestore();
            var cases = new List<CCCase>();
            var fixtures = new List<CCRestoreFixture>();
            var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, IgnoreWhitespace = true, Async = false, MaxCharactersInDocument = maxCharacters };
            using var reader = XmlReader.Create(stream, settings);
            reader.MoveToContent();
            if (reader.LocalName != "OpenRosaResponse") throw new XmlException($"the root is <{reader.LocalName}>, not <OpenRosaResponse>");
            reader.Read();
            while (!reader.EOF)
            {
                if (reader.NodeType != XmlNodeType.Element) { reader.Read(); continue; }
                var e = (XElement)XNode.ReadFrom(reader);
                switch (e.Name.LocalName)
                {
                    case "message": restore.Message = e.Value.Trim(); break;
                    case "Sync": restore.SyncToken = Child(e, "restore_id"); break;
                    case "Registration":
                        restore.UserName = Child(e, "username");
                        restore.UserId = Child(e, "uuid");
                        foreach (var d in e.Descendants())
                            if (d.Name.LocalName == "data" && d.Attribute("key") != null) restore.UserData[(string)d.Attribute("key")!] = d.Value;
                        break;
                    case "fixture":
                        fixtures.Add(new CCRestoreFixture { Id = (string?)e.Attribute("id") ?? "", UserId = (string?)e.Attribute("user_id"), Xml = e.ToString(SaveOptions.DisableFormatting) });
                        break;
                    // Which fixtures and close blocks a restore holds is unconfirmed: what is there is returned (docs/commcare-api.md U29).
                    case "case": cases.Add(ForwardedPayload.CaseFromXml(e, null)); break;
                }
            }
            restore.Cases = cases;
            restore.Fixtures = fixtures;
            return restore;
        }

        private static string? Child(XElement e, string name)
        {
            foreach (var c in e.Elements()) if (c.Name.LocalName == name) return c.Value.Trim();
            return null;
        }
    }
}
