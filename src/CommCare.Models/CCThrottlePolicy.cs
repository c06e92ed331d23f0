using System;

namespace CommCare.Models
{
    /// <summary>
    /// How a session paces and retries its requests. Immutable; change it with
    /// <c>Set-CCSessionOption</c>, which gives the session a new policy.
    /// </summary>
    public sealed class CCThrottlePolicy
    {
        // CommCare's formula (docs/commcare-api.md#rate-limits): n × per-worker + constant.
        internal const double PerWorkerPerSecond = 1000.0 / 23 * 0.005;   // ≈0.2174
        internal const double PerWorkerPerMinute = 1000.0 / 23 * 0.07;    // ≈3.043
        internal const double PerWorkerPerHour = 1000.0 / 23 * 3;         // ≈130.43
        internal const double FloorPerSecond = 1, FloorPerMinute = 10, FloorPerHour = 30;

        /// <summary>Share of the server's limit we aim for: the server counts in fixed grains, so a
        /// client pacing at exactly the limit still trips it.</summary>
        public const double Headroom = 0.9;

        public CCThrottlePolicy(
            double requestsPerSecond = 0, double requestsPerMinute = 0, double requestsPerHour = 0,
            int maxConcurrency = 4, int maxRetryCount = 6, TimeSpan? maxRetryWait = null,
            TimeSpan? retryBudget = null, TimeSpan? requestTimeout = null, int? mobileWorkerCount = null,
            TimeSpan? retryBaseDelay = null, long? maxResponseSize = null)
        {
            if (requestsPerSecond < 0) throw new ArgumentOutOfRangeException(nameof(requestsPerSecond), "RequestsPerSecond must be 0 (no limit) or more.");
            if (requestsPerMinute < 0) throw new ArgumentOutOfRangeException(nameof(requestsPerMinute), "RequestsPerMinute must be 0 (no limit) or more.");
            if (requestsPerHour < 0) throw new ArgumentOutOfRangeException(nameof(requestsPerHour), "RequestsPerHour must be 0 (no limit) or more.");
            if (maxConcurrency < 1) throw new ArgumentOutOfRangeException(nameof(maxConcurrency), "MaxConcurrency must be 1 or more.");
            if (maxRetryCount < 0) throw new ArgumentOutOfRangeException(nameof(maxRetryCount), "MaxRetryCount must be 0 or more.");
            RequestsPerSecond = requestsPerSecond;
            RequestsPerMinute = requestsPerMinute;
            RequestsPerHour = requestsPerHour;
            MaxConcurrency = maxConcurrency;
            MaxRetryCount = maxRetryCount;
            MaxRetryWait = maxRetryWait ?? TimeSpan.FromSeconds(60);
            RetryBudget = retryBudget ?? TimeSpan.FromMinutes(5);
            RequestTimeout = requestTimeout ?? TimeSpan.FromSeconds(100);
            MobileWorkerCount = mobileWorkerCount;
            RetryBaseDelay = retryBaseDelay ?? TimeSpan.FromSeconds(1);
            MaxResponseSize = maxResponseSize ?? DefaultMaxResponseSize;
            if (MaxResponseSize < 1024 || MaxResponseSize > MaxResponseSizeLimit)
                throw new ArgumentOutOfRangeException(nameof(maxResponseSize), $"MaxResponseSize must be between 1KB and {MaxResponseSizeLimit >> 20}MB.");
            if (MaxRetryWait < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(maxRetryWait), "MaxRetryWait must not be negative.");
            if (RetryBudget < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(retryBudget), "RetryBudget must not be negative.");
            if (RequestTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(requestTimeout), "RequestTimeout must be more than zero.");
            if (RetryBaseDelay < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(retryBaseDelay), "RetryBaseDelay must not be negative.");
        }

        /// <summary>First backoff step when the server gives no Retry-After; doubles per retry, jittered.</summary>
        public TimeSpan RetryBaseDelay { get; }

        /// <summary>Largest answer body read into memory (a list page, a JSON object, a write's answer), in bytes.
        /// A larger one is refused with a clear error, never truncated. Downloads to a file are not capped.</summary>
        public long MaxResponseSize { get; }

        /// <summary>512 MB: a page of the largest records at the largest page size stays well under it, while an
        /// endless body from a broken server or proxy fails before it can exhaust a runbook's memory.</summary>
        public const long DefaultMaxResponseSize = 512L << 20;

