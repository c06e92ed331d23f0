using CommCare.Models;
using System.Threading.Tasks;
using CommCare.Client.Json;
using CommCare.Client.Paging;

namespace CommCare.Client.Api
{
    /// <summary>Who the credentials belong to (/api/v0.5/identity/). Not throttled, no domain.</summary>
    public sealed class IdentityApi
    {
        private readonly CommCareClient _c;
        internal IdentityApi(CommCareClient c) => _c = c;

        public CCIdentity Get() => GetAsync().GetAwaiter().GetResult();

        public async Task<CCIdentity> GetAsync()
        {
            var result = await PageFetcher.FetchOneAsync(_c.Engine, _c.UserApi("identity"), IdentityParser.Read, _c.Sink, _c.Token, nullOn404: false).ConfigureAwait(false);
            return result!;
        }
    }
}
