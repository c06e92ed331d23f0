using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Json;
using CommCare.Client.Json;
using CommCare.Client.Paging;
using CommCare.Models;
using Xunit;

namespace CommCare.Client.Tests
{
    /// <summary>
    /// Lazy pages (cases and forms read by indexed_on): the walker's ids and timestamps come from a skim of
    /// the bytes, and each record is parsed when taken. Both must give exactly what the eager parse gives.
    /// </summary>
    public class LazyPageTests
    {
        private static byte[] Example(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "examples", name));

        /// <summary>Skims the "objects" of a page held in a pooled buffer, as PageFetcher does for a lazy page.</summary>
        private static LazyRecords<T> Skim<T>(byte[] json, ItemReader<T> reader)
        {
            var buffer = CommCare.Client.Http.PageBuffers.Rent(json.Length + 64);
            // Bytes past the JSON are junk from an earlier use of the pooled array.
            for (int i = 0; i < buffer.Length; i++) buffer[i] = (byte)'x';
            Buffer.BlockCopy(json, 0, buffer, 0, json.Length);
            var lazy = new LazyRecords<T>();
            var r = new Utf8JsonReader(new ReadOnlySpan<byte>(buffer, 0, json.Length));
            r.Read();
            while (r.Read() && r.TokenType != JsonTokenType.EndObject)
            {
                string name = r.GetString()!;
                r.Read();
                if (name == "objects") while (r.Read() && r.TokenType != JsonTokenType.EndArray) lazy.Skim(ref r);
                else r.Skip();
            }
            lazy.Attach(buffer, reader, "GET /test/");
            return lazy;
        }

        /// <param name="withSource">false: no page bytes to slice, so case properties and form bodies are
        /// parsed at once (a detail read) — the reference the deferred parse must equal.</param>
        private static List<T> Eager<T>(byte[] json, ItemReader<T> reader, bool withSource = true)
        {
            var items = new List<T>();
            using var source = withSource ? RecordSource.Use(json) : default;
            var r = new Utf8JsonReader(json);
            r.Read();
            while (r.Read() && r.TokenType != JsonTokenType.EndObject)
            {
                string name = r.GetString()!;
                r.Read();
                if (name == "objects") while (r.Read() && r.TokenType != JsonTokenType.EndArray) items.Add(reader(ref r));
                else r.Skip();
            }
            return items;
        }

        private const string TwoForms = "{\"meta\":{\"limit\":2,\"next\":null,\"offset\":0,\"total_count\":2},\"objects\":[" +
            "{\"id\":\"f-1\",\"indexed_on\":\"2024-05-01T10:00:00.123456Z\",\"received_on\":\"2024-05-01T09:59:59Z\",\"form\":{\"@xmlns\":\"http://x/a\",\"@name\":\"A\",\"q\":\"first \\u00e9\",\"n\":{\"deep\":[1,2]}}}," +
            "{\"id\":\"f-2\",\"indexed_on\":\"2024-05-01T10:00:00.123456Z\",\"form\":{\"@xmlns\":\"http://x/b\",\"q\":\"second\"},\"extra\":{\"id\":\"not-this-one\",\"indexed_on\":\"1999-01-01T00:00:00Z\"}}]}";

        [Fact]
        public void Forms_parsed_one_by_one_equal_the_eager_parse_including_the_form_body()
        {
            foreach (var json in new[] { Example("form-v1-list.json"), Encoding.UTF8.GetBytes(TwoForms) })
            {
                var eager = Eager<CCForm>(json, FormParser.Read);
                var lazy = Skim<CCForm>(json, FormParser.Read);
                Assert.Equal(eager.Count, lazy.Count);
                for (int i = 0; i < eager.Count; i++)
                {
                    Assert.Equal(eager[i].Id, lazy.Id(i));
                    Assert.Equal(eager[i].IndexedOn, lazy.IndexedOn(i));
                    var f = lazy.Parse(i);
                    Assert.Equal(eager[i].Id, f.Id);
                    Assert.Equal(eager[i].Xmlns, f.Xmlns);
                    Assert.Equal(eager[i].ReceivedOn, f.ReceivedOn);
                    // The body is kept as bytes sliced from the page: the slice must start at this record.
                    Assert.Equal(JsonSerializer.Serialize(eager[i].Form), JsonSerializer.Serialize(f.Form));
                }
                lazy.Release();
            }
        }

        [Fact]
        public void A_nested_id_or_indexed_on_does_not_become_the_records_key()
        {
            var lazy = Skim<CCForm>(Encoding.UTF8.GetBytes(TwoForms), FormParser.Read);
            Assert.Equal("f-2", lazy.Id(1));
            Assert.Equal(new DateTime(2024, 5, 1, 10, 0, 0, DateTimeKind.Utc).AddTicks(1234560), lazy.IndexedOn(1));
            lazy.Release();
        }

