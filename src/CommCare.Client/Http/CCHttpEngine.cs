using CommCare.Models;
using System;
using System.Net;
using System.Net.Http;
using System.Runtime.CompilerServices;
using System.Threading;
using Microsoft.Extensions.DependencyInjection;

namespace CommCare.Client.Http
{
    /// <summary>
    /// One HTTP pipeline per session object, created on first use and shared by every runspace and
    /// thread that uses that object (so they share one throttle and one connection pool).
    /// </summary>
    internal sealed class CCHttpEngine
    {
        private static readonly ConditionalWeakTable<object, CCHttpEngine> Engines = new ConditionalWeakTable<object, CCHttpEngine>();
        private const string ClientName = "CommCare";

        public static CCHttpEngine For(CCSession session) => Engines.GetValue(session.EngineKey, _ => new CCHttpEngine(session));

        private readonly ServiceProvider _services;

        private CCHttpEngine(CCSession session)
        {
            Session = session;
            Throttle = new Throttle(session.Policy, session.Server.GetLeftPart(UriPartial.Path) + "|" + session.Domain);
            var services = new ServiceCollection();
            services.AddHttpClient(ClientName, c =>
                {
                    c.BaseAddress = session.Server;
                    c.Timeout = Timeout.InfiniteTimeSpan;   // per-attempt timeouts live in AttemptTimeoutHandler
                    c.DefaultRequestHeaders.UserAgent.ParseAdd(UserAgent);
                    c.DefaultRequestHeaders.Accept.ParseAdd("application/json");
                })
                .ConfigurePrimaryHttpMessageHandler(() => new HttpClientHandler
                {
                    // HttpClient drops Authorization on redirects; we send exact URLs (trailing slash) instead.
                    AllowAutoRedirect = false,
                    AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
                    UseCookies = false,
                    MaxConnectionsPerServer = Math.Max(2, session.Policy.MaxConcurrency * 2),
                })
                .AddHttpMessageHandler(() => new ResilienceHandler(session.Policy))
                .AddHttpMessageHandler(() => new TraceHandler())
                .AddHttpMessageHandler(() => new ThrottleHandler(Throttle))
                .AddHttpMessageHandler(() => new AuthHandler(session))
                .AddHttpMessageHandler(() => new AttemptTimeoutHandler(session.Policy.RequestTimeout))
                .SetHandlerLifetime(Timeout.InfiniteTimeSpan);
            _services = services.BuildServiceProvider();
            Http = _services.GetRequiredService<IHttpClientFactory>().CreateClient(ClientName);
        }

        public CCSession Session { get; }
        public Throttle Throttle { get; }
        public HttpClient Http { get; }

        public static readonly string UserAgent = "CommCare-PowerShell/" +
            (typeof(CCHttpEngine).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");
    }
}
