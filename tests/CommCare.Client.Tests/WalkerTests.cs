using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using CommCare.Client.Paging;
using CommCare.Models;
using Xunit;

namespace CommCare.Client.Tests
{
    /// <summary>
    /// The page walkers against an in-memory tastypie list: every record exactly once, in order, with a
    /// sane number of requests (docs/commcare-api.md#walking-cases-and-forms-by-indexed_on).
    /// </summary>
    public class WalkerTests
    {
        // ================================================================ fake server

        internal sealed class Rec
        {
            public Rec(string id, DateTime indexedOn) { Id = id; IndexedOn = indexedOn; }
            public string Id { get; }
            public DateTime IndexedOn { get; }
            public override string ToString() => $"{Id}@{IndexedOn:HH:mm:ss.ffffff}";
        }

        public enum NextStyle { PathAbsolute, QueryOnly, Absolute }

        /// <summary>
        /// A tastypie list resource over a fixed record set, stable-sorted by indexed_on (ties keep their
        /// insertion order unless <see cref="ShuffleTies"/> is set, like Elasticsearch without a tie-breaker).
        /// Filters: indexed_on_start / indexed_on_end inclusive (only the formats the server accepts, no Z),
        /// limit (0 → max, above max → clamped, meta.limit = effective), offset; meta.next as tastypie builds it.
        /// </summary>
        internal sealed class FakeServer
        {
            private readonly List<Rec> _records;
            public int MaxLimit { get; set; } = 1000;
            public NextStyle Style { get; set; } = NextStyle.PathAbsolute;
            public Random? ShuffleTies { get; set; }
            public bool IgnoreStart { get; set; }
            public List<Uri> Requests { get; } = new List<Uri>();

            public FakeServer(IEnumerable<Rec> records)
                => _records = records.Select((r, i) => (r, i)).OrderBy(x => x.r.IndexedOn).ThenBy(x => x.i).Select(x => x.r).ToList();

            public IReadOnlyList<Rec> Ordered => _records;

            public Page<Rec> Answer(Uri uri)
            {
                Requests.Add(uri);
                Assert.True(uri.IsAbsoluteUri, $"relative request {uri}");
                Assert.Equal("www.commcarehq.org", uri.Host);
                Assert.Equal("/a/demo/api/v0.5/form/", uri.AbsolutePath);
                Assert.Equal("", uri.Fragment);
                var query = ParseQuery(uri.Query);

                DateTime? start = null, end = null;
                int limit = 20, offset = 0;
                var passOn = new List<KeyValuePair<string, string>>();
                foreach (var (k, v) in query)
                {
                    switch (k)
                    {
                        case "order_by": Assert.Equal("indexed_on", v); passOn.Add(new(k, v)); break;
                        case "indexed_on_start": Assert.Null(start); start = ParseFilterDate(v); passOn.Add(new(k, v)); break;
                        case "indexed_on_end": Assert.Null(end); end = ParseFilterDate(v); passOn.Add(new(k, v)); break;
                        case "limit":
                            limit = int.Parse(v, NumberStyles.None, CultureInfo.InvariantCulture);
                            if (limit == 0 || limit > MaxLimit) limit = MaxLimit;
                            break;
                        case "offset": offset = int.Parse(v, NumberStyles.None, CultureInfo.InvariantCulture); break;
                        default: passOn.Add(new(k, v)); break;   // user filters
                    }
                }
                if (IgnoreStart) start = null;

                var matching = _records.Where(r => (start == null || r.IndexedOn >= start) && (end == null || r.IndexedOn <= end)).ToList();
                if (ShuffleTies != null)
                    matching = matching.GroupBy(r => r.IndexedOn).OrderBy(g => g.Key)
                        .SelectMany(g => g.OrderBy(_ => ShuffleTies.Next())).ToList();

                var page = new Page<Rec>
                {
                    RequestUri = uri,
                    Items = matching.Skip(offset).Take(limit).ToList(),
                    TotalCount = matching.Count,
                    Limit = limit,
                    Offset = offset,
                };
                if (offset + limit < matching.Count)
                {
                    var q = new QueryString();
                    foreach (var kv in passOn) q.Add(kv.Key, kv.Value);
                    q.Add("limit", limit.ToString(CultureInfo.InvariantCulture)).Add("offset", (offset + limit).ToString(CultureInfo.InvariantCulture));
                    page.Next = Style switch
                    {
                        NextStyle.PathAbsolute => uri.AbsolutePath + q,
                        NextStyle.QueryOnly => q.ToString(),
                        _ => uri.GetLeftPart(UriPartial.Path) + q,
                    };
                }
                return page;
            }

