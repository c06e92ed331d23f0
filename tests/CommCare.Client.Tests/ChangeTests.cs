using System;
using System.Collections.Generic;
using CommCare.Client.Api;
using CommCare.Models;
using Xunit;

namespace CommCare.Client.Tests
{
    /// <summary>What a write would really change (a CSV round trip sends nothing), and the values a write refuses.</summary>
    public class ChangeTests
    {
        private static CCMobileWorker Worker() => new CCMobileWorker
        {
            Id = "w1", UserName = "amina@demo.commcarehq.org", FirstName = "Amina", Language = "en", Email = "amina@example.org",
            PhoneNumbers = new[] { "254710023757", "254720000001" }, Groups = new[] { "g1", "g2" }, Locations = new[] { "l1", "l2" },
            PrimaryLocation = "l1", Role = "Field Worker",
            UserData = new Dictionary<string, object?> { ["chw_id"] = "CHW-4", ["visits"] = 5L },
        };

        [Fact]
        public void A_worker_written_back_as_it_was_read_is_no_change()
        {
            var wanted = new CCMobileWorkerSpec
            {
                FirstName = "Amina", Language = "en", Email = "AMINA@example.org", PhoneNumbers = new[] { "+254 710 023757", "254-720-000001" },
                Groups = new[] { "g2", "g1" }, Locations = new[] { "l2", "l1" }, PrimaryLocation = "l1", Role = "Field Worker",
                UserData = new Dictionary<string, object?> { ["chw_id"] = "CHW-4", ["visits"] = "5", ["unset"] = "" },
            };
            var (changes, fields) = UserChanges.Diff(Worker(), wanted);
            Assert.Null(changes);
            Assert.Empty(fields);
        }

        [Fact]
        public void Only_the_edited_fields_of_a_worker_are_sent()
        {
            var wanted = new CCMobileWorkerSpec
            {
                FirstName = "Amina", Language = "sw", PhoneNumbers = new[] { "254720000001", "254710023757" },
                UserData = new Dictionary<string, object?> { ["chw_id"] = "CHW-4", ["visits"] = "6" },
            };
            var (changes, fields) = UserChanges.Diff(Worker(), wanted);
            Assert.NotNull(changes);
            Assert.Equal(new[] { "Language", "PhoneNumber", "user_data.visits" }, fields);
            Assert.Null(changes!.FirstName);
            Assert.Equal("sw", changes.Language);
            Assert.Equal(new[] { "254720000001", "254710023757" }, changes.PhoneNumbers);   // the default number changed
            Assert.Equal(new Dictionary<string, object?> { ["visits"] = "6" }, changes.UserData);
            Assert.Null(changes.Groups);
            Assert.Null(changes.Locations);
        }

        [Fact]
        public void A_new_primary_location_is_sent_with_the_list()
        {
            var (changes, fields) = UserChanges.Diff(Worker(), new CCMobileWorkerSpec { PrimaryLocation = "l2" });
            Assert.Equal(new[] { "PrimaryLocation" }, fields);
            Assert.Equal(new[] { "l1", "l2" }, changes!.Locations);
            Assert.Equal("l2", changes.PrimaryLocation);
        }

        [Theory]
        [InlineData("+255 712-345 678", "255712345678")]
        [InlineData("(0712) 345.678", "0712345678")]
        [InlineData("254710023757", "254710023757")]
        [InlineData("not-a-phone", null)]
        [InlineData("System.Collections.Generic.List`1[System.String]", null)]
        [InlineData("12", null)]
        [InlineData("+", null)]
        public void Phone_numbers_are_digits_as_CommCare_stores_them(string text, string? stored)
            => Assert.Equal(stored, PhoneNumbers.Normalize(text));

        [Theory]
        [InlineData("System.Object[]", true)]
        [InlineData("System.Collections.Generic.List`1[System.String]", true)]
        [InlineData("System.Collections.Generic.Dictionary`2[System.String,System.Object]", true)]
        [InlineData("System.Collections.Hashtable", true)]
        [InlineData("CommCare.Models.CCCaseIndex", true)]
        [InlineData("System", false)]
        [InlineData("north", false)]
        [InlineData("Systems thinking", false)]
        [InlineData("254710023757", false)]
        public void Type_names_are_recognised(string text, bool isTypeName) => Assert.Equal(isTypeName, WriteValues.IsTypeName(text));

