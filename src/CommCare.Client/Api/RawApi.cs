using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using CommCare.Client.Http;
using CommCare.Client.Json;
using CommCare.Client.Paging;
using CommCare.Models;

namespace CommCare.Client.Api
{
    /// <summary>Any endpoint, through the session's auth, throttle, retries and paging (Invoke-CCRestMethod).</summary>
    public sealed class RawApi
    {
        private readonly CommCareClient _c;
        internal RawApi(CommCareClient c) => _c = c;

        /// <summary>"v0.5/case/" is relative to /a/{domain}/api/; "/api/v0.5/identity/" is relative to the
        /// server; an absolute URL must be on the session's server (the auth handler refuses others).</summary>
        public Uri Resolve(string path, IDictionary<string, string>? query)
        {
            if (string.IsNullOrWhiteSpace(path)) throw new CCApiException(CCErrorKind.InvalidArgument, "-Path is empty: give e.g. 'v0.5/case/' or '/api/v0.5/identity/'.");
            Uri uri = Uri.TryCreate(path, UriKind.Absolute, out var abs) && (abs.Scheme == Uri.UriSchemeHttp || abs.Scheme == Uri.UriSchemeHttps) ? abs
                : path.StartsWith("/", StringComparison.Ordinal) ? new Uri(_c.Session.Server, path.TrimStart('/'))
                : _c.DomainApiPath(path);
            if (query != null && query.Count > 0)
            {
                var q = new QueryString();
                foreach (var kv in query) q.Add(kv.Key, kv.Value);
                string sep = string.IsNullOrEmpty(uri.Query) ? "?" : "&";
                uri = new Uri(uri.AbsoluteUri + sep + q.ToString().Substring(1));
            }
            return uri;
        }

        /// <summary>Sends one request; returns the response text ("" for no content).</summary>
        public string Send(HttpMethod method, Uri uri, byte[]? json)
            => Writes.Send(_c, method, uri, json, safeToRepeat: method == HttpMethod.Put || method == HttpMethod.Delete);

        /// <summary>Every object of a tastypie list, page by page (following meta.next), as plain values.</summary>
        public CCPagedResult<object?> All(Uri first)
        {
            ItemReader<object?> reader = (ref Utf8JsonReader r) => JsonValue.Read(ref r);
            return _c.Pages(first, reader);
        }

        /// <summary>JSON text → dictionaries, lists and scalars (null when the text is not JSON).</summary>
        public static object? Parse(string text, out bool isJson)
        {
            isJson = false;
            if (string.IsNullOrWhiteSpace(text)) return null;
            try
            {
                var r = new Utf8JsonReader(Encoding.UTF8.GetBytes(text));
                if (!r.Read()) return null;
                var value = JsonValue.Read(ref r);
                isJson = true;
                return value;
            }
            catch (JsonException) { return null; }
        }

        /// <summary>Any .NET value (hashtables, arrays, scalars) as a JSON body.</summary>
        public static byte[] ToJson(object? value)
        {
            using var ms = new System.IO.MemoryStream();
            using (var w = new Utf8JsonWriter(ms)) Write(w, value, 0);
            return ms.ToArray();
        }

        private static void Write(Utf8JsonWriter w, object? v, int depth)
        {
            if (depth > 32) throw new CCApiException(CCErrorKind.InvalidArgument, "-Body is nested more than 32 levels deep.");
            switch (v)
            {
                case null: w.WriteNullValue(); break;
                case string s: w.WriteStringValue(s); break;
                case System.Collections.IDictionary d:
                    w.WriteStartObject();
                    foreach (System.Collections.DictionaryEntry e in d) { w.WritePropertyName(Convert.ToString(e.Key, System.Globalization.CultureInfo.InvariantCulture) ?? ""); Write(w, e.Value, depth + 1); }
                    w.WriteEndObject();
                    break;
                case System.Collections.IEnumerable list:
                    w.WriteStartArray();
                    foreach (var item in list) Write(w, item, depth + 1);
                    w.WriteEndArray();
                    break;
                case DateTime dt: w.WriteStringValue(IsoDate.ForFilter(dt)); break;
                default: Writes.Value(w, v); break;
            }
        }
    }
}
