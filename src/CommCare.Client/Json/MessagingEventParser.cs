using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;
using CommCare.Models;

namespace CommCare.Client.Json
{
    /// <summary>Messaging event JSON (messaging-event/v1) → CCMessagingEvent.</summary>
    internal static class MessagingEventParser
    {
        internal static CCMessagingEvent Read(ref Utf8JsonReader r)
        {
            var o = JsonValue.ReadObject(ref r);
            var e = new CCMessagingEvent
            {
                Id = o.TryGetValue("id", out var id) && id is long l ? l : 0,
                ContentType = JsonValue.Str(o, "content_type"),
                Date = JsonValue.Date(o, "date"),
                DateLastActivity = JsonValue.Date(o, "date_last_activity"),
                CaseId = JsonValue.Str(o, "case_id"),
                Domain = JsonValue.Str(o, "domain"),
                Status = JsonValue.Str(o, "status"),
                Error = o.TryGetValue("error", out var er) ? er as Dictionary<string, object?> : null,
                Form = o.TryGetValue("form", out var fo) ? fo as Dictionary<string, object?> : null,
                Recipient = o.TryGetValue("recipient", out var rc) ? rc as Dictionary<string, object?> : null,
                Source = o.TryGetValue("source", out var so) ? so as Dictionary<string, object?> : null,
            };
            var messages = new List<IDictionary<string, object?>>();
            if (o.TryGetValue("messages", out var ml) && ml is List<object?> ms) foreach (var m in ms) if (m is Dictionary<string, object?> md) messages.Add(md);
            e.Messages = messages;
            return e;
        }
    }
}
