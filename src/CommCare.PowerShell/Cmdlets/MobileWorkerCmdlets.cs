using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security;
using CommCare.Client.Api;
using CommCare.Models;

namespace CommCare.PowerShell.Cmdlets
{
    /// <summary>
    /// <para type="synopsis">Gets mobile workers.</para>
    /// <para type="description">Lists active workers (or deactivated ones with -Archived, or a group's members with -Group), or gets workers by id or user name. User names may be short (jdoe) or full (jdoe@project.commcarehq.org). The server has no user-name filter, so -UserName reads the lists once per call.</para>
    /// </summary>
    /// <example><code>Get-CCMobileWorker | Format-Table UserName, FirstName, LastName</code><para>Every active mobile worker.</para></example>
    /// <example><code>Get-CCMobileWorker -Archived | Enable-CCMobileWorker</code><para>Reactivates every deactivated worker.</para></example>
    [Cmdlet(VerbsCommon.Get, "CCMobileWorker", DefaultParameterSetName = ParameterSets.List, SupportsPaging = true)]
    [OutputType(typeof(CCMobileWorker))]
    public sealed class GetCCMobileWorkerCommand : CCListCmdlet
    {
        /// <summary>Worker ids (by pipeline too).</summary>
        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.Id, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [Alias("user_id", "UserId")] [ValidateNotNullOrEmpty] public string[] Id { get; set; } = Array.Empty<string>();
        /// <summary>User names, short or full.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.UserName, Position = 0)] [ValidateNotNullOrEmpty] public string[] UserName { get; set; } = Array.Empty<string>();
        /// <summary>Only deactivated (archived) workers.</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] public SwitchParameter Archived { get; set; }
        /// <summary>Only members of this group id (active and deactivated).</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] [ValidateNotNullOrEmpty] public string? Group { get; set; }
        /// <summary>Add form counts for the last 30 days and last month (slower on the server).</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] public SwitchParameter IncludeExtras { get; set; }
        /// <summary>Records per request, 1 to 1000.</summary>
        [Parameter(ParameterSetName = ParameterSets.List)] [ValidateRange(1, UsersApi.MaxPageSize)] public int PageSize { get; set; } = UsersApi.MaxPageSize;

        protected override void ProcessRecord()
        {
            var users = new CommCareClient(ActiveSession, Sink, CancellationToken).Users;
            try
            {
                switch (ParameterSetName)
                {
                    case ParameterSets.Id:
                        foreach (var id in Id)
                        {
                            var u = users.Get(id);
                            Flush();
                            if (u == null) WriteItemError(new CCApiException(CCErrorKind.NotFound, $"Mobile worker '{id}' was not found in project space '{ActiveSession.Domain}'."), id);
                            else WriteObject(u);
                        }
                        return;
                    case "UserName":
                        var all = users.LoadAll();
                        Flush();
                        foreach (var name in UserName)
                        {
                            if (all.TryGetValue(UsersApi.FullUserName(name, ActiveSession.Domain), out var found)) WriteObject(found);
                            else WriteItemError(new CCApiException(CCErrorKind.NotFound, $"Mobile worker '{name}' was not found in project space '{ActiveSession.Domain}'."), name);
                        }
                        return;
                }
                var result = users.List(new MobileWorkerQuery { Archived = Archived, GroupId = Group, IncludeExtras = IncludeExtras, PageSize = EffectivePageSize(PageSize) });
                result.MaxRecords = MaxRecords();
                Stream(result, result.Status, "Get-CCMobileWorker");
            }
            catch (CCApiException ex) { Terminate(ex); }
        }
    }

