using CommCare.Models;
using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Http;
using System.Text.Json;
using CommCare.Client.Json;

namespace CommCare.Client.Api
{
    /// <summary>SMS self-registration invitations and install-info messages (docs/commcare-api.md#sms-registration; legacy:
    /// current servers may have removed them, which shows as a 404).</summary>
    public sealed class SmsApi
    {
        private readonly CommCareClient _c;
        internal SmsApi(CommCareClient c) => _c = c;

        /// <summary>Texts each number an invitation to register as a mobile worker. Never repeated automatically: a repeat texts again.</summary>
        public IDictionary<string, object?> Invite(string appId, IReadOnlyList<KeyValuePair<string, IDictionary<string, string>?>> users, bool androidOnly, bool requireEmail, string? message)
            => Send("sms_user_registration", w =>
            {
                w.WriteString("app_id", appId);
                w.WriteStartArray("users");
                foreach (var u in users)
                {
                    w.WriteStartObject();
                    w.WriteString("phone_number", u.Key);
                    if (u.Value != null && u.Value.Count > 0)
                    {
                        w.WriteStartObject("custom_user_data");
                        foreach (var kv in u.Value) w.WriteString(kv.Key, kv.Value);
                        w.WriteEndObject();
                    }
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteBoolean("android_only", androidOnly);
                w.WriteBoolean("require_email", requireEmail);
                if (message != null) w.WriteString("custom_registration_message", message);
            });

        /// <summary>Texts existing mobile workers the app's install link again.</summary>
        public IDictionary<string, object?> SendInstallInfo(string appId, IReadOnlyList<string> numbers, string? message)
            => Send("sms_user_registration_reinstall", w =>
            {
                w.WriteString("app_id", appId);
                w.WriteStartArray("users");
                foreach (var n in numbers) { w.WriteStartObject(); w.WriteString("phone_number", n); w.WriteEndObject(); }
                w.WriteEndArray();
                if (message != null) w.WriteString("reinstall_message", message);
            });

        private IDictionary<string, object?> Send(string resource, Action<Utf8JsonWriter> body)
        {
            byte[] json;
            using (var ms = new MemoryStream())
            {
                using (var w = new Utf8JsonWriter(ms)) { w.WriteStartObject(); body(w); w.WriteEndObject(); }
                json = ms.ToArray();
            }
            string text;
            try { text = Writes.Send(_c, HttpMethod.Post, _c.DomainApi(resource), json); }
            // Whether these resources still exist is unconfirmed (docs/commcare-api.md U47).
            catch (CCApiException ex) when (ex.Kind == CCErrorKind.NotFound)
            {
                throw new CCApiException(CCErrorKind.NotFound, $"SMS registration is not available on this server ({resource} answered 404): current CommCare HQ versions may have removed it.", ex.StatusCode, ex.ServerMessage, ex.RequestPath, ex);
            }
            try
            {
                var r = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(text));
                r.Read();
                return JsonValue.ReadObject(ref r);
            }
            catch (Exception ex) when (ex is JsonException || ex is InvalidOperationException)
            {
                throw new CCApiException(CCErrorKind.BadResponse, "CommCare's answer to the SMS request was not JSON: " + ex.Message, inner: ex);
            }
        }
    }
}
