using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using CommCare.Client.Api;
using CommCare.Client.Paging;
using CommCare.Client.Tables;
using CommCare.Models;

namespace CommCare.PowerShell.Cmdlets
{
    /// <summary>What Export-CCForm and Export-CCCase share: the files, the checkpoint, the walk and its progress.</summary>
    public abstract class CCTableExportCmdlet : CCSessionCmdlet
    {
        private static int _activityIds = 5000;
        private readonly int _activityId = System.Threading.Interlocked.Increment(ref _activityIds);

        /// <summary>The file to write (.csv, .xlsx or .json), or a folder with -Format (one file per form or case type). Repeat groups go to files beside a CSV ("visits.members.csv"), to extra sheets of a workbook, and stay nested in JSON.</summary>
        [Parameter(Mandatory = true)] [ValidateNotNullOrEmpty] public string Path { get; set; } = "";
        /// <summary>The format of the files in a -Path folder (with a file name, its extension decides).</summary>
        [Parameter] [ValidateSet("Csv", "Xlsx", "Json")] public string? Format { get; set; }
        /// <summary>Replace existing files (each is replaced only when the new one is complete).</summary>
        [Parameter] public SwitchParameter Force { get; set; }
        /// <summary>A file that remembers where the export ended: the next run with the same file and filters adds only what was indexed since to the existing files (an edited form or updated case appears again, as a new row with its new values).</summary>
        [Parameter] [ValidateNotNullOrEmpty] public string? Checkpoint { get; set; }
        /// <summary>Write CSV cells as they are, even ones a spreadsheet would run as a formula (by default a cell starting with =, +, -, @, tab or carriage return gets a leading ' so it shows as text).</summary>
        [Parameter] public SwitchParameter NoFormulaEscape { get; set; }
        /// <summary>Write the files (FileInfo) to the pipeline.</summary>
        [Parameter] public SwitchParameter PassThru { get; set; }

        private bool _skip;

        private protected TableExport OpenExport(CCCheckpoint? checkpoint)
        {
            string path = ResolveOutputPath(Path);
            // The parameter is a string: a Client type in a cmdlet's public signature would load the Client early.
            TableFormat? format = Format == null ? (TableFormat?)null : (TableFormat)Enum.Parse(typeof(TableFormat), Format, ignoreCase: true);
            try { return new TableExport(path, format, Force, append: checkpoint?.ResumeFrom != null, escapeFormulas: !NoFormulaEscape); }
            catch (CCApiException ex) { ThrowParameterError(nameof(Path), ex.Message.StartsWith("-Path: ", StringComparison.Ordinal) ? ex.Message.Substring(7) : ex.Message, Path); throw; }
        }

        /// <summary>Checks the targets before any record is read; in an incremental run, loads the rows already exported.</summary>
        private protected void Prepare(TableExport export, IReadOnlyList<TableDef> tables, string typeParameter, CCCheckpoint? checkpoint)
        {
            try
            {
                export.Check(tables, typeParameter);
                // -WhatIf: the structure was read (nothing changes by reading); no record is fetched, no file written.
                if (!ShouldProcess(string.Join(", ", export.Files(tables)), export.Append ? "Add new rows to" : "Write")) { _skip = true; return; }
                if (export.Append)
                {
                    var missing = tables.Count > 0 ? export.FileOf(tables[0], tables) : null;
                    if (missing != null && !File.Exists(missing))
                        ThrowParameterError(nameof(Checkpoint), $"'{Checkpoint}' says an earlier run exported up to {checkpoint!.ResumeFrom:o}, but '{missing}' is not there: continuing would leave out what that run wrote. Restore the file, or delete the checkpoint file to export everything again.", Checkpoint);
                    export.LoadExisting(tables);
                }
            }
            catch (CCApiException ex) { ThrowParameterError(nameof(Path), ex.Message.StartsWith("-Path: ", StringComparison.Ordinal) ? ex.Message.Substring(7) : ex.Message, Path); }
            catch (IOException ex) { ThrowParameterError(nameof(Path), ex.Message, Path); }
        }

