using CommCare.Models;
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Threading.Tasks;
using System.Xml;
using CommCare.Client.Http;

namespace CommCare.Client.Api
{
    /// <summary>The Form Submission API: XForm instances (with attachments) to /a/{domain}/receiver/api/ (docs/commcare-api.md#form-submission).</summary>
    public sealed class SubmissionsApi
    {
        public const long MaxXmlBytes = 10L * 1024 * 1024;          // MAX_UPLOAD_SIZE
        public const long MaxAttachmentBytes = 15L * 1024 * 1024;   // MAX_UPLOAD_SIZE_ATTACHMENT
        internal const string MetaNs = "http://openrosa.org/jr/xforms";
        internal const string CaseNs = "http://commcarehq.org/case/transaction/v2";
        private const string DuplicatePrefix = "Form is a duplicate of another!";

        private readonly CommCareClient _c;
        internal SubmissionsApi(CommCareClient c) => _c = c;

        /// <summary>Checks a form instance before sending: well-formed, a root namespace, an instanceID.</summary>
        public static string? Problem(byte[] xml, out string? instanceId, out string? xmlns)
        {
            instanceId = null; xmlns = null;
            if (xml.Length == 0) return "the form XML is empty.";
            if (xml.Length > MaxXmlBytes) return $"the form XML is {xml.Length / 1048576.0:0.0} MB; CommCare accepts at most 10 MB.";
            try
            {
                var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, IgnoreComments = true };
                using var reader = XmlReader.Create(new MemoryStream(xml), settings);
                bool root = true;
                while (reader.Read())
                {
                    if (reader.NodeType != XmlNodeType.Element) continue;
                    if (root)
                    {
                        root = false;
                        xmlns = reader.NamespaceURI;
                        if (string.IsNullOrEmpty(xmlns)) return $"the root element <{reader.LocalName}> has no xmlns; CommCare needs the form's namespace (e.g. xmlns=\"http://example.org/my-form\").";
                    }
                    else if (reader.LocalName == "instanceID" && reader.NamespaceURI == MetaNs && instanceId == null)
                    {
                        instanceId = reader.ReadElementContentAsString().Trim();
                        if (instanceId.Length == 0) instanceId = null;
                    }
                }
                if (root) return "the form XML has no root element.";
            }
            catch (XmlException ex)
            {
                return "the form XML is not well-formed: " + ex.Message;
            }
            return null;
        }

        /// <summary>
        /// Submits one form. The request body is built once and every retry sends the identical bytes, so a
        /// retry after a lost answer is a duplicate (ignored by CommCare), never an edit. A form without an
        /// instanceID is not retried after the server may have seen it.
        /// </summary>
        public CCFormSubmissionResult Submit(byte[] xml, IReadOnlyList<KeyValuePair<string, string>> attachments, string? source)
        {
            var problem = Problem(xml, out var instanceId, out _);
            if (problem != null) throw new CCApiException(CCErrorKind.InvalidArgument, problem);
            var names = new List<string>();
            var body = new MultipartBody().File("xml_submission_file", "form.xml", "text/xml", xml);
            foreach (var a in attachments)
            {
                var info = new FileInfo(a.Value);
                if (!info.Exists) throw new CCApiException(CCErrorKind.InvalidArgument, $"-Attachment: '{a.Value}' does not exist.");
                if (info.Length > MaxAttachmentBytes) throw new CCApiException(CCErrorKind.InvalidArgument, $"-Attachment: '{a.Value}' is {info.Length / 1048576.0:0.0} MB; CommCare accepts at most 15 MB per attachment.");
                if (a.Key == "xml_submission_file" || names.Contains(a.Key)) throw new CCApiException(CCErrorKind.InvalidArgument, $"-Attachment: two attachments are named '{a.Key}'; each needs its own name.");
                names.Add(a.Key);
                body.File(a.Key, a.Key, ContentTypeFor(a.Key), File.ReadAllBytes(a.Value));
            }
            // receiver/api/, not the receiver/submission alias whose slash rule is unconfirmed (docs/commcare-api.md U32).
            var uri = new Uri(_c.Session.Server, "a/" + Paging.QueryString.Segment(_c.Session.Domain) + "/receiver/api/");
            var result = SendAsync(uri, body.ToContent(), instanceId).WaitPumping(_c.Sink);
            result.Source = source;
            result.Attachments = names;
            return result;
        }

