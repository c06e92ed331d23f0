using System;
using System.Collections;
using System.Management.Automation;
using CommCare.Client.Api;
using CommCare.Models;

namespace CommCare.PowerShell.Cmdlets
{
    /// <summary>
    /// <para type="synopsis">Gets cases from CommCare HQ (Case Data API).</para>
    /// <para type="description">Without -Id, streams every matching case. Records come out as pages arrive, so Select-Object -First stops after one request and memory stays flat for a million cases. Unless -OrderBy is given, the cmdlet walks the cases by indexed_on and drops boundary duplicates, so no case is missed or repeated even when thousands share one timestamp. Filters are applied by the server; an unknown case type simply returns nothing.</para>
    /// </summary>
    /// <example><code>Get-CCCase -CaseType patient -Closed:$false | Select-Object -First 10</code><para>The first ten open patient cases.</para></example>
    /// <example><code>Get-CCCase -Id 0X9OCW3JMV98EYOVN32SGN4II -IncludeChildCases</code><para>One case with its child cases embedded.</para></example>
    /// <example><code>Get-CCCase -CaseType patient -IndexedSince (Get-Date).AddDays(-1) | Export-Csv patients.csv</code><para>Every patient case indexed in the last day, streamed to CSV.</para></example>
    [Cmdlet(VerbsCommon.Get, "CCCase", DefaultParameterSetName = "List", SupportsPaging = true)]
    [OutputType(typeof(CCCase))]
    public sealed class GetCCCaseCommand : CCListCmdlet
    {
        /// <summary>Case ids to get (by pipeline too, from strings or objects with Id / case_id).</summary>
        [Parameter(Mandatory = true, ParameterSetName = "Id", Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("case_id", "CaseId")] [ValidateNotNullOrEmpty]
        public string[] Id { get; set; } = Array.Empty<string>();

        /// <summary>Only cases of this type (exact, case-sensitive).</summary>
        [Parameter(ParameterSetName = "List", Position = 0)] [Alias("case_type", "Type")] [ValidateNotNullOrEmpty]
        public string? CaseType { get; set; }
        /// <summary>Only cases owned by this user, group or location id.</summary>
        [Parameter(ParameterSetName = "List")] [Alias("owner_id")] [ValidateNotNullOrEmpty] public string? OwnerId { get; set; }
        /// <summary>Only cases last modified by this user id.</summary>
        [Parameter(ParameterSetName = "List")] [Alias("user_id")] [ValidateNotNullOrEmpty] public string? UserId { get; set; }
        /// <summary>-Closed for closed cases only, -Closed:$false for open cases only; omit for both.</summary>
        [Parameter(ParameterSetName = "List")] public SwitchParameter Closed { get; set; }
        /// <summary>Only cases with exactly this name (case-sensitive).</summary>
        [Parameter(ParameterSetName = "List")] [Alias("case_name")] [ValidateNotNullOrEmpty] public string? Name { get; set; }
        /// <summary>Only the case with this external id (case-sensitive).</summary>
        [Parameter(ParameterSetName = "List")] [Alias("external_id")] [ValidateNotNullOrEmpty] public string? ExternalId { get; set; }
        /// <summary>Other case properties to match exactly, e.g. @{ district = 'north' }.</summary>
        [Parameter(ParameterSetName = "List")] public Hashtable? Property { get; set; }
        /// <summary>Cases indexed by the server at or after this time (a local time is converted to UTC; an unspecified one is taken as UTC). The resume point for incremental exports.</summary>
        [Parameter(ParameterSetName = "List")] public DateTime IndexedSince { get; set; }
        /// <summary>Cases indexed at or before this time.</summary>
        [Parameter(ParameterSetName = "List")] public DateTime IndexedUntil { get; set; }
        /// <summary>Cases the phone modified at or after this time (date_modified).</summary>
        [Parameter(ParameterSetName = "List")] public DateTime ModifiedSince { get; set; }
        /// <summary>Cases the phone modified at or before this time.</summary>
        [Parameter(ParameterSetName = "List")] public DateTime ModifiedUntil { get; set; }
        /// <summary>Cases the server modified at or after this time (server_date_modified).</summary>
        [Parameter(ParameterSetName = "List")] public DateTime ServerModifiedSince { get; set; }
        /// <summary>Cases the server modified at or before this time.</summary>
        [Parameter(ParameterSetName = "List")] public DateTime ServerModifiedUntil { get; set; }
        /// <summary>Sort order (server_date_modified, date_modified, indexed_on; '-' prefix for descending). Uses plain offset paging, which can miss or repeat records that share a timestamp; omit it for the exact walk.</summary>
        [Parameter(ParameterSetName = "List")]
        [ValidateSet("server_date_modified", "-server_date_modified", "date_modified", "-date_modified", "indexed_on", "-indexed_on")]
        public string[]? OrderBy { get; set; }
        /// <summary>Records per request, 1 to 5000 (default 1000).</summary>
        [Parameter(ParameterSetName = "List")] [ValidateRange(1, CasesApi.MaxPageSize)] public int PageSize { get; set; } = CasesApi.DefaultPageSize;

        /// <summary>Embed the child cases in ChildCases.</summary>
        [Parameter] public SwitchParameter IncludeChildCases { get; set; }
        /// <summary>Embed the parent cases in ParentCases.</summary>
        [Parameter] public SwitchParameter IncludeParentCases { get; set; }
        /// <summary>Embed the forms that touched each case (FormsByName, FormsByXmlns).</summary>
        [Parameter] public SwitchParameter IncludeForms { get; set; }

        protected override void ProcessRecord()
        {
            var client = new CommCareClient(ActiveSession, Sink, CancellationToken);
            if (ParameterSetName == "Id") { GetById(client); return; }

            var query = new CaseQuery
            {
                CaseType = CaseType, OwnerId = OwnerId, UserId = UserId, Name = Name, ExternalId = ExternalId,
                Closed = ParameterSpecified(nameof(Closed)) ? Closed.IsPresent : (bool?)null,
                IndexedOnStart = Opt(nameof(IndexedSince), IndexedSince), IndexedOnEnd = Opt(nameof(IndexedUntil), IndexedUntil),
                DateModifiedStart = Opt(nameof(ModifiedSince), ModifiedSince), DateModifiedEnd = Opt(nameof(ModifiedUntil), ModifiedUntil),
                ServerDateModifiedStart = Opt(nameof(ServerModifiedSince), ServerModifiedSince), ServerDateModifiedEnd = Opt(nameof(ServerModifiedUntil), ServerModifiedUntil),
                OrderBy = OrderBy, Properties = ToFilterMap(Property, nameof(Property)),
                IncludeChildCases = IncludeChildCases, IncludeParentCases = IncludeParentCases, IncludeForms = IncludeForms,
                PageSize = EffectivePageSize(PageSize),
            };
            CommCare.Client.Paging.CCPagedResult<CCCase> result;
            try { result = client.Cases.List(query); }
            catch (CCApiException ex) { Terminate(ex); return; }
            result.MaxRecords = MaxRecords();
            Stream(result, result.Status, "Get-CCCase");
        }

        private void GetById(CommCareClient client)
        {
            foreach (var id in Id)
            {
                try
                {
                    var c = client.Cases.Get(id, IncludeChildCases, IncludeParentCases, IncludeForms);
                    Flush();
                    if (c == null)
                        WriteItemError(new CCApiException(CCErrorKind.NotFound, $"Case '{id}' was not found in project space '{ActiveSession.Domain}'."), id);
                    else WriteObject(c);
                }
                catch (CCApiException ex) when (ex.Kind == CCErrorKind.Authentication || ex.Kind == CCErrorKind.Permission) { Terminate(ex, id); }
                catch (CCApiException ex) { WriteItemError(ex, id); }
                catch (ArgumentException ex) { WriteItemError(new CCApiException(CCErrorKind.InvalidArgument, $"-Id: {ex.Message}"), id); }
            }
        }

        private DateTime? Opt(string name, DateTime value) => ParameterSpecified(name) ? value : (DateTime?)null;
    }
}
