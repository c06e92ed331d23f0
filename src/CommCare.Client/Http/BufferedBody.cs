using System;
using System.Buffers;
using System.Collections.Generic;
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

        /// <summary>
        /// Reads a whole stream into a rented buffer (returned to the pool if the read fails). More than
        /// <paramref name="cap"/> bytes is a <see cref="ResponseTooLargeException"/>, never a truncated body.
        /// A body longer than its first buffer is read into further chunks, each as large as all before it,
        /// and copied into one buffer at the end: no chunk is copied while reading, so an endless body costs
        /// about the cap in memory when it is refused, and a body that fits costs at most twice its size.
        /// </summary>
        public static async Task<(byte[] Buffer, int Length)> ReadAllAsync(Stream stream, long? expectedLength, long cap, CancellationToken token)
        {
            cap = Math.Min(cap, int.MaxValue - 64);
            if (expectedLength > cap) throw new ResponseTooLargeException(cap);
            byte[] first = Rent((int)Math.Min(Math.Max(expectedLength ?? 65536, 1024), cap) + 1);
            var chunks = new List<byte[]>(1) { first };
            var lengths = new List<int>(1) { 0 };
            long total = 0;
            try
            {
                while (true)
                {
                    int last = chunks.Count - 1;
                    if (lengths[last] == chunks[last].Length)
                    {
                        chunks.Add(Rent((int)Math.Min(Math.Max(total, 65536), cap + 1 - total)));
                        lengths.Add(0);
                        last++;
                    }
                    var chunk = chunks[last];
                    // Never ask for more than one byte past the cap: that byte is enough to refuse the body.
                    int want = (int)Math.Min(chunk.Length - lengths[last], cap + 1 - total);
                    int n = await stream.ReadAsync(chunk, lengths[last], want, token).ConfigureAwait(false);
                    if (n == 0) break;
                    lengths[last] += n;
                    total += n;
                    if (total > cap) throw new ResponseTooLargeException(cap);
                }
                if (chunks.Count == 1) return (first, (int)total);
                var whole = Rent((int)total + 1);
                int at = 0;
                for (int i = 0; i < chunks.Count; i++)
                {
                    Buffer.BlockCopy(chunks[i], 0, whole, at, lengths[i]);
                    at += lengths[i];
                    Return(chunks[i]);
                }
                return (whole, (int)total);
            }
            catch
            {
                foreach (var c in chunks) Return(c);
                throw;
            }
        }
    }

    /// <summary>A body over the size cap: refused, never truncated.</summary>
    internal sealed class ResponseTooLargeException : IOException
    {
        public ResponseTooLargeException(long cap) : base($"the answer is larger than the cap of {cap} bytes") => Cap = cap;
        public long Cap { get; }
    }

    /// <summary>
    /// Each read waits at most the attempt's timeout for the next bytes (a stall is an
    /// <see cref="AttemptTimeoutException"/>) and ends at once when the caller cancels, even on streams that
    /// ignore tokens. Synchronous reads (the XML readers) get the same bounds.
    /// </summary>
    internal sealed class DeadlineStream : Stream
    {
        private readonly Stream _inner;
        private readonly TimeSpan _timeout;
        private readonly CancellationToken _token;

        public DeadlineStream(Stream inner, TimeSpan timeout, CancellationToken token)
        {
            _inner = inner;
            _timeout = timeout;
            _token = token;
        }

        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(_token, cancellationToken);
            cts.CancelAfter(_timeout);
            try
            {
                var read = _inner.ReadAsync(buffer, offset, count, cts.Token);
                await ((Task)read).WaitAsync(cts.Token).ConfigureAwait(false);
                return await read.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested && !_token.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new AttemptTimeoutException(_timeout, System.Net.HttpStatusCode.OK);
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) _inner.Dispose();
            base.Dispose(disposing);
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
