using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using CommCare.Models;

namespace CommCare.PowerShell
{
    /// <summary>
    /// Base of every CommCare cmdlet: cancellation (Ctrl+C stops a wait or a request at once), the
    /// message sink written from the pipeline thread, and ErrorRecords with stable ids.
    /// Holds no Client types, so it loads before the dependency resolver has run.
    /// </summary>
    public abstract class CCCmdlet : PSCmdlet
    {
        private CancellationTokenSource? _cts;
        private MessageSink? _sink;

        /// <summary>Cancelled by StopProcessing.</summary>
        protected CancellationToken CancellationToken => (_cts ??= new CancellationTokenSource()).Token;

        internal MessageSink Sink => _sink ??= new MessageSink(IsOn("Verbose", "VerbosePreference"), IsOn("Debug", "DebugPreference")) { OnPump = Flush };

        protected override void StopProcessing()
        {
            try { _cts?.Cancel(); } catch (ObjectDisposedException) { }
            base.StopProcessing();
        }

        protected override void EndProcessing()
        {
            Flush();
            base.EndProcessing();
        }

        /// <summary>Writes queued Verbose/Debug/Warning messages. Call from the pipeline thread only.</summary>
        protected void Flush()
        {
            var sink = _sink;
            if (sink == null || sink.IsEmpty) return;
            while (sink.TryDequeue(out var m))
            {
                switch (m.Item1)
                {
                    case MessageSink.Kind.Verbose: WriteVerbose(m.Item2); break;
                    case MessageSink.Kind.Debug: WriteDebug(m.Item2); break;
                    default: WriteWarning(m.Item2); break;
                }
            }
        }

        protected bool ParameterSpecified(string name) => MyInvocation.BoundParameters.ContainsKey(name);

        private HashSet<string>? _commandLine;

        protected override void BeginProcessing()
        {
            // Before any pipeline input is bound, BoundParameters holds only what the command line gave.
            _commandLine = new HashSet<string>(MyInvocation.BoundParameters.Keys, StringComparer.OrdinalIgnoreCase);
            base.BeginProcessing();
        }

        /// <summary>The parameter was given on the command line, not bound from a piped object. The write cmdlets take
        /// only the id of an object piped from a Get- cmdlet: its other fields would write back what was read.</summary>
        private protected bool OnCommandLine(string parameter) => _commandLine != null && _commandLine.Contains(parameter);

        /// <summary>True when ShouldProcess says no because of -WhatIf (not a "no" at a -Confirm prompt).</summary>
        private protected bool WhatIfOn
            => MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w) ? w is SwitchParameter s && s.IsPresent
               : SessionState.PSVariable.GetValue("WhatIfPreference") is object v && LanguagePrimitives.IsTrue(v);

        private bool _columnsChecked;

        /// <summary>Names, once per run, the columns of a piped row (a CSV line) that bind to nothing, each with the
        /// nearest parameter. Fields of <paramref name="outputType"/> (a CSV from the matching Get- cmdlet) and
        /// columns under <paramref name="prefixes"/> are taken, not reported.</summary>
        private protected void WarnUnboundColumns(PSObject? row, Type? outputType, params string[] prefixes)
        {
            if (_columnsChecked || row == null) return;
            _columnsChecked = true;
            var warning = RowColumns.Unbound(row, MyInvocation.MyCommand, outputType, prefixes);
            if (warning != null) WriteWarning(warning);
        }

        private bool IsOn(string switchName, string preferenceVariable)
        {
            if (MyInvocation.BoundParameters.TryGetValue(switchName, out var v))
                return v is SwitchParameter sp ? sp.IsPresent : LanguagePrimitives.IsTrue(v);
            var pref = GetVariableValue(preferenceVariable);
            if (pref is ActionPreference ap) return ap != ActionPreference.SilentlyContinue && ap != ActionPreference.Ignore;
            if (pref != null && Enum.TryParse(pref.ToString(), true, out ActionPreference parsed))
                return parsed != ActionPreference.SilentlyContinue && parsed != ActionPreference.Ignore;
            return false;
        }

