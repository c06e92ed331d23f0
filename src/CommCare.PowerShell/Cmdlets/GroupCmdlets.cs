using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using CommCare.Client.Api;
using CommCare.Models;

namespace CommCare.PowerShell.Cmdlets
{
    /// <summary>
    /// <para type="synopsis">Gets groups of mobile workers.</para>
    /// <para type="description">Lists every group (sorted by name by the server), or gets groups by id or by exact name.</para>
    /// </summary>
    /// <example><code>Get-CCGroup | Format-Table Name, CaseSharing, Users</code><para>Every group.</para></example>
    /// <example><code>Get-CCMobileWorker -Group (Get-CCGroup -Name 'District 4').Id</code><para>The members of one group.</para></example>
    [Cmdlet(VerbsCommon.Get, "CCGroup", DefaultParameterSetName = ParameterSets.List)]
    [OutputType(typeof(CCGroup))]
    public sealed class GetCCGroupCommand : CCSessionCmdlet
    {
        /// <summary>Group ids (by pipeline too).</summary>
        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.Id, ValueFromPipelineByPropertyName = true)] [Alias("group_id", "GroupId")] [ValidateNotNullOrEmpty]
        public string[] Id { get; set; } = Array.Empty<string>();
        /// <summary>Only groups with these exact names (wildcards allowed).</summary>
        [Parameter(ParameterSetName = ParameterSets.List, Position = 0)] [SupportsWildcards] [ValidateNotNullOrEmpty] public string[]? Name { get; set; }

        protected override void ProcessRecord()
        {
            var groups = new CommCareClient(ActiveSession, Sink, CancellationToken).Groups;
            Call(() =>
            {
                if (ParameterSetName == ParameterSets.Id)
                {
                    foreach (var id in Id)
                    {
                        var g = groups.Get(id);
                        Flush();
                        if (g == null) WriteItemError(new CCApiException(CCErrorKind.NotFound, $"Group '{id}' was not found in project space '{ActiveSession.Domain}'."), id);
                        else WriteObject(g);
                    }
                    return;
                }
                var patterns = Name == null ? null : Array.ConvertAll(Name, n => new WildcardPattern(n, WildcardOptions.IgnoreCase));
                var matched = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                foreach (var g in groups.List())
                {
                    Flush();
                    if (patterns == null) { WriteObject(g); continue; }
                    for (int i = 0; i < patterns.Length; i++)
                        if (patterns[i].IsMatch(g.Name)) { matched.Add(Name![i]); WriteObject(g); break; }
                }
                if (Name != null)
                    foreach (var n in Name)
                        if (!WildcardPattern.ContainsWildcardCharacters(n) && !matched.Contains(n))
                            WriteItemError(new CCApiException(CCErrorKind.NotFound, $"Group '{n}' was not found in project space '{ActiveSession.Domain}'."), n);
            });
        }
    }

    /// <summary>Fields shared by New- and Set-CCGroup.</summary>
    public abstract class CCGroupWriteCmdlet : CCSessionCmdlet
    {
        /// <summary>The group can own cases (case sharing).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("case_sharing")] [BoolText] public SwitchParameter CaseSharing { get; set; }
        /// <summary>The group can be used as a report filter (default on for new groups).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [BoolText] public SwitchParameter Reporting { get; set; }
        /// <summary>Ids of the members; replaces the membership. ';'-separated in a CSV cell.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("users", "UserIds")] [SplitList] [RefuseTypeName] public string[]? UserId { get; set; }
        /// <summary>Free key/value data kept with the group. CSV columns named metadata.KEY are added too.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] public Hashtable? Metadata { get; set; }
        /// <summary>The pipeline row itself (a CSV row): read for metadata.* columns.</summary>
        [Parameter(ValueFromPipeline = true, DontShow = true)] public PSObject? InputObject { get; set; }

        internal CCGroupSpec Spec(string? name, bool reportingDefault)
        {
            WarnUnboundColumns(InputObject, typeof(CCGroup), "metadata.");
            Dictionary<string, object?>? meta = null;
            if (Metadata != null)
            {
                meta = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (DictionaryEntry e in Metadata) meta[e.Key.ToString()!] = e.Value is PSObject p ? p.BaseObject : e.Value;
            }
            if (InputObject?.BaseObject is PSCustomObject)
                foreach (var prop in InputObject.Properties)
                    if (prop is PSNoteProperty && prop.Name.StartsWith("metadata.", StringComparison.OrdinalIgnoreCase) && prop.Name.Length > 9)
                        (meta ??= new Dictionary<string, object?>(StringComparer.Ordinal))[prop.Name.Substring(9)] = prop.Value is PSObject p ? p.BaseObject : prop.Value;
            return new CCGroupSpec
            {
                Name = name,
                CaseSharing = ParameterSpecified(nameof(CaseSharing)) ? CaseSharing.IsPresent : (bool?)null,
                Reporting = ParameterSpecified(nameof(Reporting)) ? Reporting.IsPresent : reportingDefault ? true : (bool?)null,
                Users = UserId, Metadata = meta,
            };
        }
    }

    /// <summary>
    /// <para type="synopsis">Creates groups of mobile workers.</para>
    /// <para type="description">Several groups from the pipeline go in one bulk request per 100; each group is created or fails on its own. Members given with -UserId are added after the group exists, with an update: CommCare's create call would otherwise move each listed worker out of all their other groups. Group names are unique, so a create whose answer was lost is resolved by looking the names up, never by a second create. Only a live group is taken as the one created: if the only group of that name is a deleted one (or several live ones match), no group is reused or made, and the error id is CommCare.OutcomeUnknown, so that you can check in CommCare before creating it again.</para>
    /// </summary>
    /// <example><code>New-CCGroup -Name 'District 4' -CaseSharing -UserId $ids</code><para>A case-sharing group with members.</para></example>
    /// <example><code>Import-Csv groups.csv | New-CCGroup</code><para>One group per row (columns name, case_sharing, users).</para></example>
    [Cmdlet(VerbsCommon.New, "CCGroup", SupportsShouldProcess = true)]
    [OutputType(typeof(CCGroup))]
    public sealed class NewCCGroupCommand : CCGroupWriteCmdlet
    {
        /// <summary>The group's name (unique in the project).</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)] [ValidateNotNullOrEmpty] public string Name { get; set; } = "";

        private readonly List<(CCGroupSpec Spec, string Name)> _rows = new List<(CCGroupSpec, string)>();

        protected override void ProcessRecord()
        {
            if (!ShouldProcess(Name, "Create group")) return;
            _rows.Add((Spec(Name.Trim(), reportingDefault: true), Name));
        }

        // Several groups go in one bulk request (100 a request); one group uses the plain create.
        protected override void EndProcessing()
        {
            var groups = new CommCareClient(ActiveSession, Sink, CancellationToken).Groups;
            if (_rows.Count == 1)
            {
                try
                {
                    var (group, outcome) = groups.Create(_rows[0].Spec);
                    if (outcome == CreateOutcome.Recovered) WriteVerbose($"Group '{_rows[0].Name}' was created, though the server's answer was lost (found by its name).");
                    Flush();
                    WriteObject(group);
                }
                catch (CCApiException ex) { FailItem(ex, NotCreated(ex, _rows[0].Name), _rows[0].Name); }
            }
            else if (_rows.Count > 1)
            {
                try
                {
                    var results = groups.CreateMany(_rows.ConvertAll(r => r.Spec));
                    Flush();
                    for (int i = 0; i < results.Count; i++)
                    {
                        if (results[i].Group != null) WriteObject(results[i].Group);
                        else FailItem(results[i].Error!, NotCreated(results[i].Error!, _rows[i].Name), _rows[i].Name);
                    }
                }
                catch (CCApiException ex) { foreach (var r in _rows) FailItem(ex, NotCreated(ex, r.Name), r.Name); }
            }
            base.EndProcessing();
        }

        private static string NotCreated(CCApiException ex, string name)
            => ex.Kind == CCErrorKind.OutcomeUnknown ? $"Group '{name}' may or may not have been created" : $"Group '{name}' was not created";
    }

    /// <summary>
    /// <para type="synopsis">Changes groups.</para>
    /// <para type="description">Only the fields that differ from the server are sent, so a CSV from Get-CCGroup | Export-Csv piped back changes exactly the edited cells. -UserId replaces the membership (members not listed are removed from this group only); metadata is merged (metadata.KEY columns). A group object piped from Get-CCGroup gives only its id: the changes come from the command line.</para>
    /// </summary>
    /// <example><code>Get-CCGroup -Name 'District 4' | Set-CCGroup -UserId $ids</code><para>Sets the members of a group.</para></example>
    /// <example><code>Set-CCGroup -Id $id -NewName 'District 4 (north)' -CaseSharing</code><para>Renames a group and lets it own cases.</para></example>
    [Cmdlet(VerbsCommon.Set, "CCGroup", SupportsShouldProcess = true)]
    [OutputType(typeof(CCGroup))]
    public sealed class SetCCGroupCommand : CCGroupWriteCmdlet
    {
        /// <summary>The group's id (binds from Get-CCGroup output).</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)] [Alias("group_id")] [ValidateNotNullOrEmpty] public string Id { get; set; } = "";
        /// <summary>A new name (the Name column of a CSV from Get-CCGroup binds here).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("Name")] [RefuseTypeName] public string? NewName { get; set; }
        /// <summary>Return the group (changed or not).</summary>
        [Parameter] public SwitchParameter PassThru { get; set; }


        protected override void ProcessRecord()
        {
            var api = new CommCareClient(ActiveSession, Sink, CancellationToken).Groups;
            try
            {
                var current = api.Get(Id) ?? throw new CCApiException(CCErrorKind.NotFound, $"Group '{Id}' was not found in project space '{ActiveSession.Domain}'.");
                var wanted = Spec(string.IsNullOrWhiteSpace(NewName) ? null : NewName!.Trim(), reportingDefault: false);
                // A group object from Get-CCGroup gives only its id: its other fields would write back what was read.
                if (InputObject?.BaseObject is CCGroup)
                {
                    bool given(string p) => OnCommandLine(p);
                    wanted = new CCGroupSpec
                    {
                        Name = given(nameof(NewName)) ? wanted.Name : null, CaseSharing = given(nameof(CaseSharing)) ? wanted.CaseSharing : null,
                        Reporting = given(nameof(Reporting)) ? wanted.Reporting : null, Users = given(nameof(UserId)) ? wanted.Users : null,
                        Metadata = given(nameof(Metadata)) ? wanted.Metadata : null,
                    };
                }
                var (changes, fields) = RecordChanges.Diff(current, wanted);
                if (changes == null) { WriteVerbose($"Group '{current.Name}' ({Id}): nothing to change."); if (PassThru) WriteObject(current); return; }
                if (!ShouldProcess($"{current.Name} ({Id})", "Update group (" + string.Join(", ", fields) + ")")) return;
                var g = api.Update(Id, changes);
                Flush();
                if (PassThru) WriteObject(g);
            }
            catch (CCApiException ex) { FailItem(ex, $"Group '{Id}' was not updated", Id); }
        }
    }

    /// <summary>
    /// <para type="synopsis">Deletes groups.</para>
    /// <para type="description">The workers stay; only the group goes. Asks for confirmation unless -Confirm:$false.</para>
    /// </summary>
    /// <example><code>Get-CCGroup -Name 'Old*' | Remove-CCGroup</code><para>Deletes the groups whose names start with Old, asking for each.</para></example>
    /// <example><code>Remove-CCGroup -Id $id -Confirm:$false</code><para>Deletes one group without asking.</para></example>
    [Cmdlet(VerbsCommon.Remove, "CCGroup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(void))]
    public sealed class RemoveCCGroupCommand : CCSessionCmdlet
    {
        /// <summary>The group's id (binds from Get-CCGroup output).</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)] [Alias("group_id")] [ValidateNotNullOrEmpty] public string Id { get; set; } = "";
        /// <summary>The group's name, for messages (binds from Get-CCGroup output).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)] public string? Name { get; set; }

        protected override void ProcessRecord()
        {
            string label = string.IsNullOrEmpty(Name) ? Id : $"{Name} ({Id})";
            if (!ShouldProcess(label, "Delete group")) return;
            try { new CommCareClient(ActiveSession, Sink, CancellationToken).Groups.Delete(Id); Flush(); }
            catch (CCApiException ex) { FailItem(ex, $"Group {label} was not deleted", Id); }
        }
    }
}
