using System;
using System.Collections.Generic;

namespace CommCare.Models
{
    /// <summary>State of a bulk case import (the soil task states of docs/commcare-api.md#bulk-case-upload-case-importer).</summary>
    public enum CCCaseImportState { Queued = 0, Running = 1, Completed = 2, Failed = 3 }

    /// <summary>A bulk case import (Import-CCCaseData) and, once finished, what it did.</summary>
    public sealed class CCCaseImport
    {
        public string StatusUrl { get; internal set; } = "";
        public CCCaseImportState State { get; internal set; }
        public int? PercentComplete { get; internal set; }
        /// <summary>Rows that matched an existing case (updated).</summary>
        public int? MatchCount { get; internal set; }
        /// <summary>Cases created.</summary>
        public int? CreatedCount { get; internal set; }
        public int? NumChunks { get; internal set; }
        /// <summary>Rows whose external id matched more than one case (skipped), when the server reports it.</summary>
        public int? TooManyMatches { get; internal set; }
        /// <summary>Row problems the importer reported (each row listed was not imported as given).</summary>
        public IReadOnlyList<CCCaseImportError> Errors { get; internal set; } = Array.Empty<CCCaseImportError>();
        public string? CaseType { get; internal set; }
        public string? FileName { get; internal set; }
        /// <summary>Data rows in the workbook (header not counted), when the module could count them.</summary>
        public int? RowCount { get; internal set; }
        /// <summary>The column rows were matched by.</summary>
        public string? SearchColumn { get; internal set; }
        public override string ToString() => $"{State} ({StatusUrl})";
    }

    /// <summary>One kind of row problem and the sheet rows it hit (1-based, the header is row 1).</summary>
    public sealed class CCCaseImportError
    {
        public string Title { get; internal set; } = "";
        public string? Description { get; internal set; }
        public string? Column { get; internal set; }
        public IReadOnlyList<int> Rows { get; internal set; } = Array.Empty<int>();
        public override string ToString() => $"{Title} ({Column}): rows {string.Join(", ", Rows)}";
    }
}
