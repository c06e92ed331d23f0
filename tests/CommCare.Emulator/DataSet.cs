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
    /// <summary>The pre-serialised JSON, set once (background serialisation or first use); read it via DomainData.CaseJson.</summary>
    public JsonRef? JsonSlot;

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
    /// <summary>The pre-serialised JSON, set once (background serialisation or first use); read it via DomainData.FormJson.</summary>
    public JsonRef? JsonSlot;

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
    public bool[] CaseIsPatient = Array.Empty<bool>();
    public bool[] CaseClosed = Array.Empty<bool>();
    public FormKind[] FormKindBySeq = Array.Empty<FormKind>();
    public bool[] FormIsApp2 = Array.Empty<bool>();

    /// <summary>Archived flag by form Seq and prefix counts of non-archived forms (length forms+1).</summary>
    public bool[] FormArchived = Array.Empty<bool>();
    public int[] FormLivePrefix = new int[1];

    /// <summary>The indexed_on value shared by the --same-timestamp-* group (0 if none).</summary>
    public long SharedCaseIndexedOn;
    public long SharedFormIndexedOn;
    public int ArchivedForms;

    /// <summary>Serialiser for this domain's records (set by the generator).</summary>
    public RecordJson Serializer = null!;

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
    public required Dictionary<string, DomainData> Domains { get; init; }

    /// <summary>Mobile workers, groups, locations and roles (seeded the same for every data set; changed by the user API).</summary>
    public UserStore Users { get; } = new();

    /// <summary>Time until the data set could serve requests (records, indexes; JSON too for small sets).</summary>
    public double GenerationMs { get; init; }

    /// <summary>Completes when every record's JSON is pre-serialised (immediately for small sets).</summary>
    public Task JsonReady { get; private set; } = Task.CompletedTask;

    /// <summary>Time from the start of generation until <see cref="JsonReady"/> completed (null while running).</summary>
    public double? JsonReadyMs { get; private set; }

    public DomainData? For(string domain) => Domains.TryGetValue(domain, out var d) ? d : null;

    /// <summary>Spec of the small fixed data set of the second project space.</summary>
    public static DataSetSpec OtherSpec(long seed) => new(6, 8, 0, 0, seed + 1000);

    /// <summary>
    /// Generates the records and indexes. Big sets (20,000+ records) return as soon as they can serve requests and
    /// pre-serialise the JSON in the background (records not reached yet are serialised on first use).
    /// </summary>
    public static DataSet Generate(DataSetSpec spec, string baseUrl)
    {
        var sw = Stopwatch.StartNew();
        var big = (long)spec.Cases + spec.Forms >= Generator.BigSet;
        // Nearly everything allocated while generating survives, so collections in the middle would only copy
        // live data around. For big sets, ask for a no-GC region (sized from the spec) until the JSON is done.
        var noGc = false;
        if (big && Environment.GetEnvironmentVariable("EMU_NOGC") != "0")
        {
            var estimate = 64L * 1024 * 1024 + (long)spec.Cases * 2200 + (long)spec.Forms * 5000;
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
