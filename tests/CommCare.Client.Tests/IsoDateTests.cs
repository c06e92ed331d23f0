using System;
using System.Text;
using CommCare.Client.Json;
using Xunit;

namespace CommCare.Client.Tests
{
    /// <summary>The date forms CommCare sends (docs/commcare-api.md#dates-and-times) and the one form its filters accept.</summary>
    public class IsoDateTests
    {
        private static DateTime Utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0, long extraTicks = 0)
            => new DateTime(y, mo, d, h, mi, s, DateTimeKind.Utc).AddTicks(extraTicks);

        private static DateTime Parse(string text)
        {
            Assert.True(IsoDate.TryParse(text, out var v), $"'{text}' did not parse");
            Assert.Equal(DateTimeKind.Utc, v.Kind);
            // The UTF-8 span overload (what the JSON parser uses) agrees with the string overload.
            Assert.True(IsoDate.TryParse(Encoding.UTF8.GetBytes(text), out var fromBytes));
            Assert.Equal(v, fromBytes);
            Assert.Equal(DateTimeKind.Utc, fromBytes.Kind);
            return v;
        }

        [Fact]
        public void Microseconds_with_Z() => Assert.Equal(Utc(2016, 11, 29, 14, 50, 42, 5_306_160), Parse("2016-11-29T14:50:42.530616Z"));

        [Fact]
        public void Seconds_with_Z() => Assert.Equal(Utc(2012, 3, 13, 18, 21, 52), Parse("2012-03-13T18:21:52Z"));

        [Fact]
        public void No_zone_means_utc_not_local() => Assert.Equal(Utc(2016, 11, 29, 14, 50, 36, 1_550_000), Parse("2016-11-29T14:50:36.155000"));

        [Fact]
        public void Seconds_without_zone() => Assert.Equal(Utc(2012, 3, 13, 18, 21, 52), Parse("2012-03-13T18:21:52"));

        [Fact]
        public void Date_only_is_midnight_utc() => Assert.Equal(Utc(2012, 4, 5), Parse("2012-04-05"));

        [Fact]
        public void Minutes_precision_legacy_filter_form() => Assert.Equal(Utc(2012, 3, 13, 18, 21), Parse("2012-03-13T18:21Z"));

        [Fact]
        public void Space_separator() => Assert.Equal(Utc(2012, 3, 13, 18, 21, 52), Parse("2012-03-13 18:21:52"));

        [Theory]
        [InlineData("2016-11-29T20:20:42+05:30")]
        [InlineData("2016-11-29T20:20:42+0530")]
        [InlineData("2016-11-29T09:50:42-05:00")]
        [InlineData("2016-11-29T09:50:42-05")]
        [InlineData("2016-11-29T14:50:42+00:00")]
        public void Offsets_are_converted_to_utc(string text) => Assert.Equal(Utc(2016, 11, 29, 14, 50, 42), Parse(text));

        [Fact]
        public void Offset_crossing_midnight() => Assert.Equal(Utc(2016, 11, 28, 22, 0, 0), Parse("2016-11-29T03:30:00.000000+05:30"));

        [Theory]
        [InlineData("2016-11-29T14:50:42.1234567Z", 1_234_567)]
        [InlineData("2016-11-29T14:50:42.12345678Z", 1_234_567)]       // digits past the 7th (100 ns) are dropped
        [InlineData("2016-11-29T14:50:42.123456789123", 1_234_567)]
        [InlineData("2016-11-29T14:50:42.5", 5_000_000)]
        [InlineData("2016-11-29T14:50:42.05Z", 500_000)]
        public void FractionsOfAnyLength(string text, long ticks) => Assert.Equal(Utc(2016, 11, 29, 14, 50, 42, ticks), Parse(text));

