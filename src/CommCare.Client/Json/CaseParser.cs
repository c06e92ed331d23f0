using CommCare.Models;
using System;
using System.Collections.Generic;
using System.Text.Json;

namespace CommCare.Client.Json
{
    /// <summary>Case v1 / v0.5 JSON → CCCase (docs/commcare-api.md#case-api-v1).</summary>
    internal static class CaseParser
    {
        public static CCCase Read(ref Utf8JsonReader r)
        {
            JsonValue.Expect(ref r, JsonTokenType.StartObject);
            var c = new CCCase();
            string? caseId = null;
            while (r.Read() && r.TokenType != JsonTokenType.EndObject)
            {
                string name = JsonValue.Name(ref r);
                JsonValue.Value(ref r);
                switch (name)
                {
                    case "id": c.Id = JsonValue.ReadString(ref r) ?? ""; break;
                    case "case_id": caseId = JsonValue.ReadString(ref r); break;
                    case "domain": c.Domain = JsonValue.ReadString(ref r); break;
                    case "user_id": c.UserId = JsonValue.ReadString(ref r); break;
                    case "opened_by": c.OpenedBy = JsonValue.ReadString(ref r); break;
                    case "closed": c.Closed = JsonValue.ReadBool(ref r); break;
                    case "closed_by": c.ClosedBy = JsonValue.ReadString(ref r); break;
                    case "date_closed": c.DateClosed = JsonValue.ReadDate(ref r); break;
                    case "date_modified": c.DateModified = JsonValue.ReadDate(ref r); break;
                    case "server_date_modified": c.ServerDateModified = JsonValue.ReadDate(ref r); break;
                    case "server_date_opened": c.ServerDateOpened = JsonValue.ReadDate(ref r); break;
                    case "indexed_on": c.IndexedOn = JsonValue.ReadDate(ref r); break;
                    case "xform_ids": c.XFormIds = JsonValue.ReadStringList(ref r); break;
                    case "properties": ReadProperties(ref r, c); break;
                    case "indices": c.Indices = ReadIndices(ref r); break;
                    case "resource_uri": c.ResourceUri = JsonValue.ReadString(ref r); break;
                    case "child_cases": c.ChildCases = ReadCaseMap(ref r); break;
                    case "parent_cases": c.ParentCases = ReadCaseMap(ref r); break;
                    case "xforms_by_name": c.FormsByName = ReadFormMap(ref r); break;
                    case "xforms_by_xmlns": c.FormsByXmlns = ReadFormMap(ref r); break;
                    // Present only in the XML output, but tolerated when a server sends them at top level.
                    case "case_name": c.Name ??= JsonValue.ReadString(ref r); break;
                    case "case_type": c.CaseType ??= JsonValue.ReadString(ref r); break;
                    case "owner_id": c.OwnerId ??= JsonValue.ReadString(ref r); break;
                    default:
                        (c.AdditionalFields ??= new Dictionary<string, object?>(StringComparer.Ordinal))[name] = JsonValue.Read(ref r);
                        break;
                }
            }
            if (c.Id.Length == 0 && caseId != null) c.Id = caseId;
            return c;
        }

        static CaseParser()
        {
            CCCase.PropertiesParser = ParseProperties;
        }

        /// <summary>The properties object of a case read from whole page bytes: the typed fields are lifted
        /// now, the rest kept as JSON and parsed into the dictionary on first use (CCCase.Properties).</summary>
        private static void ReadProperties(ref Utf8JsonReader r, CCCase c)
        {
            if (!RecordSource.Available || r.TokenType != JsonTokenType.StartObject) { ReadPropertiesNow(ref r, c); return; }
            long start = r.TokenStartIndex;
            while (r.Read() && r.TokenType != JsonTokenType.EndObject)
            {
                if (r.ValueTextEquals("case_name"u8)) { r.Read(); c.Name = JsonValue.ReadString(ref r); }
                else if (r.ValueTextEquals("case_type"u8)) { r.Read(); c.CaseType = JsonValue.ReadString(ref r); }
                else if (r.ValueTextEquals("owner_id"u8)) { r.Read(); c.OwnerId = JsonValue.ReadString(ref r); }
                else if (r.ValueTextEquals("external_id"u8)) { r.Read(); c.ExternalId = JsonValue.ReadString(ref r); }
                else if (r.ValueTextEquals("date_opened"u8))
                {
                    r.Read();
                    if (r.TokenType == JsonTokenType.String && IsoDate.TryParse(r.GetString(), out var d)) c.DateOpened = d;
                    else r.Skip();   // not a date: the dictionary keeps the raw value when it is parsed
                }
                else { r.Read(); r.Skip(); }
            }
            c.SetPropertiesJson(RecordSource.Copy(start, r.BytesConsumed));
        }

