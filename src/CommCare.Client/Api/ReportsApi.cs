using CommCare.Models;
using System;
using CommCare.Client.Http;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using CommCare.Client.Json;
using CommCare.Client.Paging;

namespace CommCare.Client.Api
{
    /// <summary>One output column of report data: the header people read and the slug the rows use.</summary>
    public sealed class ReportDataColumn
    {
        public ReportDataColumn(string slug, string header) { Slug = slug; Header = header; }
        public string Slug { get; }
        public string Header { get; }
    }

    /// <summary>Report data, page by page: the columns (known after the first page) and the rows in order.</summary>
    public sealed class ReportData : IEnumerable<IReadOnlyDictionary<string, object?>>
    {
        private readonly IEnumerable<IReadOnlyDictionary<string, object?>> _rows;
        internal ReportData(IReadOnlyList<ReportDataColumn> columns, long? total, IEnumerable<IReadOnlyDictionary<string, object?>> rows, CCPagingStatus status)
        { Columns = columns; TotalRecords = total; _rows = rows; Status = status; }
        public IReadOnlyList<ReportDataColumn> Columns { get; }
        public long? TotalRecords { get; }
        public CCPagingStatus Status { get; }
        public IEnumerator<IReadOnlyDictionary<string, object?>> GetEnumerator() => _rows.GetEnumerator();
        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>UCR reports: list, detail and data (docs/commcare-api.md#reports-data-sources-and-odata).</summary>
    public sealed class ReportsApi
    {
        /// <summary>The server refuses more than 50 rows a call ("Limit may not exceed 50.").</summary>
        public const int MaxPageSize = 50;
        internal const char ChoiceSeparator = '\u001f';
        private static readonly string[] Operators = { ">=", "<=", "!=", "=", "<", ">" };
        private static readonly PageShape DataShape = new PageShape("data", null, "total_records", "next_page");

        private readonly CommCareClient _c;
        internal ReportsApi(CommCareClient c) => _c = c;

        public IReadOnlyList<CCReport> List()
        {
            var page = PageFetcher.FetchAsync(_c.Engine, _c.DomainApi("simplereportconfiguration"), ReportParser.Read, _c.Sink, _c.Token).WaitPumping(_c.Sink);
            return page.Items;
        }

        /// <summary>A user-built report's definition; null for static reports and unknown ids (the server has no detail for them).</summary>
        public CCReport? Get(string id)
            // A 404 of any body is "no such report"; filter and column types are kept as text (docs/commcare-api.md U24).
            => PageFetcher.FetchOneAsync(_c.Engine, new Uri(_c.DomainApi("simplereportconfiguration"), QueryString.Segment(id) + "/"), ReportParser.Read, _c.Sink, _c.Token).WaitPumping(_c.Sink);

        /// <summary>
        /// Turns user filters into the report's query parameters (docs/commcare-api.md#reports-data-sources-and-odata): a choice list's values joined with
        /// U+001F; a date range as slug-start / slug-end (YYYY-MM-DD); a numeric filter as slug-operator /
        /// slug-operand ('>=18', or an operator and a number). With the report's definition, unknown names are
        /// refused before any data request; without one (static reports) the value's shape decides.
        /// </summary>
        public static QueryString FilterQuery(IDictionary<string, object?> filters, CCReport? definition)
        {
            var q = new QueryString();
            foreach (var kv in filters)
            {
                string slug = kv.Key;
                CCReportFilter? f = null;
                if (definition != null)
                {
                    foreach (var d in definition.Filters) if (d.Slug == slug) f = d;
                    if (f == null)
                        throw new CCApiException(CCErrorKind.InvalidArgument, $"-Filter: '{slug}' is not a filter of report '{definition.Title ?? definition.Id}'. Its filters are: {string.Join(", ", Slugs(definition))}.");
                }
                var values = Values(kv.Value);
                string kind = f?.Type ?? Guess(values);
                switch (kind)
                {
                    case "date":
                        if (values.Count != 2)
                            throw new CCApiException(CCErrorKind.InvalidArgument, $"-Filter: the date filter '{slug}' needs a start and an end, e.g. {slug} = '2026-01-01', '2026-06-30'.");
                        q.Add(slug + "-start", Day(values[0], slug)).Add(slug + "-end", Day(values[1], slug));
                        break;
                    case "numeric":
                        var (op, operand) = Numeric(values, slug);
                        q.Add(slug + "-operator", op).Add(slug + "-operand", operand);
                        break;
                    default:
                        if (values.Count == 0) throw new CCApiException(CCErrorKind.InvalidArgument, $"-Filter: '{slug}' has no value.");
                        var parts = new List<string>();
                        foreach (var v in values)
                        {
                            string s = Text(v);
                            if (s.IndexOf(ChoiceSeparator) >= 0) throw new CCApiException(CCErrorKind.InvalidArgument, $"-Filter: a value of '{slug}' contains the character U+001F, which separates choices.");
                            parts.Add(s);
                        }
                        q.Add(slug, string.Join(ChoiceSeparator.ToString(), parts));
                        break;
                }
            }
            return q;
        }

        private static IEnumerable<string> Slugs(CCReport r) { foreach (var f in r.Filters) yield return f.Slug; }

        private static List<object?> Values(object? v)
        {
            var list = new List<object?>();
            if (v is string || v is IDictionary || !(v is IEnumerable e)) list.Add(v);
            else foreach (var x in e) list.Add(x);
            return list;
        }

        private static string Guess(List<object?> values)
        {
            if (values.Count == 2 && values.TrueForAll(v => v is DateTime || (v is string s && DateTime.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)))) return "date";
            if (values.Count == 1 && (values[0] is IDictionary || (values[0] is string s1 && Array.Exists(Operators, o => s1.TrimStart().StartsWith(o, StringComparison.Ordinal))))) return "numeric";
            return "choice_list";
        }

        private static string Day(object? v, string slug)
        {
            if (v is DateTime dt) return dt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            if (v is DateTimeOffset dto) return dto.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            string s = Text(v).Trim();
            if (DateTime.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)) return s;
            if (DateTime.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)) return parsed.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            throw new CCApiException(CCErrorKind.InvalidArgument, $"-Filter: '{s}' is not a date for '{slug}'; use yyyy-MM-dd.");
        }

