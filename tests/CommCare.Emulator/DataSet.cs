using System;
using System.Runtime.CompilerServices;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime;
using System.Threading.Tasks;

namespace CommCare.Emulator;

/// <summary>Parameters of a generated data set (CLI flags / POST /_emulator/dataset).</summary>
public sealed record DataSetSpec(int Cases = DataSetSpec.DefaultCases, int Forms = DataSetSpec.DefaultForms,
    int SameTimestampForms = 0, int SameTimestampCases = 0, long Seed = 1)
{
    public const int DefaultCases = 120;
    public const int DefaultForms = 150;
}

public sealed class CaseRec
{
    public int Seq;
    public string Id = "";
    public string Domain = "";
    public string Type = "";
    public string Name = "";
    public string ExternalId = "";
    public string OwnerId = "";
    public string UserId = "";
    public string OpenedBy = "";
    public bool Closed;
    public string? ClosedBy;
    public long DateClosed;
    public long DateModified;
    public DateStyle DateModifiedStyle;
    public long ServerModified;
    public DateStyle ServerModifiedStyle;
    public long ServerOpened;
    public long IndexedOn;
    public long DateOpened;
    /// <summary>Dynamic case properties (not the five built-ins); only used while generating.</summary>
    public List<KeyValuePair<string, string>>? Props = new(6);
    /// <summary>Properties in API format (dynamic + case_name, case_type, date_opened, external_id, owner_id), sorted.</summary>
    public KeyValuePair<string, string?>[] ApiProps = Array.Empty<KeyValuePair<string, string?>>();
    public int ParentSeq = -1;
    public int[] Children = Array.Empty<int>();
    /// <summary>Non-archived forms that touched the case, in indexed_on order (xform_ids).</summary>
    public int[] FormSeqs = Array.Empty<int>();
    public ReadOnlyMemory<byte> Json;

    /// <summary>Value of a top-level ES field or a case property, for generic term filters.</summary>
    public string? Field(string name)
    {
        switch (name)
        {
            case "_id": return Id;
            case "domain": return Domain;
            case "type": return Type;
            case "name": return Name;
            case "external_id": return ExternalId;
            case "owner_id": return OwnerId;
            case "user_id": return UserId;
            case "opened_by": return OpenedBy;
            case "closed_by": return ClosedBy;
            case "closed": return Closed ? "true" : "false";
            case "doc_type": return "CommCareCase";
        }
        if (Props is not null)
        {
            foreach (var kv in Props) if (kv.Key == name) return kv.Value;
            return null;
        }
        if (name is "case_name" or "case_type" or "date_opened") return null; // API-format only, not ES fields
        foreach (var kv in ApiProps) if (kv.Key == name) return kv.Value;
        return null;
    }
}

public enum FormKind : byte { Register, Followup, Close }

public sealed class FormRec
{
    public int Seq;
    public string Id = "";
    public string Domain = "";
    public FormKind Kind;
    public string Xmlns = "";
    public string Name = "";
    public string AppId = "";
    public string BuildId = "";
    public string Version = "";
    public int AppBuildVersion;
    public long ReceivedOn;
    public long ServerModifiedOn;
    public long IndexedOn;
    public long TimeStart;
    public long TimeEnd;
    public long EditedOn;
    public string? EditedBy;
    public bool Archived;
    public bool IsPhone;
    public int Worker;
    public string SubmitIp = "";
    public int XmlLength;
    public int[] CaseSeqs = Array.Empty<int>();
    public int Weight;
    public int NotesIdx;
    public ReadOnlyMemory<byte> Json;

    /// <summary>Value of a top-level (or a few dotted) ES fields, for generic term filters.</summary>
    public string? Field(string name) => name switch
    {
        "_id" => Id,
        "domain" => Domain,
        "app_id" => AppId,
        "build_id" => BuildId,
        "version" => Version,
        "uiversion" => "1",
        "type" => "data",
        "xmlns" => Xmlns,
        "doc_type" => Archived ? "XFormArchived" : "XFormInstance",
        "submit_ip" => SubmitIp,
        "form.@name" => Name,
        "form.meta.userID" or "metadata.userID" => Accounts.DataWorkers[Worker].Id,
        "form.meta.username" or "metadata.username" => Accounts.DataWorkers[Worker].Username,
        "form.meta.instanceID" or "metadata.instanceID" => Id,
        _ => null,
    };
}

