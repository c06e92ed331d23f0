using System;
using System.Runtime.CompilerServices;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime;
using System.Threading;
using System.Threading.Tasks;

namespace CommCare.Emulator;

/// <summary>Parameters of a generated data set (CLI flags / POST /_emulator/dataset).</summary>
public sealed record DataSetSpec(int Cases = DataSetSpec.DefaultCases, int Forms = DataSetSpec.DefaultForms,
    int SameTimestampForms = 0, int SameTimestampCases = 0, long Seed = 1, int SurveyForms = 0, int SameTimestampSurveyForms = 0)
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
    /// <summary>The pre-serialised JSON, set once (background serialisation or first use); read it via DomainData.CaseJson.</summary>
    public JsonRef? JsonSlot;

    /// <summary>The indices of a case touched by a write (null: the generated <c>parent</c> index from <see cref="ParentSeq"/>).</summary>
    public CaseIndex[]? Indices;
    /// <summary>Case attachments (from forms' <c>&lt;attachment&gt;</c> blocks or the control plane), by name.</summary>
    public Attachment[] Attachments = Array.Empty<Attachment>();
    /// <summary>For a generated case changed by a write: the generated record (the base a rebuild starts from).</summary>
    public CaseRec? Origin;
    /// <summary>Created by a write (a rebuild starts from nothing).</summary>
    public bool Created;

    /// <summary>A shallow copy (records of a published snapshot are never changed; writes change copies).</summary>
    public CaseRec Clone() => (CaseRec)MemberwiseClone();

    /// <summary>The generated state of this case (itself when it was never written to).</summary>
    public CaseRec Seed => Origin ?? this;

    /// <summary>The case's indices: the explicit list, or the generated <c>parent</c> index.</summary>
    public CaseIndex[] IndicesIn(DomainData data)
    {
        if (Indices is not null) return Indices;
        if (ParentSeq < 0) return Array.Empty<CaseIndex>();
        var p = data.Cases[ParentSeq];
        return new[] { new CaseIndex("parent", p.Id, p.Type, "child") };
    }

    /// <summary>A dynamic case property (not the five built-ins), or null when the case does not have it.</summary>
    public string? Property(string name)
    {
        if (name is "case_name" or "case_type" or "date_opened" or "external_id" or "owner_id") return null;
        foreach (var kv in ApiProps) if (kv.Key == name) return kv.Value;
        return null;
    }

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

/// <summary>An index of a case (<c>{identifier: {case_id, case_type, relationship}}</c>).</summary>
public sealed record CaseIndex(string Identifier, string CaseId, string CaseType, string Relationship);

public enum FormKind : byte { Register, Followup, Close, Survey }

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
    /// <summary>A survey form's number among the survey forms (0 = the first by indexed_on) and the seed its body is drawn from.</summary>
    public int SurveyNo = -1;
    public long SurveySeed;
    /// <summary>The pre-serialised JSON, set once (background serialisation or first use); read it via DomainData.FormJson.</summary>
    public JsonRef? JsonSlot;

    /// <summary>A form that came in through the receiver, the Case API or the case importer (null: generated).</summary>
    public SubmittedForm? Sub;
    /// <summary>Attachments besides <c>form.xml</c>, sorted by name.</summary>
    public Attachment[] Attachments = Array.Empty<Attachment>();

    /// <summary>A shallow copy (records of a published snapshot are never changed; writes change copies).</summary>
    public FormRec Clone() => (FormRec)MemberwiseClone();

    /// <summary>The submitting user's id (<c>form.meta.userID</c>).</summary>
    public string? UserId => Sub is not null ? Sub.UserId : Accounts.DataWorkers[Worker].Id;

    /// <summary>The submitting user's name (<c>form.meta.username</c>).</summary>
    public string? UserName => Sub is not null ? Sub.Username : Accounts.DataWorkers[Worker].Username;

    /// <summary>Value of a top-level (or a few dotted) ES fields, for generic term filters.</summary>
    public string? Field(string name) => name switch
    {
        "_id" => Id,
        "domain" => Domain,
        "app_id" => AppId,
        "build_id" => BuildId,
        "version" => Version,
        "uiversion" => Sub is not null ? Sub.UiVersion : "1",
        "type" => Sub is not null ? Sub.RootName : "data",
        "xmlns" => Xmlns,
        "doc_type" => Archived ? "XFormArchived" : "XFormInstance",
        "submit_ip" => SubmitIp,
        "form.@name" => Name,
        "form.meta.userID" or "metadata.userID" => UserId,
        "form.meta.username" or "metadata.username" => UserName,
        "form.meta.instanceID" or "metadata.instanceID" => Id,
        _ => null,
    };
}

