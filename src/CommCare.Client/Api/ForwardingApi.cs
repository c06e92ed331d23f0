using CommCare.Models;
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using CommCare.Client.Json;

namespace CommCare.Client.Api
{
    /// <summary>
    /// What CommCare POSTs to a data-forwarding URL (docs/commcare-api.md#data-forwarding), turned into the objects the
    /// Get- cmdlets return: form XML and form JSON → CCForm, case JSON and case XML → CCCase, the form stub
    /// → its fields. For a webhook runbook, where the body arrives as text.
    /// </summary>
    public static class ForwardedPayload
    {
        private const string CaseNs = "http://commcarehq.org/case/transaction/v2";
        private const string MetaNs = "http://openrosa.org/jr/xforms";
        /// <summary>Forms nest groups and repeats a few levels; 512 is far beyond any real form and far below a stack's limit.</summary>
        internal const int MaxXmlDepth = 512;

        /// <summary>The record a payload carries. headers: Received-On / Server-Modified-On / Content-Type (any case);
        /// query: the forwarding URL's query string (form XML carries ?app_id=).</summary>
        public static object Convert(byte[] body, IDictionary<string, string>? headers, string? query)
        {
            if (body.Length == 0) throw new CCApiException(CCErrorKind.InvalidArgument, "-Body: the payload is empty.");
            string? Header(string name)
            {
                if (headers == null) return null;
                foreach (var kv in headers) if (string.Equals(kv.Key, name, StringComparison.OrdinalIgnoreCase)) return kv.Value;
                return null;
            }
            int start = 0;
            if (body.Length >= 3 && body[0] == 0xEF && body[1] == 0xBB && body[2] == 0xBF) start = 3;
            while (start < body.Length && (body[start] == ' ' || body[start] == '\t' || body[start] == '\r' || body[start] == '\n')) start++;
            if (start >= body.Length) throw new CCApiException(CCErrorKind.InvalidArgument, "-Body: the payload is blank.");
            var span = new ReadOnlySpan<byte>(body, start, body.Length - start);
            // Recognised by the body, not the Content-Type, whose value for the form stub is unconfirmed (docs/commcare-api.md U49).
            if (span[0] == (byte)'{') return FromJson(span.ToArray(), Header("Server-Modified-On"));
            if (span[0] == (byte)'<') return FromXml(span.ToArray(), Header("Received-On"), Header("Server-Modified-On"), query);
            throw new CCApiException(CCErrorKind.InvalidArgument, "-Body: the payload is neither JSON nor XML (an app-change forward carries only an app id; it needs no conversion).");
        }

        private static object FromJson(byte[] json, string? serverModifiedOn)
        {
            Dictionary<string, object?> peek;
            try
            {
                var r = new Utf8JsonReader(json);
                r.Read();
                peek = JsonValue.ReadObject(ref r);
            }
            catch (JsonException ex) { throw new CCApiException(CCErrorKind.InvalidArgument, "-Body: the JSON payload is not valid: " + ex.Message, inner: ex); }
            if (peek.ContainsKey("form") && (peek.ContainsKey("received_on") || peek.ContainsKey("metadata")))
            {
                var r = new Utf8JsonReader(json);
                r.Read();
                using (RecordSource.Use(json)) return FormParser.Read(ref r);
            }
            if (peek.ContainsKey("case_id") || peek.ContainsKey("properties"))
            {
                var r = new Utf8JsonReader(json);
                r.Read();
                var c = CaseParser.Read(ref r);
                if (c.ServerDateModified == null && serverModifiedOn != null && IsoDate.TryParse(serverModifiedOn, out var smo)) c.ServerDateModified = smo;
                // A full-state forward always has the type, name, owner, closed flag and indices; a "case update" forward
                // (unconfirmed: docs/commcare-api.md U50) may carry only the changed properties.
                var props = peek.TryGetValue("properties", out var po) ? po as Dictionary<string, object?> : null;
                c.IsPartial = props == null || !props.ContainsKey("case_type") || !props.ContainsKey("case_name") || !props.ContainsKey("owner_id")
                              || !peek.ContainsKey("closed") || !peek.ContainsKey("indices");
                return c;
            }
            if (peek.ContainsKey("form_id"))
            {
                // The form stub: the form and the cases it touched, without their contents.
                var stub = new Dictionary<string, object?>(StringComparer.Ordinal)
                {
                    ["FormId"] = peek["form_id"],
                    ["CaseIds"] = peek.TryGetValue("case_ids", out var ids) ? ids : new List<object?>(),
                    ["ReceivedOn"] = peek.TryGetValue("received_on", out var ro) && ro is string s && IsoDate.TryParse(s, out var d) ? (object)d : null,
                };
                return stub;
            }
            throw new CCApiException(CCErrorKind.InvalidArgument, "-Body: this JSON is not a forwarded form, case or form stub.");
        }

