using System;
using CommCare.Client.Http;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CommCare.Client.Json;
using CommCare.Client.Paging;
using CommCare.Models;

namespace CommCare.Client.Api
{
    /// <summary>Locations (v2) and location types (docs/commcare-api.md#groups-and-locations).</summary>
    public sealed class LocationsApi
    {
        /// <summary>The server's limit for one bulk (PATCH) request.</summary>
        public const int MaxBatch = 100;
        private readonly CommCareClient _c;
        internal LocationsApi(CommCareClient c) => _c = c;
        private Uri ListUri => _c.DomainApiPath("location/v2/");

        public CCPagedResult<CCLocation> List(int pageSize = 1000)
        {
            var first = new Uri(ListUri, "?limit=" + pageSize.ToString(CultureInfo.InvariantCulture));
            ItemReader<CCLocation> reader = (ref Utf8JsonReader r) => Read(ref r);
            return _c.Pages(first, reader);
        }

        public CCLocation? Get(string id)
            => PageFetcher.FetchOneAsync(_c.Engine, new Uri(ListUri, QueryString.Segment(id) + "/"), Read, _c.Sink, _c.Token).WaitPumping(_c.Sink);

        public CCPagedResult<CCLocationType> Types()
        {
            var first = new Uri(_c.DomainApi("location_type"), "?limit=1000");
            ItemReader<CCLocationType> reader = (ref Utf8JsonReader r) => ReadType(ref r);
            return _c.Pages(first, reader);
        }

        /// <summary>Site code the way HQ derives one from a name; we always send one so a create can be
        /// retried safely (site codes are unique) and an update never regenerates it.</summary>
        public static string SiteCodeFrom(string name)
        {
            string s = Regex.Replace(name.Trim().ToLowerInvariant(), @"[^a-z0-9]+", "_").Trim('_');
            return s.Length == 0 ? "location" : s;
        }

