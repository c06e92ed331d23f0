using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using CommCare.Client.Api;
using CommCare.Models;

namespace CommCare.PowerShell.Cmdlets
{
    /// <summary>
    /// <para type="synopsis">Gets lookup tables (fixtures): tags, fields and whether they are global.</para>
    /// <para type="description">Lists every lookup table of the project, or those whose tag matches (wildcards allowed).</para>
    /// </summary>
    /// <example><code>Get-CCLookupTable | Format-Table Tag, IsGlobal, Fields</code><para>Every table.</para></example>
    /// <example><code>Get-CCLookupTable -Tag facilities</code><para>One table.</para></example>
    [Cmdlet(VerbsCommon.Get, "CCLookupTable")]
    [OutputType(typeof(CCLookupTable))]
    public sealed class GetCCLookupTableCommand : CCSessionCmdlet
    {
        /// <summary>Only tables with this tag (wildcards allowed) or id.</summary>
        [Parameter(Position = 0)] [Alias("Table", "Id")] [SupportsWildcards] [ValidateNotNullOrEmpty] public string[]? Tag { get; set; }

        protected override void ProcessRecord()
        {
            Call(() =>
            {
                var tables = new CommCareClient(ActiveSession, Sink, CancellationToken).LookupTables.Tables();
                Flush();
                var matched = new HashSet<string>(StringComparer.Ordinal);
                foreach (var t in tables)
                {
                    if (Tag == null) { WriteObject(t); continue; }
                    foreach (var p in Tag)
                        if (t.Id == p || new WildcardPattern(p, WildcardOptions.IgnoreCase).IsMatch(t.Tag)) { matched.Add(p); WriteObject(t); break; }
                }
                if (Tag != null)
                    foreach (var p in Tag)
                        if (!WildcardPattern.ContainsWildcardCharacters(p) && !matched.Contains(p))
                            WriteItemError(new CCApiException(CCErrorKind.NotFound, $"Lookup table '{p}' was not found in project space '{ActiveSession.Domain}'."), p);
            });
        }
    }

    /// <summary>Finding the table a lookup cmdlet works on.</summary>
    public abstract class CCLookupCmdlet : CCSessionCmdlet
    {
        /// <summary>The table's tag or id, or null with the error written.</summary>
        protected CCLookupTable? FindTable(string tagOrId, string parameter)
        {
            CCLookupTable? t;
            t = Call(() => new CommCareClient(ActiveSession, Sink, CancellationToken).LookupTables.Find(tagOrId), tagOrId);
            Flush();
            if (t == null) WriteItemError(new CCApiException(CCErrorKind.NotFound, $"-{parameter}: lookup table '{tagOrId}' was not found in project space '{ActiveSession.Domain}'."), tagOrId);
            return t;
        }

        internal static Dictionary<string, string?> FieldMap(Hashtable fields)
        {
            var map = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (DictionaryEntry e in fields)
            {
                object? v = e.Value is PSObject p ? p.BaseObject : e.Value;
                map[e.Key?.ToString() ?? ""] = v == null ? null : Convert.ToString(v, CultureInfo.InvariantCulture);
            }
            return map;
        }
    }

    /// <summary>
    /// <para type="synopsis">Gets the rows of a lookup table.</para>
    /// <para type="description">Streams the rows of one or more tables. Fields holds each field's value (the first, when a field has several values with properties such as lang); FieldValues holds them all. The API cannot filter rows by table, so every row of the project is read and the others are dropped.</para>
    /// </summary>
    /// <example><code>Get-CCLookupTableItem -Table facilities | Where-Object { $_.Fields.level -eq 2 }</code><para>The level-2 facilities.</para></example>
    /// <example><code>Get-CCLookupTable | Get-CCLookupTableItem | Group-Object Table</code><para>Rows of every table, counted per table.</para></example>
    [Cmdlet(VerbsCommon.Get, "CCLookupTableItem")]
    [OutputType(typeof(CCLookupTableItem))]
    public sealed class GetCCLookupTableItemCommand : CCLookupCmdlet
    {
        /// <summary>The table's tag or id (binds from Get-CCLookupTable output).</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)] [Alias("Tag")] [ValidateNotNullOrEmpty] [ArgumentCompleter(typeof(LookupTableCompleter))] public string Table { get; set; } = "";

