using CommCare.Models;
using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Polly;
using Polly.Retry;

namespace CommCare.Client.Http
{
    /// <summary>
    /// Retries (Polly v8): 429/503 honouring Retry-After (decimal seconds or an HTTP date), jittered
    /// exponential backoff for 5xx, resets and timeouts. Non-idempotent requests are retried only when
    /// the server certainly did not act on them. Bounded by attempts and a total time budget.
    /// </summary>
    internal sealed class ResilienceHandler : DelegatingHandler
    {
        private static readonly ResiliencePropertyKey<Attempts> StateKey = new ResiliencePropertyKey<Attempts>("CommCare.Attempts");
        private readonly CCSession _session;
        private Built _built;

        private sealed class Attempts
        {
            public HttpRequestMessage Request = null!;
            public RequestInfo Info = null!;
            public CCThrottlePolicy Policy = null!;
            public Stopwatch Clock = Stopwatch.StartNew();
            public TimeSpan NextDelay;
        }

        /// <summary>The retry pipeline for one policy; built again when Set-CCSessionOption gives the session a new one.</summary>
        private sealed class Built
        {
            public CCThrottlePolicy Policy = null!;
            public ResiliencePipeline<HttpResponseMessage> Pipeline = null!;
        }

        public ResilienceHandler(CCSession session)
        {
            _session = session;
            _built = Build(session.Policy);
        }

        private Built Current()
        {
            var policy = _session.Policy;
            var built = Volatile.Read(ref _built);
            if (ReferenceEquals(built.Policy, policy)) return built;
            var fresh = Build(policy);
            Volatile.Write(ref _built, fresh);
            return fresh;
        }

        private Built Build(CCThrottlePolicy policy)
        {
            var builder = new ResiliencePipelineBuilder<HttpResponseMessage>();
            if (policy.MaxRetryCount > 0)
            {
                builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
                {
                    MaxRetryAttempts = policy.MaxRetryCount,
                    ShouldHandle = args => new ValueTask<bool>(Decide(args.Outcome, args.Context, args.AttemptNumber)),
                    DelayGenerator = args => new ValueTask<TimeSpan?>(args.Context.Properties.GetValue(StateKey, null!).NextDelay),
                    OnRetry = args =>
                    {
                        var st = args.Context.Properties.GetValue(StateKey, null!);
                        st.Info.Attempt = args.AttemptNumber + 2;
                        string why = args.Outcome.Result is { } r
                            ? ((int)r.StatusCode == 429 ? "CommCare throttled the request (429)" : $"CommCare answered {(int)r.StatusCode} {r.ReasonPhrase}")
                            : "the request failed: " + Redaction.Text(TraceHandler.Describe(args.Outcome.Exception!));
                        st.Info.Sink.Verbose($"{why}; waiting {args.RetryDelay.TotalSeconds.ToString("0.0##", CultureInfo.InvariantCulture)} s before retry {args.AttemptNumber + 1} of {st.Policy.MaxRetryCount} ({st.Request.Method} {Redaction.PathAndQuery(st.Request.RequestUri!)}).");
                        return default;
                    },
                });
            }
            return new Built { Policy = policy, Pipeline = builder.Build() };
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var context = ResilienceContextPool.Shared.Get(cancellationToken);
            try
            {
                var built = Current();
                var st = new Attempts { Request = request, Info = RequestInfo.For(request), Policy = built.Policy };
                context.Properties.Set(StateKey, st);
                return await built.Pipeline.ExecuteAsync(
                    async ctx => await base.SendAsync(request, ctx.CancellationToken).ConfigureAwait(false),
                    context).ConfigureAwait(false);
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
            }
        }

