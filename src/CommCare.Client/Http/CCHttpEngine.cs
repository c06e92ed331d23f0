using CommCare.Models;
using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Http;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.Extensions.Http;

namespace CommCare.Client.Http
{
    /// <summary>
    /// One HTTP pipeline per session object, created on first use and shared by every runspace and
    /// thread that uses that object (so they share one throttle and one connection pool).
    /// </summary>
    internal sealed class CCHttpEngine
    {
        private static readonly ConditionalWeakTable<object, CCHttpEngine> Engines = new ConditionalWeakTable<object, CCHttpEngine>();

        public static CCHttpEngine For(CCSession session) => Engines.GetValue(session.EngineKey, _ => new CCHttpEngine(session));

        /// <param name="session">The session whose server, credentials and policy the pipeline serves.</param>
        /// <param name="primaryHandler">The handler that talks to the network; tests give a fake one to drive the
        /// retry, auth and throttle handlers without a server. Null: a real HttpClientHandler.</param>
        internal CCHttpEngine(CCSession session, HttpMessageHandler? primaryHandler = null)
        {
            Session = session;
            Throttle = new Throttle(session, session.Server.GetLeftPart(UriPartial.Path) + "|" + session.Domain);
            // The handler chain is composed by Microsoft.Extensions.Http's HttpMessageHandlerBuilder, as
            // IHttpClientFactory does, but without a DI container: the factory's extras (handler rotation,
            // logging scopes) do nothing for one long-lived pipeline per session, and building the container
            // cost ~100 ms of start-up JIT before the first request (bench/README.md).
            var builder = new PipelineBuilder
            {
                Name = "CommCare",
                PrimaryHandler = primaryHandler ?? new HttpClientHandler
                {
                    // HttpClient drops Authorization on redirects; we send exact URLs (trailing slash) instead (docs/commcare-api.md U2).
                    AllowAutoRedirect = false,
                    AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
                    UseCookies = false,
                    MaxConnectionsPerServer = Math.Max(2, session.Policy.MaxConcurrency * 2),
                },
            };
            builder.AdditionalHandlers.Add(new ResilienceHandler(session));
            builder.AdditionalHandlers.Add(new TraceHandler());
            builder.AdditionalHandlers.Add(new ThrottleHandler(Throttle));
            builder.AdditionalHandlers.Add(new AuthHandler(session));
            builder.AdditionalHandlers.Add(new AttemptTimeoutHandler(session));
            Http = new HttpClient(builder.Build(), disposeHandler: true)
            {
                BaseAddress = session.Server,
                Timeout = Timeout.InfiniteTimeSpan,   // per-attempt timeouts live in AttemptTimeoutHandler
            };
            Http.DefaultRequestHeaders.UserAgent.ParseAdd(UserAgent);
            Http.DefaultRequestHeaders.Accept.ParseAdd("application/json");
        }

        public CCSession Session { get; }
        public Throttle Throttle { get; }
        public HttpClient Http { get; }

        public static readonly string UserAgent = "CommCare-PowerShell/" +
            (typeof(CCHttpEngine).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");

        /// <summary>Outermost handler first, as IHttpClientFactory orders AddHttpMessageHandler calls.</summary>
        private sealed class PipelineBuilder : HttpMessageHandlerBuilder
        {
            private HttpMessageHandler? _primary;
            public override string? Name { get; set; }
            public override HttpMessageHandler PrimaryHandler
            {
                get => _primary ?? throw new InvalidOperationException("No primary handler.");
                set => _primary = value;
            }
            public override IList<DelegatingHandler> AdditionalHandlers { get; } = new List<DelegatingHandler>();
            public override HttpMessageHandler Build() => CreateHandlerPipeline(PrimaryHandler, AdditionalHandlers);
        }
    }
}