    /// <summary>Fields shared by New- and Set-CCMobileWorker; all bind from CSV columns by name.</summary>
    public abstract class CCMobileWorkerWriteCmdlet : CCSessionCmdlet
    {
        /// <summary>Password (plain text from a CSV is accepted and converted to a SecureString; it is never shown).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [SecureStringTransformation] public SecureString? Password { get; set; }
        /// <summary>First name.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("first_name")] public string? FirstName { get; set; }
        /// <summary>Last name.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("last_name")] public string? LastName { get; set; }
        /// <summary>E-mail address.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] public string? Email { get; set; }
        /// <summary>Language code, e.g. en or fr.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] public string? Language { get; set; }
        /// <summary>Phone numbers; the first is the default. Replaces the list. A CSV cell may hold several separated by ';'. Digits, with spaces, dashes and a leading + allowed (stored as digits, as CommCare does).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("phone_numbers", "phone_number", "PhoneNumbers")] [SplitList] public string[]? PhoneNumber { get; set; }
        /// <summary>Groups, by id or exact name. Replaces the worker's group membership. ';'-separated in a CSV cell.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("groups")] [SplitList] public string[]? Group { get; set; }
        /// <summary>Locations, by id, site code or exact name. Replaces the worker's locations. ';'-separated in a CSV cell.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("locations")] [SplitList] public string[]? Location { get; set; }
        /// <summary>The primary location (id, site code or name; one of -Location; default the first).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("primary_location")] public string? PrimaryLocation { get; set; }
        /// <summary>Role, by name.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] public string? Role { get; set; }
        /// <summary>Custom user data; merged with what the worker has. CSV columns named user_data.KEY are added too.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("user_data")] public Hashtable? UserData { get; set; }
        /// <summary>The pipeline row itself (a CSV row): reported as the target of any error, and read for user_data.* columns.</summary>
        [Parameter(ValueFromPipeline = true, DontShow = true)] public PSObject? InputObject { get; set; }

        private Dictionary<string, string>? _groupIdsByName;
        private LocationNames? _locations;
        private protected int _rows, _failed;

        /// <summary>A worker object from Get-CCMobileWorker gives only its identity: its other fields would write back
        /// what was read, undoing any change made since. Only the command line says what to change.</summary>
        private protected bool FromWorkerObject => InputObject?.BaseObject is CCMobileWorker;

        private T? Given<T>(string parameter, T? value) where T : class
            => FromWorkerObject && !OnCommandLine(parameter) ? null : value;

        /// <summary>Group values that are not ids are taken as names and looked up once per command.</summary>
        internal IList<string>? ResolveGroups(IList<string>? groups)
        {
            if (groups == null) return null;
            var result = new List<string>(groups.Count);
            foreach (var g in groups)
            {
                if (System.Text.RegularExpressions.Regex.IsMatch(g, "^[0-9a-fA-F]{32}$")) { result.Add(g); continue; }
                if (_groupIdsByName == null)
                {
                    _groupIdsByName = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                    foreach (var grp in new CommCareClient(ActiveSession, Sink, CancellationToken).Groups.List()) _groupIdsByName[grp.Name] = grp.Id;
                }
                if (!_groupIdsByName.TryGetValue(g, out var id))
                    throw new CCApiException(CCErrorKind.InvalidArgument, $"There is no group named '{g}' in project space '{ActiveSession.Domain}' (give group ids or exact names).");
                result.Add(id);
            }
            return result;
        }

        /// <summary>Location ids for ids, site codes or names (one list of locations per command); null with the problem.</summary>
        private string? ResolveLocation(string value, out string? problem)
        {
            _locations ??= new LocationNames(new CommCareClient(ActiveSession, Sink, CancellationToken).Locations.List().ToList());
            return _locations.Resolve(value, out problem);
        }

        private CCMobileWorkerSpec Spec()
        {
            var data = new Dictionary<string, object?>(StringComparer.Ordinal);
            var userData = Given(nameof(UserData), UserData);
            if (userData != null) foreach (DictionaryEntry e in userData) data[e.Key.ToString()!] = e.Value is PSObject p ? p.BaseObject : e.Value;
            if (InputObject != null && !FromWorkerObject)
                foreach (var prop in InputObject.Properties)
                    if (prop.Name.StartsWith("user_data.", StringComparison.OrdinalIgnoreCase) && prop.Name.Length > 10)
                        data[prop.Name.Substring(10)] = prop.Value is PSObject p ? p.BaseObject : prop.Value;
            string[]? phones = Given(nameof(PhoneNumber), PhoneNumber), groups = Given(nameof(Group), Group), locations = Given(nameof(Location), Location);
            return new CCMobileWorkerSpec
            {
                Password = Password?.Length > 0 ? Password : null, FirstName = Blank(Given(nameof(FirstName), FirstName)), LastName = Blank(Given(nameof(LastName), LastName)),
                Email = Blank(Given(nameof(Email), Email)), Language = Blank(Given(nameof(Language), Language)),
                PhoneNumbers = phones?.Length > 0 ? phones : null, Groups = groups?.Length > 0 ? groups : null,
                Locations = locations?.Length > 0 ? locations : null, PrimaryLocation = Blank(Given(nameof(PrimaryLocation), PrimaryLocation)), Role = Blank(Given(nameof(Role), Role)),
                UserData = data.Count > 0 ? data : null,
            };
        }

