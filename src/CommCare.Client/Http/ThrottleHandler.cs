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
    internal sealed class Throttle : IDisposable
    {
        private readonly SemaphoreSlim _concurrency;
        private readonly List<(int Limit, long Window)> _windows = new List<(int, long)>();
        private readonly RequestLog? _log;

        public Throttle(CCThrottlePolicy policy, string projectKey)
        {
            _concurrency = new SemaphoreSlim(policy.MaxConcurrency, policy.MaxConcurrency);
            Add(policy.RequestsPerSecond, TimeSpan.FromSeconds(1));
            Add(policy.RequestsPerMinute, TimeSpan.FromMinutes(1));
            Add(policy.RequestsPerHour, TimeSpan.FromHours(1));
            if (_windows.Count > 0) _log = RequestLog.For(projectKey);
        }

        internal static readonly TimeSpan JitterMargin = TimeSpan.FromMilliseconds(50);

        private void Add(double perWindow, TimeSpan window)
        {
            if (perWindow <= 0) return;
            // At most n sends in any stretch of n / rate: never more than the rate in any server grain,
            // and the full rate in steady state. A fractional rate stretches the window (0.9/s: 1 per 1.11 s).
            int n = Math.Max(1, (int)Math.Floor(perWindow));
            var stretch = TimeSpan.FromTicks((long)(window.Ticks * (n / perWindow)));
            // Margin for requests that leave close together but arrive closer (network and scheduling
            // jitter): 20 ms let one 429 through in 1,000 creates at 50/s on a loaded 2-core machine.
            _windows.Add((n, (stretch + JitterMargin).Ticks));
        }

        public async Task<IDisposable> AcquireAsync(CancellationToken token)
        {
            if (_log != null) await _log.AcquireAsync(_windows, token).ConfigureAwait(false);
            await _concurrency.WaitAsync(token).ConfigureAwait(false);
            return new Releaser(_concurrency);
        }

        public void Dispose() => _concurrency.Dispose();

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
                    foreach (var (limit, window) in windows)
                    {
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
                return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
    }
}