        /// <summary>CCCase.PropertiesParser: the dictionary exactly as ReadPropertiesNow builds it.</summary>
        private static IDictionary<string, object?> ParseProperties(byte[] json)
        {
            var r = new Utf8JsonReader(json);
            r.Read();
            var scratch = new CCCase();
            ReadPropertiesNow(ref r, scratch);
            return scratch.Properties;
        }

        private static void ReadPropertiesNow(ref Utf8JsonReader r, CCCase c)
        {
            if (r.TokenType != JsonTokenType.StartObject) { r.Skip(); return; }
            // Sized like the previous case's (cases of a list share their properties): no rehash garbage.
            var props = new Dictionary<string, object?>(_lastPropertyCount, StringComparer.Ordinal);
            while (r.Read() && r.TokenType != JsonTokenType.EndObject)
            {
                string name = JsonValue.Name(ref r);
                JsonValue.Value(ref r);
                switch (name)
                {
                    case "case_name": c.Name = JsonValue.ReadString(ref r); break;
                    case "case_type": c.CaseType = JsonValue.ReadString(ref r); break;
                    case "owner_id": c.OwnerId = JsonValue.ReadString(ref r); break;
                    case "external_id": c.ExternalId = JsonValue.ReadString(ref r); break;
                    case "date_opened":
                        // Keep the raw text too if it is not a date (it is user-settable).
                        if (r.TokenType == JsonTokenType.String)
                        {
                            var raw = r.GetString();
                            if (IsoDate.TryParse(raw, out var d)) c.DateOpened = d;
                            else props[name] = raw;
                        }
                        else props[name] = JsonValue.Read(ref r);   // null or odd types: keep, don't drop
                        break;
                    default: props[name] = JsonValue.Read(ref r); break;
                }
            }
            c.Properties = props;
            _lastPropertyCount = props.Count;
        }

        [ThreadStatic] private static int _lastPropertyCount;

        internal static IDictionary<string, CCCaseIndex> ReadIndices(ref Utf8JsonReader r)
        {
            var map = new Dictionary<string, CCCaseIndex>(StringComparer.Ordinal);
            if (r.TokenType != JsonTokenType.StartObject) { r.Skip(); return map; }
            while (r.Read() && r.TokenType != JsonTokenType.EndObject)
            {
                var idx = new CCCaseIndex { Identifier = JsonValue.Name(ref r) };
                JsonValue.Value(ref r);
                if (r.TokenType == JsonTokenType.StartObject)
                {
                    while (r.Read() && r.TokenType != JsonTokenType.EndObject)
                    {
                        string name = JsonValue.Name(ref r);
                        JsonValue.Value(ref r);
                        switch (name)
                        {
                            case "case_id": idx.CaseId = JsonValue.ReadString(ref r); break;
                            case "case_type": idx.CaseType = JsonValue.ReadString(ref r); break;
                            case "relationship": idx.Relationship = JsonValue.ReadString(ref r); break;
                            default: r.Skip(); break;
                        }
                    }
                }
                else r.Skip();
                map[idx.Identifier] = idx;
            }
            return map;
        }

        private static IDictionary<string, CCCase> ReadCaseMap(ref Utf8JsonReader r)
        {
            var map = new Dictionary<string, CCCase>(StringComparer.Ordinal);
            if (r.TokenType != JsonTokenType.StartObject) { r.Skip(); return map; }
            while (r.Read() && r.TokenType != JsonTokenType.EndObject)
            {
                string key = JsonValue.Name(ref r);
                JsonValue.Value(ref r);
                if (r.TokenType == JsonTokenType.StartObject) map[key] = Read(ref r);
                else r.Skip();
            }
            return map;
        }

        private static IDictionary<string, IReadOnlyList<CCForm>> ReadFormMap(ref Utf8JsonReader r)
        {
            var map = new Dictionary<string, IReadOnlyList<CCForm>>(StringComparer.Ordinal);
            if (r.TokenType != JsonTokenType.StartObject) { r.Skip(); return map; }
            while (r.Read() && r.TokenType != JsonTokenType.EndObject)
            {
                string key = JsonValue.Name(ref r);
                JsonValue.Value(ref r);
                var list = new List<CCForm>();
                if (r.TokenType == JsonTokenType.StartArray)
                    while (r.Read() && r.TokenType != JsonTokenType.EndArray) list.Add(FormParser.Read(ref r));
                else r.Skip();
                map[key] = list;
            }
            return map;
        }
    }
}
