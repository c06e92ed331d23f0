using CommCare.Models;
using System;
using System.Threading;
using CommCare.Client.Http;
using CommCare.Client.Paging;

namespace CommCare.Client.Api
{
    /// <summary>
    /// Entry point of the client library: one per call site, cheap to create; the HTTP pipeline behind it
    /// belongs to the session object and is shared.
    /// </summary>
    public sealed class CommCareClient
    {
        internal CCHttpEngine Engine { get; }
        internal ICCMessageSink Sink { get; }
        internal CancellationToken Token { get; }

        public CommCareClient(CCSession session, ICCMessageSink? sink = null, CancellationToken token = default)
        {
            if (session == null) throw new ArgumentNullException(nameof(session));
            Session = session;
            Engine = CCHttpEngine.For(session);
            Sink = sink ?? NullMessageSink.Instance;
            Token = token;
        }

        public CCSession Session { get; }

        /// <summary>A lazy list that follows the server's next link from <paramref name="first"/> (tastypie's meta.next,
        /// the Case API v2 and OData next URLs): how the API classes build an offset-paged list.</summary>
        internal CCPagedResult<T> Pages<T>(Uri first, ItemReader<T> reader, PageShape? shape = null)
            => Pages(() => new OffsetWalker<T>(first), reader, shape);

        /// <summary>A lazy list over any walker (indexed_on, cursor, de-duplicating); lazy parses each record when taken.</summary>
        internal CCPagedResult<T> Pages<T>(Func<IPageWalker<T>> walker, ItemReader<T> reader, PageShape? shape = null, bool lazy = false)
            => new CCPagedResult<T>(Engine, walker, reader, Sink, Token, shape, lazy);
        public CasesApi Cases => new CasesApi(this);
        public CasesV2Api CasesV2 => new CasesV2Api(this);
        public SubmissionsApi Submissions => new SubmissionsApi(this);
        public AttachmentsApi Attachments => new AttachmentsApi(this);
        public DownloadsApi Downloads => new DownloadsApi(this);
        public CaseImportApi CaseImports => new CaseImportApi(this);
        public ReportsApi Reports => new ReportsApi(this);
        public LookupTablesApi LookupTables => new LookupTablesApi(this);
        public ApplicationsApi Applications => new ApplicationsApi(this);
        public MessagingApi Messaging => new MessagingApi(this);
        public DataApi Data => new DataApi(this);
        public RestoreApi Restore => new RestoreApi(this);
        public SmsApi Sms => new SmsApi(this);
        public ExportsApi Exports => new ExportsApi(this);
        public ForwardersApi Forwarders => new ForwardersApi(this);
        public FormsApi Forms => new FormsApi(this);
        public IdentityApi Identity => new IdentityApi(this);
        public UsersApi Users => new UsersApi(this);
        public GroupsApi Groups => new GroupsApi(this);
        public LocationsApi Locations => new LocationsApi(this);
        public WebUsersApi WebUsers => new WebUsersApi(this);
        public RawApi Raw => new RawApi(this);

        /// <summary>/a/{domain}/api/v0.5/{resource}/ — v0.5 is the documented, long-lived route (same code as {resource}/v1).</summary>
        internal Uri DomainApi(string resource)
            => new Uri(Session.Server, "a/" + Paging.QueryString.Segment(Session.Domain) + "/api/v0.5/" + resource + "/");

        /// <summary>/a/{domain}/api/{path}: for resources whose newer version has only a per-resource route (location/v2/).</summary>
        internal Uri DomainApiPath(string path)
            => new Uri(Session.Server, "a/" + Paging.QueryString.Segment(Session.Domain) + "/api/" + path);

        internal Uri UserApi(string resource) => new Uri(Session.Server, "api/v0.5/" + resource + "/");
    }

    /// <summary>Servers by short name.</summary>
    public static class CCServers
    {
        /// <summary>The server text with any "user:password@" replaced by "***@", for showing it.</summary>
        public static string Masked(string server)
            => System.Text.RegularExpressions.Regex.Replace(server, @"(?<=^\s*[A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@", "***@");

        public static Uri Resolve(string server)
        {
            if (string.IsNullOrWhiteSpace(server)) throw new ArgumentException("Give -Server as www, india, eu or a URL such as https://commcare.example.org.", nameof(server));
            switch (server.Trim().ToLowerInvariant())
            {
                case "www": case "global": case "commcarehq.org": case "www.commcarehq.org": return new Uri("https://www.commcarehq.org/");
                case "india": case "india.commcarehq.org": return new Uri("https://india.commcarehq.org/");
                // eu is an unconfirmed host (docs/commcare-api.md U1): Connect-CCServer's check fails first if it is wrong; other hosts give their URL.
                case "eu": case "eu.commcarehq.org": return new Uri("https://eu.commcarehq.org/");
            }
            // A user name or password in the URL would be shown in errors and saved in checkpoint files.
            if (Masked(server) != server)
                throw new ArgumentException($"'{Masked(server)}' has a user name or password in it. Give only the server address (e.g. https://commcare.example.org) and the user and key with -Credential.", nameof(server));
            if (!Uri.TryCreate(server.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                throw new ArgumentException($"'{server}' is not a server: give www, india, eu or an absolute URL such as https://commcare.example.org.", nameof(server));
            if (!CCSession.IsAllowedServer(uri))
                throw new ArgumentException($"'{server}' uses plain HTTP, which would send the API key unencrypted. Use https:// (plain http is allowed only for localhost / 127.0.0.1).", nameof(server));
            if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
                throw new ArgumentException($"'{server}' has a query or fragment; give only the server address, e.g. https://commcare.example.org.", nameof(server));
            // Keep any path prefix (a server behind a reverse proxy) and make it end with '/'.
            string s = uri.GetLeftPart(UriPartial.Path);
            // Paths are built with their trailing slash: whether HQ redirects without it is unconfirmed (docs/commcare-api.md U2).
            if (!s.EndsWith("/", StringComparison.Ordinal)) s += "/";
            return new Uri(s);
        }
    }
}
