using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace CommCare.Emulator;

/// <summary>
/// Deterministic data generator (see README "Data set"). Every record draws from its own SplitMix64 streams
/// keyed by (seed, stream, index), so the expensive per-record work runs in parallel and the result depends only
/// on the seed and the sizes.
/// </summary>
public static class Generator
{
    public const string XmlnsRegister = "http://openrosa.org/formdesigner/REGISTER";
    public const string XmlnsFollowup = "http://openrosa.org/formdesigner/FOLLOWUP";
    public const string XmlnsClose = "http://openrosa.org/formdesigner/CLOSE";
    public const string App1 = "b7f3c2a1d4e54f6a8b9c0d1e2f3a4b5c";
    public const string App2 = "0a1b2c3d4e5f4a6b7c8d9e0f1a2b3c4d";
    public const string Build1 = "e0a6125f3b2d4c1a9e8f7d6c5b4a3921";
    public const string Build2 = "4c3b2a1f0e9d4c8b7a6f5e4d3c2b1a07";
    /// <summary>The attachment some generated follow-up forms carry.</summary>
    public const string PhotoName = "photo.jpg";

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
    private static readonly string[] HouseholdNames = Array.ConvertAll(LastNames, static l => l + " household");
    private static readonly string[] PatientNames = MakePatientNames();
    private static readonly string[] SmallInts = MakeSmallInts();

    public static readonly long T0 = Dates.Ticks(2024, 1, 1);
    private static readonly long Span = TimeSpan.FromDays(300).Ticks;

    /// <summary>Sets of at least this many records are generated with all cores and a no-GC region.</summary>
    public const int BigSet = 20_000;

    public static string NoteText(int idx) => Notes[idx % Notes.Length];

    /// <summary>A "First Last" name picked by any non-negative number.</summary>
    public static string PersonName(int pick) => PatientNames[pick % PatientNames.Length];

