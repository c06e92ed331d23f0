using CommCare.Models;
using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using CommCare.Client.Http;
using CommCare.Client.Json;

namespace CommCare.Client.Paging
{
    internal delegate T ItemReader<T>(ref Utf8JsonReader reader);

    /// <summary>One tastypie page: {"meta": {...}, "objects": [...]}.</summary>
    internal sealed class Page<T>
    {
        /// <summary>The parsed records (eager pages).</summary>
        public List<T> Items = new List<T>();
        /// <summary>The records still as bytes, with their ids and indexed_on (lazy pages), else null.</summary>
        public LazyRecords<T>? Lazy;
        public int Count => Lazy?.Count ?? Items.Count;
        public long? TotalCount;
        public int? Limit;
        public int? Offset;
        public string? Next;
        public Uri RequestUri = null!;
    }

    /// <summary>Where a list response keeps its records, total and next link.</summary>
    internal sealed class PageShape
    {
        public PageShape(string items, string? meta, string total, string next) { Items = items; Meta = meta; Total = total; Next = next; }
        public string Items { get; }
        /// <summary>The object holding total and next (tastypie "meta"), or null when they are top-level.</summary>
        public string? Meta { get; }
        public string Total { get; }
        public string Next { get; }

        public static readonly PageShape Tastypie = new PageShape("objects", "meta", "total_count", "next");
        /// <summary>Case API v2: {"matching_records": n, "cases": [...], "next": "absolute url"}.</summary>
        public static readonly PageShape CaseV2 = new PageShape("cases", null, "matching_records", "next");
    }

    /// <summary>Fetches and parses pages. Parses straight from the response bytes with Utf8JsonReader.</summary>
    internal static class PageFetcher
    {
        // lazy: keep the records as bytes (with id and indexed_on read) and parse each when the consumer
        // takes it (LazyRecords); the page then owns the pooled buffer.
        public static async Task<Page<T>> FetchAsync<T>(CCHttpEngine engine, Uri uri, ItemReader<T> reader, ICCMessageSink sink, CancellationToken token, PageShape? shape = null, bool lazy = false)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            RequestInfo.For(request).Sink = sink;
            using var response = await CCRequest.SendAsync(engine, request, token).ConfigureAwait(false);
            await ApiErrors.ThrowIfFailedAsync(engine, request, response).ConfigureAwait(false);
            var (buffer, length) = await ReadBodyAsync(response).ConfigureAwait(false);
            bool kept = false;
            try
            {
                var page = Parse(buffer, length, uri, lazy ? null : reader, request, shape ?? PageShape.Tastypie);
                if (page.Lazy != null) { page.Lazy.Attach(buffer, reader, request.Method + " " + Redaction.PathAndQuery(uri)); kept = true; }
                return page;
            }
            finally
            {
                if (!kept) PageBuffers.Return(buffer);
            }
        }

        /// <summary>The body as a buffer from PageBuffers; the caller gives it back with PageBuffers.Return. A page
        /// request is never streamed, so the attempt has already read it whole (under its deadline and size cap):
        /// it is taken over as it is, without a copy.</summary>
        internal static Task<(byte[] Buffer, int Length)> ReadBodyAsync(HttpResponseMessage response)
        {
            if (response.Content is BufferedBody buffered) return Task.FromResult((buffered.TakeBuffer(), buffered.Length));
            throw new InvalidOperationException("A page body must be read by the attempt (the request was marked Streamed).");
        }