        /// <summary>A body is read into one array, so 2 GB (less room for the array's header) is the ceiling.</summary>
        public const long MaxResponseSizeLimit = 2047L << 20;

        /// <summary>Requests per second the client sends at most (0 = no limit).</summary>
        public double RequestsPerSecond { get; }
        /// <summary>Requests per minute the client sends at most (0 = no limit).</summary>
        public double RequestsPerMinute { get; }
        /// <summary>Requests per hour the client sends at most (0 = no limit).</summary>
        public double RequestsPerHour { get; }
        /// <summary>Requests in flight at once, across every runspace sharing the session.</summary>
        public int MaxConcurrency { get; }
        /// <summary>Retries after the first attempt for throttled, failed or dropped requests.</summary>
        public int MaxRetryCount { get; }
        /// <summary>Longest single wait, including a server's Retry-After.</summary>
        public TimeSpan MaxRetryWait { get; }
        /// <summary>Total time one request may spend waiting and retrying.</summary>
        public TimeSpan RetryBudget { get; }
        /// <summary>Time allowed for one attempt.</summary>
        public TimeSpan RequestTimeout { get; }
        /// <summary>Active mobile workers the rates were computed from, when given.</summary>
        public int? MobileWorkerCount { get; }

        /// <summary>Workers assumed when the project's size is not given. A request is allowed when either the
        /// project's or the billing account's budget has room, and the account's n is the plan's user limit
        /// (API access needs a Pro plan or higher), so the zero-worker floor (30/hour) would be far too slow.
        /// 100 is a conservative guess at the smallest such plan's limit (docs/commcare-api.md U6); a 429 is still retried.</summary>
        public const int AssumedMobileWorkerCount = 100;

        /// <summary>The default: CommCare's formula for <see cref="AssumedMobileWorkerCount"/> workers.</summary>
        public static CCThrottlePolicy Default { get; } = FromMobileWorkerCount(AssumedMobileWorkerCount);

        /// <summary>Rates from CommCare's own formula, with <see cref="Headroom"/>.</summary>
        public static CCThrottlePolicy FromMobileWorkerCount(int activeMobileWorkers, int maxConcurrency = 4)
        {
            if (activeMobileWorkers < 0) throw new ArgumentOutOfRangeException(nameof(activeMobileWorkers), "MobileWorkerCount must be 0 or more.");
            double n = activeMobileWorkers;
            return new CCThrottlePolicy(
                requestsPerSecond: (n * PerWorkerPerSecond + FloorPerSecond) * Headroom,
                requestsPerMinute: (n * PerWorkerPerMinute + FloorPerMinute) * Headroom,
                requestsPerHour: (n * PerWorkerPerHour + FloorPerHour) * Headroom,
                maxConcurrency: maxConcurrency, mobileWorkerCount: activeMobileWorkers);
        }

        /// <summary>A copy with some values changed (null keeps the current value).</summary>
        public CCThrottlePolicy With(double? requestsPerSecond = null, double? requestsPerMinute = null,
            double? requestsPerHour = null, int? maxConcurrency = null, int? maxRetryCount = null,
            TimeSpan? maxRetryWait = null, TimeSpan? retryBudget = null, TimeSpan? requestTimeout = null,
            TimeSpan? retryBaseDelay = null, long? maxResponseSize = null)
            => new CCThrottlePolicy(requestsPerSecond ?? RequestsPerSecond, requestsPerMinute ?? RequestsPerMinute,
                requestsPerHour ?? RequestsPerHour, maxConcurrency ?? MaxConcurrency, maxRetryCount ?? MaxRetryCount,
                maxRetryWait ?? MaxRetryWait, retryBudget ?? RetryBudget, requestTimeout ?? RequestTimeout,
                requestsPerSecond.HasValue || requestsPerMinute.HasValue || requestsPerHour.HasValue ? null : MobileWorkerCount,
                retryBaseDelay ?? RetryBaseDelay, maxResponseSize ?? MaxResponseSize);

        public override string ToString()
            => $"{Rate(RequestsPerSecond)}/s, {Rate(RequestsPerMinute)}/min, {Rate(RequestsPerHour)}/h, {MaxConcurrency} concurrent, {MaxRetryCount} retries";

        private static string Rate(double r) => r <= 0 ? "unlimited" : r.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture);
    }
}
