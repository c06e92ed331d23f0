using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Security;
using System.Text;
using CommCare.Client.Api;
using CommCare.Models;

namespace CommCare.PowerShell.Cmdlets
{
    /// <summary>
    /// <para type="synopsis">Gets the user the session's credentials belong to.</para>
    /// <para type="description">Calls the identity API (no project space needed): id, user name, names and e-mail.</para>
    /// </summary>
    /// <example><code>Get-CCIdentity</code><para>Who am I.</para></example>
    /// <example><code>(Get-CCIdentity -Session $s).Email</code><para>The e-mail of another session's user.</para></example>
    [Cmdlet(VerbsCommon.Get, "CCIdentity")]
    [OutputType(typeof(CCIdentity))]
    public sealed class GetCCIdentityCommand : CCSessionCmdlet
    {
        protected override void ProcessRecord()
        {
            Call(() => { var me = new CommCareClient(ActiveSession, Sink, CancellationToken).Identity.Get(); Flush(); WriteObject(me); });
        }
    }

    /// <summary>
    /// <para type="synopsis">Gets the project spaces the session's credentials can use.</para>
    /// <para type="description">Lists project spaces (domain and project name); -CanViewReports keeps those where the user can view reports.</para>
    /// </summary>
    /// <example><code>Get-CCUserDomain | Format-Table Domain, ProjectName</code><para>Every project space.</para></example>
    /// <example><code>Get-CCUserDomain | ForEach-Object { Connect-CCServer -Server www -Domain $_.Domain -Credential $cred -PassThru }</code><para>One session per project space.</para></example>
    [Cmdlet(VerbsCommon.Get, "CCUserDomain")]
    [OutputType(typeof(CCProjectSpace))]
    public sealed class GetCCUserDomainCommand : CCSessionCmdlet
    {
        /// <summary>Only project spaces where the user can view reports.</summary>
        [Parameter] public SwitchParameter CanViewReports { get; set; }
        /// <summary>Only project spaces with this feature flag.</summary>
        [Parameter] [ValidateNotNullOrEmpty] public string? FeatureFlag { get; set; }

        protected override void ProcessRecord()
        {
            Call(() => { foreach (var d in new CommCareClient(ActiveSession, Sink, CancellationToken).Identity.UserDomains(CanViewReports, FeatureFlag)) { Flush(); WriteObject(d); } });
        }
    }

