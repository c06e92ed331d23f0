using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Security;
using System.Threading;
using System.Threading.Tasks;
using CommCare.Client.Http;
using CommCare.Models;
using Xunit;

namespace CommCare.Client.Tests
{
    /// <summary>
    /// The session's handler chain (retry, trace, throttle, auth, attempt timeout) driven through a fake primary
    /// handler: what is sent, how often and when, without a server. docs/architecture.md "HTTP pipeline".
    /// </summary>
    public class HandlerTests
    {
        /// <summary>Answers each attempt from a script and records what reached the network.</summary>
        private sealed class FakeNetwork : HttpMessageHandler
        {
            private readonly Func<int, HttpRequestMessage, Task<HttpResponseMessage>> _answer;
            private int _inFlight;
            public readonly ConcurrentQueue<(long At, HttpRequestMessage Request, string? Authorization)> Sent = new();
            public int MaxInFlight;
            public int Calls => Sent.Count;

            public FakeNetwork(Func<int, HttpRequestMessage, Task<HttpResponseMessage>> answer) => _answer = answer;

            public static FakeNetwork Statuses(params int[] codes) => new FakeNetwork((n, _) =>
                Task.FromResult(Answer(codes[Math.Min(n, codes.Length - 1)])));

            protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                int n = Sent.Count;
                Sent.Enqueue((Stopwatch.GetTimestamp(), request, request.Headers.Authorization?.ToString()));
                int now = Interlocked.Increment(ref _inFlight);
                int seen;
                while ((seen = Volatile.Read(ref MaxInFlight)) < now && Interlocked.CompareExchange(ref MaxInFlight, now, seen) != seen) { }
                try { return await _answer(n, request).ConfigureAwait(false); }
                finally { Interlocked.Decrement(ref _inFlight); }
            }
        }

        private static HttpResponseMessage Answer(int code, string? retryAfter = null)
        {
            var r = new HttpResponseMessage((HttpStatusCode)code) { Content = new StringContent("{}") };
            if (retryAfter != null) r.Headers.TryAddWithoutValidation("Retry-After", retryAfter);
            return r;
        }

        private static CCSession Session(CCThrottlePolicy policy, CCAuthenticationType auth = CCAuthenticationType.ApiKey)
        {
            var key = new SecureString();
            foreach (char c in "secret-key") key.AppendChar(c);
            // A project space of its own per test: the request log that paces a project is shared process-wide.
            return CCSession.Create(new Uri("https://cc.example.org/"), "p" + Guid.NewGuid().ToString("N"), "me@example.org", key, auth, policy);
        }

        /// <summary>Quick retries, no pacing: the tests time only what they mean to.</summary>
        private static CCThrottlePolicy Fast(int retries = 3, TimeSpan? budget = null, TimeSpan? maxWait = null)
            => new CCThrottlePolicy(maxRetryCount: retries, retryBaseDelay: TimeSpan.FromMilliseconds(1),
                retryBudget: budget, maxRetryWait: maxWait, maxConcurrency: 8);

        private static async Task<HttpResponseMessage> Send(CCHttpEngine engine, HttpMethod method, string path = "a/p/api/case/v1/", bool safeToRepeat = false)
        {
            var request = new HttpRequestMessage(method, new Uri(engine.Session.Server, path));
            if (method != HttpMethod.Get) request.Content = new StringContent("{\"a\": 1}");
            RequestInfo.For(request).SafeToRepeat = safeToRepeat;
            return await CCRequest.SendAsync(engine, request, CancellationToken.None);
        }

        private static double Seconds(long from, long to) => (to - from) / (double)Stopwatch.Frequency;

        // ---- retry decisions ----

        [Fact]
        public async Task A_read_that_fails_with_a_5xx_is_retried_until_it_succeeds()
        {
            var net = FakeNetwork.Statuses(500, 502, 504, 200);
            var response = await Send(new CCHttpEngine(Session(Fast()), net), HttpMethod.Get);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(4, net.Calls);
        }

        [Theory]
        [InlineData(500)]
        [InlineData(502)]
        [InlineData(504)]
        public async Task A_POST_answered_with_a_5xx_is_never_sent_again(int code)
        {
            // The server may have acted before it failed: a second send could create a second record.
            var net = FakeNetwork.Statuses(code, 200);
            var response = await Send(new CCHttpEngine(Session(Fast()), net), HttpMethod.Post);
            Assert.Equal(code, (int)response.StatusCode);
            Assert.Equal(1, net.Calls);
        }