/// <summary>A record's JSON bytes inside an arena chunk (a reference type so it is published atomically).</summary>
public sealed class JsonRef(byte[] buffer, int offset, int length)
{
    public ReadOnlyMemory<byte> Memory => new(buffer, offset, length);
    public int Length => length;
}

/// <summary>All records of one project space, sorted by indexed_on (ties: generation order), plus sort indexes.</summary>
public sealed class DomainData
{
    public required string Domain { get; init; }
    public required CaseRec[] Cases { get; init; }
    public required FormRec[] Forms { get; init; }
    /// <summary>Base URL for absolute links in records (attachment URLs).</summary>
    public string BaseUrl { get; init; } = "";
    /// <summary>True for a snapshot produced by a write (records may have moved; see <see cref="DomainStore"/>).</summary>
    public bool Mutated { get; init; }
    /// <summary>The generated snapshot this one descends from (null for the generated snapshot itself).</summary>
    public DomainData? SeedData { get; init; }
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

    /// <summary>Dense per-Seq copies of hot filter fields (see RecordQuery.SeqPredicates).</summary>
    public string[] CaseTypes = Array.Empty<string>();
    public bool[] CaseClosed = Array.Empty<bool>();
    public string[] FormXmlns = Array.Empty<string>();
    public string?[] FormAppIds = Array.Empty<string?>();

    /// <summary>Archived flag by form Seq and prefix counts of non-archived forms (length forms+1).</summary>
    public bool[] FormArchived = Array.Empty<bool>();
    public int[] FormLivePrefix = new int[1];

    /// <summary>The indexed_on value shared by the --same-timestamp-* group (0 if none).</summary>
    public long SharedCaseIndexedOn;
    public long SharedFormIndexedOn;
    /// <summary>The indexed_on value shared by the --same-timestamp-survey-forms group (0 if none) and the survey form count.</summary>
    public long SharedSurveyFormIndexedOn;
    public int SurveyForms;
    public int ArchivedForms;

    /// <summary>Serialiser for this domain's records (set by <see cref="BuildIndexes"/>).</summary>
    public RecordJson Serializer = null!;

