using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using CommCare.Client.Api;
using CommCare.Models;

namespace CommCare.PowerShell.Cmdlets
{
    /// <summary>Following a bulk case import to its end.</summary>
    public abstract class CCCaseImportCmdlet : CCSessionCmdlet
    {
        /// <summary>Polls until the import ends (or the timeout), with progress; reports row errors and failure.</summary>
        protected void Follow(Func<CCCaseImport, CCCaseImport> status, CCCaseImport import, TimeSpan timeout)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            int id = new Random().Next(1000, int.MaxValue);
            var wait = TimeSpan.FromMilliseconds(500);
            try
            {
                while (true)
                {
                    import = Call(() => status(import), import.StatusUrl);
                    Flush();
                    if (import.State == CCCaseImportState.Completed || import.State == CCCaseImportState.Failed) break;
                    WriteProgress(new ProgressRecord(id, "Import-CCCaseData", import.State == CCCaseImportState.Queued ? "Queued" : "Importing")
                        { PercentComplete = Math.Max(0, Math.Min(100, import.PercentComplete ?? 0)) });
                    if (clock.Elapsed > timeout)
                    {
                        WriteWarning($"The import is still {import.State.ToString().ToLowerInvariant()} after {timeout.TotalSeconds:0} s; follow it with Get-CCCaseImport.");
                        WriteObject(import);
                        return;
                    }
                    if (CancellationToken.WaitHandle.WaitOne(wait)) throw new PipelineStoppedException();
                    if (wait < TimeSpan.FromSeconds(5)) wait = TimeSpan.FromMilliseconds(wait.TotalMilliseconds * 2);
                }
            }
            finally
            {
                WriteProgress(new ProgressRecord(id, "Import-CCCaseData", "Done") { RecordType = ProgressRecordType.Completed });
            }
            if (import.State == CCCaseImportState.Failed)
            {
                Terminate(new CCApiException(CCErrorKind.Server, $"CommCare's import of {import.FileName ?? "the workbook"} failed on the server (state 3); no result was reported. Check Data > Import Cases in CommCare before trying again."), import.StatusUrl);
                return;
            }
            WriteObject(import);
            foreach (var e in import.Errors)
                WriteItemError(new CCApiException(CCErrorKind.BadRequest,
                    $"Import of {import.FileName ?? "the workbook"}: {e.Title}{(e.Column == null ? "" : $" (column {e.Column})")}{(e.Rows.Count == 0 ? "" : " in rows " + string.Join(", ", e.Rows))}{(e.Description == null ? "" : ": " + e.Description)}", serverMessage: e.Description), e);
        }
    }

    /// <summary>
    /// <para type="synopsis">Imports cases from an Excel workbook or from pipeline objects (Bulk Upload Case Data API).</para>
    /// <para type="description">Uploads an .xlsx/.xls file, or builds a one-sheet workbook in memory from piped objects (one column per property, the first row the headers), then follows the import to the end with a progress bar and returns what it did. Row problems the importer reports come out as errors naming the rows, and so do rows it skipped without a reason (several cases matched, or a result the module does not know, or rows neither updated, created nor reported); a failed import is a terminating error. Rows are matched to cases by -SearchField (case_id or external_id) in -SearchColumn; -NameColumn is the case name; every other column becomes a property. An upload is never repeated automatically: each upload is a new import, and with -CreateNewCases running an import twice creates its new cases twice (match on external_id to make re-runs update instead). With -SearchField external_id, rows whose external id is blank are refused before anything is sent: CommCare may create a new case for each of them on every run, or skip them. Give every row an external id, or pass -CreateCaseForBlankExternalId to have a new case made for each such row (running the import again then makes those cases again).</para>
    /// </summary>
    /// <example><code>Import-CCCaseData -Path cases.xlsx -CaseType patient -SearchField external_id -CreateNewCases</code><para>Updates patients whose external id matches, creates the others.</para></example>
    /// <example><code>Import-Csv cases.csv | Import-CCCaseData -CaseType patient -SearchField external_id -CreateNewCases</code><para>The same from a CSV file: the workbook is built in memory.</para></example>
    /// <example><code>$import = Import-CCCaseData -Path big.xlsx -CaseType patient -NoWait; $import | Get-CCCaseImport</code><para>Starts an import and checks on it later.</para></example>
    [Cmdlet(VerbsData.Import, "CCCaseData", SupportsShouldProcess = true, DefaultParameterSetName = ParameterSets.Path)]
    [OutputType(typeof(CCCaseImport))]
    public sealed class ImportCCCaseDataCommand : CCCaseImportCmdlet
    {
        /// <summary>An .xlsx or .xls workbook (only its first sheet is read; name it something that is not a case type).</summary>
        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.Path, Position = 0)] [ValidateNotNullOrEmpty] public string Path { get; set; } = "";
        /// <summary>Rows to import (Import-Csv output, or any objects): each property is a column.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.Rows, ValueFromPipeline = true)] public PSObject? InputObject { get; set; }
        /// <summary>The case type of the imported cases.</summary>
        [Parameter(Mandatory = true)] [ValidateNotNullOrEmpty] [ArgumentCompleter(typeof(CaseTypeCompleter))] public string CaseType { get; set; } = "";
        /// <summary>How rows find their case: case_id (default) or external_id.</summary>
        [Parameter] [ValidateSet("case_id", "external_id")] public string SearchField { get; set; } = "case_id";
        /// <summary>The column holding the case_id / external_id (default: the column named like -SearchField).</summary>
        [Parameter] [ValidateNotNullOrEmpty] public string? SearchColumn { get; set; }
        /// <summary>The column holding the case name (default: name).</summary>
        [Parameter] [ValidateNotNullOrEmpty] public string? NameColumn { get; set; }
        /// <summary>Create a case for each row that matches none.</summary>
        [Parameter] public SwitchParameter CreateNewCases { get; set; }
        /// <summary>With -SearchField external_id and -CreateNewCases: send rows whose external id is blank, so that each makes a new case (without it such rows are refused, naming them). Every run makes those cases again.</summary>
        [Parameter] public SwitchParameter CreateCaseForBlankExternalId { get; set; }
        /// <summary>A note kept with the import in CommCare's history.</summary>
        [Parameter] public string? Comment { get; set; }
        /// <summary>Return as soon as the import is queued (follow it with Get-CCCaseImport).</summary>
        [Parameter] public SwitchParameter NoWait { get; set; }
        /// <summary>How long to follow the import before returning it still running (default 1 hour).</summary>
        [Parameter] [ValidateRange(1, 86400)] public int TimeoutSeconds { get; set; } = 3600;

        private readonly List<string> _headers = new List<string>();
        private readonly Dictionary<string, int> _column = new Dictionary<string, int>(StringComparer.Ordinal);
        private readonly List<object?[]> _rows = new List<object?[]>();
        private bool _tooMany;

        protected override void ProcessRecord()
        {
            if (ParameterSetName != ParameterSets.Rows || InputObject == null || _tooMany) return;
            // Whether the API path enforces 100,000 rows and 300 columns is unconfirmed: the module does (docs/commcare-api.md U33).
            if (_rows.Count >= 100000)
            {
                _tooMany = true;
                return;
            }
            var values = new List<KeyValuePair<string, string?>>();
            if (InputObject.BaseObject is System.Collections.IDictionary d)
                foreach (System.Collections.DictionaryEntry e in d) values.Add(new KeyValuePair<string, string?>(e.Key?.ToString() ?? "", CCCaseChangeCmdlet.ToCaseValue(e.Value)));
            else
                foreach (var p in InputObject.Properties)
                {
                    if (!(p is PSNoteProperty) && !(p is PSProperty)) continue;
                    object? v;
                    try { v = p.Value; } catch (GetValueException) { continue; }
                    values.Add(new KeyValuePair<string, string?>(p.Name, CCCaseChangeCmdlet.ToCaseValue(v)));
                }
            foreach (var kv in values)
                if (!_column.ContainsKey(kv.Key)) { _column[kv.Key] = _headers.Count; _headers.Add(kv.Key); }
            var row = new object?[_headers.Count];
            foreach (var kv in values) row[_column[kv.Key]] = string.IsNullOrEmpty(kv.Value) ? null : kv.Value;
            _rows.Add(row);
        }

        protected override void EndProcessing()
        {
            byte[] workbook;
            string fileName;
            int? rowCount = null;
            if (ParameterSetName == ParameterSets.Rows)
            {
                if (_tooMany) ThrowParameterError(nameof(InputObject), "more than 100,000 rows: CommCare's importer takes at most 100,000 rows per import; split the input.");
                if (_rows.Count == 0) ThrowParameterError(nameof(InputObject), "no rows came through the pipeline; nothing was imported.");
                if (_headers.Count > 300) ThrowParameterError(nameof(InputObject), $"{_headers.Count} columns: CommCare's importer takes at most 300.");
                foreach (var h in _headers)
                    if (CaseImportApi.HeaderProblem(h) is string problem) ThrowParameterError(nameof(InputObject), problem);
                CheckColumn(nameof(SearchColumn), SearchColumn ?? SearchField, SearchColumn != null);
                if (NameColumn != null) CheckColumn(nameof(NameColumn), NameColumn, true);
                workbook = CaseImportApi.BuildWorkbook(_headers, _rows);
                fileName = "cases.xlsx";
                rowCount = _rows.Count;
                if (SearchField == "external_id")
                {
                    int col = _column.TryGetValue(SearchColumn ?? SearchField, out int c) ? c : -1;
                    var blank = new List<int>();
                    for (int i = 0; i < _rows.Count; i++)
                        if (col < 0 || col >= _rows[i].Length || string.IsNullOrWhiteSpace(_rows[i][col]?.ToString())) blank.Add(i + 2);
                    CheckBlankExternalIds(nameof(InputObject), blank);
                }
            }
            else
            {
                string? file = ResolveInputFile(nameof(Path), Path);
                if (file == null) return;
                string ext = System.IO.Path.GetExtension(file).ToLowerInvariant();
                if (ext != ".xlsx" && ext != ".xls") ThrowParameterError(nameof(Path), $"'{Path}' is not an Excel workbook: CommCare imports .xlsx and .xls (for CSV, use Import-Csv ... | Import-CCCaseData).");
                workbook = File.ReadAllBytes(file);
                if (workbook.Length == 0) ThrowParameterError(nameof(Path), $"'{Path}' is empty.");
                fileName = System.IO.Path.GetFileName(file);
                // CommCare reads the first sheet: count its rows (to account for each in the result) and check blank ids.
                var sheets = ext == ".xlsx" ? Client.Excel.XlsxReader.TryRead(workbook) : null;
                if (sheets != null && sheets.Count > 0) rowCount = Math.Max(0, sheets[0].Rows.Count - 1);
                if (SearchField == "external_id")
                {
                    if (sheets == null || sheets.Count == 0)
                    {
                        if (!CreateCaseForBlankExternalId)
                            ThrowParameterError(nameof(Path), $"'{Path}' could not be read to check that every row has an external id (CommCare may make a new case for each blank one on every run). Save it as .xlsx, or pass -CreateCaseForBlankExternalId to accept that.");
                    }
                    else CheckBlankExternalIds(nameof(Path), CaseImportApi.BlankSearchRows(sheets[0], SearchColumn ?? SearchField));
                }
            }
            string what = rowCount.HasValue ? $"{rowCount} rows" : fileName;
            if (!ShouldProcess($"{what} as '{CaseType}' cases in project space '{ActiveSession.Domain}'", "Import cases")) return;
            if (CreateNewCases)
                WriteWarning(SearchField == "case_id"
                    ? "-CreateNewCases: rows without a matching case_id make new cases, and running this import again makes them again. To make re-runs update instead, give each row an external_id and use -SearchField external_id."
                    : "-CreateNewCases: rows whose external_id matches no case make new cases. Do not start this import again before it has finished, or the same cases can be made twice.");

            var client = new CommCareClient(ActiveSession, Sink, CancellationToken);
            var options = new CaseImportOptions { CaseType = CaseType, SearchField = SearchField, SearchColumn = SearchColumn, NameColumn = NameColumn, CreateNewCases = CreateNewCases, Comment = Comment };
            CCCaseImport import;
            import = Call(() => client.CaseImports.Upload(workbook, fileName, options), fileName);
            import.RowCount = rowCount;
            Flush();
            if (NoWait) { WriteObject(import); base.EndProcessing(); return; }
            Follow(i => client.CaseImports.Status(i), import, TimeSpan.FromSeconds(TimeoutSeconds));
            base.EndProcessing();
        }

        // A blank external id may make a new case on every run, or be skipped (docs/commcare-api.md U39).
        private void CheckBlankExternalIds(string parameter, List<int> blankRows)
        {
            if (CreateCaseForBlankExternalId && !CreateNewCases)
                ThrowParameterError(nameof(CreateCaseForBlankExternalId), "it needs -CreateNewCases: it asks for a new case for each row whose external id is blank.");
            if (blankRows.Count == 0) return;
            string rows = string.Join(", ", blankRows.GetRange(0, Math.Min(10, blankRows.Count))) + (blankRows.Count > 10 ? $" and {blankRows.Count - 10} more" : "");
            if (!CreateCaseForBlankExternalId)
                ThrowParameterError(parameter, $"{blankRows.Count} row(s) have a blank external id in column '{SearchColumn ?? SearchField}' (sheet rows {rows}). CommCare may create a new case for each of them on every run, or skip them; nothing was sent. Give each row an external id, or pass -CreateCaseForBlankExternalId -CreateNewCases to create one new case per such row.");
            WriteWarning($"-CreateCaseForBlankExternalId: {blankRows.Count} row(s) with a blank external id (sheet rows {rows}) each make a new case; running this import again makes them again.");
        }

        private void CheckColumn(string parameter, string column, bool given)
        {
            if (_column.ContainsKey(column)) return;
            if (given || CreateNewCases == false)
                ThrowParameterError(parameter, $"no column is named '{column}'; the columns are {string.Join(", ", _headers)}.");
        }

    }

    /// <summary>
    /// <para type="synopsis">Gets the status of a bulk case import.</para>
    /// <para type="description">Reads the import's status once (or follows it to the end with -Wait), from the object Import-CCCaseData -NoWait returned or from its status URL.</para>
    /// </summary>
    /// <example><code>$import = Import-CCCaseData -Path big.xlsx -CaseType patient -NoWait; $import | Get-CCCaseImport -Wait</code><para>Follows an import to the end.</para></example>
    /// <example><code>Get-CCCaseImport -StatusUrl $url</code><para>Checks one import.</para></example>
    [Cmdlet(VerbsCommon.Get, "CCCaseImport")]
    [OutputType(typeof(CCCaseImport))]
    public sealed class GetCCCaseImportCommand : CCCaseImportCmdlet
    {
        /// <summary>The status URL (binds from Import-CCCaseData output).</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)] [Alias("status_url")] [ValidateNotNullOrEmpty] public string StatusUrl { get; set; } = "";
        /// <summary>Follow the import until it ends.</summary>
        [Parameter] public SwitchParameter Wait { get; set; }
        /// <summary>With -Wait: how long to follow it (default 1 hour).</summary>
        [Parameter] [ValidateRange(1, 86400)] public int TimeoutSeconds { get; set; } = 3600;

        protected override void ProcessRecord()
        {
            var client = new CommCareClient(ActiveSession, Sink, CancellationToken);
            var import = new CCCaseImport { StatusUrl = StatusUrl };
            if (Wait) { Follow(i => client.CaseImports.Status(i), import, TimeSpan.FromSeconds(TimeoutSeconds)); return; }
            try { WriteObject(client.CaseImports.Status(import)); }
            catch (CCApiException ex) { FailItem(ex, "The import status was not read", StatusUrl); }
        }
    }
}
