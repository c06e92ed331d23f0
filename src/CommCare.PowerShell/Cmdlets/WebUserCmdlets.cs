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
    /// <para type="synopsis">Gets web users of the project.</para>
    /// <para type="description">Lists every web user, or the one with an e-mail address, or web users by id.</para>
    /// </summary>
    /// <example><code>Get-CCWebUser | Format-Table UserName, Role, IsActive</code><para>Every web user and their role.</para></example>
    /// <example><code>Get-CCWebUser -Email viewer@example.com</code><para>One web user.</para></example>
    [Cmdlet(VerbsCommon.Get, "CCWebUser", DefaultParameterSetName = ParameterSets.List)]
    [OutputType(typeof(CCWebUser))]
    public sealed class GetCCWebUserCommand : CCSessionCmdlet
    {
        /// <summary>Web user ids.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.Id, ValueFromPipelineByPropertyName = true)] [ValidateNotNullOrEmpty] public string[] Id { get; set; } = Array.Empty<string>();
        /// <summary>The web user's e-mail (their user name).</summary>
        [Parameter(ParameterSetName = ParameterSets.List, Position = 0)] [Alias("UserName", "web_username")] [ValidateNotNullOrEmpty] public string? Email { get; set; }

        protected override void ProcessRecord()
        {
            var api = new CommCareClient(ActiveSession, Sink, CancellationToken).WebUsers;
            Call(() =>
            {
                if (ParameterSetName == ParameterSets.Id)
                {
                    foreach (var id in Id)
                    {
                        var u = api.Get(id);
                        Flush();
                        if (u == null) WriteItemError(new CCApiException(CCErrorKind.NotFound, $"Web user '{id}' was not found in project space '{ActiveSession.Domain}'."), id);
                        else WriteObject(u);
                    }
                    return;
                }
                int n = 0;
                foreach (var u in api.List(Email)) { Flush(); WriteObject(u); n++; }
                if (Email != null && n == 0)
                    WriteItemError(new CCApiException(CCErrorKind.NotFound, $"No active web user '{Email}' in project space '{ActiveSession.Domain}'."), Email);
            });
        }
    }

    /// <summary>Fields shared by Set-CCWebUser and New-CCWebUserInvitation.</summary>
    public abstract class CCWebUserWriteCmdlet : CCSessionCmdlet
    {
        /// <summary>Location ids the user is assigned to. ';'-separated in a CSV cell.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("assigned_location_ids", "locations", "AssignedLocationIds")] [SplitList] [RefuseTypeName] public string[]? Location { get; set; }
        /// <summary>The primary location (one of -Location; default the first).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("primary_location_id", "PrimaryLocationId")] [RefuseTypeName] public string? PrimaryLocation { get; set; }
        /// <summary>User-data profile name ('' clears it).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [RefuseTypeName] public string? Profile { get; set; }
        /// <summary>Custom user data; merged with what the user has. CSV columns named user_data.KEY are added too.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("user_data")] public Hashtable? UserData { get; set; }
        /// <summary>The pipeline row itself (a CSV row): read for user_data.* columns.</summary>
        [Parameter(ValueFromPipeline = true, DontShow = true)] public PSObject? InputObject { get; set; }
        /// <summary>Tableau role (Tableau integration).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("tableau_role")] [RefuseTypeName] public string? TableauRole { get; set; }
        /// <summary>Tableau group names.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("tableau_groups", "TableauGroups")] [SplitList] [RefuseTypeName] public string[]? TableauGroup { get; set; }

        internal CCWebUserSpec Spec(string? email, string? role)
        {
            WarnUnboundColumns(InputObject, typeof(CCWebUser), "user_data.");
            Dictionary<string, object?>? data = null;
            if (UserData != null)
            {
                data = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (DictionaryEntry e in UserData) data[e.Key.ToString()!] = e.Value is PSObject p ? p.BaseObject : e.Value;
            }
            if (InputObject?.BaseObject is PSCustomObject)
                foreach (var prop in InputObject.Properties)
                    if (prop is PSNoteProperty && prop.Name.StartsWith("user_data.", StringComparison.OrdinalIgnoreCase) && prop.Name.Length > 10)
                        (data ??= new Dictionary<string, object?>(StringComparer.Ordinal))[prop.Name.Substring(10)] = prop.Value is PSObject p ? p.BaseObject : prop.Value;
            return new CCWebUserSpec
            {
                Email = email, Role = string.IsNullOrWhiteSpace(role) ? null : role,
                AssignedLocationIds = Location?.Length > 0 ? Location : null, PrimaryLocationId = string.IsNullOrWhiteSpace(PrimaryLocation) ? null : PrimaryLocation,
                Profile = Profile, UserData = data, TableauRole = string.IsNullOrWhiteSpace(TableauRole) ? null : TableauRole,
                TableauGroups = TableauGroup?.Length > 0 ? TableauGroup : null,
            };
        }
    }

    /// <summary>
    /// <para type="synopsis">Changes web users: role, locations, profile, user data, active or not.</para>
    /// <para type="description">Only the fields that differ from the server are sent, so a CSV from Get-CCWebUser | Export-Csv piped back changes exactly the edited cells; user data is merged (user_data.KEY columns). -Active $false deactivates the user's membership in this project only; -Active $true reactivates it. A web user object piped from Get-CCWebUser gives only its id: the changes come from the command line.</para>
    /// </summary>
    /// <example><code>Get-CCWebUser -Email viewer@example.com | Set-CCWebUser -Role 'Supervisor'</code><para>Changes a web user's role.</para></example>
    /// <example><code>Set-CCWebUser -Id $u.Id -Active $false</code><para>Deactivates a web user in this project.</para></example>
    [Cmdlet(VerbsCommon.Set, "CCWebUser", SupportsShouldProcess = true)]
    [OutputType(typeof(CCWebUser))]
    public sealed class SetCCWebUserCommand : CCWebUserWriteCmdlet
    {
        /// <summary>The web user's id (binds from Get-CCWebUser output).</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)] [ValidateNotNullOrEmpty] public string Id { get; set; } = "";
        /// <summary>Role, by name.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [RefuseTypeName] public string? Role { get; set; }
        /// <summary>$true activates, $false deactivates the membership in this project.</summary>
        [Parameter] public bool Active { get; set; }
        /// <summary>Return the changed user.</summary>
        [Parameter] public SwitchParameter PassThru { get; set; }


        protected override void ProcessRecord()
        {
            var spec = Spec(null, Role);
            // A web user object from Get-CCWebUser gives only its id: its other fields would write back what was read.
            if (InputObject?.BaseObject is CCWebUser)
            {
                bool given(string p) => OnCommandLine(p);
                spec = new CCWebUserSpec
                {
                    Role = given(nameof(Role)) ? spec.Role : null, AssignedLocationIds = given(nameof(Location)) ? spec.AssignedLocationIds : null,
                    PrimaryLocationId = given(nameof(PrimaryLocation)) ? spec.PrimaryLocationId : null, Profile = given(nameof(Profile)) ? spec.Profile : null,
                    UserData = given(nameof(UserData)) ? spec.UserData : null, TableauRole = given(nameof(TableauRole)) ? spec.TableauRole : null,
                    TableauGroups = given(nameof(TableauGroup)) ? spec.TableauGroups : null,
                };
            }
            bool anyField = spec.Role != null || spec.AssignedLocationIds != null || spec.Profile != null || spec.UserData != null || spec.TableauRole != null || spec.TableauGroups != null;
            if (!anyField && !ParameterSpecified(nameof(Active)))
                ThrowParameterError(nameof(Role), "nothing to change: give -Role, -Location, -Profile, -UserData, -TableauRole, -TableauGroup or -Active.");
            var api = new CommCareClient(ActiveSession, Sink, CancellationToken).WebUsers;
            try
            {
                CCWebUser? u = null;
                IReadOnlyList<string> fields = Array.Empty<string>();
                CCWebUserSpec? changes = null;
                if (anyField)
                {
                    var current = api.Get(Id) ?? throw new CCApiException(CCErrorKind.NotFound, $"Web user '{Id}' was not found in project space '{ActiveSession.Domain}'.");
                    var diff = RecordChanges.Diff(current, spec);
                    changes = diff.Changes; fields = diff.Fields;
                    u = current;
                }
                if (changes == null && !ParameterSpecified(nameof(Active)))
                {
                    WriteVerbose($"Web user '{u?.UserName ?? Id}': nothing to change.");
                    if (PassThru) WriteObject(u);
                    return;
                }
                var what = string.Join(", ", fields.Concat(ParameterSpecified(nameof(Active)) ? new[] { "Active" } : Array.Empty<string>()));
                if (!ShouldProcess(u?.UserName ?? Id, $"Update web user ({what})")) return;
                if (changes != null) u = api.Update(Id, changes);
                if (ParameterSpecified(nameof(Active))) api.SetActive(Id, Active);
                Flush();
                if (PassThru) WriteObject(ParameterSpecified(nameof(Active)) || u == null ? api.Get(Id) : u);
            }
            catch (CCApiException ex) { FailItem(ex, $"Web user '{Id}' was not updated", Id); }
        }
    }

    /// <summary>
    /// <para type="synopsis">Invites people to the project as web users.</para>
    /// <para type="description">The invitee gets an e-mail and becomes a web user on accepting. The server keeps one invitation per e-mail, so sending the same invitation again is an error, not a duplicate.</para>
    /// </summary>
    /// <example><code>New-CCWebUserInvitation -Email ana@example.org -Role 'Field Worker'</code><para>One invitation.</para></example>
    /// <example><code>Import-Csv invites.csv | New-CCWebUserInvitation</code><para>Columns email, role, assigned_location_ids.</para></example>
    [Cmdlet(VerbsCommon.New, "CCWebUserInvitation", SupportsShouldProcess = true)]
    [OutputType(typeof(CCWebUserInvitation))]
    public sealed class NewCCWebUserInvitationCommand : CCWebUserWriteCmdlet
    {
        /// <summary>The invitee's e-mail address.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)] [ValidatePattern(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")] public string Email { get; set; } = "";
        /// <summary>Role, by name.</summary>
        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)] [ValidateNotNullOrEmpty] public string Role { get; set; } = "";

        protected override void ProcessRecord()
        {
            if (!ShouldProcess(Email, "Invite web user")) return;
            try
            {
                var (inv, outcome) = new CommCareClient(ActiveSession, Sink, CancellationToken).WebUsers.Invite(Spec(Email, Role));
                if (outcome == CreateOutcome.Recovered) WriteVerbose($"The invitation for '{Email}' was sent, though the server's answer was lost.");
                Flush();
                WriteObject(inv);
            }
            catch (CCApiException ex) { FailItem(ex, $"'{Email}' was not invited", Email); }
        }
    }
}
