using System;
using System.Runtime.CompilerServices;
using System.Collections.Generic;
using System.Text.Json;

namespace CommCare.Emulator;

/// <summary>Thrown by filter building; carries the response to send (400, or 500 for unparsable _search JSON).</summary>
public sealed class FilterException(ApiResponse response) : Exception("bad filter")
{
    public ApiResponse Response { get; } = response;
}

/// <summary>A sort key: long-valued field and direction.</summary>
public sealed record SortKey<T>(string Field, Func<T, long> Key, bool Desc);

/// <summary>
/// A compiled v0.x/v1 list query: an inclusive indexed_on window (binary-searched), predicates, and the order.
/// </summary>
public sealed class RecordQuery<T> where T : class
{
    public long IndexedFrom = long.MinValue;
    public long IndexedTo = long.MaxValue;
    /// <summary>Optional dense mask by Seq: true = excluded (archived forms). Kept out of <see cref="Predicates"/> so
    /// that it is cheap (no record dereference) and countable with <see cref="ExcludedPrefix"/>.</summary>
    public bool[]? Excluded;
    /// <summary>ExcludedPrefix[i] = number of NOT excluded records with Seq &lt; i (length n+1).</summary>
    public int[]? ExcludedPrefix;
    public readonly List<Func<T, bool>> Predicates = new();
    /// <summary>Predicates on the record's Seq over dense per-record arrays (no record dereference: cache friendly).</summary>
    public readonly List<Func<int, bool>> SeqPredicates = new();
    public readonly List<SortKey<T>> Sort = new();

    public void IndexedRange(long? gte, long? lte)
    {
        if (gte is not null) IndexedFrom = Math.Max(IndexedFrom, gte.Value);
        if (lte is not null) IndexedTo = Math.Min(IndexedTo, lte.Value);
    }

    public void Range(Func<T, long> key, long? gte, long? lte)
    {
        if (gte is not null)
        {
            var g = gte.Value;
            Predicates.Add(r => key(r) >= g);
        }
        if (lte is not null)
        {
            var l = lte.Value;
            Predicates.Add(r => key(r) <= l);
        }
    }

    private bool Match(T[] records, int seq)
    {
        foreach (var p in SeqPredicates) if (!p(seq)) return false;
        if (Predicates.Count == 0) return true;
        var r = records[seq];
        foreach (var p in Predicates) if (!p(r)) return false;
        return true;
    }