        /// <summary>
        /// What to write, from the parameters and the row, checked before anything is sent: no value may be a .NET
        /// type name, phone numbers are digits (normalised as CommCare stores them), groups and locations resolve
        /// to exactly one each. Null when the row is bad (its error written, naming the column).
        /// </summary>
        internal CCMobileWorkerSpec? CheckedSpec(string label)
        {
            WarnUnboundColumns(InputObject, typeof(CCMobileWorker), "user_data.");
            var spec = Spec();
            string? bad = null;
            void Check(string parameter, string? value)
            {
                if (bad == null && WriteValues.IsTypeName(value))
                    bad = $"{RowColumns.Source(InputObject, MyInvocation.MyCommand, parameter)} holds '{value}', a .NET type name and not a value (a list or object exported without the module's text form); nothing was sent for this row.";
            }
            Check(nameof(FirstName), spec.FirstName); Check(nameof(LastName), spec.LastName); Check(nameof(Email), spec.Email);
            Check(nameof(Language), spec.Language); Check(nameof(Role), spec.Role); Check(nameof(PrimaryLocation), spec.PrimaryLocation);
            foreach (var v in spec.PhoneNumbers ?? Array.Empty<string>()) Check(nameof(PhoneNumber), v);
            foreach (var v in spec.Groups ?? Array.Empty<string>()) Check(nameof(Group), v);
            foreach (var v in spec.Locations ?? Array.Empty<string>()) Check(nameof(Location), v);
            if (spec.UserData != null)
                foreach (var kv in spec.UserData)
                    if (bad == null && kv.Value is string s && WriteValues.IsTypeName(s))
                        bad = $"user data '{kv.Key}' holds '{s}', a .NET type name and not a value; nothing was sent for this row.";
            if (bad != null) { RowError("TypeNameValue", $"Row {_rows}: {label}: {bad}"); return null; }

            if (spec.PhoneNumbers != null)
            {
                var numbers = new List<string>(spec.PhoneNumbers.Count);
                foreach (var raw in spec.PhoneNumbers)
                {
                    var n = PhoneNumbers.Normalize(raw);
                    if (n == null)
                    {
                        RowError("InvalidPhoneNumber", $"Row {_rows}: {label}: {RowColumns.Source(InputObject, MyInvocation.MyCommand, nameof(PhoneNumber))}: '{raw}' is not a phone number (digits, with spaces, dashes and a leading + allowed; ';' between numbers).");
                        return null;
                    }
                    numbers.Add(n);
                }
                spec.PhoneNumbers = numbers;
            }
            try { spec.Groups = ResolveGroups(spec.Groups); }
            catch (CCApiException ex) when (ex.Kind == CCErrorKind.InvalidArgument)
            {
                RowError("UnknownGroup", $"Row {_rows}: {label}: {RowColumns.Source(InputObject, MyInvocation.MyCommand, nameof(Group))}: {ex.Message}");
                return null;
            }
            if (spec.Locations != null)
            {
                var ids = new List<string>(spec.Locations.Count);
                foreach (var l in spec.Locations)
                {
                    var id = ResolveLocation(l, out var problem);
                    if (id == null) { RowError("UnknownLocation", $"Row {_rows}: {label}: {RowColumns.Source(InputObject, MyInvocation.MyCommand, nameof(Location))}: {problem}"); return null; }
                    ids.Add(id);
                }
                spec.Locations = ids;
            }
            if (spec.PrimaryLocation != null)
            {
                var id = ResolveLocation(spec.PrimaryLocation, out var problem);
                if (id == null) { RowError("UnknownLocation", $"Row {_rows}: {label}: {RowColumns.Source(InputObject, MyInvocation.MyCommand, nameof(PrimaryLocation))}: {problem}"); return null; }
                if (spec.Locations != null && !spec.Locations.Contains(id))
                {
                    RowError("InvalidPrimaryLocation", $"Row {_rows}: {label}: {RowColumns.Source(InputObject, MyInvocation.MyCommand, nameof(PrimaryLocation))}: '{spec.PrimaryLocation}' is not one of the worker's locations (-Location).");
                    return null;
                }
                spec.PrimaryLocation = id;
            }
            return spec;
        }

