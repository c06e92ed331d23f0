using System;
using System.Runtime.CompilerServices;
using System.Collections.Generic;

namespace CommCare.Emulator;

[Flags]
public enum CaseExtras
{
    None = 0,
    ChildCases = 1,
    ParentCases = 2,
    XFormsByName = 4,
    XFormsByXmlns = 8,
}

/// <summary>
/// Serialises cases (docs/commcare-api.md#case-api-v1) and forms (docs/commcare-api.md#forms) in tastypie's JSON style: keys in sorted
/// order, Python separators. Each write method writes keys in ordinal order by hand.
/// </summary>
public sealed class RecordJson(DomainData data, string baseUrl)
{
    private const string CaseXmlns = "http://commcarehq.org/case/transaction/v2";
    private const string MetaXmlns = "http://openrosa.org/jr/xforms";
    private const string CommCareVersion = "2.53.1";

    private static readonly string AppVersion18 = MakeAppVersion(18);
    private static readonly string AppVersion7 = MakeAppVersion(7);
    private static readonly string AppVersionSurveyOld = MakeAppVersion(Survey.OldVersion);
    private static readonly string AppVersionSurveyNew = MakeAppVersion(Survey.NewVersion);
    private static readonly string[] DeviceIds = { "358001070684640", "358001070684641", "358001070684642" };

    private static string MakeAppVersion(int build) =>
        $"CommCare Android, version \"{CommCareVersion}\"(464694). App v{build}. CommCare Version {CommCareVersion}. Build 464694, built on: 2023-09-12";

