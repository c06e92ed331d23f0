using System;
using System.Collections.Generic;

namespace CommCare.Models
{
    /// <summary>How a case write finds its case (Case API v2 bulk "create" flag).</summary>
    public enum CCCaseWriteMode
    {
        /// <summary>Make a new case ("create": true).</summary>
        Create,
        /// <summary>Change an existing case found by case id or external id ("create": false).</summary>
        Update,
        /// <summary>Change the one case with this external id, or make it when there is none ("create": null).</summary>
        Upsert,
    }

    /// <summary>One case create, update or close for the Case API v2 (docs/commcare-api.md#case-api-v2).</summary>
    public sealed class CCCaseChange
    {
        public CCCaseWriteMode Mode { get; set; }
        public string? CaseId { get; set; }
        public string? ExternalId { get; set; }
        public string? CaseType { get; set; }
        public string? CaseName { get; set; }
        public string? OwnerId { get; set; }
        /// <summary>A name other rows of the same command can point an index at before the case has an id.</summary>
        public string? TemporaryId { get; set; }
        /// <summary>Case properties to set (values are sent as strings; "" empties a property).</summary>
        public IDictionary<string, string> Properties { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
        /// <summary>Indices to set, by identifier (parent, host, …).</summary>
        public IDictionary<string, CCCaseIndexRef> Indices { get; } = new Dictionary<string, CCCaseIndexRef>(StringComparer.Ordinal);
        public bool Close { get; set; }

        /// <summary>What the change is about, for messages: the case id, external id, temporary id or name.</summary>
        public string Label => CaseId ?? (ExternalId != null ? "external id " + ExternalId : TemporaryId != null ? "temporary id " + TemporaryId : CaseName ?? "(new case)");
    }

    /// <summary>Where an index points: exactly one of CaseId, ExternalId, TemporaryId (none removes the index).</summary>
    public sealed class CCCaseIndexRef
    {
        public string? CaseId { get; set; }
        public string? ExternalId { get; set; }
        public string? TemporaryId { get; set; }
        public string? CaseType { get; set; }
        /// <summary>child (default) or extension.</summary>
        public string Relationship { get; set; } = "child";
    }

    /// <summary>The outcome of one CCCaseChange: the case as written, or why not.</summary>
    public sealed class CCCaseWriteResult
    {
        public CCCaseWriteResult(int index, CCCase? @case, CCApiException? error) { Index = index; Case = @case; Error = error; }
        /// <summary>Position of the change in the list given to the writer.</summary>
        public int Index { get; }
        public CCCase? Case { get; }
        public CCApiException? Error { get; }
    }
}