    public static string SmallInt(int i) => (uint)i < SmallInts.Length ? SmallInts[i] : i.ToString(CultureInfo.InvariantCulture);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static DomainData Generate(string domain, DataSetSpec spec, string baseUrl, bool special, bool serialise)
    {
        var n = Math.Max(0, spec.Cases);
        var m = Math.Max(0, spec.Forms);
        var seed = spec.Seed;
        var big = (long)n + m + Math.Max(0, spec.SurveyForms) >= BigSet;
        var trace = Environment.GetEnvironmentVariable("EMU_TRACE") == "1" ? Stopwatch.StartNew() : null;
        var alloc0 = GC.GetTotalAllocatedBytes();
        void T(string what)
        {
            if (trace is null) return;
            var a = GC.GetTotalAllocatedBytes();
            Console.Error.WriteLine($"  gen {domain} {what}: {trace.Elapsed.TotalMilliseconds:F0} ms, allocated {(a - alloc0) >> 20} MB");
            alloc0 = a;
            trace.Restart();
        }

        var caseIdx = Timeline(n, Math.Min(Math.Max(0, spec.SameTimestampCases), n), seed, 11, out var sharedCase);
        var formIdx = Timeline(m, Math.Min(Math.Max(0, spec.SameTimestampForms), m), seed, 12, out var sharedForm);
        T("timelines");

        // ---- cases, pass 1 (sequential, arithmetic only): households each followed by 1-3 patients ----------
        var parent = new int[n];
        var lastName = new byte[n];
        var ordinal = new int[n];
        {
            var patientsLeft = 0;
            var household = -1;
            var hOrd = 0;
            var pOrd = 0;
            for (var i = 0; i < n; i++)
            {
                var r = new Rng(seed, 1, i);
                if (patientsLeft == 0 || household < 0)
                {
                    household = i;
                    patientsLeft = 1 + r.Next(3);
                    parent[i] = -1;
                    lastName[i] = (byte)r.Next(LastNames.Length);
                    ordinal[i] = ++hOrd;
                }
                else
                {
                    patientsLeft--;
                    parent[i] = household;
                    lastName[i] = lastName[household];
                    ordinal[i] = ++pOrd;
                }
            }
        }
        var mattie = -1;
        if (special)
        {
            // The 17th patient, or the last one when there are fewer.
            for (var i = 0; i < n; i++)
            {
                if (parent[i] < 0) continue;
                mattie = i;
                if (ordinal[i] == 17) break;
            }
        }

        // ---- cases, pass 2 (parallel): the records ------------------------------------------------------
        var cases = new CaseRec[n];
        For(n, big, i =>
        {
            var r = new Rng(seed, 3, i);
            var c = new CaseRec { Seq = i, Domain = domain, Id = r.Uuid(), IndexedOn = caseIdx[i], ParentSeq = parent[i] };
            var hh = parent[i] < 0 ? i : parent[i];
            var (owner, district, village) = HouseholdTraits(seed, hh);
            c.OwnerId = Accounts.DataWorkers[owner].Id;
            if (parent[i] < 0)
            {
                c.Type = "household";
                c.Name = HouseholdNames[lastName[i]];
                c.ExternalId = "H-" + SmallInt(ordinal[i]);
                c.Props!.Add(new("district", Districts[district]));
                c.Props.Add(new("village", Villages[village]));
                c.Props.Add(new("hh_size", SmallInt(2 + r.Next(8))));
            }
            else
            {
                c.Type = "patient";
                c.Name = PatientNames[r.Next(FirstNames.Length) * LastNames.Length + lastName[i]];
                c.ExternalId = "P-" + SmallInt(ordinal[i]);
                if (i == mattie)
                {
                    c.Name = "Mattie Ross";
                    c.ExternalId = "P-17";
                }
                c.Props!.Add(new("age", SmallInt(1 + r.Next(90))));
                c.Props.Add(new("gender", r.Next(2) == 0 ? "female" : "male"));
                c.Props.Add(new("district", Districts[district]));
                c.Props.Add(new("village", Villages[village]));
                if (r.Next(3) == 0) c.Props.Add(new("contact_phone_number", "+2547" + (10000000 + r.Next(89999999)).ToString(CultureInfo.InvariantCulture)));
            }
            c.UserId = c.OwnerId;
            c.OpenedBy = c.OwnerId;
            c.Closed = r.NextDouble() < 0.2;

            // Timestamps: server modification shortly before indexing; phone time before that.
            var srv = c.IndexedOn - (500_000 + r.NextLong(20_000_000)) / 10 * 10;
            c.ServerModifiedStyle = (i % 4) switch { 1 => DateStyle.Micro, 2 => DateStyle.SecondsZ, _ => DateStyle.MicroZ };
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
        });

        // children lists
        var childCount = new int[n];
        for (var i = 0; i < n; i++) if (parent[i] >= 0) childCount[parent[i]]++;
        for (var i = 0; i < n; i++) if (childCount[i] > 0) cases[i].Children = new int[childCount[i]];
        Array.Clear(childCount);
        for (var i = 0; i < n; i++) if (parent[i] >= 0) cases[parent[i]].Children[childCount[parent[i]]++] = i;
        T("cases");

        // ---- forms (parallel; roles are pure arithmetic on the index) --------------------------------------
        var closedCases = new List<int>();
        foreach (var c in cases) if (c.Closed) closedCases.Add(c.Seq);
        var registers = n == 0 || m == 0 ? 0 : Math.Clamp(m * 45 / 100, 1, Math.Min(n, m));
        var nonRegister = m - registers;
        var closes = Math.Min(closedCases.Count, Math.Min(m * 10 / 100, nonRegister));
        var forms = new FormRec[m];
        For(m, big, j =>
        {
            var r = new Rng(seed, 2, j);
            var f = new FormRec { Seq = j, Domain = domain, Id = r.Uuid(), IndexedOn = formIdx[j] };
            var regBefore = registers == 0 ? 0 : (long)j * registers / m;
            var isRegister = registers > 0 && (long)(j + 1) * registers / m > regBefore;
            var followupOrdinal = -1;
            if (isRegister)
            {
                // register form #reg creates cases [ceil(reg*n/R), ceil((reg+1)*n/R))
                var reg = regBefore;
                var start = (int)((reg * n + registers - 1) / registers);
                var end = reg == registers - 1 ? n : (int)(((reg + 1) * n + registers - 1) / registers);
                var list = new int[Math.Max(0, end - start)];
                for (var k = 0; k < list.Length; k++) list[k] = start + k;
                f.CaseSeqs = list;
                f.Kind = FormKind.Register;
            }
            else
            {
                var s = j - regBefore;
                var closesBefore = closes == 0 ? 0 : s * closes / nonRegister;
                var isClose = closes > 0 && (s + 1) * closes / nonRegister > closesBefore;
                if (isClose)
                {
                    f.Kind = FormKind.Close;
                    f.CaseSeqs = new[] { closedCases[(int)closesBefore] };
                }
                else
                {
                    f.Kind = FormKind.Followup;
                    followupOrdinal = (int)(s - closesBefore);
                    if (n > 0) f.CaseSeqs = new[] { (int)(((long)followupOrdinal * 7919 + 13) % n) };
                    f.Archived = followupOrdinal % 7 == 3;
                    if (!f.Archived && followupOrdinal % 40 == 5) f.EditedBy = Accounts.AdminId;
                }
            }
            switch (f.Kind)
            {
                case FormKind.Register:
                    f.Xmlns = XmlnsRegister;
                    f.Name = "Register";
                    break;
                case FormKind.Followup:
                    f.Xmlns = XmlnsFollowup;
                    f.Name = "Follow-up Visit";
                    break;
                default:
                    f.Xmlns = XmlnsClose;
                    f.Name = "Close Case";
                    break;
            }
            var app2 = f.Kind == FormKind.Close || (f.Kind == FormKind.Followup && followupOrdinal % 4 == 1);
            f.AppId = app2 ? App2 : App1;
            f.BuildId = app2 ? Build2 : Build1;
            f.AppBuildVersion = app2 ? 7 : 18;
            f.Version = SmallInt(f.AppBuildVersion);
            f.Worker = f.CaseSeqs.Length > 0 ? WorkerIndex(cases[f.CaseSeqs[0]].OwnerId) : j % Accounts.DataWorkers.Length;
            f.IsPhone = j % 11 != 4;
            f.SubmitIp = "10.0." + SmallInt(1 + r.Next(20)) + "." + SmallInt(2 + r.Next(250));
            f.XmlLength = 900 + r.Next(3000);
            f.Weight = 40 + r.Next(60);
            f.NotesIdx = r.Next(Notes.Length);

            long received;
            if (f.Archived)
            {
                // archived later: re-indexed when archived, long after it was received
                received = f.IndexedOn - TimeSpan.TicksPerDay - r.NextLong(TimeSpan.TicksPerDay * 20);
                f.ServerModifiedOn = f.IndexedOn - (200_000 + r.NextLong(5_000_000));
                f.ServerModifiedOn -= f.ServerModifiedOn % 10;
            }
            else
            {
                received = f.IndexedOn - (500_000 + r.NextLong(15_000_000));
            }
            received -= received % 10;
            if (!f.Archived) f.ServerModifiedOn = received;
            f.ReceivedOn = received;
            if (f.EditedBy is not null)
            {
                f.EditedOn = f.IndexedOn - 100_000;
                f.EditedOn -= f.EditedOn % 10;
            }
            var start2 = received - TimeSpan.TicksPerMinute * (2 + r.Next(118)) - r.NextLong(TimeSpan.TicksPerMinute);
            start2 -= start2 % TimeSpan.TicksPerMillisecond;
            f.TimeStart = start2;
            f.TimeEnd = start2 + TimeSpan.TicksPerMinute
                + r.NextLong(TimeSpan.TicksPerMinute * 14) / TimeSpan.TicksPerMillisecond * TimeSpan.TicksPerMillisecond;
            // Every 25th follow-up visit (not archived) carries a photo: deterministic JPEG-like bytes. Nothing is drawn
            // from r, so every other field is what it was before photos existed.
            if (special && f.Kind == FormKind.Followup && !f.Archived && followupOrdinal % 25 == 2)
            {
                f.Attachments = new[] { new Attachment(PhotoName, "image/jpeg", new GeneratedBlob(seed * 1_000_003 + j, 1500 + (long)j * 7919 % 4000, jpeg: true)) };
            }
            forms[j] = f;
        });
        T("forms");
        long sharedSurvey = 0;
        if (spec.SurveyForms > 0)
        {
            forms = Survey.AddForms(forms, domain, spec, big, out sharedSurvey);
            T("survey forms");
        }

        // ---- link cases back to forms (xform_ids: non-archived forms) --------------------------------------
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

        // ---- properties in API format (parallel) -------------------------------------------------------
        For(n, big, i =>
        {
            var c = cases[i];
            if (c.Closed)
            {
                c.ClosedBy ??= c.OwnerId;
                c.DateClosed = c.ServerModified;
            }
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
        });
        T("links+props");

        var data = new DomainData { Domain = domain, Cases = cases, Forms = forms, BaseUrl = baseUrl };
        data.SharedCaseIndexedOn = sharedCase;
        data.SharedFormIndexedOn = sharedForm;
        data.SharedSurveyFormIndexedOn = sharedSurvey;
        data.SurveyForms = Math.Max(0, spec.SurveyForms);
        // ---- dense arrays, id lookups and sort permutations (in parallel for big sets) --------------------
        data.BuildIndexes(parallel: big);
        T("indexes");
        if (serialise)
        {
            SerialiseRecords(data, parallel: big);
            T("json");
        }
        return data;
    }

