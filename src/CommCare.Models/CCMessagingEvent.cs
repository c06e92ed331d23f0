using System;
using System.Collections.Generic;

namespace CommCare.Models
{
    /// <summary>A messaging event for one recipient (docs/commcare-api.md#exports-messaging-events-and-audit).</summary>
    public sealed class CCMessagingEvent
    {
        public long Id { get; internal set; }
        public string? ContentType { get; internal set; }
        /// <summary>UTC (the server sends naive UTC times).</summary>
        public DateTime? Date { get; internal set; }
        public DateTime? DateLastActivity { get; internal set; }
        public string? CaseId { get; internal set; }
        public string? Domain { get; internal set; }
        public string? Status { get; internal set; }
        public IDictionary<string, object?>? Error { get; internal set; }
        public IDictionary<string, object?>? Form { get; internal set; }
        public IDictionary<string, object?>? Recipient { get; internal set; }
        public IDictionary<string, object?>? Source { get; internal set; }
        public IReadOnlyList<IDictionary<string, object?>> Messages { get; internal set; } = Array.Empty<IDictionary<string, object?>>();
        public override string ToString() => Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
