using CommCare.Models;
using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace CommCare.Client.Http
{
    /// <summary>
    /// Client-side pacing, so a session configured with its project's size does not trip CommCare's limits.
    /// CommCare counts requests per project, so the record of requests sent is shared by every session
    /// object, runspace and thread in the process that talks to the same server and project space; each
    /// session paces against that shared record with its own rates. Concurrency is per session object.
    /// Retries pass through it too.
    /// </summary>
    internal sealed class Throttle
    {
        private readonly CCSession _session;
        private readonly string _projectKey;
        private Paced _paced;

        public Throttle(CCSession session, string projectKey)
        {
            _session = session;
            _projectKey = projectKey;
            _paced = new Paced(session.Policy, projectKey);
        }

        /// <summary>Pacing for one policy; built again when Set-CCSessionOption gives the session a new one.</summary>
        private sealed class Paced
        {
            public readonly CCThrottlePolicy Policy;
            public readonly SemaphoreSlim Concurrency;
            public readonly List<(int Limit, long Window)> Windows = new List<(int, long)>();
            public readonly RequestLog? Log;

            public Paced(CCThrottlePolicy policy, string projectKey)
            {
                Policy = policy;
                Concurrency = new SemaphoreSlim(policy.MaxConcurrency, policy.MaxConcurrency);
                Add(policy.RequestsPerSecond, TimeSpan.FromSeconds(1));
                Add(policy.RequestsPerMinute, TimeSpan.FromMinutes(1));
                Add(policy.RequestsPerHour, TimeSpan.FromHours(1));
                if (Windows.Count > 0) Log = RequestLog.For(projectKey);
            }

            private void Add(double perWindow, TimeSpan window)
            {
                if (perWindow <= 0) return;
                // At most n sends in any stretch of n / rate: never more than the rate in any server grain,
                // and the full rate in steady state. A fractional rate stretches the window (0.9/s: 1 per 1.11 s).
                int n = Math.Max(1, (int)Math.Floor(perWindow));
                var stretch = TimeSpan.FromTicks((long)(window.Ticks * (n / perWindow)));
                // Margin for requests that leave close together but arrive closer (network and scheduling
                // jitter): 20 ms let one 429 through in 1,000 creates at 50/s on a loaded 2-core machine.
                // The project's log adds what it learned from 429s (RequestLog.Widen).
                Windows.Add((n, (stretch + JitterMargin).Ticks));
            }
        }

        internal static readonly TimeSpan JitterMargin = TimeSpan.FromMilliseconds(50);

        private Paced Current()
        {
            var policy = _session.Policy;
            var paced = Volatile.Read(ref _paced);
            if (ReferenceEquals(paced.Policy, policy)) return paced;
            var fresh = new Paced(policy, _projectKey);
            // Requests holding the old semaphore release it to the old one: no slot is lost or doubled.
            return Interlocked.CompareExchange(ref _paced, fresh, paced) == paced ? fresh : Volatile.Read(ref _paced);
        }

        public async Task<IDisposable> AcquireAsync(CancellationToken token)
        {
            var paced = Current();
            if (paced.Log != null) await paced.Log.AcquireAsync(paced.Windows, token).ConfigureAwait(false);
            await paced.Concurrency.WaitAsync(token).ConfigureAwait(false);
            return new Releaser(paced.Concurrency);
        }

        /// <summary>CommCare answered 429 although we paced: widen this project's margin; says so in -Verbose.</summary>
        public void Throttled(ICCMessageSink sink)
        {
            var log = Current().Log;
            if (log == null) return;   // no client-side limits: the retry's backoff is all there is
            var margin = log.Widen();
            if (margin != null)
                sink.Verbose($"CommCare throttled a paced request (429): from now on requests to project space '{_session.Domain}' are spaced {margin.Value.TotalMilliseconds:0} ms further apart in each rate window, so pacing converges to no 429s on this connection.");
        }

        private sealed class Releaser : IDisposable
        {
            private SemaphoreSlim? _s;
            public Releaser(SemaphoreSlim s) => _s = s;
            public void Dispose() => Interlocked.Exchange(ref _s, null)?.Release();
        }
    }

    /// <summary>
    /// A sliding log of when requests to one project space were sent, shared process-wide. A caller with
    /// limits (n per window W) waits until fewer than n sends lie in the last W, then records its own.
    /// Exact, unlike fixed or token-bucket windows, which let up to twice the limit through across a window edge.
    /// </summary>
    internal sealed class RequestLog
    {
        private static readonly Dictionary<string, RequestLog> Logs = new Dictionary<string, RequestLog>(StringComparer.OrdinalIgnoreCase);
        private static readonly double TicksPerStopwatchTick = (double)TimeSpan.TicksPerSecond / System.Diagnostics.Stopwatch.Frequency;
        private static readonly long Keep = TimeSpan.FromMinutes(62).Ticks;   // longer than the longest window (an hour, stretched)
        private readonly List<long> _stamps = new List<long>();
        private readonly SemaphoreSlim _gate = new SemaphoreSlim(1, 1);
        private long _extra;   // ticks added to every window after 429s (see Widen)

        /// <summary>Steps a 429 widens every window by, and the most it adds: a second on top of a 1 s window
        /// halves the pace, which no jitter needs.</summary>
        internal static readonly TimeSpan WidenStep = TimeSpan.FromMilliseconds(50), WidenMax = TimeSpan.FromSeconds(1);

        /// <summary>After a 429: space sends further apart for every session pacing this project. Returns the
        /// extra margin now in force, or null when it is already at its maximum.</summary>
        public TimeSpan? Widen()
        {
            while (true)
            {
                long old = Interlocked.Read(ref _extra);
                if (old >= WidenMax.Ticks) return null;
                long next = Math.Min(WidenMax.Ticks, old + WidenStep.Ticks);
                if (Interlocked.CompareExchange(ref _extra, next, old) == old) return TimeSpan.FromTicks(next);
            }
        }

        internal TimeSpan ExtraMargin => TimeSpan.FromTicks(Interlocked.Read(ref _extra));

        public static RequestLog For(string projectKey)
        {
            lock (Logs)
            {
                if (!Logs.TryGetValue(projectKey, out var log)) Logs[projectKey] = log = new RequestLog();
                return log;
            }
        }

        internal static long Now() => (long)(System.Diagnostics.Stopwatch.GetTimestamp() * TicksPerStopwatchTick);

        public async Task AcquireAsync(IReadOnlyList<(int Limit, long Window)> windows, CancellationToken token)
        {
            await _gate.WaitAsync(token).ConfigureAwait(false);   // one waiter at a time keeps the order
            try
            {
                while (true)
                {
                    long now = Now();
                    int old = 0;
                    while (old < _stamps.Count && now - _stamps[old] >= Keep) old++;
                    if (old > 0) _stamps.RemoveRange(0, old);
                    long wait = 0;
                    long extra = Interlocked.Read(ref _extra);
                    foreach (var (limit, paced) in windows)
                    {
                        long window = paced + extra;
                        int inWindow = _stamps.Count - FirstAfter(now - window);
                        if (inWindow < limit) continue;
                        // The send that must leave the window before another may go: the limit-th most recent.
                        long until = _stamps[_stamps.Count - limit] + window - now;
                        if (until > wait) wait = until;
                    }
                    if (wait <= 0) { _stamps.Add(now); return; }
                    await Task.Delay(TimeSpan.FromTicks(Math.Max(wait, TimeSpan.TicksPerMillisecond)), token).ConfigureAwait(false);
                }
            }
            finally { _gate.Release(); }
        }

        /// <summary>Index of the first stamp later than t (stamps are in ascending order).</summary>
        private int FirstAfter(long t)
        {
            int lo = 0, hi = _stamps.Count;
            while (lo < hi)
            {
                int mid = (lo + hi) >> 1;
                if (_stamps[mid] > t) hi = mid; else lo = mid + 1;
            }
            return lo;
        }
    }

    internal sealed class ThrottleHandler : DelegatingHandler
    {
        private readonly Throttle _throttle;
        public ThrottleHandler(Throttle throttle) => _throttle = throttle;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            using (await _throttle.AcquireAsync(cancellationToken).ConfigureAwait(false))
            {
                var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
                if ((int)response.StatusCode == 429) _throttle.Throttled(RequestInfo.For(request).Sink);
                return response;
            }
        }
    }
}
