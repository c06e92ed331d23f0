using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using CommCare.Client.Json;
using CommCare.Client.Paging;
using CommCare.Models;
using Xunit;

namespace CommCare.Client.Tests
{
    /// <summary>
    /// The case and form parsers over CommCare's own documented example payloads
    /// (tests/examples, CommCare's documented example payloads, copied next to the test assembly) and over crafted JSON.
    /// </summary>
    public class ParserTests
    {
        private static string ExamplePath(string name) => Path.Combine(AppContext.BaseDirectory, "examples", name);

        /// <summary>Reads the "objects" array of a tastypie page the way PageFetcher does: Utf8JsonReader,
        /// one ItemReader call per element, reader left on the element's EndObject.</summary>
        private static List<T> ReadObjects<T>(byte[] json, ItemReader<T> itemReader)
        {
            var items = new List<T>();
            var r = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
            Assert.True(r.Read());
            Assert.Equal(JsonTokenType.StartObject, r.TokenType);
            bool sawObjects = false;
            while (r.Read() && r.TokenType != JsonTokenType.EndObject)
            {
                string name = r.GetString()!;
                Assert.True(r.Read());
                if (name == "objects")
                {
                    sawObjects = true;
                    Assert.Equal(JsonTokenType.StartArray, r.TokenType);
                    while (r.Read() && r.TokenType != JsonTokenType.EndArray)
                    {
                        items.Add(itemReader(ref r));
                        Assert.Equal(JsonTokenType.EndObject, r.TokenType); // the parser consumed exactly one object
                    }
                }
                else r.Skip();
            }
            Assert.True(sawObjects, "no objects array");
            return items;
        }

        private static List<T> ReadExample<T>(string file, ItemReader<T> reader) => ReadObjects(File.ReadAllBytes(ExamplePath(file)), reader);

        private static List<T> ReadJson<T>(string json, ItemReader<T> reader) => ReadObjects(Encoding.UTF8.GetBytes(json), reader);

        private static DateTime Utc(int y, int mo, int d, int h, int mi, int s, long extraTicks = 0)
            => new DateTime(y, mo, d, h, mi, s, DateTimeKind.Utc).AddTicks(extraTicks);

        private static void AssertUtc(DateTime expected, DateTime? actual)
        {
            Assert.True(actual.HasValue, "date missing");
            Assert.Equal(expected, actual!.Value);
            Assert.Equal(DateTimeKind.Utc, actual.Value.Kind);
        }

        private static Dictionary<string, object?> Dict(object? o) => Assert.IsType<Dictionary<string, object?>>(o);

        // ---------------------------------------------------------------- example files

        public static IEnumerable<object[]> CaseAndFormListExamples()
        {
            string dir = Path.Combine(AppContext.BaseDirectory, "examples");
            foreach (var f in Directory.GetFiles(dir, "*-list.json").Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal))
                if (f!.StartsWith("case-", StringComparison.Ordinal) || f.StartsWith("form-", StringComparison.Ordinal))
                    yield return new object[] { f };
        }

        [Fact]
        public void Examples_are_copied_into_the_output()
        {
            var names = CaseAndFormListExamples().Select(o => (string)o[0]).ToList();
            Assert.Contains("case-v1-list.json", names);
            Assert.Contains("form-v1-list.json", names);
        }

        [Theory]
        [MemberData(nameof(CaseAndFormListExamples))]
        public void Every_case_and_form_list_example_parses_without_losing_a_field(string file)
        {
            if (file.StartsWith("case-", StringComparison.Ordinal))
            {
                var cases = ReadExample<CCCase>(file, CaseParser.Read);
                Assert.NotEmpty(cases);
                foreach (var c in cases)
                {
                    Assert.False(string.IsNullOrEmpty(c.Id));
                    Assert.NotNull(c.IndexedOn);
                    Assert.Null(c.AdditionalFields);   // every documented field has a home in the model
                }
            }
            else
            {
                var forms = ReadExample<CCForm>(file, FormParser.Read);
                Assert.NotEmpty(forms);
                foreach (var f in forms)
                {
                    Assert.False(string.IsNullOrEmpty(f.Id));
                    Assert.NotNull(f.IndexedOn);
                    Assert.NotNull(f.ReceivedOn);
                    Assert.NotEmpty(f.Form);
                    Assert.Null(f.AdditionalFields);
                    Assert.Null(f.Metadata.AdditionalFields);
                }
            }
        }

