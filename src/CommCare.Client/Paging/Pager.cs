using CommCare.Models;
using System;
using System.Collections;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using CommCare.Client.Http;

namespace CommCare.Client.Paging
{
    /// <summary>Decides which page to ask for next and which records of a page are new.</summary>
    internal interface IPageWalker<T>
    {
        Uri First();
        /// <summary>Given a page, the records to deliver and the next request (null at the end).</summary>
        (IReadOnlyList<T> Deliver, Uri? Next) Accept(Page<T> page);
    }

    /// <summary>
    /// A lazy stream of records over any page walker. Fetches a page only when the consumer needs it;
    /// once the consumer has taken the first records of a page it fetches the next one in the background
    /// (one page ahead at most), so memory stays flat and Select-Object -First 10 stops after one request.
    /// </summary>
    public sealed class CCPagedResult<T> : IEnumerable<T>
    {
        private readonly CCHttpEngine _engine;
        private readonly Func<IPageWalker<T>> _walker;
        private readonly ItemReader<T> _reader;
        private readonly ICCMessageSink _sink;
        private readonly CancellationToken _token;
        private readonly PageShape _shape;
        private readonly bool _lazy;

        // lazy: Parse each record when the consumer takes it (pages of cases and forms read by
        // indexed_on, whose walker reads ids and timestamps from the skimmed bytes): see LazyRecords.
        internal CCPagedResult(CCHttpEngine engine, Func<IPageWalker<T>> walker, ItemReader<T> reader, ICCMessageSink sink, CancellationToken token, PageShape? shape = null, bool lazy = false)
        {
            _engine = engine; _walker = walker; _reader = reader; _sink = sink; _token = token; _shape = shape ?? PageShape.Tastypie; _lazy = lazy;
        }

        /// <summary>The most records the consumer will take (-First + -Skip): no page is fetched past it.</summary>
        public long MaxRecords { get; set; } = long.MaxValue;

        /// <summary>Counts as the stream goes (total from the server, delivered, requests).</summary>
        public CCPagingStatus Status { get; } = new CCPagingStatus();

        /// <summary>Records of a page the consumer takes before the next page is fetched in the background.</summary>
        internal const int PrefetchAfter = 100;

        public IEnumerator<T> GetEnumerator() => new Enumerator(this);
        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        private sealed class Enumerator : IEnumerator<T>
        {
            private readonly CCPagedResult<T> _owner;
            private readonly IPageWalker<T> _walker;
            private readonly CancellationTokenSource _cts;
            private IReadOnlyList<T>? _items;
            private Action? _release;      // gives the current lazy page's buffer back
            private T _current = default!;
            private int _index = -1;
            private Uri? _next;
            private Task<(IReadOnlyList<T>, Uri?, Action?)>? _pending;
            private bool _started;

            public Enumerator(CCPagedResult<T> owner)
            {
                _owner = owner;
                _walker = owner._walker();
                _cts = CancellationTokenSource.CreateLinkedTokenSource(owner._token);
            }

            public T Current => _current;
            object? IEnumerator.Current => Current;

            public bool MoveNext()
            {
                if (!_started)
                {
                    _started = true;
                    _next = _walker.First();
                    if (!LoadNext()) return false;
                }
                while (true)
                {
                    _index++;
                    if (_owner.Status.Delivered >= _owner.MaxRecords) return false;
                    if (_items != null && _index < _items.Count)
                    {
                        // Once the consumer has taken a few records, start on the next page while it works
                        // on the rest of this one (download and parse overlap the pipeline), unless this page
                        // already holds all the consumer will take. Not at once: `| Select-Object -First 10`
                        // should cost one request.
                        if (_pending == null && _next != null && _index >= Math.Min(_items.Count / 2, PrefetchAfter)
                            && _owner.Status.Delivered + (_items.Count - _index) < _owner.MaxRecords)
                            _pending = FetchAsync(_next);
                        _current = _items[_index];   // a lazy page parses the record here, once
                        _owner.Status.Delivered++;
                        return true;
                    }
                    if (!LoadNext()) return false;
                }
            }

            private bool LoadNext()
            {
                ReleasePage();
                if (_pending == null)
                {
                    if (_next == null) { _items = null; return false; }
                    _pending = FetchAsync(_next);
                }
                var task = _pending;
                _pending = null;
                var (items, next, release) = task.WaitPumping(_owner._sink);
                _items = items;
                _release = release;
                _next = next;
                _index = -1;
                return true;
            }

            private void ReleasePage()
            {
                _current = default!;
                var r = _release;
                _release = null;
                r?.Invoke();
            }

            private async Task<(IReadOnlyList<T>, Uri?, Action?)> FetchAsync(Uri uri)
            {
                var page = await PageFetcher.FetchAsync(_owner._engine, uri, _owner._reader, _owner._sink, _cts.Token, _owner._shape, _owner._lazy).ConfigureAwait(false);
                try
                {
                    var status = _owner.Status;
                    status.Requests++;
                    if (status.TotalCount == null && page.TotalCount != null) status.TotalCount = page.TotalCount;
                    var (deliver, next) = _walker.Accept(page);
                    status.DuplicatesDropped += page.Count - deliver.Count;
                    return (ColumnKeyPages.Wrap(deliver), next, page.Lazy == null ? null : (Action)page.Lazy.Release);
                }
                catch
                {
                    page.Lazy?.Release();
                    throw;
                }
            }

            public void Reset() => throw new NotSupportedException();

            public void Dispose()
            {
                // Stop a background fetch the consumer no longer wants (Select-Object -First, Ctrl+C) and observe its outcome.
                _cts.Cancel();
                ReleasePage();
                var p = _pending;
                _pending = null;
                if (p != null) _ = p.ContinueWith(t => { if (t.Status == TaskStatus.RanToCompletion) t.Result.Item3?.Invoke(); else _ = t.Exception; }, TaskScheduler.Default);
                _cts.Dispose();
            }
        }
    }
}
