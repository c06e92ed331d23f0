using System;
using System.IO;
using System.Management.Automation;
using CommCare.Client.Api;
using CommCare.Models;

namespace CommCare.PowerShell.Cmdlets
{
    /// <summary>
    /// <para type="synopsis">Gets the exports configured in CommCare for the Data Export Tool.</para>
    /// <para type="description">Lists form and case exports whose DET configuration can be downloaded, or gets one by id.</para>
    /// </summary>
    /// <example><code>Get-CCExport | Format-Table Name, Type, CaseType, Xmlns</code><para>Every export.</para></example>
    /// <example><code>Get-CCExport -Id $id | Save-CCExport -DetConfig -Path det.xlsx</code><para>The DET configuration of one export.</para></example>
    [Cmdlet(VerbsCommon.Get, "CCExport", DefaultParameterSetName = ParameterSets.List)]
    [OutputType(typeof(CCExportInstance))]
    public sealed class GetCCExportCommand : CCSessionCmdlet
    {
        /// <summary>Export ids.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.Id, Position = 0, ValueFromPipelineByPropertyName = true)] [Alias("ExportId")] [ValidateNotNullOrEmpty] public string[] Id { get; set; } = Array.Empty<string>();

        protected override void ProcessRecord()
        {
            var api = new CommCareClient(ActiveSession, Sink, CancellationToken).Exports;
            Call(() =>
            {
                if (ParameterSetName == ParameterSets.Id)
                    foreach (var id in Id)
                    {
                        var e = api.Get(id);
                        Flush();
                        if (e == null) WriteItemError(new CCApiException(CCErrorKind.NotFound, $"Export '{id}' was not found in project space '{ActiveSession.Domain}' (or it is not set up for the Data Export Tool)."), id);
                        else WriteObject(e);
                    }
                else foreach (var e in api.List()) { Flush(); WriteObject(e); }
            });
        }
    }

    /// <summary>
    /// <para type="synopsis">Downloads a daily saved export's file, or an export's DET configuration workbook.</para>
    /// <para type="description">Streams the stored file of a daily saved export (the feed Excel and Power Query read) to disk through a temporary file, resuming a broken download; with -DetConfig, the commcare-export configuration of the export instead. The export must already be set up in CommCare.</para>
    /// </summary>
    /// <example><code>Save-CCExport -ExportId $id -Path visits.xlsx</code><para>A daily saved export.</para></example>
    /// <example><code>Get-CCExport | Where-Object Type -eq case | ForEach-Object { Save-CCExport -ExportId $_.Id -DetConfig -Path "$($_.Id).xlsx" }</code><para>DET configurations of every case export.</para></example>
    [Cmdlet(VerbsData.Save, "CCExport", SupportsShouldProcess = true)]
    [OutputType(typeof(FileInfo))]
    public sealed class SaveCCExportCommand : CCSessionCmdlet
    {
        /// <summary>Replace the file if it exists (it is swapped in only once complete); without it an existing file is kept.</summary>
        [Parameter] public SwitchParameter Force { get; set; }
        /// <summary>The export id (binds from Get-CCExport output).</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)] [Alias("Id")] [ValidateNotNullOrEmpty] public string ExportId { get; set; } = "";
        /// <summary>Download the DET configuration workbook instead of the export's data.</summary>
        [Parameter] public SwitchParameter DetConfig { get; set; }
        /// <summary>The file to write (an existing file is kept unless -Force).</summary>
        [Parameter(Mandatory = true)] [ValidateNotNullOrEmpty] public string Path { get; set; } = "";

        protected override void ProcessRecord()
        {
            string file = ResolveOutputFile(nameof(Path), Path, Force);
            var client = new CommCareClient(ActiveSession, Sink, CancellationToken);
            try
            {
                Uri uri;
                if (DetConfig)
                {
                    var e = client.Exports.Get(ExportId);
                    if (e == null) { WriteItemError(new CCApiException(CCErrorKind.NotFound, $"Export '{ExportId}' was not found in project space '{ActiveSession.Domain}'."), ExportId); return; }
                    uri = client.Exports.DetConfigUri(e);
                }
                else uri = client.Exports.DownloadUri(ExportId);
                if (!ShouldProcess(file, $"Download export {ExportId}")) return;
                var size = client.Downloads.Save(uri, file);
                Flush();
                if (size == null) { WriteItemError(new CCApiException(CCErrorKind.NotFound, $"Export '{ExportId}' was not found, or it is not a daily saved export, or the plan or your permissions do not allow downloading it."), ExportId); return; }
                WriteObject(new FileInfo(file));
            }
            catch (CCApiException ex) { FailItem(ex, $"Export {ExportId} was not downloaded", ExportId); }
        }
    }
}

namespace CommCare.PowerShell.Cmdlets
{
    /// <summary>
    /// <para type="synopsis">Lists the project's data-forwarding configurations (legacy, read-only).</para>
    /// <para type="description">Reads the old read-only repeater listing (id, type, url, version). Current CommCare HQ servers removed it; there a clear not-available error is given. Forwarders are configured in the web UI; to receive what they send, see ConvertFrom-CCForwardedPayload.</para>
    /// </summary>
    /// <example><code>Get-CCDataForwarder | Format-Table type, url</code><para>Where the project forwards data.</para></example>
    /// <example><code>Get-CCDataForwarder | Where-Object type -eq CaseRepeater</code><para>Case forwarders only.</para></example>
    [Cmdlet(VerbsCommon.Get, "CCDataForwarder")]
    [OutputType(typeof(PSObject))]
    public sealed class GetCCDataForwarderCommand : CCSessionCmdlet
    {
        protected override void ProcessRecord()
        {
            Call(() => { foreach (var f in new CommCareClient(ActiveSession, Sink, CancellationToken).Forwarders.List()) { Flush(); WriteObject(Rows.ToObject(f)); } });
        }
    }
}
