using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace CommCare.Emulator;

/// <summary>The part of a form record that only forms received as XML have (receiver, Case API, case importer).</summary>
public sealed class SubmittedForm
{
    public required byte[] Xml { get; init; }
    public required string Md5 { get; init; }
    /// <summary>The root element's local name (<c>#type</c>, the form's <c>type</c>).</summary>
    public required string RootName { get; init; }
    public string? UiVersion { get; init; }
    /// <summary>The <c>form</c> object (the instance converted to JSON, keys sorted).</summary>
    public required byte[] FormJson { get; init; }
    public required List<CaseBlock> Blocks { get; init; }
    public required string InstanceId { get; init; }
    public string? AppVersion { get; init; }
    public int? AppBuildVersion { get; init; }
    public string? CommCareVersion { get; init; }
    public string? DeviceId { get; init; }
    public string? Location { get; init; }
    public string? UserId { get; init; }
    public string? Username { get; init; }
    /// <summary>Set on the new version of an edited form: the id of the deprecated copy.</summary>
    public string? DeprecatedId { get; set; }
    /// <summary>error / duplicate / submission_error forms: the <c>problem</c> text.</summary>
    public string? Problem { get; set; }
    /// <summary><c>normal</c>, <c>error</c>, <c>duplicate</c>, <c>deprecated</c> or <c>submission_error</c>.</summary>
    public string Kind { get; set; } = "normal";
}

public enum SubmissionOutcome { Success, Duplicate, ProcessingError, SubmissionError, DeviceLog }

/// <summary>A submission as the receiver (or the Case API / importer) hands it over.</summary>
public sealed record SubmissionInput(byte[] Xml, List<Attachment> Attachments, string? AppId, string? AuthUserId, string SubmitIp, bool IsPhone);

/// <summary>What came of a submission. <see cref="Data"/> is the snapshot after a successful write.</summary>
public sealed record SubmissionResult(SubmissionOutcome Outcome, string FormId, string? Problem, DomainData? Data, List<string> CaseIds);

/// <summary>
/// Form processing (docs/commcare-api.md#form-submission): XML checks, duplicate / edit detection by instanceID, case processing with
/// all-or-nothing processing errors, and the new form in the form API.
/// </summary>
public static partial class Submissions
{
    public const string DeviceLogXmlns = "http://code.javarosa.org/devicereport";

    public static string NewId() => Guid.NewGuid().ToString("N");

