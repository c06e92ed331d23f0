using CommCare.Models;
using System;
using CommCare.Client.Http;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;
using CommCare.Client.Json;
using CommCare.Client.Paging;

namespace CommCare.Client.Api
{
    /// <summary>UCR data sources and their rows (cursor), and OData feeds (docs/commcare-api.md#reports-data-sources-and-odata).</summary>
    public sealed class DataApi
    {
        public const int MaxDataSourcePage = 10000;
        private static readonly PageShape ODataShape = new PageShape("value", null, "@odata.count", "@odata.nextLink");
        private readonly CommCareClient _c;
        internal DataApi(CommCareClient c) => _c = c;

        /// <summary>Data sources (id, display_name). The resource name differs between HQ versions (docs/commcare-api.md#reports-data-sources-and-odata): the
        /// published one first, then the other.</summary>
        public IReadOnlyList<IReadOnlyDictionary<string, object?>> DataSources()
        {
            ItemReader<IReadOnlyDictionary<string, object?>> reader = (ref Utf8JsonReader r) => JsonValue.ReadObject(ref r);
            // Which resource name is live is unconfirmed (docs/commcare-api.md U22).
            try { return PageFetcher.FetchAsync(_c.Engine, _c.DomainApi("datasourceconfiguration"), reader, _c.Sink, _c.Token).WaitPumping(_c.Sink).Items; }
            catch (CCApiException ex) when (ex.Kind == CCErrorKind.NotFound)
            {
                return PageFetcher.FetchAsync(_c.Engine, _c.DomainApi("ucr_data_source"), reader, _c.Sink, _c.Token).WaitPumping(_c.Sink).Items;
            }
        }

        /// <summary>Every row of a data source, in (inserted_at, doc_id) order, gap-free by the server's cursor.</summary>
        public CCPagedResult<IReadOnlyDictionary<string, object?>> DataSourceRows(string dataSourceId, int pageSize)
        {
            if (pageSize < 1 || pageSize > MaxDataSourcePage) throw new CCApiException(CCErrorKind.InvalidArgument, $"PageSize must be between 1 and {MaxDataSourcePage} for data source rows.");
            var baseUri = _c.DomainApi("ucr");
            ItemReader<IReadOnlyDictionary<string, object?>> reader = (ref Utf8JsonReader r) => JsonValue.ReadObject(ref r);
            return _c.Pages(() => new CursorWalker<IReadOnlyDictionary<string, object?>>(baseUri,
                new QueryString().Add("data_source_id", dataSourceId).Add("limit", pageSize.ToString(CultureInfo.InvariantCulture))), reader);
        }

        /// <summary>An OData feed's rows (cases or forms), following @odata.nextLink.</summary>
        public CCPagedResult<IReadOnlyDictionary<string, object?>> ODataFeed(string kind, string configId, int? table)
        {
            if (kind != "cases" && kind != "forms") throw new CCApiException(CCErrorKind.InvalidArgument, "-Kind: give cases or forms.");
            // Feed URLs and query options are unconfirmed: only the feed path and @odata.nextLink, no $top/$skip (docs/commcare-api.md U25).
            string path = "odata/" + kind + "/" + QueryString.Segment(configId) + "/" + (table.HasValue ? table.Value.ToString(CultureInfo.InvariantCulture) + "/" : "") + "feed";
            var first = _c.DomainApi(path.TrimEnd('/'));
            // DomainApi adds a trailing slash; the feed has none (feed/ is a 404).
            first = new Uri(first.AbsoluteUri.TrimEnd('/'));
            ItemReader<IReadOnlyDictionary<string, object?>> reader = (ref Utf8JsonReader r) => JsonValue.ReadObject(ref r);
            return _c.Pages(first, reader, ODataShape);
        }
    }
}
