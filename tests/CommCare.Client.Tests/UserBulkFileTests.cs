using System.Linq;
using CommCare.Client.Api;
using CommCare.Models;
using Xunit;

namespace CommCare.Client.Tests
{
    /// <summary>The CSV side of HQ's bulk file, and HQ's natural column order.</summary>
    public class UserBulkFileTests
    {
        [Fact]
        public void Csv_keeps_quoted_commas_quotes_and_line_breaks()
        {
            var records = Csv.Parse("\uFEFFusername,data: note\r\njdoe,\"a, \"\"b\"\"\r\nline 2\"\nx,\r\n");
            Assert.Equal(3, records.Count);
            Assert.Equal(new[] { "username", "data: note" }, records[0].Cells);
            Assert.Equal(new[] { "jdoe", "a, \"b\"\r\nline 2" }, records[1].Cells);
            Assert.Equal(new[] { "x", "" }, records[2].Cells);
            Assert.Equal(new[] { 1, 2, 3 }, records.Select(r => r.Number));
        }

        [Fact]
        public void Csv_without_final_line_break_keeps_its_last_record()
        {
            var records = Csv.Parse("a,b\n1,2");
            Assert.Equal(new[] { "1", "2" }, records[1].Cells);
        }

        [Fact]
        public void Csv_unclosed_quote_is_an_error_naming_the_record()
        {
            var ex = Assert.Throws<CCApiException>(() => Csv.Parse("a,b\n1,\"open\n2,3\n"));
            Assert.Contains("record 2", ex.Message);
        }

        [Fact]
        public void Natural_order_compares_numbers_as_numbers()
        {
            var sorted = new[] { "group 10", "group 2", "group 1", "Zed", "alpha" }.OrderBy(s => s, NaturalOrder.Instance).ToArray();
            Assert.Equal(new[] { "Zed", "alpha", "group 1", "group 2", "group 10" }, sorted);
        }

        [Fact]
        public void Headers_outside_hqs_upload_are_named()
        {
            Assert.Null(UserBulkImport.CheckHeaders(new[] { "username", "phone-number 1", "data: chw_id", "uncategorized_data: x", "group 3", "location_code", "last_sync (read only)" }));
            string? problem = UserBulkImport.CheckHeaders(new[] { "username", "phone_numbers", "group 1", "GROUP  1" });
            Assert.Contains("'phone_numbers'", problem);
            Assert.Contains("more than once", problem);
            Assert.Contains("'username' column", UserBulkImport.CheckHeaders(new[] { "name" }));
        }
    }
}