        /// <summary>An ErrorRecord with the error's stable id (or <paramref name="errorId"/>, for a row's reason), its kind's
        /// category and the server's own words in ErrorDetails.</summary>
        internal static ErrorRecord ToErrorRecord(CCApiException ex, object? target, string? errorId = null)
        {
            var record = new ErrorRecord(ex, errorId ?? ex.ErrorId, Category(ex.Kind), target);
            if (ex.ServerMessage != null)
                record.ErrorDetails = new ErrorDetails(ex.Message) { RecommendedAction = "Server said: " + ex.ServerMessage };
            return record;
        }

        internal static ErrorCategory Category(CCErrorKind kind)
        {
            switch (kind)
            {
                case CCErrorKind.Authentication: return ErrorCategory.AuthenticationError;
                case CCErrorKind.Permission: return ErrorCategory.PermissionDenied;
                case CCErrorKind.NotFound: return ErrorCategory.ObjectNotFound;
                case CCErrorKind.BadRequest: return ErrorCategory.InvalidArgument;
                case CCErrorKind.InvalidArgument: return ErrorCategory.InvalidArgument;
                case CCErrorKind.Throttled: return ErrorCategory.LimitsExceeded;
                case CCErrorKind.Server: return ErrorCategory.ResourceUnavailable;
                case CCErrorKind.Network: return ErrorCategory.ConnectionError;
                case CCErrorKind.Timeout: return ErrorCategory.OperationTimeout;
                case CCErrorKind.BadResponse: return ErrorCategory.InvalidData;
                case CCErrorKind.NotConnected: return ErrorCategory.AuthenticationError;
                case CCErrorKind.OutcomeUnknown: return ErrorCategory.OperationTimeout;
                default: return ErrorCategory.NotSpecified;
            }
        }

        /// <summary>Stops the cmdlet: nothing more can be done (no session, refused credentials, a list that broke off).</summary>
        protected void Terminate(CCApiException ex, object? target = null)
        {
            Flush();
            ThrowTerminatingError(ToErrorRecord(ex, target));
        }

        /// <summary>One item failed; the rest carry on.</summary>
        protected void WriteItemError(CCApiException ex, object? target)
        {
            Flush();
            WriteError(ToErrorRecord(ex, target));
        }

        /// <summary>One input row failed (a CSV line): like an item error, with an id that says why
        /// (<c>CommCare.MobileWorker.Rejected</c>) and the row as the target.</summary>
        private protected void WriteRowError(string errorId, CCApiException ex, object? target)
        {
            Flush();
            WriteError(ToErrorRecord(ex, target, errorId));
        }

        /// <summary>The module's one rule for a failed call: refused credentials, a missing permission or no session stop
        /// the command, since no other item would fare better (which status a missing privilege gets is unconfirmed,
        /// docs/commcare-api.md U4, so both do); any other failure is the item's own and the rest carry on.</summary>
        private protected static bool StopsCommand(CCApiException ex)
            => ex.Kind == CCErrorKind.Authentication || ex.Kind == CCErrorKind.Permission || ex.Kind == CCErrorKind.NotConnected;

        /// <summary>Runs one piece of the command's work under that rule (the template every cmdlet's calls go through):
        /// with no <paramref name="item"/> the work is what the command is for (a list, a download, a status), so any
        /// failure stops the command; with one, a failure is that item's error ("<paramref name="item"/>: why") unless
        /// <see cref="StopsCommand"/>. False after an item error.</summary>
        private protected bool Call(Action work, object? target = null, string? item = null)
        {
            try { work(); return true; }
            catch (CCApiException ex)
            {
                if (item == null) Terminate(ex, target);
                else FailItem(ex, item, target);
                return false;
            }
        }

        /// <summary><see cref="Call(Action, object, string)"/> for work that gives the command what it goes on with: a
        /// failure stops the command.</summary>
        private protected T Call<T>(Func<T> work, object? target = null)
        {
            try { return work(); }
            catch (CCApiException ex) { Terminate(ex, target); throw; }
        }

