using CommCare.Models;
using System;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using System.Threading.Tasks;
using CommCare.Client.Http;

namespace CommCare.Client.Api
{
    /// <summary>File downloads streamed to disk: attachments, .ccz archives, saved exports.</summary>
    public sealed class DownloadsApi
    {
        private readonly CommCareClient _c;
        internal DownloadsApi(CommCareClient c) => _c = c;

        /// <summary>
        /// Streams the file at <paramref name="uri"/> to <paramref name="path"/> (through a temporary file in the same folder, so a
        /// failed download never leaves a half file under the final name). A connection that breaks mid-file is
        /// resumed with a Range request where the server supports it (form attachments), else started again.
        /// Returns the number of bytes written; null when the server has no such file (404).
        /// </summary>
        public long? Save(Uri uri, string path)
        {
            // Attachments and .ccz files go through the session's throttle, and the body is kept whatever the headers say (docs/commcare-api.md U15, U46).
            string dir = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
            string tmp = Path.Combine(dir, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N").Substring(0, 8) + ".partial");
            try
            {
                long? n;
                using (var file = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: false))
                    n = DownloadAsync(uri, file).WaitPumping(_c.Sink);
                if (n == null) { File.Delete(tmp); return null; }
                if (File.Exists(path)) File.Delete(path);
                File.Move(tmp, path);
                return n;
            }
            catch
            {
                try { if (File.Exists(tmp)) File.Delete(tmp); } catch (IOException) { }
                throw;
            }
        }

        /// <summary>A 206 part is usable only as "bytes {written}-…" (in bytes, starting exactly at the end of what is saved).</summary>
        internal static bool ContinuesAt(ContentRangeHeaderValue? range, long written)
            => range != null && string.Equals(range.Unit, "bytes", StringComparison.OrdinalIgnoreCase) && range.From == written
               && (range.To == null || range.To >= written) && (range.Length == null || range.To == null || range.To < range.Length);

        private async Task<long?> DownloadAsync(Uri uri, FileStream file)
        {
            var policy = _c.Session.Policy;
            long written = 0;
            int broken = 0;
            var buffer = new byte[81920];
            while (true)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, uri);
                var info = RequestInfo.For(request);
                info.Sink = _c.Sink;
                info.Streamed = true;
                if (written > 0) request.Headers.Range = new RangeHeaderValue(written, null);
                using var response = await CCRequest.SendAsync(_c.Engine, request, _c.Token).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.NotFound) return null;
                await ApiErrors.ThrowIfFailedAsync(_c.Engine, request, response).ConfigureAwait(false);
                if (written > 0 && response.StatusCode != HttpStatusCode.PartialContent)
                {
                    // The server ignored the Range: start the file again.
                    file.SetLength(0);
                    file.Position = 0;
                    written = 0;
                }
                else if (written > 0 && !ContinuesAt(response.Content.Headers.ContentRange, written))
                {
                    // A part that does not start where the file ends would be appended in the wrong place (a
                    // wrong file reported as success): throw away what we have and ask for the whole file.
                    _c.Sink.Verbose($"The server answered the resume of {Redaction.PathAndQuery(uri)} at byte {written} with the range '{response.Content.Headers.ContentRange}'; starting again from the beginning.");
                    file.SetLength(0);
                    file.Position = 0;
                    written = 0;
                    if (++broken > policy.MaxRetryCount)
                        throw new CCApiException(CCErrorKind.BadResponse, $"The download of {Redaction.PathAndQuery(uri)} could not be resumed: the server's Content-Range did not match the bytes already saved.", requestPath: "GET " + Redaction.PathAndQuery(uri));
                    continue;
                }
                long? expected = response.Content.Headers.ContentLength;
                long start = written;
                try
                {
                    using var body = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
                    while (true)
                    {
                        // A stalled body fails after the per-request timeout (DeadlineStream) instead of hanging.
                        int n = await body.ReadAsync(buffer, 0, buffer.Length, _c.Token).ConfigureAwait(false);
                        if (n == 0) break;
                        file.Write(buffer, 0, n);
                        written += n;
                    }
                    if (expected.HasValue && written - start < expected.Value)
                        throw new IOException($"the body ended after {written - start} of {expected} bytes");
                    file.Flush();
                    return written;
                }
                catch (Exception ex) when ((ex is IOException || ex is HttpRequestException || ex is TimeoutException || ex is OperationCanceledException) && !_c.Token.IsCancellationRequested)
                {
                    if (++broken > policy.MaxRetryCount)
                        throw new CCApiException(CCErrorKind.Network, $"The download of {Redaction.PathAndQuery(uri)} broke off {broken} times (last: {ex.Message}).", requestPath: "GET " + Redaction.PathAndQuery(uri), inner: ex);
                    _c.Sink.Verbose($"Download of {Redaction.PathAndQuery(uri)} broke off after {written} bytes ({ex.Message}); resuming.");
                }
            }
        }
    }
}
