using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Xml;
using CommCare.Client.Api;
using CommCare.Client.Excel;
using CommCare.Client.Json;
using CommCare.Models;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using Xunit;

namespace CommCare.Client.Tests
{
    /// <summary>Case API v2 write bodies, row-error parsing, checks before sending, case forms and the workbook writer.</summary>
    public class CaseWriteTests
    {
        private static string ExamplePath(string name) => Path.Combine(AppContext.BaseDirectory, "examples", name);

        private static CCCaseChange Create(string name, string? ext = null, string? tmp = null)
            => new CCCaseChange { Mode = CCCaseWriteMode.Create, CaseType = "patient", CaseName = name, OwnerId = "owner-1", ExternalId = ext, TemporaryId = tmp };

        [Fact]
        public void Bulk_body_matches_the_documented_example()
        {
            var mother = new CCCaseChange { Mode = CCCaseWriteMode.Create, CaseType = "mother", CaseName = "Cersei Lannister", OwnerId = "20cc9dda-b90a-4af3-aa3d-fc67184e73ef", TemporaryId = "1" };
            mother.Properties["dob"] = "1988-11-02";
            var update = new CCCaseChange { Mode = CCCaseWriteMode.Update, CaseId = "eb1a8c23-6d6d-4b61-894c-ae1c437d8dac" };
            update.Properties["dob"] = "1988-11-02";
            var upsert = new CCCaseChange { Mode = CCCaseWriteMode.Upsert, ExternalId = "id1", CaseName = "Tommen Baratheon" };
            upsert.Properties["dob"] = "2008-03-01";
            var changes = new[] { mother, update, upsert };
            byte[] ours = CasesV2Api.SerializeForTest(changes);
            using var expected = JsonDocument.Parse(File.ReadAllText(ExamplePath("case-v2-bulk-post-request.json")));
            using var actual = JsonDocument.Parse(ours);
            Assert.Equal(Canonical(expected.RootElement), Canonical(actual.RootElement));
        }

        [Fact]
        public void Upsert_retry_turns_creates_with_external_ids_into_upserts_and_points_temporary_ids_at_external_ids()
        {
            var parent = Create("Household", ext: "HH-1", tmp: "hh");
            var child = Create("Child", ext: "C-1");
            child.Indices["parent"] = new CCCaseIndexRef { TemporaryId = "hh", CaseType = "household" };
            byte[] body = CasesV2Api.SerializeForTest(new[] { parent, child }, asUpsert: new HashSet<int> { 0, 1 });
            using var doc = JsonDocument.Parse(body);
            var items = doc.RootElement.EnumerateArray().ToList();
            Assert.Equal(JsonValueKind.Null, items[0].GetProperty("create").ValueKind);
            Assert.False(items[0].TryGetProperty("temporary_id", out _));
            Assert.Equal("HH-1", items[1].GetProperty("indices").GetProperty("parent").GetProperty("external_id").GetString());
        }

        [Fact]
        public void Temporary_ids_made_by_earlier_requests_become_case_ids()
        {
            var child = Create("Child");
            child.Indices["parent"] = new CCCaseIndexRef { TemporaryId = "hh", CaseType = "household" };
            var made = new Dictionary<string, string> { ["hh"] = "case-123" };
            using var doc = JsonDocument.Parse(CasesV2Api.SerializeForTest(new[] { child }, temporaryIds: made));
            var ix = doc.RootElement[0].GetProperty("indices").GetProperty("parent");
            Assert.Equal("case-123", ix.GetProperty("case_id").GetString());
            Assert.False(ix.TryGetProperty("temporary_id", out _));
            Assert.Equal("child", ix.GetProperty("relationship").GetString());
        }

        [Fact]
        public void Row_errors_are_split_per_row_even_when_a_message_contains_a_semicolon()
        {
            var rows = CasesV2Api.ParseRowErrors("Error in row 1: Property case_type is required; case_name too; Error in row 3: Could not find a case with external_id 'x'");
            Assert.Equal(2, rows.Count);
            Assert.Equal(1, rows[0].Row);
            Assert.Equal("Property case_type is required; case_name too", rows[0].Message);
            Assert.Equal(3, rows[1].Row);
            Assert.Equal("Could not find a case with external_id 'x'", rows[1].Message);
            Assert.Empty(CasesV2Api.ParseRowErrors("Payload must be valid JSON"));
            Assert.Empty(CasesV2Api.ParseRowErrors(null));
        }

        [Theory]
        [InlineData("CaseType", null, "n", "o", null)]
        [InlineData("Name", "t", "", "o", null)]
        [InlineData("OwnerId", "t", "n", null, null)]
        [InlineData("CaseId", "t", "n", "o", "given-id")]
        public void A_create_missing_a_required_field_names_the_parameter(string parameter, string? type, string? name, string? owner, string? caseId)
        {
            var c = new CCCaseChange { Mode = CCCaseWriteMode.Create, CaseType = type, CaseName = name, OwnerId = owner, CaseId = caseId };
            Assert.NotNull(CasesV2Api.Problem(c, out var p));
            Assert.Equal(parameter, p);
        }

