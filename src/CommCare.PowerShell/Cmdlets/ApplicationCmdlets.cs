using System;
using System.IO;
using System.Management.Automation;
using CommCare.Client.Api;
using CommCare.Models;

namespace CommCare.PowerShell.Cmdlets
{
    /// <summary>
    /// <para type="synopsis">Gets applications with their structure: modules, forms, questions, case types and properties.</para>
    /// <para type="description">Lists the project's current applications (remote apps are not listed), or gets applications or builds by id. Each module gives its case type and case properties; each form its xmlns and questions; Versions lists the builds.</para>
    /// </summary>
    /// <example><code>Get-CCApplication | Select-Object Name, Version</code><para>Every application and its version.</para></example>
    /// <example><code>(Get-CCApplication -Name 'Household*').Modules.Forms | Select-Object DisplayName, Xmlns</code><para>The forms of one app and their xmlns (for Get-CCForm -Xmlns).</para></example>
    [Cmdlet(VerbsCommon.Get, "CCApplication", DefaultParameterSetName = ParameterSets.List)]
    [OutputType(typeof(CCApplication))]
    public sealed class GetCCApplicationCommand : CCSessionCmdlet
    {
        /// <summary>Application or build ids (by pipeline too).</summary>
        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.Id, Position = 0, ValueFromPipelineByPropertyName = true)] [Alias("ApplicationId", "app_id")] [ValidateNotNullOrEmpty]
        public string[] Id { get; set; } = Array.Empty<string>();
        /// <summary>Only applications whose name matches (wildcards allowed).</summary>
        [Parameter(ParameterSetName = ParameterSets.List, Position = 0)] [SupportsWildcards] [ValidateNotNullOrEmpty] public string? Name { get; set; }

        protected override void ProcessRecord()
        {
            var apps = new CommCareClient(ActiveSession, Sink, CancellationToken).Applications;
            Call(() =>
            {
                if (ParameterSetName == ParameterSets.Id)
                {
                    foreach (var id in Id)
                    {
                        var a = apps.Get(id);
                        Flush();
                        if (a == null) WriteItemError(new CCApiException(CCErrorKind.NotFound, $"Application '{id}' was not found in project space '{ActiveSession.Domain}' (remote apps have no structure)."), id);
                        else WriteObject(a);
                    }
                    return;
                }
                var pattern = Name == null ? null : new WildcardPattern(Name, WildcardOptions.IgnoreCase);
                foreach (var a in apps.List()) { Flush(); if (pattern == null || pattern.IsMatch(a.Name ?? "")) WriteObject(a); }
            });
        }
    }

    /// <summary>
    /// <para type="synopsis">Downloads an application as a .ccz archive.</para>
    /// <para type="description">Saves the working copy (default), a build by number (-Version), or the latest released or latest build (-Latest Release|Build), optionally with its multimedia, streamed to the file through a temporary file. An app with build errors gives an error that lists them.</para>
    /// </summary>
    /// <example><code>Save-CCApplicationArchive -ApplicationId $app -Latest Release -Path app.ccz</code><para>The latest released build.</para></example>
    /// <example><code>Get-CCApplication -Name 'Household*' | Save-CCApplicationArchive -Version 16 -Path hh16.ccz</code><para>A build by number.</para></example>
    [Cmdlet(VerbsData.Save, "CCApplicationArchive", SupportsShouldProcess = true, DefaultParameterSetName = ParameterSets.Latest)]
    [OutputType(typeof(FileInfo))]
    public sealed class SaveCCApplicationArchiveCommand : CCSessionCmdlet
    {
        /// <summary>Replace the file if it exists (it is swapped in only once complete); without it an existing file is kept.</summary>
        [Parameter] public SwitchParameter Force { get; set; }
        /// <summary>The application (or build) id; binds from Get-CCApplication output.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)] [Alias("Id", "app_id")] [ValidateNotNullOrEmpty] public string ApplicationId { get; set; } = "";
        /// <summary>Release: the latest released build; Build: the latest build; Save: the working copy (default).</summary>
        [Parameter(ParameterSetName = ParameterSets.Latest)] [ValidateSet("Release", "Build", "Save")] public string? Latest { get; set; }
        /// <summary>A build by its version number.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.Version)] [ValidateRange(1, int.MaxValue)] public int Version { get; set; }
        /// <summary>Include the media files.</summary>
        [Parameter] public SwitchParameter IncludeMultimedia { get; set; }
        /// <summary>The .ccz file to write (an existing file is kept unless -Force).</summary>
        [Parameter(Mandatory = true)] [ValidateNotNullOrEmpty] public string Path { get; set; } = "";

        protected override void ProcessRecord()
        {
            string file = ResolveOutputFile(nameof(Path), Path, Force);
            var client = new CommCareClient(ActiveSession, Sink, CancellationToken);
            var uri = client.Applications.CczUri(ApplicationId, ParameterSetName == ParameterSets.Version ? Version : (int?)null, Latest?.ToLowerInvariant(), IncludeMultimedia);
            if (!ShouldProcess(file, $"Download application {ApplicationId}")) return;
            try
            {
                var size = client.Downloads.Save(uri, file);
                Flush();
                if (size == null) { WriteItemError(new CCApiException(CCErrorKind.NotFound, $"Application '{ApplicationId}' ({(ParameterSetName == ParameterSets.Version ? "version " + Version : "latest " + (Latest ?? "Save").ToLowerInvariant())}) was not found in project space '{ActiveSession.Domain}'."), ApplicationId); return; }
                WriteObject(new FileInfo(file));
            }
            catch (CCApiException ex) { FailItem(ex, $"Application {ApplicationId} was not downloaded", ApplicationId); }
        }
    }

    /// <summary>
    /// <para type="synopsis">Gets messaging events (SMS, e-mail, surveys) with their messages.</para>
    /// <para type="description">Streams events through the server's cursor, oldest activity first (or -Descending), with the filters of the messaging event API. A time without a zone is taken as local and converted to UTC.</para>
    /// </summary>
    /// <example><code>Get-CCMessagingEvent -Since (Get-Date).AddDays(-7)</code><para>The last week's events.</para></example>
    /// <example><code>Get-CCMessagingEvent -Status error -ContentType sms | Select-Object Date, Recipient, Error</code><para>Failed SMS.</para></example>
    [Cmdlet(VerbsCommon.Get, "CCMessagingEvent", SupportsPaging = true)]
    [OutputType(typeof(CCMessagingEvent))]
    public sealed class GetCCMessagingEventCommand : CCListCmdlet
    {
        /// <summary>Events at or after this time.</summary>
        [Parameter] public DateTime Since { get; set; }
        /// <summary>Events at or before this time.</summary>
        [Parameter] public DateTime Until { get; set; }
        /// <summary>Events with activity at or after this time.</summary>
        [Parameter] public DateTime LastActivitySince { get; set; }
        /// <summary>Sources: broadcast, scheduled-broadcast, immediate-broadcast, keyword, reminder, conditional-alert, other.</summary>
        [Parameter] [ValidateNotNullOrEmpty] public string[]? Source { get; set; }
        /// <summary>Content types: sms, sms-survey, ivr-survey, email, manual-sms, api-sms, chat-sms, phone-verification.</summary>
        [Parameter] [ValidateNotNullOrEmpty] public string[]? ContentType { get; set; }
        /// <summary>One status: error, in-progress, not-completed, completed, email-sent.</summary>
        [Parameter] [ValidateNotNullOrEmpty] public string? Status { get; set; }
        /// <summary>Only events of this case.</summary>
        [Parameter] [ValidateNotNullOrEmpty] public string? CaseId { get; set; }
        /// <summary>Only messages to numbers containing this.</summary>
        [Parameter] [ValidatePattern(@"^\+?[0-9]+$")] public string? PhoneNumber { get; set; }
        /// <summary>Only e-mails to this address.</summary>
        [Parameter] [ValidatePattern(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")] public string? EmailAddress { get; set; }
        /// <summary>Only events with this error code.</summary>
        [Parameter] [ValidateNotNullOrEmpty] public string? ErrorCode { get; set; }
        /// <summary>Newest activity first.</summary>
        [Parameter] public SwitchParameter Descending { get; set; }
        /// <summary>Events per request, 1 to 1000.</summary>
        [Parameter] [ValidateRange(1, 1000)] public int PageSize { get; set; } = 1000;

        protected override void ProcessRecord()
        {
            var q = new MessagingQuery
            {
                DateStart = ParameterSpecified(nameof(Since)) ? Since : (DateTime?)null,
                DateEnd = ParameterSpecified(nameof(Until)) ? Until : (DateTime?)null,
                LastActivityStart = ParameterSpecified(nameof(LastActivitySince)) ? LastActivitySince : (DateTime?)null,
                Source = Source, ContentType = ContentType, Status = Status, CaseId = CaseId, PhoneNumber = PhoneNumber, EmailAddress = EmailAddress, ErrorCode = ErrorCode,
                Descending = Descending, PageSize = EffectivePageSize(PageSize),
            };
            CommCare.Client.Paging.CCPagedResult<CCMessagingEvent> result;
            result = Call(() => new CommCareClient(ActiveSession, Sink, CancellationToken).Messaging.List(q));
            result.MaxRecords = MaxRecords();
            Stream(result, result.Status, "Get-CCMessagingEvent");
        }
    }
}
