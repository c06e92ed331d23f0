using System;
using System.Management.Automation;
using System.Security;
using CommCare.Client.Api;
using CommCare.Models;

namespace CommCare.PowerShell.Cmdlets
{
    /// <summary>Throttling and retry parameters shared by Connect-CCServer and Set-CCSessionOption.</summary>
    public abstract class CCPolicyCmdlet : CCCmdlet
    {
        /// <summary>Active mobile workers in the project: the rates follow CommCare's own formula (n × per-worker rate + floor), with 10% headroom.</summary>
        [Parameter] [ValidateRange(0, 10000000)] public int MobileWorkerCount { get; set; }
        /// <summary>Requests per second at most (0 = no limit). Overrides the formula.</summary>
        [Parameter] [ValidateRange(0.0, 100000.0)] public double RequestsPerSecond { get; set; }
        /// <summary>Requests per minute at most (0 = no limit).</summary>
        [Parameter] [ValidateRange(0.0, 10000000.0)] public double RequestsPerMinute { get; set; }
        /// <summary>Requests per hour at most (0 = no limit).</summary>
        [Parameter] [ValidateRange(0.0, 100000000.0)] public double RequestsPerHour { get; set; }
        /// <summary>Requests in flight at once, across every runspace sharing the session.</summary>
        [Parameter] [ValidateRange(1, 64)] public int MaxConcurrency { get; set; }
        /// <summary>Retries after a throttled, failed or dropped request.</summary>
        [Parameter] [ValidateRange(0, 50)] public int MaxRetryCount { get; set; }
        /// <summary>Longest single wait between retries, in seconds (a server's Retry-After is capped to it).</summary>
        [Parameter] [ValidateRange(0.0, 3600.0)] public double MaxRetryWait { get; set; }
        /// <summary>Total seconds one request may spend retrying.</summary>
        [Parameter] [ValidateRange(0.0, 86400.0)] public double RetryBudget { get; set; }
        /// <summary>Seconds allowed for one attempt before it is abandoned and retried.</summary>
        [Parameter] [ValidateRange(0.1, 3600.0)] public double RequestTimeout { get; set; }
        /// <summary>First backoff step in seconds when the server gives no Retry-After (doubles per retry).</summary>
        [Parameter] [ValidateRange(0.0, 600.0)] public double RetryBaseDelay { get; set; }

        /// <summary>Largest answer read into memory, in bytes (e.g. 1GB; default 512MB, at most 2047MB). A larger answer is an error, never cut short. Files saved to disk are not capped.</summary>
        [Parameter] [ValidateRange(1024L, CCThrottlePolicy.MaxResponseSizeLimit)] public long MaxResponseSize { get; set; }

        protected CCThrottlePolicy ApplyPolicy(CCThrottlePolicy current)
        {
            var p = ParameterSpecified(nameof(MobileWorkerCount))
                ? CCThrottlePolicy.FromMobileWorkerCount(MobileWorkerCount, current.MaxConcurrency).With(
                    maxRetryCount: current.MaxRetryCount, maxRetryWait: current.MaxRetryWait, retryBudget: current.RetryBudget,
                    requestTimeout: current.RequestTimeout, retryBaseDelay: current.RetryBaseDelay, maxResponseSize: current.MaxResponseSize)
                : current;
            if (ParameterSpecified(nameof(MobileWorkerCount)) && !AnyRateGiven())
                p = new CCThrottlePolicy(p.RequestsPerSecond, p.RequestsPerMinute, p.RequestsPerHour, p.MaxConcurrency, p.MaxRetryCount,
                    p.MaxRetryWait, p.RetryBudget, p.RequestTimeout, MobileWorkerCount, p.RetryBaseDelay, p.MaxResponseSize);
            return p.With(
                requestsPerSecond: Given(nameof(RequestsPerSecond), RequestsPerSecond),
                requestsPerMinute: Given(nameof(RequestsPerMinute), RequestsPerMinute),
                requestsPerHour: Given(nameof(RequestsPerHour), RequestsPerHour),
                maxConcurrency: ParameterSpecified(nameof(MaxConcurrency)) ? MaxConcurrency : (int?)null,
                maxRetryCount: ParameterSpecified(nameof(MaxRetryCount)) ? MaxRetryCount : (int?)null,
                maxRetryWait: Seconds(nameof(MaxRetryWait), MaxRetryWait),
                retryBudget: Seconds(nameof(RetryBudget), RetryBudget),
                requestTimeout: Seconds(nameof(RequestTimeout), RequestTimeout),
                retryBaseDelay: Seconds(nameof(RetryBaseDelay), RetryBaseDelay),
                maxResponseSize: ParameterSpecified(nameof(MaxResponseSize)) ? MaxResponseSize : (long?)null);
        }