    /// <summary>
    /// Runs the query. <paramref name="perm"/> returns a precomputed permutation for a single sort key
    /// (ties in ascending generation order) or null for "indexed_on ascending" (= storage order).
    /// Multi-key sorts are sorted on the fly, ties again by generation order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public (long Total, List<int> Page) Execute(T[] records, long[] indexedOn, Func<SortKey<T>, int[]?> perm,
        bool singleIsIndexedAsc, bool singleIsIndexedDesc, long offset, int limit)
    {
        var n = records.Length;
        var a = LowerBound(indexedOn, IndexedFrom);
        var b = IndexedTo == long.MaxValue ? n : UpperBound(indexedOn, IndexedTo);
        if (b < a) b = a;
        var page = new List<int>(Math.Min(limit, 5000));
        long total = 0;
        var noPreds = Predicates.Count == 0 && SeqPredicates.Count == 0;
        var ex = Excluded;

        if (Sort.Count > 1)
        {
            var all = new List<int>();
            for (var i = a; i < b; i++)
            {
                if (ex is not null && ex[i]) continue;
                if (noPreds || Match(records, i)) all.Add(i);
            }
            var keys = Sort;
            all.Sort((x, y) =>
            {
                foreach (var k in keys)
                {
                    var kx = k.Key(records[x]);
                    var ky = k.Key(records[y]);
                    if (kx != ky) return k.Desc ? ky.CompareTo(kx) : kx.CompareTo(ky);
                }
                return x.CompareTo(y);
            });
            total = all.Count;
            for (var i = offset; i < all.Count && page.Count < limit; i++) page.Add(all[(int)i]);
            return (total, page);
        }

        if (singleIsIndexedAsc)
        {
            if (noPreds && ex is null)
            {
                total = b - a;
                for (var i = a + offset; i < b && page.Count < limit; i++) page.Add((int)i);
                return (total, page);
            }
            if (noPreds && ExcludedPrefix is { } pre)
            {
                // count from the prefix sums; jump to the offset-th included record by binary search
                total = pre[b] - pre[a];
                if (offset < total)
                {
                    var target = pre[a] + offset; // number of included records before the first one to return
                    int lo = a, hi = b;
                    while (lo < hi)
                    {
                        var mid = (lo + hi) >>> 1;
                        if (pre[mid + 1] <= target) lo = mid + 1;
                        else hi = mid;
                    }
                    for (var i = lo; i < b && page.Count < limit; i++) if (!ex![i]) page.Add(i);
                }
                return (total, page);
            }
            for (var i = a; i < b; i++)
            {
                if (ex is not null && ex[i]) continue;
                if (!noPreds && !Match(records, i)) continue;
                if (total >= offset && page.Count < limit) page.Add(i);
                total++;
            }
            return (total, page);
        }

        var p = perm(Sort[0])!;
        if (singleIsIndexedDesc)
        {
            // The window is one contiguous block of the descending permutation.
            var from = n - b;
            var to = n - a;
            if (noPreds && ex is null)
            {
                total = to - from;
                for (var i = from + offset; i < to && page.Count < limit; i++) page.Add(p[i]);
                return (total, page);
            }
            for (var i = from; i < to; i++)
            {
                var s = p[i];
                if (ex is not null && ex[s]) continue;
                if (!noPreds && !Match(records, s)) continue;
                if (total >= offset && page.Count < limit) page.Add(s);
                total++;
            }
            return (total, page);
        }

        if (noPreds && ex is null && a == 0 && b == n)
        {
            total = n;
            for (var i = offset; i < n && page.Count < limit; i++) page.Add(p[i]);
            return (total, page);
        }
        for (var i = 0; i < n; i++)
        {
            var s = p[i];
            if (s < a || s >= b) continue;
            if (ex is not null && ex[s]) continue;
            if (!noPreds && !Match(records, s)) continue;
            if (total >= offset && page.Count < limit) page.Add(s);
            total++;
        }
        return (total, page);
    }

    private static int LowerBound(long[] a, long v)
    {
        int lo = 0, hi = a.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (a[mid] < v) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    private static int UpperBound(long[] a, long v)
    {
        int lo = 0, hi = a.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (a[mid] <= v) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}

/// <summary>Helpers shared by the case and form parameter consumers (corehq/apps/api/es.py).</summary>
public static class FilterParams
{
    /// <summary>RESERVED_QUERY_PARAMS: never filters.</summary>
    public static bool IsReserved(string name) =>
        name is "limit" or "offset" or "order_by" or "q" or "format" or "api_key" or "username"
        || name.EndsWith("__full", StringComparison.Ordinal);

    /// <summary>Pops <c>{param}_start</c>/<c>{param}_end</c> and validates them (start first) like DateRangeParams.</summary>
    public static (long? Gte, long? Lte) PopDateRange(Dictionary<string, string> items, string param)
    {
        items.Remove(param + "_start", out var start);
        items.Remove(param + "_end", out var end);
        long? gte = null, lte = null;
        if (!string.IsNullOrEmpty(start)) gte = ParseDate(start);
        if (!string.IsNullOrEmpty(end)) lte = ParseDate(end);
        return (gte, lte);
    }

    private static long ParseDate(string v)
    {
        if (!Dates.TryParseFilter(v, out var t))
            throw new FilterException(ApiResponse.BadRequest("Bad query parameter: Unknown date format: " + v));
        return t;
    }

    /// <summary>TermParam: pops the param; empty values are ignored.</summary>
    public static string? PopTerm(Dictionary<string, string> items, string param)
    {
        items.Remove(param, out var v);
        return string.IsNullOrEmpty(v) ? null : v;
    }

    /// <summary>
    /// Generic ES term filter on an analyzed field: the value is lower-cased and must equal the whole stored value
    /// case-insensitively; a value containing whitespace never matches (a term query on an analyzed field).
    /// <c>field.exact</c> compares the keyword sub-field exactly with the lower-cased value.
    /// </summary>
    public static Func<T, bool> GenericTerm<T>(string param, string value, Func<T, string, string?> field)
    {
        var lowered = value.ToLowerInvariant();
        if (param.EndsWith(".exact", StringComparison.Ordinal))
        {
            var f = param[..^6];
            return r => field(r, f) is { } s && s == lowered;
        }
        if (HasWhitespace(lowered)) return static _ => false;
        return r => field(r, param) is { } s && string.Equals(s, lowered, StringComparison.OrdinalIgnoreCase);
    }

    private static bool HasWhitespace(string s)
    {
        foreach (var c in s) if (char.IsWhiteSpace(c)) return true;
        return false;
    }

    /// <summary>
    /// The internal <c>_search</c> JSON filter: only <c>{"filter": {"range": {"inserted_at": {...}}}}</c> and the
    /// Data Export Tool's <c>server_modified_on</c> OR filter are accepted (<c>_validate_and_get_es_filter</c>).
    /// </summary>
    public static void ApplySearch<T>(string json, RecordQuery<T> q, Func<T, long> serverModified) where T : class
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            throw new FilterException(ApiResponse.ServerError()); // json.loads raises → tastypie 500
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("filter", out var filter) || IsFalsy(filter))
                throw new FilterException(ApiResponse.BadRequest(""));
            if (filter.ValueKind == JsonValueKind.Object && filter.TryGetProperty("range", out var range)
                && range.ValueKind == JsonValueKind.Object && range.TryGetProperty("inserted_at", out var ins))
            {
                var (gte, lte) = RangeBounds(ins);
                q.IndexedRange(gte, lte);
                return;
            }
            JsonElement smo = default;
            var found = false;
            if (filter.ValueKind == JsonValueKind.Object && filter.TryGetProperty("or", out var or)
                && or.ValueKind == JsonValueKind.Array && or.GetArrayLength() > 0
                && or[0].ValueKind == JsonValueKind.Object && or[0].TryGetProperty("and", out var and)
                && and.ValueKind == JsonValueKind.Array)
            {
                for (var i = 0; i < Math.Min(2, and.GetArrayLength()) && !found; i++)
                {
                    if (and[i].ValueKind == JsonValueKind.Object && and[i].TryGetProperty("range", out var r)
                        && r.ValueKind == JsonValueKind.Object && r.TryGetProperty("server_modified_on", out smo))
                    {
                        found = true;
                    }
                }
            }
            if (!found || IsFalsy(smo)) throw new FilterException(ApiResponse.BadRequest(""));
            var (g2, l2) = RangeBounds(smo);
            q.Range(serverModified, g2, l2);
        }
    }

    private static bool IsFalsy(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.False or JsonValueKind.Undefined => true,
        JsonValueKind.Object => !e.EnumerateObject().MoveNext(),
        JsonValueKind.Array => e.GetArrayLength() == 0,
        JsonValueKind.String => e.GetString()!.Length == 0,
        _ => false,
    };

    private static (long? Gte, long? Lte) RangeBounds(JsonElement r)
    {
        if (r.ValueKind != JsonValueKind.Object) throw new FilterException(ApiResponse.BadRequest(""));
        long? gte = null, lte = null;
        foreach (var p in r.EnumerateObject())
        {
            if (p.Value.ValueKind == JsonValueKind.Null) continue;
            var s = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
            if (!Dates.TryParseLenient(s, out var t)) throw new FilterException(ApiResponse.ServerError());
            switch (p.Name)
            {
                case "gte": gte = Max(gte, t); break;
                case "gt": gte = Max(gte, t + 1); break;
                case "lte": lte = Min(lte, t); break;
                case "lt": lte = Min(lte, t - 1); break;
            }
        }
        return (gte, lte);
    }

    private static long Max(long? a, long b) => a is null ? b : Math.Max(a.Value, b);
    private static long Min(long? a, long b) => a is null ? b : Math.Min(a.Value, b);

    /// <summary>
    /// tastypie ordering validation (SimpleSortableResourceMixin.apply_sorting). Returns the requested keys,
    /// or null when no order_by was sent.
    /// </summary>
    public static List<SortKey<T>>? OrderBy<T>(QueryParams q, ISet<string> fields, IReadOnlyDictionary<string, Func<T, long>> ordering)
    {
        if (!q.Has("order_by")) return null;
        var res = new List<SortKey<T>>();
        foreach (var raw in q.GetList("order_by"))
        {
            var desc = raw.StartsWith('-');
            var name = desc ? raw[1..] : raw;
            if (!fields.Contains(name))
                throw new FilterException(ApiResponse.BadRequest($"No matching '{name}' field for ordering on."));
            if (!ordering.TryGetValue(name, out var key))
                throw new FilterException(ApiResponse.BadRequest($"The '{name}' field does not allow ordering."));
            res.Add(new SortKey<T>(name, key, desc));
        }
        return res;
    }
}
