using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using CommCare.Client.Api;
using CommCare.Models;

namespace CommCare.PowerShell.Cmdlets
{
    /// <summary>
    /// <para type="synopsis">Creates and updates mobile workers from CommCare HQ's bulk-upload file (.xlsx or .csv).</para>
    /// <para type="description">Reads the layout that HQ's "Download Mobile Workers" page writes and its bulk upload reads (sheet "users", else the first sheet): username, password, name, email, language, role, user_id, is_active, phone-number N, data: KEY, group N (group names) and location_code N (site codes); see docs/user-bulk-upload.md. A row with a user_id updates that worker, a row whose username exists updates it, any other row creates a worker. Updates send only the fields that differ from the server, so a file downloaded and imported again sends nothing. Every row is checked before anything is sent for it: phone numbers, group names, site codes, .NET type names in cells, user names and duplicates; a bad row is one non-terminating error naming the row and the column, and the rest carry on. A password cell of asterisks means "no change". The server ignores a bad role or location when it creates a worker, so such creates are read back and what was not set is an error for that row. The summary (created, updated, unchanged, failed) goes to the information stream; with -WhatIf it says what would happen and nothing is sent.</para>
    /// </summary>
    /// <example><code>Import-CCMobileWorker -Path .\workers-from-hq.xlsx -WhatIf</code><para>Checks a file downloaded from HQ and says how many workers would be created and updated; sends nothing.</para></example>
    /// <example><code>Import-CCMobileWorker -Path .\workers.csv -ErrorVariable bad
    /// $bad | ForEach-Object { $_.Exception.Message }</code><para>Imports a file, then lists each row that failed with the column at fault.</para></example>
    [Cmdlet(VerbsData.Import, "CCMobileWorker", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(PSObject))]
    public sealed class ImportCCMobileWorkerCommand : CCSessionCmdlet
    {
        /// <summary>The .xlsx or .csv file in HQ's mobile worker layout.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)] [Alias("FullName")] [ValidateNotNullOrEmpty] public string Path { get; set; } = "";

        protected override void ProcessRecord()
        {
            string? file = ResolveInputFile(nameof(Path), Path);
            if (file == null) return;
            string ext = System.IO.Path.GetExtension(file).ToLowerInvariant();
            if (ext != ".xlsx" && ext != ".csv") ThrowParameterError(nameof(Path), $"'{Path}' must be a .xlsx or .csv file in HQ's mobile worker layout.", Path);
            try { Run(file); }
            catch (CCApiException ex) { Terminate(ex, Path); }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException) { Terminate(new CCApiException(CCErrorKind.InvalidArgument, $"-Path: '{Path}' could not be read: {ex.Message}"), Path); }
        }