        [Fact]
        public void Cases_take_their_id_from_case_id_when_id_is_missing_as_the_parser_does()
        {
            var json = Encoding.UTF8.GetBytes("{\"meta\":{},\"objects\":[" +
                "{\"case_id\":\"c-1\",\"indexed_on\":\"2024-05-01T10:00:00Z\",\"properties\":{\"case_name\":\"a\"}}," +
                "{\"id\":\"c-2\",\"case_id\":\"c-2\",\"indexed_on\":null,\"properties\":{}}]}");
            var eager = Eager<CCCase>(json, CaseParser.Read);
            var lazy = Skim<CCCase>(json, CaseParser.Read);
            Assert.Equal(new[] { "c-1", "c-2" }, new[] { lazy.Id(0), lazy.Id(1) });
            Assert.Equal(new[] { eager[0].Id, eager[1].Id }, new[] { lazy.Id(0), lazy.Id(1) });
            Assert.Null(lazy.IndexedOn(1));
            Assert.Equal("a", lazy.Parse(0).Name);
            lazy.Release();
        }

        [Fact]
        public void Case_example_page_parses_the_same_lazily()
        {
            var json = Example("case-v1-list.json");
            var eager = Eager<CCCase>(json, CaseParser.Read);
            var lazy = Skim<CCCase>(json, CaseParser.Read);
            Assert.Equal(eager.Count, lazy.Count);
            for (int i = 0; i < eager.Count; i++)
            {
                var c = lazy.Parse(i);
                Assert.Equal(eager[i].Id, c.Id);
                Assert.Equal(eager[i].IndexedOn, c.IndexedOn);
                Assert.Equal(eager[i].Properties, c.Properties);
            }
            lazy.Release();
        }

        [Fact]
        public void Case_properties_kept_as_json_parse_into_the_same_dictionary_and_typed_fields()
        {
            var json = Encoding.UTF8.GetBytes("{\"objects\":[" +
                "{\"id\":\"c-1\",\"properties\":{\"case_name\":\"Asha\",\"case_type\":\"mother\",\"owner_id\":\"o-1\",\"external_id\":\"X1\"," +
                "\"date_opened\":\"2024-05-01T10:00:00Z\",\"dob\":\"1990-01-02\",\"n\":3,\"flag\":true,\"empty\":null,\"list\":[1,\"a\"],\"obj\":{\"k\":\"v\"},\"esc\":\"\\u00e9\\\"q\"}}," +
                "{\"id\":\"c-2\",\"properties\":{\"case_name\":\"B\",\"date_opened\":\"not a date\"}}," +
                "{\"id\":\"c-3\",\"properties\":{\"date_opened\":null}}]}");
            var reference = Eager<CCCase>(json, CaseParser.Read, withSource: false);
            var lazy = Skim<CCCase>(json, CaseParser.Read);
            for (int i = 0; i < reference.Count; i++)
            {
                var c = lazy.Parse(i);
                Assert.Equal(reference[i].Name, c.Name);
                Assert.Equal(reference[i].CaseType, c.CaseType);
                Assert.Equal(reference[i].OwnerId, c.OwnerId);
                Assert.Equal(reference[i].ExternalId, c.ExternalId);
                Assert.Equal(reference[i].DateOpened, c.DateOpened);
                Assert.Equal(JsonSerializer.Serialize(reference[i].Properties), JsonSerializer.Serialize(c.Properties));
            }
            lazy.Release();
            Assert.Equal("Asha", reference[0].Name);
            Assert.False(reference[0].Properties.ContainsKey("case_name"));     // lifted, as before
            Assert.Equal("not a date", reference[1].Properties["date_opened"]);  // kept raw when not a date
            Assert.True(reference[2].Properties.ContainsKey("date_opened"));
        }

        [Fact]
        public void Deferred_properties_read_from_many_threads_at_once_are_one_dictionary()
        {
            for (int round = 0; round < 200; round++)
            {
                var lazy = Skim<CCCase>(Encoding.UTF8.GetBytes("{\"objects\":[{\"id\":\"c\",\"properties\":{\"a\":\"1\",\"b\":\"2\"}}]}"), CaseParser.Read);
                var c = lazy.Parse(0);
                lazy.Release();
                var seen = new IDictionary<string, object?>[4];
                System.Threading.Tasks.Parallel.For(0, 4, t => seen[t] = c.Properties);
                foreach (var d in seen) { Assert.Same(seen[0], d); Assert.Equal(2, d.Count); }
            }
        }

        [Fact]
        public void A_released_page_refuses_reads_instead_of_reading_reused_bytes()
        {
            var lazy = Skim<CCForm>(Encoding.UTF8.GetBytes(TwoForms), FormParser.Read);
            lazy.Release();
            lazy.Release();   // twice is harmless (the enumerator and Dispose may both release)
            Assert.Throws<ObjectDisposedException>(() => lazy.Parse(0));
        }

        [Fact]
        public void A_record_the_reader_cannot_read_is_a_bad_response_naming_the_request()
        {
            ItemReader<CCCase> failing = (ref Utf8JsonReader r) => throw new JsonException("unexpected token");
            var lazy = Skim(Encoding.UTF8.GetBytes("{\"objects\":[{\"id\":\"c\"}]}"), failing);
            var ex = Assert.Throws<CCApiException>(() => lazy.Parse(0));
            Assert.Equal(CCErrorKind.BadResponse, ex.Kind);
            Assert.Contains("/test/", ex.Message);
            lazy.Release();
        }
    }
}