        private static (string Op, string Operand) Numeric(List<object?> values, string slug)
        {
            string? op = null, operand = null;
            if (values.Count == 1 && values[0] is IDictionary d)
            {
                foreach (DictionaryEntry e in d)
                {
                    string k = e.Key?.ToString()?.ToLowerInvariant() ?? "";
                    if (k == "operator") op = Text(e.Value).Trim();
                    else if (k == "operand") operand = Text(e.Value).Trim();
                }
            }
            else if (values.Count == 1)
            {
                string s = Text(values[0]).Trim();
                foreach (var o in Operators)
                    if (s.StartsWith(o, StringComparison.Ordinal)) { op = o; operand = s.Substring(o.Length).Trim(); break; }
                if (op == null) { op = "="; operand = s; }
            }
            else if (values.Count == 2) { op = Text(values[0]).Trim(); operand = Text(values[1]).Trim(); }
            if (op == null || Array.IndexOf(Operators, op) < 0)
                throw new CCApiException(CCErrorKind.InvalidArgument, $"-Filter: the numeric filter '{slug}' needs an operator (=, !=, <, <=, >, >=) and a number, e.g. {slug} = '>=18'.");
            if (!decimal.TryParse(operand, NumberStyles.Number, CultureInfo.InvariantCulture, out _))
                throw new CCApiException(CCErrorKind.InvalidArgument, $"-Filter: '{operand}' is not a number for '{slug}'.");
            return (op, operand!);
        }