    public static SubmissionResult Process(DomainStore store, SubmissionInput input)
    {
        XElement root;
        try
        {
            root = ParseXml(input.Xml);
        }
        catch (XmlException e)
        {
            return SubmissionError(store, input, "Invalid XML: " + e.Message);
        }
        var xmlns = root.Name.NamespaceName;
        if (xmlns.Length == 0) return SubmissionError(store, input, "Form is missing a required field: XMLNS");
        var meta = Meta(root);
        if (xmlns == DeviceLogXmlns)
        {
            return new SubmissionResult(SubmissionOutcome.DeviceLog, meta.InstanceId ?? NewId(), null, null, new List<string>());
        }

        var blocks = CaseXml.Parse(root);
        var formJson = XmlJson.Form(root);
        var md5 = Convert.ToHexStringLower(MD5.HashData(input.Xml));
        var attachments = input.Attachments.OrderBy(a => a.Name, StringComparer.Ordinal).ToArray();

        lock (store.Lock)
        {
            var tx = new DomainTx(store);
            var instanceId = string.IsNullOrWhiteSpace(meta.InstanceId) ? NewId() : meta.InstanceId.Trim();
            var formId = instanceId;
            var existing = tx.Base.FormById.TryGetValue(instanceId, out var ex) ? ex : null;
            FormRec? deprecated = null;
            if (existing is not null)
            {
                if (existing.Sub is { } es && es.Md5 == md5)
                {
                    // docs/commcare-api.md#form-submission: a byte-identical resubmission; a copy is kept under a new id, nothing changes.
                    var dupId = NewId();
                    var problem = $"Form is a duplicate of another! ({existing.Id})";
                    var dup = NewForm(tx, dupId, root, input, meta, blocks, formJson, md5, attachments);
                    dup.Sub!.Kind = "duplicate";
                    dup.Sub.Problem = problem;
                    store.HiddenForms[dupId] = dup;
                    return new SubmissionResult(SubmissionOutcome.Duplicate, dupId, problem, null, new List<string>());
                }
                if (existing.Xmlns == xmlns) deprecated = existing; // rule 2: an edit
                else formId = NewId();                            // rule 3: an id clash
            }
            else if (OtherDomainHasForm(store, instanceId))
            {
                formId = NewId(); // rule 4
            }

            var form = NewForm(tx, formId, root, input, meta, blocks, formJson, md5, attachments);
            var problemText = CaseEngine.Validate(tx, blocks);
            if (problemText is not null)
            {
                // An error form: stored (under the instanceID unless a live form has it), no case changes.
                var errorId = tx.Base.FormById.ContainsKey(formId) ? NewId() : formId;
                var err = NewForm(tx, errorId, root, input, meta, blocks, formJson, md5, attachments);
                err.Sub!.Kind = "error";
                err.Sub.Problem = problemText;
                store.HiddenForms[errorId] = err;
                return new SubmissionResult(SubmissionOutcome.ProcessingError, errorId, problemText, null, new List<string>());
            }

            List<string> touched;
            if (deprecated is not null)
            {
                // The old version is kept as a deprecated copy under a new id; the new one takes over the id, keeps the
                // original received_on, and every case either version touched is rebuilt from its form history.
                var depId = NewId();
                var copy = deprecated.Clone();
                copy.Id = depId;
                copy.JsonSlot = null;
                if (copy.Sub is not null)
                {
                    copy.Sub = CopyOf(copy.Sub);
                    copy.Sub.Kind = "deprecated";
                }
                else
                {
                    // a generated form: keep the JSON it had (its form.xml is made from it), its case Seqs go stale
                    var json = tx.Base.FormJson(deprecated).ToArray();
                    copy.JsonSlot = new JsonRef(json, 0, json.Length);
                    copy.CaseSeqs = Array.Empty<int>();
                }
                store.HiddenForms[depId] = copy;
                form.ReceivedOn = deprecated.ReceivedOn;
                form.EditedOn = tx.Now;
                form.EditedBy = input.AuthUserId;
                form.Sub!.DeprecatedId = depId;
                var affected = new List<string>();
                if (deprecated.Sub is not null) affected.AddRange(deprecated.Sub.Blocks.Select(b => b.CaseId));
                else foreach (var cs in deprecated.CaseSeqs) affected.Add(tx.Base.Cases[cs].Id);
                touched = blocks.Select(b => b.CaseId).Distinct(StringComparer.Ordinal).ToList();
                affected.AddRange(touched);
                tx.AddForm(form, touched);
                CaseEngine.Rebuild(tx, affected, tx.AllForms());
            }
            else
            {
                touched = CaseEngine.Apply(tx, blocks, new FormContext(formId, meta.UserId, attachments));
                tx.AddForm(form, touched);
            }
            var data = tx.Commit();
            if (store.HiddenForms.TryGetValue(formId, out var hidden) && hidden.Sub?.Kind == "error") store.HiddenForms.Remove(formId); // rule 5
            return new SubmissionResult(SubmissionOutcome.Success, formId, null, data, touched);
        }
    }

    private static SubmittedForm CopyOf(SubmittedForm s) => new()
    {
        Xml = s.Xml, Md5 = s.Md5, RootName = s.RootName, UiVersion = s.UiVersion, FormJson = s.FormJson, Blocks = s.Blocks,
        InstanceId = s.InstanceId, AppVersion = s.AppVersion, AppBuildVersion = s.AppBuildVersion, CommCareVersion = s.CommCareVersion,
        DeviceId = s.DeviceId, Location = s.Location, UserId = s.UserId, Username = s.Username, DeprecatedId = s.DeprecatedId,
        Problem = s.Problem, Kind = s.Kind,
    };

    private static bool OtherDomainHasForm(DomainStore store, string id)
    {
        foreach (var (name, other) in store.Owner.Stores)
        {
            if (!ReferenceEquals(other, store) && other.Current.FormById.ContainsKey(id)) return true;
        }
        return false;
    }