        [Fact]
        public async Task A_POST_whose_connection_broke_is_never_sent_again()
        {
            var net = new FakeNetwork((n, _) => n == 0
                ? Task.FromException<HttpResponseMessage>(new HttpRequestException("reset", new IOException("connection reset by peer")))
                : Task.FromResult(Answer(201)));
            var ex = await Assert.ThrowsAsync<CCApiException>(() => Send(new CCHttpEngine(Session(Fast()), net), HttpMethod.Post));
            Assert.Equal(CCErrorKind.Network, ex.Kind);
            Assert.Equal(1, net.Calls);
        }

        [Fact]
        public async Task A_POST_refused_before_the_server_acted_is_sent_again()
        {
            // 429 and 503 are refusals, and a refused connection never reached the server: safe for any method.
            var refused = new HttpRequestException("refused", new SocketException((int)SocketError.ConnectionRefused));
            var net = new FakeNetwork((n, _) => n switch
            {
                0 => Task.FromResult(Answer(429)),
                1 => Task.FromResult(Answer(503)),
                2 => Task.FromException<HttpResponseMessage>(refused),
                _ => Task.FromResult(Answer(201)),
            });
            var response = await Send(new CCHttpEngine(Session(Fast()), net), HttpMethod.Post);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            Assert.Equal(4, net.Calls);
        }

        [Fact]
        public async Task A_POST_the_caller_marked_safe_to_repeat_is_retried_like_a_read()
        {
            var net = FakeNetwork.Statuses(500, 200);
            var response = await Send(new CCHttpEngine(Session(Fast()), net), HttpMethod.Post, safeToRepeat: true);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(2, net.Calls);
        }

        [Theory]
        [InlineData(400)]
        [InlineData(401)]
        [InlineData(403)]
        [InlineData(404)]
        public async Task A_client_error_is_answered_at_once_without_a_retry(int code)
        {
            var net = FakeNetwork.Statuses(code, 200);
            var response = await Send(new CCHttpEngine(Session(Fast()), net), HttpMethod.Get);
            Assert.Equal(code, (int)response.StatusCode);
            Assert.Equal(1, net.Calls);
        }

        [Fact]
        public async Task Retries_stop_at_the_policys_count()
        {
            var net = FakeNetwork.Statuses(503);
            var response = await Send(new CCHttpEngine(Session(Fast(retries: 2)), net), HttpMethod.Get);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal(3, net.Calls);
        }

        // ---- Retry-After and the budget ----

        [Fact]
        public async Task A_decimal_Retry_After_is_waited_out_before_the_retry()
        {
            var net = new FakeNetwork((n, _) => Task.FromResult(n == 0 ? Answer(429, "0.4") : Answer(200)));
            await Send(new CCHttpEngine(Session(Fast()), net), HttpMethod.Get);
            var sent = net.Sent.ToArray();
            Assert.Equal(2, sent.Length);
            Assert.InRange(Seconds(sent[0].At, sent[1].At), 0.38, 5);
        }

        [Fact]
        public async Task An_HTTP_date_Retry_After_is_waited_out_before_the_retry()
        {
            // HTTP dates have whole seconds: two seconds ahead of the first answer is at least one second after it.
            var net = new FakeNetwork((n, _) => Task.FromResult(n == 0
                ? Answer(503, DateTimeOffset.UtcNow.AddSeconds(2).ToString("r", CultureInfo.InvariantCulture))
                : Answer(200)));
            await Send(new CCHttpEngine(Session(Fast()), net), HttpMethod.Get);
            var sent = net.Sent.ToArray();
            Assert.Equal(2, sent.Length);
            Assert.InRange(Seconds(sent[0].At, sent[1].At), 0.95, 6);
        }

