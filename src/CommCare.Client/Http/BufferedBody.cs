using System;
using System.Buffers;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading;
using System.Threading.Tasks;

namespace CommCare.Client.Http
{
    /// <summary>
    /// Buffers for whole response bodies. List pages are megabytes each and a long export reads thousands:
    /// ArrayPool.Shared gives such arrays up when a gen2 collection trims it, so they were allocated again
    /// on the large object heap, which brought on more gen2 collections. This keeps a few large buffers
    /// for reuse (dropped after a minute unused); small ones go to ArrayPool.Shared as usual.
    /// </summary>
    internal static class PageBuffers
    {
        private const int Large = 1 << 20;
        private const int Keep = 4;                 // two pages in flight (current + prefetched), with room
        private const int MaxKept = 64 << 20;
        private static readonly byte[]?[] Kept = new byte[]?[Keep];
        private static readonly object Gate = new object();
        private static long _lastUse;
        private static Timer? _trim;

        public static byte[] Rent(int minimumLength)
        {
            if (minimumLength < Large) return ArrayPool<byte>.Shared.Rent(minimumLength);
            lock (Gate)
            {
                _lastUse = Environment.TickCount;
                int best = -1;
                for (int i = 0; i < Keep; i++)
                    if (Kept[i] is { } k && k.Length >= minimumLength && (best < 0 || k.Length < Kept[best]!.Length)) best = i;
                if (best >= 0) { var b = Kept[best]!; Kept[best] = null; return b; }
            }
            // Round up so pages of slightly different sizes fit the same buffer.
            long size = Math.Min((long)int.MaxValue - 64, ((long)minimumLength + Large - 1) / Large * Large + Large);
            return new byte[size];
        }

        public static void Return(byte[] buffer)
        {
            if (buffer.Length < Large) { ArrayPool<byte>.Shared.Return(buffer); return; }
            if (buffer.Length > MaxKept) return;
            lock (Gate)
            {
                _lastUse = Environment.TickCount;
                int slot = -1;
                for (int i = 0; i < Keep; i++)
                {
                    if (Kept[i] == null) { slot = i; break; }
                    if (Kept[i]!.Length < buffer.Length && (slot < 0 || Kept[i]!.Length < Kept[slot]!.Length)) slot = i;
                }
                if (slot >= 0) Kept[slot] = buffer;   // full: the larger buffer is the more useful one
                _trim ??= new Timer(_ => Trim(), null, 30_000, 30_000);
            }
        }

        private static void Trim()
        {
            lock (Gate)
            {
                if (unchecked(Environment.TickCount - (int)_lastUse) < 60_000) return;
                for (int i = 0; i < Keep; i++) Kept[i] = null;
            }
        }

        /// <summary>Reads a whole stream into a rented buffer (returned to the pool if the read fails).</summary>
        public static async Task<(byte[] Buffer, int Length)> ReadAllAsync(Stream stream, long? expectedLength, CancellationToken token)
        {
            byte[] buffer = Rent((int)Math.Min(Math.Max(expectedLength ?? 65536, 1024), int.MaxValue - 64) + 1);
            int total = 0;
            try
            {
                while (true)
                {
                    if (total == buffer.Length)
                    {
                        var bigger = Rent((int)Math.Min((long)buffer.Length * 2, int.MaxValue - 64));
                        Buffer.BlockCopy(buffer, 0, bigger, 0, total);
                        Return(buffer);
                        buffer = bigger;
                    }
                    int n = await stream.ReadAsync(buffer, total, buffer.Length - total, token).ConfigureAwait(false);
                    if (n == 0) break;
                    total += n;
                }
                return (buffer, total);
            }
            catch
            {
                Return(buffer);
                throw;
            }
        }
    }

    /// <summary>
    /// A response body read whole inside the attempt (AttemptTimeoutHandler), in a buffer from
    /// <see cref="PageBuffers"/>. The page reader takes the buffer itself, so a page is copied once from
    /// the socket; any other reader uses it as ordinary content. Disposing gives the buffer back.
    /// </summary>
    internal sealed class BufferedBody : HttpContent
    {
        private byte[]? _buffer;

        public BufferedBody(byte[] buffer, int length, HttpContentHeaders from)
        {
            _buffer = buffer;
            Length = length;
            foreach (var h in from)
                if (!string.Equals(h.Key, "Content-Length", StringComparison.OrdinalIgnoreCase)) Headers.TryAddWithoutValidation(h.Key, h.Value);
            Headers.ContentLength = length;
        }

        public int Length { get; }

        /// <summary>Hands the buffer over: the caller gives it back with <see cref="PageBuffers.Return"/>.</summary>
        public byte[] TakeBuffer() => Interlocked.Exchange(ref _buffer, null) ?? throw new ObjectDisposedException(nameof(BufferedBody));

        private byte[] Buffer => _buffer ?? throw new ObjectDisposedException(nameof(BufferedBody));

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(Buffer, 0, Length);

        protected override Task<Stream> CreateContentReadStreamAsync() => Task.FromResult<Stream>(new MemoryStream(Buffer, 0, Length, writable: false));

        protected override bool TryComputeLength(out long length) { length = Length; return true; }

        protected override void Dispose(bool disposing)
        {
            if (disposing && Interlocked.Exchange(ref _buffer, null) is { } b) PageBuffers.Return(b);
            base.Dispose(disposing);
        }
    }
}