/// <summary>All records of one project space, sorted by indexed_on (ties: generation order), plus sort indexes.</summary>
public sealed class DomainData
{
    public required string Domain { get; init; }
    public required CaseRec[] Cases { get; init; }
    public required FormRec[] Forms { get; init; }
    public long[] CaseIndexedOn = Array.Empty<long>();
    public long[] FormIndexedOn = Array.Empty<long>();
    public Dictionary<string, CaseRec> CaseById = new(StringComparer.Ordinal);
    public Dictionary<string, FormRec> FormById = new(StringComparer.Ordinal);

    // Permutations (arrays of Seq) per sort key; ties always in ascending Seq (generation) order.
    public int[] CaseIdxDesc = Array.Empty<int>();
    public int[] CaseSrvModAsc = Array.Empty<int>();
    public int[] CaseSrvModDesc = Array.Empty<int>();
    public int[] CaseDateModAsc = Array.Empty<int>();
    public int[] CaseDateModDesc = Array.Empty<int>();
    public int[] FormIdxDesc = Array.Empty<int>();
    public int[] FormRecvAsc = Array.Empty<int>();
    public int[] FormRecvDesc = Array.Empty<int>();
    public int[] FormSrvModAsc = Array.Empty<int>();
    public int[] FormSrvModDesc = Array.Empty<int>();

    /// <summary>Archived flag by form Seq and prefix counts of non-archived forms (length forms+1).</summary>
    public bool[] FormArchived = Array.Empty<bool>();
    public int[] FormLivePrefix = new int[1];

    /// <summary>The indexed_on value shared by the --same-timestamp-* group (0 if none).</summary>
    public long SharedCaseIndexedOn;
    public long SharedFormIndexedOn;
    public int ArchivedForms;
}

/// <summary>An immutable generated data set (swapped atomically on regeneration).</summary>
public sealed class DataSet
{
    public required DataSetSpec Spec { get; init; }
    public required Dictionary<string, DomainData> Domains { get; init; }
    public double GenerationMs { get; init; }

    public DomainData? For(string domain) => Domains.TryGetValue(domain, out var d) ? d : null;

    /// <summary>Spec of the small fixed data set of the second project space.</summary>
    public static DataSetSpec OtherSpec(long seed) => new(6, 8, 0, 0, seed + 1000);

    public static DataSet Generate(DataSetSpec spec, string baseUrl)
    {
        var sw = Stopwatch.StartNew();
        DomainData demo, other;
        // Nearly everything allocated here survives: suppress the (useless, expensive) gen2 collections
        // that large-object allocations would trigger while generating.
        // Nearly everything allocated while generating survives, so garbage collections in the middle only copy
        // live data around. For big sets, ask for a no-GC region sized from the spec instead.
        var estimate = 64L * 1024 * 1024 + (long)spec.Cases * 2200 + (long)spec.Forms * 5000;
        var noGc = false;
        if ((long)spec.Cases + spec.Forms >= 20_000 && Environment.GetEnvironmentVariable("EMU_NOGC") != "0")
        {
            try
            {
                noGc = GC.TryStartNoGCRegion(Math.Min(estimate, 4L << 30));
            }
            catch (Exception e) when (e is ArgumentOutOfRangeException or InvalidOperationException)
            {
                noGc = false;
            }
        }
        try
        {
            demo = Generator.Generate("demo", spec, baseUrl, special: true);
            other = Generator.Generate("other", OtherSpec(spec.Seed), baseUrl, special: false);
        }
        finally
        {
            if (noGc && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion) GC.EndNoGCRegion();
        }
        return new DataSet
        {
            Spec = spec,
            Domains = new Dictionary<string, DomainData>(StringComparer.Ordinal) { ["demo"] = demo, ["other"] = other },
            GenerationMs = sw.Elapsed.TotalMilliseconds,
        };
    }
}

