using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Text;
using System.Xml;
using CommCare.Client.Api;
using CommCare.Models;

namespace CommCare.PowerShell.Cmdlets
{
    /// <summary>
    /// <para type="synopsis">Submits XForm instances to CommCare HQ (Form Submission API), with attachments.</para>
    /// <para type="description">Sends each form, from a file, a string, an XmlDocument or New-CCCaseUpdateForm, to /a/{domain}/receiver/api/ as multipart/form-data with its attachments. CommCare answers 201 even when it rejected the form, so the answer's nature is read: anything but submit_success becomes an error for that form, and the other forms carry on. A form CommCare already has (same instanceID, same bytes) comes back with IsDuplicate set, not as a second form. Each retry sends the identical bytes, so a retry after a lost answer is a duplicate, never an edit. The XML is checked before sending: well-formed, a root namespace, and an instanceID (without one a lost answer cannot be retried safely).</para>
    /// </summary>
    /// <example><code>Send-CCFormSubmission -Path visit.xml -Attachment photo.jpg</code><para>One form with a photo (the form refers to it as photo.jpg).</para></example>
    /// <example><code>Get-ChildItem .\outbox\*.xml | Send-CCFormSubmission</code><para>Every form in a folder; each failure is reported on its own.</para></example>
    /// <example><code>New-CCCaseUpdateForm -CaseId $id -Property @{ status = 'referred' } | Send-CCFormSubmission</code><para>Updates a case through a form.</para></example>
    [Cmdlet(VerbsCommunications.Send, "CCFormSubmission", SupportsShouldProcess = true, DefaultParameterSetName = ParameterSets.Form)]
    [OutputType(typeof(CCFormSubmissionResult))]
    public sealed class SendCCFormSubmissionCommand : CCSessionCmdlet
    {
        /// <summary>XML files to submit (binds from Get-ChildItem output).</summary>
        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.Path, Position = 0, ValueFromPipelineByPropertyName = true)] [Alias("FullName")] [ValidateNotNullOrEmpty]
        public string[] Path { get; set; } = Array.Empty<string>();
        /// <summary>The form XML as a string or an XmlDocument.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.Xml)] [ValidateNotNull] public object Xml { get; set; } = "";
        /// <summary>A form made by New-CCCaseUpdateForm.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.Form, ValueFromPipeline = true)] [ValidateNotNull] public CCFormSubmission InputObject { get; set; } = null!;
        /// <summary>Files to attach; each is sent under its file name, which is how the form XML refers to it.</summary>
        [Parameter] [ValidateNotNullOrEmpty] public string[]? Attachment { get; set; }

        protected override void ProcessRecord()
        {
            switch (ParameterSetName)
            {
                case ParameterSets.Path:
                    foreach (var p in Path)
                    {
                        var file = ResolveInputFile(nameof(Path), p);
                        if (file == null) continue;
                        byte[] bytes;
                        try { bytes = File.ReadAllBytes(file); }
                        catch (IOException ex) { WriteItemError(new CCApiException(CCErrorKind.InvalidArgument, $"-Path: '{p}' could not be read: {ex.Message}"), p); continue; }
                        catch (UnauthorizedAccessException ex) { WriteItemError(new CCApiException(CCErrorKind.InvalidArgument, $"-Path: '{p}' could not be read: {ex.Message}"), p); continue; }
                        Submit(bytes, file, nameof(Path));
                    }
                    break;
                case "Xml":
                    object x = Xml is PSObject po ? po.BaseObject : Xml;
                    if (x is XmlNode node)
                    {
                        var doc = node as XmlDocument ?? node.OwnerDocument;
                        using var ms = new MemoryStream();
                        using (var w = XmlWriter.Create(ms, new XmlWriterSettings { Encoding = new UTF8Encoding(false) })) (doc ?? (XmlNode)node).WriteTo(w);
                        Submit(ms.ToArray(), null, nameof(Xml));
                    }
                    else if (x is string s) Submit(new UTF8Encoding(false).GetBytes(s), null, nameof(Xml));
                    else ThrowParameterError(nameof(Xml), $"give the form as a string or an XmlDocument, not {x.GetType().Name}.");
                    break;
                default:
                    Submit(new UTF8Encoding(false).GetBytes(InputObject.Xml), null, "InputObject");
                    break;
            }
        }

        private void Submit(byte[] xml, string? source, string parameter)
        {
            object target = (object?)source ?? (InputObject != null ? InputObject : "form");
            var problem = SubmissionsApi.Problem(xml, out var instanceId, out _);
            if (problem != null)
            {
                WriteItemError(new CCApiException(CCErrorKind.InvalidArgument, $"-{parameter}: {(source == null ? "" : "'" + source + "': ")}{problem}"), target);
                return;
            }
            if (instanceId == null)
                WriteWarning($"{source ?? "The form"} has no meta/instanceID: CommCare will give it a new id, and if the answer is lost it cannot be resent without risking a second copy.");
            var attachments = new List<KeyValuePair<string, string>>();
            if (Attachment != null)
                foreach (var a in Attachment)
                {
                    var file = ResolveInputFile(nameof(Attachment), a);
                    if (file == null) return;
                    attachments.Add(new KeyValuePair<string, string>(System.IO.Path.GetFileName(file), file));
                }
            string label = source != null ? $"{source} (form {instanceId ?? "without an instanceID"})" : $"form {instanceId ?? "(no instanceID)"}";
            if (!ShouldProcess(label, "Submit form")) return;
            try
            {
                var result = new CommCareClient(ActiveSession, Sink, CancellationToken).Submissions.Submit(xml, attachments, source);
                Flush();
                WriteObject(result);
            }
            catch (CCApiException ex) { FailItem(ex, $"Form {label} was not submitted", target); }
        }
    }

    /// <summary>
    /// <para type="synopsis">Builds a form that creates, updates, indexes or closes cases (Case XML 2.0), ready for Send-CCFormSubmission.</para>
    /// <para type="description">For users who do not write XForm XML: each input becomes one form with one case block and a fresh instanceID. New cases get their case id here, so resubmitting the same form never makes a second case. The form's meta names the session's user. Nothing is sent until the form is given to Send-CCFormSubmission.</para>
    /// </summary>
    /// <example><code>New-CCCaseUpdateForm -CaseId $id -Property @{ status = 'referred' } | Send-CCFormSubmission</code><para>Updates one case through a form.</para></example>
    /// <example><code>New-CCCaseUpdateForm -Create -CaseType patient -Name 'Mattie Ross' -OwnerId $owner -ExternalId P-17 | Send-CCFormSubmission</code><para>Creates a case with a client-chosen id: safe to resend.</para></example>
    /// <example><code>(New-CCCaseUpdateForm -CaseId $id -Close).Xml</code><para>Shows the XML of a form that closes a case.</para></example>
    [Cmdlet(VerbsCommon.New, "CCCaseUpdateForm", DefaultParameterSetName = ParameterSets.Update)]
    [OutputType(typeof(CCFormSubmission))]
    public sealed class NewCCCaseUpdateFormCommand : CCCaseChangeCmdlet
    {
        /// <summary>The case to change (binds from Get-CCCase output).</summary>
        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.Update, Position = 0, ValueFromPipelineByPropertyName = true)] [Alias("case_id", "Id")] [AllowEmptyString] public string CaseId { get; set; } = "";
        /// <summary>Make a new case (its id is chosen here).</summary>
        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.Create)] public SwitchParameter Create { get; set; }
        /// <summary>The case type (required with -Create).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("case_type", "Type")] public string? CaseType { get; set; }
        /// <summary>The case name (required with -Create).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("case_name")] public string? Name { get; set; }
        /// <summary>The owner: a mobile worker, case-sharing group or location id (required with -Create).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("owner_id")] public string? OwnerId { get; set; }
        /// <summary>An external id to set.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("external_id")] public string? ExternalId { get; set; }
        /// <summary>Close the case.</summary>
        [Parameter] public SwitchParameter Close { get; set; }
        /// <summary>The form's xmlns (default: the one CommCare's own Case API uses).</summary>
        [Parameter] [ValidateNotNullOrEmpty] public string Xmlns { get; set; } = "http://commcarehq.org/case_api";
        /// <summary>The deviceID written in the form's meta.</summary>
        [Parameter] [ValidateNotNullOrEmpty] public string DeviceId { get; set; } = "CommCare.PowerShell";

        protected override string Done => "put in a form";

        protected override void ProcessRecord()
        {
            bool create = ParameterSetName == ParameterSets.Create;
            var change = new CCCaseChange
            {
                Mode = create ? CCCaseWriteMode.Create : CCCaseWriteMode.Update,
                CaseId = create ? null : Text(CaseId),
                CaseType = Text(FromInput(nameof(CaseType), CaseType)), CaseName = Text(FromInput(nameof(Name), Name)),
                OwnerId = Text(FromInput(nameof(OwnerId), OwnerId)), ExternalId = Text(FromInput(nameof(ExternalId), ExternalId)), Close = Close,
            };
            object target = (object?)InputObject ?? change.Label;
            if (!create && change.CaseId == null) { WriteItemError(new CCApiException(CCErrorKind.InvalidArgument, "-CaseId is empty: give the id of the case to change, or -Create for a new case."), target); return; }
            if (!Complete(change)) return;
            try
            {
                WriteObject(SubmissionsApi.BuildCaseForm(new[] { change }, Xmlns, ActiveSession.UserName, ActiveSession.UserId, DeviceId));
            }
            catch (CCApiException ex) { WriteItemError(ex, target); }
        }
    }

    /// <summary>Shared by the Save-CC*Attachment cmdlets: where to write, and writing safely.</summary>
    public abstract class CCAttachmentCmdlet : CCSessionCmdlet
    {
        /// <summary>A folder, or a file name when saving one attachment. Default: the current folder.</summary>
        [Parameter] [ValidateNotNullOrEmpty] public string Path { get; set; } = ".";
        /// <summary>Overwrite existing files.</summary>
        [Parameter] public SwitchParameter Force { get; set; }

        private readonly HashSet<string> _saved = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        /// <summary>The attachment's URL; null (with this attachment's error) for a name no URL can carry, such as
        /// "..", which a server may list: the other attachments are still saved.</summary>
        protected Uri? AttachmentUri(Func<Uri> build, string name, string owner)
        {
            try { return build(); }
            catch (CCApiException ex) when (ex.Kind == CCErrorKind.InvalidArgument)
            {
                WriteItemError(new CCApiException(CCErrorKind.InvalidArgument, $"Attachment '{name}' of {owner} was not saved: {ex.Message}"), name);
                return null;
            }
        }

        /// <summary>Saves one attachment; download writes it to the given file and returns its size (null: no such attachment).</summary>
        protected void SaveOne(Func<string, long?> download, string name, string owner, int count)
        {
            string full = ResolveOutputPath(Path);
            // Only the last segment of the name, made safe: a name must never write outside the folder.
            string safeName = name.Replace('\\', '/');
            safeName = safeName.Substring(safeName.LastIndexOf('/') + 1);
            foreach (char ch in System.IO.Path.GetInvalidFileNameChars()) safeName = safeName.Replace(ch, '_');
            if (safeName.Length == 0 || safeName == "." || safeName == "..") safeName = "attachment";
            string file;
            if (Directory.Exists(full) || Path.EndsWith("/", StringComparison.Ordinal) || Path.EndsWith("\\", StringComparison.Ordinal))
                file = System.IO.Path.Combine(full, safeName);
            else if (count > 1)
            {
                WriteItemError(new CCApiException(CCErrorKind.InvalidArgument, $"-Path: '{Path}' is not a folder, and {count} attachments cannot all be saved under one file name; give a folder."), name);
                return;
            }
            else file = full;
            // Two names that clean to one file name ("a/x.jpg", "b/x.jpg") must not overwrite each other, -Force or not.
            if (_saved.Contains(file))
            {
                WriteItemError(new CCApiException(CCErrorKind.InvalidArgument, $"-Path: attachment {name} of {owner} would be saved as '{file}', which this command has just written for another attachment; it was not saved. Save it on its own with -Name and a file name as -Path."), name);
                return;
            }
            if (File.Exists(file) && !Force)
            {
                WriteItemError(new CCApiException(CCErrorKind.InvalidArgument, $"-Path: '{file}' already exists; use -Force to overwrite it (attachment {name} of {owner} was not saved)."), file);
                return;
            }
            if (!ShouldProcess(file, $"Save attachment {name} of {owner}")) return;
            try
            {
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
                var size = download(file);
                Flush();
                if (size == null) { WriteItemError(new CCApiException(CCErrorKind.NotFound, $"{owner} has no attachment '{name}'."), name); return; }
                _saved.Add(file);
                WriteObject(new FileInfo(file));
            }
            catch (CCApiException ex) { FailItem(ex, $"Attachment {name} of {owner} was not saved", name); }
            catch (IOException ex) { WriteItemError(new CCApiException(CCErrorKind.InvalidArgument, $"-Path: '{file}' could not be written: {ex.Message}"), file); }
            catch (UnauthorizedAccessException ex) { WriteItemError(new CCApiException(CCErrorKind.InvalidArgument, $"-Path: '{file}' could not be written: {ex.Message}"), file); }
        }
    }

    /// <summary>
    /// <para type="synopsis">Saves form attachments (photos, audio, the form XML) to files.</para>
    /// <para type="description">Streams each attachment to disk without holding it in memory, through a temporary file, so a failed download never leaves a half file. A broken connection is resumed where it stopped. Without -Name, saves every attachment of the form except form.xml. -Path is a folder (the attachment's name is kept) or, for one attachment, a file name. Existing files are kept unless -Force.</para>
    /// </summary>
    /// <example><code>Save-CCFormAttachment -FormId $f -Name photo.jpg -Path .\photos\</code><para>One photo into a folder.</para></example>
    /// <example><code>Get-CCForm -Xmlns $xmlns -ReceivedSince (Get-Date).AddDays(-1) | Save-CCFormAttachment -Path .\media\</code><para>Every attachment of yesterday's forms.</para></example>
    [Cmdlet(VerbsData.Save, "CCFormAttachment", SupportsShouldProcess = true)]
    [OutputType(typeof(FileInfo))]
    public sealed class SaveCCFormAttachmentCommand : CCAttachmentCmdlet
    {
        /// <summary>The form (binds from Get-CCForm output).</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)] [Alias("form_id", "Id")] [ValidateNotNullOrEmpty] public string FormId { get; set; } = "";
        /// <summary>Attachment names (as in the form's Attachments); all but form.xml when omitted.</summary>
        [Parameter(Position = 1)] [ValidateNotNullOrEmpty] public string[]? Name { get; set; }
        /// <summary>The form object from Get-CCForm (its attachment list saves a request).</summary>
        [Parameter(ValueFromPipeline = true, DontShow = true)] public PSObject? InputObject { get; set; }

        protected override void ProcessRecord()
        {
            var client = new CommCareClient(ActiveSession, Sink, CancellationToken);
            IList<string> names;
            if (Name != null) names = Name;
            else
            {
                var form = InputObject?.BaseObject as CCForm;
                if (form == null || form.Id != FormId)
                {
                    try { form = client.Forms.Get(FormId); }
                    catch (CCApiException ex) { FailItem(ex, $"Attachments of form {FormId} were not saved", FormId); return; }
                    if (form == null) { WriteItemError(new CCApiException(CCErrorKind.NotFound, $"Form '{FormId}' was not found in project space '{ActiveSession.Domain}'."), FormId); return; }
                }
                names = new List<string>();
                foreach (var k in form.Attachments.Keys) if (k != "form.xml") names.Add(k);
            }
            foreach (var n in names)
            {
                var uri = AttachmentUri(() => client.Attachments.FormAttachmentUri(FormId, n), n, $"form {FormId}");
                if (uri != null) SaveOne(file => client.Downloads.Save(uri, file), n, $"form {FormId}", names.Count);
            }
        }
    }

    /// <summary>
    /// <para type="synopsis">Saves case attachments to files.</para>
    /// <para type="description">Streams the named attachments of a case to disk through a temporary file (case attachment names come from the forms that added them). -Path is a folder (the name is kept) or, for one attachment, a file name. Existing files are kept unless -Force.</para>
    /// </summary>
    /// <example><code>Save-CCCaseAttachment -CaseId $id -Name photo.jpg -Path .\photos\</code><para>One attachment into a folder.</para></example>
    /// <example><code>Get-CCCase -CaseType patient | ForEach-Object { Save-CCCaseAttachment -CaseId $_.Id -Name consent.pdf -Path ".\consent\$($_.Id).pdf" }</code><para>The same attachment of many cases, one file per case.</para></example>
    [Cmdlet(VerbsData.Save, "CCCaseAttachment", SupportsShouldProcess = true)]
    [OutputType(typeof(FileInfo))]
    public sealed class SaveCCCaseAttachmentCommand : CCAttachmentCmdlet
    {
        /// <summary>The case (binds from Get-CCCase output).</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)] [Alias("case_id", "Id")] [ValidateNotNullOrEmpty] public string CaseId { get; set; } = "";
        /// <summary>Attachment names (identifiers).</summary>
        [Parameter(Mandatory = true, Position = 1)] [ValidateNotNullOrEmpty] public string[] Name { get; set; } = Array.Empty<string>();

        protected override void ProcessRecord()
        {
            var client = new CommCareClient(ActiveSession, Sink, CancellationToken);
            foreach (var n in Name)
            {
                var uri = AttachmentUri(() => client.Attachments.CaseAttachmentUri(CaseId, n), n, $"case {CaseId}");
                if (uri != null) SaveOne(file => client.Downloads.Save(uri, file), n, $"case {CaseId}", Name.Length);
            }
        }
    }
}