        [Fact]
        public void CaseV1Example_TopLevelFields()
        {
            var c = Assert.Single(ReadExample<CCCase>("case-v1-list.json", CaseParser.Read));
            Assert.Equal("45WKYXQRFFU3AT4Y022EX7HF2", c.Id);
            Assert.Equal("45WKYXQRFFU3AT4Y022EX7HF2", c.ToString());
            Assert.Equal("demo", c.Domain);
            Assert.False(c.Closed);
            Assert.Null(c.ClosedBy);
            Assert.Null(c.DateClosed);
            Assert.Equal("06414101dc45bcfdc963b8cb1a1ebdfd", c.OpenedBy);
            Assert.Equal("06414101dc45bcfdc963b8cb1a1ebdfd", c.UserId);
            Assert.Equal("/a/demo/api/case/v1/45WKYXQRFFU3AT4Y022EX7HF2/", c.ResourceUri);
            Assert.Equal(new[] { "3HQEXR2S0GIRFY2GF40HAR7ZE" }, c.XFormIds);
            Assert.Empty(c.Indices);
            Assert.Null(c.ChildCases);
            Assert.Null(c.ParentCases);
            Assert.Null(c.AdditionalFields);
        }

        [Fact]
        public void CaseV1Example_DatesAreUtc()
        {
            var c = Assert.Single(ReadExample<CCCase>("case-v1-list.json", CaseParser.Read));
            AssertUtc(Utc(2012, 3, 13, 18, 21, 52), c.DateModified);
            AssertUtc(Utc(2012, 4, 5, 23, 56, 41), c.IndexedOn);
            AssertUtc(Utc(2012, 4, 5, 23, 56, 41), c.ServerDateModified);
            AssertUtc(Utc(2012, 4, 5, 23, 56, 41), c.ServerDateOpened);
            AssertUtc(Utc(2012, 3, 13, 18, 21, 52), c.DateOpened);
        }

        [Fact]
        public void CaseV1Example_PropertiesAreLiftedAndTheRestKept()
        {
            var c = Assert.Single(ReadExample<CCCase>("case-v1-list.json", CaseParser.Read));
            Assert.Equal("ryan", c.Name);
            Assert.Equal("programmer", c.CaseType);
            Assert.Null(c.OwnerId);
            Assert.Equal("45WKYXQRFFU3AT4Y022EX7HF2", c.ExternalId);

            // Lifted properties are not repeated; the others keep their values.
            Assert.Equal(new[] { "gender", "languages", "role" }, c.Properties.Keys.OrderBy(k => k, StringComparer.Ordinal));
            Assert.Equal("m", c.Properties["gender"]);
            Assert.Equal("python java javascript c php erlang love", c.Properties["languages"]);
            Assert.Equal("artisan", c.Properties["role"]);
        }

        [Fact]
        public void FormV1Example_TopLevelFields()
        {
            var f = Assert.Single(ReadExample<CCForm>("form-v1-list.json", FormParser.Read));
            Assert.Equal("f959449c-8776-42ac-b776-3f564fafc331", f.Id);
            Assert.Equal("corpora", f.Domain);
            Assert.Equal("effb341b", f.AppId);
            Assert.Equal("e0a6125", f.BuildId);
            Assert.False(f.Archived);
            Assert.Null(f.EditedByUserId);
            Assert.Null(f.EditedOn);
            Assert.True(f.InitialProcessingComplete);
            Assert.False(f.IsPhoneSubmission);
            Assert.Null(f.Problem);
            Assert.Equal("10.0.0.1", f.SubmitIp);
            Assert.Equal("data", f.Type);
            Assert.Equal("1", f.UiVersion);
            Assert.Equal("18", f.Version);
            Assert.Equal("/a/corpora/api/form/v1/f959449c-8776-42ac-b776-3f564fafc331/", f.ResourceUri);
            Assert.Null(f.Cases);
            Assert.Null(f.AdditionalFields);
        }

