using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;
using CommCare.Models;

namespace CommCare.Client.Json
{
    /// <summary>DET export instance JSON (det_export_instance/v1) → CCExportInstance.</summary>
    internal static class ExportInstanceParser
    {
        internal static CCExportInstance Read(ref Utf8JsonReader r)
        {
            var o = JsonValue.ReadObject(ref r);
            return new CCExportInstance
            {
                Id = JsonValue.Str(o, "id") ?? "",
                Name = JsonValue.Str(o, "name"),
                Type = JsonValue.Str(o, "type"),
                ExportFormat = JsonValue.Str(o, "export_format"),
                IsDeidentified = JsonValue.Bool(o, "is_deidentified"),
                CaseType = JsonValue.Str(o, "case_type"),
                Xmlns = JsonValue.Str(o, "xmlns"),
                DetConfigUrl = JsonValue.Str(o, "det_config_url"),
            };
        }
    }
}
