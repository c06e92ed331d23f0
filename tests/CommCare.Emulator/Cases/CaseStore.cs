using System;
using System.Collections.Generic;
using System.Threading;

namespace CommCare.Emulator;

/// <summary>
/// The writable state of one project space. Readers take <see cref="Current"/> once per request and see a consistent,
/// immutable snapshot. A write (one form: a submission, a Case API call, an import chunk) runs under <see cref="Lock"/>
/// in a <see cref="DomainTx"/> that copies the records it changes, and publishes a new snapshot at the end: the records
/// of a published snapshot are never changed, so nothing a reader holds moves under it.
/// </summary>
public sealed class DomainStore
{
    private volatile DomainData _current;

    public DomainStore(DataSet owner, DomainData seed)
    {
        Owner = owner;
        Seed = seed;
        _current = seed;
    }

    public DataSet Owner { get; }

    /// <summary>The generated records (what <see cref="Reset"/> goes back to).</summary>
    public DomainData Seed { get; }

    public DomainData Current => _current;

    /// <summary>Serialises writes to this project space.</summary>
    public readonly object Lock = new();

    /// <summary>
    /// Forms the form API does not list but that still exist (error forms, the deprecated copy of an edited form,
    /// duplicates, submission error logs), by id. Their attachments can still be downloaded.
    /// </summary>
    public Dictionary<string, FormRec> HiddenForms { get; } = new(StringComparer.Ordinal);

    /// <summary>Bulk case uploads of this project space, oldest first.</summary>
    public List<CaseUpload> Uploads { get; } = new();

    public void Publish(DomainData data) => _current = data;

    /// <summary>Drops every write: the generated records, no hidden forms, no uploads.</summary>
    public void Reset()
    {
        lock (Lock)
        {
            _current = Seed;
            HiddenForms.Clear();
            Uploads.Clear();
        }
    }

    /// <summary>A live form, or a hidden one (error, deprecated, duplicate), by id; null when unknown.</summary>
    public FormRec? AnyForm(string id)
    {
        if (Current.FormById.TryGetValue(id, out var f)) return f;
        lock (Lock) return HiddenForms.TryGetValue(id, out var h) ? h : null;
    }
}

/// <summary>Timestamps for writes: UTC now at microsecond precision, strictly increasing, after every stored value.</summary>
public static class WriteClock
{
    private static readonly object Gate = new();
    private static long _last;

    public static long Next(DomainData current)
    {
        var floor = 0L;
        if (current.CaseIndexedOn.Length > 0) floor = current.CaseIndexedOn[^1];
        if (current.FormIndexedOn.Length > 0) floor = Math.Max(floor, current.FormIndexedOn[^1]);
        lock (Gate)
        {
            var now = DateTime.UtcNow.Ticks;
            now -= now % Dates.TicksPerMicro;
            now = Math.Max(now, Math.Max(_last, floor) + Dates.TicksPerMicro);
            _last = now;
            return now;
        }
    }
}

/// <summary>
/// One write to a project space's records (call under <see cref="DomainStore.Lock"/>). Changed and new records are
/// copies owned by the transaction; <see cref="Commit"/> builds the next snapshot. Records that were written to get
/// <c>indexed_on</c> = <see cref="Now"/> and move to the end (the arrays stay sorted by indexed_on); a record placed
/// "in place" keeps its position. Discarding a transaction (not committing) leaves no trace.
/// </summary>
public sealed class DomainTx
{
    private readonly Dictionary<string, CaseRec> _cases = new(StringComparer.Ordinal);
    private readonly List<string> _movedCases = new();
    private readonly HashSet<string> _removedCases = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FormRec> _forms = new(StringComparer.Ordinal);
    private readonly List<string> _movedForms = new();
    /// <summary>Case id → ids of forms to add to its xform_ids.</summary>
    private readonly Dictionary<string, List<string>> _caseForms = new(StringComparer.Ordinal);
    /// <summary>Form id → ids of the cases it touched (new forms; resolved to Seqs at commit).</summary>
    private readonly Dictionary<string, string[]> _formCases = new(StringComparer.Ordinal);