        protected override void ProcessRecord()
        {
            var t = FindTable(Table, nameof(Table));
            if (t == null) return;
            Call(() =>
            {
                foreach (var item in new CommCareClient(ActiveSession, Sink, CancellationToken).LookupTables.Items(new[] { t }, all: false))
                {
                    Flush();
                    WriteObject(item);
                }
            }, Table);
        }
    }

    /// <summary>
    /// <para type="synopsis">Adds rows to a lookup table.</para>
    /// <para type="description">Each -Fields hashtable (or piped row) becomes one row; field names must be the table's. A row add is not repeated after a lost answer (a second add would be a second row): check with Get-CCLookupTableItem, or use Import-CCLookupTable for bulk loads.</para>
    /// </summary>
    /// <example><code>New-CCLookupTableItem -Table facilities -Fields @{ name = 'Kisumu HC'; level = '3'; district = 'West'; code = 'FAC-100' }</code><para>One row.</para></example>
    /// <example><code>Import-Csv new-facilities.csv | ForEach-Object { New-CCLookupTableItem -Table facilities -Fields @{ name = $_.name; level = $_.level } }</code><para>Rows from a CSV file.</para></example>
    [Cmdlet(VerbsCommon.New, "CCLookupTableItem", SupportsShouldProcess = true)]
    [OutputType(typeof(CCLookupTableItem))]
    public sealed class NewCCLookupTableItemCommand : CCLookupCmdlet
    {
        /// <summary>The table's tag or id.</summary>
        [Parameter(Mandatory = true, Position = 0)] [ValidateNotNullOrEmpty] [ArgumentCompleter(typeof(LookupTableCompleter))] public string Table { get; set; } = "";
        /// <summary>Field values by field name.</summary>
        [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)] [ValidateNotNull] public Hashtable Fields { get; set; } = new Hashtable();

        private CCLookupTable? _table;

