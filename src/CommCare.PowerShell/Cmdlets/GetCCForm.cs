using System;
using System.IO;
using System.Management.Automation;
using CommCare.Client.Api;
using CommCare.Models;

namespace CommCare.PowerShell.Cmdlets
{
    /// <summary>
    /// <para type="synopsis">Gets submitted forms from CommCare HQ (Form API).</para>
    /// <para type="description">Without -Id, streams every matching form. Unless -OrderBy is given, the cmdlet walks the forms by indexed_on and drops boundary duplicates, so no form is missed or repeated even when thousands share one timestamp. The form body is in Form as nested dictionaries (attributes start with '@'); Metadata holds the device meta block.</para>
    /// </summary>
    /// <example><code>Get-CCForm -Xmlns http://openrosa.org/formdesigner/ABC -IndexedSince (Get-Date).AddDays(-1)</code><para>Forms of one form type indexed in the last day.</para></example>
    /// <example><code>Get-CCForm -CaseId $case.Id | Select-Object Id, Name, ReceivedOn</code><para>The forms that touched a case.</para></example>
    [Cmdlet(VerbsCommon.Get, "CCForm", DefaultParameterSetName = ParameterSets.List, SupportsPaging = true)]
    [OutputType(typeof(CCForm))]
    public sealed class GetCCFormCommand : CCListCmdlet
    {
        /// <summary>Form ids to get (by pipeline too).</summary>
        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.Id, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("form_id", "FormId")] [ValidateNotNullOrEmpty]
        public string[] Id { get; set; } = Array.Empty<string>();

        /// <summary>Only forms with this xmlns (exact, case-sensitive).</summary>
        [Parameter(ParameterSetName = ParameterSets.List, Position = 0)] [ValidateNotNullOrEmpty] [ArgumentCompleter(typeof(XmlnsCompleter))] public string? Xmlns { get; set; }
        /// <summary>Only forms from this application id.</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] [Alias("app_id")] [ValidateNotNullOrEmpty] public string? AppId { get; set; }
        /// <summary>Only forms that touched this case.</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] [Alias("case_id")] [ValidateNotNullOrEmpty] public string? CaseId { get; set; }
        /// <summary>Forms received at or after this time (a local time is converted to UTC; an unspecified one is taken as UTC).</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] public DateTime ReceivedSince { get; set; }
        /// <summary>Forms received at or before this time.</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] public DateTime ReceivedUntil { get; set; }
        /// <summary>Forms the server modified at or after this time.</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] public DateTime ServerModifiedSince { get; set; }
        /// <summary>Forms the server modified at or before this time.</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] public DateTime ServerModifiedUntil { get; set; }
        /// <summary>Forms indexed at or after this time: the resume point for incremental exports (catches edits and archiving too).</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] public DateTime IndexedSince { get; set; }
        /// <summary>Forms indexed at or before this time.</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] public DateTime IndexedUntil { get; set; }
        /// <summary>Include archived forms too.</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] public SwitchParameter IncludeArchived { get; set; }
        /// <summary>A file that remembers how far the export got: a run stopped at any point (Ctrl+C, a killed process, Azure Automation's time limit) and started again with the same file and filters continues where it stopped, each form delivered once; a finished run started again delivers only forms indexed since. Not with -OrderBy.</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] [ValidateNotNullOrEmpty] public string? Checkpoint { get; set; }
        /// <summary>Sort order (received_on, server_modified_on, indexed_on; '-' for descending). Uses plain offset paging, which can miss or repeat records sharing a timestamp; omit it for the exact walk.</summary>
        [Parameter(ParameterSetName = ParameterSets.List)]
        [ValidateSet("received_on", "-received_on", "server_modified_on", "-server_modified_on", "indexed_on", "-indexed_on")]
        public string[]? OrderBy { get; set; }
        /// <summary>Records per request, 1 to 1000 (default 1000).</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] [ValidateRange(1, FormsApi.MaxPageSize)] public int PageSize { get; set; } = FormsApi.DefaultPageSize;
        /// <summary>Embed the cases each form touched (Cases).</summary>
        [Parameter] public SwitchParameter IncludeCases { get; set; }

        protected override void ProcessRecord()
        {
            var client = new CommCareClient(ActiveSession, Sink, CancellationToken);
            if (ParameterSetName == ParameterSets.Id)
            {
                foreach (var id in Id)
                {
                    try
                    {
                        var f = client.Forms.Get(id, IncludeCases);
                        Flush();
                        if (f == null) WriteItemError(new CCApiException(CCErrorKind.NotFound, $"Form '{id}' was not found in project space '{ActiveSession.Domain}'."), id);
                        else WriteObject(f);
                    }
                    catch (CCApiException ex) when (StopsCommand(ex)) { Terminate(ex, id); }
                    catch (CCApiException ex) when (ex.Kind == CCErrorKind.InvalidArgument) { WriteItemError(new CCApiException(CCErrorKind.InvalidArgument, $"-Id: {ex.Message}"), id); }
                    catch (CCApiException ex) { WriteItemError(ex, id); }
                }
                return;
            }
            var query = new FormQuery
            {
                Xmlns = Xmlns, AppId = AppId, CaseId = CaseId,
                ReceivedOnStart = Opt(nameof(ReceivedSince), ReceivedSince), ReceivedOnEnd = Opt(nameof(ReceivedUntil), ReceivedUntil),
                ServerModifiedOnStart = Opt(nameof(ServerModifiedSince), ServerModifiedSince), ServerModifiedOnEnd = Opt(nameof(ServerModifiedUntil), ServerModifiedUntil),
                IndexedOnStart = Opt(nameof(IndexedSince), IndexedSince), IndexedOnEnd = Opt(nameof(IndexedUntil), IndexedUntil),
                IncludeArchived = IncludeArchived, IncludeCases = IncludeCases, OrderBy = OrderBy,
                PageSize = EffectivePageSize(PageSize),
            };
            CommCare.Client.Paging.CCPagedResult<CCForm> result;
            CommCare.Client.Paging.CCCheckpoint? checkpoint = null;
            try
            {
                if (Checkpoint != null)
                {
                    checkpoint = client.Forms.OpenCheckpoint(ResolveOutputPath(Checkpoint), query);
                    if (checkpoint.ResumeFrom != null) WriteVerbose($"Resuming from checkpoint '{Checkpoint}': indexed_on {checkpoint.ResumeFrom:o}, {checkpoint.ResumeSkipIds.Count} form(s) at that instant already delivered.");
                }
                result = client.Forms.List(query);
            }
            catch (CCApiException ex) { checkpoint?.Dispose(); Terminate(ex); return; }
            catch (IOException ex) { checkpoint?.Dispose(); ThrowParameterError(nameof(Checkpoint), ex.Message, Checkpoint); return; }
            result.MaxRecords = MaxRecords();
            if (checkpoint == null) { Stream(result, result.Status, "Get-CCForm"); return; }
            var cp = checkpoint;
            try { Stream(result, result.Status, "Get-CCForm", f => cp.Delivered(f.Id, f.IndexedOn), cp.Compact); }
            finally { cp.Dispose(); }
        }

        private DateTime? Opt(string name, DateTime value) => ParameterSpecified(name) ? value : (DateTime?)null;
    }
}
