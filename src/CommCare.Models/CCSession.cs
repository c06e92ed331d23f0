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
    /// A connection to one CommCare HQ project space, safe to share between runspaces
    /// (<c>ForEach-Object -Parallel { … -Session $using:s }</c>): every user of one session object
    /// shares its throttle. Server, project space and credentials are fixed; the policy is changed in place
    /// by <c>Set-CCSessionOption</c>, so every holder of the object (other runspaces too) follows it.
    /// It never exposes the API key: only the user name is public.
    /// </summary>
    public sealed class CCSession
    {
        private readonly SecureString _secret;

        internal CCSession(Uri server, string domain, string? userName, SecureString secret,
            CCAuthenticationType authenticationType, CCThrottlePolicy policy, string? userId = null, Guid? id = null, PolicyHolder? shared = null)
        {
            _shared = shared ?? new PolicyHolder(policy ?? CCThrottlePolicy.Default);
            Server = server ?? throw new ArgumentNullException(nameof(server));
            if (string.IsNullOrWhiteSpace(domain)) throw new ArgumentException("A domain (project space name) is required.", nameof(domain));
            Domain = domain;
            UserName = userName;
            _secret = secret ?? throw new ArgumentNullException(nameof(secret));
            if (!_secret.IsReadOnly()) _secret.MakeReadOnly();
            AuthenticationType = authenticationType;
            UserId = userId;
            Id = id ?? Guid.NewGuid();
        }

        /// <summary>Builds a session. The secret is copied into a read-only SecureString.</summary>
        public static CCSession Create(Uri server, string domain, string? userName, SecureString secret,
            CCAuthenticationType authenticationType = CCAuthenticationType.ApiKey, CCThrottlePolicy? policy = null)
            => new CCSession(server, domain, userName, secret.Copy(), authenticationType, policy ?? CCThrottlePolicy.Default);

        /// <summary>Identifies this session (a copy for another project space or with another policy, made by
        /// <see cref="WithDomain"/> or <see cref="WithPolicy"/>, gets a new one).</summary>
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
        /// <summary>Pacing and retry settings; <c>Set-CCSessionOption</c> replaces them in place.</summary>
        public CCThrottlePolicy Policy => _shared.Policy;

        /// <summary>Gives this session (and every copy that shares its pipeline) a new policy; requests
        /// already waiting or in flight finish under the old one.</summary>
        internal void SetPolicy(CCThrottlePolicy policy) => _shared.Policy = policy ?? throw new ArgumentNullException(nameof(policy));

        /// <summary>Sessions that share this object share one HTTP pipeline (and throttle) and one policy:
        /// copies that differ only in what was learned when validating keep it; a new domain gets a new one.</summary>
        internal object EngineKey => _shared;

        private readonly PolicyHolder _shared;

        internal sealed class PolicyHolder
        {
            private volatile CCThrottlePolicy _policy;
            public PolicyHolder(CCThrottlePolicy policy) => _policy = policy;
            public CCThrottlePolicy Policy { get => _policy; set => _policy = value; }
        }

        /// <summary>The secret, for the auth handler only. Never logged or shown.</summary>
        internal SecureString Secret => _secret;

        /// <summary>A separate copy with another policy (and so its own pipeline); the original is unchanged.</summary>
        public CCSession WithPolicy(CCThrottlePolicy policy)
            => new CCSession(Server, Domain, UserName, _secret, AuthenticationType, policy, UserId);

        /// <summary>A copy for another project space with the same credentials and policy.</summary>
        public CCSession WithDomain(string domain)
            => new CCSession(Server, domain, UserName, _secret, AuthenticationType, Policy, UserId);

        internal CCSession WithUserId(string? userId)
            => new CCSession(Server, Domain, UserName, _secret, AuthenticationType, Policy, userId, Id, _shared);

        /// <summary>Whether plain HTTP is allowed: only for loopback addresses.</summary>
        public static bool IsAllowedServer(Uri server)
            => server.IsAbsoluteUri && (server.Scheme == Uri.UriSchemeHttps || (server.Scheme == Uri.UriSchemeHttp && server.IsLoopback));

        public override string ToString() => $"{UserName ?? "(token)"}@{Server.Host}{(Server.IsDefaultPort ? "" : ":" + Server.Port)}/a/{Domain}";
    }
}
