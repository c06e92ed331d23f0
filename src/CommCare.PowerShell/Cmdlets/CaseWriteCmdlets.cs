using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using CommCare.Client.Api;
using CommCare.Models;

namespace CommCare.PowerShell.Cmdlets
{
    /// <summary>Parameters and input handling shared by the cmdlets that describe case changes.</summary>
    public abstract class CCCaseChangeCmdlet : CCSessionCmdlet
    {
        private HashSet<string>? _bound;
        private protected int _failed;

        /// <summary>Values in pipeline objects (CSV rows) that are not parameters become case properties; this is the row.</summary>
        [Parameter(ValueFromPipeline = true, DontShow = true)] public PSObject? InputObject { get; set; }

        /// <summary>Case properties to set, e.g. @{ age = '43'; district = 'north' }. Values are sent as text: dates as yyyy-MM-dd (or UTC ISO 8601 with a time), several values joined by spaces (a multi-select answer). '' empties a property.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("properties")] public Hashtable? Property { get; set; }

        /// <summary>Indices to set, by identifier: @{ parent = $householdCase } (a case from Get-CCCase), or @{ parent = @{ case_id = $id; case_type = 'household'; relationship = 'child' } }; external_id or temporary_id can name the case instead of case_id. A value of $null or '' removes the index. As text (a CSV cell, as Get-CCCase prints Indices): 'parent:household:CASE_ID', several separated by ';', ':extension' at the end for an extension index.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("indices")] [CaseIndexTransformation] public Hashtable? Index { get; set; }


        /// <summary>For a case object from Get-CCCase only its id is taken from the pipeline; its other fields would
        /// write back what was read, undoing any change another writer made since.</summary>
        protected string? FromInput(string parameter, string? value) => Given(parameter) ? value : null;

        private bool Given(string parameter) => !(InputObject?.BaseObject is CCCase) || OnCommandLine(parameter);

        protected abstract string Done { get; }

        /// <summary>Adds properties and indices from the parameters and the pipeline row; false (with the error written) when they are invalid.</summary>
        protected bool Complete(CCCaseChange change) => AddProperties(change) && AddIndices(change);

        /// <summary>Columns of a pipeline row that no parameter took become properties; -Property wins over them.</summary>
        private bool AddProperties(CCCaseChange change)
        {
            if (InputObject != null && !(InputObject.BaseObject is CCCase) && !(InputObject.BaseObject is string))
            {
                _bound ??= BoundNames();
                foreach (var p in InputObject.Properties)
                {
                    // Columns of a CSV made from Get-CCCase output (Closed, IndexedOn, Properties, …) or by
                    // Export-CCCase (closed_date, indices.parent, …) describe the case; they are not properties to write.
                    if (!(p is PSNoteProperty) || _bound.Contains(p.Name) || CaseFields.Contains(p.Name) || CommCare.Client.Tables.CaseTables.IsSystemColumn(p.Name)) continue;
                    object? v;
                    try { v = p.Value; } catch (GetValueException) { continue; }
                    string? text = ToCaseValue(v);
                    // An empty cell leaves the property alone; -Property @{ x = '' } empties it on purpose.
                    if (string.IsNullOrEmpty(text)) continue;
                    if (WriteValues.IsTypeName(text))
                    {
                        WriteItemError(new CCApiException(CCErrorKind.InvalidArgument, $"Case {change.Label} was not {Done}: column '{p.Name}' holds '{text}', a .NET type name and not a value (a list or object exported without the module's text form); nothing was sent for this row."), InputObject);
                        _failed++;
                        return false;
                    }
                    change.Properties[p.Name] = text!;
                }
            }
            if (Property != null && Given(nameof(Property)))
                foreach (DictionaryEntry e in Property)
                {
                    string key = e.Key?.ToString() ?? "";
                    string? text = ToCaseValue(e.Value);
                    if (text == null)
                    {
                        WriteItemError(new CCApiException(CCErrorKind.InvalidArgument, $"Case {change.Label} was not {Done}: -Property: the value of '{key}' is null; use '' to empty a property."), (object?)InputObject ?? change.Label);
                        _failed++;
                        return false;
                    }
                    change.Properties[key] = text;
                }
            return true;
        }

