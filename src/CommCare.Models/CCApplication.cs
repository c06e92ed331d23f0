using System;
using System.Collections.Generic;

namespace CommCare.Models
{
    /// <summary>An application's structure (docs/commcare-api.md#applications): modules, forms, questions, case types.</summary>
    public sealed class CCApplication
    {
        public string Id { get; internal set; } = "";
        public string? Name { get; internal set; }
        public int? Version { get; internal set; }
        public bool IsReleased { get; internal set; }
        public DateTime? BuiltOn { get; internal set; }
        public string? BuildComment { get; internal set; }
        /// <summary>For a build: the working copy it was built from.</summary>
        public string? BuiltFromAppId { get; internal set; }
        public IReadOnlyList<CCAppModule> Modules { get; internal set; } = Array.Empty<CCAppModule>();
        /// <summary>Every build of the app (empty when this object is a build).</summary>
        public IReadOnlyList<CCAppVersion> Versions { get; internal set; } = Array.Empty<CCAppVersion>();
        /// <summary>Case types the modules use.</summary>
        public IReadOnlyList<string> CaseTypes { get; internal set; } = Array.Empty<string>();
        public override string ToString() => Name ?? Id;
    }

    public sealed class CCAppModule
    {
        /// <summary>The name in the first language the app gives (English when there is one).</summary>
        public string? DisplayName { get; internal set; }
        /// <summary>The name by language code.</summary>
        public IDictionary<string, string?> Name { get; internal set; } = new Dictionary<string, string?>(StringComparer.Ordinal);
        public string? CaseType { get; internal set; }
        public IReadOnlyList<string> CaseProperties { get; internal set; } = Array.Empty<string>();
        public string? UniqueId { get; internal set; }
        public IReadOnlyList<CCAppForm> Forms { get; internal set; } = Array.Empty<CCAppForm>();
        /// <summary>Set instead of the structure when the server could not describe the module.</summary>
        public string? Error { get; internal set; }
        public override string ToString() => DisplayName ?? UniqueId ?? "";
    }

    public sealed class CCAppForm
    {
        public string? DisplayName { get; internal set; }
        public IDictionary<string, string?> Name { get; internal set; } = new Dictionary<string, string?>(StringComparer.Ordinal);
        public string? Xmlns { get; internal set; }
        public string? UniqueId { get; internal set; }
        public IReadOnlyList<CCAppQuestion> Questions { get; internal set; } = Array.Empty<CCAppQuestion>();
        public override string ToString() => DisplayName ?? Xmlns ?? "";
    }

    public sealed class CCAppQuestion
    {
        public string? Label { get; internal set; }
        /// <summary>The question's path, e.g. /data/name.</summary>
        public string? Value { get; internal set; }
        public string? HashtagValue { get; internal set; }
        public string? Type { get; internal set; }
        public string? Tag { get; internal set; }
        public bool Required { get; internal set; }
        public string? Relevant { get; internal set; }
        public string? Constraint { get; internal set; }
        public string? Calculate { get; internal set; }
        public string? Group { get; internal set; }
        public string? Repeat { get; internal set; }
        public IReadOnlyList<CCAppQuestionOption> Options { get; internal set; } = Array.Empty<CCAppQuestionOption>();
        public IDictionary<string, string?> Translations { get; internal set; } = new Dictionary<string, string?>(StringComparer.Ordinal);
        /// <summary>Other keys the server sent for this question type.</summary>
        public IDictionary<string, object?>? AdditionalFields { get; internal set; }
        public override string ToString() => Value ?? Label ?? "";
    }

    public sealed class CCAppQuestionOption
    {
        public string? Label { get; internal set; }
        public string? Value { get; internal set; }
        public override string ToString() => Value ?? "";
    }

    public sealed class CCAppVersion
    {
        public string Id { get; internal set; } = "";
        public int? Version { get; internal set; }
        public bool IsReleased { get; internal set; }
        public DateTime? BuiltOn { get; internal set; }
        public string? BuildComment { get; internal set; }
        public override string ToString() => $"{Version}";
    }
}
