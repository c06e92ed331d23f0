using System;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace CommCare.Emulator;

/// <summary>How a timestamp is rendered in JSON.</summary>
public enum DateStyle : byte
{
    /// <summary><c>2024-01-02T03:04:05.123456Z</c> (json_format_datetime; always used for indexed_on).</summary>
    MicroZ,
    /// <summary><c>2024-01-02T03:04:05.123456</c> (naive DB datetime, no Z).</summary>
    Micro,
    /// <summary><c>2024-01-02T03:04:05Z</c>.</summary>
    SecondsZ,
    /// <summary><c>2024-01-02T03:04:05</c>.</summary>
    Seconds,
    /// <summary><c>2024-01-02</c>.</summary>
    DateOnly,
}

/// <summary>Timestamps are UTC <see cref="DateTime.Ticks"/> (100 ns) held as longs; 0 means null.</summary>
public static partial class Dates
{
    public const long TicksPerMicro = 10;

    public static long Ticks(int y, int mo, int d, int h = 0, int mi = 0, int s = 0)
        => new DateTime(y, mo, d, h, mi, s, DateTimeKind.Utc).Ticks;

    /// <summary>Writes the formatted value (without quotes) and returns the number of bytes written.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Format(long ticks, DateStyle style, Span<byte> dest)
    {
        var dt = new DateTime(ticks, DateTimeKind.Utc);
        var p = 0;
        Put4(dest, ref p, dt.Year);
        dest[p++] = (byte)'-';
        Put2(dest, ref p, dt.Month);
        dest[p++] = (byte)'-';
        Put2(dest, ref p, dt.Day);
        if (style == DateStyle.DateOnly) return p;
        dest[p++] = (byte)'T';
        Put2(dest, ref p, dt.Hour);
        dest[p++] = (byte)':';
        Put2(dest, ref p, dt.Minute);
        dest[p++] = (byte)':';
        Put2(dest, ref p, dt.Second);
        if (style is DateStyle.MicroZ or DateStyle.Micro)
        {
            dest[p++] = (byte)'.';
            var micro = (int)(ticks % TimeSpan.TicksPerSecond / TicksPerMicro);
            for (var div = 100000; div > 0; div /= 10)
            {
                dest[p++] = (byte)('0' + micro / div % 10);
            }
        }
        if (style is DateStyle.MicroZ or DateStyle.SecondsZ) dest[p++] = (byte)'Z';
        return p;
    }

    public static string ToString(long ticks, DateStyle style)
    {
        Span<byte> b = stackalloc byte[32];
        var n = Format(ticks, style, b);
        return System.Text.Encoding.ASCII.GetString(b[..n]);
    }

    private static void Put2(Span<byte> d, ref int p, int v)
    {
        d[p++] = (byte)('0' + v / 10);
        d[p++] = (byte)('0' + v % 10);
    }

    private static void Put4(Span<byte> d, ref int p, int v)
    {
        d[p++] = (byte)('0' + v / 1000 % 10);
        d[p++] = (byte)('0' + v / 100 % 10);
        d[p++] = (byte)('0' + v / 10 % 10);
        d[p++] = (byte)('0' + v % 10);
    }

    // Python's strptime building blocks (Lib/_strptime.py), compiled with re.IGNORECASE:
    //   %Y \d\d\d\d   %m 1[0-2]|0[1-9]|[1-9]   %d 3[01]|[12]\d|0[1-9]|[1-9]| [1-9]
    //   %H 2[0-3]|[0-1]\d|\d   %M [0-5]\d|\d   %S 6[0-1]|[0-5]\d|\d   %f [0-9]{1,6}
    // SUPPORTED_DATE_FORMATS (corehq/apps/api/es.py):
    //   '%Y-%m-%d', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%dT%H:%M:%S.%f', '%Y-%m-%dT%H:%MZ'
    private const string DatePart = "(?<Y>[0-9]{4})-(?<m>1[0-2]|0[1-9]|[1-9])-(?<d>3[01]|[12][0-9]|0[1-9]|[1-9]| [1-9])";

    [GeneratedRegex("^" + DatePart + "$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DateOnlyRx();

    [GeneratedRegex("^" + DatePart + "T(?<H>2[0-3]|[0-1][0-9]|[0-9]):(?<M>[0-5][0-9]|[0-9]):(?<S>6[0-1]|[0-5][0-9]|[0-9])(\\.(?<f>[0-9]{1,6}))?$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DateTimeRx();

    [GeneratedRegex("^" + DatePart + "T(?<H>2[0-3]|[0-1][0-9]|[0-9]):(?<M>[0-5][0-9]|[0-9])Z$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex LegacyRx();

    /// <summary>
    /// Parses a v0.x/v1 date filter value like HQ's <c>validate_date</c>; naive values are UTC.
    /// Returns false for anything else (the caller answers 400 "Unknown date format").
    /// </summary>
    public static bool TryParseFilter(string value, out long ticks)
    {
        ticks = 0;
        Match m;
        if ((m = DateOnlyRx().Match(value)).Success ||
            (m = DateTimeRx().Match(value)).Success ||
            (m = LegacyRx().Match(value)).Success)
        {
            var y = int.Parse(m.Groups["Y"].ValueSpan);
            var mo = int.Parse(m.Groups["m"].ValueSpan);
            var d = int.Parse(m.Groups["d"].ValueSpan.Trim());
            var h = m.Groups["H"].Success ? int.Parse(m.Groups["H"].ValueSpan) : 0;
            var mi = m.Groups["M"].Success ? int.Parse(m.Groups["M"].ValueSpan) : 0;
            var s = m.Groups["S"].Success ? int.Parse(m.Groups["S"].ValueSpan) : 0;
            var micro = 0;
            if (m.Groups["f"].Success)
            {
                var f = m.Groups["f"].Value.PadRight(6, '0');
                micro = int.Parse(f);
            }
            if (y < 1 || s > 59 || d > DateTime.DaysInMonth(y, mo)) return false;
            ticks = new DateTime(y, mo, d, h, mi, s, DateTimeKind.Utc).Ticks + micro * TicksPerMicro;
            return true;
        }
        return false;
    }

    /// <summary>Lenient ISO-8601 parse used for the internal <c>_search</c> JSON filter (ES date parsing).</summary>
    public static bool TryParseLenient(string value, out long ticks)
    {
        if (TryParseFilter(value, out ticks)) return true;
        if (DateTimeOffset.TryParse(value, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out var dto))
        {
            ticks = dto.UtcTicks;
            return true;
        }
        ticks = 0;
        return false;
    }
}
