using System;

namespace CommCare.Emulator;

/// <summary>
/// Small deterministic generator (SplitMix64). One instance per (seed, stream, record) so records can be
/// generated in any order / in parallel and still be identical for the same seed.
/// </summary>
public struct Rng
{
    private ulong _s;

    public Rng(long seed, int stream, long index)
    {
        _s = (ulong)seed * 0x9E3779B97F4A7C15UL ^ ((ulong)stream << 48) ^ (ulong)index * 0xD1B54A32D192ED03UL;
        NextULong();
    }

    public ulong NextULong()
    {
        var z = _s += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>0 ≤ result &lt; n.</summary>
    public int Next(int n) => n <= 1 ? 0 : (int)(NextULong() % (ulong)n);

    public int Next(int min, int maxExclusive) => min + Next(maxExclusive - min);

    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    public long NextLong(long maxExclusive) => maxExclusive <= 1 ? 0 : (long)(NextULong() % (ulong)maxExclusive);

    public T Pick<T>(T[] items) => items[Next(items.Length)];

    /// <summary>A lower-case UUID4-style id (8-4-4-4-12).</summary>
    public string Uuid()
    {
        var a = NextULong();
        var b = NextULong();
        Span<char> c = stackalloc char[36];
        const string hex = "0123456789abcdef";
        var p = 0;
        for (var i = 0; i < 32; i++)
        {
            if (i is 8 or 12 or 16 or 20) c[p++] = '-';
            var nib = i < 16 ? (int)(a >> (60 - 4 * i)) & 0xF : (int)(b >> (60 - 4 * (i - 16))) & 0xF;
            if (i == 12) nib = 4;
            if (i == 16) nib = 8 | (nib & 3);
            c[p++] = hex[nib];
        }
        return new string(c);
    }

    /// <summary>A 32-char lower-case hex id (couch style).</summary>
    public string Hex32()
    {
        var a = NextULong();
        var b = NextULong();
        return a.ToString("x16") + b.ToString("x16");
    }
}
