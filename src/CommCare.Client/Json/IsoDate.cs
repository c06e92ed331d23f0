using CommCare.Models;
using System;
using System.Globalization;

namespace CommCare.Client.Json
{
    /// <summary>
    /// Parses the date forms CommCare sends: yyyy-MM-dd, with T and HH:mm[:ss[.fraction]], with or
    /// without Z or an offset. No offset means UTC (docs/commcare-api.md#dates-and-times). Results are UTC.
    /// </summary>
    internal static class IsoDate
    {
        public static bool TryParse(string? s, out DateTime value)
        {
            value = default;
            if (s == null) return false;
            var bytes = System.Text.Encoding.UTF8.GetBytes(s);
            return TryParse(bytes, out value);
        }

        public static bool TryParse(ReadOnlySpan<byte> s, out DateTime value)
        {
            value = default;
            if (s.Length < 10 || s[4] != '-' || s[7] != '-') return Fallback(s, out value);
            if (!Digits(s, 0, 4, out int y) || !Digits(s, 5, 2, out int mo) || !Digits(s, 8, 2, out int d)) return Fallback(s, out value);
            int h = 0, mi = 0, sec = 0; long ticks = 0; int i = 10;
            TimeSpan offset = TimeSpan.Zero;
            if (i < s.Length && (s[i] == 'T' || s[i] == ' '))
            {
                if (s.Length < i + 6 || !Digits(s, i + 1, 2, out h) || s[i + 3] != ':' || !Digits(s, i + 4, 2, out mi)) return Fallback(s, out value);
                i += 6;
                if (i < s.Length && s[i] == ':')
                {
                    if (!Digits(s, i + 1, 2, out sec)) return Fallback(s, out value);
                    i += 3;
                    if (i < s.Length && s[i] == '.')
                    {
                        i++;
                        long scale = TimeSpan.TicksPerSecond;
                        int start = i;
                        while (i < s.Length && s[i] >= '0' && s[i] <= '9')
                        {
                            scale /= 10;
                            ticks += (s[i] - '0') * scale;   // digits past 7 add 0
                            i++;
                        }
                        if (i == start) return Fallback(s, out value);
                    }
                }
                if (i < s.Length)
                {
                    if (s[i] == 'Z' || s[i] == 'z') i++;
                    else if ((s[i] == '+' || s[i] == '-') && s.Length >= i + 3)
                    {
                        int sign = s[i] == '-' ? -1 : 1;
                        if (!Digits(s, i + 1, 2, out int oh)) return Fallback(s, out value);
                        int om = 0;
                        int j = i + 3;
                        if (j < s.Length && s[j] == ':') j++;
                        if (j + 2 <= s.Length && Digits(s, j, 2, out om)) j += 2;
                        offset = TimeSpan.FromMinutes(sign * (oh * 60 + om));
                        i = j;
                    }
                }
            }
            if (i != s.Length) return Fallback(s, out value);
            try
            {
                var dt = new DateTime(y, mo, d, h, mi, sec == 60 ? 59 : sec, DateTimeKind.Utc).AddTicks(ticks) - offset;
                value = DateTime.SpecifyKind(dt, DateTimeKind.Utc);
                return true;
            }
            catch (ArgumentOutOfRangeException) { return false; }
        }

        private static bool Digits(ReadOnlySpan<byte> s, int at, int count, out int v)
        {
            v = 0;
            if (at + count > s.Length) return false;
            for (int k = at; k < at + count; k++)
            {
                int c = s[k] - '0';
                if (c < 0 || c > 9) return false;
                v = v * 10 + c;
            }
            return true;
        }

        private static bool Fallback(ReadOnlySpan<byte> s, out DateTime value)
        {
            string text = System.Text.Encoding.UTF8.GetString(s.ToArray());
            if (DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out value))
            {
                value = DateTime.SpecifyKind(value, DateTimeKind.Utc);
                return true;
            }
            return false;
        }

        /// <summary>The one form the v0.5 case/form filters accept for a full timestamp:
        /// yyyy-MM-ddTHH:mm:ss.ffffff in UTC with no Z (a Z is rejected with 400).</summary>
        public static string ForFilter(DateTime value)
            => ToUtc(value).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture);

        /// <summary>Local → UTC; Unspecified is taken as UTC, as the server does with a naive value.</summary>
        public static DateTime ToUtc(DateTime value)
            => value.Kind == DateTimeKind.Local ? value.ToUniversalTime() : DateTime.SpecifyKind(value, DateTimeKind.Utc);

        public static DateTime? ToUtc(DateTime? value) => value.HasValue ? ToUtc(value.Value) : (DateTime?)null;
    }
}
