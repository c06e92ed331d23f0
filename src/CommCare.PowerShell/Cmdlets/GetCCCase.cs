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
    /// <example><code>Get-CCCase -Id 00809bb1-1b4e-4154-9ab9-a897e1494a5d -IncludeChildCases</code><para>One case with its child cases embedded.</para></example>
    /// <example><code>Get-CCCase -CaseType patient -IndexedSince (Get-Date).AddDays(-1) | Export-Csv patients.csv</code><para>Every patient case indexed in the last day, streamed to CSV.</para></example>
    /// <example><code>Get-CCCase -ApiVersion 2 -CaseType patient -Property @{ district = 'north' } -Query 'age > 40'</code><para>The Case API v2 with a case-search query (cursor paging).</para></example>
    /// <example><code>Get-CCCase -ApiVersion 2 -Index @{ parent = $household.Id }</code><para>The child cases of one case.</para></example>
    [Cmdlet(VerbsCommon.Get, "CCCase", DefaultParameterSetName = ParameterSets.List, SupportsPaging = true)]
    [OutputType(typeof(CCCase))]
    public sealed class GetCCCaseCommand : CCListCmdlet
    {
        /// <summary>Case ids to get (by pipeline too, from strings or objects with Id / case_id).</summary>
        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.Id, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("case_id", "CaseId")] [ValidateNotNullOrEmpty]
        public string[] Id { get; set; } = Array.Empty<string>();

        /// <summary>Only cases of this type (exact, case-sensitive).</summary>
        [Parameter(ParameterSetName = ParameterSets.List, Position = 0)] [Alias("case_type", "Type")] [ValidateNotNullOrEmpty]
        [ArgumentCompleter(typeof(CaseTypeCompleter))] public string? CaseType { get; set; }
        /// <summary>Only cases owned by this user, group or location id.</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] [Alias("owner_id")] [ValidateNotNullOrEmpty] public string? OwnerId { get; set; }
        /// <summary>Only cases last modified by this user id.</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] [Alias("user_id")] [ValidateNotNullOrEmpty] public string? UserId { get; set; }
        /// <summary>-Closed for closed cases only, -Closed:$false for open cases only; omit for both.</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] public SwitchParameter Closed { get; set; }
        /// <summary>Only cases with exactly this name (case-sensitive).</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] [Alias("case_name")] [ValidateNotNullOrEmpty] public string? Name { get; set; }
        /// <summary>Only the case with this external id (case-sensitive).</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] [Alias("external_id")] [ValidateNotNullOrEmpty] public string? ExternalId { get; set; }
        /// <summary>Other case properties to match exactly, e.g. @{ district = 'north' }.</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] public Hashtable? Property { get; set; }
        /// <summary>Cases indexed by the server at or after this time (a local time is converted to UTC; an unspecified one is taken as UTC). The resume point for incremental exports.</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] public DateTime IndexedSince { get; set; }
        /// <summary>Cases indexed at or before this time.</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] public DateTime IndexedUntil { get; set; }
        /// <summary>Cases the phone modified at or after this time (date_modified).</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] public DateTime ModifiedSince { get; set; }
        /// <summary>Cases the phone modified at or before this time.</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] public DateTime ModifiedUntil { get; set; }
        /// <summary>Cases the server modified at or after this time (server_date_modified).</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] public DateTime ServerModifiedSince { get; set; }
        /// <summary>Cases the server modified at or before this time.</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] public DateTime ServerModifiedUntil { get; set; }
        /// <summary>Sort order (server_date_modified, date_modified, indexed_on; '-' prefix for descending). Uses plain offset paging, which can miss or repeat records that share a timestamp; omit it for the exact walk.</summary>
        [Parameter(ParameterSetName = ParameterSets.List)]
        [ValidateSet("server_date_modified", "-server_date_modified", "date_modified", "-date_modified", "indexed_on", "-indexed_on")]
        public string[]? OrderBy { get; set; }
        /// <summary>Records per request, 1 to 5000 (default 1000).</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] [ValidateRange(1, CasesApi.MaxPageSize)] public int PageSize { get; set; } = CasesApi.DefaultPageSize;

        /// <summary>A file that remembers how far the export got: a run stopped at any point and started again with the same file and filters continues where it stopped, each case delivered once; a finished run started again delivers only cases indexed since. Not with -OrderBy or -ApiVersion 2.</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] [ValidateNotNullOrEmpty] public string? Checkpoint { get; set; }

        /// <summary>1 (default): the Case Data API v0.5. 2: the Case API v2 (cursor paging, -Query, -Index, opened/closed dates; no -UserId, -OrderBy or embedding).</summary>
        [Parameter] [ValidateSet("1", "2")] public int ApiVersion { get; set; } = 1;
        /// <summary>(-ApiVersion 2) A case-search expression, e.g. 'age > 40 and district = "north"'.</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] [ValidateNotNullOrEmpty] public string? Query { get; set; }
        /// <summary>(-ApiVersion 2) Cases with these indices, e.g. @{ parent = $parentId } for the children of a case.</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] public Hashtable? Index { get; set; }
        /// <summary>(-ApiVersion 2) Include cases whose type is deprecated in the data dictionary.</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] public SwitchParameter IncludeDeprecated { get; set; }
        /// <summary>(-ApiVersion 2) Cases opened at or after this time.</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] public DateTime OpenedSince { get; set; }
        /// <summary>(-ApiVersion 2) Cases opened at or before this time.</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] public DateTime OpenedUntil { get; set; }
        /// <summary>(-ApiVersion 2) Cases closed at or after this time.</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] public DateTime ClosedSince { get; set; }
        /// <summary>(-ApiVersion 2) Cases closed at or before this time.</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] public DateTime ClosedUntil { get; set; }

        /// <summary>Embed the child cases in ChildCases.</summary>
        [Parameter] public SwitchParameter IncludeChildCases { get; set; }
        /// <summary>Embed the parent cases in ParentCases.</summary>
        [Parameter] public SwitchParameter IncludeParentCases { get; set; }
        /// <summary>Embed the forms that touched each case (FormsByName, FormsByXmlns).</summary>
        [Parameter] public SwitchParameter IncludeForms { get; set; }

        protected override void ProcessRecord()
        {
            var client = new CommCareClient(ActiveSession, Sink, CancellationToken);
            CheckVersionParameters();
            if (ParameterSetName == ParameterSets.Id) { if (ApiVersion == 2) GetByIdV2(client); else GetById(client); return; }
            if (ApiVersion == 2) { ListV2(client); return; }

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
            CommCare.Client.Paging.CCCheckpoint? checkpoint = null;
            try
            {
                if (Checkpoint != null)
                {
                    checkpoint = client.Cases.OpenCheckpoint(ResolveOutputPath(Checkpoint), query);
                    if (checkpoint.ResumeFrom != null) WriteVerbose($"Resuming from checkpoint '{Checkpoint}': indexed_on {checkpoint.ResumeFrom:o}, {checkpoint.ResumeSkipIds.Count} case(s) at that instant already delivered.");
                }
                result = client.Cases.List(query);
            }
            catch (CCApiException ex) { checkpoint?.Dispose(); Terminate(ex); return; }
            catch (System.IO.IOException ex) { checkpoint?.Dispose(); ThrowParameterError(nameof(Checkpoint), ex.Message, Checkpoint); return; }
            result.MaxRecords = MaxRecords();
            if (checkpoint == null) { Stream(result, result.Status, "Get-CCCase"); return; }
            var cp = checkpoint;
            try { Stream(result, result.Status, "Get-CCCase", c => cp.Delivered(c.Id, c.IndexedOn), cp.Compact); }
            finally { cp.Dispose(); }
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
                catch (CCApiException ex) when (StopsCommand(ex)) { Terminate(ex, id); }
                catch (CCApiException ex) when (ex.Kind == CCErrorKind.InvalidArgument) { WriteItemError(new CCApiException(CCErrorKind.InvalidArgument, $"-Id: {ex.Message}"), id); }
                catch (CCApiException ex) { WriteItemError(ex, id); }
            }
        }

        private static readonly string[] V2Only = { nameof(Query), nameof(Index), nameof(IncludeDeprecated), nameof(OpenedSince), nameof(OpenedUntil), nameof(ClosedSince), nameof(ClosedUntil) };
        private static readonly string[] V1Only = { nameof(Checkpoint), nameof(UserId), nameof(OrderBy), nameof(IncludeChildCases), nameof(IncludeParentCases), nameof(IncludeForms) };

        private void CheckVersionParameters()
        {
            foreach (var p in ApiVersion == 2 ? V1Only : V2Only)
                if (ParameterSpecified(p))
                    ThrowParameterError(p, ApiVersion == 2
                        ? "is not available in the Case API v2; drop it or use -ApiVersion 1."
                        : "belongs to the Case API v2: add -ApiVersion 2.");
        }

        private void ListV2(CommCareClient client)
        {
            var query = new CaseV2Query
            {
                CaseType = One(CaseType), OwnerId = One(OwnerId), Name = One(Name), ExternalId = One(ExternalId),
                Closed = ParameterSpecified(nameof(Closed)) ? Closed.IsPresent : (bool?)null,
                IncludeDeprecated = IncludeDeprecated,
                Properties = ToFilterMap(Property, nameof(Property)), Indices = ToFilterMap(Index, nameof(Index)),
                LastModified = Range(nameof(ModifiedSince), ModifiedSince, nameof(ModifiedUntil), ModifiedUntil),
                ServerLastModified = Range(nameof(ServerModifiedSince), ServerModifiedSince, nameof(ServerModifiedUntil), ServerModifiedUntil),
                IndexedOn = Range(nameof(IndexedSince), IndexedSince, nameof(IndexedUntil), IndexedUntil),
                DateOpened = Range(nameof(OpenedSince), OpenedSince, nameof(OpenedUntil), OpenedUntil),
                DateClosed = Range(nameof(ClosedSince), ClosedSince, nameof(ClosedUntil), ClosedUntil),
                Query = Query, PageSize = EffectivePageSize(PageSize),
            };
            CommCare.Client.Paging.CCPagedResult<CCCase> result;
            result = Call(() => client.CasesV2.List(query));
            result.MaxRecords = MaxRecords();
            Stream(result, result.Status, "Get-CCCase");
        }

        private void GetByIdV2(CommCareClient client)
        {
            try
            {
                var found = client.CasesV2.Fetch(Id, Array.Empty<string>());
                Flush();
                foreach (var r in found)
                {
                    if (r.Case != null) WriteObject(r.Case);
                    else WriteItemError(new CCApiException(CCErrorKind.NotFound, $"Case '{r.MissingId}' was not found in project space '{ActiveSession.Domain}'."), r.MissingId);
                }
            }
            catch (CCApiException ex) { Terminate(ex); }
        }

        private static string[]? One(string? v) => v == null ? null : new[] { v };

        private CaseDateRange? Range(string startName, DateTime start, string endName, DateTime end)
        {
            var s = Opt(startName, start);
            var e = Opt(endName, end);
            return s == null && e == null ? null : new CaseDateRange(s, e);
        }

        private DateTime? Opt(string name, DateTime value) => ParameterSpecified(name) ? value : (DateTime?)null;
    }
}