        private static string Text(object? v) => v is DateTime dt ? dt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : Convert.ToString(v, CultureInfo.InvariantCulture) ?? "";

        /// <summary>Report data, 50 rows a call (the server's cap), following next_page until it is "".</summary>
        public ReportData Data(string reportId, QueryString filters, int pageSize = MaxPageSize)
        {
            if (pageSize < 1 || pageSize > MaxPageSize)
                throw new CCApiException(CCErrorKind.InvalidArgument, $"PageSize must be between 1 and {MaxPageSize} for report data (the server's maximum).");
            var q = filters.Clone().Add("offset", "0").Add("limit", pageSize.ToString(CultureInfo.InvariantCulture));
            var first = new Uri(new Uri(_c.Session.Server, "a/" + QueryString.Segment(_c.Session.Domain) + "/api/v0.5/configurablereportdata/" + QueryString.Segment(reportId) + "/"), q.ToString());
            // The first page is read on its own: its columns name the output before any row is written.
            string text = Writes.Send(_c, HttpMethod.Get, first, null);
            var columns = new List<ReportDataColumn>();
            var rows = new List<IReadOnlyDictionary<string, object?>>();
            long? total = null;
            string? next = null;
            try
            {
                var r = new Utf8JsonReader(Encoding.UTF8.GetBytes(text));
                if (!r.Read() || r.TokenType != JsonTokenType.StartObject) throw new JsonException("not an object");
                while (r.Read() && r.TokenType != JsonTokenType.EndObject)
                {
                    string name = r.GetString()!;
                    r.Read();
                    switch (name)
                    {
                        case "columns":
                            if (r.TokenType != JsonTokenType.StartArray) { r.Skip(); break; }
                            while (r.Read() && r.TokenType != JsonTokenType.EndArray)
                            {
                                var col = JsonValue.ReadObject(ref r);
                                string slug = (JsonValue.Str(col, "slug") ?? "");
                                string header = col.TryGetValue("header", out var h) && h is string hs && hs.Length > 0 ? hs : slug;
                                columns.Add(new ReportDataColumn(slug, header));
                            }
                            break;
                        case "data":
                            if (r.TokenType != JsonTokenType.StartArray) { r.Skip(); break; }
                            while (r.Read() && r.TokenType != JsonTokenType.EndArray) rows.Add(JsonValue.ReadObject(ref r));
                            break;
                        case "total_records": total = JsonValue.ReadNullableLong(ref r); break;
                        case "next_page": next = JsonValue.ReadString(ref r); break;
                        default: r.Skip(); break;
                    }
                }
            }
            catch (JsonException ex)
            {
                throw new CCApiException(CCErrorKind.BadResponse, $"CommCare sent report data that is not the expected JSON: {ex.Message}", inner: ex);
            }
            var status = new CCPagingStatus { TotalCount = total, Requests = 1 };
            IEnumerable<IReadOnlyDictionary<string, object?>> all = rows;
            if (!string.IsNullOrEmpty(next))
            {
                ItemReader<IReadOnlyDictionary<string, object?>> reader = (ref Utf8JsonReader rr) => JsonValue.ReadObject(ref rr);
                var nextUri = OffsetWalker<object>.ResolveNext(first, next!);
                var rest = _c.Pages(nextUri, reader, DataShape);
                all = Concat(rows, rest, status, rest.Status);
            }
            return new ReportData(columns, total, all, status);
        }

        private static IEnumerable<IReadOnlyDictionary<string, object?>> Concat(List<IReadOnlyDictionary<string, object?>> first,
            IEnumerable<IReadOnlyDictionary<string, object?>> rest, CCPagingStatus status, CCPagingStatus restStatus)
        {
            foreach (var row in first) { status.Delivered++; yield return row; }
            foreach (var row in rest) { status.Delivered++; status.Requests = 1 + restStatus.Requests; yield return row; }
        }

    }
}
