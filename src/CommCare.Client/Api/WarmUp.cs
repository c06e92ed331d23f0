using System;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Security;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using CommCare.Client.Http;
using CommCare.Client.Json;
using CommCare.Client.Paging;
using CommCare.Models;

namespace CommCare.Client.Api
{
    /// <summary>
    /// Compiles the request path ahead of the first real call: builds a throwaway engine whose innermost
    /// handler answers a canned page from memory and streams a case and a form through it. Runs on a
    /// background thread at import; nothing touches the network or any real session.
    /// </summary>
    public static class WarmUp
    {
        private const string Page = "{\"meta\":{\"limit\":1,\"next\":null,\"offset\":0,\"previous\":null,\"total_count\":1},\"objects\":[{0}]}";
        private const string Case = "{\"id\":\"w\",\"case_id\":\"w\",\"domain\":\"w\",\"closed\":false,\"date_modified\":\"2020-01-01T00:00:00Z\",\"indexed_on\":\"2020-01-01T00:00:00.000000Z\",\"indices\":{},\"xform_ids\":[],\"properties\":{\"case_name\":\"w\",\"case_type\":\"w\",\"owner_id\":null,\"date_opened\":\"2020-01-01\",\"x\":\"y\"},\"resource_uri\":\"\"}";
        private const string Form = "{\"id\":\"w\",\"domain\":\"w\",\"received_on\":\"2020-01-01T00:00:00.000000Z\",\"indexed_on\":\"2020-01-01T00:00:00.000000Z\",\"archived\":false,\"metadata\":{\"timeStart\":\"2020-01-01T00:00:00\",\"app_build_version\":1},\"form\":{\"@xmlns\":\"w\",\"meta\":{\"instanceID\":\"w\"},\"q\":[\"a\",1,true,null]},\"attachments\":{\"form.xml\":{\"content_type\":\"text/xml\",\"length\":1,\"url\":\"u\"}}}";

        private static int _started;

        /// <summary>Starts the warm-up once per process; returns at once.</summary>
        public static void Start()
        {
            if (Interlocked.Exchange(ref _started, 1) == 1) return;
            Task.Run(() =>
            {
                try { Run(); }
                catch (Exception) { /* best effort: a failed warm-up only means a slower first call */ }
            });
        }

        internal static void Run()
        {
            var key = new SecureString();
            key.AppendChar('w');
            var session = CCSession.Create(new Uri("https://warm-up.invalid/"), "w", "w@w", key, CCAuthenticationType.ApiKey,
                new CCThrottlePolicy(requestsPerSecond: 1000, requestsPerMinute: 100000, requestsPerHour: 1000000));
            var engine = CCHttpEngine.Detached(session, () => new CannedHandler());
            var client = new CommCareClient(session, engine);
            _ = client.Cases.List(new CaseQuery()).FirstOrDefault();
            _ = client.Forms.List(new FormQuery()).FirstOrDefault();
            _ = IsoDate.ForFilter(DateTime.UtcNow);
        }

        private sealed class CannedHandler : HttpMessageHandler
        {
            protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                string body = Page.Replace("{0}", request.RequestUri!.AbsolutePath.Contains("/case/") ? Case : Form);
                return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK)
                {
                    Content = new StringContent(body, Encoding.UTF8, "application/json"),
                    RequestMessage = request,
                });
            }
        }
    }
}