/// <summary>Deterministic data generator (see README "Data set").</summary>
public static class Generator
{
    public const string XmlnsRegister = "http://openrosa.org/formdesigner/REGISTER";
    public const string XmlnsFollowup = "http://openrosa.org/formdesigner/FOLLOWUP";
    public const string XmlnsClose = "http://openrosa.org/formdesigner/CLOSE";
    public const string App1 = "b7f3c2a1d4e54f6a8b9c0d1e2f3a4b5c";
    public const string App2 = "0a1b2c3d4e5f4a6b7c8d9e0f1a2b3c4d";
    public const string Build1 = "e0a6125f3b2d4c1a9e8f7d6c5b4a3921";
    public const string Build2 = "4c3b2a1f0e9d4c8b7a6f5e4d3c2b1a07";

    public static readonly string[] Districts = { "north", "south", "east" };
    public static readonly string[] Villages = { "Kisumu", "Fort Smith", "Eldoret", "Lone Pine", "Nakuru", "Red River" };
    private static readonly string[] FirstNames =
    {
        "Rooster", "LaBoeuf", "Tom", "Ned", "Emmett", "Lucky", "Yarnell", "Frank", "Ann", "Grace", "Ruth",
        "Clara", "Josiah", "Amos", "Eliza", "Hattie", "Silas", "Jesse", "Cora", "Opal", "Virgil", "Ada",
        "Abel", "Ivy", "Walter", "Edna", "Otis", "Pearl", "Homer", "Mabel",
    };
    private static readonly string[] LastNames =
    {
        "Cogburn", "Chaney", "Pepper", "Quincy", "Poteet", "Hendricks", "Parker", "Stone", "Barlow", "Moon",
        "Finch", "Holt", "Garrett", "Reyes", "Ochieng", "Wanjiru", "Mwangi", "Otieno", "Kamau", "Achieng",
        "Hale", "Dodd", "Rusk", "Tate", "Wells",
    };
    private static readonly string[] Notes = { "All well", "Needs referral", "Follow up in 2 weeks", "Not at home", "Improving" };
    private static readonly string[] CloseReasons = { "moved", "recovered", "deceased", "duplicate" };