            private static List<(string Key, string Value)> ParseQuery(string query)
                => query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
                    .Select(p => p.Split('=', 2))
                    .Select(kv => (Uri.UnescapeDataString(kv[0]), kv.Length > 1 ? Uri.UnescapeDataString(kv[1]) : ""))
                    .ToList();

            /// <summary>corehq/apps/api/es.py SUPPORTED_DATE_FORMATS: a Z or offset is a 400.</summary>
            private static DateTime ParseFilterDate(string v)
            {
                Assert.True(DateTime.TryParseExact(v, new[] { "yyyy-MM-dd", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.ffffff" },
                    CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var d),
                    $"400 Bad query parameter: Unknown date format: {v}");
                return d;
            }
        }

        // ================================================================ helpers

        private static readonly Uri FormList = new Uri("https://www.commcarehq.org/a/demo/api/v0.5/form/");
        private static readonly DateTime T0 = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);

        internal static DateTime Micro(long microseconds) => T0.AddTicks(microseconds * 10);

        internal sealed class WalkResult
        {
            public List<Rec> Delivered = new List<Rec>();
            public int Requests;
        }

        internal static WalkResult Walk(IPageWalker<Rec> walker, FakeServer server, int maxRequests = 10_000)
        {
            var result = new WalkResult();
            Uri? next = walker.First();
            while (next != null)
            {
                Assert.True(++result.Requests <= maxRequests, $"more than {maxRequests} requests: the walk does not end");
                var page = server.Answer(next);
                var (deliver, following) = walker.Accept(page);
                result.Delivered.AddRange(deliver);
                next = following;
            }
            return result;
        }

        internal static IndexedOnWalker<Rec> IndexedOn(int limit, DateTime? start = null, DateTime? end = null, QueryString? filters = null)
            => new IndexedOnWalker<Rec>(FormList, filters ?? new QueryString(), limit, start, end, r => r.Id, r => r.IndexedOn);

        /// <summary>Every record exactly once and in the server's order; requests within the bound.</summary>
        internal static void AssertExactlyOnceInOrder(IReadOnlyList<Rec> expected, WalkResult walk)
        {
            var dupes = walk.Delivered.GroupBy(r => r.Id).Where(g => g.Count() > 1).Select(g => g.Key).Take(5).ToList();
            Assert.True(dupes.Count == 0, "delivered more than once: " + string.Join(", ", dupes));
            var missing = expected.Select(r => r.Id).Except(walk.Delivered.Select(r => r.Id)).Take(5).ToList();
            Assert.True(missing.Count == 0, "never delivered: " + string.Join(", ", missing));
            Assert.Equal(expected.Select(r => r.Id), walk.Delivered.Select(r => r.Id));
        }

        internal static void AssertRequestsAtMost(double bound, WalkResult walk)
            => Assert.True(walk.Requests <= bound, $"{walk.Requests} requests, expected at most {bound}");

        internal static List<Rec> Distinct(int count, long firstMicro = 0, long stepMicro = 137, string prefix = "r")
            => Enumerable.Range(0, count).Select(i => new Rec($"{prefix}{i:D6}", Micro(firstMicro + i * stepMicro))).ToList();

        /// <summary>before distinct records, then shared records at one instant, then after distinct records.</summary>
        internal static List<Rec> WithSharedBlock(int before, int shared, int after)
        {
            var list = new List<Rec>();
            long t = 0;
            for (int i = 0; i < before; i++) list.Add(new Rec($"a{i:D6}", Micro(t += 137)));
            long sharedAt = t += 137;
            for (int i = 0; i < shared; i++) list.Add(new Rec($"s{i:D6}", Micro(sharedAt)));
            for (int i = 0; i < after; i++) list.Add(new Rec($"b{i:D6}", Micro(t += 137)));
            return list;
        }

        // ================================================================ IndexedOnWalker

        [Fact]
        public void IndexedOn_FirstRequestAsksForTheIndexedOnOrder()
        {
            var filters = new QueryString().Add("xmlns", "http://x/y?z&w");
            var first = IndexedOn(500, start: new DateTime(2016, 11, 29, 14, 50, 43, 100, DateTimeKind.Utc), filters: filters).First();
            Assert.Equal("https://www.commcarehq.org/a/demo/api/v0.5/form/?xmlns=http%3A%2F%2Fx%2Fy%3Fz%26w&order_by=indexed_on&indexed_on_start=2016-11-29T14%3A50%3A43.100000&limit=500",
                first.AbsoluteUri);
        }