        [Theory]
        [InlineData("bad name")]
        [InlineData("1starts_with_digit")]
        [InlineData("case_name")]
        [InlineData("xml_thing")]
        [InlineData("a:b")]
        public void Bad_property_names_are_refused_before_sending(string key)
        {
            var c = Create("x");
            c.Properties[key] = "v";
            Assert.NotNull(CasesV2Api.Problem(c, out var p));
            Assert.Equal("Property", p);
        }

        [Fact]
        public void Control_characters_over_long_values_and_index_mistakes_are_refused()
        {
            var c = Create("x");
            c.Properties["note"] = "a\u0001b";
            Assert.NotNull(CasesV2Api.Problem(c, out _));
            Assert.NotNull(CasesV2Api.Problem(Create(new string('n', 256)), out var p));
            Assert.Equal("Name", p);
            var i = Create("x");
            i.Indices["parent"] = new CCCaseIndexRef { CaseId = "a" };   // no case type
            Assert.NotNull(CasesV2Api.Problem(i, out p));
            Assert.Equal("Index", p);
            var j = Create("x");
            j.Indices["parent"] = new CCCaseIndexRef { CaseId = "a", ExternalId = "b", CaseType = "t" };
            Assert.NotNull(CasesV2Api.Problem(j, out _));
            var k = Create("x");
            k.Indices["parent"] = new CCCaseIndexRef { CaseId = "a", CaseType = "t", Relationship = "sibling" };
            Assert.NotNull(CasesV2Api.Problem(k, out _));
            var ok = Create("Zoë \"Q\" <Ross>, Jr.");
            ok.Properties["note"] = "line 1\nline 2\ttab";
            Assert.Null(CasesV2Api.Problem(ok, out _));
        }

        [Fact]
        public void Upserts_need_an_external_id_and_updates_need_an_id()
        {
            Assert.NotNull(CasesV2Api.Problem(new CCCaseChange { Mode = CCCaseWriteMode.Upsert }, out var p));
            Assert.Equal("ExternalId", p);
            Assert.NotNull(CasesV2Api.Problem(new CCCaseChange { Mode = CCCaseWriteMode.Update }, out p));
            Assert.Equal("CaseId", p);
            Assert.Null(CasesV2Api.Problem(new CCCaseChange { Mode = CCCaseWriteMode.Update, ExternalId = "E" }, out _));
        }

        [Fact]
        public void The_documented_v2_case_parses_completely()
        {
            const string json = @"{""domain"": ""queens-gambit"", ""case_id"": ""79e25a30-8db5-4a5a-827b-0297b254e87f"", ""case_type"": ""patient"",
              ""case_name"": ""Elizabeth Harmon"", ""external_id"": ""1"", ""owner_id"": ""20cc9dda-b90a-4af3-aa3d-fc67184e73ef"",
              ""date_opened"": ""2020-03-19T14:31:34.133000Z"", ""last_modified"": ""2020-03-19T14:31:34.133000Z"",
              ""server_last_modified"": ""2020-03-19T14:31:34.133000Z"", ""indexed_on"": ""2020-03-19T14:31:34.133000Z"",
              ""closed"": false, ""date_closed"": null, ""is_deprecated"": false, ""properties"": {""dob"": ""1948-11-02""},
              ""indices"": {""parent"": {""case_id"": ""eb1a8c23"", ""case_type"": ""household"", ""relationship"": ""child""}}}";
            var r = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
            r.Read();
            var c = CaseV2Parser.Read(ref r, out var error);
            Assert.Null(error);
            Assert.Equal("79e25a30-8db5-4a5a-827b-0297b254e87f", c.Id);
            Assert.Equal("Elizabeth Harmon", c.Name);
            Assert.Equal("1", c.ExternalId);
            Assert.Equal(new DateTime(2020, 3, 19, 14, 31, 34, 133, DateTimeKind.Utc), c.IndexedOn);
            Assert.Equal(c.IndexedOn, c.DateModified);
            Assert.False(c.IsDeprecated);
            Assert.Equal("1948-11-02", c.Properties["dob"]);
            Assert.Equal("household", c.Indices["parent"].CaseType);
            Assert.Null(c.AdditionalFields);
        }