        private bool Decide(Outcome<HttpResponseMessage> outcome, ResilienceContext context, int attemptNumber)
        {
            var st = context.Properties.GetValue(StateKey, null!);
            if (context.CancellationToken.IsCancellationRequested) return false;
            bool idempotent = IsIdempotent(st.Request.Method) || st.Info.SafeToRepeat;
            TimeSpan? delay = null;

            if (outcome.Result is { } response)
            {
                int code = (int)response.StatusCode;
                if (code == 429 || code == 503)
                {
                    // The server refused before acting: safe for any method.
                    delay = RetryAfter(response) ?? Backoff(st.Policy, attemptNumber);
                }
                else if (idempotent && (code == 500 || code == 502 || code == 504 || code == 408))
                {
                    delay = Backoff(st.Policy, attemptNumber);
                }
                else return false;
            }
            else if (outcome.Exception is { } ex)
            {
                if (ex is OperationCanceledException && !(ex is TaskCanceledException && !context.CancellationToken.IsCancellationRequested)) return false;
                if (ex is CCApiException) return false;
                if (IsConnectionRefused(ex)) delay = Backoff(st.Policy, attemptNumber);        // nothing reached the server
                else if (idempotent && (ex is HttpRequestException || ex is IOException || ex is TimeoutException || ex is TaskCanceledException))
                    delay = Backoff(st.Policy, attemptNumber);
                else return false;
            }
            else return false;

            var d = delay.Value;
            if (d > st.Policy.MaxRetryWait) d = st.Policy.MaxRetryWait;
            var remaining = st.Policy.RetryBudget - st.Clock.Elapsed;
            if (d > remaining)
            {
                st.Info.Sink.Verbose($"Not retrying {st.Request.Method} {Redaction.PathAndQuery(st.Request.RequestUri!)}: waiting {d.TotalSeconds:0.0} s would pass the retry budget of {st.Policy.RetryBudget.TotalSeconds:0} s.");
                return false;
            }
            st.NextDelay = d;
            return true;
        }

        internal static bool IsIdempotent(HttpMethod m)
            => m == HttpMethod.Get || m == HttpMethod.Head || m == HttpMethod.Options || m == HttpMethod.Put || m == HttpMethod.Delete;

        private static bool IsConnectionRefused(Exception ex)
        {
            for (var e = ex; e != null; e = e.InnerException)
                if (e is SocketException se && se.SocketErrorCode == SocketError.ConnectionRefused) return true;
            return false;
        }

        private static TimeSpan Backoff(CCThrottlePolicy policy, int attemptNumber)
        {
            // Exponential with "equal jitter": between half and all of base × 2^n.
            double max = policy.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attemptNumber, 16));
            max = Math.Min(max, policy.MaxRetryWait.TotalMilliseconds);
            double ms = max / 2 + Jitter.NextDouble() * max / 2;
            return TimeSpan.FromMilliseconds(ms);
        }

        /// <summary>Reads Retry-After from the raw header: CommCare sends decimals such as "3.4", which
        /// .NET's typed parser rejects; an HTTP date is also allowed.</summary>
        internal static TimeSpan? RetryAfter(HttpResponseMessage response)
        {
            // Tastypie may send no Retry-After (docs/commcare-api.md U5): then the jittered back-off decides.
            if (!response.Headers.TryGetValues("Retry-After", out var values)) return null;
            string? raw = values.FirstOrDefault()?.Trim();
            return ParseRetryAfter(raw, DateTimeOffset.UtcNow);
        }

        internal static TimeSpan? ParseRetryAfter(string? raw, DateTimeOffset now)
        {
            if (string.IsNullOrEmpty(raw)) return null;
            if (double.TryParse(raw, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double seconds))
                return seconds < 0 || double.IsNaN(seconds) || double.IsInfinity(seconds) ? (TimeSpan?)null : TimeSpan.FromSeconds(Math.Min(seconds, 86400));
            // Only the HTTP-date forms (RFC 7231, section 7.1.1.1): a lenient parse would read "3,4" or "12:00" as dates.
            if (DateTimeOffset.TryParseExact(raw, HttpDateFormats, CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var when))
            {
                var d = when - now;
                if (d < TimeSpan.Zero) return TimeSpan.Zero;
                return d > TimeSpan.FromDays(1) ? TimeSpan.FromDays(1) : d;
            }
            return null;
        }

        private static readonly string[] HttpDateFormats =
        {
            "r",                                   // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
            "dddd, dd-MMM-yy HH:mm:ss 'GMT'",      // obsolete RFC 850
            "ddd MMM d HH:mm:ss yyyy",             // obsolete asctime
        };

        private static class Jitter
        {
            [ThreadStatic] private static Random? _random;
            public static double NextDouble() => (_random ??= new Random(Guid.NewGuid().GetHashCode())).NextDouble();
        }
    }
}
