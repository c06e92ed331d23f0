using CommCare.Models;
using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace CommCare.Client.Http
{
    /// <summary>
    /// One Verbose line per HTTP attempt (method, path+query with secrets masked, status, ms, attempt);
    /// Debug adds redacted headers. Sits inside the retry handler so each attempt shows.
    /// </summary>
    internal sealed class TraceHandler : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var info = RequestInfo.For(request);
            var sink = info.Sink;
            if (!sink.VerboseEnabled && !sink.DebugEnabled) return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);

            string what = request.Method.Method + " " + Redaction.PathAndQuery(request.RequestUri!);
            string attempt = info.Attempt > 1 ? $" (attempt {info.Attempt})" : "";
            var sw = Stopwatch.StartNew();
            try
            {
                var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
                sink.Verbose($"{what} -> {(int)response.StatusCode} {response.ReasonPhrase} in {sw.ElapsedMilliseconds.ToString(CultureInfo.InvariantCulture)} ms{attempt}");
                if (sink.DebugEnabled)
                {
                    // Copies of the header lines, secrets masked; the request's own headers are untouched.
                    string reqHeaders = string.Join("; ", request.Headers.Select(h => h.Key + ": " +
                        (h.Key.Equals("Authorization", StringComparison.OrdinalIgnoreCase) ? "***" : Redaction.Text(string.Join(",", h.Value)))));
                    string resHeaders = string.Join("; ", response.Headers.Concat(response.Content?.Headers ?? Enumerable.Empty<System.Collections.Generic.KeyValuePair<string, System.Collections.Generic.IEnumerable<string>>>())
                        .Select(h => h.Key + ": " + Redaction.Text(string.Join(",", h.Value))));
                    sink.Debug($"{what} request headers: {reqHeaders}");
                    sink.Debug($"{what} response headers: {resHeaders}");
                }
                return response;
            }
            catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                sink.Verbose($"{what} -> failed after {sw.ElapsedMilliseconds.ToString(CultureInfo.InvariantCulture)} ms{attempt}: {Redaction.Text(Describe(ex))}");
                throw;
            }
        }

        internal static string Describe(Exception ex)
        {
            var inner = ex;
            while (inner.InnerException != null && (inner is HttpRequestException || inner is AggregateException)) inner = inner.InnerException;
            return inner == ex ? ex.Message : ex.Message + " (" + inner.Message + ")";
        }
    }
}
