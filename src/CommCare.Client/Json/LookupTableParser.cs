using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;
using CommCare.Models;

namespace CommCare.Client.Json
{
    /// <summary>Lookup table JSON (lookup_table, lookup_table_item) → CCLookupTable, CCLookupTableItem.</summary>
    internal static class LookupTableParser
    {
        internal static CCLookupTable ReadTable(ref Utf8JsonReader r)
        {
            var o = JsonValue.ReadObject(ref r);
            var t = new CCLookupTable
            {
                Id = (JsonValue.Str(o, "id") ?? ""),
                Tag = (JsonValue.Str(o, "tag") ?? ""),
                IsGlobal = JsonValue.Bool(o, "is_global"),
            };
            var fields = new List<CCLookupTableField>();
            if (o.TryGetValue("fields", out var fl) && fl is List<object?> fs)
                foreach (var f in fs)
                {
                    if (f is Dictionary<string, object?> fd)
                        fields.Add(new CCLookupTableField { Name = (JsonValue.Str(fd, "field_name") ?? ""), Properties = JsonValue.Strings(fd, "properties") });
                    else if (f is string fsn) fields.Add(new CCLookupTableField { Name = fsn });
                }
            t.Fields = fields;
            t.ItemAttributes = JsonValue.Strings(o, "item_attributes");
            return t;
        }

        internal static CCLookupTableItem ReadItem(ref Utf8JsonReader r)
        {
            var o = JsonValue.ReadObject(ref r);
            var item = new CCLookupTableItem
            {
                Id = (JsonValue.Str(o, "id") ?? ""),
                TableId = (JsonValue.Str(o, "data_type_id") ?? ""),
                SortKey = o.TryGetValue("sort_key", out var sk) && sk is long skl ? (int)skl : (int?)null,
            };
            if (o.TryGetValue("fields", out var fo) && fo is Dictionary<string, object?> fields)
                foreach (var kv in fields)
                {
                    var values = new List<CCLookupFieldValue>();
                    if (kv.Value is Dictionary<string, object?> fd && fd.TryGetValue("field_list", out var fl) && fl is List<object?> list)
                        foreach (var e in list)
                            if (e is Dictionary<string, object?> ed)
                            {
                                var v = new CCLookupFieldValue { Value = ed.TryGetValue("field_value", out var fv) ? Convert.ToString(fv, CultureInfo.InvariantCulture) : null };
                                if (ed.TryGetValue("properties", out var pr) && pr is Dictionary<string, object?> pd)
                                    foreach (var p in pd) v.Properties[p.Key] = Convert.ToString(p.Value, CultureInfo.InvariantCulture);
                                values.Add(v);
                            }
                    item.FieldValues[kv.Key] = values;
                    item.Fields[kv.Key] = values.Count > 0 ? values[0].Value : null;
                }
            if (o.TryGetValue("item_attributes", out var ia) && ia is Dictionary<string, object?> attrs)
                foreach (var kv in attrs) item.ItemAttributes[kv.Key] = Convert.ToString(kv.Value, CultureInfo.InvariantCulture);
            return item;
        }
    }
}
