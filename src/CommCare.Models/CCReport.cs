using System;
using System.Collections.Generic;

namespace CommCare.Models
{
    /// <summary>A configurable (UCR) report (simplereportconfiguration, docs/commcare-api.md#reports-data-sources-and-odata).</summary>
    public sealed class CCReport
    {
        public string Id { get; internal set; } = "";
        public string? Title { get; internal set; }
        public IReadOnlyList<CCReportFilter> Filters { get; internal set; } = Array.Empty<CCReportFilter>();
        public IReadOnlyList<CCReportColumn> Columns { get; internal set; } = Array.Empty<CCReportColumn>();
        public string? ResourceUri { get; internal set; }
        public override string ToString() => Title ?? Id;
    }

    /// <summary>A report filter: slug, kind (choice_list, date, numeric, …) and data type.</summary>
    public sealed class CCReportFilter
    {
        public string Slug { get; internal set; } = "";
        public string? Type { get; internal set; }
        public string? Datatype { get; internal set; }
        public override string ToString() => $"{Slug} ({Type})";
    }

    /// <summary>A report column as configured (an expanded column becomes one output column per value).</summary>
    public sealed class CCReportColumn
    {
        public string ColumnId { get; internal set; } = "";
        public string? Display { get; internal set; }
        public string? Type { get; internal set; }
        public override string ToString() => Display ?? ColumnId;
    }
}
