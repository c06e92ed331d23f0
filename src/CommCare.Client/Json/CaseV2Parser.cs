using CommCare.Models;
using System;
using System.Collections.Generic;
using System.Text.Json;

namespace CommCare.Client.Json
{
    /// <summary>Case API v2 JSON (serialize_es_case / serialize_case, 11-cases-v2.md) → CCCase.</summary>
    internal static class CaseV2Parser
    {
        public static CCCase Read(ref Utf8JsonReader r) => Read(ref r, out _);

        /// <summary>Reads one case; a bulk-fetch stub ({"case_id": …, "error": "not found"}) comes back with its error text.</summary>
        public static CCCase Read(ref Utf8JsonReader r, out string? error)
        {
            JsonValue.Expect(ref r, JsonTokenType.StartObject);
            error = null;
            var c = new CCCase();
            while (r.Read() && r.TokenType != JsonTokenType.EndObject)
            {
                string name = JsonValue.Name(ref r);
                JsonValue.Value(ref r);
                switch (name)
                {
                    case "case_id": c.Id = JsonValue.ReadString(ref r) ?? ""; break;
                    case "domain": c.Domain = JsonValue.ReadString(ref r); break;
                    case "case_type": c.CaseType = JsonValue.ReadString(ref r); break;
                    case "case_name": c.Name = JsonValue.ReadString(ref r); break;
                    case "external_id": c.ExternalId = JsonValue.ReadString(ref r); break;
                    case "owner_id": c.OwnerId = JsonValue.ReadString(ref r); break;
                    case "date_opened": c.DateOpened = JsonValue.ReadDate(ref r); break;
                    case "last_modified": c.DateModified = JsonValue.ReadDate(ref r); break;
                    case "server_last_modified": c.ServerDateModified = JsonValue.ReadDate(ref r); break;
                    case "indexed_on": c.IndexedOn = JsonValue.ReadDate(ref r); break;
                    case "closed": c.Closed = JsonValue.ReadBool(ref r); break;
                    case "date_closed": c.DateClosed = JsonValue.ReadDate(ref r); break;
                    case "is_deprecated": c.IsDeprecated = JsonValue.ReadNullableBool(ref r); break;
                    case "user_id": c.UserId = JsonValue.ReadString(ref r); break;
                    // Which system keys sit in properties is unconfirmed (docs/commcare-api.md U13): kept as sent, never written back unless changed.
                    case "properties": c.Properties = r.TokenType == JsonTokenType.StartObject ? JsonValue.ReadObject(ref r) : Skip(ref r); break;
                    case "indices": c.Indices = CaseParser.ReadIndices(ref r); break;
                    case "error": error = JsonValue.ReadString(ref r); break;
                    default:
                        (c.AdditionalFields ??= new Dictionary<string, object?>(StringComparer.Ordinal))[name] = JsonValue.Read(ref r);
                        break;
                }
            }
            return c;
        }

        private static Dictionary<string, object?> Skip(ref Utf8JsonReader r)
        {
            r.Skip();
            return new Dictionary<string, object?>(StringComparer.Ordinal);
        }
    }
}