        private void Run(string file)
        {
            var sheet = UserBulkFile.Read(file);
            string? headerProblem = UserBulkImport.CheckHeaders(sheet.Headers);
            if (headerProblem != null) ThrowParameterError(nameof(Path), headerProblem, Path);
            var client = new CommCareClient(ActiveSession, Sink, CancellationToken);
            // One read of each list per run: the workers always, groups and locations only when the file names them.
            var existing = client.Users.LoadAll().Values;
            var groups = UserBulkImport.HasGroupColumns(sheet.Headers) ? client.Groups.List().ToList() : new List<CCGroup>();
            var locations = UserBulkImport.HasLocationColumns(sheet.Headers) ? client.Locations.List().ToList() : new List<CCLocation>();
            var import = new UserBulkImport(ActiveSession.Domain, sheet.Headers, existing, groups, locations);
            Flush();
            WriteVerbose($"{sheet.Rows.Count} rows in {(sheet.SheetName != null ? "sheet '" + sheet.SheetName + "' of " : "")}{file}.");

            int created = 0, updated = 0, unchanged = 0, failed = 0, declined = 0;
            bool whatIf = MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w) ? LanguagePrimitives.IsTrue(w) : LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"));
            int done = 0;
            foreach (var row in sheet.Rows)
            {
                if (++done % 10 == 0)
                    WriteProgress(new ProgressRecord(3003, "Import-CCMobileWorker", $"Row {done} of {sheet.Rows.Count}: {created} created, {updated} updated, {unchanged} unchanged, {failed} failed")
                    { PercentComplete = (int)(100L * done / sheet.Rows.Count) });
                var plan = import.Plan(row);
                switch (plan.Action)
                {
                    case UserRowAction.Failed:
                        failed++;
                        WriteRowError("InvalidRow", new CCApiException(CCErrorKind.InvalidArgument, plan.Error!), plan.Target);
                        continue;
                    case UserRowAction.Unchanged:
                        unchanged++;
                        WriteVerbose($"Row {plan.Row}: {plan.UserName} is unchanged.");
                        continue;
                }
                bool create = plan.Action == UserRowAction.Create;
                string what = create ? "Create mobile worker" : $"Update mobile worker ({string.Join(", ", plan.Changes)})";
                if (!ShouldProcess(plan.UserName, what))
                {
                    if (!whatIf) declined++;
                    else if (create) created++;
                    else updated++;
                    continue;
                }
                try
                {
                    string id = plan.Id ?? "";
                    if (create) id = client.Users.Create(plan.Spec!).Id;
                    else if (plan.Spec != null) client.Users.Update(id, plan.Spec);
                    if (plan.SetActive == true) client.Users.Activate(id);
                    else if (plan.SetActive == false) client.Users.Deactivate(id);
                    Flush();
                    if (create && UserBulkImport.NeedsReadBack(plan.Spec!) && client.Users.Get(id) is CCMobileWorker made
                        && UserBulkImport.NotApplied(made, plan.Spec!) is var missed && missed.Count > 0)
                    {
                        failed++;
                        WriteRowError("NotApplied", new CCApiException(CCErrorKind.BadRequest,
                            $"Row {plan.Row} ({plan.UserName}): the worker was created (id {id}), but the server did not set {string.Join(", ", missed)} " +
                            "(a role that does not exist, or a location whose level cannot have users?). Fix the row and import the file again: the row will then update this worker."), plan.Target);
                        continue;
                    }
                    if (create) created++; else updated++;
                    WriteObject(Result(plan.Row, create ? "Created" : "Updated", plan.UserName, id, plan.Changes));
                }
                catch (CCApiException ex)
                {
                    if (StopsCommand(ex)) Terminate(ex, Target(plan.Target));
                    failed++;
                    WriteRowError(ex.Kind == CCErrorKind.BadRequest ? "Rejected" : ex.Kind.ToString(),
                        new CCApiException(ex.Kind, $"Row {plan.Row} ({plan.UserName}): the worker was not {(create ? "created" : "updated")}: {ex.ServerMessage ?? ex.Message}", ex.StatusCode, ex.ServerMessage, ex.RequestPath, ex),
                        plan.Target);
                }
            }
            if (done >= 10) WriteProgress(new ProgressRecord(3003, "Import-CCMobileWorker", "Done") { RecordType = ProgressRecordType.Completed });
            if (import.IgnoredColumns.Count > 0)
                WriteWarning($"The column(s) {string.Join(", ", import.IgnoredColumns.Select(c => "'" + c + "'"))} have values that CommCare's API cannot set; they were not applied. Set them on HQ's web page, or remove the column(s).");
            string summary = whatIf
                ? $"Import-CCMobileWorker -WhatIf: {created} would be created, {updated} would be updated, {unchanged} unchanged, {failed} failed; nothing was sent."
                : $"Import-CCMobileWorker: {created} created, {updated} updated, {unchanged} unchanged, {failed} failed" + (declined > 0 ? $", {declined} skipped (not confirmed)." : ".");
            WriteInformation(summary, new[] { "PSHOST" });
        }

        // Plain types only in signatures: the cmdlet class must load without the Client assembly.
        private static PSObject Result(int row, string action, string? userName, string id, IReadOnlyList<string> changes)
        {
            var o = new PSObject();
            o.Properties.Add(new PSNoteProperty("Row", row));
            o.Properties.Add(new PSNoteProperty("Action", action));
            o.Properties.Add(new PSNoteProperty("UserName", userName));
            o.Properties.Add(new PSNoteProperty("Id", id));
            o.Properties.Add(new PSNoteProperty("Changes", changes.ToArray()));
            return o;
        }

        /// <summary>The row as an object, without its password: the error's TargetObject (so failed rows can be exported and fixed).</summary>
        private static PSObject Target(IReadOnlyList<KeyValuePair<string, string>> cells)
        {
            var o = new PSObject();
            foreach (var kv in cells) o.Properties.Add(new PSNoteProperty(kv.Key, kv.Value));
            return o;
        }

        private void WriteRowError(string reason, CCApiException ex, IReadOnlyList<KeyValuePair<string, string>> cells)
            => WriteRowError("CommCare.MobileWorker." + reason, ex, Target(cells));
    }

    /// <summary>
    /// <para type="synopsis">Writes every mobile worker to a file in CommCare HQ's bulk-upload layout (.xlsx or .csv).</para>
    /// <para type="description">Writes the columns HQ's "Download Mobile Workers" page writes, in HQ's order: username, password (always ********), name, email, language, role, user_id, is_active, the four read-only columns, phone-number 1..N, data: KEY (user data, natural order), group 1..N (group names) and location_code 1..N (site codes, primary first). A .xlsx gets HQ's two sheets, "users" and "groups"; a .csv holds the users sheet. The file can be uploaded on HQ's web page or given to Import-CCMobileWorker, and importing it unchanged sends nothing. The file is written to a temporary name and moved into place at the end; an existing file is kept unless -Force.</para>
    /// </summary>
    /// <example><code>Export-CCMobileWorker -Path .\workers.xlsx</code><para>Active and deactivated workers in the file HQ's bulk upload reads.</para></example>
    /// <example><code>Export-CCMobileWorker -Path .\workers.csv -Force
    /// # edit languages in Excel, then:
    /// Import-CCMobileWorker -Path .\workers.csv</code><para>A round trip that changes exactly the edited cells.</para></example>
    [Cmdlet(VerbsData.Export, "CCMobileWorker", SupportsShouldProcess = true)]
    [OutputType(typeof(FileInfo))]
    public sealed class ExportCCMobileWorkerCommand : CCSessionCmdlet
    {
        /// <summary>Write CSV cells as they are, even ones a spreadsheet would run as a formula (by default a cell starting with =, +, -, @, tab or carriage return gets a leading ' so it shows as text; Import-CCMobileWorker reads it back without it).</summary>
        [Parameter] public SwitchParameter NoFormulaEscape { get; set; }
        /// <summary>The .xlsx or .csv file to write.</summary>
        [Parameter(Mandatory = true, Position = 0)] [ValidateNotNullOrEmpty] public string Path { get; set; } = "";
        /// <summary>Replace the file if it exists.</summary>
        [Parameter] public SwitchParameter Force { get; set; }

        protected override void ProcessRecord()
        {
            string file = ResolveOutputFile(nameof(Path), Path, Force);
            string ext = System.IO.Path.GetExtension(file).ToLowerInvariant();
            if (ext != ".xlsx" && ext != ".csv") ThrowParameterError(nameof(Path), $"'{Path}' must end in .xlsx or .csv.", Path);
            if (!ShouldProcess(file, "Export mobile workers")) return;
            try
            {
                var client = new CommCareClient(ActiveSession, Sink, CancellationToken);
                var workers = client.Users.LoadAll().Values.ToList();
                var groups = client.Groups.List().ToList();
                var locations = workers.Any(w => w.Locations.Count > 0) ? client.Locations.List().ToList() : new List<CCLocation>();
                int n = UserBulkFile.Write(file, workers, groups, locations, overwrite: Force, escapeFormulas: !NoFormulaEscape);
                Flush();
                WriteVerbose($"Wrote {n} mobile workers to {file}.");
                WriteObject(new FileInfo(file));
            }
            catch (CCApiException ex) { Terminate(ex, Path); }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException) { Terminate(new CCApiException(CCErrorKind.InvalidArgument, $"-Path: '{file}' was not written: {ex.Message}{(File.Exists(file) && !Force ? " Use -Force to replace it." : "")}"), Path); }
        }
    }
}