    /// <summary>
    /// <para type="synopsis">Checks a user name and password against the project space (CommCare's SSO check).</para>
    /// <para type="description">Returns whether the credentials are right and the user is a member of the session's project space, with the user when they are. A wrong password is an answer, not an error: with -Quiet the output is just $true or $false. A user name without '@' is a mobile worker of the project. The password is sent only in the request body and never shown.</para>
    /// </summary>
    /// <example><code>Test-CCCredential -Credential (Get-Credential) -Quiet</code><para>$true or $false.</para></example>
    /// <example><code>Import-Csv workers.csv | ForEach-Object { Test-CCCredential -UserName $_.username -Password $_.password }</code><para>Checks a list of worker passwords.</para></example>
    [Cmdlet(VerbsDiagnostic.Test, "CCCredential", DefaultParameterSetName = ParameterSets.Credential)]
    [OutputType(typeof(CCCredentialCheck), typeof(bool))]
    public sealed class TestCCCredentialCommand : CCSessionCmdlet
    {
        /// <summary>The user name and password to check.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.Credential, Position = 0)] [ValidateNotNull] public PSCredential Credential { get; set; } = null!;
        /// <summary>The user name (a mobile worker's short name is completed with the project's domain).</summary>
        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.Password, ValueFromPipelineByPropertyName = true)] [ValidateNotNullOrEmpty] public string UserName { get; set; } = "";
        /// <summary>The password (a SecureString, or text that is turned into one at once).</summary>
        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.Password, ValueFromPipelineByPropertyName = true)] [SecureStringTransformation] [ValidateNotNull] public SecureString Password { get; set; } = null!;
        /// <summary>Output only $true or $false.</summary>
        [Parameter] public SwitchParameter Quiet { get; set; }

        protected override void ProcessRecord()
        {
            string user = ParameterSetName == ParameterSets.Credential ? Credential.UserName : UserName;
            var password = ParameterSetName == ParameterSets.Credential ? Credential.Password : Password;
            try
            {
                var result = new CommCareClient(ActiveSession, Sink, CancellationToken).Identity.CheckCredential(user, password);
                Flush();
                if (Quiet) WriteObject(result.Valid); else WriteObject(result);
            }
            catch (CCApiException ex) { FailItem(ex, $"The credentials of '{user}' were not checked", user); }
        }
    }

    /// <summary>
    /// <para type="synopsis">Turns what CommCare POSTs to a data-forwarding URL into the objects Get-CCForm and Get-CCCase return.</para>
    /// <para type="description">Accepts every forwarding format: form XML (with the Received-On header and the URL's app_id), form JSON, case JSON, case XML (with Server-Modified-On), and the form stub (form id and case ids). A case payload that does not carry the case's full state (CommCare may forward only the properties that changed) gives a case with IsPartial set to $true: what it lacks is unknown, not blank, so read the case with Get-CCCase before acting on a missing property or writing the case back. Made for webhook runbooks in Azure Automation: pass $WebhookData and the body and headers are taken from it. Needs no connection.</para>
    /// </summary>
    /// <example><code>param([object] $WebhookData) ; $record = ConvertFrom-CCForwardedPayload -WebhookData $WebhookData</code><para>In an Azure Automation webhook runbook.</para></example>
    /// <example><code>ConvertFrom-CCForwardedPayload -Body (Get-Content payload.xml -Raw) -Header @{ 'Received-On' = '2026-01-01T10:00:00Z' }</code><para>A saved form XML payload.</para></example>
    [Cmdlet(VerbsData.ConvertFrom, "CCForwardedPayload", DefaultParameterSetName = ParameterSets.Body)]
    [OutputType(typeof(CCForm), typeof(CCCase), typeof(PSObject))]
    public sealed class ConvertFromCCForwardedPayloadCommand : CCCmdlet
    {
        /// <summary>The request body: text or bytes.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.Body, Position = 0, ValueFromPipeline = true)] [ValidateNotNull] public object Body { get; set; } = "";
        /// <summary>The request headers (Received-On, Server-Modified-On).</summary>
        [Parameter(ParameterSetName = ParameterSets.Body)] public IDictionary? Header { get; set; }
        /// <summary>The query string of the forwarding URL (form XML forwards add ?app_id=).</summary>
        [Parameter(ParameterSetName = ParameterSets.Body)] public string? Query { get; set; }
        /// <summary>Azure Automation's webhook object (RequestBody, RequestHeader).</summary>
        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.Webhook)] [ValidateNotNull] public PSObject WebhookData { get; set; } = null!;

        protected override void ProcessRecord()
        {
            object? body = Body;
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (ParameterSetName == ParameterSets.Webhook && WebhookData.BaseObject is string webhookJson)
            {
                // PowerShell 7 runbooks receive $WebhookData as the JSON text of the object 5.1 runbooks get.
                try { body = FromWebhookJson(webhookJson, headers); }
                catch (System.Text.Json.JsonException ex) { ThrowParameterError(nameof(WebhookData), $"the text is not the webhook's JSON ({{\"WebhookName\", \"RequestBody\", \"RequestHeader\"}}): {ex.Message} Pass $WebhookData as the runbook received it."); }
                if (body == null) ThrowParameterError(nameof(WebhookData), "it has no RequestBody.");
            }
            else if (ParameterSetName == ParameterSets.Webhook)
            {
                body = WebhookData.Properties["RequestBody"]?.Value;
                var h = WebhookData.Properties["RequestHeader"]?.Value;
                if (h is PSObject hp && !(hp.BaseObject is IDictionary))
                    foreach (var p in hp.Properties) headers[p.Name] = Convert.ToString(p.Value, System.Globalization.CultureInfo.InvariantCulture) ?? "";
                else if ((h is PSObject hp2 ? hp2.BaseObject : h) is IDictionary hd) Add(headers, hd);
                if (body == null) ThrowParameterError(nameof(WebhookData), "it has no RequestBody.");
            }
            else if (Header != null) Add(headers, Header);
            if (body is PSObject po) body = po.BaseObject;
            byte[] bytes = body is byte[] b ? b : Encoding.UTF8.GetBytes(body as string ?? Convert.ToString(body, System.Globalization.CultureInfo.InvariantCulture) ?? "");
            string? query = Query;
            if (query == null && headers.TryGetValue("X-Forwarded-Query", out var fq)) query = fq;
            try
            {
                var record = ForwardedPayload.Convert(bytes, headers, query);
                if (record is IDictionary<string, object?> stub)
                {
                    var o = new PSObject();
                    foreach (var kv in stub) o.Properties.Add(new PSNoteProperty(kv.Key, kv.Value));
                    WriteObject(o);
                }
                else WriteObject(record);
            }
            catch (CCApiException ex) { WriteItemError(ex, ParameterSetName == ParameterSets.Webhook ? (object)"WebhookData" : "Body"); }
        }

        /// <summary>RequestBody (text) and RequestHeader (into headers) of the webhook's JSON.</summary>
        private static string? FromWebhookJson(string json, Dictionary<string, string> headers)
        {
            using var doc = System.Text.Json.JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind != System.Text.Json.JsonValueKind.Object) throw new System.Text.Json.JsonException("it is not a JSON object.");
            if (root.TryGetProperty("RequestHeader", out var h) && h.ValueKind == System.Text.Json.JsonValueKind.Object)
                foreach (var p in h.EnumerateObject()) headers[p.Name] = p.Value.ValueKind == System.Text.Json.JsonValueKind.String ? p.Value.GetString() ?? "" : p.Value.GetRawText();
            if (!root.TryGetProperty("RequestBody", out var b) || b.ValueKind == System.Text.Json.JsonValueKind.Null) return null;
            return b.ValueKind == System.Text.Json.JsonValueKind.String ? b.GetString() : b.GetRawText();
        }

        private static void Add(Dictionary<string, string> headers, IDictionary source)
        {
            foreach (DictionaryEntry e in source) headers[e.Key?.ToString() ?? ""] = Convert.ToString(e.Value is PSObject p ? p.BaseObject : e.Value, System.Globalization.CultureInfo.InvariantCulture) ?? "";
        }
    }
}

