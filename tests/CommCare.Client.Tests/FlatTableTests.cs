using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using CommCare.Client.Tables;
using CommCare.Models;
using Xunit;

namespace CommCare.Client.Tests
{
    /// <summary>Forms and cases flattened into HQ-named tables, and the CSV rules every export follows.</summary>
    public class FlatTableTests
    {
        private const string Xmlns = "http://example.org/visit";

        private static CCApplication App(params (string Value, string Type, string? Repeat)[] questions) => new CCApplication
        {
            Id = "app",
            Modules = new[]
            {
                new CCAppModule
                {
                    CaseType = "patient", CaseProperties = new[] { "district", "case_name", "age" },
                    Forms = new[] { new CCAppForm { Xmlns = Xmlns, DisplayName = "Visit", Questions = questions.Select(q => new CCAppQuestion { Value = q.Value, Type = q.Type, Repeat = q.Repeat }).ToList() } },
                },
            },
        };

        private static CCForm Form(string id, Dictionary<string, object?> body) => new CCForm { Id = id, Xmlns = Xmlns, Name = "Visit", Form = body };

        private static Dictionary<string, object?> D(params (string, object?)[] kv) => kv.ToDictionary(p => p.Item1, p => p.Item2);

        [Fact]
        public void Questions_of_every_build_are_columns_before_the_system_ones_and_unlisted_answers_after()
        {
            var t = FormTables.FromApplications(new[]
            {
                App(("/data/name", "Text", null), ("/data/grp", "Group", null), ("/data/grp/age", "Int", null), ("/data/note", "Trigger", null)),
                App(("/data/name", "Text", null), ("/data/old_q", "Text", null)),
            });
            t.Seal();
            var rec = t.Flatten(Form("f1", D(("@xmlns", Xmlns), ("name", "Ada"), ("grp", D(("age", "41"))), ("surprise", "x"), ("meta", D(("username", "w"))))));
            var cols = t.Tables.Single().Columns.Select(c => c.Name).ToList();
            Assert.Equal(new[] { "number", "formid", "form.name", "form.grp.age", "form.old_q", "completed_time" }, cols.Take(6));
            Assert.DoesNotContain("form.note", cols);       // a label has no answer
            Assert.DoesNotContain("form.meta.username", cols);
            Assert.True(cols.IndexOf("form.surprise") > cols.IndexOf("archived"));
            Assert.Equal("41", rec.Main.Get(cols.IndexOf("form.grp.age")));
            Assert.Equal(0L, rec.Main.Get(0));
        }

        [Fact]
        public void A_repeat_with_one_entry_as_an_object_and_several_as_an_array_gives_the_same_rows()
        {
            var t = FormTables.FromApplications(new[] { App(("/data/kids", "Repeat", null), ("/data/kids/kname", "Text", "/data/kids"), ("/data/kids/shots", "Repeat", "/data/kids"), ("/data/kids/shots/when", "Date", "/data/kids/shots")) });
            t.Seal();
            var one = t.Flatten(Form("f1", D(("kids", D(("kname", "Bo"), ("shots", D(("when", "2024-01-01"))))))));
            var many = t.Flatten(Form("f2", D(("kids", new List<object?> { D(("kname", "Cy")), D(("kname", "Di"), ("shots", new List<object?> { D(("when", "a")), D(("when", "b")) })) }))));
            Assert.Equal(new[] { "0.0", "0.0.0" }, one.Children.Select(r => r.Number));
            Assert.Equal(new[] { "1.0", "1.1", "1.1.0", "1.1.1" }, many.Children.Select(r => r.Number));
            var kids = t.Tables.Single().Children.Single();
            Assert.Equal("Visit.kids", kids.Name);
            Assert.Equal("form.kids", kids.Path);
            Assert.Equal("Visit.kids.shots", kids.Children.Single().Name);
            Assert.Equal(new[] { "number", "formid", "form.kids.kname" }, kids.Columns.Select(c => c.Name));
            Assert.All(many.Children, r => Assert.Equal("f2", r.Get(1)));
        }

        [Fact]
        public void An_element_with_attributes_gives_its_text_and_a_case_block_its_paths()
        {
            var t = FormTables.FromApplications(new[] { App(("/data/q", "Text", null)) });
            t.Seal();
            var rec = t.Flatten(Form("f1", D(("q", D(("#text", "answer"), ("@lang", "en"))), ("case", D(("@case_id", "c1"), ("update", D(("status", "open"))))))));
            var table = t.Tables.Single();
            Assert.Equal("answer", rec.Main.Get(table.IndexOf("form.q")));
            Assert.Equal("en", rec.Main.Get(table.IndexOf("form.q.@lang")));
            Assert.Equal("c1", rec.Main.Get(table.IndexOf("form.case.@case_id")));
            Assert.Equal("open", rec.Main.Get(table.IndexOf("form.case.update.status")));
        }

