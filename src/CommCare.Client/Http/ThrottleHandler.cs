using CommCare.Models;
using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace CommCare.Client.Http
{
    /// <summary>
    /// Client-side pacing shared by every user of one session (all runspaces and threads), so a session
    /// configured with its project's size does not trip CommCare's limits. Retries pass through it too.
    /// </summary>
    internal sealed class Throttle : IDisposable
    {
        private readonly SemaphoreSlim _concurrency;
        private readonly List<SlidingLog> _windows = new List<SlidingLog>();

        public Throttle(CCThrottlePolicy policy)
        {
            _concurrency = new SemaphoreSlim(policy.MaxConcurrency, policy.MaxConcurrency);
            Add(policy.RequestsPerSecond, TimeSpan.FromSeconds(1));
            Add(policy.RequestsPerMinute, TimeSpan.FromMinutes(1));
            Add(policy.RequestsPerHour, TimeSpan.FromHours(1));
        }

        private void Add(double perWindow, TimeSpan window)
        {
            if (perWindow <= 0) return;
            // At most n sends in any stretch of n / rate: never more than the rate in any server grain,
            // and the full rate in steady state. A fractional rate stretches the window (0.9/s: 1 per 1.11 s).
            int n = Math.Max(1, (int)Math.Floor(perWindow));
            var stretch = TimeSpan.FromTicks((long)(window.Ticks * (n / perWindow)));
            // Margin for requests that leave close together but arrive closer (network jitter).
            _windows.Add(new SlidingLog(n, stretch + TimeSpan.FromMilliseconds(20)));
        }

        public async Task<IDisposable> AcquireAsync(CancellationToken token)
        {
            foreach (var w in _windows) await w.AcquireAsync(token).ConfigureAwait(false);
            await _concurrency.WaitAsync(token).ConfigureAwait(false);
            return new Releaser(_concurrency);
        }

        public void Dispose()
        {
            foreach (var w in _windows) w.Dispose();
            _concurrency.Dispose();
        }

        private sealed class Releaser : IDisposable
        {
            private SemaphoreSlim? _s;
            public Releaser(SemaphoreSlim s) => _s = s;
            public void Dispose() => Interlocked.Exchange(ref _s, null)?.Release();
        }
    }

    /// <summary>A sliding-log limiter: remembers when the last n permits were given and waits until the
    /// oldest leaves the window. Exact, unlike fixed or token-bucket windows, which let up to twice the
    /// limit through across a window edge.</summary>
    internal sealed class SlidingLog : IDisposable
    {
        private readonly int _limit;
        private readonly long _window;
        private readonly Queue<long> _stamps = new Queue<long>();
        private readonly SemaphoreSlim _gate = new SemaphoreSlim(1, 1);
        private static readonly double TicksPerStopwatchTick = (double)TimeSpan.TicksPerSecond / System.Diagnostics.Stopwatch.Frequency;

        public SlidingLog(int limit, TimeSpan window) { _limit = limit; _window = window.Ticks; }

        private static long Now() => (long)(System.Diagnostics.Stopwatch.GetTimestamp() * TicksPerStopwatchTick);

        public async Task AcquireAsync(CancellationToken token)
        {
            await _gate.WaitAsync(token).ConfigureAwait(false);   // one waiter at a time keeps the order
            try
            {
                while (true)
                {
                    long now = Now();
                    while (_stamps.Count > 0 && now - _stamps.Peek() >= _window) _stamps.Dequeue();
                    if (_stamps.Count < _limit) { _stamps.Enqueue(now); return; }
                    long wait = _window - (now - _stamps.Peek());
                    await Task.Delay(TimeSpan.FromTicks(Math.Max(wait, TimeSpan.TicksPerMillisecond)), token).ConfigureAwait(false);
                }
            }
            finally { _gate.Release(); }
        }

        public void Dispose() => _gate.Dispose();
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
