using CommCare.Models;
using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using CommCare.Client.Http;
using CommCare.Client.Json;
using CommCare.Client.Paging;

namespace CommCare.Client.Api
{
    /// <summary>Who the credentials belong to (/api/v0.5/identity/). Not throttled, no domain.</summary>
    public sealed class IdentityApi
    {
        private readonly CommCareClient _c;
        internal IdentityApi(CommCareClient c) => _c = c;

        public CCIdentity Get() => GetAsync().WaitPumping(_c.Sink);

        public async Task<CCIdentity> GetAsync()
        {
            var result = await PageFetcher.FetchOneAsync(_c.Engine, _c.UserApi("identity"), IdentityParser.Read, _c.Sink, _c.Token, nullOn404: false).ConfigureAwait(false);
            return result!;
        }
    
        /// <summary>The project spaces the credentials can use (user_domains), page by page.</summary>
        public CCPagedResult<CCProjectSpace> UserDomains(bool canViewReports, string? featureFlag)
        {
            var q = new QueryString().Add("limit", "1000");
            if (canViewReports) q.Add("can_view_reports", "true");
            q.Add("feature_flag", featureFlag);
            var first = new Uri(_c.UserApi("user_domains"), q.ToString());
            ItemReader<CCProjectSpace> reader = (ref Utf8JsonReader r) =>
            {
                var o = JsonValue.ReadObject(ref r);
                return new CCProjectSpace { Domain = (JsonValue.Str(o, "domain_name") ?? ""), ProjectName = JsonValue.Str(o, "project_name") };
            };
            return _c.Pages(first, reader);
        }

        /// <summary>
        /// The SSO check (docs/commcare-api.md#identity-and-sso): are this user name and password right for the session's project
        /// space? A plain "no" (403) is an answer, not an error. The password goes only in the request body.
        /// </summary>
        public CCCredentialCheck CheckCredential(string userName, System.Security.SecureString password)
        {
            if (string.IsNullOrWhiteSpace(userName)) throw new CCApiException(CCErrorKind.InvalidArgument, "-UserName is empty.");
            if (password == null || password.Length == 0) throw new CCApiException(CCErrorKind.InvalidArgument, "-Password is empty.");
            return CheckAsync(userName, Secrets.Reveal(password)).WaitPumping(_c.Sink);
        }

        private async Task<CCCredentialCheck> CheckAsync(string userName, string password)
        {
            var uri = _c.DomainApi("sso");
            using var request = new HttpRequestMessage(HttpMethod.Post, uri)
            {
                Content = new FormUrlEncodedContent(new[] { new KeyValuePair<string, string>("username", userName), new KeyValuePair<string, string>("password", password) }),
            };
            var info = RequestInfo.For(request);
            info.Sink = _c.Sink;
            info.SafeToRepeat = true;   // a check changes nothing
            using var response = await CCRequest.SendAsync(_c.Engine, request, _c.Token).ConfigureAwait(false);
            var result = new CCCredentialCheck { UserName = userName };
            if ((int)response.StatusCode == 403) return result;
            await ApiErrors.ThrowIfFailedAsync(_c.Engine, request, response).ConfigureAwait(false);
            string text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            try
            {
                var r = new Utf8JsonReader(Encoding.UTF8.GetBytes(text));
                r.Read();
                var user = JsonValue.ReadObject(ref r);
                // What HQ answers for an inactive or non-member user is unconfirmed (docs/commcare-api.md U52):
                // only an answer naming a user counts as valid.
                if (string.IsNullOrEmpty(JsonValue.Str(user, "id")))
                    throw new CCApiException(CCErrorKind.BadResponse, "CommCare's answer to the credential check named no user, so the credentials were not confirmed.");
                result.Valid = true;
                result.User = user;
                result.UserId = JsonValue.Str(user, "id");
                if (user.TryGetValue("username", out var un) && un is string uns) result.UserName = uns;
            }
            catch (JsonException ex) { throw new CCApiException(CCErrorKind.BadResponse, "CommCare's answer to the credential check was not JSON: " + ex.Message, inner: ex); }
            return result;
        }
    }
}