    public DomainTx(DomainStore store)
    {
        Store = store;
        Base = store.Current;
        Now = WriteClock.Next(Base);
    }

    public DomainStore Store { get; }
    public DomainData Base { get; }
    public long Now { get; }
    public string Domain => Base.Domain;

    /// <summary>The case as this transaction sees it (its copy if it changed it), or null.</summary>
    public CaseRec? Case(string id)
    {
        if (_removedCases.Contains(id)) return null;
        return _cases.TryGetValue(id, out var c) ? c : Base.CaseById.TryGetValue(id, out var b) ? b : null;
    }

    /// <summary>Every case as this transaction sees it (base order, then the moved / new ones).</summary>
    public IEnumerable<CaseRec> AllCases()
    {
        foreach (var c in Base.Cases)
        {
            if (_removedCases.Contains(c.Id)) continue;
            yield return _cases.TryGetValue(c.Id, out var mine) ? mine : c;
        }
        foreach (var id in _movedCases)
        {
            if (!Base.CaseById.ContainsKey(id) && !_removedCases.Contains(id)) yield return _cases[id];
        }
    }

    /// <summary>Every live form as this transaction sees it (base order with replacements, then the new ones).</summary>
    public List<FormRec> AllForms()
    {
        var res = new List<FormRec>(Base.Forms.Length + _movedForms.Count);
        foreach (var f in Base.Forms) res.Add(_forms.TryGetValue(f.Id, out var mine) ? mine : f);
        foreach (var id in _movedForms) if (!Base.FormById.ContainsKey(id)) res.Add(_forms[id]);
        return res;
    }

    public FormRec? Form(string id) => _forms.TryGetValue(id, out var f) ? f : Base.FormById.TryGetValue(id, out var b) ? b : null;

    /// <summary>A writable copy of an existing case that moves to the end on commit (null when unknown).</summary>
    public CaseRec? Edit(string id)
    {
        if (_removedCases.Contains(id)) return null;
        if (_cases.TryGetValue(id, out var mine))
        {
            if (!_movedCases.Contains(id)) _movedCases.Add(id);
            return mine;
        }
        if (!Base.CaseById.TryGetValue(id, out var b)) return null;
        var c = b.Clone();
        c.JsonSlot = null;
        if (!c.Created) c.Origin ??= b;
        _cases[id] = c;
        _movedCases.Add(id);
        return c;
    }

    /// <summary>A new case (appended on commit).</summary>
    public CaseRec Create(string id)
    {
        var c = new CaseRec { Id = id, Domain = Domain, Created = true, Props = null, ParentSeq = -1, Indices = Array.Empty<CaseIndex>() };
        _cases[id] = c;
        _movedCases.Add(id);
        _removedCases.Remove(id);
        return c;
    }

    /// <summary>Replaces a case by a changed copy that keeps its position and indexed_on (control plane).</summary>
    public void ReplaceInPlace(CaseRec c)
    {
        c.JsonSlot = null;
        _cases[c.Id] = c;
    }

    /// <summary>Replaces a case record wholesale (a rebuild); it moves to the end.</summary>
    public void Put(CaseRec c)
    {
        c.JsonSlot = null;
        _cases[c.Id] = c;
        if (!_movedCases.Contains(c.Id)) _movedCases.Add(c.Id);
        _removedCases.Remove(c.Id);
    }

    public void Remove(string id)
    {
        _removedCases.Add(id);
        _cases.Remove(id);
        _movedCases.Remove(id);
    }