    public static readonly long T0 = Dates.Ticks(2024, 1, 1);
    private static readonly long Span = TimeSpan.FromDays(300).Ticks;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static DomainData Generate(string domain, DataSetSpec spec, string baseUrl, bool special)
    {
        var n = Math.Max(0, spec.Cases);
        var m = Math.Max(0, spec.Forms);
        var trace = Environment.GetEnvironmentVariable("EMU_TRACE") == "1" ? Stopwatch.StartNew() : null;
        long alloc0 = GC.GetTotalAllocatedBytes();
        void T(string what) { if (trace is not null) { var a = GC.GetTotalAllocatedBytes(); Console.Error.WriteLine($"  gen {domain} {what}: {trace.Elapsed.TotalMilliseconds:F0} ms, allocated {(a - alloc0) >> 20} MB"); alloc0 = a; trace.Restart(); } }
        var seed = spec.Seed;

        var caseIdx = Timeline(n, Math.Min(Math.Max(0, spec.SameTimestampCases), n), seed, 11, out var sharedCase);
        var formIdx = Timeline(m, Math.Min(Math.Max(0, spec.SameTimestampForms), m), seed, 12, out var sharedForm);

        T("timelines");
        // ---- cases: households, each followed by 1-3 patients -------------------------------------------
        var cases = new CaseRec[n];
        var patientsLeft = 0;
        var household = -1;
        var patientOrdinal = 0;
        var householdOrdinal = 0;
        var mattieOrdinal = -1;
        var householdLast = 0;
        var names = new Dictionary<(int, int), string>();
        for (var i = 0; i < n; i++)
        {
            var r = new Rng(seed, 1, i);
            var c = new CaseRec { Seq = i, Domain = domain, Id = r.Uuid(), IndexedOn = caseIdx[i] };
            if (patientsLeft == 0 || household < 0)
            {
                household = i;
                patientsLeft = 1 + r.Next(3);
                householdOrdinal++;
                householdLast = r.Next(LastNames.Length);
                c.Type = "household";
                c.Name = HouseholdNames[householdLast];
                c.ExternalId = "H-" + householdOrdinal;
                var w = r.Next(Accounts.DataWorkers.Length);
                c.OwnerId = Accounts.DataWorkers[w].Id;
                c.Props!.Add(new("district", r.Pick(Districts)));
                c.Props!.Add(new("village", r.Pick(Villages)));
                c.Props!.Add(new("hh_size", SmallInt(2 + r.Next(8))));
            }
            else
            {
                patientsLeft--;
                patientOrdinal++;
                var hh = cases[household];
                c.Type = "patient";
                c.ParentSeq = household;
                c.OwnerId = hh.OwnerId;
                var first = r.Next(FirstNames.Length);
                c.Name = names.TryGetValue((first, householdLast), out var nm)
                    ? nm
                    : names[(first, householdLast)] = FirstNames[first] + " " + LastNames[householdLast];
                c.ExternalId = "P-" + patientOrdinal;
                if (special && patientOrdinal == 17)
                {
                    c.Name = "Mattie Ross";
                    mattieOrdinal = i;
                }
                c.Props!.Add(new("age", SmallInt(1 + r.Next(90))));
                c.Props!.Add(new("gender", r.Next(2) == 0 ? "female" : "male"));
                c.Props!.Add(new("district", hh.Field("district")!));
                c.Props!.Add(new("village", hh.Field("village")!));
                if (r.Next(3) == 0) c.Props!.Add(new("contact_phone_number", "+2547" + (10000000 + r.Next(89999999))));
            }
            c.UserId = c.OwnerId;
            c.OpenedBy = c.OwnerId;
            c.Closed = r.NextDouble() < 0.2;

            // Timestamps: server modification shortly before indexing; phone time before that.
            var srv = c.IndexedOn - (500_000 + r.NextLong(20_000_000)) / 10 * 10;
            var variant = i % 4;
            c.ServerModifiedStyle = variant switch { 1 => DateStyle.Micro, 2 => DateStyle.SecondsZ, _ => DateStyle.MicroZ };
            if (c.ServerModifiedStyle == DateStyle.SecondsZ) srv -= srv % TimeSpan.TicksPerSecond;
            c.ServerModified = srv;
            c.DateModifiedStyle = i % 3 == 0 ? DateStyle.SecondsZ : DateStyle.MicroZ;
            var phone = srv - r.NextLong(TimeSpan.TicksPerDay * 2);
            phone -= phone % TimeSpan.TicksPerMillisecond; // phones report milliseconds
            if (c.DateModifiedStyle == DateStyle.SecondsZ) phone -= phone % TimeSpan.TicksPerSecond;
            c.DateModified = phone;
            var opened = phone - r.NextLong(TimeSpan.TicksPerDay * 60);
            opened -= opened % TimeSpan.TicksPerSecond;
            c.DateOpened = opened;
            var srvOpened = opened + 1_000_000 + r.NextLong(50_000_000);
            srvOpened -= srvOpened % 10;
            if (c.ServerModifiedStyle == DateStyle.SecondsZ) srvOpened -= srvOpened % TimeSpan.TicksPerSecond;
            c.ServerOpened = Math.Min(srvOpened, srv);
            cases[i] = c;
        }
        if (special && mattieOrdinal < 0)
        {
            // Fewer than 17 patients: the last patient becomes Mattie Ross.
            for (var i = n - 1; i >= 0; i--)
            {
                if (cases[i].Type == "patient")
                {
                    cases[i].Name = "Mattie Ross";
                    cases[i].ExternalId = "P-17";
                    break;
                }
            }
        }

        T("cases");
        // children lists
        var childCount = new int[n];
        foreach (var c in cases) if (c.ParentSeq >= 0) childCount[c.ParentSeq]++;
        for (var i = 0; i < n; i++) if (childCount[i] > 0) cases[i].Children = new int[childCount[i]];
        Array.Clear(childCount);
        foreach (var c in cases) if (c.ParentSeq >= 0) cases[c.ParentSeq].Children[childCount[c.ParentSeq]++] = c.Seq;

        // ---- forms -------------------------------------------------------------------------------------
        var closedCases = new List<int>();
        foreach (var c in cases) if (c.Closed) closedCases.Add(c.Seq);
        var registers = n == 0 || m == 0 ? 0 : Math.Clamp(m * 45 / 100, 1, Math.Min(n, m));
        var nonRegister = m - registers;
        var closes = Math.Min(closedCases.Count, Math.Min(m * 10 / 100, nonRegister));
        var forms = new FormRec[m];
        var nextCase = 0;
        var followupOrdinal = 0;
        var nonRegSlot = 0;
        var closeOrdinal = 0;
        for (var j = 0; j < m; j++)
        {
            var r = new Rng(seed, 2, j);
            var f = new FormRec { Seq = j, Domain = domain, Id = r.Uuid(), IndexedOn = formIdx[j] };
            var isRegister = registers > 0 && (long)(j + 1) * registers / m > (long)j * registers / m;
            if (isRegister)
            {
                var reg = (int)((long)j * registers / m);
                var end = reg == registers - 1 ? n : (int)(((long)(reg + 1) * n + registers - 1) / registers);
                var list = new List<int>();
                for (; nextCase < end; nextCase++) list.Add(nextCase);
                f.CaseSeqs = list.ToArray();
                f.Kind = FormKind.Register;
            }
            else
            {
                var s = nonRegSlot++;
                var isClose = closes > 0 && (long)(s + 1) * closes / nonRegister > (long)s * closes / nonRegister;
                if (isClose)
                {
                    f.Kind = FormKind.Close;
                    f.CaseSeqs = new[] { closedCases[closeOrdinal++] };
                }
                else
                {
                    f.Kind = FormKind.Followup;
                    var fo = followupOrdinal++;
                    if (n > 0) f.CaseSeqs = new[] { (int)(((long)fo * 7919 + 13) % n) };
                    f.Archived = fo % 7 == 3;
                    if (!f.Archived && fo % 40 == 5) f.EditedBy = Accounts.AdminId;
                }
            }
            switch (f.Kind)
            {
                case FormKind.Register:
                    f.Xmlns = XmlnsRegister; f.Name = "Register"; break;
                case FormKind.Followup:
                    f.Xmlns = XmlnsFollowup; f.Name = "Follow-up Visit"; break;
                default:
                    f.Xmlns = XmlnsClose; f.Name = "Close Case"; break;
            }
            var app2 = f.Kind == FormKind.Close || (f.Kind == FormKind.Followup && followupOrdinal % 4 == 2);
            f.AppId = app2 ? App2 : App1;
            f.BuildId = app2 ? Build2 : Build1;
            f.AppBuildVersion = app2 ? 7 : 18;
            f.Version = f.AppBuildVersion.ToString();
            f.Worker = f.CaseSeqs.Length > 0
                ? Array.FindIndex(Accounts.DataWorkers, w => w.Id == cases[f.CaseSeqs[0]].OwnerId)
                : j % Accounts.DataWorkers.Length;
            if (f.Worker < 0) f.Worker = 0;
            f.IsPhone = j % 11 != 4;
            f.SubmitIp = "10.0." + (1 + r.Next(20)) + "." + (2 + r.Next(250));
            f.XmlLength = 900 + r.Next(3000);
            f.Weight = 40 + r.Next(60);
            f.NotesIdx = r.Next(Notes.Length);

            long received;
            if (f.Archived)
            {
                // archived later: re-indexed when archived, long after it was received
                received = f.IndexedOn - TimeSpan.TicksPerDay - r.NextLong(TimeSpan.TicksPerDay * 20);
                f.ServerModifiedOn = f.IndexedOn - (200_000 + r.NextLong(5_000_000));
            }
            else
            {
                received = f.IndexedOn - (500_000 + r.NextLong(15_000_000));
                f.ServerModifiedOn = received;
            }
            received -= received % 10;
            f.ServerModifiedOn -= f.ServerModifiedOn % 10;
            if (!f.Archived) f.ServerModifiedOn = received;
            f.ReceivedOn = received;
            if (f.EditedBy is not null)
            {
                f.EditedOn = f.IndexedOn - 100_000;
                f.EditedOn -= f.EditedOn % 10;
            }
            var start = received - TimeSpan.TicksPerMinute * (2 + r.Next(118)) - r.NextLong(TimeSpan.TicksPerMinute);
            start -= start % TimeSpan.TicksPerMillisecond;
            f.TimeStart = start;
            f.TimeEnd = start + TimeSpan.TicksPerMinute + r.NextLong(TimeSpan.TicksPerMinute * 14) / TimeSpan.TicksPerMillisecond * TimeSpan.TicksPerMillisecond;
            forms[j] = f;
        }

        T("forms");
        // ---- link cases back to forms (xform_ids: non-archived forms) --------------------------------
        var formCount = new int[n];
        foreach (var f in forms) if (!f.Archived) foreach (var cs in f.CaseSeqs) formCount[cs]++;
        for (var i = 0; i < n; i++) cases[i].FormSeqs = formCount[i] == 0 ? Array.Empty<int>() : new int[formCount[i]];
        Array.Clear(formCount);
        foreach (var f in forms) if (!f.Archived) foreach (var cs in f.CaseSeqs) cases[cs].FormSeqs[formCount[cs]++] = f.Seq;

        foreach (var f in forms)
        {
            if (f.Archived) continue;
            foreach (var cs in f.CaseSeqs)
            {
                var c = cases[cs];
                if (f.Kind == FormKind.Followup) SetProp(c, "last_visit_date", Dates.ToString(f.TimeEnd, DateStyle.DateOnly));
                if (f.Kind == FormKind.Close && c.Closed)
                {
                    SetProp(c, "close_reason", CloseReasons[f.NotesIdx % CloseReasons.Length]);
                    c.ClosedBy = Accounts.DataWorkers[f.Worker].Id;
                    c.UserId = c.ClosedBy;
                }
            }
        }
        foreach (var c in cases)
        {
            if (!c.Closed) continue;
            c.ClosedBy ??= c.OwnerId;
            c.DateClosed = c.ServerModified;
        }

        // ---- API-format properties, JSON, indexes --------------------------------------------------
        foreach (var c in cases)
        {
            var dyn = c.Props!;
            var props = new KeyValuePair<string, string?>[dyn.Count + 5];
            var k = 0;
            foreach (var kv in dyn) props[k++] = new(kv.Key, kv.Value);
            props[k++] = new("case_name", c.Name);
            props[k++] = new("case_type", c.Type);
            props[k++] = new("date_opened", Dates.ToString(c.DateOpened, DateStyle.SecondsZ));
            props[k++] = new("external_id", c.ExternalId);
            props[k] = new("owner_id", c.OwnerId);
            Array.Sort(props, PropOrder.Instance);
            c.ApiProps = props;
            c.Props = null;
        }

        T("links+props");
        var data = new DomainData { Domain = domain, Cases = cases, Forms = forms };
        data.CaseIndexedOn = caseIdx;
        data.FormIndexedOn = formIdx;
        data.SharedCaseIndexedOn = sharedCase;
        data.SharedFormIndexedOn = sharedForm;
        data.FormArchived = new bool[m];
        data.FormLivePrefix = new int[m + 1];
        for (var j = 0; j < m; j++)
        {
            data.FormArchived[j] = forms[j].Archived;
            data.FormLivePrefix[j + 1] = data.FormLivePrefix[j] + (forms[j].Archived ? 0 : 1);
            if (forms[j].Archived) data.ArchivedForms++;
        }
        foreach (var c in cases) data.CaseById[c.Id] = c;
        foreach (var f in forms) data.FormById[f.Id] = f;

        T("dicts");
        var ctx = new RecordJson(data, baseUrl);
        Action[] work =
        {
            () => SerialiseAll(n, (w, i) => ctx.WriteCase(w, cases[i], CaseExtras.None), (i, json) => cases[i].Json = json),
            () => SerialiseAll(m, (w, j) => ctx.WriteForm(w, forms[j], withCases: false), (j, json) => forms[j].Json = json),
            () => data.CaseIdxDesc = DescByIndex(caseIdx),
            () => data.FormIdxDesc = DescByIndex(formIdx),
            () => data.CaseSrvModAsc = SortPerm(cases, static c => c.ServerModified, false),
            () => data.CaseSrvModDesc = SortPerm(cases, static c => c.ServerModified, true),
            () => data.CaseDateModAsc = SortPerm(cases, static c => c.DateModified, false),
            () => data.CaseDateModDesc = SortPerm(cases, static c => c.DateModified, true),
            () => data.FormRecvAsc = SortPerm(forms, static f => f.ReceivedOn, false),
            () => data.FormRecvDesc = SortPerm(forms, static f => f.ReceivedOn, true),
            () => data.FormSrvModAsc = SortPerm(forms, static f => f.ServerModifiedOn, false),
            () => data.FormSrvModDesc = SortPerm(forms, static f => f.ServerModifiedOn, true),
        };
        if ((long)n + m < 20_000)
        {
            foreach (var a in work) a(); // small sets: thread-pool ramp-up costs more than it saves
        }
        else
        {
            Parallel.Invoke(work);
        }
        T("json+perms");
        if (trace is not null)
        {
            long cj = 0, fj = 0;
            foreach (var c in cases) cj += c.Json.Length;
            foreach (var f in forms) fj += f.Json.Length;
            Console.Error.WriteLine($"  json bytes: cases={cj >> 20} MB forms={fj >> 20} MB");
        }
        if (trace is not null) Console.Error.WriteLine($"  gc: gen0={GC.CollectionCount(0)} gen1={GC.CollectionCount(1)} gen2={GC.CollectionCount(2)} pause={GC.GetTotalPauseDuration().TotalMilliseconds:F0} ms heap={GC.GetTotalMemory(false) >> 20} MB");
        return data;
    }