        private bool AddIndices(CCCaseChange change)
        {
            if (Index == null || !Given(nameof(Index))) return true;
            foreach (DictionaryEntry e in Index)
            {
                string key = e.Key?.ToString() ?? "";
                object? v = e.Value is PSObject p ? p.BaseObject : e.Value;
                var ix = new CCCaseIndexRef();
                switch (v)
                {
                    case null:
                        break;
                    case string s when s.Length == 0:
                        break;
                    case CCCase c:
                        ix.CaseId = c.Id; ix.CaseType = c.CaseType;
                        break;
                    case IDictionary d:
                        foreach (DictionaryEntry f in d)
                        {
                            string fk = (f.Key?.ToString() ?? "").Replace("_", "").ToLowerInvariant();
                            string? fv = f.Value is PSObject fp ? fp.BaseObject?.ToString() : f.Value?.ToString();
                            switch (fk)
                            {
                                case "caseid": ix.CaseId = fv; break;
                                case "externalid": ix.ExternalId = fv; break;
                                case "temporaryid": ix.TemporaryId = fv; break;
                                case "casetype": ix.CaseType = fv; break;
                                case "relationship": ix.Relationship = fv ?? "child"; break;
                                default:
                                    WriteItemError(new CCApiException(CCErrorKind.InvalidArgument, $"Case {change.Label} was not {Done}: -Index: '{f.Key}' in index '{key}' is not one of case_id, external_id, temporary_id, case_type, relationship."), (object?)InputObject ?? change.Label);
                                    _failed++;
                                    return false;
                            }
                        }
                        break;
                    default:
                        WriteItemError(new CCApiException(CCErrorKind.InvalidArgument, $"Case {change.Label} was not {Done}: -Index: give index '{key}' as a case from Get-CCCase or as @{{ case_id = '...'; case_type = '...' }} (the case type of the case it points to is required)."), (object?)InputObject ?? change.Label);
                        _failed++;
                        return false;
                }
                change.Indices[key] = ix;
            }
            return true;
        }

        private static readonly HashSet<string> CaseFields = new HashSet<string>(
            Array.ConvertAll(typeof(CCCase).GetProperties(), p => p.Name), StringComparer.OrdinalIgnoreCase);

        private HashSet<string> BoundNames()
        {
            var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var kv in MyInvocation.MyCommand.Parameters)
            {
                names.Add(kv.Key);
                foreach (var a in kv.Value.Aliases) names.Add(a);
            }
            return names;
        }

        /// <summary>A value as CommCare stores it: text. Null stays null.</summary>
        internal static string? ToCaseValue(object? v)
        {
            if (v is PSObject p) v = p.BaseObject;
            switch (v)
            {
                case null: return null;
                case string s: return s;
                case DateTime dt:
                    return dt.TimeOfDay == TimeSpan.Zero ? dt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
                        : (dt.Kind == DateTimeKind.Local ? dt.ToUniversalTime() : dt).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
                case DateTimeOffset dto: return dto.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
                case bool b: return b ? "true" : "false";
                case IEnumerable list:
                    var parts = new List<string>();
                    foreach (var item in list) { var t = ToCaseValue(item); if (!string.IsNullOrEmpty(t)) parts.Add(t!); }
                    return string.Join(" ", parts);
                default: return Convert.ToString(v, CultureInfo.InvariantCulture);
            }
        }

