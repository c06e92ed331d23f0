using CommCare.Models;
using System;
using System.Collections.Generic;
using CommCare.Client.Json;

namespace CommCare.Client.Paging
{
    /// <summary>Tastypie offset paging: follows meta.next, a URI reference resolved against the
    /// request URL (path-absolute, query-only and absolute forms all occur; docs/commcare-api.md U7).</summary>
    internal sealed class OffsetWalker<T> : IPageWalker<T>
    {
        private readonly Uri _first;
        private readonly HashSet<string> _asked = new HashSet<string>(StringComparer.Ordinal);

        public OffsetWalker(Uri first) => _first = first;

        public Uri First() { _asked.Add(_first.AbsoluteUri); return _first; }

        public (IReadOnlyList<T> Deliver, Uri? Next) Accept(Page<T> page)
        {
            if (page.Next == null || page.Items.Count == 0) return (page.Items, null);
            var next = ResolveNext(page.RequestUri, page.Next);
            if (!_asked.Add(next.AbsoluteUri))
                throw new CCApiException(CCErrorKind.BadResponse,
                    $"CommCare sent a next link that was already followed ({Http.Redaction.PathAndQuery(next)}); stopping instead of looping.");
            return (page.Items, next);
        }

        internal static Uri ResolveNext(Uri requestUri, string next)
        {
            if (!Uri.TryCreate(requestUri, next, out var resolved))
                throw new CCApiException(CCErrorKind.BadResponse, $"CommCare sent a next link that is not a URI reference: '{Http.Redaction.Text(next)}'.");
            return resolved;
        }
    }

    /// <summary>
    /// Gap-free, duplicate-free walk over case and form lists by indexed_on (docs/commcare-api.md#walking-cases-and-forms-by-indexed_on):
    /// order_by=indexed_on with an inclusive lower bound that moves to the last record's timestamp,
    /// dropping boundary records already delivered. When one timestamp fills a whole page (thousands of
    /// records sharing it) the window cannot move, so that single timestamp is read with offset paging
    /// (indexed_on_start = indexed_on_end = ts) and the walk then resumes one microsecond later —
    /// where commcare-export stops. Deep offsets are never used: the index's result window is unconfirmed (docs/commcare-api.md U8).
    /// </summary>
    internal sealed class IndexedOnWalker<T> : IPageWalker<T>
    {
        private readonly Uri _baseUri;           // path of the list endpoint
        private readonly QueryString _filters;   // user filters, without paging/window params
        private readonly int _limit;
        private readonly DateTime? _end;
        private readonly Func<T, string> _id;
        private readonly Func<T, DateTime?> _indexedOn;

        private DateTime? _start;
        private DateTime? _boundary;
        private HashSet<string> _seenAtBoundary = new HashSet<string>(StringComparer.Ordinal);
        // Offset mode inside one over-full timestamp.
        private DateTime? _stuckAt;
        private int _stuckOffset;
        private int _repeats;
        private string? _lastAsked;

        public IndexedOnWalker(Uri baseUri, QueryString filters, int limit, DateTime? start, DateTime? end,
            Func<T, string> id, Func<T, DateTime?> indexedOn, IEnumerable<string>? seenAtStart = null)
        {
            // Bounds are compared with the records' UTC times, so they must be UTC too (PowerShell gives Local).
            _baseUri = baseUri; _filters = filters; _limit = limit; _start = IsoDate.ToUtc(start); _end = IsoDate.ToUtc(end); _id = id; _indexedOn = indexedOn;
            if (seenAtStart != null && _start.HasValue)
            {
                // Resuming from a checkpoint: records at the start instant already delivered are skipped.
                _boundary = _start;
                _seenAtBoundary = new HashSet<string>(seenAtStart, StringComparer.Ordinal);
            }
        }

        public Uri First() => WindowUri();