        // itemReader null: skim the records (lazy page) instead of parsing them.
        private static Page<T> Parse<T>(byte[] buffer, int length, Uri uri, ItemReader<T>? itemReader, HttpRequestMessage request, PageShape shape)
        {
            var page = new Page<T> { RequestUri = uri };
            if (itemReader == null) page.Lazy = new LazyRecords<T>();
            using var source = RecordSource.Use(buffer);
            try
            {
                var r = new Utf8JsonReader(new ReadOnlySpan<byte>(buffer, 0, length), new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
                if (!r.Read() || r.TokenType != JsonTokenType.StartObject) throw new JsonException("The response is not a JSON object.");
                bool sawObjects = false;
                while (r.Read() && r.TokenType != JsonTokenType.EndObject)
                {
                    string name = r.GetString()!;
                    JsonValue.Value(ref r);
                    if (shape.Meta != null && name == shape.Meta && r.TokenType == JsonTokenType.StartObject)
                    {
                        while (r.Read() && r.TokenType != JsonTokenType.EndObject)
                        {
                            string m = r.GetString()!;
                            JsonValue.Value(ref r);
                            if (!ReadMeta(ref r, m, page, shape)) r.Skip();
                        }
                    }
                    else if (name == shape.Items && r.TokenType == JsonTokenType.StartArray)
                    {
                        sawObjects = true;
                        if (itemReader != null)
                            while (r.Read() && r.TokenType != JsonTokenType.EndArray) page.Items.Add(itemReader(ref r));
                        else
                            while (r.Read() && r.TokenType != JsonTokenType.EndArray) page.Lazy!.Skim(ref r);
                    }
                    else if (shape.Meta != null || !ReadMeta(ref r, name, page, shape)) r.Skip();
                }
                if (!sawObjects) throw new JsonException($"The response has no \"{shape.Items}\" list.");
                if (string.IsNullOrEmpty(page.Next)) page.Next = null;
                return page;
            }
            catch (JsonException ex)
            {
                throw new CCApiException(CCErrorKind.BadResponse,
                    $"CommCare sent a response that is not the expected JSON page ({request.Method} {Redaction.PathAndQuery(uri)}): {ex.Message}",
                    requestPath: request.Method + " " + Redaction.PathAndQuery(uri), inner: ex);
            }
        }

        private static bool ReadMeta<T>(ref Utf8JsonReader r, string name, Page<T> page, PageShape shape)
        {
            if (name == shape.Total) page.TotalCount = JsonValue.ReadNullableLong(ref r);
            else if (name == shape.Next) page.Next = JsonValue.ReadString(ref r);
            else if (name == "limit") page.Limit = (int?)JsonValue.ReadNullableLong(ref r);
            else if (name == "offset") page.Offset = (int?)JsonValue.ReadNullableLong(ref r);
            else return false;
            return true;
        }

        /// <summary>Reads a single JSON object response (detail endpoints).</summary>
        public static async Task<T?> FetchOneAsync<T>(CCHttpEngine engine, Uri uri, ItemReader<T> reader, ICCMessageSink sink, CancellationToken token, bool nullOn404 = true)
            where T : class
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            RequestInfo.For(request).Sink = sink;
            using var response = await CCRequest.SendAsync(engine, request, token).ConfigureAwait(false);
            if (nullOn404 && (int)response.StatusCode == 404) return null;
            await ApiErrors.ThrowIfFailedAsync(engine, request, response).ConfigureAwait(false);
            byte[] bytes = await response.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
            try
            {
                var r = new Utf8JsonReader(bytes);
                if (!r.Read()) throw new JsonException("Empty response.");
                return reader(ref r);
            }
            catch (JsonException ex)
            {
                throw new CCApiException(CCErrorKind.BadResponse,
                    $"CommCare sent a response that is not the expected JSON object (GET {Redaction.PathAndQuery(uri)}): {ex.Message}",
                    requestPath: "GET " + Redaction.PathAndQuery(uri), inner: ex);
            }
        }
    }

    /// <summary>
    /// The records of a lazy page: the response bytes (a pooled buffer), each record's place in them, and the
    /// two fields paging needs (id, indexed_on). A record is parsed only when the consumer takes it, so it
    /// dies young: parsing a whole 5,000-record page ahead kept every record alive across collections,
    /// which cost more than the parsing (bench/README.md). Release returns the buffer once the consumer is done.
    /// </summary>
    internal sealed class LazyRecords<T>
    {
        private readonly List<int> _starts = new List<int>();
        private readonly List<int> _lengths = new List<int>();
        private readonly List<string> _ids = new List<string>();
        private readonly List<DateTime?> _indexedOn = new List<DateTime?>();
        private byte[]? _buffer;
        private ItemReader<T>? _reader;
        private string _requestPath = "";

        public int Count => _starts.Count;
        public string Id(int i) => _ids[i];
        public DateTime? IndexedOn(int i) => _indexedOn[i];

        /// <summary>Records one record (the reader is on its StartObject) and leaves the reader on its EndObject.</summary>
        internal void Skim(ref Utf8JsonReader r)
        {
            if (r.TokenType != JsonTokenType.StartObject) throw new JsonException("A record in the list is not a JSON object.");
            int start = (int)r.TokenStartIndex;
            string? id = null, caseId = null;
            DateTime? indexedOn = null;
            while (r.Read() && r.TokenType != JsonTokenType.EndObject)
            {
                // Same fields and readers as CaseParser / FormParser, so the walker sees what the parser gives.
                if (r.ValueTextEquals("id"u8)) { r.Read(); id = JsonValue.ReadString(ref r); }
                else if (r.ValueTextEquals("case_id"u8)) { r.Read(); caseId = JsonValue.ReadString(ref r); }
                else if (r.ValueTextEquals("indexed_on"u8)) { r.Read(); indexedOn = JsonValue.ReadDate(ref r); }
                else { r.Read(); r.Skip(); }
            }
            _starts.Add(start);
            _lengths.Add((int)r.BytesConsumed - start);
            _ids.Add(string.IsNullOrEmpty(id) ? caseId ?? "" : id!);
            _indexedOn.Add(indexedOn);
        }

        internal void Attach(byte[] buffer, ItemReader<T> reader, string requestPath) { _buffer = buffer; _reader = reader; _requestPath = requestPath; }

        public T Parse(int i)
        {
            var buffer = _buffer ?? throw new ObjectDisposedException(nameof(LazyRecords<T>), "The page was already released.");
            using var source = RecordSource.Use(buffer, _starts[i]);
            try
            {
                var r = new Utf8JsonReader(new ReadOnlySpan<byte>(buffer, _starts[i], _lengths[i]));
                r.Read();
                return _reader!(ref r);
            }
            catch (Exception ex) when (ex is JsonException || ex is InvalidOperationException || ex is FormatException)
            {
                throw new CCApiException(CCErrorKind.BadResponse,
                    $"CommCare sent a record that is not in the expected form ({_requestPath}): {ex.Message}", requestPath: _requestPath, inner: ex);
            }
        }

        /// <summary>The records at <paramref name="indices"/>, each parsed when read.</summary>
        public IReadOnlyList<T> View(List<int> indices) => new LazyView(this, indices);

        /// <summary>Gives the buffer back to the pool; later reads fail instead of seeing reused bytes.</summary>
        public void Release()
        {
            var b = System.Threading.Interlocked.Exchange(ref _buffer, null);
            if (b != null) PageBuffers.Return(b);
        }

        private sealed class LazyView : IReadOnlyList<T>
        {
            private readonly LazyRecords<T> _records;
            private readonly List<int> _indices;
            public LazyView(LazyRecords<T> records, List<int> indices) { _records = records; _indices = indices; }
            public T this[int index] => _records.Parse(_indices[index]);
            public int Count => _indices.Count;
            public IEnumerator<T> GetEnumerator() { for (int i = 0; i < _indices.Count; i++) yield return this[i]; }
            System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
        }
    }
}
