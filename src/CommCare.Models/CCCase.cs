using System;
using System.Collections.Generic;

namespace CommCare.Models
{
    /// <summary>A case from the Case Data API (v0.5 / case v1).</summary>
    public sealed class CCCase
    {
        /// <summary>The case id (case_id).</summary>
        public string Id { get; internal set; } = "";
        public string? Domain { get; internal set; }
        /// <summary>properties.case_type.</summary>
        public string? CaseType { get; internal set; }
        /// <summary>properties.case_name.</summary>
        public string? Name { get; internal set; }
        /// <summary>properties.owner_id: the user, group or location that owns the case.</summary>
        public string? OwnerId { get; internal set; }
        /// <summary>properties.external_id.</summary>
        public string? ExternalId { get; internal set; }
        /// <summary>properties.date_opened (UTC).</summary>
        public DateTime? DateOpened { get; internal set; }
        public bool Closed { get; internal set; }
        public DateTime? DateClosed { get; internal set; }
        /// <summary>The last user to modify the case.</summary>
        public string? UserId { get; internal set; }
        public string? OpenedBy { get; internal set; }
        public string? ClosedBy { get; internal set; }
        /// <summary>Phone-reported modification time (UTC).</summary>
        public DateTime? DateModified { get; internal set; }
        public DateTime? ServerDateModified { get; internal set; }
        public DateTime? ServerDateOpened { get; internal set; }
        /// <summary>When the server last indexed the case; what incremental exports page on.</summary>
        public DateTime? IndexedOn { get; internal set; }
        /// <summary>Ids of the forms that touched the case.</summary>
        public IReadOnlyList<string> XFormIds { get; internal set; } = Array.Empty<string>();
        private IDictionary<string, object?>? _properties;
        private byte[]? _propertiesJson;

        /// <summary>Turns a list record's raw "properties" JSON into the dictionary; set by the client library.</summary>
        internal static Func<byte[], IDictionary<string, object?>>? PropertiesParser;

        /// <summary>Every other case property (values as the server sent them). From a list, parsed on first
        /// use: pipelines that filter on the typed fields never pay for it.</summary>
        public IDictionary<string, object?> Properties
        {
            get => LazyJson.Get(ref _properties, ref _propertiesJson, PropertiesParser, NewDictionary);
            internal set { _properties = value; _propertiesJson = null; }
        }

        private static IDictionary<string, object?> NewDictionary() => new Dictionary<string, object?>(StringComparer.Ordinal);

        /// <summary>Keeps the properties' JSON for parsing on first use.</summary>
        internal void SetPropertiesJson(byte[] json) { _properties = null; _propertiesJson = json; }
        /// <summary>Indices by identifier (for example "parent").</summary>
        public IDictionary<string, CCCaseIndex> Indices { get; internal set; } = new Dictionary<string, CCCaseIndex>(StringComparer.Ordinal);
        public string? ResourceUri { get; internal set; }
        /// <summary>With -IncludeChildCases: child cases by index identifier.</summary>
        public IDictionary<string, CCCase>? ChildCases { get; internal set; }
        /// <summary>With -IncludeParentCases: parent cases by index identifier.</summary>
        public IDictionary<string, CCCase>? ParentCases { get; internal set; }
        /// <summary>With -IncludeForms: the forms that touched the case, by form name.</summary>
        public IDictionary<string, IReadOnlyList<CCForm>>? FormsByName { get; internal set; }
        /// <summary>With -IncludeForms: the forms that touched the case, by xmlns.</summary>
        public IDictionary<string, IReadOnlyList<CCForm>>? FormsByXmlns { get; internal set; }
        /// <summary>Case API v2: the case type is deprecated in the project's data dictionary.</summary>
        public bool? IsDeprecated { get; internal set; }
        /// <summary>On cases returned by New-/Set-/Close-CCCase: the form the write was recorded as.</summary>
        public string? FormId { get; internal set; }
        /// <summary>
        /// True when the object may hold only part of the case: a forwarded case update that does not carry the case's
        /// full state (CommCare may forward only the changed properties). Properties, indices or fields it lacks are
        /// unknown, not blank: read the case with Get-CCCase before acting on what is missing or writing it back.
        /// </summary>
        public bool IsPartial { get; internal set; }
        /// <summary>Fields the server sent that this version of the module does not know.</summary>
        public IDictionary<string, object?>? AdditionalFields { get; internal set; }

        /// <summary>Keys of the open-ended field across this record's page (for tables); set by the client library.</summary>
        internal CCColumnKeys? ColumnKeys;
        public override string ToString() => Id;
    }

    /// <summary>One index (link) of a case to another case.</summary>
    public sealed class CCCaseIndex
    {
        public string Identifier { get; internal set; } = "";
        public string? CaseId { get; internal set; }
        public string? CaseType { get; internal set; }
        /// <summary>child or extension.</summary>
        public string? Relationship { get; internal set; }
        public override string ToString() => $"{Identifier}:{CaseId}";
    }
}
