using CommCare.Models;
using System;
using System.Collections.Generic;
using System.Text.Json;

namespace CommCare.Client.Json
{
    /// <summary>Case API v2 JSON (serialize_es_case / serialize_case, docs/commcare-api.md#case-api-v2) → CCCase.</summary>
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
                    case "properties": c.Properties = r.TokenType == JsonTokenType.StartObject ? JsonValue.ReadObject(ref r) : Skip(ref r); break;
                    case "indices": c.Indices = CaseParser.ReadIndices(ref r); break;
                    case "error": error = JsonValue.ReadString(ref r); break;
                    default:
                        (c.AdditionalFields ??= new Dictionary<string, object?>(StringComparer.Ordinal))[name] = JsonValue.Read(ref r);
                        break;
                }
            }
            DropSystemCopies(c);
            return c;
        }

        /// <summary>
        /// Whether the Case API v2 repeats system fields inside properties is unconfirmed (docs/commcare-api.md U13).
        /// A copy equal to the top-level field is dropped, so a case reads the same either way and its Properties
        /// never hand a system field back to a write; a copy that differs is kept (nothing the server sent is lost).
        /// </summary>
        private static void DropSystemCopies(CCCase c)
        {
            var props = c.Properties;
            if (props.Count == 0) return;
            Drop(props, "case_name", c.Name);
            Drop(props, "case_type", c.CaseType);
            Drop(props, "owner_id", c.OwnerId);
            Drop(props, "external_id", c.ExternalId);
            Drop(props, "user_id", c.UserId);
            if (props.TryGetValue("date_opened", out var d) && (d == null ? c.DateOpened == null : d is string ds && IsoDate.TryParse(ds, out var dt) && dt == c.DateOpened))
                props.Remove("date_opened");
        }

        private static void Drop(IDictionary<string, object?> props, string key, string? typed)
        {
            if (props.TryGetValue(key, out var v) && (v == null || v is string) && string.Equals((string?)v ?? "", typed ?? "", StringComparison.Ordinal)) props.Remove(key);
        }

        private static Dictionary<string, object?> Skip(ref Utf8JsonReader r)
        {
            r.Skip();
            return new Dictionary<string, object?>(StringComparer.Ordinal);
        }
    }
}
