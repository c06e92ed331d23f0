using CommCare.Models;
using System.Net.Http;

namespace CommCare.Client.Http
{
    /// <summary>Per-request facts the handlers share, carried on the request message.</summary>
    internal sealed class RequestInfo
    {
        private const string Key = "CommCare.RequestInfo";
        public ICCMessageSink Sink { get; set; } = NullMessageSink.Instance;
        /// <summary>1 for the first attempt.</summary>
        public int Attempt { get; set; } = 1;
        /// <summary>Set for POSTs the caller knows are safe to repeat (for example an upsert).</summary>
        public bool SafeToRepeat { get; set; }
        /// <summary>The caller reads the body as a stream (a large download): do not buffer it in the attempt.</summary>
        public bool Streamed { get; set; }
        /// <summary>The caller's cancellation (the cmdlet's Ctrl+C). HttpClient hands the handlers a linked token
        /// that it disposes when the headers arrive, so a streamed body must be bounded by this one.</summary>
        public System.Threading.CancellationToken Cancellation { get; set; }

        public static RequestInfo For(HttpRequestMessage request)
        {
#pragma warning disable CS0618 // Properties is the netstandard2.0 way; Options does not exist there.
            if (request.Properties.TryGetValue(Key, out var o) && o is RequestInfo info) return info;
            info = new RequestInfo();
            request.Properties[Key] = info;
#pragma warning restore CS0618
            return info;
        }
    }
}