    /// <summary>Owner, district and village of a household (shared by its patients).</summary>
    private static (int Owner, int District, int Village) HouseholdTraits(long seed, int household)
    {
        var r = new Rng(seed, 4, household);
        return (r.Next(Accounts.DataWorkers.Length), r.Next(Districts.Length), r.Next(Villages.Length));
    }

    private static int WorkerIndex(string id)
    {
        for (var i = 0; i < Accounts.DataWorkers.Length; i++) if (Accounts.DataWorkers[i].Id == id) return i;
        return 0;
    }

    /// <summary>Runs <paramref name="body"/> for 0..count-1, on all cores for big sets.</summary>
    internal static void For(int count, bool parallel, Action<int> body)
    {
        if (!parallel)
        {
            for (var i = 0; i < count; i++) body(i);
            return;
        }
        const int Batch = 4096;
        Parallel.For(0, (count + Batch - 1) / Batch, b =>
        {
            var end = Math.Min(count, (b + 1) * Batch);
            for (var i = b * Batch; i < end; i++) body(i);
        });
    }

    /// <summary>
    /// Pre-serialises every record that has no JSON yet, cases and forms in indexed_on order. The bytes are written
    /// straight into large shared chunks (an arena) instead of one small array per record, so the GC never has to
    /// copy hundreds of MB of survivors.
    /// </summary>
    public static void SerialiseRecords(DomainData data, bool parallel)
    {
        var rj = data.Serializer;
        var cases = data.Cases;
        var forms = data.Forms;
        var trace = Environment.GetEnvironmentVariable("EMU_TRACE") == "1" ? Stopwatch.StartNew() : null;
        SerialiseAll(cases.Length, parallel,
            (w, i) => { if (Volatile.Read(ref cases[i].JsonSlot) is not null) return false; rj.WriteCase(w, cases[i], CaseExtras.None); return true; },
            (i, json) => Interlocked.CompareExchange(ref cases[i].JsonSlot, json, null));
        SerialiseAll(forms.Length, parallel,
            (w, j) => { if (Volatile.Read(ref forms[j].JsonSlot) is not null) return false; rj.WriteForm(w, forms[j], withCases: false); return true; },
            (j, json) => Interlocked.CompareExchange(ref forms[j].JsonSlot, json, null));
        if (trace is not null)
        {
            long cj = 0, fj = 0;
            foreach (var c in cases) cj += c.JsonSlot?.Length ?? 0;
            foreach (var f in forms) fj += f.JsonSlot?.Length ?? 0;
            Console.Error.WriteLine($"  json {data.Domain}: {trace.Elapsed.TotalMilliseconds:F0} ms, cases={cj >> 20} MB forms={fj >> 20} MB; gc gen0={GC.CollectionCount(0)} gen1={GC.CollectionCount(1)} gen2={GC.CollectionCount(2)} pause={GC.GetTotalPauseDuration().TotalMilliseconds:F0} ms");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SerialiseAll(int count, bool parallel, Func<PyJsonWriter, int, bool> write, Action<int, JsonRef> store)
    {
        const int Batch = 2048;
        var batches = (count + Batch - 1) / Batch;
        if (batches <= 1 || !parallel)
        {
            var arena = new Arena(small: batches <= 1);
            for (var i = 0; i < count; i++)
            {
                var json = arena.Write(write, i);
                if (json is not null) store(i, json);
            }
            return;
        }
        Parallel.For(0, batches, () => new Arena(), (b, _, arena) =>
        {
            var end = Math.Min(count, (b + 1) * Batch);
            for (var i = b * Batch; i < end; i++)
            {
                var json = arena.Write(write, i);
                if (json is not null) store(i, json);
            }
            return arena;
        }, _ => { });
    }

    private sealed class Arena(bool small = false)
    {
        private const int ChunkSize = 1 << 20;
        private const int SmallChunkSize = 128 << 10;
        private const int MinRoom = 16 << 10;
        private readonly PyJsonWriter _writer = new(8192);
        private byte[] _chunk = Array.Empty<byte>();
        private int _used;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public JsonRef? Write(Func<PyJsonWriter, int, bool> write, int index)
        {
            if (_chunk.Length - _used < MinRoom) NewChunk(0);
            _writer.Attach(_chunk, _used);
            if (!write(_writer, index)) return null;
            var len = _writer.Length;
            if (!_writer.IsAttached)
            {
                // did not fit in what was left of the chunk: copy it into a fresh one
                NewChunk(len);
                _writer.WrittenSpan.CopyTo(_chunk);
            }
            var json = new JsonRef(_chunk, _used, len);
            _used += len;
            return json;
        }

        private void NewChunk(int atLeast)
        {
            _chunk = GC.AllocateUninitializedArray<byte>(Math.Max(small ? SmallChunkSize : ChunkSize, atLeast));
            _used = 0;
        }
    }

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
    internal static long[] Timeline(int count, int same, long seed, int stream, out long shared)
    {
        var res = new long[count];
        shared = 0;
        if (count == 0) return res;
        var avg = Span / Math.Max(count, 1);
        var groupStart = same > 1 ? (count - same) / 2 : -1;
        var t = T0 + new Rng(seed, stream, -1).NextLong(TimeSpan.TicksPerHour * 6) / 10 * 10;
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
    internal static int[] DescByIndex(long[] keys)
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
    internal static int[] SortPerm<T>(T[] items, Func<T, long> key, bool desc)
    {
        var tmp = new KeySeq[items.Length];
        for (var i = 0; i < items.Length; i++) tmp[i] = new KeySeq(key(items[i]), i);
        Array.Sort(tmp, desc ? new DescCmp() : new AscCmp());
        var res = new int[items.Length];
        for (var i = 0; i < res.Length; i++) res[i] = tmp[i].Seq;
        return res;
    }

    private sealed class PropOrder : IComparer<KeyValuePair<string, string?>>
    {
        public static readonly PropOrder Instance = new();
        public int Compare(KeyValuePair<string, string?> a, KeyValuePair<string, string?> b) => string.CompareOrdinal(a.Key, b.Key);
    }

    private static string[] MakeSmallInts()
    {
        var a = new string[4096];
        for (var i = 0; i < a.Length; i++) a[i] = i.ToString(CultureInfo.InvariantCulture);
        return a;
    }

    private static string[] MakePatientNames()
    {
        var a = new string[FirstNames.Length * LastNames.Length];
        for (var f = 0; f < FirstNames.Length; f++)
        {
            for (var l = 0; l < LastNames.Length; l++) a[f * LastNames.Length + l] = FirstNames[f] + " " + LastNames[l];
        }
        return a;
    }
}
