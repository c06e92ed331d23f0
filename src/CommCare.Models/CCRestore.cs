using System;

namespace CommCare.Models
{
    /// <summary>An OTA restore (what a phone downloads on sync), parsed (docs/commcare-api.md#ota-restore).</summary>
    public sealed class CCRestore
    {
        /// <summary>The new sync token: give it as -Since next time for an incremental sync.</summary>
        public string? SyncToken { get; internal set; }
        public string? Message { get; internal set; }
        public string? UserName { get; internal set; }
        public string? UserId { get; internal set; }
        public System.Collections.Generic.IDictionary<string, string?> UserData { get; internal set; } = new System.Collections.Generic.Dictionary<string, string?>(StringComparer.Ordinal);
        public System.Collections.Generic.IReadOnlyList<CCCase> Cases { get; internal set; } = Array.Empty<CCCase>();
        public System.Collections.Generic.IReadOnlyList<CCRestoreFixture> Fixtures { get; internal set; } = Array.Empty<CCRestoreFixture>();
        public override string ToString() => $"{UserName}: {Cases.Count} cases, {Fixtures.Count} fixtures";
    }

    /// <summary>A fixture of a restore (lookup table item-list:tag, locations, user-groups, …) with its XML.</summary>
    public sealed class CCRestoreFixture
    {
        public string Id { get; internal set; } = "";
        public string? UserId { get; internal set; }
        public string Xml { get; internal set; } = "";
        public override string ToString() => Id;
    }
}
