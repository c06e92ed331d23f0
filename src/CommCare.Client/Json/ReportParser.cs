using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;
using CommCare.Models;

namespace CommCare.Client.Json
{
    /// <summary>UCR report definition JSON (simplereportconfiguration) → CCReport with its filters and columns.</summary>
    internal static class ReportParser
    {
        internal static CCReport Read(ref Utf8JsonReader r)
        {
            var o = JsonValue.ReadObject(ref r);
            var rep = new CCReport
            {
                Id = (JsonValue.Str(o, "id") ?? ""),
                Title = JsonValue.Str(o, "title"),
                ResourceUri = JsonValue.Str(o, "resource_uri"),
            };
            var filters = new List<CCReportFilter>();
            if (o.TryGetValue("filters", out var fl) && fl is List<object?> fs)
                foreach (var f in fs)
                    if (f is Dictionary<string, object?> fd)
                        filters.Add(new CCReportFilter { Slug = (JsonValue.Str(fd, "slug") ?? ""), Type = JsonValue.Str(fd, "type"), Datatype = JsonValue.Str(fd, "datatype") });
            var columns = new List<CCReportColumn>();
            if (o.TryGetValue("columns", out var cl) && cl is List<object?> cs)
                foreach (var c in cs)
                    if (c is Dictionary<string, object?> cd)
                        columns.Add(new CCReportColumn { ColumnId = (JsonValue.Str(cd, "column_id") ?? ""), Display = JsonValue.Str(cd, "display"), Type = JsonValue.Str(cd, "type") });
            rep.Filters = filters;
            rep.Columns = columns;
            return rep;
        }
    }
}