        /// <summary>
        /// Creates or updates up to 100 locations in one atomic request (items with Id update). Returns the
        /// ids in order. A lost answer is resolved by reading the site codes back: the batch is all or nothing.
        /// </summary>
        // Parents are existing locations' ids: whether an item may point at one created in the same request is unconfirmed (docs/commcare-api.md U20).
        public IReadOnlyList<string> Save(IList<CCLocationSpec> batch)
        {
            if (batch.Count == 0) return Array.Empty<string>();
            if (batch.Count > MaxBatch) throw new CCApiException(CCErrorKind.InvalidArgument, $"At most {MaxBatch} locations per request.");
            foreach (var s in batch) if (s.Id == null && s.SiteCode == null && s.Name != null) s.SiteCode = SiteCodeFrom(s.Name);
            byte[] body = BatchBody(batch);
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    string text = Writes.Send(_c, new HttpMethod("PATCH"), ListUri, body);
                    using var doc = JsonDocument.Parse(text);
                    return doc.RootElement.EnumerateArray().Select(e => e.GetString() ?? "").ToList();
                }
                catch (CCApiException ex) when (ex.Kind == CCErrorKind.Network || ex.Kind == CCErrorKind.Timeout || ex.Kind == CCErrorKind.Server)
                {
                    var bySite = List().Where(l => l.SiteCode != null).ToDictionary(l => l.SiteCode!, StringComparer.OrdinalIgnoreCase);
                    var creates = batch.Where(s => s.Id == null).ToList();
                    if (creates.Count > 0 && creates.All(s => bySite.ContainsKey(s.SiteCode!)))
                        return batch.Select(s => s.Id ?? bySite[s.SiteCode!].Id).ToList();   // it committed
                    if (attempt >= UsersApi.MaxCreateAttempts) throw;
                    _c.Sink.Verbose($"A batch of {batch.Count} locations had an unknown outcome and did not commit; sending it again.");
                }
            }
        }

        /// <summary>PUT: changes only the fields given. Keeps the site code when only the name changes
        /// (the server would otherwise regenerate it from the new name).</summary>
        // How HQ handles a rename (root locations, site-code regeneration) is unconfirmed (docs/commcare-api.md U21).
        public CCLocation Update(string id, CCLocationSpec spec)
        {
            if (spec.Name != null && spec.SiteCode == null)
                spec.SiteCode = (Get(id) ?? throw new CCApiException(CCErrorKind.NotFound, $"Location '{id}' was not found in project space '{_c.Session.Domain}'.")).SiteCode;
            string text = Writes.Send(_c, HttpMethod.Put, new Uri(ListUri, QueryString.Segment(id) + "/"), Body(spec, includeId: false), safeToRepeat: true);
            var r = new Utf8JsonReader(Encoding.UTF8.GetBytes(text));
            r.Read();
            return Read(ref r);
        }

        private CCLocation Read(ref Utf8JsonReader r)
        {
            JsonValue.Expect(ref r, JsonTokenType.StartObject);
            var l = new CCLocation { Domain = _c.Session.Domain };
            while (r.Read() && r.TokenType != JsonTokenType.EndObject)
            {
                string name = JsonValue.Name(ref r);
                JsonValue.Value(ref r);
                switch (name)
                {
                    case "location_id": l.Id = JsonValue.ReadString(ref r) ?? ""; break;
                    case "domain": l.Domain = JsonValue.ReadString(ref r) ?? l.Domain; break;
                    case "name": l.Name = JsonValue.ReadString(ref r) ?? ""; break;
                    case "site_code": l.SiteCode = JsonValue.ReadString(ref r); break;
                    case "location_type_code": l.LocationType = JsonValue.ReadString(ref r); break;
                    case "location_type_name": l.LocationTypeName = JsonValue.ReadString(ref r); break;
                    case "parent_location_id": var p = JsonValue.ReadString(ref r); l.ParentId = string.IsNullOrEmpty(p) ? null : p; break;
                    case "latitude": l.Latitude = Dec(JsonValue.ReadString(ref r)); break;
                    case "longitude": l.Longitude = Dec(JsonValue.ReadString(ref r)); break;
                    case "location_data": if (r.TokenType == JsonTokenType.StartObject) l.LocationData = JsonValue.ReadObject(ref r); else r.Skip(); break;
                    case "last_modified": l.LastModified = JsonValue.ReadDate(ref r); break;
                    default: (l.AdditionalFields ??= new Dictionary<string, object?>(StringComparer.Ordinal))[name] = JsonValue.Read(ref r); break;
                }
            }
            return l;
        }

        private CCLocationType ReadType(ref Utf8JsonReader r)
        {
            JsonValue.Expect(ref r, JsonTokenType.StartObject);
            var t = new CCLocationType { Domain = _c.Session.Domain };
            while (r.Read() && r.TokenType != JsonTokenType.EndObject)
            {
                string name = JsonValue.Name(ref r);
                JsonValue.Value(ref r);
                switch (name)
                {
                    case "id": t.Id = JsonValue.ReadNullableLong(ref r) ?? 0; break;
                    case "domain": t.Domain = JsonValue.ReadString(ref r) ?? t.Domain; break;
                    case "name": t.Name = JsonValue.ReadString(ref r) ?? ""; break;
                    case "code": t.Code = JsonValue.ReadString(ref r) ?? ""; break;
                    // The parent is an absolute URI of the parent type: its last path segment is the id.
                    case "parent":
                        var uri = JsonValue.ReadString(ref r);
                        if (!string.IsNullOrEmpty(uri) && long.TryParse(uri!.TrimEnd('/').Split('/').Last(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long pid)) t.ParentId = pid;
                        break;
                    case "administrative": t.Administrative = JsonValue.ReadBool(ref r); break;
                    case "shares_cases": t.SharesCases = JsonValue.ReadBool(ref r); break;
                    case "view_descendants": t.ViewDescendants = JsonValue.ReadBool(ref r); break;
                    default: r.Skip(); break;
                }
            }
            return t;
        }

        private static decimal? Dec(string? s) => decimal.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : (decimal?)null;

        private static byte[] BatchBody(IList<CCLocationSpec> batch)
        {
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms))
            {
                w.WriteStartObject();
                w.WritePropertyName("objects");
                w.WriteStartArray();
                foreach (var s in batch) Write(w, s, includeId: true);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            return ms.ToArray();
        }

        internal static byte[] Body(CCLocationSpec s, bool includeId)
        {
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms)) Write(w, s, includeId);
            return ms.ToArray();
        }

        private static void Write(Utf8JsonWriter w, CCLocationSpec s, bool includeId)
        {
            w.WriteStartObject();
            if (includeId && s.Id != null) w.WriteString("location_id", s.Id);
            if (s.Name != null) w.WriteString("name", s.Name);
            if (s.LocationType != null) w.WriteString("location_type_code", s.LocationType);
            if (s.SiteCode != null) w.WriteString("site_code", s.SiteCode);
            if (s.ParentId != null) w.WriteString("parent_location_id", s.ParentId);
            if (s.Latitude.HasValue) w.WriteString("latitude", s.Latitude.Value.ToString(CultureInfo.InvariantCulture));
            if (s.Longitude.HasValue) w.WriteString("longitude", s.Longitude.Value.ToString(CultureInfo.InvariantCulture));
            if (s.LocationData != null)
            {
                w.WritePropertyName("location_data");
                w.WriteStartObject();
                foreach (var kv in s.LocationData) { w.WritePropertyName(kv.Key); Writes.Value(w, kv.Value); }
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
    }
}