        private static object FromXml(byte[] xml, string? receivedOn, string? serverModifiedOn, string? query)
        {
            XElement root;
            try
            {
                var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
                // Depth first, with a flat reader: a tree (and Element() below) is built by recursion, and a
                // payload nested thousands deep would end the whole process with a stack overflow. A webhook
                // receives whatever anyone posts to it.
                using (var scan = XmlReader.Create(new MemoryStream(xml), settings))
                    while (scan.Read())
                        if (scan.Depth > MaxXmlDepth)
                            throw new CCApiException(CCErrorKind.InvalidArgument, $"-Body: the XML payload is nested more than {MaxXmlDepth} levels deep; no CommCare form or case is. It was not read.");
                using var reader = XmlReader.Create(new MemoryStream(xml), settings);
                root = XElement.Load(reader, LoadOptions.PreserveWhitespace);
            }
            catch (XmlException ex) { throw new CCApiException(CCErrorKind.InvalidArgument, "-Body: the XML payload is not well-formed: " + ex.Message, inner: ex); }
            if (root.Name.LocalName == "case" && root.Name.NamespaceName == CaseNs) return CaseFromXml(root, serverModifiedOn);
            return FormFromXml(root, receivedOn, query);
        }

        /// <summary>A form instance as the Form API shows it (HQ's xml2json: '#type', '@xmlns', '@attr', '#text').</summary>
        private static CCForm FormFromXml(XElement root, string? receivedOn, string? query)
        {
            var f = new CCForm
            {
                Xmlns = root.Name.NamespaceName.Length > 0 ? root.Name.NamespaceName : null,
                Name = (string?)root.Attribute("name"),
                Type = root.Name.LocalName,
                Version = (string?)root.Attribute("version"),
                UiVersion = (string?)root.Attribute("uiVersion"),
            };
            f.Form = (IDictionary<string, object?>)Element(root, null, isRoot: true);
            if (receivedOn != null && IsoDate.TryParse(receivedOn, out var ro)) f.ReceivedOn = ro;
            if (query != null)
                foreach (var part in query.TrimStart('?').Split('&'))
                    if (part.StartsWith("app_id=", StringComparison.Ordinal)) f.AppId = Uri.UnescapeDataString(part.Substring(7));
            var meta = root.Elements().FirstOrDefault(e => e.Name.LocalName == "meta" && e.Name.NamespaceName == MetaNs);
            if (meta != null)
            {
                string? M(string n) => meta.Elements().FirstOrDefault(e => e.Name.LocalName == n)?.Value;
                DateTime? D(string n) => IsoDate.TryParse(M(n), out var d) ? d : (DateTime?)null;
                f.Metadata = new CCFormMetadata
                {
                    DeviceId = M("deviceID"), UserName = M("username"), UserId = M("userID"), InstanceId = M("instanceID"),
                    AppVersion = M("appVersion"), TimeStart = D("timeStart"), TimeEnd = D("timeEnd"), DeprecatedId = M("deprecatedID"),
                };
                f.Id = f.Metadata.InstanceId ?? "";
            }
            return f;
        }

