using System;
using System.Globalization;
using System.Net;
using System.Net.Http;
using CommCare.Client.Http;
using Xunit;

namespace CommCare.Client.Tests
{
    /// <summary>Retry-After as CommCare sends it: decimal seconds such as "3.4" (docs/commcare-api.md#rate-limits) or an HTTP date.</summary>
    public class RetryAfterTests
    {
        private static readonly DateTimeOffset Now = new DateTimeOffset(2024, 3, 5, 12, 0, 0, TimeSpan.Zero);

        private static void AssertSeconds(double expected, TimeSpan? actual, double tolerance = 0.001)
        {
            Assert.True(actual.HasValue, "no delay");
            Assert.InRange(actual!.Value.TotalSeconds, expected - tolerance, expected + tolerance);
        }

        [Fact]
        public void Decimal_seconds() => AssertSeconds(3.4, ResilienceHandler.ParseRetryAfter("3.4", Now));

        [Fact]
        public void Zero() => Assert.Equal(TimeSpan.Zero, ResilienceHandler.ParseRetryAfter("0", Now));

        [Fact]
        public void Whole_seconds() => Assert.Equal(TimeSpan.FromSeconds(120), ResilienceHandler.ParseRetryAfter("120", Now));

        [Fact]
        public void Decimal_seconds_ignore_the_current_culture()
        {
            var old = CultureInfo.CurrentCulture;
            try
            {
                CultureInfo.CurrentCulture = new CultureInfo("de-DE");   // decimal comma
                AssertSeconds(3.4, ResilienceHandler.ParseRetryAfter("3.4", Now));
            }
            finally { CultureInfo.CurrentCulture = old; }
        }

        [Fact]
        public void Http_date_in_the_future()
        {
            string header = Now.AddSeconds(30).ToString("r", CultureInfo.InvariantCulture);
            Assert.Equal("Tue, 05 Mar 2024 12:00:30 GMT", header);
            AssertSeconds(30, ResilienceHandler.ParseRetryAfter(header, Now));
        }

        [Fact]
        public void Http_date_in_the_past_is_zero()
            => Assert.Equal(TimeSpan.Zero, ResilienceHandler.ParseRetryAfter("Tue, 05 Mar 2024 11:59:00 GMT", Now));

        [Theory]
        [InlineData(null)]
        [InlineData("")]
        [InlineData("soon")]
        [InlineData("-1")]
        [InlineData("-3.4")]
        [InlineData("NaN")]
        [InlineData("Infinity")]
        [InlineData("1e3")]
        [InlineData("10 seconds")]
        public void Garbage_or_negative_is_null(string? raw)
        {
            var d = ResilienceHandler.ParseRetryAfter(raw, Now);
            Assert.True(d == null, $"'{raw}' gave a delay of {d}");
        }

        // Regression (fixed): ResilienceHandler.ParseRetryAfter (src/CommCare.Client/Http/ResilienceHandler.cs) falls back to the
        // lenient DateTimeOffset.TryParse, so text that is neither decimal seconds nor an HTTP date is read as some
        // date: "3,4" (a decimal comma) becomes 4 March of the current year, "3.4.5" 4 March 2005, "12:00" today at
        // noon, "12/25" Christmas. The result is a zero wait (an immediate retry while throttled) or a wait of days
        // (then only MaxRetryWait saves it). Expected null, so the jittered backoff applies.
        [Theory]
        [InlineData("3,4")]
        [InlineData("3.4.5")]
        [InlineData("12:00")]
        [InlineData("12/25")]
        [InlineData("1 2")]
        public void Text_that_is_not_an_http_date_is_null(string raw)
        {
            var d = ResilienceHandler.ParseRetryAfter(raw, Now);
            Assert.True(d == null, $"'{raw}' gave a delay of {d}");
        }

        [Fact]
        public void Absurdly_long_delay_is_capped_at_one_day()
            => Assert.Equal(TimeSpan.FromDays(1), ResilienceHandler.ParseRetryAfter("99999999", Now));

        [Fact]
        public void Read_from_a_response_header()
        {
            using var response = new HttpResponseMessage((HttpStatusCode)429);
            Assert.True(response.Headers.TryAddWithoutValidation("Retry-After", " 2.5 "));
            AssertSeconds(2.5, ResilienceHandler.RetryAfter(response));
        }

        [Fact]
        public void No_header_is_null()
        {
            using var response = new HttpResponseMessage((HttpStatusCode)429);
            Assert.Null(ResilienceHandler.RetryAfter(response));
        }
    }
}