    /// <summary>
    /// Serialises records in parallel batches; the bytes go into large shared chunks (an arena on the LOH)
    /// instead of one small array per record, so the GC never has to copy ~hundreds of MB of survivors.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SerialiseAll(int count, Action<PyJsonWriter, int> write, Action<int, ReadOnlyMemory<byte>> store)
    {
        const int Batch = 2048;
        var batches = (count + Batch - 1) / Batch;
        if (batches <= 1)
        {
            var arena = new Arena(small: true);
            for (var i = 0; i < count; i++)
            {
                arena.Writer.Reset();
                write(arena.Writer, i);
                store(i, arena.Keep(arena.Writer.WrittenSpan));
            }
            return;
        }
        Parallel.For(0, batches, () => new Arena(), (b, _, arena) =>
        {
            var end = Math.Min(count, (b + 1) * Batch);
            for (var i = b * Batch; i < end; i++)
            {
                arena.Writer.Reset();
                write(arena.Writer, i);
                store(i, arena.Keep(arena.Writer.WrittenSpan));
            }
            return arena;
        }, _ => { });
    }

    private sealed class Arena(bool small = false)
    {
        private const int ChunkSize = 1 << 20;
        private const int SmallChunkSize = 128 << 10;
        public readonly PyJsonWriter Writer = new(8192);
        private byte[] _chunk = Array.Empty<byte>();
        private int _used;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public ReadOnlyMemory<byte> Keep(ReadOnlySpan<byte> bytes)
        {
            if (_used + bytes.Length > _chunk.Length)
            {
                _chunk = GC.AllocateUninitializedArray<byte>(Math.Max(small ? SmallChunkSize : ChunkSize, bytes.Length));
                _used = 0;
            }
            bytes.CopyTo(_chunk.AsSpan(_used));
            var mem = new ReadOnlyMemory<byte>(_chunk, _used, bytes.Length);
            _used += bytes.Length;
            return mem;
        }
    }

