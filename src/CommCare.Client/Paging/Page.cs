using CommCare.Models;
using System;
using System.Buffers;
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
        public List<T> Items = new List<T>();
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
        public static async Task<Page<T>> FetchAsync<T>(CCHttpEngine engine, Uri uri, ItemReader<T> reader, ICCMessageSink sink, CancellationToken token, PageShape? shape = null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            RequestInfo.For(request).Sink = sink;
            using var response = await CCRequest.SendAsync(engine, request, token).ConfigureAwait(false);
            await ApiErrors.ThrowIfFailedAsync(engine, request, response).ConfigureAwait(false);
            var (buffer, length) = await ReadBodyAsync(response).ConfigureAwait(false);
            try
            {
                return Parse(buffer, length, uri, reader, request, shape ?? PageShape.Tastypie);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        /// <summary>Copies the (already buffered) body into a pooled array; the caller returns it to the pool.</summary>
        internal static async Task<(byte[] Buffer, int Length)> ReadBodyAsync(HttpResponseMessage response)
        {
            using var stream = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
            long? len = response.Content.Headers.ContentLength;
            byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Max(len ?? 65536, 1024), int.MaxValue - 64) + 1);
            int total = 0;
            while (true)
            {
                if (total == buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    Buffer.BlockCopy(buffer, 0, bigger, 0, total);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
                int n = await stream.ReadAsync(buffer, total, buffer.Length - total).ConfigureAwait(false);
                if (n == 0) break;
                total += n;
            }
            return (buffer, total);
        }

        private static Page<T> Parse<T>(byte[] buffer, int length, Uri uri, ItemReader<T> itemReader, HttpRequestMessage request, PageShape shape)
        {
            var page = new Page<T> { RequestUri = uri };
            FormParser.Source = buffer;
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
                        while (r.Read() && r.TokenType != JsonTokenType.EndArray) page.Items.Add(itemReader(ref r));
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
            finally
            {
                FormParser.Source = null;   // the pooled buffer is reused: never keep a reference past this page
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
}
