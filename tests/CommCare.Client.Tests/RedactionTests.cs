using System;
using CommCare.Client.Http;
using Xunit;

namespace CommCare.Client.Tests
{
    /// <summary>Secrets never reach verbose/debug output or error messages.</summary>
    public class RedactionTests
    {
        [Theory]
        [InlineData("/a/demo/api/v0.5/case/?api_key=abc", "/a/demo/api/v0.5/case/?api_key=***")]
        [InlineData("/a/demo/api/v0.5/case/?username=u%40x.org&api_key=abc&limit=5", "/a/demo/api/v0.5/case/?username=u%40x.org&api_key=***&limit=5")]
        [InlineData("api_key=abc", "api_key=***")]
        [InlineData("?apikey=abc", "?apikey=***")]
        [InlineData("?API_KEY=abc", "?API_KEY=***")]
        [InlineData("username=u&password=hunter2&next=1", "username=u&password=***&next=1")]
        [InlineData("?access_token=t0k&x=1", "?access_token=***&x=1")]
        [InlineData("grant_type=refresh_token&refresh_token=r1", "grant_type=refresh_token&refresh_token=***")]
        public void Secret_query_and_form_fields_are_masked(string input, string expected) => Assert.Equal(expected, Redaction.Text(input));

        [Fact]
        public void Api_key_authorization_header_is_masked()
        {
            string s = Redaction.Text("Authorization: ApiKey user@x.org:secret");
            Assert.Equal("Authorization: ApiKey ***", s);
        }

        [Fact]
        public void Lower_case_api_key_scheme_is_masked()
            => Assert.Equal("authorization: apikey ***", Redaction.Text("authorization: apikey user@x.org:s3cr3t"));

        [Fact]
        public void Bearer_token_is_masked() => Assert.Equal("Authorization: Bearer ***", Redaction.Text("Authorization: Bearer tok"));

        [Fact]
        public void Basic_credentials_are_masked() => Assert.Equal("Basic ***", Redaction.Text("Basic dXNlcjpwYXNz"));

        [Theory]
        [InlineData("{\"password\": \"x\"}", "{\"password\": \"***\"}")]
        [InlineData("{\"username\":\"u\",\"password\":\"p@ss\"}", "{\"username\":\"u\",\"password\":\"***\"}")]
        [InlineData("{\"api_key\": \"abc123\", \"limit\": 20}", "{\"api_key\": \"***\", \"limit\": 20}")]
        public void Password_in_json_is_masked(string input, string expected)
        {
            string s = Redaction.Text(input);
            Assert.Equal(expected, s);
        }

        // Regression (fixed): Redaction.SecretField (src/CommCare.Client/Http/Redaction.cs) ends a secret value at the first
        // '&', ';', ',', '}', quote or whitespace even when the value is a quoted JSON string, so the rest of a
        // password that contains a space, '&' or ',' is shown: {"password":"p@ss w"} becomes {"password":"*** w"}.
        // Expected: the whole quoted value masked.
        [Theory]
        [InlineData("{\"username\":\"u\",\"password\":\"p@ss w0rd\"}", "{\"username\":\"u\",\"password\":\"***\"}")]
        [InlineData("{\"password\": \"a&b\"}", "{\"password\": \"***\"}")]
        [InlineData("{\"api_key\": \"x,y\"}", "{\"api_key\": \"***\"}")]
        public void Quoted_json_secret_is_masked_whole(string input, string expected)
        {
            string s = Redaction.Text(input);
            Assert.DoesNotContain("w0rd", s);
            Assert.Equal(expected, s);
        }

        [Theory]
        [InlineData("/a/demo/api/v0.5/form/?limit=20&offset=20")]
        [InlineData("/a/demo/api/v0.5/case/?order_by=indexed_on&indexed_on_start=2016-11-29T14:50:43.100000&limit=1000")]
        [InlineData("?xmlns=http%3A%2F%2Fopenrosa.org%2Fformdesigner%2F4281EB62&case_type=key_person&owner_id=abc")]
        [InlineData("?monkey=1&tokens_used=3&passwordless=true&keyboard=qwerty")]
        [InlineData("GET /a/demo/api/v0.5/case/45WKYXQRFFU3AT4Y022EX7HF2/")]
        [InlineData("CommCare answered 500 Internal Server Error")]
        public void Ordinary_text_is_untouched(string input) => Assert.Equal(input, Redaction.Text(input));

        [Fact]
        public void Null_and_empty()
        {
            Assert.Equal("", Redaction.Text(null));
            Assert.Equal("", Redaction.Text(""));
        }

        [Fact]
        public void Path_and_query_drops_the_host_and_masks_secrets()
        {
            var uri = new Uri("https://www.commcarehq.org/a/demo/api/v0.5/case/?username=u&api_key=abc&limit=5");
            Assert.Equal("/a/demo/api/v0.5/case/?username=u&api_key=***&limit=5", Redaction.PathAndQuery(uri));
        }

        [Fact]
        public void Path_and_query_of_an_ordinary_uri_is_unchanged()
        {
            var uri = new Uri("https://www.commcarehq.org/a/demo/api/v0.5/form/?limit=20&offset=20");
            Assert.Equal("/a/demo/api/v0.5/form/?limit=20&offset=20", Redaction.PathAndQuery(uri));
        }

        [Fact]
        public void Path_and_query_of_a_relative_uri()
        {
            var uri = new Uri("/a/demo/api/v0.5/form/?password=p&limit=1", UriKind.Relative);
            Assert.Equal("/a/demo/api/v0.5/form/?password=***&limit=1", Redaction.PathAndQuery(uri));
        }

        [Fact]
        public void A_server_error_that_echoes_the_key_in_prose_is_masked_by_value()
        {
            var key = new System.Security.SecureString();
            foreach (char ch in "k3y-Value-98765") key.AppendChar(ch);
            var session = CommCare.Models.CCSession.Create(new Uri("https://commcare.example.org/"), "demo", "u@example.org", key);
            var engine = CCHttpEngine.For(session);
            using var request = new System.Net.Http.HttpRequestMessage(System.Net.Http.HttpMethod.Get, new Uri("https://commcare.example.org/a/demo/api/v0.5/case/"));
            var ex = ApiErrors.Create(engine, request, System.Net.HttpStatusCode.BadRequest, "{\"error\": \"the key k3y-Value-98765 is not valid here\"}");
            Assert.DoesNotContain("k3y-Value-98765", ex.Message);
            Assert.DoesNotContain("k3y-Value-98765", ex.ServerMessage);
            Assert.Contains("the key *** is not valid here", ex.Message);
        }
    }
}
