using System;

namespace CommCare.Models
{
    /// <summary>An export configured in CommCare for the Data Export Tool (det_export_instance, docs/commcare-api.md#exports-messaging-events-and-audit).</summary>
    public sealed class CCExportInstance
    {
        public string Id { get; internal set; } = "";
        public string? Name { get; internal set; }
        /// <summary>form or case.</summary>
        public string? Type { get; internal set; }
        public string? ExportFormat { get; internal set; }
        public bool IsDeidentified { get; internal set; }
        public string? CaseType { get; internal set; }
        public string? Xmlns { get; internal set; }
        /// <summary>Where the DET (commcare-export) configuration workbook downloads from.</summary>
        public string? DetConfigUrl { get; internal set; }
        public override string ToString() => Name ?? Id;
    }
}
