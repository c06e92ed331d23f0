using System;
using System.Collections.Generic;

namespace CommCare.Models
{
    /// <summary>A lookup table (fixture) definition (docs/commcare-api.md#lookup-tables).</summary>
    public sealed class CCLookupTable
    {
        public string Id { get; internal set; } = "";
        /// <summary>The table's name in apps and in Excel (its sheet name).</summary>
        public string Tag { get; internal set; } = "";
        /// <summary>Visible to every user, whatever they own.</summary>
        public bool IsGlobal { get; internal set; }
        public IReadOnlyList<CCLookupTableField> Fields { get; internal set; } = Array.Empty<CCLookupTableField>();
        public IReadOnlyList<string> ItemAttributes { get; internal set; } = Array.Empty<string>();
        public override string ToString() => Tag;
    }

    /// <summary>A field of a lookup table and the names of its per-value properties (e.g. lang).</summary>
    public sealed class CCLookupTableField
    {
        public string Name { get; internal set; } = "";
        public IReadOnlyList<string> Properties { get; internal set; } = Array.Empty<string>();
        public override string ToString() => Name;
    }

    /// <summary>One row of a lookup table.</summary>
    public sealed class CCLookupTableItem
    {
        public string Id { get; internal set; } = "";
        public string TableId { get; internal set; } = "";
        public string? Table { get; internal set; }
        /// <summary>Field name → its (first) value: what scripts filter on.</summary>
        public IDictionary<string, string?> Fields { get; internal set; } = new Dictionary<string, string?>(StringComparer.Ordinal);
        /// <summary>Field name → every value with its properties (fields with translations have several).</summary>
        public IDictionary<string, IReadOnlyList<CCLookupFieldValue>> FieldValues { get; internal set; } = new Dictionary<string, IReadOnlyList<CCLookupFieldValue>>(StringComparer.Ordinal);
        public IDictionary<string, string?> ItemAttributes { get; internal set; } = new Dictionary<string, string?>(StringComparer.Ordinal);
        public int? SortKey { get; internal set; }
        public override string ToString() => Id;
    }

    /// <summary>One value of a lookup field, with its properties (e.g. lang = en).</summary>
    public sealed class CCLookupFieldValue
    {
        public string? Value { get; internal set; }
        public IDictionary<string, string?> Properties { get; internal set; } = new Dictionary<string, string?>(StringComparer.Ordinal);
        public override string ToString() => Value ?? "";
    }

    /// <summary>The outcome of a lookup table upload.</summary>
    public sealed class CCLookupTableImport
    {
        public bool Complete { get; internal set; }
        public string? Message { get; internal set; }
        /// <summary>Row problems the upload reported (rows were still loaded, without what the warning names).</summary>
        public IReadOnlyList<string> Warnings { get; internal set; } = Array.Empty<string>();
        public string? StatusUrl { get; internal set; }
        public string? FileName { get; internal set; }
        public override string ToString() => Message ?? "";
    }
}
