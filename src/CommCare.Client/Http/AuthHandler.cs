using CommCare.Models;
using System;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Security;
using System.Threading;
using System.Threading.Tasks;

namespace CommCare.Client.Http
{
    /// <summary>Innermost handler but one: adds the Authorization header. The only place the secret is read.</summary>
    internal sealed class AuthHandler : DelegatingHandler
    {
        private readonly CCSession _session;

        public AuthHandler(CCSession session) => _session = session;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            // Never send credentials anywhere but the session's own server (a next link could point elsewhere).
            if (request.RequestUri is null || !SameOrigin(request.RequestUri, _session.Server))
                throw new CCApiException(CCErrorKind.BadResponse,
                    $"Refusing to send credentials to '{request.RequestUri?.GetLeftPart(UriPartial.Authority)}': it is not the session's server {_session.Server.GetLeftPart(UriPartial.Authority)}.");
            string secret = Secrets.Reveal(_session.Secret);
            request.Headers.Authorization = _session.AuthenticationType == CCAuthenticationType.Bearer
                ? new AuthenticationHeaderValue("Bearer", secret)
                : new AuthenticationHeaderValue("ApiKey", _session.UserName + ":" + secret);
            return base.SendAsync(request, cancellationToken);
        }

        internal static bool SameOrigin(Uri a, Uri b)
            => string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
               && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && a.Port == b.Port;
    }

    /// <summary>
    /// Innermost: bounds one attempt, so a hung server becomes a retryable timeout rather than a hang. The
    /// deadline covers the body too: a body the caller reads whole (every non-streamed request, and every
    /// error answer) is read here, under the deadline and the size cap; a streamed success body is handed
    /// on behind <see cref="DeadlineStream"/>, so each of its reads has the same deadline.
    /// </summary>
    internal sealed class AttemptTimeoutHandler : DelegatingHandler
    {
        private readonly CCSession _session;
        public AttemptTimeoutHandler(CCSession session) => _session = session;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var policy = _session.Policy;
            var timeout = policy.RequestTimeout;
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(timeout);
            HttpResponseMessage? response = null;
            try
            {
                response = await base.SendAsync(request, cts.Token).ConfigureAwait(false);
                if (response.Content == null) return response;
                bool success = (int)response.StatusCode >= 200 && (int)response.StatusCode < 300;
                var original = response.Content;
                var info = RequestInfo.For(request);
                if (success && info.Streamed)
                {
                    var body = new StreamContent(new DeadlineStream(await original.ReadAsStreamAsync().ConfigureAwait(false), timeout, info.Cancellation));
                    foreach (var h in original.Headers) body.Headers.TryAddWithoutValidation(h.Key, h.Value);
                    response.Content = body;   // disposing it disposes the network stream, which frees the connection
                    return response;
                }
                // Error bodies only explain the status: a smaller cap keeps an endless one cheap.
                long cap = success ? policy.MaxResponseSize : Math.Min(policy.MaxResponseSize, ErrorBodyCap);
                var read = ReadAllAsync(original, cap, cts.Token);
                await ((Task)read).WaitAsync(cts.Token).ConfigureAwait(false);   // 5.1's streams may ignore the token
                var (buffer, length) = await read.ConfigureAwait(false);
                response.Content = new BufferedBody(buffer, length, original.Headers);
                original.Dispose();
                return response;
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                var status = response?.StatusCode;
                response?.Dispose();
                throw new AttemptTimeoutException(timeout, status);
            }
            catch (OperationCanceledException)
            {
                response?.Dispose();
                throw;
            }
            catch (ResponseTooLargeException ex)
            {
                response!.Dispose();
                string what = request.Method + " " + Redaction.PathAndQuery(request.RequestUri!);
                int code = (int)response.StatusCode;
                throw new CCApiException(CCErrorKind.BadResponse,
                    $"CommCare's answer to {what} ({code}) is larger than the {Mb(ex.Cap)} cap, so it was not read. " +
                    (code >= 200 && code < 300
                        ? $"If the answer is expected to be this large, raise the cap (Set-CCSessionOption -MaxResponseSize {Mb(Math.Min(ex.Cap * 4L, CCThrottlePolicy.MaxResponseSizeLimit))}) or ask for smaller pages (-PageSize)."
                        : "An error answer this large is not an explanation: check the server address."),
                    response.StatusCode, requestPath: what);
            }
            catch (Exception ex) when (response != null && !(ex is OperationCanceledException))
            {
                // Headers arrived, the body broke off: the server may have acted on it.
                var status = response.StatusCode;
                response.Dispose();
                throw new BodyCutOffException(status, ex);
            }
        }

        /// <summary>Error answers are short explanations; 16 MB leaves room for a bulk call's per-item results.</summary>
        internal const long ErrorBodyCap = 16L << 20;

        internal static string Mb(long bytes) => bytes % (1L << 20) == 0 ? (bytes >> 20) + "MB" : bytes.ToString(System.Globalization.CultureInfo.InvariantCulture) + " bytes";

        private static async Task<(byte[] Buffer, int Length)> ReadAllAsync(HttpContent content, long cap, CancellationToken token)
        {
            using var stream = await content.ReadAsStreamAsync().ConfigureAwait(false);
            return await PageBuffers.ReadAllAsync(stream, content.Headers.ContentLength, cap, token).ConfigureAwait(false);
        }
    }

    /// <summary>A timeout of one attempt; Status is set when the headers had arrived and the body stalled.</summary>
    internal sealed class AttemptTimeoutException : TimeoutException
    {
        public AttemptTimeoutException(TimeSpan t, System.Net.HttpStatusCode? status = null)
            : base(status == null ? $"No complete answer within {t.TotalSeconds:0.#} s." : $"CommCare answered {(int)status} but the body stalled; no complete answer within {t.TotalSeconds:0.#} s.")
            => Status = status;
        public System.Net.HttpStatusCode? Status { get; }
    }

    /// <summary>The headers arrived but the body broke off.</summary>
    internal sealed class BodyCutOffException : System.IO.IOException
    {
        public BodyCutOffException(System.Net.HttpStatusCode status, Exception inner) : base("the answer broke off: " + inner.Message, inner) => Status = status;
        public System.Net.HttpStatusCode Status { get; }
    }

    internal static class TaskExtensions
    {
        /// <summary>The sync-over-async wait of the client's blocking methods: while waiting, lets a pumping sink
        /// write its queued messages on this (the cmdlet's) thread, so -Verbose is not held back by a long retry wait.</summary>
        public static T WaitPumping<T>(this Task<T> task, ICCMessageSink sink)
        {
            if (sink is ICCMessagePump pump)
                while (!((IAsyncResult)task).AsyncWaitHandle.WaitOne(100)) pump.Pump();
            return task.GetAwaiter().GetResult();
        }

        /// <summary>netstandard2.0 has no Task.WaitAsync: stop waiting when the token fires.</summary>
        public static async Task WaitAsync(this Task task, CancellationToken token)
        {
            if (task.IsCompleted || !token.CanBeCanceled) { await task.ConfigureAwait(false); return; }
            var tcs = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            using (token.Register(() => tcs.TrySetCanceled(token)))
            {
                var done = await Task.WhenAny(task, tcs.Task).ConfigureAwait(false);
                if (done != task)
                {
                    _ = task.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
                    token.ThrowIfCancellationRequested();
                }
                await task.ConfigureAwait(false);
            }
        }
    }
}