    /// <summary>Malformed XML / missing xmlns: a submission error log (kept hidden), HTTP 500.</summary>
    private static SubmissionResult SubmissionError(DomainStore store, SubmissionInput input, string problem)
    {
        var id = NewId();
        var f = new FormRec
        {
            Id = id,
            Domain = store.Seed.Domain,
            Sub = new SubmittedForm
            {
                Xml = input.Xml, Md5 = "", RootName = "", FormJson = "{}"u8.ToArray(), Blocks = new List<CaseBlock>(),
                InstanceId = id, Kind = "submission_error", Problem = problem,
            },
        };
        lock (store.Lock) store.HiddenForms[id] = f;
        return new SubmissionResult(SubmissionOutcome.SubmissionError, id, problem, null, new List<string>());
    }

    private static FormRec NewForm(DomainTx tx, string id, XElement root, SubmissionInput input, MetaInfo meta,
        List<CaseBlock> blocks, byte[] formJson, string md5, Attachment[] attachments)
    {
        var sub = new SubmittedForm
        {
            Xml = input.Xml,
            Md5 = md5,
            RootName = root.Name.LocalName,
            UiVersion = (string?)root.Attribute("uiVersion"),
            FormJson = formJson,
            Blocks = blocks,
            InstanceId = id,
            AppVersion = meta.AppVersion,
            AppBuildVersion = meta.AppVersion is { } av && AppBuildRx().Match(av) is { Success: true } m1
                && int.TryParse(m1.Groups[1].ValueSpan, out var build) ? build : null,
            CommCareVersion = meta.AppVersion is { } av2 && CommCareVersionRx().Match(av2) is { Success: true } m2 ? m2.Groups[1].Value : null,
            DeviceId = meta.DeviceId,
            Location = meta.Location,
            UserId = meta.UserId,
            Username = meta.Username,
        };
        return new FormRec
        {
            Id = id,
            Domain = tx.Domain,
            Xmlns = root.Name.NamespaceName,
            Name = (string?)root.Attribute("name") ?? "",
            AppId = input.AppId ?? "",
            BuildId = "",
            Version = (string?)root.Attribute("version") ?? "",
            ReceivedOn = tx.Now,
            ServerModifiedOn = tx.Now,
            IndexedOn = tx.Now,
            TimeStart = CaseXml.TryParseDate(meta.TimeStart, out var ts) ? ts : 0,
            TimeEnd = CaseXml.TryParseDate(meta.TimeEnd, out var te) ? te : 0,
            IsPhone = input.IsPhone,
            SubmitIp = input.SubmitIp,
            XmlLength = input.Xml.Length,
            Attachments = attachments,
            Sub = sub,
        };
    }

    [GeneratedRegex(@"App v(\d+)")]
    private static partial Regex AppBuildRx();

    [GeneratedRegex(@"(?:CommCare Version |version "")(\d[\w.]*)")]
    private static partial Regex CommCareVersionRx();

    public static XElement ParseXml(byte[] xml)
    {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, IgnoreComments = true };
        using var ms = new MemoryStream(xml);
        using var reader = XmlReader.Create(ms, settings);
        var doc = XDocument.Load(reader);
        return doc.Root ?? throw new XmlException("Root element is missing.");
    }

    public sealed record MetaInfo(string? InstanceId, string? DeviceId, string? TimeStart, string? TimeEnd, string? Username,
        string? UserId, string? AppVersion, string? Location);

    /// <summary>The OpenRosa meta block (<c>&lt;meta xmlns="http://openrosa.org/jr/xforms"&gt;</c>).</summary>
    public static MetaInfo Meta(XElement root)
    {
        var meta = root.Elements().FirstOrDefault(e => e.Name.LocalName == "meta" && e.Name.NamespaceName == CaseXml.MetaNs)
                   ?? root.Elements().FirstOrDefault(e => e.Name.LocalName is "meta" or "Meta");
        string? Get(string name)
        {
            var e = meta?.Elements().FirstOrDefault(x => x.Name.LocalName == name);
            return e?.Value;
        }
        return new MetaInfo(Get("instanceID"), Get("deviceID"), Get("timeStart"), Get("timeEnd"), Get("username"), Get("userID"),
            Get("appVersion"), Get("location") is { Length: > 0 } loc ? loc : null);
    }

    [GeneratedRegex(@"<(?:[\w.-]+:)?instanceID>\s*([^<]*?)\s*</", RegexOptions.CultureInvariant)]
    private static partial Regex InstanceIdRx();

    /// <summary>The request-log target of a submission: the instanceID found in the body (raw or multipart), or null.</summary>
    public static string? InstanceIdIn(byte[] body)
    {
        if (body.Length == 0) return null;
        var text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 1 << 20));
        var m = InstanceIdRx().Match(text);
        return m.Success && m.Groups[1].Length > 0 ? m.Groups[1].Value : null;
    }
}

