using System;
using System.Security;

namespace CommCare.Models
{
    /// <summary>How the session proves who it is.</summary>
    public enum CCAuthenticationType
    {
        /// <summary><c>Authorization: ApiKey user:key</c>.</summary>
        ApiKey,
        /// <summary><c>Authorization: Bearer token</c> (OAuth2).</summary>
        Bearer,
    }

    /// <summary>
    /// A connection to one CommCare HQ project space. Immutable and safe to share between runspaces
    /// (<c>ForEach-Object -Parallel { … -Session $using:s }</c>): every user of one session object
    /// shares its throttle. It never exposes the API key: only the user name is public.
    /// </summary>
    public sealed class CCSession
    {
        private readonly SecureString _secret;

        internal CCSession(Uri server, string domain, string? userName, SecureString secret,
            CCAuthenticationType authenticationType, CCThrottlePolicy policy, string? userId = null, Guid? id = null, object? engineKey = null)
        {
            EngineKey = engineKey ?? new object();
            Server = server ?? throw new ArgumentNullException(nameof(server));
            if (string.IsNullOrWhiteSpace(domain)) throw new ArgumentException("A domain (project space name) is required.", nameof(domain));
            Domain = domain;
            UserName = userName;
            _secret = secret ?? throw new ArgumentNullException(nameof(secret));
            if (!_secret.IsReadOnly()) _secret.MakeReadOnly();
            AuthenticationType = authenticationType;
            Policy = policy ?? CCThrottlePolicy.Default;
            UserId = userId;
            Id = id ?? Guid.NewGuid();
        }

        /// <summary>Builds a session. The secret is copied into a read-only SecureString.</summary>
        public static CCSession Create(Uri server, string domain, string? userName, SecureString secret,
            CCAuthenticationType authenticationType = CCAuthenticationType.ApiKey, CCThrottlePolicy? policy = null)
            => new CCSession(server, domain, userName, secret.Copy(), authenticationType, policy ?? CCThrottlePolicy.Default);

        /// <summary>Identifies this session; copies made by <c>Set-CCSessionOption</c> get a new one.</summary>
        public Guid Id { get; }
        /// <summary>Base address of the CommCare HQ server, e.g. https://www.commcarehq.org/.</summary>
        public Uri Server { get; }
        /// <summary>The project space (domain) name.</summary>
        public string Domain { get; }
        /// <summary>Web user e-mail the API key belongs to (null for a bearer token).</summary>
        public string? UserName { get; }
        /// <summary>The user's CommCare id, when the connection was validated.</summary>
        public string? UserId { get; }
        /// <summary>ApiKey or Bearer.</summary>
        public CCAuthenticationType AuthenticationType { get; }
        /// <summary>Pacing and retry settings.</summary>
        public CCThrottlePolicy Policy { get; }

        /// <summary>Sessions that share this object share one HTTP pipeline (and throttle): copies that
        /// differ only in what was learned when validating keep it; a new policy or domain gets a new one.</summary>
        internal object EngineKey { get; }

        /// <summary>The secret, for the auth handler only. Never logged or shown.</summary>
        internal SecureString Secret => _secret;

        /// <summary>A copy with another policy (and so a new throttle).</summary>
        public CCSession WithPolicy(CCThrottlePolicy policy)
            => new CCSession(Server, Domain, UserName, _secret, AuthenticationType, policy, UserId);

        /// <summary>A copy for another project space with the same credentials and policy.</summary>
        public CCSession WithDomain(string domain)
            => new CCSession(Server, domain, UserName, _secret, AuthenticationType, Policy, UserId);

        internal CCSession WithUserId(string? userId)
            => new CCSession(Server, Domain, UserName, _secret, AuthenticationType, Policy, userId, Id, EngineKey);

        /// <summary>Whether plain HTTP is allowed: only for loopback addresses.</summary>
        public static bool IsAllowedServer(Uri server)
            => server.IsAbsoluteUri && (server.Scheme == Uri.UriSchemeHttps || (server.Scheme == Uri.UriSchemeHttp && server.IsLoopback));

        public override string ToString() => $"{UserName ?? "(token)"}@{Server.Host}{(Server.IsDefaultPort ? "" : ":" + Server.Port)}/a/{Domain}";
    }
}