        /// <summary>Walks the records into the files; the checkpoint is saved only once every file is in place.</summary>
        private protected void Run<T>(CCPagedResult<T> records, Func<T, TableRecord> flatten, TableExport export, Func<IReadOnlyList<TableDef>> tables, CCCheckpoint? checkpoint, string activity, string noun)
        {
            if (_skip) { export.Dispose(); checkpoint?.Dispose(); return; }
            var sw = System.Diagnostics.Stopwatch.StartNew();
            long n;
            try
            {
                n = TableExporter.Run(records, flatten, export, checkpoint, count =>
                {
                    Flush();
                    var total = records.Status.TotalCount;
                    double rate = count / Math.Max(0.001, sw.Elapsed.TotalSeconds);
                    string text = total is long t && t > 0
                        ? string.Format(CultureInfo.InvariantCulture, "{0:N0} of {1:N0} {2}, {3:N0}/s", count, t, noun, rate)
                        : string.Format(CultureInfo.InvariantCulture, "{0:N0} {1}, {2:N0}/s", count, noun, rate);
                    WriteProgress(new ProgressRecord(_activityId, activity, text) { PercentComplete = total is long tt && tt > 0 ? (int)Math.Min(100, count * 100 / tt) : -1 });
                });
                Flush();
                double walked = sw.Elapsed.TotalSeconds;
                WriteProgress(new ProgressRecord(_activityId, activity, "Writing the files") { PercentComplete = -1 });
                var files = export.Complete(tables());
                checkpoint?.Compact();
                WriteProgress(new ProgressRecord(_activityId, activity, "Done") { RecordType = ProgressRecordType.Completed });
                var rows = tables().SelectMany(t => t.SelfAndDescendants()).Select(t => $"{t.Name}: {t.RowCount:N0} row(s)");
                WriteVerbose(string.Format(CultureInfo.InvariantCulture, "Exported {0:N0} {1} in {2:N1} s (reading {5:N1} s, writing the files {6:N1} s; {3}) to {4}.", n, noun, sw.Elapsed.TotalSeconds, string.Join(", ", rows), string.Join(", ", files), walked, sw.Elapsed.TotalSeconds - walked));
                if (PassThru) foreach (var f in files) WriteObject(new FileInfo(f));
            }
            catch (CCApiException ex) { Terminate(ex); }
            catch (AggregateException agg) when (agg.InnerException is CCApiException inner) { Terminate(inner); }
            catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested) { throw new PipelineStoppedException(); }
            catch (IOException ex) { ThrowParameterError(nameof(Path), ex.Message, Path); }
            finally { export.Dispose(); checkpoint?.Dispose(); }
        }

        private protected CCCheckpoint? OpenCheckpoint(Func<string, CCCheckpoint> open, string noun)
        {
            if (Checkpoint == null) return null;
            try
            {
                var cp = open(ResolveOutputPath(Checkpoint));
                if (cp.ResumeFrom != null) WriteVerbose($"Checkpoint '{Checkpoint}': adding {noun} indexed since {cp.ResumeFrom:o} to the existing files.");
                return cp;
            }
            catch (CCApiException ex) { Terminate(ex); return null; }
            catch (IOException ex) { ThrowParameterError(nameof(Checkpoint), ex.Message, Checkpoint); return null; }
        }