        private static object Element(XElement e, XNamespace? parentNs, bool isRoot)
        {
            var attrs = e.Attributes().Where(a => !a.IsNamespaceDeclaration).ToList();
            var children = e.Elements().ToList();
            if (!isRoot && attrs.Count == 0 && children.Count == 0)
            {
                string v = e.Value;
                return string.IsNullOrWhiteSpace(v) && v.IndexOf('\n') >= 0 ? "" : v;
            }
            // Keys sorted, as the Form API sends them (the examples from HQ's own docs are in that order).
            var d = new SortedDictionary<string, object?>(StringComparer.Ordinal);
            if (isRoot) d["#type"] = e.Name.LocalName;
            if ((isRoot || e.Name.Namespace != parentNs) && e.Name.NamespaceName.Length > 0) d["@xmlns"] = e.Name.NamespaceName;
            foreach (var a in attrs) d["@" + a.Name.LocalName] = a.Value;
            foreach (var c in children)
            {
                string key = c.Name.LocalName;
                object value = Element(c, e.Name.Namespace, false);
                if (!d.TryGetValue(key, out var prev)) d[key] = value;
                else if (prev is List<object?> list) list.Add(value);
                else d[key] = new List<object?> { prev, value };
            }
            string text = string.Concat(e.Nodes().OfType<XText>().Select(t => t.Value));
            if (!string.IsNullOrWhiteSpace(text)) d["#text"] = children.Count > 0 ? text.Trim() : text;
            return new Dictionary<string, object?>(d, StringComparer.Ordinal);
        }

        /// <summary>A case block with the case's full state (create + update + index + close) as a CCCase.</summary>
        internal static CCCase CaseFromXml(XElement block, string? serverModifiedOn)
        {
            XNamespace ns = CaseNs;
            var c = new CCCase { Id = (string?)block.Attribute("case_id") ?? "", UserId = (string?)block.Attribute("user_id") };
            if (IsoDate.TryParse((string?)block.Attribute("date_modified"), out var dm)) c.DateModified = dm;
            if (serverModifiedOn != null && IsoDate.TryParse(serverModifiedOn, out var smo)) c.ServerDateModified = smo;
            var props = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var part in new[] { "create", "update" })
            {
                var p = block.Element(ns + part);
                if (p == null) continue;
                foreach (var e in p.Elements())
                {
                    string v = e.Value;
                    switch (e.Name.LocalName)
                    {
                        case "case_type": c.CaseType = v; break;
                        case "case_name": c.Name = v; break;
                        case "owner_id": c.OwnerId = v; break;
                        case "external_id": c.ExternalId = v; break;
                        case "date_opened":
                            if (IsoDate.TryParse(v, out var d)) c.DateOpened = d; else props["date_opened"] = v;
                            break;
                        default: props[e.Name.LocalName] = v; break;
                    }
                }
            }
            c.Properties = props;
            var indices = new Dictionary<string, CCCaseIndex>(StringComparer.Ordinal);
            var index = block.Element(ns + "index");
            if (index != null)
                foreach (var e in index.Elements())
                    if (e.Value.Length > 0)
                        indices[e.Name.LocalName] = new CCCaseIndex { Identifier = e.Name.LocalName, CaseId = e.Value, CaseType = (string?)e.Attribute("case_type"), Relationship = (string?)e.Attribute("relationship") ?? "child" };
            c.Indices = indices;
            c.Closed = block.Element(ns + "close") != null;
            // Full state always opens with a create block naming type, name and owner; without it, only what changed (U50).
            var create = block.Element(ns + "create");
            c.IsPartial = create == null || create.Element(ns + "case_type") == null || create.Element(ns + "case_name") == null || create.Element(ns + "owner_id") == null;
            return c;
        }
    }
}
