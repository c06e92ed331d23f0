using CommCare.Models;
using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Threading;
using System.Threading.RateLimiting;
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
        private readonly List<RateLimiter> _rates = new List<RateLimiter>();

        public Throttle(CCThrottlePolicy policy)
        {
            _concurrency = new SemaphoreSlim(policy.MaxConcurrency, policy.MaxConcurrency);
            // Small buckets: a burst of a whole window's allowance would still trip the server's shorter windows.
            Add(policy.RequestsPerSecond, TimeSpan.FromSeconds(1), burstShare: 1.0);
            Add(policy.RequestsPerMinute, TimeSpan.FromMinutes(1), burstShare: 0.1);
            Add(policy.RequestsPerHour, TimeSpan.FromHours(1), burstShare: 0.05);
        }

        private void Add(double perWindow, TimeSpan window, double burstShare)
        {
            if (perWindow <= 0) return;
            double perSecond = perWindow / window.TotalSeconds;
            // Replenish one token every 1/rate seconds (at least every 10 ms, then several tokens at once).
            double periodSeconds = Math.Max(0.01, 1.0 / perSecond);
            int tokensPerPeriod = Math.Max(1, (int)Math.Round(perSecond * periodSeconds));
            int capacity = Math.Max(1, (int)Math.Floor(perWindow * burstShare));
            _rates.Add(new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = Math.Max(capacity, tokensPerPeriod),
                TokensPerPeriod = tokensPerPeriod,
                ReplenishmentPeriod = TimeSpan.FromSeconds(periodSeconds),
                AutoReplenishment = true,
                QueueLimit = int.MaxValue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            }));
        }

        public async Task<IDisposable> AcquireAsync(CancellationToken token)
        {
            foreach (var limiter in _rates)
            {
                using var lease = await limiter.AcquireAsync(1, token).ConfigureAwait(false);
                if (!lease.IsAcquired) throw new InvalidOperationException("The session's rate limiter refused a request.");
            }
            await _concurrency.WaitAsync(token).ConfigureAwait(false);
            return new Releaser(_concurrency);
        }

        public void Dispose()
        {
            foreach (var r in _rates) r.Dispose();
            _concurrency.Dispose();
        }

        private sealed class Releaser : IDisposable
        {
            private SemaphoreSlim? _s;
            public Releaser(SemaphoreSlim s) => _s = s;
            public void Dispose() => Interlocked.Exchange(ref _s, null)?.Release();
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