        [Fact]
        public void IndexedOn_NoRecords()
        {
            var server = new FakeServer(new List<Rec>());
            var walk = Walk(IndexedOn(1000), server);
            Assert.Empty(walk.Delivered);
            Assert.Equal(1, walk.Requests);
        }

        [Fact]
        public void IndexedOn_FewerThanAPage()
        {
            var server = new FakeServer(Distinct(37));
            var walk = Walk(IndexedOn(1000), server);
            AssertExactlyOnceInOrder(server.Ordered, walk);
            Assert.Equal(1, walk.Requests);
        }

        [Fact]
        public void IndexedOn_ExactlyOnePage()
        {
            var server = new FakeServer(Distinct(1000));
            var walk = Walk(IndexedOn(1000), server);
            AssertExactlyOnceInOrder(server.Ordered, walk);
            Assert.Equal(1, walk.Requests);
        }

        [Fact]
        public void IndexedOn_ExactlyTwoPages()
        {
            var server = new FakeServer(Distinct(2000));
            var walk = Walk(IndexedOn(1000), server);
            AssertExactlyOnceInOrder(server.Ordered, walk);
            AssertRequestsAtMost(2000 / 1000 + 3, walk);
        }

        [Fact]
        public void IndexedOn_TenThousandDistinctTimestamps()
        {
            var server = new FakeServer(Distinct(10_000));
            var walk = Walk(IndexedOn(1000), server);
            AssertExactlyOnceInOrder(server.Ordered, walk);
            AssertRequestsAtMost(10_000 / 1000 + 3, walk);
            // No offset paging was needed: every request moved the window.
            Assert.DoesNotContain(server.Requests, u => u.Query.Contains("offset="));
            Assert.All(server.Requests, u => Assert.Contains("order_by=indexed_on", u.Query));
        }

        [Fact]
        public void IndexedOn_ThreeThousandSharingOneTimestampInTheMiddle()
        {
            var server = new FakeServer(WithSharedBlock(1000, 3000, 1000));
            var walk = Walk(IndexedOn(1000), server);
            AssertExactlyOnceInOrder(server.Ordered, walk);
            AssertRequestsAtMost(5000 / 1000 + 3000 / 1000 + 3, walk);
        }

        [Fact]
        public void IndexedOn_AllRecordsShareOneTimestamp()
        {
            var t = Micro(42);
            var server = new FakeServer(Enumerable.Range(0, 2500).Select(i => new Rec($"s{i:D5}", t)));
            var walk = Walk(IndexedOn(1000), server);
            AssertExactlyOnceInOrder(server.Ordered, walk);
            AssertRequestsAtMost(2500 / 1000.0 + 2500 / 1000.0 + 3, walk);
        }

        [Fact]
        public void IndexedOn_ExactlyALimitShareOneTimestamp()
        {
            var t = Micro(42);
            var server = new FakeServer(Enumerable.Range(0, 1000).Select(i => new Rec($"s{i:D5}", t)));
            var walk = Walk(IndexedOn(1000), server);
            AssertExactlyOnceInOrder(server.Ordered, walk);
            AssertRequestsAtMost(1 + 1 + 3, walk);
        }

        [Fact]
        public void IndexedOn_BoundarySharedByTheEndOfOnePageAndTheStartOfTheNext()
        {
            // limit 10: records 0-7 distinct, 8-12 share one instant (2 on page 1, 3 on page 2), then 13-24 distinct.
            var list = new List<Rec>();
            for (int i = 0; i < 8; i++) list.Add(new Rec($"r{i:D2}", Micro(i * 10)));
            for (int i = 8; i < 13; i++) list.Add(new Rec($"r{i:D2}", Micro(100)));
            for (int i = 13; i < 25; i++) list.Add(new Rec($"r{i:D2}", Micro(100 + i * 10)));
            var server = new FakeServer(list);
            var walk = Walk(IndexedOn(10), server);
            AssertExactlyOnceInOrder(server.Ordered, walk);
            AssertRequestsAtMost(25 / 10.0 + 5 / 10.0 + 3, walk);
            // The second request starts at the shared instant itself (inclusive), without a Z.
            Assert.Contains("indexed_on_start=2024-01-01T00%3A00%3A00.000100&", server.Requests[1].Query);
        }

