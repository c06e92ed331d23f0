using System;

namespace CommCare.Client.Json
{
    /// <summary>
    /// The bytes a record is being parsed from, when the caller holds them whole (pages, forwarded payloads):
    /// parsers then keep a nested value (form body, case properties) as JSON, parsed only when a script reads
    /// it. Per thread; the holder clears it (<see cref="Use"/>'s scope) before its buffer goes back to a pool.
    /// </summary>
    internal static class RecordSource
    {
        [ThreadStatic] private static byte[]? _bytes;
        [ThreadStatic] private static int _offset;

        /// <summary>Whether the bytes being parsed are at hand (else parse nested values at once).</summary>
        public static bool Available => _bytes != null;

        /// <summary>Parses from <paramref name="bytes"/> until the scope ends; <paramref name="offset"/> is where the
        /// reader's first byte sits in them (one record of a page).</summary>
        public static Scope Use(byte[] bytes, int offset = 0)
        {
            _bytes = bytes;
            _offset = offset;
            return default;
        }

        /// <summary>A copy of the reader's bytes from <paramref name="start"/> (a TokenStartIndex) to <paramref name="end"/> (BytesConsumed).</summary>
        public static byte[] Copy(long start, long end)
        {
            var source = _bytes ?? throw new InvalidOperationException("No record source in use.");
            int length = (int)(end - start);
            var copy = new byte[length];
            Buffer.BlockCopy(source, _offset + (int)start, copy, 0, length);
            return copy;
        }

        public readonly struct Scope : IDisposable
        {
            public void Dispose()
            {
                _bytes = null;   // a pooled buffer is reused: never keep a reference past its holder
                _offset = 0;
            }
        }
    }
}
