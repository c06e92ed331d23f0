using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Security;
using System.Text;
using System.Xml.Linq;

namespace CommCare.Emulator;

/// <summary>One <c>&lt;case&gt;</c> block of Case XML 2.0 (docs/commcare-api.md#form-submission).</summary>
public sealed class CaseBlock
{
    public string CaseId = "";
    /// <summary>The <c>date_modified</c> attribute as sent (null when absent).</summary>
    public string? DateModified;
    public string? UserId;
    public bool Create;
    public string? CaseType;
    public string? CaseName;
    public string? OwnerId;
    /// <summary><c>&lt;update&gt;</c> children in document order (special names included).</summary>
    public List<KeyValuePair<string, string>> Updates = new();
    public List<IndexAction> Indices = new();
    public List<AttachmentAction> Attachments = new();
    public bool Close;
}

/// <summary>An <c>&lt;index&gt;</c> child; an empty <see cref="CaseId"/> removes the index.</summary>
public sealed record IndexAction(string Identifier, string CaseType, string Relationship, string CaseId);

/// <summary>An <c>&lt;attachment&gt;</c> child; no <see cref="Src"/> removes the attachment.</summary>
public sealed record AttachmentAction(string Name, string? Src, string? From);

/// <summary>Case XML 2.0: reading blocks out of an instance, and writing them (Case API, importer).</summary>
public static class CaseXml
{
    public const string Ns = "http://commcarehq.org/case/transaction/v2";
    public const string MetaNs = "http://openrosa.org/jr/xforms";
    public const string CommCareNs = "http://commcarehq.org/xforms";

    /// <summary>Every <c>&lt;case&gt;</c> element in the Case XML 2.0 namespace, anywhere in the instance, in document order.</summary>
    public static List<CaseBlock> Parse(XElement root)
    {
        var res = new List<CaseBlock>();
        foreach (var e in root.DescendantsAndSelf(XName.Get("case", Ns)))
        {
            var b = new CaseBlock
            {
                CaseId = ((string?)e.Attribute("case_id") ?? "").Trim(),
                DateModified = (string?)e.Attribute("date_modified"),
                UserId = (string?)e.Attribute("user_id"),
            };
            foreach (var action in e.Elements())
            {
                switch (action.Name.LocalName)
                {
                    case "create":
                        b.Create = true;
                        foreach (var f in action.Elements())
                        {
                            switch (f.Name.LocalName)
                            {
                                case "case_type": b.CaseType = f.Value; break;
                                case "case_name": b.CaseName = f.Value; break;
                                case "owner_id": b.OwnerId = f.Value; break;
                            }
                        }
                        break;
                    case "update":
                        foreach (var f in action.Elements()) b.Updates.Add(new(f.Name.LocalName, f.Value));
                        break;
                    case "index":
                        foreach (var f in action.Elements())
                        {
                            b.Indices.Add(new IndexAction(f.Name.LocalName, (string?)f.Attribute("case_type") ?? "",
                                (string?)f.Attribute("relationship") ?? "child", f.Value.Trim()));
                        }
                        break;
                    case "attachment":
                        foreach (var f in action.Elements())
                        {
                            var src = (string?)f.Attribute("src");
                            b.Attachments.Add(new AttachmentAction(f.Name.LocalName, string.IsNullOrEmpty(src) ? null : src, (string?)f.Attribute("from")));
                        }
                        break;
                    case "close":
                        b.Close = true;
                        break;
                }
            }
            res.Add(b);
        }
        return res;
    }

    /// <summary>Writes a block the way HQ's <c>CaseBlock.as_xml()</c> lays it out.</summary>
    public static void Write(StringBuilder sb, CaseBlock b, string indent = "    ")
    {
        sb.Append(indent).Append("<case xmlns=\"").Append(Ns).Append("\" case_id=\"").Append(Esc(b.CaseId))
            .Append("\" date_modified=\"").Append(Esc(b.DateModified ?? "")).Append("\" user_id=\"").Append(Esc(b.UserId ?? "")).Append("\">\n");
        if (b.Create)
        {
            sb.Append(indent).Append("    <create>\n");
            Leaf(sb, indent + "        ", "case_type", b.CaseType ?? "");
            Leaf(sb, indent + "        ", "case_name", b.CaseName ?? "");
            Leaf(sb, indent + "        ", "owner_id", b.OwnerId ?? "");
            sb.Append(indent).Append("    </create>\n");
        }
        if (b.Updates.Count > 0)
        {
            sb.Append(indent).Append("    <update>\n");
            foreach (var kv in b.Updates) Leaf(sb, indent + "        ", kv.Key, kv.Value);
            sb.Append(indent).Append("    </update>\n");
        }
        if (b.Indices.Count > 0)
        {
            sb.Append(indent).Append("    <index>\n");
            foreach (var ix in b.Indices)
            {
                sb.Append(indent).Append("        <").Append(ix.Identifier).Append(" case_type=\"").Append(Esc(ix.CaseType))
                    .Append("\" relationship=\"").Append(Esc(ix.Relationship)).Append('"');
                if (ix.CaseId.Length == 0) sb.Append("/>\n");
                else sb.Append('>').Append(Esc(ix.CaseId)).Append("</").Append(ix.Identifier).Append(">\n");
            }
            sb.Append(indent).Append("    </index>\n");
        }
        if (b.Close) sb.Append(indent).Append("    <close/>\n");
        sb.Append(indent).Append("</case>\n");
    }

