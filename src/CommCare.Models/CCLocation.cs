using System;
using System.Collections.Generic;

namespace CommCare.Models
{
    /// <summary>An organisation-structure location (Location API v2).</summary>
    public sealed class CCLocation
    {
        /// <summary>The location id (location_id).</summary>
        public string Id { get; internal set; } = "";
        public string? Domain { get; internal set; }
        public string Name { get; internal set; } = "";
        /// <summary>Unique in the project; what imports and fixtures refer to.</summary>
        public string? SiteCode { get; internal set; }
        public string? LocationType { get; internal set; }
        public string? LocationTypeName { get; internal set; }
        /// <summary>Null for a root location.</summary>
        public string? ParentId { get; internal set; }
        public decimal? Latitude { get; internal set; }
        public decimal? Longitude { get; internal set; }
        /// <summary>Custom location fields.</summary>
        public IDictionary<string, object?> LocationData { get; internal set; } = new Dictionary<string, object?>(StringComparer.Ordinal);
        public DateTime? LastModified { get; internal set; }
        public IDictionary<string, object?>? AdditionalFields { get; internal set; }
        /// <summary>Keys of the open-ended field across this record's page (for tables); set by the client library.</summary>
        internal CCColumnKeys? ColumnKeys;
        public override string ToString() => Name;
    }

    /// <summary>A level of the organisation structure (country, district, clinic, …).</summary>
    public sealed class CCLocationType
    {
        public long Id { get; internal set; }
        public string? Domain { get; internal set; }
        public string Name { get; internal set; } = "";
        public string Code { get; internal set; } = "";
        /// <summary>The parent type's id, or null at the top.</summary>
        public long? ParentId { get; internal set; }
        public bool Administrative { get; internal set; }
        public bool SharesCases { get; internal set; }
        public bool ViewDescendants { get; internal set; }
        public override string ToString() => Code;
    }

    /// <summary>What to write for a location: null fields are not sent.</summary>
    public sealed class CCLocationSpec
    {
        /// <summary>Set for an update in a bulk request; null for a create.</summary>
        public string? Id { get; set; }
        public string? Name { get; set; }
        public string? LocationType { get; set; }
        public string? SiteCode { get; set; }
        public string? ParentId { get; set; }
        public decimal? Latitude { get; set; }
        public decimal? Longitude { get; set; }
        public IDictionary<string, object?>? LocationData { get; set; }
    }
}