        private static CCCase Case()
        {
            var c = new CCCase { Id = "c1", CaseType = "patient", Name = "Mattie", OwnerId = "o1", ExternalId = "P-1", Closed = false };
            c.Properties = new Dictionary<string, object?> { ["age"] = "43", ["district"] = "north" };
            c.Indices = new Dictionary<string, CCCaseIndex> { ["parent"] = new CCCaseIndex { Identifier = "parent", CaseId = "h1", CaseType = "household", Relationship = "child" } };
            return c;
        }

        [Fact]
        public void A_case_row_that_repeats_the_case_is_not_sent()
        {
            var change = new CCCaseChange { Mode = CCCaseWriteMode.Update, CaseId = "c1", CaseType = "patient", CaseName = "Mattie", OwnerId = "o1", ExternalId = "P-1" };
            change.Properties["age"] = "43";
            change.Properties["district"] = "north";
            change.Properties["never_set"] = "";
            change.Indices["parent"] = new CCCaseIndexRef { CaseId = "h1", CaseType = "household" };
            Assert.False(CaseChanges.Trim(change, Case()));
        }

        [Fact]
        public void Only_the_edited_case_property_is_left()
        {
            var change = new CCCaseChange { Mode = CCCaseWriteMode.Update, CaseId = "c1", CaseName = "Mattie", OwnerId = "o2" };
            change.Properties["age"] = "44";
            change.Properties["district"] = "north";
            Assert.True(CaseChanges.Trim(change, Case()));
            Assert.Null(change.CaseName);
            Assert.Equal("o2", change.OwnerId);
            Assert.Equal(new[] { "age" }, change.Properties.Keys);
        }

        [Fact]
        public void Group_and_location_data_are_merged_and_compared_as_text()
        {
            var g = new CCGroup { Id = "g1", Name = "North", CaseSharing = true, Users = new[] { "u1", "u2" }, Metadata = new Dictionary<string, object?> { ["code"] = 7L, ["region"] = "n" } };
            var same = RecordChanges.Diff(g, new CCGroupSpec { Name = "North", CaseSharing = true, Users = new[] { "u2", "u1" }, Metadata = new Dictionary<string, object?> { ["code"] = "7" } });
            Assert.Null(same.Changes);
            var edited = RecordChanges.Diff(g, new CCGroupSpec { Name = "North", Metadata = new Dictionary<string, object?> { ["region"] = "ne" } });
            Assert.Equal(new[] { "metadata.region" }, edited.Fields);
            Assert.Equal("ne", edited.Changes!.Metadata!["region"]);
            Assert.Equal(7L, edited.Changes.Metadata["code"]);   // the whole merged metadata is sent: the server replaces it

            var l = new CCLocation { Id = "l1", Name = "Kenya", SiteCode = "kenya", Latitude = -0.0236m, LocationData = new Dictionary<string, object?>() };
            Assert.Null(RecordChanges.Diff(l, new CCLocationSpec { Name = "Kenya", SiteCode = "kenya", Latitude = -0.0236m }).Changes);
            Assert.Equal(new[] { "Latitude" }, RecordChanges.Diff(l, new CCLocationSpec { Latitude = -0.03m }).Fields);
        }

        [Fact]
        public void Locations_resolve_by_id_site_code_or_name_and_refuse_ambiguous_names()
        {
            var names = new LocationNames(new[]
            {
                new CCLocation { Id = "aaa", Name = "Twin", SiteCode = "twin_a" },
                new CCLocation { Id = "bbb", Name = "Twin", SiteCode = "twin_b" },
                new CCLocation { Id = "ccc", Name = "Kisumu Clinic", SiteCode = "kisumu_clinic" },
            });
            Assert.Equal("ccc", names.Resolve("ccc", out _));
            Assert.Equal("ccc", names.Resolve("KISUMU_CLINIC", out _));
            Assert.Equal("ccc", names.Resolve("kisumu clinic", out _));
            Assert.Null(names.Resolve("Twin", out var ambiguous));
            Assert.Contains("twin_a, twin_b", ambiguous);
            Assert.Null(names.Resolve("Atlantis", out var unknown));
            Assert.Contains("no location 'Atlantis'", unknown);
        }
    }
}