namespace CommCare.PowerShell.Cmdlets
{
    /// <summary>
    /// <para type="synopsis">Downloads a user's OTA restore (what a phone syncs) and parses it: cases, fixtures, sync token.</para>
    /// <para type="description">Restores as the session's user, or as a mobile worker with -AsUser (the web user needs permission to edit mobile workers). -Since takes the SyncToken of an earlier restore for an incremental sync; a token the server no longer knows gives an error telling you to do a full restore. Cases come back as the same objects Get-CCCase returns (from their case blocks); fixtures keep their XML. A restore the server prepares in the background is waited for.</para>
    /// </summary>
    /// <example><code>$r = Get-CCRestore -AsUser worker1; $r.Cases | Group-Object CaseType</code><para>What worker1's phone holds.</para></example>
    /// <example><code>$next = Get-CCRestore -AsUser worker1 -Since $r.SyncToken</code><para>Only what changed since.</para></example>
    [Cmdlet(VerbsCommon.Get, "CCRestore")]
    [OutputType(typeof(CCRestore))]
    public sealed class GetCCRestoreCommand : CCSessionCmdlet
    {
        /// <summary>Restore as this mobile worker (short name or full user name).</summary>
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)] [Alias("UserName")] [ValidateNotNullOrEmpty] public string? AsUser { get; set; }
        /// <summary>The sync token of an earlier restore: only what changed since.</summary>
        [Parameter] [ValidateNotNullOrEmpty] public string? Since { get; set; }
        /// <summary>Restore format version (default 2.0).</summary>
        [Parameter] [ValidateSet("2.0", "1.0")] public string Version { get; set; } = "2.0";
        /// <summary>Leave fixtures out (honoured by the server on incremental restores only).</summary>
        [Parameter] public SwitchParameter SkipFixtures { get; set; }
        /// <summary>An app id: app-specific fixtures are included.</summary>
        [Parameter] [ValidateNotNullOrEmpty] public string? AppId { get; set; }
        /// <summary>How long to wait for a restore the server prepares in the background (default 10 minutes).</summary>
        [Parameter] [ValidateRange(1, 86400)] public int TimeoutSeconds { get; set; } = 600;

        protected override void ProcessRecord()
        {
            string? user = AsUser;
            if (user != null && user.IndexOf('@') < 0) user = $"{user}@{ActiveSession.Domain}.commcarehq.org";
            var api = new CommCareClient(ActiveSession, Sink, CancellationToken).Restore;
            try { var r = api.Get(api.Uri(user, Since, Version, SkipFixtures, AppId), TimeSpan.FromSeconds(TimeoutSeconds)); Flush(); WriteObject(r); }
            catch (CCApiException ex) { FailItem(ex, $"The restore{(user == null ? "" : " as " + user)} was not read", (object?)user ?? ActiveSession.Domain); }
        }
    }
}