/// <summary>
/// An XForm instance as HQ's form JSON (xml2json): the root is an object with <c>#type</c> (its local name), <c>@xmlns</c>
/// and <c>@attribute</c>s; an element with attributes or children is an object (<c>@xmlns</c> when its namespace differs
/// from its parent's, <c>#text</c> for non-blank text next to children), any other element is its text; repeated
/// elements become arrays. Keys sorted (tastypie).
/// </summary>
public static class XmlJson
{
    public static byte[] Form(XElement root)
    {
        var w = new PyJsonWriter(2048);
        Write(w, Convert(root, null, isRoot: true));
        return w.ToArray();
    }

    private static object Convert(XElement e, XNamespace? parentNs, bool isRoot)
    {
        var attrs = e.Attributes().Where(a => !a.IsNamespaceDeclaration).ToList();
        var children = e.Elements().ToList();
        if (!isRoot && attrs.Count == 0 && children.Count == 0)
        {
            var v = e.Value;
            return string.IsNullOrWhiteSpace(v) && v.Contains('\n') ? "" : v;
        }
        var d = new SortedDictionary<string, object>(StringComparer.Ordinal);
        if (isRoot) d["#type"] = e.Name.LocalName;
        if ((isRoot || e.Name.Namespace != parentNs) && e.Name.NamespaceName.Length > 0) d["@xmlns"] = e.Name.NamespaceName;
        foreach (var a in attrs) d["@" + a.Name.LocalName] = a.Value;
        foreach (var c in children)
        {
            var key = c.Name.LocalName;
            var value = Convert(c, e.Name.Namespace, false);
            if (!d.TryGetValue(key, out var prev)) d[key] = value;
            else if (prev is List<object> list) list.Add(value);
            else d[key] = new List<object> { prev, value };
        }
        var text = string.Concat(e.Nodes().OfType<XText>().Select(t => t.Value));
        if (!string.IsNullOrWhiteSpace(text)) d["#text"] = children.Count > 0 ? text.Trim() : text;
        return d;
    }

    private static void Write(PyJsonWriter w, object v)
    {
        switch (v)
        {
            case string s:
                w.String(s);
                break;
            case List<object> list:
                w.BeginArray();
                foreach (var x in list) Write(w, x);
                w.EndArray();
                break;
            case SortedDictionary<string, object> d:
                w.BeginObject();
                foreach (var kv in d)
                {
                    w.Key(kv.Key);
                    Write(w, kv.Value);
                }
                w.EndObject();
                break;
        }
    }
}

/// <summary>One part of a multipart/form-data body.</summary>
public sealed record MultipartPart(string Name, string? FileName, string? ContentType, byte[] Data);

/// <summary>multipart/form-data parsing of an already-read body (Django's request.POST / request.FILES).</summary>
public static class Multipart
{
    public static bool Is(string? contentType) => contentType is not null && contentType.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase);

    /// <summary>The parts in order; null when the body is not valid multipart (no boundary, broken framing).</summary>
    public static List<MultipartPart>? Parse(byte[] body, string? contentType)
    {
        if (!Is(contentType) || !MediaTypeHeaderValue.TryParse(contentType, out var mt)) return null;
        var boundary = HeaderUtilities.RemoveQuotes(mt.Boundary).Value;
        if (string.IsNullOrEmpty(boundary)) return null;
        var parts = new List<MultipartPart>();
        try
        {
            var reader = new MultipartReader(boundary, new MemoryStream(body)) { BodyLengthLimit = null, HeadersLengthLimit = 64 * 1024 };
            while (reader.ReadNextSectionAsync().GetAwaiter().GetResult() is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var cd)) continue;
                var name = HeaderUtilities.RemoveQuotes(cd.Name).Value ?? "";
                var fileName = cd.FileNameStar.HasValue ? cd.FileNameStar.Value : cd.FileName.HasValue ? HeaderUtilities.RemoveQuotes(cd.FileName).Value : null;
                using var ms = new MemoryStream();
                section.Body.CopyTo(ms);
                parts.Add(new MultipartPart(name, fileName, section.ContentType, ms.ToArray()));
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException)
        {
            return null;
        }
        return parts;
    }
}