    private sealed class PropOrder : IComparer<KeyValuePair<string, string?>>
    {
        public static readonly PropOrder Instance = new();
        public int Compare(KeyValuePair<string, string?> a, KeyValuePair<string, string?> b) => string.CompareOrdinal(a.Key, b.Key);
    }

    private static readonly string[] SmallInts = MakeSmallInts();
    private static readonly string[] HouseholdNames = Array.ConvertAll(LastNames, static l => l + " household");

    private static string[] MakeSmallInts()
    {
        var a = new string[256];
        for (var i = 0; i < a.Length; i++) a[i] = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return a;
    }

    public static string SmallInt(int i) => (uint)i < SmallInts.Length ? SmallInts[i] : i.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static void SetProp(CaseRec c, string key, string value)
    {
        var props = c.Props!;
        for (var i = 0; i < props.Count; i++)
        {
            if (props[i].Key == key)
            {
                props[i] = new(key, value);
                return;
            }
        }
        props.Add(new(key, value));
    }

    /// <summary>
    /// Increasing indexed_on values with microsecond precision spread over ~300 days from 2024-01-01;
    /// <paramref name="same"/> records in the middle share exactly one value.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long[] Timeline(int count, int same, long seed, int stream, out long shared)
    {
        var res = new long[count];
        shared = 0;
        if (count == 0) return res;
        var avg = Span / Math.Max(count, 1);
        var groupStart = same > 1 ? (count - same) / 2 : -1;
        var t = T0 + (new Rng(seed, stream, -1).NextLong(TimeSpan.TicksPerHour * 6) / 10 * 10);
        for (var i = 0; i < count; i++)
        {
            if (groupStart >= 0 && i > groupStart && i < groupStart + same)
            {
                res[i] = res[groupStart];
                continue;
            }
            var r = new Rng(seed, stream, i);
            var step = (long)(avg * (0.5 + r.NextDouble()));
            step -= step % 10;
            if (step < 10) step = 10;
            t += step;
            res[i] = t;
        }
        if (groupStart >= 0) shared = res[groupStart];
        return res;
    }

