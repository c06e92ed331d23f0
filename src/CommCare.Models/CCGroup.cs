using System;
using System.Collections.Generic;

namespace CommCare.Models
{
    /// <summary>A group of mobile workers.</summary>
    public sealed class CCGroup
    {
        public string Id { get; internal set; } = "";
        public string? Domain { get; internal set; }
        public string Name { get; internal set; } = "";
        /// <summary>The group can own cases.</summary>
        public bool CaseSharing { get; internal set; }
        /// <summary>The group can be used as a report filter.</summary>
        public bool Reporting { get; internal set; } = true;
        /// <summary>Ids of the group's active members.</summary>
        public IReadOnlyList<string> Users { get; internal set; } = Array.Empty<string>();
        public IDictionary<string, object?> Metadata { get; internal set; } = new Dictionary<string, object?>(StringComparer.Ordinal);
        public string? ResourceUri { get; internal set; }
        public IDictionary<string, object?>? AdditionalFields { get; internal set; }
        /// <summary>Keys of the open-ended field across this record's page (for tables); set by the client library.</summary>
        internal CCColumnKeys? ColumnKeys;
        public override string ToString() => Name;
    }

    /// <summary>What to write for a group: null fields are not sent.</summary>
    public sealed class CCGroupSpec
    {
        public string? Name { get; set; }
        public bool? CaseSharing { get; set; }
        public bool? Reporting { get; set; }
        public IList<string>? Users { get; set; }
        public IDictionary<string, object?>? Metadata { get; set; }
    }
}
