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
/// Serialises cases (10-cases-v1.md) and forms (12-forms.md) in tastypie's JSON style: keys in sorted
/// order, Python separators. Each write method writes keys in ordinal order by hand.
/// </summary>
public sealed class RecordJson(DomainData data, string baseUrl)
{
    private const string CaseXmlns = "http://commcarehq.org/case/transaction/v2";
    private const string MetaXmlns = "http://openrosa.org/jr/xforms";
    private const string CommCareVersion = "2.53.1";

    private static readonly string AppVersion18 = MakeAppVersion(18);
    private static readonly string AppVersion7 = MakeAppVersion(7);
    private static readonly string[] DeviceIds = { "358001070684640", "358001070684641", "358001070684642" };

    private static string MakeAppVersion(int build) =>
        $"CommCare Android, version \"{CommCareVersion}\"(464694). App v{build}. CommCare Version {CommCareVersion}. Build 464694, built on: 2023-09-12";

    private static string AppVersion(int build) => build switch { 18 => AppVersion18, 7 => AppVersion7, _ => MakeAppVersion(build) };

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void WriteCase(PyJsonWriter w, CaseRec c, CaseExtras extras)
    {
        w.BeginObject();
        w.Prop("case_id", c.Id);
        if ((extras & CaseExtras.ChildCases) != 0)
        {
            // keyed by index identifier (HQ builds a dict, so siblings sharing "parent" collapse to the last one)
            w.Key("child_cases").BeginObject();
            if (c.Children.Length > 0) w.Key("parent").RawValue(data.CaseJson(data.Cases[c.Children[^1]]).Span);
            w.EndObject();
        }
        w.Prop("closed", c.Closed);
        w.Prop("closed_by", c.ClosedBy);
        w.PropDate("date_closed", c.DateClosed, DateStyle.MicroZ);
        w.PropDate("date_modified", c.DateModified, c.DateModifiedStyle);
        w.Prop("domain", c.Domain);
        w.Prop("id", c.Id);
        w.PropDate("indexed_on", c.IndexedOn, DateStyle.MicroZ);
        w.Key("indices").BeginObject();
        if (c.ParentSeq >= 0)
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
        if ((extras & CaseExtras.ParentCases) != 0)
        {
            w.Key("parent_cases").BeginObject();
            if (c.ParentSeq >= 0) w.Key("parent").RawValue(data.CaseJson(data.Cases[c.ParentSeq]).Span);
            w.EndObject();
        }
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
        var worker = Accounts.DataWorkers[f.Worker];
        var appVersion = AppVersion(f.AppBuildVersion);
        var deviceId = DeviceIds[f.Worker % DeviceIds.Length];

        w.BeginObject();
        w.Prop("app_id", f.AppId);
        w.Prop("archived", f.Archived);
        w.Key("attachments").BeginObject();
        w.Key("form.xml").BeginObject()
            .Prop("content_type", "text/xml")
            .Prop("length", f.XmlLength)
            .Key("url").StringParts(baseUrl, "/a/", f.Domain, "/api/form_attachment/v1/", f.Id, "/form.xml")
            .EndObject();
        w.EndObject();
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
        if (f.CaseSeqs.Length > 0)
        {
            w.Key("case");
            if (f.CaseSeqs.Length > 1) w.BeginArray();
            foreach (var cs in f.CaseSeqs) WriteCaseBlock(w, f, data.Cases[cs], worker.Id);
            if (f.CaseSeqs.Length > 1) w.EndArray();
        }
        var first = f.CaseSeqs.Length > 0 ? data.Cases[f.CaseSeqs[0]] : null;
        switch (f.Kind)
        {
            case FormKind.Register:
                w.Prop("district", first?.Field("district") ?? "north");
                w.Prop("household_name", first is null ? "" : first.ParentSeq >= 0 ? data.Cases[first.ParentSeq].Name : first.Name);
                WriteMeta(w, f, worker, appVersion, deviceId);
                w.Prop("num_members", Generator.SmallInt(f.CaseSeqs.Length));
                break;
            case FormKind.Followup:
                WriteMeta(w, f, worker, appVersion, deviceId);
                w.Prop("notes", Generator.NoteText(f.NotesIdx));
                w.PropDate("visit_date", f.TimeEnd, DateStyle.DateOnly);
                w.Prop("weight", Generator.SmallInt(f.Weight));
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
    private static void WriteMeta(PyJsonWriter w, FormRec f, (string Id, string Username) worker, string appVersion, string deviceId)
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
    private void WriteCaseBlock(PyJsonWriter w, FormRec f, CaseRec c, string userId)
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
}