        [Fact]
        public void IndexedOn_EveryGroupSizeAtEveryPositionAroundAPageBoundary()
        {
            foreach (int limit in new[] { 1, 2, 3, 5, 8 })
                for (int before = 0; before <= limit + 1; before++)
                    for (int shared = 1; shared <= 2 * limit + 2; shared++)
                    {
                        var server = new FakeServer(WithSharedBlock(before, shared, limit + 2));
                        var walk = Walk(IndexedOn(limit), server, maxRequests: 500);
                        try { AssertExactlyOnceInOrder(server.Ordered, walk); }
                        catch (Exception ex) { throw new Xunit.Sdk.XunitException($"limit {limit}, {before} before, {shared} shared: {ex.Message}"); }
                    }
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(3)]
        [InlineData(4)]
        [InlineData(5)]
        public void IndexedOn_RandomClumpsOfEqualTimestamps(int seed)
        {
            var rng = new Random(seed);
            var list = new List<Rec>();
            long t = 0;
            while (list.Count < 3000)
            {
                t += rng.Next(1, 50);
                int clump = rng.Next(10) == 0 ? rng.Next(1, 400) : 1;
                for (int i = 0; i < clump; i++) list.Add(new Rec($"x{list.Count:D6}", Micro(t)));
            }
            var server = new FakeServer(list);
            var walk = Walk(IndexedOn(100), server);
            AssertExactlyOnceInOrder(server.Ordered, walk);
        }

        [Fact]
        public void IndexedOn_TiesInADifferentOrderOnEveryRequestStillDeliverOnce()
        {
            // Elasticsearch sorts on indexed_on only: equal timestamps may come back in any order.
            var rng = new Random(7);
            var list = new List<Rec>();
            long t = 0;
            while (list.Count < 2000)
            {
                t += 13;
                int clump = rng.Next(1, 40);   // always fewer than the page size
                for (int i = 0; i < clump; i++) list.Add(new Rec($"x{list.Count:D6}", Micro(t)));
            }
            var server = new FakeServer(list) { ShuffleTies = new Random(11) };
            var walk = Walk(IndexedOn(100), server);
            Assert.Equal(list.Select(r => r.Id).OrderBy(x => x, StringComparer.Ordinal), walk.Delivered.Select(r => r.Id).OrderBy(x => x, StringComparer.Ordinal));
            for (int i = 1; i < walk.Delivered.Count; i++)
                Assert.True(walk.Delivered[i - 1].IndexedOn <= walk.Delivered[i].IndexedOn, $"out of order at {i}");
        }

        [Fact]
        public void IndexedOn_ServerThatClampsTheLimit()
        {
            // Asks for 1000, the server gives 300 a page and says so in meta.limit.
            var server = new FakeServer(WithSharedBlock(2000, 700, 2300)) { MaxLimit = 300 };
            var walk = Walk(IndexedOn(1000), server);
            AssertExactlyOnceInOrder(server.Ordered, walk);
            AssertRequestsAtMost(5000 / 299.0 + 700 / 300.0 + 3, walk);
        }

        [Fact]
        public void IndexedOn_ServerThatClampsTheLimitWithEveryRecordSharingOneTimestamp()
        {
            var t = Micro(5);
            var server = new FakeServer(Enumerable.Range(0, 1000).Select(i => new Rec($"s{i:D4}", t))) { MaxLimit = 300 };
            var walk = Walk(IndexedOn(1000), server);
            AssertExactlyOnceInOrder(server.Ordered, walk);
            AssertRequestsAtMost(1000 / 300.0 + 1000 / 300.0 + 3, walk);
        }

        [Fact]
        public void IndexedOn_StartAndEndAreInclusiveAndRespected()
        {
            var all = Distinct(5000, stepMicro: 10);   // one every 10 µs
            var server = new FakeServer(all);
            var start = all[1234].IndexedOn;
            var end = all[3456].IndexedOn;
            var walk = Walk(IndexedOn(500, start, end), server);
            AssertExactlyOnceInOrder(all.Skip(1234).Take(3456 - 1234 + 1).ToList(), walk);
            Assert.All(server.Requests, u => Assert.Contains("indexed_on_end=", u.Query));
        }

