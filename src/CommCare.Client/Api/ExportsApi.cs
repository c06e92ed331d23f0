using CommCare.Models;
using System;
using CommCare.Client.Http;
using System.Collections.Generic;
using System.Text.Json;
using CommCare.Client.Json;
using CommCare.Client.Paging;

namespace CommCare.Client.Api
{
    /// <summary>DET export instances and the saved-export download (docs/commcare-api.md#exports-messaging-events-and-audit).</summary>
    public sealed class ExportsApi
    {
        private readonly CommCareClient _c;
        internal ExportsApi(CommCareClient c) => _c = c;

        private Uri Root => _c.DomainApiPath("det_export_instance/v1/");

        public CCPagedResult<CCExportInstance> List()
        {
            var first = new Uri(Root, "?limit=1000");
            return _c.Pages(first, ExportInstanceParser.Read);
        }

        public CCExportInstance? Get(string id)
            => PageFetcher.FetchOneAsync(_c.Engine, new Uri(Root, QueryString.Segment(id) + "/"), ExportInstanceParser.Read, _c.Sink, _c.Token).WaitPumping(_c.Sink);

        /// <summary>The stored file of a daily saved export (the Excel/Power Query feed).</summary>
        // Saved exports only: starting an export through the API is unconfirmed (docs/commcare-api.md U27).
        public Uri DownloadUri(string exportId)
            => new Uri(_c.Session.Server, "a/" + QueryString.Segment(_c.Session.Domain) + "/data/export/custom/dailysaved/download/" + QueryString.Segment(exportId) + "/");

        /// <summary>The DET configuration workbook of an export (det_config_url is a path on the session's server).</summary>
        public Uri DetConfigUri(CCExportInstance export)
        {
            if (string.IsNullOrEmpty(export.DetConfigUrl)) throw new CCApiException(CCErrorKind.NotFound, $"Export '{export.Id}' has no DET configuration URL.");
            return new Uri(_c.Session.Server, export.DetConfigUrl);
        }

    }
}

namespace CommCare.Client.Api
{
    /// <summary>The legacy read-only data-forwarding listing (docs/commcare-api.md#data-forwarding): gone from current servers, so a 404 says so.</summary>
    // Whether the legacy listing is still served is unconfirmed (docs/commcare-api.md U48).
    public sealed class ForwardersApi
    {
        private readonly CommCareClient _c;
        internal ForwardersApi(CommCareClient c) => _c = c;

        public IReadOnlyList<IReadOnlyDictionary<string, object?>> List()
        {
            var first = new Uri(_c.DomainApiPath("v0.4/data-forwarding/"), "?limit=1000");
            ItemReader<IReadOnlyDictionary<string, object?>> reader = (ref Utf8JsonReader r) => JsonValue.ReadObject(ref r);
            try { return new List<IReadOnlyDictionary<string, object?>>(_c.Pages(first, reader)); }
            catch (CCApiException ex) when (ex.Kind == CCErrorKind.NotFound)
            {
                throw new CCApiException(CCErrorKind.NotFound, "This server has no data-forwarding listing (current CommCare HQ removed it; forwarders are managed in Project Settings > Data Forwarding).", ex.StatusCode, ex.ServerMessage, ex.RequestPath, ex);
            }
        }
    }
}