        [Fact]
        public void FormV1Example_DatesAreUtcWithFraction()
        {
            var f = Assert.Single(ReadExample<CCForm>("form-v1-list.json", FormParser.Read));
            AssertUtc(Utc(2016, 11, 29, 14, 50, 43, 1_000_000), f.IndexedOn);          // .100000Z
            AssertUtc(Utc(2016, 11, 29, 14, 50, 42, 5_306_160), f.ReceivedOn);         // .530616Z
            AssertUtc(Utc(2016, 11, 29, 14, 50, 42, 5_306_160), f.ServerModifiedOn);
            // metadata.timeStart / timeEnd come without Z: still UTC, not local time.
            AssertUtc(Utc(2016, 11, 29, 14, 50, 36, 1_550_000), f.Metadata.TimeStart);
            AssertUtc(Utc(2016, 11, 29, 14, 50, 41, 1_560_000), f.Metadata.TimeEnd);
        }

        [Fact]
        public void FormV1Example_BodyIsNestedDictionariesAndXmlnsNameAreLifted()
        {
            var f = Assert.Single(ReadExample<CCForm>("form-v1-list.json", FormParser.Read));
            Assert.Equal("http://openrosa.org/formdesigner/4281EB62-46E6-49AD-A08C", f.Xmlns);
            Assert.Equal("Case Update", f.Name);

            Assert.Equal("data", f.Form["#type"]);
            Assert.Equal("18", f.Form["@version"]);
            Assert.Equal("", f.Form["old_data_node"]);
            Assert.Equal("OK", f.Form["question1"]);
            Assert.Equal("TEST", f.Form["text"]);

            var meta = Dict(f.Form["meta"]);
            Assert.Equal("f959449c-8776-42ac-b776-3f564fafc331", meta["instanceID"]);
            Assert.Equal(18L, Assert.IsType<long>(meta["app_build_version"]));
            Assert.True(meta.ContainsKey("geo_point"));
            Assert.Null(meta["geo_point"]);
            Assert.Equal("testuser", meta["username"]);
            Assert.Equal("2016-11-29T14:50:36.155000Z", meta["timeStart"]);   // the body keeps the text as sent

            var caseBlock = Dict(f.Form["case"]);
            Assert.Equal("b6996b7b-6b3f-476a-9006", caseBlock["@case_id"]);
            var update = Dict(caseBlock["update"]);
            Assert.Equal("TEST", update["text"]);
            Assert.Equal("2012-09-26", update["dateval"]);
            Assert.Equal(7, update.Count);
        }

        [Fact]
        public void FormV1Example_Attachments()
        {
            var f = Assert.Single(ReadExample<CCForm>("form-v1-list.json", FormParser.Read));
            var a = Assert.Single(f.Attachments).Value;
            Assert.Equal("form.xml", a.Name);
            Assert.Equal("text/xml", a.ContentType);
            Assert.Equal(1103L, a.Length);
            Assert.Equal("/a/corpora/api/form/attachment/f959449c-8776-42ac-b776-3f564fafc331/form.xml", a.Url);
        }

