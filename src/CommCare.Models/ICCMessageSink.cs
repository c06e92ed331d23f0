namespace CommCare.Models
{
    /// <summary>Where the pipeline reports what it does. Cmdlets queue these and write them from the
    /// pipeline thread; implementations must be thread-safe.</summary>
    public interface ICCMessageSink
    {
        bool VerboseEnabled { get; }
        bool DebugEnabled { get; }
        void Verbose(string message);
        void Debug(string message);
        void Warning(string message);
    }

    /// <summary>A sink that can write what it has queued while the caller's thread waits for a request (so a
    /// retry's "waiting 60 s" shows at once, not after the wait). Pump does nothing on other threads.</summary>
    public interface ICCMessagePump
    {
        void Pump();
    }

    /// <summary>A sink that drops everything.</summary>
    public sealed class NullMessageSink : ICCMessageSink
    {
        public static readonly NullMessageSink Instance = new NullMessageSink();
        public bool VerboseEnabled => false;
        public bool DebugEnabled => false;
        public void Verbose(string message) { }
        public void Debug(string message) { }
        public void Warning(string message) { }
    }
}
