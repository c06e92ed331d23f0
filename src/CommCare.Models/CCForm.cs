using System;
using System.Collections.Generic;

namespace CommCare.Models
{
    /// <summary>A submitted form from the Form API (v0.5 / form v1).</summary>
    public sealed class CCForm
    {
        public string Id { get; internal set; } = "";
        public string? Domain { get; internal set; }
        /// <summary>The form's xmlns (form.@xmlns).</summary>
        public string? Xmlns { get; internal set; }
        /// <summary>The form's name (form.@name).</summary>
        public string? Name { get; internal set; }
        public string? AppId { get; internal set; }
        public string? BuildId { get; internal set; }
        public string? Type { get; internal set; }
        public string? Version { get; internal set; }
        public string? UiVersion { get; internal set; }
        public DateTime? ReceivedOn { get; internal set; }
        public DateTime? ServerModifiedOn { get; internal set; }
        /// <summary>When the server last indexed the form; what incremental exports page on.</summary>
        public DateTime? IndexedOn { get; internal set; }
        public DateTime? EditedOn { get; internal set; }
        public string? EditedByUserId { get; internal set; }
        public bool Archived { get; internal set; }
        public bool? IsPhoneSubmission { get; internal set; }
        public bool? InitialProcessingComplete { get; internal set; }
        public string? Problem { get; internal set; }
        public string? SubmitIp { get; internal set; }
        /// <summary>The device's meta block.</summary>
        public CCFormMetadata Metadata { get; internal set; } = new CCFormMetadata();
        private IDictionary<string, object?>? _form;

        /// <summary>Turns raw form-body JSON into dictionaries; set by the client library.</summary>
        internal static Func<byte[], IDictionary<string, object?>>? BodyParser;

        /// <summary>The form body: nested dictionaries and lists, attribute names start with '@'.
        /// Parsed on first use: scripts that only read metadata never pay for it.</summary>
        public IDictionary<string, object?> Form
        {
            get => _form ??= new Dictionary<string, object?>(StringComparer.Ordinal);
            internal set => _form = value;
        }

        /// <summary>Keeps the body's JSON for parsing on first use (a LazyDictionary).</summary>
        internal void SetFormJson(byte[] json) => _form = new LazyDictionary(json, () => BodyParser);
        public IDictionary<string, CCFormAttachment> Attachments { get; internal set; } = new Dictionary<string, CCFormAttachment>(StringComparer.Ordinal);
        /// <summary>With -IncludeCases: the cases the form touched.</summary>
        public IReadOnlyList<CCCase>? Cases { get; internal set; }
        public string? ResourceUri { get; internal set; }
        /// <summary>Fields the server sent that this version of the module does not know.</summary>
        public IDictionary<string, object?>? AdditionalFields { get; internal set; }

        public override string ToString() => Id;
    }

    /// <summary>The device meta block of a form.</summary>
    public sealed class CCFormMetadata
    {
        public string? AppVersion { get; internal set; }
        public long? AppBuildVersion { get; internal set; }
        public string? CommCareVersion { get; internal set; }
        public string? DeprecatedId { get; internal set; }
        public string? DeviceId { get; internal set; }
        public string? DocType { get; internal set; }
        public string? GeoPoint { get; internal set; }
        public string? InstanceId { get; internal set; }
        public object? Location { get; internal set; }
        public DateTime? TimeStart { get; internal set; }
        public DateTime? TimeEnd { get; internal set; }
        public string? UserId { get; internal set; }
        public string? UserName { get; internal set; }
        public IDictionary<string, object?>? AdditionalFields { get; internal set; }
        public override string ToString() => $"{UserName} {TimeEnd:u}";
    }

    /// <summary>A file stored with a form (form.xml, photos, …).</summary>
    public sealed class CCFormAttachment
    {
        public string Name { get; internal set; } = "";
        public string? ContentType { get; internal set; }
        public long? Length { get; internal set; }
        public string? Url { get; internal set; }
        public override string ToString() => Name;
    }
}