    private static void Leaf(StringBuilder sb, string indent, string name, string value)
    {
        sb.Append(indent).Append('<').Append(name);
        if (value.Length == 0)
        {
            sb.Append("/>\n");
            return;
        }
        sb.Append('>').Append(Esc(value)).Append("</").Append(name).Append(">\n");
    }

    public static string Esc(string s) => SecurityElement.Escape(s) ?? "";

    /// <summary>
    /// The whole instance HQ's <c>submit_case_blocks</c> renders (<c>hqcase/xml/case_block.xml</c>): root <c>system</c> in
    /// <paramref name="xmlns"/>, an OpenRosa meta block, then the case blocks.
    /// </summary>
    public static byte[] Envelope(string xmlns, string instanceId, long now, string username, string userId, string deviceId, IEnumerable<CaseBlock> blocks)
    {
        var time = Dates.ToString(now, DateStyle.MicroZ);
        var sb = new StringBuilder(1024);
        sb.Append("<?xml version='1.0' ?>\n");
        sb.Append("<system version=\"1\" uiVersion=\"1\" xmlns=\"").Append(Esc(xmlns)).Append("\" xmlns:orx=\"").Append(MetaNs).Append("\">\n");
        sb.Append("    <orx:meta xmlns:cc=\"").Append(CommCareNs).Append("\">\n");
        sb.Append("        <orx:deviceID>").Append(Esc(deviceId)).Append("</orx:deviceID>\n");
        sb.Append("        <orx:timeStart>").Append(time).Append("</orx:timeStart>\n");
        sb.Append("        <orx:timeEnd>").Append(time).Append("</orx:timeEnd>\n");
        sb.Append("        <orx:username>").Append(Esc(username)).Append("</orx:username>\n");
        sb.Append("        <orx:userID>").Append(Esc(userId)).Append("</orx:userID>\n");
        sb.Append("        <orx:instanceID>").Append(Esc(instanceId)).Append("</orx:instanceID>\n");
        sb.Append("        <cc:appVersion></cc:appVersion>\n");
        sb.Append("    </orx:meta>\n");
        foreach (var b in blocks) Write(sb, b);
        sb.Append("</system>\n");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    /// <summary>
    /// A valid XML element name that is safe as a case property / index name: a letter or <c>_</c> first, then letters,
    /// digits, <c>_</c>, <c>-</c>, <c>.</c> (no <c>:</c>, no spaces).
    /// </summary>
    public static bool IsXmlName(string name)
    {
        if (name.Length == 0) return false;
        if (!(char.IsLetter(name[0]) || name[0] == '_')) return false;
        foreach (var ch in name)
        {
            if (!(char.IsLetterOrDigit(ch) || ch is '_' or '-' or '.')) return false;
        }
        try
        {
            System.Xml.XmlConvert.VerifyNCName(name);
        }
        catch (System.Xml.XmlException)
        {
            return false;
        }
        return true;
    }

    /// <summary>
    /// A date or datetime as a phone sends it (ISO 8601, with or without fraction / Z / offset); naive values are UTC.
    /// </summary>
    public static bool TryParseDate(string? value, out long ticks)
    {
        ticks = 0;
        if (string.IsNullOrWhiteSpace(value)) return false;
        var v = value.Trim();
        if (DateTime.TryParseExact(v, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var d))
        {
            ticks = d.Ticks;
            return true;
        }
        if (v.Length >= 10 && v[4] == '-' && v[7] == '-'
            && DateTimeOffset.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var dto))
        {
            ticks = dto.UtcTicks - dto.UtcTicks % Dates.TicksPerMicro;
            return true;
        }
        return false;
    }
}

