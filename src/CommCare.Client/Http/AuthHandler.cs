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

    /// <summary>Innermost: bounds one attempt, so a hung server becomes a retryable timeout rather than a hang.</summary>
    internal sealed class AttemptTimeoutHandler : DelegatingHandler
    {
        private readonly TimeSpan _timeout;
        public AttemptTimeoutHandler(TimeSpan timeout) => _timeout = timeout;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            cts.CancelAfter(_timeout);
            try
            {
                var response = await base.SendAsync(request, cts.Token).ConfigureAwait(false);
                if (request.Method == HttpMethod.Get && response.Content != null && !RequestInfo.For(request).Streamed)
                {
                    // Read the whole body inside the attempt, so a cut-off or stalled body is retried like any other failure.
                    var original = response.Content;
                    var read = ReadAllAsync(original, cts.Token);
                    await ((Task)read).WaitAsync(cts.Token).ConfigureAwait(false);   // 5.1's streams may ignore the token
                    var (buffer, length) = await read.ConfigureAwait(false);
                    response.Content = new BufferedBody(buffer, length, original.Headers);
                    original.Dispose();
                }
                return response;
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new AttemptTimeoutException(_timeout);
            }
        }

        private static async Task<(byte[] Buffer, int Length)> ReadAllAsync(HttpContent content, CancellationToken token)
        {
            using var stream = await content.ReadAsStreamAsync().ConfigureAwait(false);
            return await PageBuffers.ReadAllAsync(stream, content.Headers.ContentLength, token).ConfigureAwait(false);
        }
    }

    internal sealed class AttemptTimeoutException : TimeoutException
    {
        public AttemptTimeoutException(TimeSpan t) : base($"No complete answer within {t.TotalSeconds:0.#} s.") { }
    }

    internal static class TaskExtensions
    {
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