        [Theory]
        [InlineData("")]
        [InlineData("garbage")]
        [InlineData("2016")]
        [InlineData("2016-13-01")]                  // month 13
        [InlineData("2016-02-30")]                  // no such day
        [InlineData("2016-11-29T25:00:00Z")]        // hour 25
        [InlineData("2016-11-29T14:61:00Z")]        // minute 61
        [InlineData("2016-11-29T14:50:42 junk")]
        [InlineData("2016-11-29T14:50:42ZZ")]
        [InlineData("2016-11-29Tnoon")]
        [InlineData("yyyy-mm-dd")]
        public void GarbageIsRejected(string text)
        {
            Assert.False(IsoDate.TryParse(text, out var v), $"'{text}' parsed as {v:o}");
            Assert.False(IsoDate.TryParse(Encoding.UTF8.GetBytes(text), out _));
        }

        [Fact]
        public void Null_is_rejected() => Assert.False(IsoDate.TryParse((string?)null, out _));

        // ---------------------------------------------------------------- ForFilter

        [Fact]
        public void For_filter_utc_has_six_digits_and_no_Z()
            => Assert.Equal("2016-11-29T14:50:43.100000", IsoDate.ForFilter(Utc(2016, 11, 29, 14, 50, 43, 1_000_000)));

        [Fact]
        public void For_filter_whole_seconds_still_has_six_digits()
            => Assert.Equal("2012-04-05T00:00:00.000000", IsoDate.ForFilter(Utc(2012, 4, 5)));

        [Fact]
        public void For_filter_round_trips_parsed_microseconds()
        {
            const string text = "2016-11-29T14:50:42.530616";
            Assert.Equal(text, IsoDate.ForFilter(Parse(text + "Z")));
        }

        [Fact]
        public void For_filter_truncates_below_a_microsecond()
            => Assert.Equal("2016-11-29T14:50:42.123456", IsoDate.ForFilter(Utc(2016, 11, 29, 14, 50, 42, 1_234_569)));
    }

    /// <summary>Tests that change the process's local time zone: run alone, never beside other tests.</summary>
    [CollectionDefinition(nameof(LocalTimeZoneCollection), DisableParallelization = true)]
    public class LocalTimeZoneCollection { }

    /// <summary>Runs code with another TimeZoneInfo.Local, so Local and Unspecified values differ from UTC even on a
    /// build machine that runs in UTC. Only for tests in <see cref="LocalTimeZoneCollection"/>.</summary>
    internal static class LocalZone
    {
        public static void Run(string zoneId, TimeSpan expectedOffset, Action body)
        {
            string? old = Environment.GetEnvironmentVariable("TZ");
            Environment.SetEnvironmentVariable("TZ", zoneId);
            TimeZoneInfo.ClearCachedData();
            try
            {
                Assert.True(expectedOffset == TimeZoneInfo.Local.GetUtcOffset(new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc)),
                    $"could not switch the local time zone to {zoneId} (is tzdata installed?)");
                body();
            }
            finally
            {
                Environment.SetEnvironmentVariable("TZ", old);
                TimeZoneInfo.ClearCachedData();
            }
        }
    }

    [Collection(nameof(LocalTimeZoneCollection))]
    public class IsoDateLocalZoneTests
    {
        private static void InKolkata(Action body) => LocalZone.Run("Asia/Kolkata", TimeSpan.FromMinutes(330), body);

        [Fact]
        public void For_filter_converts_local_to_utc() => InKolkata(() =>
        {
            var local = new DateTime(2016, 11, 29, 20, 20, 42, 500, DateTimeKind.Local);   // 14:50:42.5 UTC
            Assert.Equal("2016-11-29T14:50:42.500000", IsoDate.ForFilter(local));
        });

        [Fact]
        public void For_filter_treats_unspecified_as_utc() => InKolkata(() =>
        {
            var unspecified = new DateTime(2016, 11, 29, 14, 50, 42, 500, DateTimeKind.Unspecified);
            Assert.Equal("2016-11-29T14:50:42.500000", IsoDate.ForFilter(unspecified));
        });

        [Fact]
        public void Parsing_without_zone_ignores_the_local_zone() => InKolkata(() =>
        {
            Assert.True(IsoDate.TryParse("2016-11-29T14:50:36.155000", out var v));
            Assert.Equal(new DateTime(2016, 11, 29, 14, 50, 36, 155, DateTimeKind.Utc), v);
            Assert.Equal(DateTimeKind.Utc, v.Kind);
        });
    }
}
