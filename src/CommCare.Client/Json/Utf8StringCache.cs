using System;
using System.Text;
using System.Text.Json;

namespace CommCare.Client.Json
{
    /// <summary>
    /// Reuses strings for property names and short values that repeat across records (field names,
    /// choice answers, xmlns, owner ids), so parsing a million forms does not allocate each again.
    /// Direct-mapped and per thread: a miss just allocates, as without the cache.
    /// </summary>
    internal sealed class Utf8StringCache
    {
        private const int Size = 4096;          // power of two
        internal const int MaxLength = 160;     // xmlns and appVersion strings repeat and are long
        private readonly byte[]?[] _keys = new byte[]?[Size];
        private readonly string?[] _values = new string?[Size];
        private readonly uint[] _seen = new uint[Size];     // hash of the last value that missed in each slot

        [ThreadStatic] private static Utf8StringCache? _current;
        public static Utf8StringCache Current => _current ??= new Utf8StringCache();

        /// <summary>The current token (property name or string) as a string.</summary>
        public string Get(ref Utf8JsonReader r)
        {
            if (r.HasValueSequence || r.ValueIsEscaped) return r.GetString()!;
            ReadOnlySpan<byte> span = r.ValueSpan;
            if (span.Length > MaxLength) return r.GetString()!;
            uint h = 2166136261;
            for (int i = 0; i < span.Length; i++) h = (h ^ span[i]) * 16777619;
            int slot = (int)(h & (Size - 1));
            var key = _keys[slot];
            if (key != null && span.SequenceEqual(key)) return _values[slot]!;
            string s = r.GetString()!;
            // Keep a value only when it comes a second time: unique ids and timestamps would cost an
            // extra copy each and evict the names and answers that do repeat.
            if (_seen[slot] == h)
            {
                _keys[slot] = span.ToArray();
                _values[slot] = s;
            }
            else _seen[slot] = h;
            return s;
        }
    }
}
