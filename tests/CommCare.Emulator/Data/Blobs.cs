using System;

namespace CommCare.Emulator;

/// <summary>Immutable attachment content that can be read in slices (so big ones never sit in memory whole).</summary>
public interface IBlob
{
    long Length { get; }

    /// <summary>Copies <c>dest.Length</c> bytes starting at <paramref name="offset"/>.</summary>
    void CopyTo(long offset, Span<byte> dest);
}

/// <summary>Bytes held in memory (submitted files, form XML).</summary>
public sealed class BytesBlob(byte[] bytes) : IBlob
{
    public byte[] Bytes { get; } = bytes;
    public long Length => Bytes.Length;
    public void CopyTo(long offset, Span<byte> dest) => Bytes.AsSpan((int)offset, dest.Length).CopyTo(dest);
}

/// <summary>
/// Deterministic pseudo-random bytes computed on demand from (seed, position): a 50 MB attachment costs no memory.
/// With <see cref="Jpeg"/> the content starts with a JPEG SOI/APP0 header and ends with EOI (looks like a JPEG to sniffers).
/// </summary>
public sealed class GeneratedBlob(long seed, long length, bool jpeg = false) : IBlob
{
    private static readonly byte[] JpegHead = { 0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00 };

    public long Seed { get; } = seed;
    public long Length { get; } = length;
    public bool Jpeg { get; } = jpeg;

    public void CopyTo(long offset, Span<byte> dest)
    {
        for (var i = 0; i < dest.Length; i++) dest[i] = At(offset + i);
    }

    private byte At(long pos)
    {
        if (Jpeg)
        {
            if (pos < JpegHead.Length) return JpegHead[pos];
            if (pos == Length - 2) return 0xFF;
            if (pos == Length - 1) return 0xD9;
        }
        // SplitMix64 of (seed, 8-byte block), then the byte within the block
        var z = unchecked((ulong)Seed * 0x9E3779B97F4A7C15UL + (ulong)(pos >> 3) + 0x632BE59BD9B4E019UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return (byte)(z >> (int)((pos & 7) * 8));
    }
}

/// <summary>A named attachment of a form (or a case): its content type and content.</summary>
public sealed record Attachment(string Name, string ContentType, IBlob Blob);
