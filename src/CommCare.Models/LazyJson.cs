using System;
using System.Threading;

namespace CommCare.Models
{
    /// <summary>
    /// A value kept as raw JSON until first read (form bodies, case properties). Safe to read from several
    /// threads: a race parses twice and the first result wins; the value is published before the raw bytes
    /// are dropped, so a reader that finds no bytes finds the value.
    /// </summary>
    internal static class LazyJson
    {
        public static T Get<T>(ref T? value, ref byte[]? raw, Func<byte[], T>? parser, Func<T> empty) where T : class
        {
            var v = Volatile.Read(ref value);
            if (v != null) return v;
            var bytes = Volatile.Read(ref raw);
            var parsed = bytes != null && parser != null ? parser(bytes) : Volatile.Read(ref value) ?? empty();
            Interlocked.CompareExchange(ref value, parsed, null);
            Volatile.Write(ref raw, null);
            return Volatile.Read(ref value)!;
        }
    }
}