        [Fact]
        public void IndexedOn_SharedTimestampAtTheEndOfTheRange()
        {
            var list = WithSharedBlock(500, 2500, 500);
            var server = new FakeServer(list);
            var end = list[500].IndexedOn;   // the shared instant
            var walk = Walk(IndexedOn(1000, end: end), server);
            AssertExactlyOnceInOrder(server.Ordered.Take(3000).ToList(), walk);
            AssertRequestsAtMost(3000 / 1000.0 + 2500 / 1000.0 + 3, walk);
        }

        [Fact]
        public void IndexedOn_UserFiltersAreSentOnEveryRequest()
        {
            var server = new FakeServer(WithSharedBlock(1500, 1200, 1500));
            var walk = Walk(IndexedOn(1000, filters: new QueryString().Add("app_id", "a&b").Add("include_archived", "true")), server);
            AssertExactlyOnceInOrder(server.Ordered, walk);
            Assert.Contains(server.Requests, u => u.Query.Contains("offset="));   // the shared block was read by offset
            Assert.All(server.Requests, u => Assert.StartsWith("?app_id=a%26b&include_archived=true&order_by=indexed_on&", u.Query));
        }

        [Fact]
        public void IndexedOn_ServerThatIgnoresTheWindowIsStoppedNotLooped()
        {
            var server = new FakeServer(Distinct(5000)) { IgnoreStart = true };
            var walker = IndexedOn(1000);
            var delivered = new List<Rec>();
            var ex = Assert.Throws<CCApiException>(() =>
            {
                Uri? next = walker.First();
                for (int i = 0; i < 50 && next != null; i++)
                {
                    var (deliver, following) = walker.Accept(server.Answer(next));
                    delivered.AddRange(deliver);
                    next = following;
                }
            });
            Assert.Equal(CCErrorKind.BadResponse, ex.Kind);
            Assert.True(server.Requests.Count <= 3, $"{server.Requests.Count} requests before stopping");
            Assert.Equal(delivered.Count, delivered.Select(r => r.Id).Distinct().Count());
        }

        // ================================================================ OffsetWalker

        [Theory]
        [InlineData(NextStyle.PathAbsolute)]
        [InlineData(NextStyle.QueryOnly)]
        [InlineData(NextStyle.Absolute)]
        public void Offset_FollowsEveryFormOfNextLink(NextStyle style)
        {
            var server = new FakeServer(Distinct(45)) { Style = style };
            var walk = Walk(new OffsetWalker<Rec>(new Uri(FormList, "?limit=20")), server);
            AssertExactlyOnceInOrder(server.Ordered, walk);
            Assert.Equal(3, walk.Requests);
            Assert.Equal("https://www.commcarehq.org/a/demo/api/v0.5/form/?limit=20&offset=20", server.Requests[1].AbsoluteUri);
            Assert.Equal("https://www.commcarehq.org/a/demo/api/v0.5/form/?limit=20&offset=40", server.Requests[2].AbsoluteUri);
        }

        [Theory]
        [InlineData("/a/demo/api/v0.5/form/?limit=20&offset=20")]
        [InlineData("?limit=20&offset=20")]
        [InlineData("https://www.commcarehq.org/a/demo/api/v0.5/form/?limit=20&offset=20")]
        public void Offset_ResolveNext(string next)
        {
            var request = new Uri("https://www.commcarehq.org/a/demo/api/v0.5/form/?limit=20");
            Assert.Equal(new Uri("https://www.commcarehq.org/a/demo/api/v0.5/form/?limit=20&offset=20"), OffsetWalker<Rec>.ResolveNext(request, next));
        }

        [Fact]
        public void Offset_QueryOnlyNextKeepsAServerPathPrefix()
        {
            var request = new Uri("https://hq.example.org/commcare/a/demo/api/v0.5/form/?limit=20");
            Assert.Equal("https://hq.example.org/commcare/a/demo/api/v0.5/form/?limit=20&offset=20",
                OffsetWalker<Rec>.ResolveNext(request, "?limit=20&offset=20").AbsoluteUri);
        }

        private static Page<Rec> PageOf(Uri requestUri, string? next, int items = 20)
            => new Page<Rec> { RequestUri = requestUri, Next = next, Limit = 20, Items = Distinct(items, prefix: requestUri.Query) };

        [Fact]
        public void Offset_RepeatedNextLinkThrows()
        {
            var walker = new OffsetWalker<Rec>(new Uri(FormList, "?limit=20"));
            var first = walker.First();
            var (_, second) = walker.Accept(PageOf(first, "?limit=20&offset=20"));
            Assert.NotNull(second);
            var ex = Assert.Throws<CCApiException>(() => walker.Accept(PageOf(second!, "/a/demo/api/v0.5/form/?limit=20&offset=20")));
            Assert.Equal(CCErrorKind.BadResponse, ex.Kind);
        }