/// <summary>What a form's case blocks are applied with.</summary>
public sealed record FormContext(string FormId, string? FormUserId, IReadOnlyList<Attachment> FormAttachments);

/// <summary>
/// Case processing: validates a form's blocks (the processing errors of docs/commcare-api.md#form-submission), applies them to a transaction, and
/// rebuilds cases from their form history after an edit.
/// </summary>
public static class CaseEngine
{
    /// <summary>
    /// The processing error (<c>"&lt;ExceptionName&gt;: &lt;message&gt;"</c>, HQ's <c>problem</c>) or null when the blocks
    /// can be applied. Nothing is changed either way.
    /// </summary>
    public static string? Validate(DomainTx tx, List<CaseBlock> blocks)
    {
        var inForm = new HashSet<string>(StringComparer.Ordinal);
        foreach (var b in blocks) if (b.CaseId.Length > 0) inForm.Add(b.CaseId);
        foreach (var b in blocks)
        {
            if (b.CaseId.Length == 0) return "IllegalCaseId: case_id must not be empty";
            if (tx.Case(b.CaseId) is null && OtherDomainHas(tx, b.CaseId)) return "IllegalCaseId: Bad case id";
            if (b.DateModified is { Length: > 0 } dm && !CaseXml.TryParseDate(dm, out _))
                return $"PhoneDateValueError: Invalid date_modified: '{dm}'";
            foreach (var ix in b.Indices)
            {
                if (ix.CaseId.Length == 0) continue;
                if (ix.Relationship is not ("child" or "extension"))
                    return $"CaseValueError: Valid values for an index relationship are 'child', 'extension'. Got '{ix.Relationship}'";
                if (!inForm.Contains(ix.CaseId) && tx.Case(ix.CaseId) is null)
                    return $"InvalidCaseIndex: Case '{b.CaseId}' references non-existent case '{ix.CaseId}'";
            }
        }
        return null;
    }

    private static bool OtherDomainHas(DomainTx tx, string caseId)
    {
        foreach (var (name, store) in tx.Store.Owner.Stores)
        {
            if (name != tx.Domain && store.Current.CaseById.ContainsKey(caseId)) return true;
        }
        return false;
    }

    /// <summary>Applies validated blocks in document order; returns the ids of the touched cases (first-touch order).</summary>
    public static List<string> Apply(DomainTx tx, List<CaseBlock> blocks, FormContext ctx)
    {
        var touched = new List<string>();
        foreach (var b in blocks)
        {
            var existing = tx.Case(b.CaseId);
            var c = existing is not null ? tx.Edit(b.CaseId)! : tx.Create(b.CaseId);
            ApplyBlock(tx, c, existing is null, b, ctx);
            tx.LinkForm(b.CaseId, ctx.FormId);
            if (!touched.Contains(b.CaseId)) touched.Add(b.CaseId);
        }
        return touched;
    }

    /// <summary>
    /// Rebuilds cases from their history: the generated state (or nothing, for cases created by writes), then the blocks
    /// of every live submitted form that touches them, in received order (docs/commcare-api.md#form-submission).
    /// A created case that no form touches any more is removed.
    /// </summary>
    public static void Rebuild(DomainTx tx, IEnumerable<string> caseIds, IReadOnlyList<FormRec> forms)
    {
        var seedData = tx.Base.SeedData ?? tx.Base;
        foreach (var id in caseIds.Distinct(StringComparer.Ordinal).ToList())
        {
            var cur = tx.Case(id);
            var origin = cur is { Created: false } ? cur.Seed : seedData.CaseById.TryGetValue(id, out var s) ? s : null;
            var history = forms.Where(f => f.Sub is { } sub && sub.Blocks.Any(b => b.CaseId == id))
                .OrderBy(f => f.ReceivedOn).ThenBy(f => f.Seq).ToList();
            if (origin is null && history.Count == 0)
            {
                tx.Remove(id);
                continue;
            }
            CaseRec r;
            var isNew = false;
            if (origin is not null)
            {
                r = origin.Clone();
                r.Origin = origin;
                r.Indices = origin.IndicesIn(seedData);
                r.ParentSeq = -1;
                r.FormSeqs = Array.Empty<int>();
                r.Children = cur?.Children ?? Array.Empty<int>();
                r.Attachments = origin.Attachments;
                foreach (var fs in origin.FormSeqs) tx.LinkForm(id, seedData.Forms[fs].Id);
            }
            else
            {
                r = new CaseRec { Id = id, Domain = tx.Domain, Created = true, Props = null, ParentSeq = -1, Indices = Array.Empty<CaseIndex>() };
                isNew = true;
            }
            foreach (var f in history)
            {
                var ctx = new FormContext(f.Id, f.Sub!.UserId, f.Attachments);
                foreach (var b in f.Sub.Blocks)
                {
                    if (b.CaseId != id) continue;
                    ApplyBlock(tx, r, isNew, b, ctx);
                    isNew = false;
                }
                tx.LinkForm(id, f.Id);
            }
            tx.Put(r);
        }
    }

