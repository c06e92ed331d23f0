using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using CommCare.Client.Api;
using CommCare.Models;

namespace CommCare.PowerShell.Cmdlets
{
    /// <summary>Rows as objects: one property per column, in the server's order.</summary>
    internal static class Rows
    {
        public static PSObject ToObject(IReadOnlyDictionary<string, object?> row)
        {
            var o = new PSObject();
            foreach (var kv in row) o.Properties.Add(new PSNoteProperty(kv.Key, kv.Value));
            return o;
        }

        public static IEnumerable<T> Prepend<T>(T first, IEnumerator<T> rest)
        {
            yield return first;
            while (rest.MoveNext()) yield return rest.Current;
        }
    }

    /// <summary>
    /// <para type="synopsis">Gets the project's UCR data sources.</para>
    /// <para type="description">Lists data sources (id and display name); their rows come from Get-CCDataSourceRow or Export-CCDataSource. Needs the data source feature on the project.</para>
    /// </summary>
    /// <example><code>Get-CCDataSource | Format-Table id, display_name</code><para>Every data source.</para></example>
    /// <example><code>Get-CCDataSource | Where-Object display_name -like '*Visits*'</code><para>Data sources by name.</para></example>
    [Cmdlet(VerbsCommon.Get, "CCDataSource")]
    [OutputType(typeof(PSObject))]
    public sealed class GetCCDataSourceCommand : CCSessionCmdlet
    {
        protected override void ProcessRecord()
        {
            Call(() => { foreach (var d in new CommCareClient(ActiveSession, Sink, CancellationToken).Data.DataSources()) { Flush(); WriteObject(Rows.ToObject(d)); } });
        }
    }

    /// <summary>
    /// <para type="synopsis">Streams the rows of a UCR data source.</para>
    /// <para type="description">Follows the server's cursor (rows ordered by inserted_at, then doc_id: nothing missed or repeated for unchanged data). Each row is an object with one property per column.</para>
    /// </summary>
    /// <example><code>Get-CCDataSourceRow -DataSourceId $ds | Export-Csv rows.csv</code><para>Every row to CSV.</para></example>
    /// <example><code>Get-CCDataSourceRow -DataSourceId $ds -First 10</code><para>The first ten rows.</para></example>
    [Cmdlet(VerbsCommon.Get, "CCDataSourceRow", SupportsPaging = true)]
    [OutputType(typeof(PSObject))]
    public sealed class GetCCDataSourceRowCommand : CCListCmdlet
    {
        /// <summary>The data source id (binds from Get-CCDataSource output).</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)] [Alias("id", "data_source_id")] [ValidateNotNullOrEmpty] public string DataSourceId { get; set; } = "";
        /// <summary>Rows per request, 1 to 10000 (default 1000).</summary>
        [Parameter] [ValidateRange(1, DataApi.MaxDataSourcePage)] public int PageSize { get; set; } = 1000;

        protected override void ProcessRecord()
        {
            CommCare.Client.Paging.CCPagedResult<IReadOnlyDictionary<string, object?>> rows;
            rows = Call(() => new CommCareClient(ActiveSession, Sink, CancellationToken).Data.DataSourceRows(DataSourceId, EffectivePageSize(PageSize)));
            rows.MaxRecords = MaxRecords();
            Stream(Convert(rows), rows.Status, "Get-CCDataSourceRow");
        }

        private static IEnumerable<PSObject> Convert(IEnumerable<IReadOnlyDictionary<string, object?>> rows) { foreach (var r in rows) yield return Rows.ToObject(r); }
    }