        private async Task<CCFormSubmissionResult> SendAsync(Uri uri, HttpContent body, string? instanceId)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = body };
            var info = RequestInfo.For(request);
            info.Sink = _c.Sink;
            // What id HQ gives a form without an instanceID is unconfirmed (docs/commcare-api.md U30).
            // Identical bytes with an instanceID: CommCare treats a repeat as a duplicate of the first.
            info.SafeToRepeat = instanceId != null;
            HttpResponseMessage sent;
            try { sent = await CCRequest.SendAsync(_c.Engine, request, _c.Token).ConfigureAwait(false); }
            catch (CCApiException ex) when (ex.StatusCode is HttpStatusCode s && (int)s >= 200 && (int)s < 300)
            {
                // The form was received (2xx) but the answer stalled or broke off.
                throw new CCApiException(instanceId != null ? ex.Kind : CCErrorKind.OutcomeUnknown,
                    $"CommCare's answer to the form submission broke off or stalled (status {(int)s}); submit the same form again to be sure: a repeat is recognised as a duplicate.", s, inner: ex);
            }
            using var response = sent;
            int code = (int)response.StatusCode;
            // The attempt has read the body whole.
            string text = response.Content == null ? "" : await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            var (nature, message) = ParseOpenRosa(text);
            string what = "POST " + Redaction.PathAndQuery(uri);
            if (code == 401 || code == 403 || code == 404 || code == 429 || (code >= 500 && nature == null))
                throw ApiErrors.Create(_c.Engine, request, response.StatusCode, text);
            var result = new CCFormSubmissionResult
            {
                StatusCode = code, Nature = nature, Message = message, InstanceId = instanceId,
                // Never the Location header, whose value is unconfirmed (docs/commcare-api.md U31).
                FormId = Header(response, "X-CommCareHQ-FormID") ?? instanceId,
            };
            if (code >= 200 && code < 300 && nature == "submit_success") return result;
            if (code >= 200 && code < 300 && message != null && message.StartsWith(DuplicatePrefix, StringComparison.Ordinal))
            {
                result.IsDuplicate = true;
                result.Nature = "submit_success";
                _c.Sink.Verbose($"CommCare already had form {instanceId}: the submission was a duplicate and changed nothing.");
                return result;
            }
            string said = message ?? (string.IsNullOrWhiteSpace(text) ? "(no message)" : Redaction.Text(text.Length > 500 ? text.Substring(0, 500) : text));
            var kind = code == 413 ? CCErrorKind.InvalidArgument : code >= 500 ? CCErrorKind.Server : CCErrorKind.BadRequest;
            throw new CCApiException(kind,
                $"CommCare did not accept form {instanceId ?? "(no instanceID)"} ({code}{(nature == null ? "" : ", " + nature)}): {said}",
                response.StatusCode, said, what);
        }

        private static string? Header(HttpResponseMessage r, string name)
            => r.Headers.TryGetValues(name, out var v) ? string.Join(",", v) : null;

        /// <summary>The nature and text of an OpenRosaResponse; (null, plain text) for other bodies.</summary>
        internal static (string? Nature, string? Message) ParseOpenRosa(string text)
        {
            if (string.IsNullOrWhiteSpace(text)) return (null, null);
            string t = text.TrimStart();
            if (!t.StartsWith("<", StringComparison.Ordinal)) return (null, t.Length > 500 ? t.Substring(0, 500) : t.TrimEnd());
            try
            {
                var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
                using var reader = XmlReader.Create(new StringReader(t), settings);
                while (reader.Read())
                    if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "message")
                    {
                        string? nature = reader.GetAttribute("nature");
                        return (nature, reader.ReadElementContentAsString().Trim());
                    }
            }
            catch (XmlException) { }
            return (null, null);
        }

        /// <summary>Types CommCare accepts for attachments (image/audio/video/pdf, else octet-stream, which it also accepts).</summary>
        internal static string ContentTypeFor(string name)
        {
            switch (Path.GetExtension(name).ToLowerInvariant())
            {
                case ".jpg": case ".jpeg": return "image/jpeg";
                case ".png": return "image/png";
                case ".pdf": return "application/pdf";
                case ".mp3": return "audio/mpeg";
                case ".wav": return "audio/wav";
                case ".amr": return "audio/amr";
                case ".ogg": return "audio/ogg";
                case ".3ga": return "audio/3gpp";
                case ".3gp": case ".3gpp": return "video/3gpp";
                case ".mp4": case ".m4v": case ".mpg4": case ".mpeg4": return "video/mp4";
                case ".mpg": case ".mpeg": return "video/mpeg";
                default: return "application/octet-stream";
            }
        }

        // ------------------------------------------------------------------ forms from case changes

        /// <summary>
        /// An XForm instance with one Case XML 2.0 block per change (create/update/index/close), a fresh
        /// instanceID, and case ids made here for new cases (so the form can be resubmitted without making
        /// them twice). Indices may name a case by case id, or by the temporary id of a case created in the same form.
        /// </summary>
        public static CCFormSubmission BuildCaseForm(IReadOnlyList<CCCaseChange> changes, string xmlns, string? userName, string? userId, string deviceId)
        {
            var now = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
            string instanceId = Guid.NewGuid().ToString();
            var ids = new List<string>();
            var temp = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var c in changes)
            {
                if (c.Mode == CCCaseWriteMode.Upsert) throw new CCApiException(CCErrorKind.InvalidArgument, "A form cannot find a case by external id; give -CaseId, or use Set-CCCase -Upsert.");
                var problem = CasesV2Api.Problem(c, out var parameter);
                if (problem != null) throw new CCApiException(CCErrorKind.InvalidArgument, $"-{parameter}: {problem}");
                if (c.Mode == CCCaseWriteMode.Update && string.IsNullOrEmpty(c.CaseId)) throw new CCApiException(CCErrorKind.InvalidArgument, "-CaseId: a form changes a case by its id.");
                string id = c.Mode == CCCaseWriteMode.Create ? Guid.NewGuid().ToString() : c.CaseId!;
                ids.Add(id);
                if (!string.IsNullOrEmpty(c.TemporaryId)) temp[c.TemporaryId!] = id;
            }
            var sb = new StringBuilder();
            var settings = new XmlWriterSettings { OmitXmlDeclaration = false, Indent = true, Encoding = new UTF8Encoding(false) };
            using (var sw = new StringWriterUtf8(sb))
            using (var w = XmlWriter.Create(sw, settings))
            {
                w.WriteStartDocument();
                w.WriteStartElement("data", xmlns);
                w.WriteAttributeString("xmlns", "jrm", null, "http://dev.commcarehq.org/jr/xforms");
                w.WriteAttributeString("name", "Case update");
                w.WriteAttributeString("uiVersion", "1");
                w.WriteAttributeString("version", "1");
                for (int i = 0; i < changes.Count; i++)
                {
                    var c = changes[i];
                    w.WriteStartElement("case", CaseNs);
                    w.WriteAttributeString("case_id", ids[i]);
                    w.WriteAttributeString("date_modified", now);
                    if (userId != null) w.WriteAttributeString("user_id", userId);
                    if (c.Mode == CCCaseWriteMode.Create)
                    {
                        w.WriteStartElement("create", CaseNs);
                        w.WriteElementString("case_type", CaseNs, c.CaseType);
                        w.WriteElementString("case_name", CaseNs, c.CaseName);
                        w.WriteElementString("owner_id", CaseNs, c.OwnerId);
                        w.WriteEndElement();
                    }
                    bool update = c.Properties.Count > 0 || c.ExternalId != null || (c.Mode == CCCaseWriteMode.Update && (c.CaseName != null || c.CaseType != null || c.OwnerId != null));
                    if (update)
                    {
                        w.WriteStartElement("update", CaseNs);
                        if (c.Mode == CCCaseWriteMode.Update)
                        {
                            if (c.CaseType != null) w.WriteElementString("case_type", CaseNs, c.CaseType);
                            if (c.CaseName != null) w.WriteElementString("case_name", CaseNs, c.CaseName);
                            if (c.OwnerId != null) w.WriteElementString("owner_id", CaseNs, c.OwnerId);
                        }
                        if (c.ExternalId != null) w.WriteElementString("external_id", CaseNs, c.ExternalId);
                        foreach (var kv in c.Properties) w.WriteElementString(kv.Key, CaseNs, kv.Value);
                        w.WriteEndElement();
                    }
                    if (c.Indices.Count > 0)
                    {
                        w.WriteStartElement("index", CaseNs);
                        foreach (var kv in c.Indices)
                        {
                            var ix = kv.Value;
                            string target = "";
                            if (!string.IsNullOrEmpty(ix.CaseId)) target = ix.CaseId!;
                            else if (!string.IsNullOrEmpty(ix.TemporaryId))
                            {
                                if (!temp.TryGetValue(ix.TemporaryId!, out target!))
                                    throw new CCApiException(CCErrorKind.InvalidArgument, $"-Index: temporary id '{ix.TemporaryId}' names no case created in this form.");
                            }
                            else if (!string.IsNullOrEmpty(ix.ExternalId))
                                throw new CCApiException(CCErrorKind.InvalidArgument, $"-Index: a form's index must give the case id (index '{kv.Key}' gives an external id).");
                            w.WriteStartElement(kv.Key, CaseNs);
                            if (ix.CaseType != null) w.WriteAttributeString("case_type", ix.CaseType);
                            w.WriteAttributeString("relationship", ix.Relationship);
                            w.WriteString(target);
                            w.WriteEndElement();
                        }
                        w.WriteEndElement();
                    }
                    if (c.Close) { w.WriteStartElement("close", CaseNs); w.WriteEndElement(); }
                    w.WriteEndElement();
                }
                w.WriteStartElement("n0", "meta", MetaNs);
                w.WriteElementString("deviceID", MetaNs, deviceId);
                w.WriteElementString("timeStart", MetaNs, now);
                w.WriteElementString("timeEnd", MetaNs, now);
                if (userName != null) w.WriteElementString("username", MetaNs, userName);
                if (userId != null) w.WriteElementString("userID", MetaNs, userId);
                w.WriteElementString("instanceID", MetaNs, instanceId);
                w.WriteEndElement();
                w.WriteEndElement();
                w.WriteEndDocument();
            }
            return new CCFormSubmission(sb.ToString(), instanceId, ids, xmlns);
        }

        private sealed class StringWriterUtf8 : StringWriter
        {
            public StringWriterUtf8(StringBuilder sb) : base(sb, CultureInfo.InvariantCulture) { }
            public override Encoding Encoding => new UTF8Encoding(false);
        }
    }
}