        [Fact]
        public void Offset_NextLinkBackToTheFirstPageThrows()
        {
            var walker = new OffsetWalker<Rec>(new Uri(FormList, "?limit=20"));
            var first = walker.First();
            var ex = Assert.Throws<CCApiException>(() => walker.Accept(PageOf(first, "?limit=20")));
            Assert.Equal(CCErrorKind.BadResponse, ex.Kind);
        }

        [Fact]
        public void Offset_EmptyPageEndsTheWalkEvenWithANextLink()
        {
            var walker = new OffsetWalker<Rec>(new Uri(FormList, "?limit=20"));
            var (deliver, next) = walker.Accept(PageOf(walker.First(), "?limit=20&offset=20", items: 0));
            Assert.Empty(deliver);
            Assert.Null(next);
        }

        [Fact]
        public void Offset_NoNextLinkEndsTheWalk()
        {
            var walker = new OffsetWalker<Rec>(new Uri(FormList, "?limit=20"));
            var (deliver, next) = walker.Accept(PageOf(walker.First(), null, items: 7));
            Assert.Equal(7, deliver.Count);
            Assert.Null(next);
        }
    }

    /// <summary>PowerShell hands the client Local DateTimes ([datetime] from Get-Date): the walker must compare
    /// them with the servers' UTC timestamps as instants, not as clock readings.</summary>
    [Collection(nameof(LocalTimeZoneCollection))]
    public class WalkerLocalZoneTests
    {
        // Regression (fixed): IndexedOnWalker (src/CommCare.Client/Paging/Walkers.cs) keeps a Local start as given and compares it with
        // UTC record timestamps by ticks ("if (_start.HasValue && lastTs <= _start)" in Accept). East of UTC a Local start
        // reads hours later than the records the server (correctly, via IsoDate.ForFilter) returned, so the first full
        // page throws CCApiException "The server's indexed_on order did not advance". Expected: every record from the
        // start instant on. Fix: normalise start/end to UTC in the constructor.
        [Fact]
        public void Local_start_east_of_utc() => LocalZone.Run("Asia/Kolkata", TimeSpan.FromMinutes(330), () =>
        {
            var all = WalkerTests.Distinct(3000, stepMicro: 1_000_000);   // one a second from 2024-01-01T00:00Z
            var server = new WalkerTests.FakeServer(all);
            DateTime start = all[100].IndexedOn.ToLocalTime();             // Kind Local, 05:31:40 on the clock
            Assert.Equal(DateTimeKind.Local, start.Kind);
            var walk = WalkerTests.Walk(WalkerTests.IndexedOn(1000, start: start), server);
            WalkerTests.AssertExactlyOnceInOrder(all.Skip(100).ToList(), walk);
        });

        // Regression (fixed): same cause, end of the range. West of UTC a Local end reads hours earlier than the UTC instant, so after
        // a shared timestamp has been read by offset the check "if (_end.HasValue && _start > _end) return (deliver, null)"
        // ends the walk early and the records after that timestamp are silently never delivered.
        [Fact]
        public void Local_end_west_of_utc() => LocalZone.Run("America/Bogota", TimeSpan.FromHours(-5), () =>
        {
            var all = WalkerTests.WithSharedBlock(500, 1500, 500);
            var server = new WalkerTests.FakeServer(all);
            DateTime end = server.Ordered[server.Ordered.Count - 1].IndexedOn.ToLocalTime();
            Assert.Equal(DateTimeKind.Local, end.Kind);
            var walk = WalkerTests.Walk(WalkerTests.IndexedOn(1000, end: end), server);
            WalkerTests.AssertExactlyOnceInOrder(server.Ordered, walk);
        });

        [Fact]
        public void Utc_range_is_unaffected_by_the_local_zone() => LocalZone.Run("America/Bogota", TimeSpan.FromHours(-5), () =>
        {
            var all = WalkerTests.WithSharedBlock(500, 1500, 500);
            var server = new WalkerTests.FakeServer(all);
            var walk = WalkerTests.Walk(WalkerTests.IndexedOn(1000, start: all[10].IndexedOn, end: server.Ordered[server.Ordered.Count - 1].IndexedOn), server);
            WalkerTests.AssertExactlyOnceInOrder(server.Ordered.Skip(10).ToList(), walk);
        });
    }
}
