using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using CommCare.Client.Api;
using CommCare.Models;

namespace CommCare.PowerShell.Cmdlets
{
    /// <summary>
    /// <para type="synopsis">Gets locations (organisation structure).</para>
    /// <para type="description">Lists active locations, optionally only one location type or names matching a wildcard, or gets locations by id. The server has no list filters, so filtering happens as the list streams.</para>
    /// </summary>
    /// <example><code>Get-CCLocation -LocationType district</code><para>Every district.</para></example>
    /// <example><code>Get-CCLocation -LocationType district | Set-CCLocation -Property @{ region = 'north' }</code><para>Sets a custom field on every district.</para></example>
    [Cmdlet(VerbsCommon.Get, "CCLocation", DefaultParameterSetName = ParameterSets.List)]
    [OutputType(typeof(CCLocation))]
    public sealed class GetCCLocationCommand : CCSessionCmdlet
    {
        /// <summary>Location ids (by pipeline too).</summary>
        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.Id, ValueFromPipelineByPropertyName = true)] [Alias("location_id", "LocationId")] [ValidateNotNullOrEmpty]
        public string[] Id { get; set; } = Array.Empty<string>();
        /// <summary>Only this location type (its code, e.g. district).</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] [Alias("location_type_code")] [ValidateNotNullOrEmpty] [ArgumentCompleter(typeof(LocationTypeCompleter))] public string? LocationType { get; set; }
        /// <summary>Only names matching this (wildcards allowed).</summary>
        [Parameter(ParameterSetName = ParameterSets.List, Position = 0)] [SupportsWildcards] [ValidateNotNullOrEmpty] public string? Name { get; set; }
        /// <summary>Only the location with this site code.</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] [Alias("site_code")] [ValidateNotNullOrEmpty] public string? SiteCode { get; set; }

        protected override void ProcessRecord()
        {
            var api = new CommCareClient(ActiveSession, Sink, CancellationToken).Locations;
            Call(() =>
            {
                if (ParameterSetName == ParameterSets.Id)
                {
                    foreach (var id in Id)
                    {
                        var l = api.Get(id);
                        Flush();
                        if (l == null) WriteItemError(new CCApiException(CCErrorKind.NotFound, $"Location '{id}' was not found in project space '{ActiveSession.Domain}'."), id);
                        else WriteObject(l);
                    }
                    return;
                }
                var pattern = Name == null ? null : new WildcardPattern(Name, WildcardOptions.IgnoreCase);
                foreach (var l in api.List())
                {
                    Flush();
                    if (LocationType != null && !string.Equals(l.LocationType, LocationType, StringComparison.OrdinalIgnoreCase)) continue;
                    if (SiteCode != null && !string.Equals(l.SiteCode, SiteCode, StringComparison.OrdinalIgnoreCase)) continue;
                    if (pattern != null && !pattern.IsMatch(l.Name)) continue;
                    WriteObject(l);
                }
            });
        }
    }

    /// <summary>
    /// <para type="synopsis">Gets the location types (levels of the organisation structure).</para>
    /// <para type="description">Each type has a code (used by -LocationType elsewhere), a name and its parent type.</para>
    /// </summary>
    /// <example><code>Get-CCLocationType | Format-Table Code, Name, ParentId</code><para>The hierarchy's levels.</para></example>
    /// <example><code>Get-CCLocationType | Where-Object SharesCases</code><para>The location types whose locations can own cases.</para></example>
    [Cmdlet(VerbsCommon.Get, "CCLocationType")]
    [OutputType(typeof(CCLocationType))]
    public sealed class GetCCLocationTypeCommand : CCSessionCmdlet
    {
        protected override void ProcessRecord()
        {
            Call(() =>
            {
                foreach (var t in new CommCareClient(ActiveSession, Sink, CancellationToken).Locations.Types()) { Flush(); WriteObject(t); }
            });
        }
    }

    /// <summary>Fields shared by New- and Set-CCLocation.</summary>
    public abstract class CCLocationWriteCmdlet : CCSessionCmdlet
    {
        /// <summary>Unique site code; derived from the name when not given.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("site_code")] [RefuseTypeName] public string? SiteCode { get; set; }
        /// <summary>The parent location's id.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("parent_location_id", "parent_id")] [RefuseTypeName] public string? ParentId { get; set; }
        /// <summary>Latitude in decimal degrees.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [EmptyAsNull] [ValidateRangeOrNull(-90.0, 90.0)] public decimal? Latitude { get; set; }
        /// <summary>Longitude in decimal degrees.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [EmptyAsNull] [ValidateRangeOrNull(-180.0, 180.0)] public decimal? Longitude { get; set; }
        /// <summary>Custom location fields. Set-CCLocation merges them into the location's current fields.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("location_data")] public Hashtable? Property { get; set; }

        /// <summary>The pipeline row itself (a CSV row): read for location_data.* columns.</summary>
        [Parameter(ValueFromPipeline = true, DontShow = true)] public PSObject? InputObject { get; set; }

        internal Dictionary<string, object?>? PropertyMap()
        {
            WarnUnboundColumns(InputObject, typeof(CCLocation), "location_data.");
            Dictionary<string, object?>? map = null;
            if (Property != null)
            {
                map = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (DictionaryEntry e in Property) map[e.Key.ToString()!] = e.Value is PSObject p ? p.BaseObject : e.Value;
            }
            if (InputObject?.BaseObject is PSCustomObject)
                foreach (var prop in InputObject.Properties)
                    if (prop is PSNoteProperty && prop.Name.StartsWith("location_data.", StringComparison.OrdinalIgnoreCase) && prop.Name.Length > 14)
                        (map ??= new Dictionary<string, object?>(StringComparer.Ordinal))[prop.Name.Substring(14)] = prop.Value is PSObject p ? p.BaseObject : prop.Value;
            return map;
        }

        internal static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s!.Trim();
    }

    /// <summary>
    /// <para type="synopsis">Creates locations, 100 per request.</para>
    /// <para type="description">Pipeline rows are sent in batches of up to 100 (the server's limit), each batch all or nothing. When the server rejects a batch, its rows are sent one by one so that each bad row gets its own error and the others are created. A site code is always sent (derived from the name when missing), which makes a lost answer safe to resolve.</para>
    /// </summary>
    /// <example><code>New-CCLocation -Name 'Clinic 7' -LocationType clinic -ParentId $district.Id</code><para>One clinic under a district.</para></example>
    /// <example><code>Import-Csv clinics.csv | New-CCLocation</code><para>Columns name, location_type_code, parent_location_id, site_code, latitude, longitude.</para></example>
    [Cmdlet(VerbsCommon.New, "CCLocation", SupportsShouldProcess = true)]
    [OutputType(typeof(CCLocation))]
    public sealed class NewCCLocationCommand : CCLocationWriteCmdlet
    {
        /// <summary>The location's name (unique among its siblings).</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)] [ValidateNotNullOrEmpty] public string Name { get; set; } = "";
        /// <summary>The location type's code.</summary>
        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)] [Alias("location_type_code", "Type")] [ValidateNotNullOrEmpty] [ArgumentCompleter(typeof(LocationTypeCompleter))] public string LocationType { get; set; } = "";

        private readonly List<(CCLocationSpec Spec, object Target)> _batch = new List<(CCLocationSpec, object)>();

        protected override void ProcessRecord()
        {
            var spec = new CCLocationSpec
            {
                Name = Name.Trim(), LocationType = LocationType.Trim(), SiteCode = Blank(SiteCode), ParentId = Blank(ParentId),
                Latitude = Latitude, Longitude = Longitude, LocationData = PropertyMap(),
            };
            if (!ShouldProcess(Name, "Create location")) return;
            _batch.Add((spec, Name));
            if (_batch.Count >= 100) Send();
        }

        protected override void EndProcessing()
        {
            Send();
            base.EndProcessing();
        }

        private void Send()
        {
            if (_batch.Count == 0) return;
            var api = new CommCareClient(ActiveSession, Sink, CancellationToken).Locations;
            var items = _batch.ToList();
            _batch.Clear();
            try
            {
                var ids = api.Save(items.Select(i => i.Spec).ToList());
                Flush();
                foreach (var id in ids) { var l = api.Get(id); if (l != null) WriteObject(l); }
            }
            catch (CCApiException ex) when (StopsCommand(ex)) { Terminate(ex); }
            catch (CCApiException ex) when (ex.Kind == CCErrorKind.BadRequest && items.Count > 1)
            {
                // The batch was rolled back as a whole: send each row alone to find the bad ones.
                WriteVerbose($"A batch of {items.Count} locations was rejected ({ex.ServerMessage}); sending its rows one by one.");
                foreach (var item in items)
                {
                    try
                    {
                        var id = api.Save(new[] { item.Spec })[0];
                        Flush();
                        var l = api.Get(id);
                        if (l != null) WriteObject(l);
                    }
                    catch (CCApiException one) when (!StopsCommand(one))
                    {
                        WriteItemError(new CCApiException(one.Kind, $"Location '{item.Spec.Name}' was not created: {one.ServerMessage ?? one.Message}", one.StatusCode, one.ServerMessage, one.RequestPath, one), item.Target);
                    }
                }
            }
            catch (CCApiException ex)
            {
                foreach (var item in items)
                    WriteItemError(new CCApiException(ex.Kind, $"Location '{item.Spec.Name}' was not created: {ex.ServerMessage ?? ex.Message}", ex.StatusCode, ex.ServerMessage, ex.RequestPath, ex), item.Target);
            }
        }
    }

    /// <summary>
    /// <para type="synopsis">Changes locations.</para>
    /// <para type="description">Only the fields that differ from the server are sent, so a CSV from Get-CCLocation | Export-Csv piped back changes exactly the edited cells. -Property (and location_data.KEY columns) merges into the location's custom fields (other fields keep their values). Renaming keeps the site code unless -SiteCode is given. A location object piped from Get-CCLocation gives only its id: the changes come from the command line.</para>
    /// </summary>
    /// <example><code>Get-CCLocation -LocationType district | Set-CCLocation -Property @{ region = 'north' }</code><para>Adds a custom field to every district.</para></example>
    /// <example><code>Set-CCLocation -Id $id -NewName 'Kisumu Central'</code><para>Renames one location (its site code is kept).</para></example>
    [Cmdlet(VerbsCommon.Set, "CCLocation", SupportsShouldProcess = true)]
    [OutputType(typeof(CCLocation))]
    public sealed class SetCCLocationCommand : CCLocationWriteCmdlet
    {
        /// <summary>The location's id (binds from Get-CCLocation output).</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)] [Alias("location_id")] [ValidateNotNullOrEmpty] public string Id { get; set; } = "";
        /// <summary>A new name (the Name column of a CSV from Get-CCLocation binds here).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("Name")] [RefuseTypeName] public string? NewName { get; set; }
        /// <summary>A new location type code (the LocationType column binds here).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("LocationType", "location_type_code")] [RefuseTypeName] public string? NewLocationType { get; set; }
        /// <summary>Return the location (changed or not).</summary>
        [Parameter] public SwitchParameter PassThru { get; set; }


        protected override void ProcessRecord()
        {
            var api = new CommCareClient(ActiveSession, Sink, CancellationToken).Locations;
            try
            {
                var current = api.Get(Id) ?? throw new CCApiException(CCErrorKind.NotFound, $"Location '{Id}' was not found in project space '{ActiveSession.Domain}'.");
                // A location object from Get-CCLocation gives only its id: its other fields would write back what was read.
                bool fromObject = InputObject?.BaseObject is CCLocation;
                bool given(string p) => !fromObject || OnCommandLine(p);
                var wanted = new CCLocationSpec
                {
                    Name = given(nameof(NewName)) ? Blank(NewName) : null, LocationType = given(nameof(NewLocationType)) ? Blank(NewLocationType) : null,
                    SiteCode = given(nameof(SiteCode)) ? Blank(SiteCode) : null, ParentId = given(nameof(ParentId)) ? Blank(ParentId) : null,
                    Latitude = given(nameof(Latitude)) ? Latitude : null, Longitude = given(nameof(Longitude)) ? Longitude : null,
                    LocationData = given(nameof(Property)) ? PropertyMap() : null,
                };
                var (changes, fields) = RecordChanges.Diff(current, wanted);
                if (changes == null) { WriteVerbose($"Location '{current.Name}' ({Id}): nothing to change."); if (PassThru) WriteObject(current); return; }
                if (!ShouldProcess($"{current.Name} ({Id})", "Update location (" + string.Join(", ", fields) + ")")) return;
                var l = api.Update(Id, changes);
                Flush();
                if (PassThru) WriteObject(l);
            }
            catch (CCApiException ex) { FailItem(ex, $"Location '{Id}' was not updated", Id); }
        }
    }
}