    /// <summary>
    /// <para type="synopsis">Exports a UCR data source to a .csv, .xlsx or .json file.</para>
    /// <para type="description">Streams every row through the server's cursor straight to the file (constant memory); the columns are those of the first row. The file appears, complete, only at the end.</para>
    /// </summary>
    /// <example><code>Export-CCDataSource -DataSourceId $ds -Path visits.xlsx</code><para>The whole data source to Excel.</para></example>
    /// <example><code>Get-CCDataSource | ForEach-Object { Export-CCDataSource -DataSourceId $_.id -Path "$($_.id).csv" }</code><para>Every data source to its own CSV file.</para></example>
    [Cmdlet(VerbsData.Export, "CCDataSource", SupportsShouldProcess = true)]
    [OutputType(typeof(FileInfo))]
    public sealed class ExportCCDataSourceCommand : CCSessionCmdlet
    {
        /// <summary>Write CSV cells as they are, even ones a spreadsheet would run as a formula (by default a cell starting with =, +, -, @, tab or carriage return gets a leading ' so it shows as text).</summary>
        [Parameter] public SwitchParameter NoFormulaEscape { get; set; }
        /// <summary>Replace the file if it exists (it is swapped in only once complete); without it an existing file is kept.</summary>
        [Parameter] public SwitchParameter Force { get; set; }
        /// <summary>The data source id.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)] [Alias("id", "data_source_id")] [ValidateNotNullOrEmpty] public string DataSourceId { get; set; } = "";
        /// <summary>A .csv, .xlsx or .json file.</summary>
        [Parameter(Mandatory = true)] [ValidateNotNullOrEmpty] public string Path { get; set; } = "";
        /// <summary>Rows per request, 1 to 10000.</summary>
        [Parameter] [ValidateRange(1, DataApi.MaxDataSourcePage)] public int PageSize { get; set; } = 5000;

        protected override void ProcessRecord()
        {
            string file = ResolveOutputFile(nameof(Path), Path, Force);
            if (CommCare.Client.Excel.TableFile.FormatOf(file) == null) ThrowParameterError(nameof(Path), $"'{Path}' must end in .csv, .xlsx or .json.", Path);
            if (!ShouldProcess(file, $"Export data source {DataSourceId}")) return;
            Call(() =>
            {
                var rows = new CommCareClient(ActiveSession, Sink, CancellationToken).Data.DataSourceRows(DataSourceId, PageSize);
                using var e = rows.GetEnumerator();
                var keys = new List<string>();
                IEnumerable<IReadOnlyDictionary<string, object?>> all = Array.Empty<IReadOnlyDictionary<string, object?>>();
                if (e.MoveNext())
                {
                    foreach (var k in e.Current.Keys) keys.Add(k);
                    all = Rows.Prepend(e.Current, e);
                }
                long n = CommCare.Client.Excel.TableFile.Write(file, keys, keys, all, CommCare.Client.Excel.TableFile.SheetName(DataSourceId), escapeFormulas: !NoFormulaEscape);
                Flush();
                WriteVerbose($"Wrote {n} rows of data source {DataSourceId} to {file}.");
                WriteObject(new FileInfo(file));
            }, DataSourceId);
        }
    }

    /// <summary>
    /// <para type="synopsis">Reads an OData feed of cases or forms (the feeds behind Power BI and Tableau).</para>
    /// <para type="description">Follows @odata.nextLink to the end. Each row is an object with one property per feed column; -Table picks a child table (e.g. repeat groups) of the feed.</para>
    /// </summary>
    /// <example><code>Get-CCODataFeed -Kind cases -ConfigId $config | Export-Csv cases.csv</code><para>A case feed to CSV.</para></example>
    /// <example><code>Get-CCODataFeed -Kind forms -ConfigId $config -Table 1</code><para>A form feed's first child table.</para></example>
    [Cmdlet(VerbsCommon.Get, "CCODataFeed", SupportsPaging = true)]
    [OutputType(typeof(PSObject))]
    public sealed class GetCCODataFeedCommand : CCListCmdlet
    {
        /// <summary>cases or forms.</summary>
        [Parameter(Mandatory = true, Position = 0)] [ValidateSet("cases", "forms")] public string Kind { get; set; } = "cases";
        /// <summary>The feed's export configuration id.</summary>
        [Parameter(Mandatory = true, Position = 1)] [ValidateNotNullOrEmpty] public string ConfigId { get; set; } = "";
        /// <summary>A child table of the feed (0 is the main table).</summary>
        [Parameter] [ValidateRange(0, 1000)] public int Table { get; set; }

        protected override void ProcessRecord()
        {
            CommCare.Client.Paging.CCPagedResult<IReadOnlyDictionary<string, object?>> rows;
            rows = Call(() => new CommCareClient(ActiveSession, Sink, CancellationToken).Data.ODataFeed(Kind.ToLowerInvariant(), ConfigId, ParameterSpecified(nameof(Table)) && Table > 0 ? Table : (int?)null));
            rows.MaxRecords = MaxRecords();
            Stream(Convert(rows), rows.Status, "Get-CCODataFeed");
        }

        private static IEnumerable<PSObject> Convert(IEnumerable<IReadOnlyDictionary<string, object?>> rows) { foreach (var r in rows) yield return Rows.ToObject(r); }
    }
}
