using System;
using System.Collections.Generic;

namespace CommCare.Emulator;

/// <summary>
/// The list view the case and form resources share (tastypie over Elasticsearch, docs/commcare-api.md#offset-pages):
/// filters, order_by with the resource's default order, limit/offset checks, the indexed_on fast paths, and each
/// record as its cached JSON, or written afresh when the query asks for embedded extras.
/// </summary>
public sealed class RecordList<T> where T : class
{
    public required ISet<string> Fields { get; init; }
    public required IReadOnlyDictionary<string, Func<T, long>> Ordering { get; init; }
    /// <summary>The order when the query gives no order_by (any order_by replaces it entirely).</summary>
    public required SortKey<T> DefaultOrder { get; init; }
    public required int DefaultLimit { get; init; }
    public required int MaxLimit { get; init; }
    /// <summary>Buffer size of the writer for records written afresh.</summary>
    public int WriterSize { get; init; } = 8192;

    /// <param name="build">The resource's filters (es_query_from_get_params); throws FilterException.</param>
    /// <param name="perm">The precomputed permutation for a single sort key, or null for indexed_on ascending.</param>
    /// <param name="cached">A record's cached JSON.</param>
    /// <param name="write">Writes a record with the extras the query asked for, or null when it asked for none.</param>
    public ApiResponse Answer(ApiContext ctx, T[] records, long[] indexedOn, Func<QueryParams, RecordQuery<T>> build,
        Func<SortKey<T>, int[]?> perm, Func<T, ReadOnlyMemory<byte>> cached, Action<PyJsonWriter, T>? write)
    {
        var q = ctx.Query;
        RecordQuery<T> query;
        try
        {
            query = build(q);
            var order = FilterParams.OrderBy(q, Fields, Ordering);
            if (order is null) query.Sort.Add(DefaultOrder);
            else query.Sort.AddRange(order);
        }
        catch (FilterException fe)
        {
            return fe.Response;
        }
        var err = Paging.LimitOffsetOrError(q, DefaultLimit, MaxLimit, out var limit, out var offset);
        if (err is not null) return err;

        var single = query.Sort.Count == 1 ? query.Sort[0] : null;
        var (total, page) = query.Execute(records, indexedOn, perm,
            single is { Field: "indexed_on", Desc: false }, single is { Field: "indexed_on", Desc: true }, offset, limit);

        var objects = new List<ReadOnlyMemory<byte>>(page.Count);
        var w = write is null ? null : new PyJsonWriter(WriterSize);
        foreach (var s in page)
        {
            if (write is null)
            {
                objects.Add(cached(records[s]));
                continue;
            }
            w!.Reset();
            write(w, records[s]);
            objects.Add(w.ToArray());
        }
        return Paging.Page(ctx, limit, offset, total, objects);
    }
}