    /// <summary>Adds a form, or replaces the form with the same id; it goes to the end (indexed_on = now).</summary>
    public void AddForm(FormRec f, IReadOnlyCollection<string> caseIds)
    {
        f.JsonSlot = null;
        _forms[f.Id] = f;
        if (!_movedForms.Contains(f.Id)) _movedForms.Add(f.Id);
        var ids = new string[caseIds.Count];
        var k = 0;
        foreach (var id in caseIds) ids[k++] = id;
        _formCases[f.Id] = ids;
    }

    /// <summary>Replaces a form by a changed copy that keeps its position (control plane: a new attachment).</summary>
    public void ReplaceFormInPlace(FormRec f)
    {
        f.JsonSlot = null;
        _forms[f.Id] = f;
    }

    /// <summary>Records that <paramref name="formId"/> touched the case (its xform_ids).</summary>
    public void LinkForm(string caseId, string formId)
    {
        if (!_caseForms.TryGetValue(caseId, out var l)) _caseForms[caseId] = l = new List<string>();
        if (!l.Contains(formId)) l.Add(formId);
    }

    /// <summary>Builds and publishes the next snapshot.</summary>
    public DomainData Commit()
    {
        var baseData = Base;
        // ---- the new order: unchanged records keep their relative order, moved / new ones go to the end ----
        var caseList = new List<CaseRec>(baseData.Cases.Length + _movedCases.Count);
        var moved = new HashSet<string>(_movedCases, StringComparer.Ordinal);
        foreach (var c in baseData.Cases)
        {
            if (moved.Contains(c.Id) || _removedCases.Contains(c.Id)) continue;
            caseList.Add(_cases.TryGetValue(c.Id, out var mine) ? mine : c);
        }
        foreach (var id in _movedCases)
        {
            var c = _cases[id];
            c.IndexedOn = Now;
            caseList.Add(c);
        }
        var formList = new List<FormRec>(baseData.Forms.Length + _movedForms.Count);
        var movedForms = new HashSet<string>(_movedForms, StringComparer.Ordinal);
        foreach (var f in baseData.Forms)
        {
            if (movedForms.Contains(f.Id)) continue;
            formList.Add(_forms.TryGetValue(f.Id, out var mine) ? mine : f);
        }
        foreach (var id in _movedForms)
        {
            var f = _forms[id];
            f.IndexedOn = Now;
            formList.Add(f);
        }

        // ---- old Seq → new Seq ----
        var caseMap = new int[baseData.Cases.Length];
        Array.Fill(caseMap, -1);
        var newCaseSeq = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < caseList.Count; i++) newCaseSeq[caseList[i].Id] = i;
        for (var i = 0; i < baseData.Cases.Length; i++)
        {
            if (newCaseSeq.TryGetValue(baseData.Cases[i].Id, out var ns)) caseMap[i] = ns;
        }
        var formMap = new int[baseData.Forms.Length];
        Array.Fill(formMap, -1);
        var newFormSeq = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var j = 0; j < formList.Count; j++) newFormSeq[formList[j].Id] = j;
        for (var j = 0; j < baseData.Forms.Length; j++)
        {
            if (newFormSeq.TryGetValue(baseData.Forms[j].Id, out var ns)) formMap[j] = ns;
        }

        // ---- records with the new numbering (copies where anything changes) ----
        var cases = new CaseRec[caseList.Count];
        for (var i = 0; i < caseList.Count; i++)
        {
            var c = caseList[i];
            var mine = _cases.TryGetValue(c.Id, out var own) && ReferenceEquals(own, c);
            var parent = c.ParentSeq >= 0 ? caseMap[c.ParentSeq] : -1;
            var children = Remap(c.Children, caseMap);
            var formSeqs = Remap(c.FormSeqs, formMap);
            if (_caseForms.TryGetValue(c.Id, out var added))
            {
                var l = new List<int>(formSeqs);
                foreach (var fid in added) if (newFormSeq.TryGetValue(fid, out var fs) && !l.Contains(fs)) l.Add(fs);
                l.Sort();
                formSeqs = l.ToArray();
            }
            var changed = c.Seq != i || parent != c.ParentSeq || !ReferenceEquals(children, c.Children) || !ReferenceEquals(formSeqs, c.FormSeqs);
            if (changed && !mine)
            {
                var json = c.JsonSlot;
                var seed = c.Seed;
                c = c.Clone();
                if (!c.Created) c.Origin = seed;
                // same content, other numbering: the JSON stays valid unless the xform_ids changed
                c.JsonSlot = ReferenceEquals(formSeqs, caseList[i].FormSeqs) || SameIds(baseData, caseList[i].FormSeqs, formSeqs, formList) ? json : null;
            }
            if (changed && mine && !ReferenceEquals(formSeqs, c.FormSeqs)) c.JsonSlot = null;
            if (c.ParentSeq >= 0 && parent < 0 && c.Indices is null)
            {
                // the parent is gone (a rebuild removed it): keep the index by id
                var p = baseData.Cases[c.ParentSeq];
                c.Indices = new[] { new CaseIndex("parent", p.Id, p.Type, "child") };
            }
            c.Seq = i;
            c.ParentSeq = parent;
            c.Children = children;
            c.FormSeqs = formSeqs;
            cases[i] = c;
        }
        var forms = new FormRec[formList.Count];
        for (var j = 0; j < formList.Count; j++)
        {
            var f = formList[j];
            var mine = _forms.TryGetValue(f.Id, out var own) && ReferenceEquals(own, f);
            int[] caseSeqs;
            if (mine && _formCases.TryGetValue(f.Id, out var ids))
            {
                var l = new List<int>(ids.Length);
                foreach (var id in ids) if (newCaseSeq.TryGetValue(id, out var cs)) l.Add(cs);
                caseSeqs = l.ToArray();
            }
            else
            {
                caseSeqs = Remap(f.CaseSeqs, caseMap);
            }
            var changed = f.Seq != j || !ReferenceEquals(caseSeqs, f.CaseSeqs);
            if (changed && !mine)
            {
                var json = f.JsonSlot;
                f = f.Clone();
                f.JsonSlot = json; // the form JSON holds no case Seqs
            }
            f.Seq = j;
            f.CaseSeqs = caseSeqs;
            forms[j] = f;
        }

        var next = new DomainData
        {
            Domain = baseData.Domain,
            Cases = cases,
            Forms = forms,
            BaseUrl = baseData.BaseUrl,
            Mutated = true,
            SeedData = baseData.SeedData ?? baseData,
            SharedCaseIndexedOn = baseData.SharedCaseIndexedOn,
            SharedFormIndexedOn = baseData.SharedFormIndexedOn,
            SharedSurveyFormIndexedOn = baseData.SharedSurveyFormIndexedOn,
            SurveyForms = baseData.SurveyForms,
        };
        next.BuildIndexes(parallel: cases.Length + forms.Length >= Generator.BigSet);
        Store.Publish(next);
        return next;
    }

    private static bool SameIds(DomainData baseData, int[] oldSeqs, int[] newSeqs, List<FormRec> newForms)
    {
        if (oldSeqs.Length != newSeqs.Length) return false;
        for (var k = 0; k < oldSeqs.Length; k++)
        {
            if (baseData.Forms[oldSeqs[k]].Id != newForms[newSeqs[k]].Id) return false;
        }
        return true;
    }

    /// <summary>The array with every Seq mapped (entries mapped to -1 dropped); the same instance when nothing changes.</summary>
    private static int[] Remap(int[] seqs, int[] map)
    {
        if (seqs.Length == 0) return seqs;
        var same = true;
        foreach (var s in seqs)
        {
            if (s >= map.Length || map[s] != s)
            {
                same = false;
                break;
            }
        }
        if (same) return seqs;
        var l = new List<int>(seqs.Length);
        foreach (var s in seqs)
        {
            if (s < map.Length && map[s] >= 0) l.Add(map[s]);
        }
        return l.ToArray();
    }
}