    private static void ApplyBlock(DomainTx tx, CaseRec c, bool isNew, CaseBlock b, FormContext ctx)
    {
        var user = string.IsNullOrEmpty(b.UserId) ? ctx.FormUserId ?? "" : b.UserId;
        var modified = CaseXml.TryParseDate(b.DateModified, out var dm) ? dm : tx.Now;
        var props = new List<KeyValuePair<string, string?>>();
        foreach (var kv in c.ApiProps)
        {
            if (kv.Key is "case_name" or "case_type" or "date_opened" or "external_id" or "owner_id") continue;
            props.Add(kv);
        }
        if (isNew)
        {
            c.OpenedBy = user;
            c.DateOpened = modified;
            c.ServerOpened = tx.Now;
            c.DateModifiedStyle = DateStyle.MicroZ;
            c.ServerModifiedStyle = DateStyle.MicroZ;
            c.OwnerId = "";
        }
        if (b.Create)
        {
            if (b.CaseType is not null) c.Type = b.CaseType;
            if (b.CaseName is not null) c.Name = b.CaseName;
            if (!string.IsNullOrEmpty(b.OwnerId)) c.OwnerId = b.OwnerId;
            else if (isNew) c.OwnerId = user;
        }
        foreach (var (key, value) in b.Updates)
        {
            switch (key)
            {
                case "case_name": c.Name = value; break;
                case "case_type": c.Type = value; break;
                case "owner_id": c.OwnerId = value; break;
                case "external_id": c.ExternalId = value; break;
                case "date_opened":
                    if (CaseXml.TryParseDate(value, out var opened)) c.DateOpened = opened;
                    break;
                default:
                    var found = false;
                    for (var i = 0; i < props.Count; i++)
                    {
                        if (props[i].Key != key) continue;
                        props[i] = new(key, value);
                        found = true;
                        break;
                    }
                    if (!found) props.Add(new(key, value));
                    break;
            }
        }
        if (b.Indices.Count > 0)
        {
            var list = new List<CaseIndex>(c.Indices ?? (c.ParentSeq >= 0 ? c.IndicesIn(tx.Base) : Array.Empty<CaseIndex>()));
            foreach (var ix in b.Indices)
            {
                list.RemoveAll(x => x.Identifier == ix.Identifier);
                if (ix.CaseId.Length > 0) list.Add(new CaseIndex(ix.Identifier, ix.CaseId, ix.CaseType, ix.Relationship));
            }
            c.Indices = list.ToArray();
            c.ParentSeq = -1;
        }
        if (b.Attachments.Count > 0)
        {
            var atts = new List<Attachment>(c.Attachments);
            foreach (var a in b.Attachments)
            {
                atts.RemoveAll(x => x.Name == a.Name);
                if (a.Src is null) continue;
                var file = ctx.FormAttachments.FirstOrDefault(x => x.Name == a.Src);
                if (file is not null) atts.Add(file with { Name = a.Name });
            }
            atts.Sort(static (x, y) => string.CompareOrdinal(x.Name, y.Name));
            c.Attachments = atts.ToArray();
        }
        if (b.Close && !c.Closed)
        {
            c.Closed = true;
            c.ClosedBy = user;
            c.DateClosed = tx.Now;
        }
        c.DateModified = modified;
        c.ServerModified = tx.Now;
        c.UserId = user;
        SetApiProps(c, props);
    }

    /// <summary>Properties in API format: the dynamic ones plus the five built-ins, sorted.</summary>
    public static void SetApiProps(CaseRec c, List<KeyValuePair<string, string?>> dynamicProps)
    {
        var all = new List<KeyValuePair<string, string?>>(dynamicProps.Count + 5);
        all.AddRange(dynamicProps);
        all.Add(new("case_name", c.Name));
        all.Add(new("case_type", c.Type));
        all.Add(new("date_opened", Dates.ToString(c.DateOpened, DateStyle.SecondsZ)));
        all.Add(new("external_id", c.ExternalId.Length == 0 && c.Created ? null : c.ExternalId));
        all.Add(new("owner_id", c.OwnerId));
        all.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        c.ApiProps = all.ToArray();
    }
}
