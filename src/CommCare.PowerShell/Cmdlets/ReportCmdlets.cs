using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using CommCare.Client.Api;
using CommCare.Models;

namespace CommCare.PowerShell.Cmdlets
{
    /// <summary>
    /// <para type="synopsis">Gets the project's configurable (UCR) reports, with their filters and columns.</para>
    /// <para type="description">Lists every report (user-built and static), or gets reports by id or by title (wildcards allowed). Each report lists its filters (slug, type, data type), which are the names Export-CCReport -Filter takes.</para>
    /// </summary>
    /// <example><code>Get-CCReport | Format-Table Id, Title</code><para>Every report.</para></example>
    /// <example><code>(Get-CCReport -Title 'Household*').Filters</code><para>The filters of the reports whose titles start with Household.</para></example>
    [Cmdlet(VerbsCommon.Get, "CCReport", DefaultParameterSetName = ParameterSets.List)]
    [OutputType(typeof(CCReport))]
    public sealed class GetCCReportCommand : CCSessionCmdlet
    {
        /// <summary>Report ids (by pipeline too).</summary>
        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.Id, Position = 0, ValueFromPipelineByPropertyName = true)] [Alias("ReportId")] [ValidateNotNullOrEmpty]
        public string[] Id { get; set; } = Array.Empty<string>();
        /// <summary>Only reports whose title matches (wildcards allowed).</summary>
        [Parameter(ParameterSetName = ParameterSets.List, Position = 0)] [SupportsWildcards] [ValidateNotNullOrEmpty] public string? Title { get; set; }

        protected override void ProcessRecord()
        {
            var reports = new CommCareClient(ActiveSession, Sink, CancellationToken).Reports;
            Call(() =>
            {
                var all = reports.List();
                Flush();
                if (ParameterSetName == ParameterSets.Id)
                {
                    foreach (var id in Id)
                    {
                        var r = FindById(all, id);
                        if (r != null) WriteObject(r);
                        else WriteItemError(new CCApiException(CCErrorKind.NotFound, $"Report '{id}' was not found in project space '{ActiveSession.Domain}'."), id);
                    }
                    return;
                }
                var pattern = Title == null ? null : new WildcardPattern(Title, WildcardOptions.IgnoreCase);
                foreach (var r in all) if (pattern == null || pattern.IsMatch(r.Title ?? "")) WriteObject(r);
            });
        }

        private static CCReport? FindById(IReadOnlyList<CCReport> all, string id)
        {
            foreach (var r in all) if (r.Id == id) return r;
            return null;
        }
    }

    /// <summary>
    /// <para type="synopsis">Exports a report's data: as objects, or streamed to a .csv, .xlsx or .json file.</para>
    /// <para type="description">Pages through the report 50 rows a call (the server's maximum) with progress. Without -Path each row is an object whose properties are the column headers (expanded columns included). With -Path the rows are streamed to the file as they arrive, so memory stays flat for any report size; the file only appears, complete, at the end. -Filter takes the report's filter slugs: a choice list with one or several values, a date filter as a start and an end, a numeric filter as '>=18' (or @{ operator = '>='; operand = 18 }). Unknown filter names are refused before any data is asked for.</para>
    /// </summary>
    /// <example><code>Export-CCReport -ReportId $id -Filter @{ district = 'North','South'; visit_date = '2026-01-01','2026-06-30' }</code><para>The rows of two districts in the first half of 2026, as objects.</para></example>
    /// <example><code>Export-CCReport -ReportId $id -Path district.xlsx -PassThru</code><para>Streams the whole report to an Excel file and returns the file.</para></example>
    /// <example><code>Export-CCReport -ReportId $id -Filter @{ age = '>=18' } -Path adults.csv</code><para>A numeric filter, to CSV.</para></example>
    [Cmdlet(VerbsData.Export, "CCReport", SupportsShouldProcess = true)]
    [OutputType(typeof(PSObject), typeof(FileInfo))]
    public sealed class ExportCCReportCommand : CCSessionCmdlet
    {
        /// <summary>Write CSV cells as they are, even ones a spreadsheet would run as a formula (by default a cell starting with =, +, -, @, tab or carriage return gets a leading ' so it shows as text).</summary>
        [Parameter] public SwitchParameter NoFormulaEscape { get; set; }
        /// <summary>The report (binds from Get-CCReport output).</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)] [Alias("Id")] [ValidateNotNullOrEmpty] [ArgumentCompleter(typeof(ReportIdCompleter))] public string ReportId { get; set; } = "";
        /// <summary>Filter values by slug, e.g. @{ district = 'North','South'; visit_date = '2026-01-01','2026-06-30'; age = '>=18' }.</summary>
        [Parameter] public Hashtable? Filter { get; set; }
        /// <summary>A .csv, .xlsx or .json file to stream the rows to (an existing file is kept unless -Force).</summary>
        [Parameter] [ValidateNotNullOrEmpty] public string? Path { get; set; }
        /// <summary>With -Path: return the file.</summary>
        [Parameter] public SwitchParameter PassThru { get; set; }
        /// <summary>With -Path: replace the file if it exists (it is swapped in only once complete).</summary>
        [Parameter] public SwitchParameter Force { get; set; }
        /// <summary>With -Path: keep an existing file (what happens anyway without -Force; kept so older scripts still run).</summary>
        [Parameter] public SwitchParameter NoClobber { get; set; }
        /// <summary>Rows per request, 1 to 50.</summary>
        [Parameter] [ValidateRange(1, ReportsApi.MaxPageSize)] public int PageSize { get; set; } = ReportsApi.MaxPageSize;

        private readonly int _activityId = new Random().Next(1000, int.MaxValue);

        protected override void ProcessRecord()
        {
            string? file = null;
            if (Path != null)
            {
                file = ResolveOutputFile(nameof(Path), Path, Force && !NoClobber);
                if (CommCare.Client.Excel.TableFile.FormatOf(file) == null) ThrowParameterError(nameof(Path), $"'{Path}' must end in .csv, .xlsx or .json.", Path);
            }
            var client = new CommCareClient(ActiveSession, Sink, CancellationToken);
            CCReport? definition = null;
            ReportData data;
            try
            {
                var filters = new Dictionary<string, object?>(StringComparer.Ordinal);
                if (Filter != null)
                    foreach (DictionaryEntry e in Filter)
                        filters[e.Key?.ToString() ?? ""] = e.Value is PSObject p ? p.BaseObject : e.Value;
                // Static reports have no definition to check against; user reports do.
                if (filters.Count > 0 && !ReportId.StartsWith("static-", StringComparison.Ordinal)) definition = client.Reports.Get(ReportId);
                var query = ReportsApi.FilterQuery(filters, definition);
                if (file != null && !ShouldProcess(file, $"Export report {ReportId}")) return;
                data = client.Reports.Data(ReportId, query, PageSize);
            }
            catch (CCApiException ex) when (ex.Kind == CCErrorKind.InvalidArgument) { ThrowParameterError(nameof(Filter), ex.Message.StartsWith("-Filter: ", StringComparison.Ordinal) ? ex.Message.Substring(9) : ex.Message, Filter); return; }
            catch (CCApiException ex) { Terminate(ex, ReportId); return; }
            Flush();

            var headers = new List<string>();
            var keys = new List<string>();
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var c in data.Columns)
            {
                // Two columns with one header would collide as properties: the slug tells them apart.
                string h = seen.Add(c.Header) ? c.Header : c.Header + " (" + c.Slug + ")";
                seen.Add(h);
                headers.Add(h);
                keys.Add(c.Slug);
            }
            long total = data.TotalRecords ?? 0;
            try
            {
                if (file != null)
                {
                    long n = CommCare.Client.Excel.TableFile.Write(file, headers, keys, data, CommCare.Client.Excel.TableFile.SheetName(definition?.Title ?? "Report"), written => Progress(written, total), escapeFormulas: !NoFormulaEscape);
                    Flush();
                    WriteVerbose($"Wrote {n} rows of report {ReportId} to {file}.");
                    if (PassThru) WriteObject(new FileInfo(file));
                    return;
                }
                long count = 0;
                foreach (var row in data)
                {
                    var o = new PSObject();
                    for (int i = 0; i < keys.Count; i++)
                    {
                        row.TryGetValue(keys[i], out var v);
                        o.Properties.Add(new PSNoteProperty(headers[i], v));
                    }
                    Flush();
                    WriteObject(o);
                    if ((++count % 500) == 0) Progress(count, total);
                }
            }
            catch (CCApiException ex) { Terminate(ex, ReportId); }
            catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested) { throw new PipelineStoppedException(); }
            finally
            {
                WriteProgress(new ProgressRecord(_activityId, "Export-CCReport", "Done") { RecordType = ProgressRecordType.Completed });
            }
        }

        private void Progress(long done, long total)
        {
            if (total <= 0) return;
            WriteProgress(new ProgressRecord(_activityId, "Export-CCReport", string.Format(CultureInfo.InvariantCulture, "{0:N0} of {1:N0} rows", done, total))
                { PercentComplete = (int)Math.Min(100, done * 100 / total) });
        }
    }
}