        [Fact]
        public void A_case_form_is_valid_xform_with_case_blocks_and_its_own_instance_id()
        {
            var create = Create("Mattie & <Ross>", ext: "P-17", tmp: "m");
            create.Properties["age"] = "43";
            var child = Create("Kid");
            child.Indices["parent"] = new CCCaseIndexRef { TemporaryId = "m", CaseType = "patient" };
            var close = new CCCaseChange { Mode = CCCaseWriteMode.Update, CaseId = "old-case", Close = true };
            var form = SubmissionsApi.BuildCaseForm(new[] { create, child, close }, "http://example.org/f", "me@example.com", "user-1", "dev");
            byte[] bytes = Encoding.UTF8.GetBytes(form.Xml);
            Assert.Null(SubmissionsApi.Problem(bytes, out var instanceId, out var xmlns));
            Assert.Equal(form.InstanceId, instanceId);
            Assert.Equal("http://example.org/f", xmlns);
            var doc = new XmlDocument();
            doc.LoadXml(form.Xml);
            var ns = new XmlNamespaceManager(doc.NameTable);
            ns.AddNamespace("c", "http://commcarehq.org/case/transaction/v2");
            var cases = doc.SelectNodes("//c:case", ns)!;
            Assert.Equal(3, cases.Count);
            Assert.Equal(form.CaseIds[0], cases[0]!.Attributes!["case_id"]!.Value);
            Assert.Equal("Mattie & <Ross>", cases[0]!.SelectSingleNode("c:create/c:case_name", ns)!.InnerText);
            Assert.Equal("43", cases[0]!.SelectSingleNode("c:update/c:age", ns)!.InnerText);
            Assert.Equal(form.CaseIds[0], cases[1]!.SelectSingleNode("c:index/c:parent", ns)!.InnerText);
            Assert.NotNull(cases[2]!.SelectSingleNode("c:close", ns));
            Assert.Equal("old-case", form.CaseIds[2]);
            Assert.NotEqual(form.InstanceId, SubmissionsApi.BuildCaseForm(new[] { close }, "x:y", null, null, "d").InstanceId);
        }

        [Theory]
        [InlineData("", "empty")]
        [InlineData("<data><a>1</a></data>", "xmlns")]
        [InlineData("<data xmlns='x:y'><a>1</data>", "well-formed")]
        [InlineData("<!DOCTYPE d [<!ENTITY e 'x'>]><data xmlns='x:y'>&e;</data>", "well-formed")]
        public void Bad_form_xml_is_refused_before_sending(string xml, string expected)
        {
            var problem = SubmissionsApi.Problem(Encoding.UTF8.GetBytes(xml), out _, out _);
            Assert.NotNull(problem);
            Assert.Contains(expected, problem);
        }

        [Fact]
        public void OpenRosa_answers_are_read_by_nature()
        {
            var (nature, message) = SubmissionsApi.ParseOpenRosa("<OpenRosaResponse xmlns=\"http://openrosa.org/http/response\"><message nature=\"submit_error\">Form is a duplicate of another! (abc)</message></OpenRosaResponse>");
            Assert.Equal("submit_error", nature);
            Assert.StartsWith("Form is a duplicate", message);
            Assert.Equal((null, "Attachment exceeds 15MB size limit"), SubmissionsApi.ParseOpenRosa("Attachment exceeds 15MB size limit\n"));
        }

        [Fact]
        public void The_workbook_reads_back_cell_for_cell()
        {
            var rows = new List<object?[]>
            {
                new object?[] { "name", "external_id", "note", "age" },
                new object?[] { "Zoë, \"Q\"", "E-1", "line 1\nline 2", 43 },
                new object?[] { "Ross", null, "", 7.5 },
                new object?[] { "日本語", "E-3", "tab\there", null },
            };
            using var ms = new MemoryStream();
            using (var w = new XlsxWriter(ms, "Sheet1")) foreach (var r in rows) w.WriteRow(r);
            ms.Position = 0;
            using var doc = SpreadsheetDocument.Open(ms, false);
            var sheet = doc.WorkbookPart!.Workbook.Sheets!.Elements<Sheet>().Single();
            Assert.Equal("Sheet1", sheet.Name!.Value);
            var part = (WorksheetPart)doc.WorkbookPart.GetPartById(sheet.Id!);
            var read = part.Worksheet.Descendants<Row>().Select(r => r.Elements<Cell>().ToDictionary(c => c.CellReference!.Value!, CellText)).ToList();
            Assert.Equal(4, read.Count);
            Assert.Equal("Zoë, \"Q\"", read[1]["A2"]);
            Assert.Equal("line 1\nline 2", read[1]["C2"]);
            Assert.Equal("43", read[1]["D2"]);
            Assert.False(read[2].ContainsKey("B3"));
            Assert.False(read[2].ContainsKey("C3"));
            Assert.Equal("7.5", read[2]["D3"]);
            Assert.Equal("日本語", read[3]["A4"]);
            Assert.Equal("AA", XlsxWriter.Column(26));
            Assert.Equal("a_x000D_\nb_x0007_ _x005F_x0041_ _x1", XlsxWriter.Clean("a\r\nb\u0007 _x0041_ _x1"));
            Assert.Equal("AZ", XlsxWriter.Column(51));
        }

        private static string CellText(Cell c)
            => c.DataType?.Value == CellValues.InlineString ? c.InlineString!.InnerText : c.CellValue!.Text;

        private static string Canonical(JsonElement e)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    return "{" + string.Join(",", e.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => p.Name + ":" + Canonical(p.Value))) + "}";
                case JsonValueKind.Array:
                    return "[" + string.Join(",", e.EnumerateArray().Select(Canonical)) + "]";
                default:
                    return e.GetRawText();
            }
        }
    }
}
