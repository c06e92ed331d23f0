using System;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Runtime.CompilerServices;
using CommCare.Client.Tables;
using CommCare.Database;
using CommCare.Models;

namespace CommCare.PowerShell.Cmdlets
{
    // The -ConnectionString half of Export-CCForm / Export-CCCase. Kept out of the file export's methods:
    // CommCare.Database (and with it SQLite and Npgsql) loads only when one of these methods runs.
    public abstract partial class CCTableExportCmdlet
    {
        /// <summary>A database export: the database opened first, then <paramref name="begin"/> reads the
        /// application structure and starts the walk (CommCare requests), then the walk is stored.</summary>
        /// <param name="walk">The walk's description: the key of its position in the state table.</param>
        /// <param name="start">The query's own start (a saved position before it is not used).</param>
        /// <param name="setStart">Moves the query's start to the saved position.</param>
        /// <param name="setSkip">Gives the query the ids already stored at that position.</param>
        /// <param name="begin">Reads the structure and returns the records, how to flatten one, and the tables.</param>
        /// <param name="activity">The progress bar's title.</param>
        /// <param name="noun">"forms" or "cases".</param>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private protected void ProcessDatabase<T>(string walk, DateTime? start, Action<DateTime?> setStart, Action<IList<string>> setSkip,
            Func<(IEnumerable<T> Records, Func<T, TableRecord> Flatten, Func<IReadOnlyList<TableDef>> Tables)> begin, string activity, string noun)
        {
            // -WhatIf: nothing is opened, created or read.
            if (!ShouldProcess($"{Provider} database '{ConnectionText.Masked(ConnectionString)}'", $"Store {noun} in")) return;
            var db = OpenDatabase(walk, start, setStart, setSkip);
            (IEnumerable<T> Records, Func<T, TableRecord> Flatten, Func<IReadOnlyList<TableDef>> Tables) w;
            try { w = begin(); }
            catch (CCApiException ex) { CloseDatabase(db); Terminate(ex); return; }
            RunDatabase(db, w.Records, w.Flatten, w.Tables, activity, noun);
        }

        /// <summary>Opens the database (before any CommCare request: a wrong password costs no API call) and
        /// moves the walk to where the last run ended.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private object OpenDatabase(string walk, DateTime? start, Action<DateTime?> setStart, Action<IList<string>> setSkip)
        {
            ITableStore? store = null;
            try
            {
                var provider = Provider == "PostgreSql" ? DatabaseProvider.PostgreSql : DatabaseProvider.Sqlite;
                store = TableStores.Open(provider, ConnectionString, ResolveOutputPath);
                var export = new DatabaseExport(store, walk, Full);
                var resume = export.Resume;
                if (resume != null && (start == null || Utc(start.Value) <= resume.Instant))
                {
                    setStart(resume.Instant);
                    setSkip(new List<string>(resume.IdsAtInstant));
                    WriteVerbose($"{store.Provider} database '{store.Connection}': continuing from {resume.Instant:o} ({resume.IdsAtInstant.Count} record(s) at that instant already stored).");
                }
                else WriteVerbose($"{store.Provider} database '{store.Connection}': {(Full ? "full rebuild into new tables" : "first run for these filters")}.");
                return new Opened(store, export);
            }
            catch (CCApiException ex) { store?.Dispose(); Terminate(ex); throw; }
        }

        // As the client reads dates (IsoDate.ToUtc): local time converted, a date without a zone taken as UTC.
        private static DateTime Utc(DateTime d) => d.Kind == DateTimeKind.Local ? d.ToUniversalTime() : DateTime.SpecifyKind(d, DateTimeKind.Utc);

        [MethodImpl(MethodImplOptions.NoInlining)]
        private void CloseDatabase(object opened) => ((Opened)opened).Store.Dispose();

        /// <summary>Walks the records into the database, a page per transaction, with progress in rows per second.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private void RunDatabase<T>(object opened, IEnumerable<T> records, Func<T, TableRecord> flatten, Func<IReadOnlyList<TableDef>> tables, string activity, string noun)
        {
            var o = (Opened)opened;
            var export = o.Export;
            try
            {
                export.Prepare(tables());
                long n = 0;
                foreach (var r in records)
                {
                    export.Add(flatten(r));
                    if ((++n & 511) == 0)
                    {
                        Flush();
                        double secs = Math.Max(0.001, export.Elapsed.TotalSeconds);
                        WriteProgress(new ProgressRecord(_activityId, activity,
                            string.Format(CultureInfo.InvariantCulture, "{0:N0} {1}, {2:N0} rows stored, {3:N0} rows/s", n, noun, export.Rows, export.Rows / secs)) { PercentComplete = -1 });
                    }
                }
                WriteProgress(new ProgressRecord(_activityId, activity, export.Full ? "Swapping the rebuilt tables in" : "Writing the last rows") { PercentComplete = -1 });
                export.Complete();
                WriteProgress(new ProgressRecord(_activityId, activity, "Done") { RecordType = ProgressRecordType.Completed });
                Flush();
                double seconds = export.Elapsed.TotalSeconds;
                WriteVerbose(string.Format(CultureInfo.InvariantCulture, "Stored {0:N0} {1} ({2:N0} rows) in {3:N1} s ({4:N0} rows/s) in {5} database '{6}'.",
                    export.Records, noun, export.Rows, seconds, export.Rows / Math.Max(0.001, seconds), o.Store.Provider, o.Store.Connection));
                if (PassThru)
                {
                    var summary = new PSObject();
                    summary.Properties.Add(new PSNoteProperty("Provider", o.Store.Provider));
                    summary.Properties.Add(new PSNoteProperty("Connection", o.Store.Connection));
                    summary.Properties.Add(new PSNoteProperty("Records", export.Records));
                    summary.Properties.Add(new PSNoteProperty("Rows", export.Rows));
                    summary.Properties.Add(new PSNoteProperty("Seconds", Math.Round(seconds, 3)));
                    summary.Properties.Add(new PSNoteProperty("DatabaseSeconds", Math.Round(export.Writing.TotalSeconds, 3)));
                    summary.Properties.Add(new PSNoteProperty("Full", export.Full));
                    WriteObject(summary);
                }
            }
            catch (CCApiException ex) { Terminate(ex); }
            catch (AggregateException agg) when (agg.InnerException is CCApiException inner) { Terminate(inner); }
            catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested) { throw new PipelineStoppedException(); }
            finally { o.Store.Dispose(); }
        }

        private sealed class Opened
        {
            public Opened(ITableStore store, DatabaseExport export) { Store = store; Export = export; }
            public ITableStore Store { get; }
            public DatabaseExport Export { get; }
        }
    }
}