        internal static string? Text(string? v) => string.IsNullOrWhiteSpace(v) ? null : v!.Trim();
    }

    /// <summary>Batches case changes from the pipeline into Case API v2 requests (100 a request).</summary>
    public abstract class CCCaseWriteCmdlet : CCCaseChangeCmdlet
    {
        private const int Batch = CasesV2Api.MaxBatch;
        private readonly List<CCCaseChange> _batch = new List<CCCaseChange>();
        private readonly List<object?> _targets = new List<object?>();
        private readonly Dictionary<string, string> _temporaryIds = new Dictionary<string, string>(StringComparer.Ordinal);
        private int _written;
        private readonly int _activityId = new Random().Next(1000, int.MaxValue);

        protected abstract string Action { get; }
        protected virtual bool WriteResults => true;
        /// <summary>Compare each change with the case on the server first and send only what differs (Set-CCCase):
        /// a CSV from Get-CCCase piped back unchanged writes nothing, an edited cell writes that one property.</summary>
        protected virtual bool SendsOnlyChanges => false;
        private int _unchanged, _would, _rows;

        /// <summary>Checks one change, asks ShouldProcess, and queues it; a full batch is sent at once.</summary>
        protected void Queue(CCCaseChange change, object? target)
        {
            if (!Complete(change)) return;
            var problem = CasesV2Api.Problem(change, out var parameter);
            if (problem != null)
            {
                WriteItemError(new CCApiException(CCErrorKind.InvalidArgument, $"Case {change.Label} was not {Done}: -{parameter}: {problem}"), target);
                _failed++;
                return;
            }
            _rows++;
            if (!SendsOnlyChanges && !ShouldProcess(change.Label, Action)) return;
            _batch.Add(change);
            _targets.Add(target);
            if (_batch.Count >= Batch) Send();
        }

        protected override void EndProcessing()
        {
            Send();
            if (SendsOnlyChanges && (WhatIfOn || _rows > 1))
                WriteInformation(WhatIfOn
                    ? $"{MyInvocation.MyCommand.Name} -WhatIf: {_would} would be {Done}, {_unchanged} unchanged, {_failed} failed the checks, of {_rows} rows."
                    : $"{MyInvocation.MyCommand.Name}: {_written} {Done}, {_unchanged} unchanged, {_failed} failed, of {_rows} rows.", new[] { "PSHOST" });
            if (_written + _failed > Batch)
                WriteProgress(new ProgressRecord(_activityId, Action, "Done") { RecordType = ProgressRecordType.Completed });
            base.EndProcessing();
        }

        private void Send()
        {
            if (_batch.Count == 0) return;
            var batch = _batch.ToArray();
            var targets = _targets.ToArray();
            _batch.Clear();
            _targets.Clear();
            var client = new CommCareClient(ActiveSession, Sink, CancellationToken);
            if (SendsOnlyChanges)
            {
                try { (batch, targets) = OnlyChanges(client, batch, targets); }
                catch (CCApiException ex)
                {
                    for (int i = 0; i < batch.Length; i++) { _failed++; FailItem(ex, $"Case {batch[i].Label} was not {Done}", targets[i]); }
                    return;
                }
                if (batch.Length == 0) return;
            }
            IReadOnlyList<CCCaseWriteResult> results;
            try { results = client.CasesV2.Write(batch, _temporaryIds); }
            catch (CCApiException ex)
            {
                for (int i = 0; i < batch.Length; i++) { _failed++; FailItem(ex, $"Case {batch[i].Label} was not {Done}", targets[i]); }
                return;
            }
            Flush();
            foreach (var r in results)
            {
                if (r.Case != null)
                {
                    _written++;
                    if (WriteResults) WriteObject(r.Case);
                }
                else
                {
                    _failed++;
                    var ex = r.Error!;
                    FailItem(ex, $"Case {batch[r.Index].Label} was not {Done}", targets[r.Index]);
                }
            }
            if (_written + _failed >= Batch)
                WriteProgress(new ProgressRecord(_activityId, Action, $"{_written} {Done}, {_failed} failed"));
        }

        /// <summary>The changes of a batch with what the server already has removed (one bulk fetch), each then
        /// confirmed with ShouldProcess naming exactly what it would change.</summary>
        private (CCCaseChange[], object?[]) OnlyChanges(CommCareClient client, CCCaseChange[] batch, object?[] targets)
        {
            var ids = batch.Where(c => c.CaseId != null).Select(c => c.CaseId!).Distinct().ToList();
            var externalIds = batch.Where(c => c.CaseId == null && c.ExternalId != null).Select(c => c.ExternalId!).Distinct().ToList();
            var byId = new Dictionary<string, CCCase>(StringComparer.Ordinal);
            var byExternalId = new Dictionary<string, CCCase>(StringComparer.Ordinal);
            foreach (var r in client.CasesV2.Fetch(ids, externalIds))
                if (r.Case != null)
                {
                    if (r.ByExternalId) byExternalId[r.Case.ExternalId ?? ""] = r.Case;
                    else byId[r.Case.Id] = r.Case;
                }
            var keep = new List<CCCaseChange>();
            var keepTargets = new List<object?>();
            for (int i = 0; i < batch.Length; i++)
            {
                var c = batch[i];
                CCCase? current = null;
                if (c.CaseId != null) byId.TryGetValue(c.CaseId, out current);
                else if (c.ExternalId != null) byExternalId.TryGetValue(c.ExternalId, out current);
                if (current != null && !CaseChanges.Trim(c, current))
                {
                    _unchanged++;
                    WriteVerbose($"Case {c.Label}: nothing to change.");
                    continue;
                }
                if (!ShouldProcess(c.Label, $"{Action} ({Describe(c)})")) { if (WhatIfOn) _would++; continue; }
                keep.Add(c);
                keepTargets.Add(targets[i]);
            }
            return (keep.ToArray(), keepTargets.ToArray());
        }

        private static string Describe(CCCaseChange c)
        {
            var parts = new List<string>();
            if (c.CaseName != null) parts.Add("case_name");
            if (c.OwnerId != null) parts.Add("owner_id");
            if (c.CaseType != null) parts.Add("case_type");
            if (c.CaseId != null && c.ExternalId != null) parts.Add("external_id");
            parts.AddRange(c.Properties.Keys);
            parts.AddRange(c.Indices.Keys.Select(k => "index " + k));
            if (c.Close) parts.Add("close");
            return parts.Count == 0 ? "new case" : string.Join(", ", parts);
        }


    }

    /// <summary>
    /// <para type="synopsis">Creates cases (Case API v2).</para>
    /// <para type="description">Each input makes one case. Pipeline input goes to CommCare 100 cases a request; a row the server rejects is reported as that row's error and the others are still created. Columns of piped objects (Import-Csv rows) that are not parameters become case properties; empty cells are skipped. A request whose answer is lost is never repeated blindly: cases with an external id are then written as upserts by that id (so the case made by the first attempt is found, not duplicated), and cases without one are reported with the error id CommCare.OutcomeUnknown so that you can check before creating them again. -TemporaryId lets later rows of the same command point an index at a case made earlier in it.</para>
    /// </summary>
    /// <example><code>New-CCCase -CaseType patient -Name 'Mattie Ross' -OwnerId $owner -Property @{ age = '43' } -ExternalId P-17</code><para>One case.</para></example>
    /// <example><code>Import-Csv patients.csv | New-CCCase -CaseType patient -OwnerId $owner</code><para>One case per row: the name column is the case name, external_id the external id, every other column a property.</para></example>
    /// <example><code>$hh = New-CCCase -CaseType household -Name 'Ross household' -OwnerId $owner; New-CCCase -CaseType person -Name 'Mattie Ross' -OwnerId $owner -Index @{ parent = $hh }</code><para>A child case under a household.</para></example>
    [Cmdlet(VerbsCommon.New, "CCCase", SupportsShouldProcess = true)]
    [OutputType(typeof(CCCase))]
    public sealed class NewCCCaseCommand : CCCaseWriteCmdlet
    {
        /// <summary>The case type, e.g. patient.</summary>
        [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)] [Alias("case_type", "Type")] [AllowEmptyString] [ArgumentCompleter(typeof(CaseTypeCompleter))] public string CaseType { get; set; } = "";
        /// <summary>The case name.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)] [Alias("case_name")] [AllowEmptyString] public string Name { get; set; } = "";
        /// <summary>Who owns the case: a mobile worker, case-sharing group or location id.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("owner_id")] [RefuseTypeName] public string? OwnerId { get; set; }
        /// <summary>Your own key for the case (not made unique by CommCare). With it, a create whose answer was lost is retried safely.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("external_id")] public string? ExternalId { get; set; }
        /// <summary>A name that later rows of this command can use in -Index (temporary_id) before the case has an id.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("temporary_id")] public string? TemporaryId { get; set; }
        /// <summary>Create the case closed.</summary>
        [Parameter] public SwitchParameter Close { get; set; }

        protected override string Action => "Create case";
        protected override string Done => "created";

        protected override void ProcessRecord()
        {
            var change = new CCCaseChange
            {
                Mode = CCCaseWriteMode.Create, CaseType = Text(CaseType), CaseName = Text(Name), OwnerId = Text(OwnerId),
                ExternalId = Text(ExternalId), TemporaryId = Text(TemporaryId), Close = Close,
            };
            Queue(change, (object?)InputObject ?? change.Label);
        }
    }

    /// <summary>
    /// <para type="synopsis">Changes cases (Case API v2), or creates them by external id with -Upsert.</para>
    /// <para type="description">Finds each case by -CaseId (binds from Get-CCCase output), or by -ExternalId; with -Upsert a case with that external id is changed, or created when there is none (then -CaseType, -Name and -OwnerId are needed). Only what is given changes. Pipeline input goes 100 cases a request; a rejected row is that row's error and the others are still written. Columns of piped rows that are not parameters become properties (empty cells are skipped). Updates and upserts are safe to retry, so a lost answer is retried.</para>
    /// </summary>
    /// <example><code>Set-CCCase -CaseId $id -Property @{ status = 'referred' }</code><para>Sets one property.</para></example>
    /// <example><code>Import-Csv patients.csv | Set-CCCase -ExternalId { $_.pid } -Upsert -CaseType patient -OwnerId $owner</code><para>Creates or updates one case per row, matched on the pid column, 100 per request.</para></example>
    /// <example><code>Get-CCCase -CaseType patient -OwnerId $old | Set-CCCase -OwnerId $new</code><para>Moves cases to another owner.</para></example>
    [Cmdlet(VerbsCommon.Set, "CCCase", SupportsShouldProcess = true, DefaultParameterSetName = ParameterSets.Id)]
    [OutputType(typeof(CCCase))]
    public sealed class SetCCCaseCommand : CCCaseWriteCmdlet
    {
        /// <summary>The case to change.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.Id, Position = 0, ValueFromPipelineByPropertyName = true)] [Alias("case_id", "Id")] [AllowEmptyString] public string CaseId { get; set; } = "";
        /// <summary>With -CaseId: a new external id. Alone: the external id that finds the case.</summary>
        [Parameter(ParameterSetName = ParameterSets.Id, ValueFromPipelineByPropertyName = true)]
        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.ExternalId, ValueFromPipelineByPropertyName = true)] [Alias("external_id")] [AllowEmptyString] [AllowNull] public string? ExternalId { get; set; }
        /// <summary>Create the case when no case has the external id (otherwise that is an error).</summary>
        [Parameter(ParameterSetName = ParameterSets.ExternalId)] public SwitchParameter Upsert { get; set; }
        /// <summary>A new case type (or the type for a case -Upsert creates).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("case_type", "Type")] [ArgumentCompleter(typeof(CaseTypeCompleter))] [RefuseTypeName] public string? CaseType { get; set; }
        /// <summary>A new name.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("case_name")] [RefuseTypeName] public string? Name { get; set; }
        /// <summary>A new owner (user, case-sharing group or location id).</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)] [Alias("owner_id")] [RefuseTypeName] public string? OwnerId { get; set; }
        /// <summary>Also close the case.</summary>
        [Parameter] public SwitchParameter Close { get; set; }
        /// <summary>Write each changed case to the pipeline.</summary>
        [Parameter] public SwitchParameter PassThru { get; set; }

        protected override string Action => Upsert ? "Create or update case" : "Update case";
        protected override string Done => Upsert ? "written" : "updated";
        protected override bool WriteResults => PassThru;
        protected override bool SendsOnlyChanges => true;

        protected override void ProcessRecord()
        {
            bool byId = ParameterSetName == ParameterSets.Id;
            var change = new CCCaseChange
            {
                Mode = byId ? CCCaseWriteMode.Update : Upsert ? CCCaseWriteMode.Upsert : CCCaseWriteMode.Update,
                CaseId = byId ? Text(CaseId) : null,
                ExternalId = byId ? Text(FromInput(nameof(ExternalId), ExternalId)) : Text(ExternalId),
                CaseType = Text(FromInput(nameof(CaseType), CaseType)), CaseName = Text(FromInput(nameof(Name), Name)),
                OwnerId = Text(FromInput(nameof(OwnerId), OwnerId)), Close = Close,
            };
            if (byId && change.CaseId == null)
            {
                WriteItemError(new CCApiException(CCErrorKind.InvalidArgument, "-CaseId is empty: give the id of the case to change (or use -ExternalId)."), InputObject);
                return;
            }
            Queue(change, (object?)InputObject ?? change.Label);
        }
    }

    /// <summary>
    /// <para type="synopsis">Closes cases (Case API v2).</para>
    /// <para type="description">Closes each case, optionally setting properties in the same change. Cases from Get-CCCase bind by their Id; pipeline input goes 100 cases a request, and a case that cannot be closed is reported on its own. Closing is safe to retry.</para>
    /// </summary>
    /// <example><code>Get-CCCase -CaseType patient -Closed:$false | Where-Object { $_.Properties.dead -eq 'yes' } | Close-CCCase</code><para>Closes the matching open cases.</para></example>
    /// <example><code>Close-CCCase -CaseId $id -Property @{ close_reason = 'moved' }</code><para>Closes one case and records why.</para></example>
    [Cmdlet(VerbsCommon.Close, "CCCase", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ParameterSets.Id)]
    [OutputType(typeof(CCCase))]
    public sealed class CloseCCCaseCommand : CCCaseWriteCmdlet
    {
        /// <summary>The case to close.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.Id, Position = 0, ValueFromPipelineByPropertyName = true)] [Alias("case_id", "Id")] [AllowEmptyString] public string CaseId { get; set; } = "";
        /// <summary>Find the case by its external id instead.</summary>
        [Parameter(Mandatory = true, ParameterSetName = ParameterSets.ExternalId)] [Alias("external_id")] [AllowEmptyString] public string ExternalId { get; set; } = "";
        /// <summary>Write each closed case to the pipeline.</summary>
        [Parameter] public SwitchParameter PassThru { get; set; }

        protected override string Action => "Close case";
        protected override string Done => "closed";
        protected override bool WriteResults => PassThru;

        protected override void ProcessRecord()
        {
            var change = new CCCaseChange
            {
                Mode = CCCaseWriteMode.Update, Close = true,
                CaseId = ParameterSetName == ParameterSets.Id ? Text(CaseId) : null,
                ExternalId = ParameterSetName == ParameterSets.ExternalId ? Text(ExternalId) : null,
            };
            // A closed case from the pipeline keeps its other columns out: closing is not an update of every property.
            InputObject = null;
            Queue(change, change.Label);
        }
    }
}
