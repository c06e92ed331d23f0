using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using CommCare.Client.Api;
using CommCare.Models;

namespace CommCare.PowerShell.Cmdlets
{
    /// <summary>
    /// <para type="synopsis">Texts phone numbers an invitation to register as mobile workers (SMS self-registration).</para>
    /// <para type="description">Sends each number the app's registration link; numbers already in use and badly formatted numbers are reported, not sent. The project needs SMS mobile worker registration turned on. Each call texts again (it costs money), so it is never retried after the server may have acted. This legacy API may be missing on current servers: a 404 says so.</para>
    /// </summary>
    /// <example><code>Send-CCRegistrationInvitation -AppId $app -PhoneNumber '+50255512345', '+50255567890'</code><para>Two invitations.</para></example>
    /// <example><code>Import-Csv phones.csv | ForEach-Object { $_.phone } | Send-CCRegistrationInvitation -AppId $app -AndroidOnly</code><para>Numbers from a file, Android only.</para></example>
    [Cmdlet(VerbsCommunications.Send, "CCRegistrationInvitation", SupportsShouldProcess = true)]
    [OutputType(typeof(CCSmsResult))]
    public sealed class SendCCRegistrationInvitationCommand : CCSessionCmdlet
    {
        /// <summary>The app whose install link is sent.</summary>
        [Parameter(Mandatory = true)] [ValidateNotNullOrEmpty] public string AppId { get; set; } = "";
        /// <summary>Phone numbers (by pipeline too).</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)] [Alias("phone_number")] [ValidateNotNullOrEmpty] public string[] PhoneNumber { get; set; } = Array.Empty<string>();
        /// <summary>Custom user data for every invited worker.</summary>
        [Parameter] public Hashtable? CustomUserData { get; set; }
        /// <summary>Invite Android users only.</summary>
        [Parameter] public SwitchParameter AndroidOnly { get; set; }
        /// <summary>The registration form asks for an e-mail address.</summary>
        [Parameter] public SwitchParameter RequireEmail { get; set; }
        /// <summary>Replaces the first text; '{}' stands for the registration link.</summary>
        [Parameter] [ValidateNotNullOrEmpty] public string? Message { get; set; }

        private readonly List<string> _numbers = new List<string>();

        protected override void ProcessRecord() => _numbers.AddRange(PhoneNumber);

        protected override void EndProcessing()
        {
            var dup = new HashSet<string>(StringComparer.Ordinal);
            foreach (var n in _numbers)
                if (!dup.Add(new string(Array.FindAll(n.ToCharArray(), char.IsDigit)))) ThrowParameterError(nameof(PhoneNumber), $"'{n}' is given twice; the server refuses a number twice in one request.", n);
            if (_numbers.Count == 0 || !ShouldProcess($"{_numbers.Count} phone number(s)", "Text a registration invitation")) { base.EndProcessing(); return; }
            Dictionary<string, string>? data = null;
            if (CustomUserData != null) { data = new Dictionary<string, string>(StringComparer.Ordinal); foreach (DictionaryEntry e in CustomUserData) data[e.Key?.ToString() ?? ""] = Convert.ToString(e.Value, CultureInfo.InvariantCulture) ?? ""; }
            var users = _numbers.ConvertAll(n => new KeyValuePair<string, IDictionary<string, string>?>(n, data));
            Call(() => { var answer = new CommCareClient(ActiveSession, Sink, CancellationToken).Sms.Invite(AppId, users, AndroidOnly, RequireEmail, Message); Flush(); WriteObject(CCSmsResult.From(answer, "numbers_in_use")); }, AppId);
            base.EndProcessing();
        }
    }

    /// <summary>
    /// <para type="synopsis">Texts mobile workers the app's install information again.</para>
    /// <para type="description">Re-sends the install link to existing mobile workers' phones; numbers that are not a mobile worker's come back in NotSent. Each call texts again, so it is never retried after the server may have acted. This legacy API may be missing on current servers: a 404 says so.</para>
    /// </summary>
    /// <example><code>Send-CCInstallInfo -AppId $app -PhoneNumber '+50255512345'</code><para>One worker.</para></example>
    /// <example><code>Get-CCMobileWorker | Where-Object PhoneNumbers | ForEach-Object { $_.PhoneNumbers[0] } | Send-CCInstallInfo -AppId $app -Message 'Reinstall from {}'</code><para>Every worker's first number (workers without one are left out), with a custom text.</para></example>
    [Cmdlet(VerbsCommunications.Send, "CCInstallInfo", SupportsShouldProcess = true)]
    [OutputType(typeof(CCSmsResult))]
    public sealed class SendCCInstallInfoCommand : CCSessionCmdlet
    {
        /// <summary>The app whose install link is sent.</summary>
        [Parameter(Mandatory = true)] [ValidateNotNullOrEmpty] public string AppId { get; set; } = "";
        /// <summary>Phone numbers of mobile workers (by pipeline too).</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)] [Alias("phone_number")] [ValidateNotNullOrEmpty] public string[] PhoneNumber { get; set; } = Array.Empty<string>();
        /// <summary>A custom text; '{}' stands for the install link.</summary>
        [Parameter] [ValidateNotNullOrEmpty] public string? Message { get; set; }

        private readonly List<string> _numbers = new List<string>();

        protected override void ProcessRecord() => _numbers.AddRange(PhoneNumber);

        protected override void EndProcessing()
        {
            if (_numbers.Count == 0 || !ShouldProcess($"{_numbers.Count} phone number(s)", "Text install information")) { base.EndProcessing(); return; }
            Call(() => { var answer = new CommCareClient(ActiveSession, Sink, CancellationToken).Sms.SendInstallInfo(AppId, _numbers, Message?.Trim()); Flush(); WriteObject(CCSmsResult.From(answer, "error_numbers")); }, AppId);
            base.EndProcessing();
        }
    }
}
