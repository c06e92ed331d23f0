using System;
using System.Collections.Generic;

namespace CommCare.Models
{
    /// <summary>A form instance ready to submit (made by New-CCCaseUpdateForm, or read from a file).</summary>
    public sealed class CCFormSubmission
    {
        public CCFormSubmission(string xml, string instanceId, IReadOnlyList<string> caseIds, string? xmlns)
        {
            Xml = xml; InstanceId = instanceId; CaseIds = caseIds; Xmlns = xmlns;
        }
        /// <summary>The form's instanceID: CommCare's form id, and what makes a resubmission a duplicate rather than a second form.</summary>
        public string InstanceId { get; }
        public string? Xmlns { get; }
        /// <summary>The cases the form's case blocks touch.</summary>
        public IReadOnlyList<string> CaseIds { get; }
        /// <summary>The XForm instance XML.</summary>
        public string Xml { get; }
        public override string ToString() => InstanceId;
    }

    /// <summary>What CommCare said about a form submission (its OpenRosa response).</summary>
    public sealed class CCFormSubmissionResult
    {
        /// <summary>The form id (X-CommCareHQ-FormID, else the instanceID sent).</summary>
        public string? FormId { get; internal set; }
        public string? InstanceId { get; internal set; }
        /// <summary>submit_success, or the failure kind (submit_error, processing_failure, post_processing_failure).</summary>
        public string? Nature { get; internal set; }
        public string? Message { get; internal set; }
        /// <summary>CommCare already had this exact form (a resubmission): nothing changed.</summary>
        public bool IsDuplicate { get; internal set; }
        public int StatusCode { get; internal set; }
        /// <summary>Where the XML came from (a file path), when it came from a file.</summary>
        public string? Source { get; internal set; }
        public IReadOnlyList<string> Attachments { get; internal set; } = Array.Empty<string>();
        public override string ToString() => FormId ?? InstanceId ?? "";
    }
}
