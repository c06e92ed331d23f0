using System;
using CommCare.Client.Api;
using CommCare.Models;
using Xunit;

namespace CommCare.Client.Tests
{
    /// <summary>Throttle rates from CommCare's formula (docs/commcare-api.md#rate-limits) and server name resolution.</summary>
    public class PolicyTests
    {
        // docs/commcare-api.md#rate-limits table: active mobile workers → per second / minute / hour.
        [Theory]
        [InlineData(0, 1.0, 10.0, 30.0)]
        [InlineData(10, 3.17, 40.4, 1334.0)]
        [InlineData(125, 28.2, 390.0, 16334.0)]
        public void Rates_match_the_server_table_with_headroom(int workers, double perSecond, double perMinute, double perHour)
        {
            var p = CCThrottlePolicy.FromMobileWorkerCount(workers);
            Assert.Equal(0.9, CCThrottlePolicy.Headroom);
            AssertClose(perSecond * 0.9, p.RequestsPerSecond);
            AssertClose(perMinute * 0.9, p.RequestsPerMinute);
            AssertClose(perHour * 0.9, p.RequestsPerHour);
            Assert.Equal(workers, p.MobileWorkerCount);
            // Always below the server's own limit: pacing at the limit still trips its fixed-grain counters.
            Assert.True(p.RequestsPerSecond < perSecond * 1.001 * 0.95);
        }

        [Fact]
        public void Zero_workers_is_the_constant_floor()
        {
            var p = CCThrottlePolicy.FromMobileWorkerCount(0);
            Assert.Equal(0.9, p.RequestsPerSecond, 9);
            Assert.Equal(9.0, p.RequestsPerMinute, 9);
            Assert.Equal(27.0, p.RequestsPerHour, 9);
        }

        /// <summary>The table is rounded to 3–4 significant figures: allow 0.3 %.</summary>
        private static void AssertClose(double expected, double actual)
            => Assert.InRange(actual, expected * 0.997, expected * 1.003);

        [Fact]
        public void Default_is_the_formula_for_the_assumed_worker_count()
        {
            var d = CCThrottlePolicy.Default;
            var f = CCThrottlePolicy.FromMobileWorkerCount(CCThrottlePolicy.AssumedMobileWorkerCount);
            Assert.Equal(f.RequestsPerSecond, d.RequestsPerSecond);
            Assert.Equal(f.RequestsPerHour, d.RequestsPerHour);
            Assert.Equal(CCThrottlePolicy.AssumedMobileWorkerCount, d.MobileWorkerCount);
        }

        [Fact]
        public void Negative_worker_count_throws_naming_the_parameter()
        {
            var ex = Assert.Throws<ArgumentOutOfRangeException>(() => CCThrottlePolicy.FromMobileWorkerCount(-1));
            Assert.Equal("activeMobileWorkers", ex.ParamName);
        }

        [Fact]
        public void Zero_concurrency_throws_naming_the_parameter()
        {
            var ex = Assert.Throws<ArgumentOutOfRangeException>(() => CCThrottlePolicy.FromMobileWorkerCount(10, maxConcurrency: 0));
            Assert.Equal("maxConcurrency", ex.ParamName);
        }

        [Theory]
        [InlineData("requestsPerSecond")]
        [InlineData("requestsPerMinute")]
        [InlineData("requestsPerHour")]
        [InlineData("maxRetryCount")]
        [InlineData("maxRetryWait")]
        [InlineData("retryBudget")]
        [InlineData("requestTimeout")]
        [InlineData("retryBaseDelay")]
        public void Invalid_constructor_values_throw_naming_the_parameter(string parameter)
        {
            var ex = Assert.Throws<ArgumentOutOfRangeException>(() => parameter switch
            {
                "requestsPerSecond" => new CCThrottlePolicy(requestsPerSecond: -1),
                "requestsPerMinute" => new CCThrottlePolicy(requestsPerMinute: -0.5),
                "requestsPerHour" => new CCThrottlePolicy(requestsPerHour: -1),
                "maxRetryCount" => new CCThrottlePolicy(maxRetryCount: -1),
                "maxRetryWait" => new CCThrottlePolicy(maxRetryWait: TimeSpan.FromSeconds(-1)),
                "retryBudget" => new CCThrottlePolicy(retryBudget: TimeSpan.FromSeconds(-1)),
                "requestTimeout" => new CCThrottlePolicy(requestTimeout: TimeSpan.Zero),
                "retryBaseDelay" => new CCThrottlePolicy(retryBaseDelay: TimeSpan.FromMilliseconds(-1)),
                _ => throw new InvalidOperationException(parameter),
            });
            Assert.Equal(parameter, ex.ParamName);
        }

        [Fact]
        public void With_changing_a_rate_forgets_the_worker_count()
        {
            var p = CCThrottlePolicy.FromMobileWorkerCount(10).With(requestsPerSecond: 2);
            Assert.Equal(2, p.RequestsPerSecond);
            Assert.Null(p.MobileWorkerCount);
            var q = CCThrottlePolicy.FromMobileWorkerCount(10).With(maxRetryCount: 1);
            Assert.Equal(10, q.MobileWorkerCount);
            Assert.Equal(1, q.MaxRetryCount);
        }

        // ---------------------------------------------------------------- CCServers

        [Theory]
        [InlineData("www", "https://www.commcarehq.org/")]
        [InlineData("WWW", "https://www.commcarehq.org/")]
        [InlineData(" www ", "https://www.commcarehq.org/")]
        [InlineData("india", "https://india.commcarehq.org/")]
        [InlineData("eu", "https://eu.commcarehq.org/")]
        [InlineData("https://www.commcarehq.org", "https://www.commcarehq.org/")]
        [InlineData("https://commcare.example.org/hq", "https://commcare.example.org/hq/")]
        [InlineData("http://127.0.0.1:5000", "http://127.0.0.1:5000/")]
        [InlineData("http://localhost:8000/", "http://localhost:8000/")]
        public void Known_names_and_urls_resolve(string input, string expected)
            => Assert.Equal(new Uri(expected), CCServers.Resolve(input));

        [Fact]
        public void Resolved_loopback_keeps_its_port()
        {
            var u = CCServers.Resolve("http://127.0.0.1:5000");
            Assert.Equal("http", u.Scheme);
            Assert.Equal(5000, u.Port);
            Assert.Equal("/", u.AbsolutePath);
        }

        [Fact]
        public void Plain_http_to_a_real_host_is_rejected_mentioning_https()
        {
            var ex = Assert.Throws<ArgumentException>(() => CCServers.Resolve("http://example.org"));
            Assert.Contains("https", ex.Message, StringComparison.OrdinalIgnoreCase);
            Assert.Equal("server", ex.ParamName);
        }

        [Theory]
        [InlineData("")]
        [InlineData("   ")]
        [InlineData("not a server")]
        [InlineData("www2")]
        [InlineData("ftp://commcare.example.org")]
        [InlineData("/etc/passwd")]
        [InlineData("https://commcare.example.org/?x=1")]
        [InlineData("https://commcare.example.org/#frag")]
        public void Garbage_is_rejected(string input)
        {
            var ex = Assert.Throws<ArgumentException>(() => CCServers.Resolve(input));
            Assert.Equal("server", ex.ParamName);
        }
    }
}