    /// <summary>
    /// Dense arrays, id lookups, sort permutations and the serialiser, from <see cref="Cases"/> and <see cref="Forms"/>
    /// (both sorted by indexed_on, ties in Seq order, Seq = array index).
    /// </summary>
    public void BuildIndexes(bool parallel)
    {
        var cases = Cases;
        var forms = Forms;
        var n = cases.Length;
        var m = forms.Length;
        CaseIndexedOn = new long[n];
        CaseTypes = new string[n];
        CaseClosed = new bool[n];
        for (var i = 0; i < n; i++)
        {
            CaseIndexedOn[i] = cases[i].IndexedOn;
            CaseTypes[i] = cases[i].Type;
            CaseClosed[i] = cases[i].Closed;
        }
        FormIndexedOn = new long[m];
        FormXmlns = new string[m];
        FormAppIds = new string?[m];
        FormArchived = new bool[m];
        FormLivePrefix = new int[m + 1];
        ArchivedForms = 0;
        for (var j = 0; j < m; j++)
        {
            var f = forms[j];
            FormIndexedOn[j] = f.IndexedOn;
            FormXmlns[j] = f.Xmlns;
            FormAppIds[j] = f.AppId;
            FormArchived[j] = f.Archived;
            FormLivePrefix[j + 1] = FormLivePrefix[j] + (f.Archived ? 0 : 1);
            if (f.Archived) ArchivedForms++;
        }
        Serializer = new RecordJson(this, BaseUrl);
        Action[] work =
        {
            () =>
            {
                var d = new Dictionary<string, CaseRec>(n, StringComparer.Ordinal);
                foreach (var c in cases) d[c.Id] = c;
                CaseById = d;
            },
            () =>
            {
                var d = new Dictionary<string, FormRec>(m, StringComparer.Ordinal);
                foreach (var f in forms) d[f.Id] = f;
                FormById = d;
            },
            () => CaseIdxDesc = Generator.DescByIndex(CaseIndexedOn),
            () => FormIdxDesc = Generator.DescByIndex(FormIndexedOn),
            () => CaseSrvModAsc = Generator.SortPerm(cases, static c => c.ServerModified, false),
            () => CaseSrvModDesc = Generator.SortPerm(cases, static c => c.ServerModified, true),
            () => CaseDateModAsc = Generator.SortPerm(cases, static c => c.DateModified, false),
            () => CaseDateModDesc = Generator.SortPerm(cases, static c => c.DateModified, true),
            () => FormRecvAsc = Generator.SortPerm(forms, static f => f.ReceivedOn, false),
            () => FormRecvDesc = Generator.SortPerm(forms, static f => f.ReceivedOn, true),
            () => FormSrvModAsc = Generator.SortPerm(forms, static f => f.ServerModifiedOn, false),
            () => FormSrvModDesc = Generator.SortPerm(forms, static f => f.ServerModifiedOn, true),
        };
        if (parallel)
        {
            System.Threading.Tasks.Parallel.Invoke(work);
        }
        else
        {
            foreach (var a in work) a(); // small sets: thread-pool ramp-up costs more than it saves
        }
    }

    /// <summary>The case's pre-serialised JSON; serialised here on first use if the background pass has not reached it.</summary>
    public ReadOnlyMemory<byte> CaseJson(CaseRec c)
    {
        var j = Volatile.Read(ref c.JsonSlot);
        if (j is not null) return j.Memory;
        var w = new PyJsonWriter(2048);
        Serializer.WriteCase(w, c, CaseExtras.None);
        var arr = w.ToArray();
        var fresh = new JsonRef(arr, 0, arr.Length);
        return (Interlocked.CompareExchange(ref c.JsonSlot, fresh, null) ?? fresh).Memory;
    }

    /// <summary>The form's pre-serialised JSON (see <see cref="CaseJson"/>).</summary>
    public ReadOnlyMemory<byte> FormJson(FormRec f)
    {
        var j = Volatile.Read(ref f.JsonSlot);
        if (j is not null) return j.Memory;
        var w = new PyJsonWriter(4096);
        Serializer.WriteForm(w, f, withCases: false);
        var arr = w.ToArray();
        var fresh = new JsonRef(arr, 0, arr.Length);
        return (Interlocked.CompareExchange(ref f.JsonSlot, fresh, null) ?? fresh).Memory;
    }
}

/// <summary>An immutable generated data set (swapped atomically on regeneration).</summary>
public sealed class DataSet
{
    public required DataSetSpec Spec { get; init; }
    /// <summary>The generated records of each project space (the seed; see <see cref="For"/> for the current state).</summary>
    public required Dictionary<string, DomainData> Domains { get; init; }

    private Dictionary<string, DomainStore>? _stores;

    /// <summary>The writable store of each project space (current snapshot, hidden forms, case imports).</summary>
    public Dictionary<string, DomainStore> Stores
    {
        get
        {
            if (_stores is { } s) return s;
            var fresh = new Dictionary<string, DomainStore>(StringComparer.Ordinal);
            foreach (var (name, d) in Domains) fresh[name] = new DomainStore(this, d);
            return Interlocked.CompareExchange(ref _stores, fresh, null) ?? fresh;
        }
    }