        [Fact]
        public async Task A_Retry_After_past_the_retry_budget_gives_up_at_once()
        {
            var net = new FakeNetwork((n, _) => Task.FromResult(Answer(429, "30")));
            var clock = Stopwatch.StartNew();
            var response = await Send(new CCHttpEngine(Session(Fast(budget: TimeSpan.FromSeconds(2))), net), HttpMethod.Get);
            Assert.Equal((HttpStatusCode)429, response.StatusCode);
            Assert.Equal(1, net.Calls);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"waited {clock.Elapsed}");   // not the 30 s asked for
        }

        [Fact]
        public async Task A_Retry_After_longer_than_the_longest_wait_is_cut_to_it()
        {
            var net = new FakeNetwork((n, _) => Task.FromResult(n == 0 ? Answer(429, "3600") : Answer(200)));
            var clock = Stopwatch.StartNew();
            var response = await Send(new CCHttpEngine(Session(Fast(maxWait: TimeSpan.FromMilliseconds(200))), net), HttpMethod.Get);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(2, net.Calls);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"waited {clock.Elapsed}");
        }

        // ---- authentication ----

        [Fact]
        public async Task The_API_key_goes_to_the_sessions_own_server()
        {
            var net = FakeNetwork.Statuses(200);
            await Send(new CCHttpEngine(Session(Fast()), net), HttpMethod.Get);
            Assert.Equal("ApiKey me@example.org:secret-key", Assert.Single(net.Sent).Authorization);
        }

        [Fact]
        public async Task A_bearer_session_sends_its_token()
        {
            var net = FakeNetwork.Statuses(200);
            await Send(new CCHttpEngine(Session(Fast(), CCAuthenticationType.Bearer), net), HttpMethod.Get);
            Assert.Equal("Bearer secret-key", Assert.Single(net.Sent).Authorization);
        }

        [Theory]
        [InlineData("https://evil.example.org/a/p/api/case/v1/")]
        [InlineData("http://cc.example.org/a/p/api/case/v1/")]
        [InlineData("https://cc.example.org:8443/a/p/api/case/v1/")]
        public async Task Credentials_are_never_sent_to_another_origin(string url)
        {
            // A next link from the server could point anywhere: another host, scheme or port gets nothing.
            var net = FakeNetwork.Statuses(200);
            var engine = new CCHttpEngine(Session(Fast()), net);
            var ex = await Assert.ThrowsAsync<CCApiException>(() => CCRequest.SendAsync(engine, new HttpRequestMessage(HttpMethod.Get, url), CancellationToken.None));
            Assert.Equal(CCErrorKind.BadResponse, ex.Kind);
            Assert.Equal(0, net.Calls);
            Assert.DoesNotContain("secret-key", ex.Message);
        }

        // ---- throttle windows ----

        [Fact]
        public async Task Requests_over_the_per_second_rate_wait_for_the_window()
        {
            var policy = new CCThrottlePolicy(requestsPerSecond: 4, maxConcurrency: 8, maxRetryCount: 0);
            var net = FakeNetwork.Statuses(200);
            var engine = new CCHttpEngine(Session(policy), net);
            await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Send(engine, HttpMethod.Get)));
            var at = net.Sent.Select(s => s.At).OrderBy(t => t).ToArray();
            Assert.Equal(10, at.Length);
            // At most 4 sends in any one second, so 10 take more than two seconds.
            for (int i = 4; i < at.Length; i++)
                Assert.True(Seconds(at[i - 4], at[i]) >= 1.0, $"sends {i - 4} and {i} were {Seconds(at[i - 4], at[i]):0.000} s apart");
            Assert.True(Seconds(at[0], at[9]) >= 2.0);
        }

        [Fact]
        public async Task No_more_requests_are_in_flight_than_the_concurrency_limit()
        {
            var policy = new CCThrottlePolicy(maxConcurrency: 2, maxRetryCount: 0);
            var net = new FakeNetwork(async (n, _) => { await Task.Delay(200); return Answer(200); });
            var engine = new CCHttpEngine(Session(policy), net);
            await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Send(engine, HttpMethod.Get))));
            Assert.Equal(8, net.Calls);
            Assert.Equal(2, net.MaxInFlight);
        }

        [Fact]
        public async Task A_429_despite_pacing_spaces_later_requests_further_apart()
        {
            var policy = new CCThrottlePolicy(requestsPerSecond: 50, maxConcurrency: 8, maxRetryCount: 0);
            var net = FakeNetwork.Statuses(429, 200);
            var session = Session(policy);
            var engine = new CCHttpEngine(session, net);
            var log = RequestLog.For(session.Server.GetLeftPart(UriPartial.Path) + "|" + session.Domain);
            Assert.Equal(TimeSpan.Zero, log.ExtraMargin);
            await Send(engine, HttpMethod.Get);
            Assert.Equal(RequestLog.WidenStep, log.ExtraMargin);
        }
    }
}