        private bool AnyRateGiven() => ParameterSpecified(nameof(RequestsPerSecond)) || ParameterSpecified(nameof(RequestsPerMinute)) || ParameterSpecified(nameof(RequestsPerHour));
        private double? Given(string name, double v) => ParameterSpecified(name) ? v : (double?)null;
        private TimeSpan? Seconds(string name, double v) => ParameterSpecified(name) ? TimeSpan.FromSeconds(v) : (TimeSpan?)null;
    }

    /// <summary>
    /// <para type="synopsis">Connects to a CommCare HQ project space and makes it the default for this runspace.</para>
    /// <para type="description">Checks the credentials (the identity API) and that the project space is one of the user's (their project spaces are listed in the error when it is not) unless -SkipValidation is given. The API key stays in a SecureString: it never appears in output, logs, errors or ConvertTo-Json of the session. HTTPS is required except for localhost.</para>
    /// </summary>
    /// <example><code>$cred = Get-Credential   # web user e-mail + API key
    /// Connect-CCServer -Server www -Domain demo -Credential $cred</code><para>Connects to www.commcarehq.org, project space demo.</para></example>
    /// <example><code>$s = Connect-CCServer -Domain demo -Credential (Get-AutomationPSCredential -Name CommCareApi) -MobileWorkerCount 125 -PassThru
    /// Get-CCCase -Session $s -CaseType patient</code><para>In an Azure Automation runbook: the credential asset holds the e-mail and API key; the session paces itself for a 125-worker project.</para></example>
    [Cmdlet(VerbsCommunications.Connect, "CCServer", DefaultParameterSetName = ParameterSets.Credential)]
    [OutputType(typeof(CCSession))]
    public sealed class ConnectCCServerCommand : CCPolicyCmdlet
    {
        /// <summary>www, india, eu, or the URL of a CommCare HQ server (https; http only for localhost).</summary>
        [Parameter(Position = 0)] [ValidateNotNullOrEmpty] public string Server { get; set; } = "www";
        /// <summary>The project space (domain) name.</summary>
        [Parameter(Mandatory = true, Position = 1)] [ValidateNotNullOrEmpty] [ValidatePattern(@"^[\w.-]+$")] [ArgumentCompleter(typeof(DomainCompleter))] public string Domain { get; set; } = "";
        /// <summary>User name = the web user's e-mail, password = the API key (the shape Get-AutomationPSCredential returns).</summary>
        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.Credential)] [Credential] public PSCredential Credential { get; set; } = null!;
        /// <summary>The web user's e-mail (with -ApiKey).</summary>
        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.ApiKey)] [ValidateNotNullOrEmpty] public string UserName { get; set; } = "";
        /// <summary>The API key, as a SecureString (plain text is accepted and converted).</summary>
        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.ApiKey)] [SecureStringTransformation] public SecureString ApiKey { get; set; } = null!;
        /// <summary>An OAuth2 bearer token with the access_apis scope.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.AccessToken)] [SecureStringTransformation] public SecureString AccessToken { get; set; } = null!;
        /// <summary>Do not check the credentials or the project space now (no request is sent).</summary>
        [Parameter] public SwitchParameter SkipValidation { get; set; }
        /// <summary>Also return the session object (for -Session).</summary>
        [Parameter] public SwitchParameter PassThru { get; set; }

        protected override void ProcessRecord()
        {
            Uri server;
            try { server = ClientCalls.ResolveServer(Server); }
            catch (ArgumentException ex) { ThrowParameterError(nameof(Server), ex.Message, CCServers.Masked(Server)); return; }

            CCThrottlePolicy policy;
            try { policy = ApplyPolicy(CCThrottlePolicy.Default); }
            catch (ArgumentException ex) { ThrowParameterError(ex is ArgumentOutOfRangeException aor ? aor.ParamName ?? "Policy" : "Policy", ex.Message); return; }

            string? user; SecureString secret; var type = CCAuthenticationType.ApiKey;
            switch (ParameterSetName)
            {
                case ParameterSets.ApiKey: user = UserName; secret = ApiKey; break;
                case ParameterSets.AccessToken: user = null; secret = AccessToken; type = CCAuthenticationType.Bearer; break;
                default: user = Credential.UserName; secret = Credential.Password; break;
            }
            if (user != null && user.Contains(":")) ThrowParameterError(ParameterSetName == ParameterSets.ApiKey ? nameof(UserName) : nameof(Credential), "the user name cannot contain ':' (it separates user and key in the Authorization header).", user);
            if (secret.Length == 0) ThrowParameterError(ParameterSetName == ParameterSets.AccessToken ? nameof(AccessToken) : ParameterSetName == ParameterSets.ApiKey ? nameof(ApiKey) : nameof(Credential), "the key is empty.");

            var session = CCSession.Create(server, Domain, user, secret, type, policy);
            if (!SkipValidation) session = Validate(session);
            SessionStore.Set(session);
            Flush();
            if (PassThru) WriteObject(session);
        }

        private CCSession Validate(CCSession session)
        {
            try
            {
                var client = new CommCareClient(session, Sink, CancellationToken);
                var identity = client.Identity.Get();
                CheckProjectSpace(client, session, identity.UserName ?? session.UserName);
                WriteVerbose($"Connected to {session.Server.GetLeftPart(UriPartial.Authority)} as {identity.UserName ?? session.UserName}, project space '{session.Domain}'.");
                return session.WithUserId(identity.Id);
            }
            catch (CCApiException ex)
            {
                Terminate(ex, null);
                return session;
            }
        }

        /// <summary>
        /// A mistyped -Domain connects fine (the identity check has no domain) and only the first call fails,
        /// in a runbook possibly hours later: compare it with the user's project spaces now. The list only holds
        /// projects whose plan allows API integrations (docs/commcare-api.md, "Hosts, paths and authentication"), so an empty list
        /// proves nothing (a warning), and the error points to -SkipValidation for a project left off it.
        /// </summary>
        private void CheckProjectSpace(CommCareClient client, CCSession session, string? user)
        {
            var spaces = new System.Collections.Generic.List<string>();
            try { foreach (var d in client.Identity.UserDomains(false, null)) spaces.Add(d.Domain); }
            catch (CCApiException ex) when (ex.Kind != CCErrorKind.Network && ex.Kind != CCErrorKind.Timeout)
            {
                WriteVerbose($"Could not list the project spaces to check -Domain ({ex.Message}).");
                return;
            }
            if (spaces.Contains(session.Domain)) return;
            if (spaces.Count == 0)
            {
                WriteWarning($"Could not confirm that '{user}' is a member of project space '{session.Domain}': CommCare lists none of their project spaces.");
                return;
            }
            Flush();
            ThrowParameterError(nameof(Domain),
                $"'{user}' is not a member of project space '{session.Domain}' on {session.Server.GetLeftPart(UriPartial.Authority)}. Their project spaces: {string.Join(", ", spaces)}. " +
                "Check the spelling; if the project is right but missing from that list (CommCare lists only projects whose plan allows API integrations), connect with -SkipValidation.", session.Domain);
        }
    }

    /// <summary>
    /// <para type="synopsis">Gets the current runspace's CommCare session.</para>
    /// <para type="description">Returns the session Connect-CCServer made the default, or nothing when not connected. The session shows the server, domain, user name and throttling policy, never the key.</para>
    /// </summary>
    /// <example><code>Get-CCSession | Format-List</code><para>Shows the current connection.</para></example>
    /// <example><code>(Get-CCSession).Policy</code><para>The throttling and retry policy of the current session.</para></example>
    [Cmdlet(VerbsCommon.Get, "CCSession")]
    [OutputType(typeof(CCSession))]
    public sealed class GetCCSessionCommand : CCCmdlet
    {
        protected override void ProcessRecord()
        {
            var s = SessionStore.Get();
            if (s != null) WriteObject(s);
        }
    }

    /// <summary>
    /// <para type="synopsis">Forgets the current runspace's CommCare session.</para>
    /// <para type="description">Later cmdlets need Connect-CCServer or -Session again. Nothing is stored on disk, so there is nothing else to remove.</para>
    /// </summary>
    /// <example><code>Disconnect-CCServer</code><para>Ends the default session of this runspace.</para></example>
    /// <example><code>Disconnect-CCServer; Get-CCCase -First 1</code><para>After disconnecting, cmdlets say 'not connected' (or use the COMMCARE_* variables).</para></example>
    [Cmdlet(VerbsCommunications.Disconnect, "CCServer")]
    [OutputType(typeof(void))]
    public sealed class DisconnectCCServerCommand : CCCmdlet
    {
        protected override void ProcessRecord() => SessionStore.Set(null);
    }

    /// <summary>
    /// <para type="synopsis">Changes the throttling and retry settings of a session.</para>
    /// <para type="description">Changes the session itself: every holder of the session object (the runspace default, $s in other runspaces, ForEach-Object -Parallel with $using:s) follows the new policy from its next request. Requests already in flight finish under the old one.</para>
    /// </summary>
    /// <example><code>Set-CCSessionOption -MobileWorkerCount 400</code><para>Paces requests for a 400-worker project, per CommCare's rate formula.</para></example>
    /// <example><code>Set-CCSessionOption -Session $s -RequestsPerSecond 5 -MaxRetryCount 10</code><para>Explicit rates for $s, wherever it is used.</para></example>
    [Cmdlet(VerbsCommon.Set, "CCSessionOption", SupportsShouldProcess = false)]
    [OutputType(typeof(CCSession))]
    public sealed class SetCCSessionOptionCommand : CCPolicyCmdlet
    {
        /// <summary>The session to change. Default: the current runspace's session.</summary>
        [Parameter(ValueFromPipeline = true)] [ValidateNotNull] public CCSession? Session { get; set; }
        /// <summary>Also return the (changed) session.</summary>
        [Parameter] public SwitchParameter PassThru { get; set; }

        protected override void ProcessRecord()
        {
            var current = SessionStore.Get();
            var target = Session ?? current;
            if (target == null)
            {
                Terminate(new CCApiException(CCErrorKind.NotConnected, "Not connected: run Connect-CCServer first, or pass -Session."));
                return;
            }
            CCThrottlePolicy policy;
            try { policy = ApplyPolicy(target.Policy); }
            catch (ArgumentException ex) { ThrowParameterError(ex is ArgumentOutOfRangeException aor ? aor.ParamName ?? "Policy" : "Policy", ex.Message); return; }
            // In place: $s in every runspace that holds it (and the runspace default, when it is $s) paces by the new policy.
            target.SetPolicy(policy);
            WriteVerbose($"Session policy: {policy}.");
            if (PassThru) WriteObject(target);
        }
    }
}