    public DomainStore? Store(string domain) => Stores.TryGetValue(domain, out var s) ? s : null;

    /// <summary>Puts every project space's cases and forms back to the generated state (drops every write).</summary>
    public void ResetRecords()
    {
        foreach (var s in Stores.Values) s.Reset();
    }

    /// <summary>Mobile workers, groups, locations and roles (seeded the same for every data set; changed by the user API).</summary>
    public UserStore Users { get; } = new();

    /// <summary>Time until the data set could serve requests (records, indexes; JSON too for small sets).</summary>
    public double GenerationMs { get; init; }

    /// <summary>Completes when every record's JSON is pre-serialised (immediately for small sets).</summary>
    public Task JsonReady { get; private set; } = Task.CompletedTask;

    /// <summary>Time from the start of generation until <see cref="JsonReady"/> completed (null while running).</summary>
    public double? JsonReadyMs { get; private set; }

    /// <summary>The current snapshot of a project space's records (changes with every write).</summary>
    public DomainData? For(string domain) => Stores.TryGetValue(domain, out var s) ? s.Current : null;

    /// <summary>Spec of the small fixed data set of the second project space.</summary>
    public static DataSetSpec OtherSpec(long seed) => new(6, 8, 0, 0, seed + 1000);

    /// <summary>
    /// Generates the records and indexes. Big sets (20,000+ records) return as soon as they can serve requests and
    /// pre-serialise the JSON in the background (records not reached yet are serialised on first use).
    /// </summary>
    public static DataSet Generate(DataSetSpec spec, string baseUrl)
    {
        var sw = Stopwatch.StartNew();
        var big = (long)spec.Cases + spec.Forms + spec.SurveyForms >= Generator.BigSet;
        // Nearly everything allocated while generating survives, so collections in the middle would only copy
        // live data around. For big sets, ask for a no-GC region (sized from the spec) until the JSON is done.
        var noGc = false;
        if (big && Environment.GetEnvironmentVariable("EMU_NOGC") != "0")
        {
            var estimate = 64L * 1024 * 1024 + (long)spec.Cases * 2200 + (long)spec.Forms * 5000 + (long)spec.SurveyForms * 9000;
            try
            {
                noGc = GC.TryStartNoGCRegion(Math.Min(estimate, 4L << 30));
            }
            catch (Exception e) when (e is ArgumentOutOfRangeException or InvalidOperationException)
            {
                noGc = false;
            }
        }
        DomainData demo, other;
        try
        {
            demo = Generator.Generate("demo", spec, baseUrl, special: true, serialise: !big);
            other = Generator.Generate("other", OtherSpec(spec.Seed), baseUrl, special: false, serialise: true);
        }
        catch
        {
            EndNoGc(noGc);
            throw;
        }
        var ds = new DataSet
        {
            Spec = spec,
            Domains = new Dictionary<string, DomainData>(StringComparer.Ordinal) { ["demo"] = demo, ["other"] = other },
            GenerationMs = sw.Elapsed.TotalMilliseconds,
        };
        if (!big)
        {
            EndNoGc(noGc);
            ds.JsonReadyMs = ds.GenerationMs;
            return ds;
        }
        ds.JsonReady = Task.Run(() =>
        {
            try
            {
                Generator.SerialiseRecords(demo, parallel: true);
            }
            finally
            {
                EndNoGc(noGc);
                ds.JsonReadyMs = sw.Elapsed.TotalMilliseconds;
                if (Environment.GetEnvironmentVariable("EMU_TRACE") == "1")
                    Console.Error.WriteLine($"  json pre-serialised {sw.Elapsed.TotalMilliseconds:F0} ms after the start of generation");
            }
        });
        return ds;
    }

    private static void EndNoGc(bool noGc)
    {
        try
        {
            if (noGc && GCSettings.LatencyMode == GCLatencyMode.NoGCRegion) GC.EndNoGCRegion();
        }
        catch (InvalidOperationException)
        {
            // the runtime already left the region (budget exceeded by other allocations)
        }
    }
}