    /// <summary>Descending by indexed_on where ties keep ascending Seq (records are already sorted ascending).</summary>
    private static int[] DescByIndex(long[] keys)
    {
        var n = keys.Length;
        var res = new int[n];
        var p = 0;
        var end = n;
        while (end > 0)
        {
            var start = end - 1;
            while (start > 0 && keys[start - 1] == keys[end - 1]) start--;
            for (var i = start; i < end; i++) res[p++] = i;
            end = start;
        }
        return res;
    }

    private readonly struct KeySeq(long key, int seq)
    {
        public readonly long Key = key;
        public readonly int Seq = seq;
    }

    private sealed class AscCmp : IComparer<KeySeq>
    {
        public int Compare(KeySeq a, KeySeq b) => a.Key != b.Key ? a.Key.CompareTo(b.Key) : a.Seq.CompareTo(b.Seq);
    }

    private sealed class DescCmp : IComparer<KeySeq>
    {
        public int Compare(KeySeq a, KeySeq b) => a.Key != b.Key ? b.Key.CompareTo(a.Key) : a.Seq.CompareTo(b.Seq);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int[] SortPerm<T>(T[] items, Func<T, long> key, bool desc)
    {
        var tmp = new KeySeq[items.Length];
        for (var i = 0; i < items.Length; i++) tmp[i] = new KeySeq(key(items[i]), i);
        Array.Sort(tmp, desc ? new DescCmp() : new AscCmp());
        var res = new int[items.Length];
        for (var i = 0; i < res.Length; i++) res[i] = tmp[i].Seq;
        return res;
    }

    public static string NoteText(int idx) => Notes[idx % Notes.Length];
}