        protected override void ProcessRecord()
        {
            _table ??= FindTable(Table, nameof(Table));
            if (_table == null) return;
            if (!ShouldProcess(Table, "Add lookup table row")) return;
            try { var item = new CommCareClient(ActiveSession, Sink, CancellationToken).LookupTables.AddItem(_table, FieldMap(Fields)); Flush(); WriteObject(item); }
            catch (CCApiException ex) { FailItem(ex, $"A row was not added to lookup table '{Table}'", Fields); }
        }
    }

    /// <summary>
    /// <para type="synopsis">Changes lookup table rows.</para>
    /// <para type="description">Changes each row given by id (rows from Get-CCLookupTableItem bind by Id and Table). With -Fields the row's fields are replaced: fields not given are emptied, as the API replaces the row. From a CSV made by Get-CCLookupTableItem | Export-Csv, the field.NAME columns are merged into the row's current fields instead, and a row whose fields already hold those values is not written at all, so a round trip changes nothing and an edited cell changes that field. Rows with translated values (several values of one field, see FieldValues) are refused from a CSV, since the API would drop the translations: use Export-CCLookupTable and Import-CCLookupTable for those.</para>
    /// </summary>
    /// <example><code>$r = Get-CCLookupTableItem -Table facilities | Where-Object { $_.Fields.code -eq 'FAC-001' }; $f = @{} + $r.Fields; $f.level = '4'; $r | Set-CCLookupTableItem -Fields $f</code><para>Changes one value of one row.</para></example>
    /// <example><code>Set-CCLookupTableItem -Table facilities -Id $rowId -Fields @{ name = 'Kisumu HC'; level = '3'; district = 'West'; code = 'FAC-100' }</code><para>Replaces one row's fields.</para></example>
    /// <example><code>Get-CCLookupTableItem -Table facilities | Export-Csv facilities.csv
    /// # edit the field.level cells, then:
    /// Import-Csv facilities.csv | Set-CCLookupTableItem</code><para>Edits rows in a spreadsheet; only the changed rows are written.</para></example>
    [Cmdlet(VerbsCommon.Set, "CCLookupTableItem", SupportsShouldProcess = true)]
    [OutputType(typeof(CCLookupTableItem))]
    public sealed class SetCCLookupTableItemCommand : CCLookupCmdlet
    {
        /// <summary>The row's id.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)] [ValidateNotNullOrEmpty] public string Id { get; set; } = "";
        /// <summary>The table's tag or id.</summary>
        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)] [ValidateNotNullOrEmpty] public string Table { get; set; } = "";
        /// <summary>The row's field values by field name (replaces the row's fields). Without it, field.NAME columns of a piped row are merged into the row.</summary>
        [Parameter] [ValidateNotNull] public Hashtable? Fields { get; set; }
        /// <summary>The pipeline row itself (a CSV row): read for field.NAME columns.</summary>
        [Parameter(ValueFromPipeline = true, DontShow = true)] public PSObject? InputObject { get; set; }

        private readonly Dictionary<string, Dictionary<string, CCLookupTableItem>> _rows = new Dictionary<string, Dictionary<string, CCLookupTableItem>>(StringComparer.Ordinal);

        protected override void ProcessRecord()
        {
            var t = FindTable(Table, nameof(Table));
            if (t == null) return;
            var api = new CommCareClient(ActiveSession, Sink, CancellationToken).LookupTables;
            try
            {
                Dictionary<string, string?> wanted;
                if (Fields != null) wanted = FieldMap(Fields);
                else
                {
                    WarnUnboundColumns(InputObject, typeof(CCLookupTableItem), "field.");
                    var given = new Dictionary<string, string?>(StringComparer.Ordinal);
                    if (InputObject?.BaseObject is PSCustomObject)
                        foreach (var p in InputObject.Properties)
                            if (p is PSNoteProperty && p.Name.StartsWith("field.", StringComparison.OrdinalIgnoreCase) && p.Name.Length > 6)
                                given[p.Name.Substring(6)] = p.Value?.ToString();
                    if (given.Count == 0) { ThrowParameterError(nameof(Fields), "nothing to change: give -Fields @{ name = 'value' }, or pipe rows with field.NAME columns (a CSV from Get-CCLookupTableItem)."); return; }
                    var current = Row(api, t, Id) ?? throw new CCApiException(CCErrorKind.NotFound, $"Lookup table row {Id} was not found in table '{t.Tag}'.");
                    wanted = new Dictionary<string, string?>(current.Fields, StringComparer.Ordinal);
                    foreach (var kv in given) wanted[kv.Key] = kv.Value;
                    if (wanted.Count == current.Fields.Count && wanted.All(kv => current.Fields.TryGetValue(kv.Key, out var now) && (now ?? "") == (kv.Value ?? "")))
                    {
                        WriteVerbose($"Lookup table row {Id}: nothing to change.");
                        return;
                    }
                    if (current.FieldValues.Values.Any(v => v.Count > 1 || v.Any(x => x.Properties.Count > 0)))
                        throw new CCApiException(CCErrorKind.InvalidArgument, $"Lookup table row {Id} has translated values (see its FieldValues); writing it from field.NAME columns would drop them. Change it with Export-CCLookupTable and Import-CCLookupTable.");
                }
                if (!ShouldProcess(Id, "Change lookup table row")) return;
                var item = api.SetItem(t, Id, wanted);
                Flush();
                WriteObject(item);
            }
            catch (CCApiException ex) { FailItem(ex, $"Lookup table row {Id} was not changed", Id); }
        }

        /// <summary>The row as the server has it (the table's rows are read once per command).</summary>
        private CCLookupTableItem? Row(LookupTablesApi api, CCLookupTable t, string id)
        {
            if (!_rows.TryGetValue(t.Id, out var rows))
            {
                rows = new Dictionary<string, CCLookupTableItem>(StringComparer.Ordinal);
                foreach (var item in api.Items(new[] { t }, all: false)) rows[item.Id] = item;
                _rows[t.Id] = rows;
            }
            return rows.TryGetValue(id, out var r) ? r : null;
        }
    }

    /// <summary>
    /// <para type="synopsis">Deletes lookup table rows.</para>
    /// <para type="description">Deletes each row by id. Asks for confirmation unless -Confirm:$false.</para>
    /// </summary>
    /// <example><code>Get-CCLookupTableItem -Table facilities | Where-Object { $_.Fields.level -eq '5' } | Remove-CCLookupTableItem</code><para>Deletes the level-5 rows, asking for each.</para></example>
    /// <example><code>Remove-CCLookupTableItem -Id $rowId -Confirm:$false</code><para>Deletes one row without asking.</para></example>
    [Cmdlet(VerbsCommon.Remove, "CCLookupTableItem", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
    [OutputType(typeof(void))]
    public sealed class RemoveCCLookupTableItemCommand : CCLookupCmdlet
    {
        /// <summary>The row's id (binds from Get-CCLookupTableItem output).</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)] [ValidateNotNullOrEmpty] public string Id { get; set; } = "";

        protected override void ProcessRecord()
        {
            if (!ShouldProcess(Id, "Delete lookup table row")) return;
            try { new CommCareClient(ActiveSession, Sink, CancellationToken).LookupTables.RemoveItem(Id); Flush(); }
            catch (CCApiException ex) { FailItem(ex, $"Lookup table row {Id} was not deleted", Id); }
        }
    }

    /// <summary>
    /// <para type="synopsis">Exports lookup tables to an Excel workbook in CommCare's upload layout.</para>
    /// <para type="description">Writes a "types" sheet and one sheet per table (UID, Delete(Y/N), one column per field value), ready to edit and load back with Import-CCLookupTable. Rows keep their UIDs, so an edited workbook updates rows in place. Row ownership (users, groups, locations) is not available through the API and is not in the workbook.</para>
    /// </summary>
    /// <example><code>Export-CCLookupTable -Table facilities -Path facilities.xlsx</code><para>One table.</para></example>
    /// <example><code>Export-CCLookupTable -Path all-tables.xlsx</code><para>Every table.</para></example>
    [Cmdlet(VerbsData.Export, "CCLookupTable", SupportsShouldProcess = true)]
    [OutputType(typeof(FileInfo))]
    public sealed class ExportCCLookupTableCommand : CCLookupCmdlet
    {
        /// <summary>Replace the file if it exists (it is swapped in only once complete); without it an existing file is kept.</summary>
        [Parameter] public SwitchParameter Force { get; set; }
        /// <summary>Tags or ids of the tables (default: every table).</summary>
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)] [Alias("Tag")] [ValidateNotNullOrEmpty] [ArgumentCompleter(typeof(LookupTableCompleter))] public string[]? Table { get; set; }
        /// <summary>The .xlsx file to write.</summary>
        [Parameter(Mandatory = true)] [ValidateNotNullOrEmpty] public string Path { get; set; } = "";

        private readonly List<string> _wanted = new List<string>();

        protected override void ProcessRecord() { if (Table != null) _wanted.AddRange(Table); }

        protected override void EndProcessing()
        {
            string file = ResolveOutputFile(nameof(Path), Path, Force);
            if (!file.EndsWith(".xlsx", StringComparison.OrdinalIgnoreCase)) ThrowParameterError(nameof(Path), $"'{Path}' must end in .xlsx.", Path);
            var api = new CommCareClient(ActiveSession, Sink, CancellationToken).LookupTables;
            try
            {
                var all = api.Tables();
                var tables = new List<CCLookupTable>();
                foreach (var w in _wanted)
                {
                    var t = FindIn(all, w);
                    if (t == null) ThrowParameterError(nameof(Table), $"lookup table '{w}' was not found in project space '{ActiveSession.Domain}'.", w);
                    else if (!tables.Contains(t)) tables.Add(t);
                }
                if (_wanted.Count == 0) tables.AddRange(all);
                if (tables.Count == 0) ThrowParameterError(nameof(Table), $"project space '{ActiveSession.Domain}' has no lookup tables.");
                if (!ShouldProcess(file, "Export lookup tables")) return;
                string tmp = file + "." + Guid.NewGuid().ToString("N").Substring(0, 8) + ".partial";
                long rows;
                try
                {
                    using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write)) rows = api.Export(tables, fs);
                    if (File.Exists(file)) File.Delete(file);
                    File.Move(tmp, file);
                }
                finally { if (File.Exists(tmp)) File.Delete(tmp); }
                Flush();
                WriteVerbose($"Wrote {tables.Count} table(s), {rows} row(s) to {file}.");
                WriteWarning("Row ownership (users, groups, locations) is not available through the API, so the workbook has no ownership columns. Loading it back with Import-CCLookupTable -Replace would leave the rows without owners; without -Replace rows are updated by UID.");
                WriteObject(new FileInfo(file));
            }
            catch (CCApiException ex) { Terminate(ex, Path); }
            base.EndProcessing();
        }

        private static CCLookupTable? FindIn(IReadOnlyList<CCLookupTable> all, string w)
        {
            foreach (var t in all) if (t.Id == w || t.Tag == w) return t;
            return null;
        }
    }

    /// <summary>
    /// <para type="synopsis">Loads lookup tables from an Excel workbook (CommCare's upload layout).</para>
    /// <para type="description">Uploads the workbook and follows the upload to the end with progress. Without -Replace, rows with a UID are updated in place and rows without one are added (so running it twice adds them twice); with -Replace, each table in the workbook is emptied first and loaded from the file (safe to repeat). Warnings about rows (unknown users, groups or locations) come out as warnings; a workbook CommCare refuses is an error and changes nothing. Before anything is sent, each table sheet's headers are checked against the spellings CommCare's own download and upload use ('UID', 'Delete(Y/N)'): a column that looks like the row id or the delete flag but is spelled otherwise is refused, naming it, because CommCare would add every row again (or keep rows marked for deletion). A sheet with no UID column gets a warning without -Replace. A workbook from Export-CCLookupTable has no ownership columns (the API does not give them): with -Replace its rows are loaded without owners.</para>
    /// </summary>
    /// <example><code>Import-CCLookupTable -Path facilities.xlsx -Replace</code><para>Replaces the tables in the workbook with its contents.</para></example>
    /// <example><code>
    /// Export-CCLookupTable -Table facilities -Path f.xlsx
    /// # ... edit f.xlsx in Excel, then:
    /// Import-CCLookupTable -Path f.xlsx
    /// </code><para>A round trip: edited rows are updated in place by their UIDs.</para></example>
    [Cmdlet(VerbsData.Import, "CCLookupTable", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(CCLookupTableImport))]
    public sealed class ImportCCLookupTableCommand : CCSessionCmdlet
    {
        /// <summary>The .xlsx workbook.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)] [Alias("FullName")] [ValidateNotNullOrEmpty] public string Path { get; set; } = "";
        /// <summary>Empty each table in the workbook before loading it.</summary>
        [Parameter] public SwitchParameter Replace { get; set; }
        /// <summary>How long to follow the upload (default 1 hour).</summary>
        [Parameter] [ValidateRange(1, 86400)] public int TimeoutSeconds { get; set; } = 3600;

        protected override void ProcessRecord()
        {
            string? file = ResolveInputFile(nameof(Path), Path);
            if (file == null) return;
            if (!file.EndsWith(".xlsx", StringComparison.OrdinalIgnoreCase)) { WriteItemError(new CCApiException(CCErrorKind.InvalidArgument, $"-Path: '{Path}' is not an .xlsx workbook (CommCare's lookup table upload reads .xlsx only)."), Path); return; }
            byte[] bytes = File.ReadAllBytes(file);
            if (bytes.Length == 0) { WriteItemError(new CCApiException(CCErrorKind.InvalidArgument, $"-Path: '{Path}' is empty."), Path); return; }
            var check = LookupTablesApi.CheckWorkbook(bytes, Replace);
            if (check?.Problem != null) { WriteItemError(new CCApiException(CCErrorKind.InvalidArgument, $"-Path: '{Path}', {check.Value.Problem} Nothing was uploaded."), Path); return; }
            if (!ShouldProcess(file, Replace ? "Replace lookup tables from workbook" : "Load lookup tables from workbook")) return;
            if (check != null) foreach (var w in check.Value.Warnings) WriteWarning($"{System.IO.Path.GetFileName(file)}: {w}");
            int id = new Random().Next(1000, int.MaxValue);
            try
            {
                var result = new CommCareClient(ActiveSession, Sink, CancellationToken).LookupTables.Upload(bytes, System.IO.Path.GetFileName(file), Replace, null, TimeSpan.FromSeconds(TimeoutSeconds));
                Flush();
                foreach (var w in result.Warnings) WriteWarning($"{System.IO.Path.GetFileName(file)}: {w}");
                WriteObject(result);
            }
            catch (CCApiException ex) { FailItem(ex, $"Lookup tables were not loaded from {Path}", Path); }
            catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested) { throw new PipelineStoppedException(); }
            finally { WriteProgress(new ProgressRecord(id, "Import-CCLookupTable", "Done") { RecordType = ProgressRecordType.Completed }); }
        }
    }
}
