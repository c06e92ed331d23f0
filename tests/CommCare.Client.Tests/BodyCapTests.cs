using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using CommCare.Client.Http;
using Xunit;

namespace CommCare.Client.Tests
{
    /// <summary>Whole-body reads: a body over the cap is refused, never cut short; one that fits comes back byte for byte.</summary>
    public class BodyCapTests
    {
        // A stream that hands out at most 7,000 bytes per read and does not say its length, like a chunked answer.
        private sealed class Trickle : MemoryStream
        {
            public Trickle(byte[] b) : base(b) { }
            public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken token)
                => base.ReadAsync(buffer, offset, Math.Min(count, 7000), token);
        }

        private static byte[] Bytes(int n)
        {
            var b = new byte[n];
            new Random(n).NextBytes(b);
            return b;
        }

        [Theory]
        [InlineData(0)]
        [InlineData(1000)]
        [InlineData(300_000)]      // several chunks past the first buffer
        [InlineData(1_048_576)]    // exactly the cap
        public async Task A_body_up_to_the_cap_comes_back_whole(int size)
        {
            var body = Bytes(size);
            var (buffer, length) = await PageBuffers.ReadAllAsync(new Trickle(body), null, 1 << 20, CancellationToken.None);
            Assert.Equal(size, length);
            Assert.True(new ReadOnlySpan<byte>(buffer, 0, length).SequenceEqual(body));
            PageBuffers.Return(buffer);
        }

        [Fact]
        public async Task One_byte_over_the_cap_is_refused()
        {
            var ex = await Assert.ThrowsAsync<ResponseTooLargeException>(() => PageBuffers.ReadAllAsync(new Trickle(Bytes((1 << 20) + 1)), null, 1 << 20, CancellationToken.None));
            Assert.Equal(1 << 20, ex.Cap);
        }

        [Fact]
        public async Task A_declared_length_over_the_cap_is_refused_before_reading()
        {
            var stream = new Trickle(Bytes(10));
            await Assert.ThrowsAsync<ResponseTooLargeException>(() => PageBuffers.ReadAllAsync(stream, 5L << 20, 1 << 20, CancellationToken.None));
            Assert.Equal(0, stream.Position);
        }
    }
}