        [Fact]
        public void Case_tables_use_HQ_names_and_the_structure_s_properties()
        {
            var t = CaseTables.FromApplications(new[] { App() });
            var c = new CCCase { Id = "c1", CaseType = "patient", Name = "Ada", Closed = true, OwnerId = "o1", Properties = new Dictionary<string, object?> { ["age"] = "41", ["case_name"] = "Ada", ["extra"] = 5L } };
            c.Indices = new Dictionary<string, CCCaseIndex> { ["parent"] = new CCCaseIndex { Identifier = "parent", CaseId = "h1" } };
            var rec = t.Flatten(c);
            var table = t.Tables.Single();
            var cols = table.Columns.Select(x => x.Name).ToList();
            Assert.Equal(new[] { "number", "caseid", "name", "district", "age", "case_type", "closed" }, cols.Take(7));
            Assert.DoesNotContain("case_name", cols);
            Assert.Equal(true, rec.Main.Get(cols.IndexOf("closed")));
            Assert.Equal("h1", rec.Main.Get(cols.IndexOf("indices.parent")));
            Assert.Equal("5", rec.Main.Get(cols.IndexOf("extra")));
        }

        [Theory]
        [InlineData("=HYPERLINK(\"x\")", true)]
        [InlineData("+cmd", true)]
        [InlineData("-2+3", true)]
        [InlineData("@SUM(A1)", true)]
        [InlineData("\tx", true)]
        [InlineData("\rx", true)]
        [InlineData("-0.07 34.2", true)]
        [InlineData("-5", false)]
        [InlineData("+254700000000", false)]
        [InlineData("a=b", false)]
        [InlineData("", false)]
        public void Formula_cells_are_recognised(string cell, bool formula) => Assert.Equal(formula, CsvText.IsFormula(cell));

        [Fact]
        public void A_guarded_cell_reads_back_as_its_value()
        {
            foreach (var v in new[] { "=1+1", "@x", "-x", "'plain", "-5", "" })
                Assert.Equal(v, CsvText.Unescape(CsvText.IsFormula(v) ? "'" + v : v));
        }

        [Fact]
        public void Csv_records_stream_with_quotes_line_breaks_and_a_bom()
        {
            var rows = CsvRecords.Read(new StringReader("\uFEFFa,b\r\n\"x,1\",\"he said \"\"hi\"\"\nthere\"\n3,")).ToList();
            Assert.Equal(3, rows.Count);
            Assert.Equal(new[] { "a", "b" }, rows[0]);
            Assert.Equal(new[] { "x,1", "he said \"hi\"\nthere" }, rows[1]);
            Assert.Equal(new[] { "3", "" }, rows[2]);
        }

        [Fact]
        public void An_incremental_csv_export_keeps_the_old_rows_and_adds_columns_found_later()
        {
            string dir = Path.Combine(Path.GetTempPath(), "cc-flat-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            try
            {
                string path = Path.Combine(dir, "v.csv");
                var first = FormTables.FromApplications(new[] { App(("/data/q", "Text", null)) });
                first.Seal();
                using (var e = new TableExport(path, null, overwrite: false, append: false, escapeFormulas: true))
                {
                    e.Add(first.Flatten(Form("f1", D(("q", "=2+2")))));
                    e.Complete(first.Tables);
                }
                Assert.Contains("'=2+2", File.ReadAllText(path));
                var second = FormTables.FromApplications(new[] { App(("/data/q", "Text", null)) });
                second.Seal();
                using (var e = new TableExport(path, null, overwrite: false, append: true, escapeFormulas: true))
                {
                    e.Check(second.Tables, "-Xmlns");
                    e.LoadExisting(second.Tables);
                    e.Add(second.Flatten(Form("f2", D(("q", "b"), ("late", "x")))));
                    e.Complete(second.Tables);
                }
                var rows = CsvRecords.Read(new StringReader(File.ReadAllText(path))).ToList();
                Assert.Equal(3, rows.Count);
                Assert.Equal("form.late", rows[0].Last());
                Assert.Equal(new[] { "0", "f1", "'=2+2" }, rows[1].Take(3));
                Assert.Equal(new[] { "1", "f2", "b" }, rows[2].Take(3));
                Assert.Equal("x", rows[2].Last());
                Assert.Empty(Directory.GetFiles(dir, "*.spool").Concat(Directory.GetFiles(dir, "*.partial")));
            }
            finally { Directory.Delete(dir, true); }
        }
    }
}