        private Uri WindowUri()
        {
            var q = _filters.Clone().Add("order_by", "indexed_on");
            if (_start.HasValue) q.Add("indexed_on_start", IsoDate.ForFilter(_start.Value));
            if (_end.HasValue) q.Add("indexed_on_end", IsoDate.ForFilter(_end.Value));
            q.Add("limit", _limit.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return Guard(new Uri(_baseUri, q.ToString()));
        }

        private Uri StuckUri()
        {
            string ts = IsoDate.ForFilter(_stuckAt!.Value);
            var q = _filters.Clone().Add("order_by", "indexed_on").Add("indexed_on_start", ts).Add("indexed_on_end", ts)
                .Add("limit", _limit.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Add("offset", _stuckOffset.ToString(System.Globalization.CultureInfo.InvariantCulture));
            return Guard(new Uri(_baseUri, q.ToString()));
        }

        private Uri Guard(Uri uri)
        {
            // commcare-export's ResourceRepeatException idea: the same request over and over means no progress.
            if (uri.AbsoluteUri == _lastAsked && ++_repeats >= 3)
                throw new CCApiException(CCErrorKind.BadResponse, $"Paging made no progress after {_repeats} identical requests ({Http.Redaction.PathAndQuery(uri)}); stopping instead of looping.");
            if (uri.AbsoluteUri != _lastAsked) _repeats = 0;
            _lastAsked = uri.AbsoluteUri;
            return uri;
        }

        public (IReadOnlyList<T> Deliver, Uri? Next) Accept(Page<T> page)
        {
            // Ids and timestamps come from the skimmed bytes on a lazy page, from the records otherwise.
            var lazy = page.Lazy;
            var items = page.Items;
            int count = page.Count;
            string Id(int i) => lazy != null ? lazy.Id(i) : _id(items[i]);
            DateTime? IndexedOn(int i) => lazy != null ? lazy.IndexedOn(i) : _indexedOn(items[i]);
            var kept = new List<int>(count);
            IReadOnlyList<T> Deliver()
            {
                if (lazy != null) return lazy.View(kept);
                if (kept.Count == count) return items;
                var list = new List<T>(kept.Count);
                foreach (int i in kept) list.Add(items[i]);
                return list;
            }

            int effectiveLimit = page.Limit ?? _limit;     // the server may clamp the page size
            bool lastPage = count == 0 || count < effectiveLimit || page.Next == null;

            if (_stuckAt.HasValue)
            {
                for (int i = 0; i < count; i++)
                    if (_seenAtBoundary.Add(Id(i))) kept.Add(i);
                if (!lastPage)
                {
                    _stuckOffset += count;
                    return (Deliver(), StuckUri());
                }
                // That timestamp is exhausted: continue strictly after it.
                _start = _stuckAt.Value.AddTicks(10);   // +1 µs, the server's precision
                _stuckAt = null;
                _boundary = null;
                _seenAtBoundary = new HashSet<string>(StringComparer.Ordinal);
                if (_end.HasValue && _start > _end) return (Deliver(), null);
                return (Deliver(), WindowUri());
            }

            for (int i = 0; i < count; i++)
            {
                if (_boundary.HasValue && IndexedOn(i) == _boundary && _seenAtBoundary.Contains(Id(i))) continue;
                kept.Add(i);
            }
            if (lastPage) return (Deliver(), null);

            DateTime? lastTs = IndexedOn(count - 1);
            if (lastTs == null)
                throw new CCApiException(CCErrorKind.BadResponse, "A record without indexed_on came back from an indexed_on-ordered list; cannot page safely.");

            bool wholePageOneTimestamp = IndexedOn(0) == lastTs;
            if (wholePageOneTimestamp)
            {
                // More records share lastTs than fit in a page: read that instant by offset.
                _stuckAt = lastTs;
                _stuckOffset = 0;
                if (_boundary != lastTs) _seenAtBoundary = new HashSet<string>(StringComparer.Ordinal);
                for (int i = 0; i < count; i++) _seenAtBoundary.Add(Id(i));
                _boundary = lastTs;
                return (Deliver(), StuckUri());
            }

            if (_start.HasValue && lastTs <= _start)
                throw new CCApiException(CCErrorKind.BadResponse, "The server's indexed_on order did not advance; stopping instead of looping.");

            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (int i = count - 1; i >= 0 && IndexedOn(i) == lastTs; i--) seen.Add(Id(i));
            _seenAtBoundary = seen;
            _boundary = lastTs;
            _start = lastTs;
            return (Deliver(), WindowUri());
        }
    }
}

namespace CommCare.Client.Paging
{
    /// <summary>Drops records a cursor page repeats from the page before (a cursor that restarts at the last instant).</summary>
    internal sealed class DedupingWalker<T> : IPageWalker<T>
    {
        private readonly IPageWalker<T> _inner;
        private readonly Func<T, string> _id;
        private HashSet<string> _last = new HashSet<string>(StringComparer.Ordinal);

        public DedupingWalker(IPageWalker<T> inner, Func<T, string> id) { _inner = inner; _id = id; }

        public Uri First() => _inner.First();

        public (IReadOnlyList<T> Deliver, Uri? Next) Accept(Page<T> page)
        {
            var (deliver, next) = _inner.Accept(page);
            var fresh = new List<T>(deliver.Count);
            var ids = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in deliver)
            {
                string id = _id(item);
                if (_last.Contains(id) || !ids.Add(id)) continue;
                fresh.Add(item);
            }
            _last = ids;
            return (fresh, next);
        }
    }

    /// <summary>
    /// The ucr cursor (docs/commcare-api.md#reports-data-sources-and-odata): meta.next is query-only and carries only the cursor, while data_source_id and
    /// limit are read from the query string, so they are sent again with each cursor.
    /// </summary>
    internal sealed class CursorWalker<T> : IPageWalker<T>
    {
        private readonly Uri _base;
        private readonly QueryString _fixed;
        private readonly HashSet<string> _asked = new HashSet<string>(StringComparer.Ordinal);

        public CursorWalker(Uri baseUri, QueryString fixedParams) { _base = baseUri; _fixed = fixedParams; }

        public Uri First() => new Uri(_base, _fixed.ToString());

        public (IReadOnlyList<T> Deliver, Uri? Next) Accept(Page<T> page)
        {
            // Whether the last page is empty with next null is unconfirmed: either ends the walk (docs/commcare-api.md U23).
            if (page.Items.Count == 0 || string.IsNullOrEmpty(page.Next)) return (page.Items, null);
            var resolved = OffsetWalker<T>.ResolveNext(page.RequestUri, page.Next!);
            string? cursor = null;
            foreach (var part in resolved.Query.TrimStart('?').Split('&'))
                if (part.StartsWith("cursor=", StringComparison.Ordinal)) cursor = Uri.UnescapeDataString(part.Substring(7).Replace('+', ' '));
            if (cursor == null) throw new CCApiException(CCErrorKind.BadResponse, "CommCare sent a next link without a cursor.");
            if (!_asked.Add(cursor)) throw new CCApiException(CCErrorKind.BadResponse, "CommCare sent the same cursor twice; stopping instead of looping.");
            return (page.Items, new Uri(_base, _fixed.Clone().Add("cursor", cursor).ToString()));
        }
    }
}