        private protected DateTime? Opt(string name, DateTime value) => ParameterSpecified(name) ? value : (DateTime?)null;
    }

    /// <summary>
    /// <para type="synopsis">Exports forms as flat tables (.csv, .xlsx, .json): one column per question, as CommCare HQ's own form export names them.</para>
    /// <para type="description">Columns are named as HQ's form export names them (number, formid, form.group.question, then completed_time, started_time, username, userID, received_on, …), so a workbook made here lines up with one downloaded from HQ. Every question of every build of the form (from the application structure) is a column from the first row, in the app's order; answers that no build lists (an old build, a case block) get their own columns after those. Repeat groups become tables of their own, with the form's formid and HQ's dotted row number (visits.csv + visits.members.csv, extra sheets in a workbook, nested arrays in JSON). Multi-select answers stay CommCare's space-separated text. Rows are written by the module's library straight from the pages, in constant memory; the files appear only when complete. With -Checkpoint, a later run adds only forms indexed since (an edited form appears again, as a new row with its new values). CSV cells a spreadsheet would run as a formula are written as text unless -NoFormulaEscape.</para>
    /// </summary>
    /// <example><code>Export-CCForm -Xmlns http://openrosa.org/formdesigner/FOLLOWUP -Path visits.xlsx</code><para>One form type to a workbook: a sheet for the forms and one per repeat group.</para></example>
    /// <example><code>Export-CCForm -AppId $app.Id -Path exports -Format Csv -PassThru</code><para>Every form type of an application into the folder "exports", one CSV file per form type and repeat group; -PassThru lists the files.</para></example>
    /// <example><code>Export-CCForm -Xmlns http://openrosa.org/formdesigner/FOLLOWUP -Path visits.csv -Checkpoint visits.cp</code><para>The first run writes every form; later runs with the same checkpoint add only what was indexed since.</para></example>
    [Cmdlet(VerbsData.Export, "CCForm", SupportsShouldProcess = true)]
    [OutputType(typeof(FileInfo))]
    public sealed class ExportCCFormCommand : CCTableExportCmdlet
    {
        /// <summary>Only forms of this form type (xmlns).</summary>
        [Parameter(Position = 0)] [ValidateNotNullOrEmpty] [ArgumentCompleter(typeof(XmlnsCompleter))] public string? Xmlns { get; set; }
        /// <summary>Only forms of this application (every form type of it).</summary>
        [Parameter] [Alias("app_id")] [ValidateNotNullOrEmpty] public string? AppId { get; set; }
        /// <summary>Forms received at or after this time.</summary>
        [Parameter] public DateTime ReceivedSince { get; set; }
        /// <summary>Forms received at or before this time.</summary>
        [Parameter] public DateTime ReceivedUntil { get; set; }
        /// <summary>Forms the server modified at or after this time.</summary>
        [Parameter] public DateTime ServerModifiedSince { get; set; }
        /// <summary>Forms the server modified at or before this time.</summary>
        [Parameter] public DateTime ServerModifiedUntil { get; set; }
        /// <summary>Forms indexed at or after this time.</summary>
        [Parameter] public DateTime IndexedSince { get; set; }
        /// <summary>Forms indexed at or before this time.</summary>
        [Parameter] public DateTime IndexedUntil { get; set; }
        /// <summary>Archived forms too (their archived column is true).</summary>
        [Parameter] public SwitchParameter IncludeArchived { get; set; }
        /// <summary>Records per request, 1 to 1000 (default 1000).</summary>
        [Parameter] [ValidateRange(1, FormsApi.MaxPageSize)] public int PageSize { get; set; } = FormsApi.DefaultPageSize;

        protected override void ProcessRecord()
        {
            var client = new CommCareClient(ActiveSession, Sink, CancellationToken);
            var query = new FormQuery
            {
                Xmlns = Xmlns, AppId = AppId,
                ReceivedOnStart = Opt(nameof(ReceivedSince), ReceivedSince), ReceivedOnEnd = Opt(nameof(ReceivedUntil), ReceivedUntil),
                ServerModifiedOnStart = Opt(nameof(ServerModifiedSince), ServerModifiedSince), ServerModifiedOnEnd = Opt(nameof(ServerModifiedUntil), ServerModifiedUntil),
                IndexedOnStart = Opt(nameof(IndexedSince), IndexedSince), IndexedOnEnd = Opt(nameof(IndexedUntil), IndexedUntil),
                IncludeArchived = IncludeArchived, PageSize = PageSize,
            };
            var checkpoint = OpenCheckpoint(p => client.Forms.OpenCheckpoint(p, query), "forms");
            var export = OpenExport(checkpoint);
            FormTables tables;
            CCPagedResult<CCForm> forms;
            try
            {
                var only = Xmlns == null ? null : new HashSet<string>(StringComparer.Ordinal) { Xmlns };
                var apps = client.Applications.WithBuilds(AppId,
                    app => only == null || app.Modules.Any(m => m.Forms.Any(f => f.Xmlns != null && only.Contains(f.Xmlns))),
                    what => { Flush(); WriteVerbose($"Reading the structure of {what}."); });
                Flush();
                tables = FormTables.FromApplications(apps, only);
                tables.Seal();
                forms = client.Forms.List(query);
            }
            catch (CCApiException ex) { export.Dispose(); checkpoint?.Dispose(); Terminate(ex); return; }
            Prepare(export, tables.Tables, "-Xmlns", checkpoint);
            Run(forms, tables.Flatten, export, () => tables.Tables, checkpoint, "Export-CCForm", "forms");
        }
    }

    /// <summary>
    /// <para type="synopsis">Exports cases as flat tables (.csv, .xlsx, .json), with the columns of CommCare HQ's own case export.</para>
    /// <para type="description">One table per case type: number, caseid, name, the type's properties from the application structure (present from the first row), then HQ's system columns (case_type, closed, closed_by_user_id, closed_date, external_id, last_modified_by_user_id, last_modified_date, opened_by_user_id, opened_date, owner_id, server_last_modified_date), then indices.IDENTIFIER and properties no application lists. Streams in constant memory; the files appear only when complete. With -Checkpoint, later runs add only cases indexed since (an updated case appears again, as a new row).</para>
    /// </summary>
    /// <example><code>Export-CCCase -CaseType patient -Path patients.csv</code><para>Every patient case, one column per property.</para></example>
    /// <example><code>Export-CCCase -Path cases -Format Xlsx -Force -PassThru</code><para>Every case type into the folder "cases", one workbook per case type, replacing earlier files.</para></example>
    /// <example><code>Export-CCCase -CaseType patient -Path patients.csv -Checkpoint patients.cp</code><para>Incremental: later runs add what changed since.</para></example>
    [Cmdlet(VerbsData.Export, "CCCase", SupportsShouldProcess = true)]
    [OutputType(typeof(FileInfo))]
    public sealed class ExportCCCaseCommand : CCTableExportCmdlet
    {
        /// <summary>Only cases of this type.</summary>
        [Parameter(Position = 0)] [Alias("case_type", "Type")] [ValidateNotNullOrEmpty] [ArgumentCompleter(typeof(CaseTypeCompleter))] public string? CaseType { get; set; }
        /// <summary>Only cases owned by this user, group or location id.</summary>
        [Parameter] [Alias("owner_id")] [ValidateNotNullOrEmpty] public string? OwnerId { get; set; }
        /// <summary>Only closed cases (-Closed) or only open ones (-Closed:$false).</summary>
        [Parameter] public SwitchParameter Closed { get; set; }
        /// <summary>Cases indexed at or after this time.</summary>
        [Parameter] public DateTime IndexedSince { get; set; }
        /// <summary>Cases indexed at or before this time.</summary>
        [Parameter] public DateTime IndexedUntil { get; set; }
        /// <summary>Cases modified at or after this time.</summary>
        [Parameter] public DateTime ModifiedSince { get; set; }
        /// <summary>Cases modified at or before this time.</summary>
        [Parameter] public DateTime ModifiedUntil { get; set; }
        /// <summary>Records per request, 1 to 5000 (default 5000).</summary>
        [Parameter] [ValidateRange(1, CasesApi.MaxPageSize)] public int PageSize { get; set; } = CasesApi.DefaultPageSize;

        protected override void ProcessRecord()
        {
            var client = new CommCareClient(ActiveSession, Sink, CancellationToken);
            var query = new CaseQuery
            {
                CaseType = CaseType, OwnerId = OwnerId, Closed = ParameterSpecified(nameof(Closed)) ? Closed.IsPresent : (bool?)null,
                IndexedOnStart = Opt(nameof(IndexedSince), IndexedSince), IndexedOnEnd = Opt(nameof(IndexedUntil), IndexedUntil),
                DateModifiedStart = Opt(nameof(ModifiedSince), ModifiedSince), DateModifiedEnd = Opt(nameof(ModifiedUntil), ModifiedUntil),
                PageSize = PageSize,
            };
            var checkpoint = OpenCheckpoint(p => client.Cases.OpenCheckpoint(p, query), "cases");
            var export = OpenExport(checkpoint);
            CaseTables tables;
            CCPagedResult<CCCase> cases;
            try
            {
                var only = CaseType == null ? null : new HashSet<string>(StringComparer.Ordinal) { CaseType };
                tables = CaseTables.FromApplications(client.Applications.List(), only);
                if (CaseType != null) tables.Expect(CaseType);
                Flush();
                cases = client.Cases.List(query);
            }
            catch (CCApiException ex) { export.Dispose(); checkpoint?.Dispose(); Terminate(ex); return; }
            Prepare(export, tables.Tables, "-CaseType", checkpoint);
            Run(cases, tables.Flatten, export, () => tables.Tables, checkpoint, "Export-CCCase", "cases");
        }
    }

    /// <summary>
    /// <para type="synopsis">Turns forms or cases into the rows Export-CCForm and Export-CCCase write, as objects.</para>
    /// <para type="description">Each form gives a row for its form type's table and one row per repeat-group entry; each case a row for its case type's table. Every row has Table (the table's name) first, then the columns HQ's export names, all the table's columns present (empty when the record has no value). With a session, the application structure gives every question its column from the first row; answers it does not list are added as they appear.</para>
    /// </summary>
    /// <example><code>Get-CCForm -Xmlns http://openrosa.org/formdesigner/FOLLOWUP | ConvertTo-CCTable | Where-Object Table -NotLike '*.*' | Select-Object -First 3</code><para>The first three forms as flat rows (repeat rows have a dot in their table name).</para></example>
    /// <example><code>Get-CCCase -CaseType patient | ConvertTo-CCTable | Select-Object caseid, name, closed</code><para>Cases as flat rows with HQ's column names.</para></example>
    [Cmdlet(VerbsData.ConvertTo, "CCTable")]
    [OutputType(typeof(PSObject))]
    public sealed class ConvertToCCTableCommand : CCSessionCmdlet
    {
        /// <summary>Forms (Get-CCForm) or cases (Get-CCCase).</summary>
        [Parameter(Mandatory = true, ValueFromPipeline = true)] [ValidateNotNull] public PSObject InputObject { get; set; } = null!;

        private FormTables? _forms;
        private CaseTables? _cases;
        private readonly HashSet<string> _appsRead = new HashSet<string>(StringComparer.Ordinal);
        private CommCareClient? _client;

        protected override void ProcessRecord()
        {
            _client ??= new CommCareClient(ActiveSession, Sink, CancellationToken);
            try
            {
                switch (InputObject.BaseObject)
                {
                    case CCForm f:
                        if (_forms == null || (f.AppId != null && !_appsRead.Contains(f.AppId) && !_forms.Tables.Any(t => t.Source == f.Xmlns)))
                            _forms = FormsFor(f);
                        Write(_forms.Flatten(f));
                        break;
                    case CCCase c:
                        _cases ??= CaseTables.FromApplications(_client.Applications.List());
                        Write(_cases.Flatten(c));
                        break;
                    default:
                        WriteError(new ErrorRecord(new ArgumentException($"-InputObject: a {InputObject.BaseObject?.GetType().Name ?? "null"} is not a form or a case; pipe Get-CCForm or Get-CCCase."), "CommCare.InvalidArgument.InputObject", ErrorCategory.InvalidArgument, InputObject));
                        break;
                }
            }
            catch (CCApiException ex) { FailItem(ex, "Reading the application structure", InputObject); }
        }

        // The structure of the form's application (with its builds) is read once per application.
        private FormTables FormsFor(CCForm f)
        {
            var apps = new List<CCApplication>();
            if (f.AppId != null && _appsRead.Add(f.AppId))
                apps.AddRange(_client!.Applications.WithBuilds(f.AppId, _ => true));
            Flush();
            var t = _forms ?? new FormTables();
            t.AddApplications(apps);
            return t;
        }

        private void Write(TableRecord record)
        {
            WriteObject(Row(record.Main));
            foreach (var c in record.Children) WriteObject(Row(c));
        }

        private static PSObject Row(TableRow row)
        {
            var o = new PSObject();
            o.TypeNames.Insert(0, "CommCare.TableRow#" + row.Table.Name);
            o.Properties.Add(new PSNoteProperty("Table", row.Table.Name));
            var cols = row.Table.Columns;
            // Dates and booleans as the files have them (ISO 8601 UTC, true/false): Export-Csv of these rows then
            // writes what Export-CCForm writes, in any culture.
            for (int i = 0; i < cols.Count; i++)
            {
                var v = row.Get(i);
                o.Properties.Add(new PSNoteProperty(cols[i].Name, v is DateTime || v is bool ? TableExport.Text(v) : v));
            }
            return o;
        }
    }
}
