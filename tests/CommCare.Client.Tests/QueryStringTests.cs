using System;
using System.Collections.Generic;
using System.Linq;
using CommCare.Client.Paging;
using Xunit;

namespace CommCare.Client.Tests
{
    /// <summary>User-supplied filter values and ids can never add parameters or leave the API route.</summary>
    public class QueryStringTests
    {
        private static readonly Uri CaseList = new Uri("https://www.commcarehq.org/a/demo/api/v0.5/case/");

        /// <summary>Splits a query string back into decoded pairs, as a server would.</summary>
        private static List<KeyValuePair<string, string>> Decode(string query)
            => query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
                .Select(p => p.Split('=', 2))
                .Select(kv => new KeyValuePair<string, string>(Uri.UnescapeDataString(kv[0]), Uri.UnescapeDataString(kv[1])))
                .ToList();

        [Fact]
        public void Empty_is_empty() => Assert.Equal("", new QueryString().ToString());

        [Fact]
        public void Ordinary_values_stay_readable()
            => Assert.Equal("?order_by=indexed_on&limit=1000", new QueryString().Add("order_by", "indexed_on").Add("limit", "1000").ToString());

        [Theory]
        [InlineData("a&b=c", "a%26b%3Dc")]
        [InlineData("x#y", "x%23y")]
        [InlineData("http://openrosa.org/f/1", "http%3A%2F%2Fopenrosa.org%2Ff%2F1")]
        [InlineData("two words", "two%20words")]
        [InlineData("a+b", "a%2Bb")]
        [InlineData("Zoë 日本", "Zo%C3%AB%20%E6%97%A5%E6%9C%AC")]
        [InlineData("50%", "50%25")]
        [InlineData("?q", "%3Fq")]
        public void Special_characters_are_percent_encoded(string value, string encoded)
            => Assert.Equal("?case_type=" + encoded, new QueryString().Add("case_type", value).ToString());

        [Fact]
        public void Names_are_encoded_too()
            => Assert.Equal("?a%26b=1", new QueryString().Add("a&b", "1").ToString());

        [Fact]
        public void A_value_cannot_add_a_parameter()
        {
            var q = new QueryString().Add("owner_id", "x&limit=1&api_key=steal#frag").Add("limit", "20");
            var uri = new Uri(CaseList, q.ToString());
            Assert.Equal("", uri.Fragment);
            Assert.Equal("/a/demo/api/v0.5/case/", uri.AbsolutePath);
            var pairs = Decode(uri.Query);
            Assert.Equal(new[] { "owner_id", "limit" }, pairs.Select(p => p.Key));
            Assert.Equal("x&limit=1&api_key=steal#frag", pairs[0].Value);
            Assert.Equal("20", pairs[1].Value);
        }

        [Fact]
        public void Unicode_round_trips()
        {
            var q = new QueryString().Add("name", "Zoë 日本 & co / 100%");
            var uri = new Uri(CaseList, q.ToString());
            Assert.Equal("Zoë 日本 & co / 100%", Assert.Single(Decode(uri.Query)).Value);
        }

        [Fact]
        public void Null_values_are_left_out()
            => Assert.Equal("?b=2", new QueryString().Add("a", null).Add("b", "2").ToString());

        [Fact]
        public void Empty_value_is_kept()
            => Assert.Equal("?a=", new QueryString().Add("a", "").ToString());

        [Fact]
        public void Repeated_names_keep_order()
            => Assert.Equal("?order_by=a&order_by=-b", new QueryString().Add("order_by", "a").Add("order_by", "-b").ToString());

        [Fact]
        public void Set_replaces_every_earlier_value()
        {
            var q = new QueryString().Add("limit", "1").Add("x", "y").Add("limit", "2").Set("limit", "3");
            Assert.Equal("?x=y&limit=3", q.ToString());
            Assert.Equal("?x=y", q.Set("limit", null).ToString());
        }

        [Fact]
        public void Clone_is_independent()
        {
            var a = new QueryString().Add("a", "1");
            var b = a.Clone().Add("b", "2");
            Assert.Equal("?a=1", a.ToString());
            Assert.Equal("?a=1&b=2", b.ToString());
        }

        // ---------------------------------------------------------------- Segment

        [Theory]
        [InlineData("../x", "..%2Fx")]
        [InlineData("../../../api/v0.5/user", "..%2F..%2F..%2Fapi%2Fv0.5%2Fuser")]
        [InlineData("a/b", "a%2Fb")]
        [InlineData("a?b", "a%3Fb")]
        [InlineData("a#b", "a%23b")]
        [InlineData("a\\b", "a%5Cb")]
        [InlineData("%2e%2e", "%252e%252e")]
        [InlineData("45WKYXQRFFU3AT4Y022EX7HF2", "45WKYXQRFFU3AT4Y022EX7HF2")]
        [InlineData("f959449c-8776-42ac-b776-3f564fafc331", "f959449c-8776-42ac-b776-3f564fafc331")]
        public void Segment_encodes(string id, string expected) => Assert.Equal(expected, QueryString.Segment(id));

        [Theory]
        [InlineData("../x")]
        [InlineData("../../../../etc")]
        [InlineData("..\\..\\x")]
        [InlineData("%2e%2e/%2e%2e/x")]
        [InlineData("x/../../y")]
        [InlineData("...")]
        public void Segment_cannot_escape_the_route(string id)
        {
            var uri = new Uri(CaseList, QueryString.Segment(id) + "/");
            Assert.StartsWith("/a/demo/api/v0.5/case/", uri.AbsolutePath, StringComparison.Ordinal);
            // Exactly one segment was added under the list route.
            string rest = uri.AbsolutePath.Substring("/a/demo/api/v0.5/case/".Length);
            Assert.Equal(1, rest.TrimEnd('/').Split('/').Length);
            Assert.Equal("", uri.Query);
        }

        [Theory]
        [InlineData("")]
        [InlineData(".")]
        [InlineData("..")]
        public void Dot_and_empty_segments_throw(string id)
        {
            var ex = Assert.Throws<CommCare.Models.CCApiException>(() => QueryString.Segment(id));
            Assert.Equal(CommCare.Models.CCErrorKind.InvalidArgument, ex.Kind);
            Assert.Contains("not a valid id or name", ex.Message);
        }
    }
}