        [Fact]
        public void FormV1Example_Metadata()
        {
            var m = Assert.Single(ReadExample<CCForm>("form-v1-list.json", FormParser.Read)).Metadata;
            Assert.Equal("CommCare Android, version \"2.31.0\"(423345). App v18. CommCare Version 2.31. Build 423345, built on: 2016-11-02", m.AppVersion);
            Assert.Equal(18L, m.AppBuildVersion);
            Assert.Equal("2.31.0", m.CommCareVersion);
            Assert.Null(m.DeprecatedId);
            Assert.Equal("358001070684648", m.DeviceId);
            Assert.Equal("Metadata", m.DocType);
            Assert.Null(m.GeoPoint);
            Assert.Equal("f959449c-8776-42ac-b776-3f564fafc331", m.InstanceId);
            Assert.Null(m.Location);
            Assert.Equal("e7ad965c70802884a7a67add763939e8", m.UserId);
            Assert.Equal("simon", m.UserName);
            Assert.Null(m.AdditionalFields);
        }

        // ---------------------------------------------------------------- crafted JSON

        private const string CraftedCases = @"{
  ""meta"": {""limit"": 2, ""next"": ""?limit=2&offset=2"", ""offset"": 0, ""previous"": null, ""total_count"": 3},
  ""objects"": [
    {
      ""case_id"": ""only-case-id"",
      ""closed"": true,
      ""date_closed"": ""2020-01-02T03:04:05.000001"",
      ""indexed_on"": ""2020-01-02T03:04:05.123456Z"",
      ""properties"": {""case_name"": ""n"", ""owner_id"": ""owner-1"", ""date_opened"": ""not recorded"", ""age"": ""42""},
      ""indices"": {""parent"": {""case_id"": ""p1"", ""case_type"": ""household"", ""relationship"": ""child"", ""extra"": 1}},
      ""opened_on"": ""2020-01-01"",
      ""new_field"": {""a"": [1, 2.5, ""x"", null, true]},
      ""flags"": [],
      ""score"": 7
    },
    {
      ""id"": ""escaped"",
      ""case_id"": ""ignored-when-id-present"",
      ""date_modified"": ""2012-03-13T18:21:52\u005A"",
      ""properties"": {""date_opened"": ""2012-03-13""},
      ""xform_ids"": [""a"", ""b""]
    },
    {
      ""id"": ""nested"",
      ""child_cases"": {""c1"": {""id"": ""child-1"", ""properties"": {""case_type"": ""kid""}}}
    }
  ]
}";

        [Fact]
        public void Unknown_top_level_fields_land_in_additional_fields()
        {
            var c = ReadJson<CCCase>(CraftedCases, CaseParser.Read)[0];
            var extra = c.AdditionalFields;
            Assert.NotNull(extra);
            Assert.Equal(new[] { "flags", "new_field", "opened_on", "score" }, extra!.Keys.OrderBy(k => k, StringComparer.Ordinal));
            Assert.Equal("2020-01-01", extra["opened_on"]);
            Assert.Equal(7L, Assert.IsType<long>(extra["score"]));
            Assert.Empty(Assert.IsType<List<object?>>(extra["flags"]));
            var list = Assert.IsType<List<object?>>(Dict(extra["new_field"])["a"]);
            Assert.Equal(5, list.Count);
            Assert.Equal(1L, Assert.IsType<long>(list[0]));
            Assert.Equal(2.5, Assert.IsType<double>(list[1]));
            Assert.Equal("x", list[2]);
            Assert.Null(list[3]);
            Assert.Equal(true, list[4]);
        }

        [Fact]
        public void CraftedCase_IdFallsBackToCaseIdAndIndicesAreRead()
        {
            var cases = ReadJson<CCCase>(CraftedCases, CaseParser.Read);
            Assert.Equal(new[] { "only-case-id", "escaped", "nested" }, cases.Select(x => x.Id));
            var c = cases[0];
            Assert.True(c.Closed);
            AssertUtc(Utc(2020, 1, 2, 3, 4, 5, 10), c.DateClosed);
            AssertUtc(Utc(2020, 1, 2, 3, 4, 5, 1_234_560), c.IndexedOn);
            Assert.Equal("owner-1", c.OwnerId);
            Assert.Equal("n", c.Name);
            var idx = Assert.Single(c.Indices).Value;
            Assert.Equal("parent", idx.Identifier);
            Assert.Equal("p1", idx.CaseId);
            Assert.Equal("household", idx.CaseType);
            Assert.Equal("child", idx.Relationship);
        }

        [Fact]
        public void CraftedCase_DateOpenedThatIsNotADateStaysInProperties()
        {
            var c = ReadJson<CCCase>(CraftedCases, CaseParser.Read)[0];
            Assert.Null(c.DateOpened);
            Assert.Equal("not recorded", c.Properties["date_opened"]);
            Assert.Equal("42", c.Properties["age"]);
            Assert.False(c.Properties.ContainsKey("case_name"));
            Assert.False(c.Properties.ContainsKey("owner_id"));
        }

        [Fact]
        public void CraftedCase_EscapedDateAndDateOnlyDateOpened()
        {
            var c = ReadJson<CCCase>(CraftedCases, CaseParser.Read)[1];
            Assert.Equal("escaped", c.Id);
            AssertUtc(Utc(2012, 3, 13, 18, 21, 52), c.DateModified);   // "\u005A" is an escaped Z
            AssertUtc(Utc(2012, 3, 13, 0, 0, 0), c.DateOpened);
            Assert.Empty(c.Properties);
            Assert.Equal(new[] { "a", "b" }, c.XFormIds);
            Assert.Null(c.AdditionalFields);
        }

        [Fact]
        public void CraftedCase_ChildCasesAreParsedRecursively()
        {
            var c = ReadJson<CCCase>(CraftedCases, CaseParser.Read)[2];
            Assert.NotNull(c.ChildCases);
            var child = c.ChildCases!["c1"];
            Assert.Equal("child-1", child.Id);
            Assert.Equal("kid", child.CaseType);
        }

        [Fact]
        public void CraftedForm_UnknownFieldsAndMetadataExtrasAreKept()
        {
            const string json = @"{""objects"": [{
                ""id"": ""f1"",
                ""received_on"": ""2021-06-01T10:00:00Z"",
                ""archived"": ""true"",
                ""is_phone_submission"": true,
                ""form"": {""@xmlns"": ""http://x/y"", ""@name"": ""Reg"", ""repeat"": [{""q"": ""1""}, {""q"": ""2""}]},
                ""metadata"": {""app_build_version"": ""42"", ""timeStart"": ""2021-06-01T09:59:00"", ""location_accuracy"": 4.5},
                ""attachments"": {""photo.jpg"": {""content_type"": ""image/jpeg"", ""length"": ""2048"", ""url"": ""https://h/a.jpg""}},
                ""cases"": [{""id"": ""c1""}, {""case_id"": ""c2""}],
                ""brand_new"": {""nested"": true}
            }]}";
            var f = Assert.Single(ReadJson<CCForm>(json, FormParser.Read));
            Assert.Equal("f1", f.Id);
            Assert.True(f.Archived);
            Assert.True(f.IsPhoneSubmission);
            Assert.Null(f.InitialProcessingComplete);
            Assert.Equal("http://x/y", f.Xmlns);
            Assert.Equal("Reg", f.Name);
            var repeat = Assert.IsType<List<object?>>(f.Form["repeat"]);
            Assert.Equal("2", Dict(repeat[1])["q"]);
            Assert.Equal(42L, f.Metadata.AppBuildVersion);
            AssertUtc(Utc(2021, 6, 1, 9, 59, 0), f.Metadata.TimeStart);
            Assert.Equal(4.5, Assert.IsType<double>(f.Metadata.AdditionalFields!["location_accuracy"]));
            Assert.Equal(2048L, f.Attachments["photo.jpg"].Length);
            Assert.Equal(new[] { "c1", "c2" }, f.Cases!.Select(c => c.Id));
            Assert.Equal(true, Dict(f.AdditionalFields!["brand_new"])["nested"]);
        }
    }
}