        /// <summary>One item failed: auth and permission failures stop the cmdlet (nothing else would work);
        /// anything else is reported for this item with what was being done, and the rest carry on.</summary>
        protected void FailItem(CCApiException ex, string what, object? target)
        {
            if (StopsCommand(ex)) Terminate(ex, target);
            // A refusal's own words say most (400: "The role 'x' does not exist"); other answers (404, 5xx) are
            // better told by the module's message, which quotes the server where its text helps.
            string text = ex.Kind == CCErrorKind.BadRequest ? ex.ServerMessage ?? ex.Message : ex.Message;
            WriteItemError(new CCApiException(ex.Kind, $"{what}: {text}", ex.StatusCode, ex.ServerMessage, ex.RequestPath, ex), target);
        }

        protected void ThrowParameterError(string parameter, string message, object? value = null)
        {
            // An ArgumentException's message already ends with "(Parameter 'x')": the new one adds its own.
            message = System.Text.RegularExpressions.Regex.Replace(message, @"\s*\(Parameter '[^']*'\)$", "");
            var ex = new CCApiException(CCErrorKind.InvalidArgument, $"-{parameter}: {message}");
            ThrowTerminatingError(new ErrorRecord(new ArgumentException(ex.Message, parameter), "CommCare.InvalidArgument." + parameter, ErrorCategory.InvalidArgument, value));
        }

        /// <summary>A file the user named, as a file-system path; null (with a non-terminating error naming the parameter) when it is not an existing file.</summary>
        protected string? ResolveInputFile(string parameter, string path)
        {
            string? problem = null;
            string? result = null;
            try
            {
                var resolved = GetResolvedProviderPathFromPSPath(path, out var provider);
                if (provider.Name != "FileSystem") problem = $"'{path}' is not a file-system path.";
                else if (resolved.Count != 1) problem = $"'{path}' matches {resolved.Count} files; give one file.";
                else if (System.IO.Directory.Exists(resolved[0])) problem = $"'{path}' is a folder; give a file.";
                else result = resolved[0];
            }
            catch (ItemNotFoundException) { problem = $"'{path}' does not exist."; }
            catch (DriveNotFoundException) { problem = $"'{path}' does not exist (no such drive)."; }
            catch (ProviderNotFoundException) { problem = $"'{path}' is not a file-system path."; }
            catch (System.Management.Automation.PSArgumentException ex) { problem = $"'{path}' is not a valid path: {ex.Message}"; }
            if (problem == null) return result;
            Flush();
            WriteError(new ErrorRecord(new System.IO.FileNotFoundException($"-{parameter}: {problem}"), "CommCare.PathNotFound." + parameter, ErrorCategory.ObjectNotFound, path));
            return null;
        }

        /// <summary>A path to write to, as a file-system path (it need not exist yet).</summary>
        protected string ResolveOutputPath(string path) => GetUnresolvedProviderPathFromPSPath(path);

        /// <summary>A file to write: not a folder (which would fail late with a raw IOException, after the download)
        /// and in a folder that exists. Stops the cmdlet with an error naming the parameter otherwise.
        /// The module's one rule for files it writes: an existing file is kept unless -Force, and a replaced file is
        /// swapped in only when the new one is complete (every writer goes through a temporary file).</summary>
        protected string ResolveOutputFile(string parameter, string path, bool force)
        {
            string file = ResolveOutputPath(path);
            if (System.IO.File.Exists(file) && !force)
                ThrowParameterError(parameter, $"'{path}' already exists; use -Force to replace it (the new file replaces it only once complete), or give another path.", path);
            if (System.IO.Directory.Exists(file))
                ThrowParameterError(parameter, $"'{path}' is a folder; give a file name in it, e.g. '{System.IO.Path.Combine(path, "name" + (System.IO.Path.GetExtension(path) ?? ""))}'.", path);
            if (!System.IO.Directory.Exists(System.IO.Path.GetDirectoryName(file)))
                ThrowParameterError(parameter, $"the folder of '{path}' does not exist.", path);
            return file;
        }

        protected void DisposeCancellation()
        {
            _cts?.Dispose();
            _cts = null;
        }
    }
}
