using System.Collections.Concurrent;
using CommCare.Models;

namespace CommCare.PowerShell
{
    /// <summary>Collects messages from library threads; the cmdlet writes them from the pipeline thread.</summary>
    internal sealed class MessageSink : ICCMessageSink, ICCMessagePump
    {
        private readonly int _pipelineThread = System.Threading.Thread.CurrentThread.ManagedThreadId;
        /// <summary>The cmdlet's Flush; called only on the pipeline thread, where Write* is allowed.</summary>
        internal System.Action? OnPump { get; set; }
        public void Pump()
        {
            if (System.Threading.Thread.CurrentThread.ManagedThreadId == _pipelineThread && !_queue.IsEmpty) OnPump?.Invoke();
        }

        internal enum Kind { Verbose, Debug, Warning }
        private readonly ConcurrentQueue<(Kind, string)> _queue = new ConcurrentQueue<(Kind, string)>();

        public MessageSink(bool verbose, bool debug) { VerboseEnabled = verbose; DebugEnabled = debug; }

        public bool VerboseEnabled { get; }
        public bool DebugEnabled { get; }
        public void Verbose(string message) { if (VerboseEnabled) _queue.Enqueue((Kind.Verbose, message)); }
        public void Debug(string message) { if (DebugEnabled) _queue.Enqueue((Kind.Debug, message)); }
        public void Warning(string message) => _queue.Enqueue((Kind.Warning, message));
        public bool IsEmpty => _queue.IsEmpty;
        public bool TryDequeue(out (Kind, string) item) => _queue.TryDequeue(out item);
    }
}