        /// <summary>An empty CSV cell means "not given", not "set to empty".</summary>
        private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s!.Trim();

        /// <summary>The row (without its password) or the name, as an error's TargetObject.</summary>
        protected object Target(string? fallback) => InputObject != null ? RowColumns.WithoutSecrets(InputObject) : (object?)fallback ?? "";

        private protected void RowError(string reason, string message) { _failed++; WriteRowError(reason, message, Target(null)); }

        protected void WriteRowError(string reason, string message, object target, CCApiException? inner = null)
        {
            var ex = inner ?? new CCApiException(CCErrorKind.InvalidArgument, message);
            WriteRowError("CommCare.MobileWorker." + reason, new CCApiException(ex.Kind, message, ex.StatusCode, ex.ServerMessage, ex.RequestPath, ex), target);
        }

    }

    /// <summary>
    /// <para type="synopsis">Creates mobile workers, one per pipeline row (Import-Csv users.csv | New-CCMobileWorker).</para>
    /// <para type="description">Each row is checked before any request: user name characters, a password (or -GeneratePassword), and duplicates inside the input. A bad row gives one non-terminating error (the row is the error's TargetObject) and the rest carry on. A create is never blindly re-sent: when a connection breaks after the server may have acted, the user name is looked up first, so no worker is created twice. -SkipExisting skips user names that already exist, so a CSV can be run again.</para>
    /// </summary>
    /// <example><code>Import-Csv workers.csv -Encoding UTF8 | New-CCMobileWorker -WhatIf</code><para>Shows what would be created; sends nothing.</para></example>
    /// <example><code>Import-Csv workers.csv -Encoding UTF8 | New-CCMobileWorker -SkipExisting -ErrorVariable failed | Export-Csv created.csv
    /// $failed | ForEach-Object { $_.TargetObject } | Export-Csv retry-these.csv</code><para>Creates the workers, keeps the rows that failed for a second run.</para></example>
    [Cmdlet(VerbsCommon.New, "CCMobileWorker", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(CCMobileWorker))]
    public sealed class NewCCMobileWorkerCommand : CCMobileWorkerWriteCmdlet
    {
        /// <summary>User name, short (jdoe) or full (jdoe@project.commcarehq.org).</summary>
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)] [Alias("user_name", "Name")] public string? UserName { get; set; }
        /// <summary>Make a strong password for rows without one; it is returned once, in GeneratedPassword.</summary>
        [Parameter] public SwitchParameter GeneratePassword { get; set; }
        /// <summary>Skip user names that already exist (active or deactivated) instead of reporting them as errors.</summary>
        [Parameter] public SwitchParameter SkipExisting { get; set; }
        /// <summary>Create unconfirmed accounts that the worker confirms by e-mail (needs the project's two-stage creation feature).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("require_account_confirmation")] public SwitchParameter RequireAccountConfirmation { get; set; }
        /// <summary>Send the confirmation e-mail now (with -RequireAccountConfirmation).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("send_confirmation_email_now")] public SwitchParameter SendConfirmationEmail { get; set; }

        /// <summary>Creates in flight at once (default 1). They still share the session's throttle, so a higher
        /// value only helps when the server is slower than the session's rate allows.</summary>
        [Parameter] [ValidateRange(1, 16)] public int ThrottleLimit { get; set; } = 1;

        private readonly HashSet<string> _seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        private int _created, _skipped, _wouldCreate;
        private readonly List<string> _skippedNames = new List<string>();
        private object? _creator;   // a MobileWorkerCreator, made on the first row (it loads the client)

        protected override void ProcessRecord()
        {
            _rows++;
            object target = Target(UserName);
            string? problem = UsersApi.ValidateUserName(UserName, ActiveSession.Domain);
            if (problem != null) { _failed++; WriteRowError("InvalidUserName", $"Row {_rows}: {problem}", target); return; }
            string full = UsersApi.FullUserName(UserName!, ActiveSession.Domain);
            if (!_seen.Add(full)) { _failed++; WriteRowError("DuplicateInInput", $"Row {_rows}: '{full}' appears more than once in the input; only the first is created.", target); return; }

            var spec = CheckedSpec($"'{full}'");
            if (spec == null) { Progress(); return; }
            spec.UserName = UserName!.Trim();
            string? generated = null;
            if (spec.Password == null && !RequireAccountConfirmation)
            {
                if (!GeneratePassword) { _failed++; WriteRowError("PasswordRequired", $"Row {_rows}: '{full}' has no password. Add a Password column, or use -GeneratePassword or -RequireAccountConfirmation.", target); return; }
                generated = MobileWorkerCreator.NewPassword();
                spec.Password = MobileWorkerCreator.ToSecure(generated);
            }
            if (RequireAccountConfirmation) spec.RequireAccountConfirmation = true;
            if (SendConfirmationEmail) spec.SendConfirmationEmail = true;

            var creator = (MobileWorkerCreator)(_creator ??= new MobileWorkerCreator(new CommCareClient(ActiveSession, Sink, CancellationToken), ThrottleLimit));
            var create = new CCMobileWorkerCreate(_rows, full, target, spec, generated);
            try
            {
                if (SkipExisting && creator.Exists(full)) { _skipped++; _skippedNames.Add(full); WriteVerbose($"Row {_rows}: '{full}' already exists; skipped."); Progress(); return; }
                if (!ShouldProcess(full, "Create mobile worker")) { if (WhatIfOn) _wouldCreate++; return; }
                creator.Start(create);
            }
            catch (CCApiException ex) { Report(new CCMobileWorkerCreate(_rows, full, target, spec, null), ex); }
            Flush();
            foreach (var done in creator.Finished()) Report(done, done.Error);
        }

        /// <summary>Writes one finished create (pipeline thread only).</summary>
        private void Report(CCMobileWorkerCreate d, CCApiException? ex)
        {
            Flush();
            if (ex != null)
            {
                if (StopsCommand(ex)) Terminate(ex, d.Target);
                _failed++;
                string reason = (ex.ServerMessage ?? "").Contains("already taken") ? "UserNameTaken" : ex.Kind == CCErrorKind.BadRequest ? "Rejected" : ex.Kind.ToString();
                WriteRowError(reason, $"Row {d.Row}: '{d.FullName}' was not created: {ex.ServerMessage ?? ex.Message}", d.Target, ex);
            }
            else
            {
                if (d.Recovered) WriteVerbose($"Row {d.Row}: '{d.FullName}' was created, though the server's answer was lost (found by looking it up).");
                _created++;
                WriteObject(d.Worker);
            }
            Progress();
        }

        protected override void EndProcessing()
        {
            // Wait for the creates still in flight (a stop cancels them through the token).
            if (_creator is MobileWorkerCreator creator)
            {
                try { foreach (var d in creator.Drain()) Report(d, d.Error); }
                catch (OperationCanceledException) { throw new PipelineStoppedException(); }
            }
            Flush();
            foreach (var name in _skippedNames) WriteInformation($"Skipped (already exists): {name}", new[] { "CommCare.Skipped" });
            if (WhatIfOn)
                WriteInformation($"New-CCMobileWorker -WhatIf: {_wouldCreate} would be created, {_skipped} skipped (already exist), {_failed} failed the checks, of {_rows} rows.", new[] { "PSHOST" });
            else if (_rows > 1 || _skipped > 0)
                WriteInformation($"New-CCMobileWorker: {_created} created, {_skipped} skipped (already existed), {_failed} failed, of {_rows} rows.", new[] { "PSHOST" });
            if (_rows > 1) WriteProgress(new ProgressRecord(3001, "New-CCMobileWorker", "Done") { RecordType = ProgressRecordType.Completed });
            base.EndProcessing();
        }

        private void Progress()
        {
            if (_rows % 10 == 0)
                WriteProgress(new ProgressRecord(3001, "New-CCMobileWorker", $"{_rows} rows: {_created} created, {_skipped} skipped, {_failed} failed"));
        }
    }

    /// <summary>
    /// <para type="synopsis">Changes mobile workers.</para>
    /// <para type="description">Finds each worker by -Id or -UserName (short or full) and sends only the fields that differ from what the server has, so a CSV from Get-CCMobileWorker | Export-Csv, edited and piped back, changes exactly the edited cells and nothing else (unchanged rows send nothing). User data is merged (keys not given keep their values); phone numbers, groups and locations replace the worker's lists. A worker object piped from Get-CCMobileWorker gives only its identity: the changes come from the command line. Every value is checked before anything is sent (type names, phone numbers, unknown or ambiguous groups and locations), one error per bad row.</para>
    /// </summary>
    /// <example><code>Get-CCMobileWorker -Group $g.Id | Set-CCMobileWorker -Language fr</code><para>Sets the language of a group's members.</para></example>
    /// <example><code>Set-CCMobileWorker -UserName amina.otieno -Language sw -PhoneNumber '+254 710 023 757'</code><para>Changes one worker, found by user name.</para></example>
    /// <example><code>Get-CCMobileWorker | Export-Csv workers.csv
    /// # edit cells in Excel, then:
    /// Import-Csv workers.csv | Set-CCMobileWorker -WhatIf
    /// Import-Csv workers.csv | Set-CCMobileWorker</code><para>A round trip through a spreadsheet: only the edited cells are written.</para></example>
    [Cmdlet(VerbsCommon.Set, "CCMobileWorker", SupportsShouldProcess = true)]
    [OutputType(typeof(CCMobileWorker))]
    public sealed class SetCCMobileWorkerCommand : CCMobileWorkerWriteCmdlet
    {
        /// <summary>The worker's id (binds from Get-CCMobileWorker output and its CSV).</summary>
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)] [Alias("user_id")] public string? Id { get; set; }
        /// <summary>The worker's user name, short (jdoe) or full; used when there is no -Id.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("user_name")] public string? UserName { get; set; }
        /// <summary>Return the worker (changed or not).</summary>
        [Parameter] public SwitchParameter PassThru { get; set; }

        private int _updated, _unchanged, _wouldUpdate;
        private object? _finder;   // a WorkerFinder (holds Client types: kept out of the cmdlet's field types)

        protected override void ProcessRecord()
        {
            _rows++;
            string label = !string.IsNullOrWhiteSpace(UserName) ? UserName!.Trim() : Id ?? "";
            if (string.IsNullOrWhiteSpace(Id) && string.IsNullOrWhiteSpace(UserName))
            {
                RowError("IdentityRequired", $"Row {_rows}: give -Id or -UserName (an Id, user_id or UserName column) to say which worker to change.");
                return;
            }
            var spec = CheckedSpec(label);
            if (spec == null) return;
            try
            {
                var finder = (WorkerFinder)(_finder ??= new WorkerFinder(new CommCareClient(ActiveSession, Sink, CancellationToken).Users, ActiveSession.Domain));
                var current = finder.Find(Id, UserName);
                if (current == null)
                {
                    RowError("NotFound", $"Row {_rows}: mobile worker '{label}' was not found in project space '{ActiveSession.Domain}'.");
                    return;
                }
                label = $"{current.UserName} ({current.Id})";
                var (changes, fields) = UserChanges.Diff(current, spec);
                if (changes == null)
                {
                    _unchanged++;
                    WriteVerbose($"{label}: nothing to change.");
                    if (PassThru) WriteObject(current);
                    return;
                }
                if (!ShouldProcess(label, "Update mobile worker (" + string.Join(", ", fields) + ")")) { if (WhatIfOn) _wouldUpdate++; return; }
                var u = finder.Users.Update(current.Id, changes);
                _updated++;
                Flush();
                if (PassThru) WriteObject(u);
            }
            catch (CCApiException ex) when (StopsCommand(ex)) { Terminate(ex, Target(Id)); }
            catch (CCApiException ex) { _failed++; WriteRowError(ex.Kind == CCErrorKind.BadRequest ? "Rejected" : ex.Kind.ToString(), $"Row {_rows}: mobile worker {label} was not updated: {ex.ServerMessage ?? ex.Message}", Target(Id), ex); }
        }

        protected override void EndProcessing()
        {
            if (WhatIfOn)
                WriteInformation($"Set-CCMobileWorker -WhatIf: {_wouldUpdate} would be updated, {_unchanged} unchanged, {_failed} failed the checks, of {_rows} rows.", new[] { "PSHOST" });
            else if (_rows > 1)
                WriteInformation($"Set-CCMobileWorker: {_updated} updated, {_unchanged} unchanged, {_failed} failed, of {_rows} rows.", new[] { "PSHOST" });
            base.EndProcessing();
        }
    }

    /// <summary>Finds workers by id or user name: one request for the first, then every worker loaded once for the rest.</summary>
    internal sealed class WorkerFinder
    {
        public readonly UsersApi Users;
        private readonly string _domain;
        private Dictionary<string, CCMobileWorker>? _byName, _byId;
        private int _calls;

        public WorkerFinder(UsersApi users, string domain) { Users = users; _domain = domain; }

        public CCMobileWorker? Find(string? id, string? userName)
        {
            if (++_calls > 1 && _byName == null)
            {
                _byName = Users.LoadAll();
                _byId = new Dictionary<string, CCMobileWorker>(StringComparer.OrdinalIgnoreCase);
                foreach (var w in _byName.Values) _byId[w.Id] = w;
            }
            if (!string.IsNullOrWhiteSpace(id))
            {
                id = id!.Trim();
                return _byId != null && _byId.TryGetValue(id, out var w) ? w : Users.Get(id);
            }
            string full = UsersApi.FullUserName(userName!, _domain);
            if (_byName != null) return _byName.TryGetValue(full, out var n) ? n : null;
            return Users.FindByUserName(full);
        }
    }

    internal enum WorkerAction { Retire, Activate, Deactivate, PasswordReset }

    /// <summary>Shared by Remove-, Enable-, Disable-CCMobileWorker and Send-CCMobileWorkerPasswordReset: one action per worker.</summary>
    public abstract class CCMobileWorkerActionCmdlet : CCSessionCmdlet
    {
        /// <summary>The worker's id (binds from Get-CCMobileWorker output and its CSV).</summary>
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)] [Alias("user_id")] public string? Id { get; set; }
        /// <summary>The worker's user name, short (jdoe) or full; used when there is no -Id.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("user_name")] public string? UserName { get; set; }

        internal abstract string ActionText { get; }
        // An enum, not a UsersApi parameter: Client types stay out of cmdlet signatures so importing never loads them.
        internal abstract WorkerAction Action { get; }
        /// <summary>What ShouldProcess tells the user beyond the action itself.</summary>
        internal virtual string Warning => "";

        private object? _finder;   // a WorkerFinder

        protected override void ProcessRecord()
        {
            if (string.IsNullOrWhiteSpace(Id) && string.IsNullOrWhiteSpace(UserName))
            {
                WriteItemError(new CCApiException(CCErrorKind.InvalidArgument, $"{ActionText}: give -Id or -UserName to say which worker."), "");
                return;
            }
            string label = string.IsNullOrEmpty(UserName) ? Id! : string.IsNullOrEmpty(Id) ? UserName! : $"{UserName} ({Id})";
            try
            {
                var finder = (WorkerFinder)(_finder ??= new WorkerFinder(new CommCareClient(ActiveSession, Sink, CancellationToken).Users, ActiveSession.Domain));
                string? id = Id?.Trim();
                if (string.IsNullOrEmpty(id))
                {
                    var w = finder.Find(null, UserName);
                    if (w == null) { WriteItemError(new CCApiException(CCErrorKind.NotFound, $"{ActionText}: mobile worker '{UserName}' was not found in project space '{ActiveSession.Domain}'."), UserName); return; }
                    id = w.Id;
                    label = $"{w.UserName} ({w.Id})";
                }
                if (!ShouldProcess(label + Warning, ActionText)) return;
                var users = finder.Users;
                switch (Action)
                {
                    case WorkerAction.Retire: users.Delete(id!); break;
                    case WorkerAction.Activate: users.Activate(id!); break;
                    case WorkerAction.PasswordReset: users.SendPasswordReset(id!); break;
                    default: users.Deactivate(id!); break;
                }
                Flush();
                WriteVerbose($"{ActionText}: {label}.");
            }
            catch (CCApiException ex) { FailItem(ex, $"{ActionText} failed for {label}", Id ?? UserName); }
        }
    }

    /// <summary>
    /// <para type="synopsis">Deletes (retires) mobile workers.</para>
    /// <para type="description">The worker's login is removed and the user name stays reserved: it cannot be created again, and there is no undelete. CommCare HQ may also mark the forms and cases the worker submitted as deleted, so they can drop out of reports, exports and case lists (whether current versions do so is not confirmed: see docs/commcare-api.md). To stop someone logging in while keeping everything, use Disable-CCMobileWorker instead. Asks for confirmation unless -Confirm:$false.</para>
    /// </summary>
    /// <example><code>Remove-CCMobileWorker -UserName old.worker -Confirm:$false</code><para>Retires one worker, found by user name, without asking.</para></example>
    /// <example><code>Get-CCMobileWorker -Archived | Where-Object { $_.UserData.left -eq 'yes' } | Remove-CCMobileWorker</code><para>Retires deactivated workers marked as left, asking for each.</para></example>
    [Cmdlet(VerbsCommon.Remove, "CCMobileWorker", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(void))]
    public sealed class RemoveCCMobileWorkerCommand : CCMobileWorkerActionCmdlet
    {
        internal override string ActionText => "Retire mobile worker";
        internal override WorkerAction Action => WorkerAction.Retire;
        // Retiring may take the worker's forms and cases out of reports too (docs/commcare-api.md U51): say so at the prompt.
        internal override string Warning => " (the login is removed for good; CommCare may also mark this worker's forms and cases as deleted; Disable-CCMobileWorker keeps them)";
    }

    /// <summary>
    /// <para type="synopsis">Reactivates deactivated mobile workers.</para>
    /// <para type="description">The worker can log in and sync again.</para>
    /// </summary>
    /// <example><code>Get-CCMobileWorker -Archived | Enable-CCMobileWorker</code><para>Reactivates every deactivated worker.</para></example>
    /// <example><code>Get-CCMobileWorker -Archived | Where-Object UserName -like 'jdoe@*' | Enable-CCMobileWorker -WhatIf</code><para>Shows what would be reactivated; changes nothing.</para></example>
    [Cmdlet(VerbsLifecycle.Enable, "CCMobileWorker", SupportsShouldProcess = true)]
    [OutputType(typeof(void))]
    public sealed class EnableCCMobileWorkerCommand : CCMobileWorkerActionCmdlet
    {
        internal override string ActionText => "Activate mobile worker";
        internal override WorkerAction Action => WorkerAction.Activate;
    }

    /// <summary>
    /// <para type="synopsis">Deactivates mobile workers.</para>
    /// <para type="description">The worker can no longer log in; the account and its data are kept and Enable-CCMobileWorker undoes it.</para>
    /// </summary>
    /// <example><code>Get-CCMobileWorker -UserName jdoe | Disable-CCMobileWorker</code><para>Deactivates one worker.</para></example>
    /// <example><code>Import-Csv leavers.csv | ForEach-Object { Get-CCMobileWorker -UserName $_.username } | Disable-CCMobileWorker</code><para>Deactivates the workers listed in a file.</para></example>
    [Cmdlet(VerbsLifecycle.Disable, "CCMobileWorker", SupportsShouldProcess = true)]
    [OutputType(typeof(void))]
    public sealed class DisableCCMobileWorkerCommand : CCMobileWorkerActionCmdlet
    {
        internal override string ActionText => "Deactivate mobile worker";
        internal override WorkerAction Action => WorkerAction.Deactivate;
    }

    /// <summary>
    /// <para type="synopsis">Sends mobile workers an e-mail to reset their password.</para>
    /// <para type="description">The worker must have an e-mail address and be active. Each call sends one e-mail, so it is never retried after a lost answer.</para>
    /// </summary>
    /// <example><code>Get-CCMobileWorker -UserName jdoe | Send-CCMobileWorkerPasswordReset</code><para>Sends one reset e-mail.</para></example>
    /// <example><code>Get-CCMobileWorker -Group $g.Id | Send-CCMobileWorkerPasswordReset -WhatIf</code><para>Shows which workers of a group would get a reset e-mail.</para></example>
    [Cmdlet(VerbsCommunications.Send, "CCMobileWorkerPasswordReset", SupportsShouldProcess = true)]
    [OutputType(typeof(void))]
    public sealed class SendCCMobileWorkerPasswordResetCommand : CCMobileWorkerActionCmdlet
    {
        internal override string ActionText => "Send password reset e-mail";
        internal override WorkerAction Action => WorkerAction.PasswordReset;
    }
}