    private static string AppVersion(int build) => build switch
    {
        18 => AppVersion18, 7 => AppVersion7, Survey.OldVersion => AppVersionSurveyOld, Survey.NewVersion => AppVersionSurveyNew, _ => MakeAppVersion(build),
    };

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void WriteCase(PyJsonWriter w, CaseRec c, CaseExtras extras)
    {
        w.BeginObject();
        w.Prop("case_id", c.Id);
        if ((extras & CaseExtras.ChildCases) != 0) WriteChildCases(w, c);
        w.Prop("closed", c.Closed);
        w.Prop("closed_by", c.ClosedBy);
        w.PropDate("date_closed", c.DateClosed, DateStyle.MicroZ);
        w.PropDate("date_modified", c.DateModified, c.DateModifiedStyle);
        w.Prop("domain", c.Domain);
        w.Prop("id", c.Id);
        w.PropDate("indexed_on", c.IndexedOn, DateStyle.MicroZ);
        w.Key("indices").BeginObject();
        if (c.Indices is not null)
        {
            WriteIndices(w, c.Indices);
        }
        else if (c.ParentSeq >= 0)
        {
            var p = data.Cases[c.ParentSeq];
            w.Key("parent").BeginObject()
                .Prop("case_id", p.Id)
                .Prop("case_type", p.Type)
                .Prop("relationship", "child")
                .EndObject();
        }
        w.EndObject();
        w.Prop("opened_by", c.OpenedBy);
        if ((extras & CaseExtras.ParentCases) != 0) WriteParentCases(w, c);
        w.Key("properties").BeginObject();
        foreach (var kv in c.ApiProps) w.Prop(kv.Key, kv.Value);
        w.EndObject();
        w.Key("resource_uri").StringParts("/a/", c.Domain, "/api/case/v1/", c.Id, "/");
        w.PropDate("server_date_modified", c.ServerModified, c.ServerModifiedStyle);
        w.PropDate("server_date_opened", c.ServerOpened, c.ServerModifiedStyle);
        w.Prop("user_id", c.UserId);
        w.Key("xform_ids").BeginArray();
        foreach (var fs in c.FormSeqs) w.String(data.Forms[fs].Id);
        w.EndArray();
        if ((extras & CaseExtras.XFormsByName) != 0) WriteFormsBy(w, "xforms_by_name", c, static f => f.Name);
        if ((extras & CaseExtras.XFormsByXmlns) != 0) WriteFormsBy(w, "xforms_by_xmlns", c, static f => f.Xmlns);
        w.EndObject();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WriteChildCases(PyJsonWriter w, CaseRec c)
    {
        // keyed by index identifier (HQ builds a dict, so siblings sharing "parent" collapse to the last one)
        w.Key("child_cases").BeginObject();
        if (!data.Mutated)
        {
            if (c.Children.Length > 0) w.Key("parent").RawValue(data.CaseJson(data.Cases[c.Children[^1]]).Span);
        }
        else
        {
            var byIdentifier = new SortedDictionary<string, CaseRec>(StringComparer.Ordinal);
            foreach (var other in data.Cases)
            {
                foreach (var ix in other.IndicesIn(data)) if (ix.CaseId == c.Id) byIdentifier[ix.Identifier] = other;
            }
            foreach (var kv in byIdentifier) w.Key(kv.Key).RawValue(data.CaseJson(kv.Value).Span);
        }
        w.EndObject();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WriteParentCases(PyJsonWriter w, CaseRec c)
    {
        w.Key("parent_cases").BeginObject();
        foreach (var ix in SortedIndices(c.IndicesIn(data)))
        {
            if (data.CaseById.TryGetValue(ix.CaseId, out var target)) w.Key(ix.Identifier).RawValue(data.CaseJson(target).Span);
        }
        w.EndObject();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void WriteIndices(PyJsonWriter w, CaseIndex[] indices)
    {
        foreach (var ix in SortedIndices(indices))
        {
            w.Key(ix.Identifier).BeginObject()
                .Prop("case_id", ix.CaseId)
                .Prop("case_type", ix.CaseType)
                .Prop("relationship", ix.Relationship)
                .EndObject();
        }
    }

    private static IEnumerable<CaseIndex> SortedIndices(CaseIndex[] indices)
    {
        if (indices.Length <= 1) return indices;
        var copy = (CaseIndex[])indices.Clone();
        Array.Sort(copy, static (a, b) => string.CompareOrdinal(a.Identifier, b.Identifier));
        return copy;
    }

    /// <summary>
    /// Case API v2's <c>serialize_es_case</c> (with <paramref name="withDeprecated"/>) / <c>serialize_case</c> (write responses):
    /// insertion-ordered keys as Django's JsonResponse writes them; the caller sets <see cref="PyJsonWriter.EnsureAscii"/>.
    /// </summary>
    /// <param name="systemKeys">Alternative (caseV2SystemProperties): properties also repeat the system fields (71: UNCONFIRMED set).</param>
    public void WriteCaseV2(PyJsonWriter w, CaseRec c, bool withDeprecated, bool deprecated, bool systemKeys = false)
    {
        w.BeginObject();
        w.Prop("domain", c.Domain);
        w.Prop("case_id", c.Id);
        w.Prop("case_type", c.Type);
        w.Prop("case_name", c.Name);
        w.Prop("external_id", c.ExternalId.Length == 0 ? null : c.ExternalId);
        w.Prop("owner_id", c.OwnerId);
        w.PropDate("date_opened", c.DateOpened, DateStyle.MicroZ);
        w.PropDate("last_modified", c.DateModified, DateStyle.MicroZ);
        w.PropDate("server_last_modified", c.ServerModified, DateStyle.MicroZ);
        w.PropDate("indexed_on", c.IndexedOn, DateStyle.MicroZ);
        w.Prop("closed", c.Closed);
        w.PropDate("date_closed", c.Closed ? c.DateClosed : 0, DateStyle.MicroZ);
        if (withDeprecated) w.Prop("is_deprecated", deprecated);
        w.Key("properties").BeginObject();
        foreach (var kv in c.ApiProps)
        {
            if (!systemKeys && kv.Key is "case_name" or "case_type" or "date_opened" or "external_id" or "owner_id") continue;
            w.Prop(kv.Key, kv.Value);
        }
        w.EndObject();
        w.Key("indices").BeginObject();
        WriteIndices(w, c.IndicesIn(data));
        w.EndObject();
        w.EndObject();
    }

    private void WriteFormsBy(PyJsonWriter w, string key, CaseRec c, Func<FormRec, string> by)
    {
        var groups = new SortedDictionary<string, List<FormRec>>(StringComparer.Ordinal);
        foreach (var fs in c.FormSeqs)
        {
            var f = data.Forms[fs];
            var k = by(f);
            if (!groups.TryGetValue(k, out var l)) groups[k] = l = new List<FormRec>();
            l.Add(f);
        }
        w.Key(key).BeginObject();
        foreach (var g in groups)
        {
            w.Key(g.Key).BeginArray();
            foreach (var f in g.Value) w.RawValue(data.FormJson(f).Span);
            w.EndArray();
        }
        w.EndObject();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void WriteForm(PyJsonWriter w, FormRec f, bool withCases)
    {
        if (f.Sub is not null)
        {
            WriteSubmittedForm(w, f, f.Sub, withCases);
            return;
        }
        // A generated form's body always shows the generated cases (what the form wrote), even after later writes
        // changed or moved them: render it from the generated snapshot.
        var seedData = data.SeedData ?? data;
        var sf = ReferenceEquals(seedData, data) ? f : seedData.FormById.TryGetValue(f.Id, out var orig) ? orig : f;
        var worker = Accounts.DataWorkers[f.Worker];
        var appVersion = AppVersion(f.AppBuildVersion);
        var deviceId = DeviceIds[f.Worker % DeviceIds.Length];

        w.BeginObject();
        w.Prop("app_id", f.AppId);
        w.Prop("archived", f.Archived);
        WriteAttachments(w, f, f.XmlLength);
        w.Prop("build_id", f.BuildId);
        if (withCases)
        {
            w.Key("cases").BeginArray();
            foreach (var cs in f.CaseSeqs) w.RawValue(data.CaseJson(data.Cases[cs]).Span);
            w.EndArray();
        }
        w.Prop("domain", f.Domain);
        w.Prop("edited_by_user_id", f.EditedBy);
        w.PropDate("edited_on", f.EditedOn, DateStyle.MicroZ);

        // ---- form body ----
        w.Key("form").BeginObject();
        w.Prop("#type", "data");
        w.Prop("@name", f.Name);
        w.Prop("@uiVersion", "1");
        w.Prop("@version", f.Version);
        w.Prop("@xmlns", f.Xmlns);
        if (sf.CaseSeqs.Length > 0)
        {
            w.Key("case");
            if (sf.CaseSeqs.Length > 1) w.BeginArray();
            foreach (var cs in sf.CaseSeqs) WriteCaseBlock(w, seedData, f, seedData.Cases[cs], worker.Id);
            if (sf.CaseSeqs.Length > 1) w.EndArray();
        }
        var first = sf.CaseSeqs.Length > 0 ? seedData.Cases[sf.CaseSeqs[0]] : null;
        switch (f.Kind)
        {
            case FormKind.Register:
                w.Prop("district", first?.Field("district") ?? "north");
                w.Prop("household_name", first is null ? "" : first.ParentSeq >= 0 ? seedData.Cases[first.ParentSeq].Name : first.Name);
                WriteMeta(w, f, worker, appVersion, deviceId);
                w.Prop("num_members", Generator.SmallInt(f.CaseSeqs.Length));
                break;
            case FormKind.Followup:
                WriteMeta(w, f, worker, appVersion, deviceId);
                w.Prop("notes", Generator.NoteText(f.NotesIdx));
                w.PropDate("visit_date", f.TimeEnd, DateStyle.DateOnly);
                w.Prop("weight", Generator.SmallInt(f.Weight));
                break;
            case FormKind.Survey:
                Survey.WriteBody(w, f, worker, appVersion, deviceId);
                break;
            default:
                w.Prop("close_reason", first?.Field("close_reason") ?? "moved");
                WriteMeta(w, f, worker, appVersion, deviceId);
                break;
        }
        w.EndObject();

        w.Prop("id", f.Id);
        w.PropDate("indexed_on", f.IndexedOn, DateStyle.MicroZ);
        w.Prop("initial_processing_complete", true);
        w.Prop("is_phone_submission", f.IsPhone);
        w.Key("metadata").BeginObject()
            .Prop("appVersion", appVersion)
            .Prop("app_build_version", f.AppBuildVersion)
            .Prop("commcare_version", CommCareVersion)
            .PropNull("deprecatedID")
            .Prop("deviceID", deviceId)
            .Prop("doc_type", "Metadata")
            .PropNull("geo_point")
            .Prop("instanceID", f.Id)
            .PropNull("location")
            .PropDate("timeEnd", f.TimeEnd, DateStyle.Micro)
            .PropDate("timeStart", f.TimeStart, DateStyle.Micro)
            .Prop("userID", worker.Id)
            .Prop("username", worker.Username)
            .EndObject();
        w.PropNull("problem");
        w.PropDate("received_on", f.ReceivedOn, DateStyle.MicroZ);
        w.Key("resource_uri").StringParts("/a/", f.Domain, "/api/form/v1/", f.Id, "/");
        w.PropDate("server_modified_on", f.ServerModifiedOn, DateStyle.MicroZ);
        w.Prop("submit_ip", f.SubmitIp);
        w.Prop("type", "data");
        w.Prop("uiversion", "1");
        w.Prop("version", f.Version);
        w.EndObject();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void WriteMeta(PyJsonWriter w, FormRec f, (string Id, string Username) worker, string appVersion, string deviceId)
    {
        w.Key("meta").BeginObject()
            .Prop("@xmlns", MetaXmlns)
            .Prop("appVersion", appVersion)
            .Prop("app_build_version", f.AppBuildVersion)
            .Prop("commcare_version", CommCareVersion)
            .Prop("deviceID", deviceId)
            .PropNull("geo_point")
            .Prop("instanceID", f.Id)
            .PropDate("timeEnd", f.TimeEnd, DateStyle.MicroZ)
            .PropDate("timeStart", f.TimeStart, DateStyle.MicroZ)
            .Prop("userID", worker.Id)
            .Prop("username", worker.Username)
            .EndObject();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WriteCaseBlock(PyJsonWriter w, DomainData data, FormRec f, CaseRec c, string userId)
    {
        w.BeginObject();
        w.Prop("@case_id", c.Id);
        w.PropDate("@date_modified", f.TimeEnd, DateStyle.MicroZ);
        w.Prop("@user_id", userId);
        w.Prop("@xmlns", CaseXmlns);
        switch (f.Kind)
        {
            case FormKind.Register:
            {
                w.Key("create").BeginObject()
                    .Prop("case_name", c.Name)
                    .Prop("case_type", c.Type)
                    .Prop("owner_id", c.OwnerId)
                    .EndObject();
                if (c.ParentSeq >= 0)
                {
                    var p = data.Cases[c.ParentSeq];
                    w.Key("index").BeginObject()
                        .Key("parent").BeginObject().Prop("#text", p.Id).Prop("@case_type", p.Type).EndObject()
                        .EndObject();
                }
                // every property set at registration (ApiProps is sorted), external_id included
                w.Key("update").BeginObject();
                foreach (var kv in c.ApiProps)
                {
                    if (kv.Key is "case_name" or "case_type" or "date_opened" or "owner_id" or "last_visit_date" or "close_reason") continue;
                    w.Prop(kv.Key, kv.Value);
                }
                w.EndObject();
                break;
            }
            case FormKind.Followup:
                w.Key("update").BeginObject()
                    .PropDate("last_visit_date", f.TimeEnd, DateStyle.DateOnly)
                    .EndObject();
                break;
            default:
                w.Prop("close", "");
                w.Key("update").BeginObject()
                    .Prop("close_reason", c.Field("close_reason") ?? "moved")
                    .EndObject();
                break;
        }
        w.EndObject();
    }

    /// <summary>The <c>attachments</c> map: <c>form.xml</c> plus the form's other attachments, keys in sorted order.</summary>
    private void WriteAttachments(PyJsonWriter w, FormRec f, long xmlLength)
    {
        w.Key("attachments").BeginObject();
        var xmlDone = false;
        foreach (var a in f.Attachments)
        {
            if (!xmlDone && string.CompareOrdinal("form.xml", a.Name) < 0)
            {
                WriteAttachment(w, f, "form.xml", "text/xml", xmlLength);
                xmlDone = true;
            }
            WriteAttachment(w, f, a.Name, a.ContentType, a.Blob.Length);
        }
        if (!xmlDone) WriteAttachment(w, f, "form.xml", "text/xml", xmlLength);
        w.EndObject();
    }

    private void WriteAttachment(PyJsonWriter w, FormRec f, string name, string contentType, long length)
    {
        w.Key(name).BeginObject()
            .Prop("content_type", contentType)
            .Prop("length", length)
            .Key("url").StringParts(baseUrl, "/a/", f.Domain, "/api/form_attachment/v1/", f.Id, "/" + name)
            .EndObject();
    }

    /// <summary>A form that came in as XML (receiver, Case API, case importer): the body is the converted instance.</summary>
    private void WriteSubmittedForm(PyJsonWriter w, FormRec f, SubmittedForm sub, bool withCases)
    {
        w.BeginObject();
        w.Prop("app_id", f.AppId.Length == 0 ? null : f.AppId);
        w.Prop("archived", f.Archived);
        WriteAttachments(w, f, sub.Xml.Length);
        w.Prop("build_id", f.BuildId.Length == 0 ? null : f.BuildId);
        if (withCases)
        {
            w.Key("cases").BeginArray();
            foreach (var cs in f.CaseSeqs) w.RawValue(data.CaseJson(data.Cases[cs]).Span);
            w.EndArray();
        }
        w.Prop("domain", f.Domain);
        w.Prop("edited_by_user_id", f.EditedBy);
        w.PropDate("edited_on", f.EditedOn, DateStyle.MicroZ);
        w.Key("form").RawValue(sub.FormJson);
        w.Prop("id", f.Id);
        w.PropDate("indexed_on", f.IndexedOn, DateStyle.MicroZ);
        w.Prop("initial_processing_complete", true);
        w.Prop("is_phone_submission", f.IsPhone);
        w.Key("metadata").BeginObject()
            .Prop("appVersion", sub.AppVersion)
            .Key("app_build_version").Number(sub.AppBuildVersion)
            .Prop("commcare_version", sub.CommCareVersion)
            .Prop("deprecatedID", sub.DeprecatedId)
            .Prop("deviceID", sub.DeviceId)
            .Prop("doc_type", "Metadata")
            .PropNull("geo_point")
            .Prop("instanceID", sub.InstanceId)
            .Prop("location", sub.Location)
            .PropDate("timeEnd", f.TimeEnd, DateStyle.Micro)
            .PropDate("timeStart", f.TimeStart, DateStyle.Micro)
            .Prop("userID", sub.UserId)
            .Prop("username", sub.Username)
            .EndObject();
        w.Prop("problem", sub.Problem);
        w.PropDate("received_on", f.ReceivedOn, DateStyle.MicroZ);
        w.Key("resource_uri").StringParts("/a/", f.Domain, "/api/form/v1/", f.Id, "/");
        w.PropDate("server_modified_on", f.ServerModifiedOn, DateStyle.MicroZ);
        w.Prop("submit_ip", f.SubmitIp);
        w.Prop("type", sub.RootName);
        w.Prop("uiversion", sub.UiVersion);
        w.Prop("version", f.Version.Length == 0 ? null : f.Version);
        w.EndObject();
    }
}
