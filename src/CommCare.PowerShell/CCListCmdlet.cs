using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using CommCare.Models;

namespace CommCare.PowerShell
{
    /// <summary>Base of list cmdlets: streams records as pages arrive, with -First/-Skip/-IncludeTotalCount,
    /// -PageSize and one progress update per page when more than one page is coming.</summary>
    public abstract class CCListCmdlet : CCSessionCmdlet
    {
        private static int _activityIds = 1000;
        private readonly int _activityId = System.Threading.Interlocked.Increment(ref _activityIds);

        /// <summary>Asks the server for this many records per request (its maximum caps it).</summary>
        protected int EffectivePageSize(int pageSize)
        {
            ulong wanted = PagingParameters.First == ulong.MaxValue ? ulong.MaxValue : PagingParameters.First + PagingParameters.Skip;
            if (PagingParameters.First != ulong.MaxValue && wanted < PagingParameters.First) wanted = ulong.MaxValue; // overflow
            return wanted < (ulong)pageSize ? Math.Max(1, (int)wanted) : pageSize;
        }

        /// <summary>How many records the consumer takes at most (-First + -Skip), for the engine's cap.</summary>
        protected long MaxRecords()
        {
            if (PagingParameters.First == ulong.MaxValue) return long.MaxValue;
            ulong n = PagingParameters.First + PagingParameters.Skip;
            return n < PagingParameters.First || n > long.MaxValue ? long.MaxValue : (long)n;
        }

        /// <summary>Writes the records, stopping early for -First (so no further page is requested).</summary>
        protected void Stream<T>(IEnumerable<T> records, CCPagingStatus status, string activity, Action<T>? delivered = null, Action? pageDone = null)
        {
            ulong skip = PagingParameters.Skip, first = PagingParameters.First;
            int seenRequests = 0;
            bool progressShown = false, totalWritten = false;
            var e = records.GetEnumerator();
            try
            {
                while (true)
                {
                    bool has = false;
                    if (first > 0)
                    {
                        try { has = e.MoveNext(); }
                        catch (CCApiException ex) { Terminate(ex); }
                        catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested) { throw new PipelineStoppedException(); }
                        catch (AggregateException agg) when (agg.InnerException is CCApiException inner) { Terminate(inner); }
                    }
                    Flush();
                    if (status.Requests != seenRequests)
                    {
                        seenRequests = status.Requests;
                        pageDone?.Invoke();
                        if (!totalWritten && PagingParameters.IncludeTotalCount)
                        {
                            totalWritten = true;
                            WriteObject(PagingParameters.NewTotalCount(status.TotalCount.HasValue ? (ulong)status.TotalCount.Value : 0, status.TotalCount.HasValue ? 1.0 : 0.0));
                        }
                        if (status.TotalCount is long total && total > status.Delivered + 1 && has)
                        {
                            progressShown = true;
                            int pct = total == 0 ? 100 : (int)Math.Min(100, status.Delivered * 100 / total);
                            WriteProgress(new ProgressRecord(_activityId, activity,
                                string.Format(CultureInfo.InvariantCulture, "{0:N0} of {1:N0} records, {2} requests", status.Delivered, total, status.Requests))
                            { PercentComplete = pct });
                        }
                    }
                    if (!has) break;
                    if (skip > 0) { skip--; continue; }
                    if (delivered == null) WriteObject(e.Current);
                    else
                    {
                        try { WriteObject(e.Current); }
                        catch (PipelineStoppedException) when (!Stopping)
                        {
                            // Not a Ctrl+C: Select-Object -First took this record, then stopped us; it counts as delivered.
                            delivered(e.Current);
                            throw;
                        }
                        // Only once the pipeline has taken it (Ctrl+C throws from WriteObject before delivering).
                        delivered(e.Current);
                    }
                    if (first != ulong.MaxValue) first--;
                }
                if (!totalWritten && PagingParameters.IncludeTotalCount)
                    WriteObject(PagingParameters.NewTotalCount(status.TotalCount.HasValue ? (ulong)status.TotalCount.Value : 0, status.TotalCount.HasValue ? 1.0 : 0.0));
                if (status.DuplicatesDropped > 0)
                    WriteVerbose($"{status.DuplicatesDropped} boundary record(s) that an earlier page already delivered were dropped.");
            }
            finally
            {
                e.Dispose();
                if (progressShown)
                    WriteProgress(new ProgressRecord(_activityId, activity, "Done") { RecordType = ProgressRecordType.Completed });
            }
        }

        /// <summary>Hashtable of property filters → name/value pairs; one value per name (the server keeps only the last).</summary>
        protected IDictionary<string, string>? ToFilterMap(Hashtable? table, string parameterName)
        {
            if (table == null || table.Count == 0) return null;
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (DictionaryEntry entry in table)
            {
                string key = entry.Key?.ToString() ?? "";
                object? v = entry.Value is PSObject p ? p.BaseObject : entry.Value;
                if (string.IsNullOrWhiteSpace(key)) ThrowParameterError(parameterName, "a property name is empty.");
                if (v == null) ThrowParameterError(parameterName, $"the value of '{key}' is empty; give the value to match.");
                if (v is IEnumerable && !(v is string)) ThrowParameterError(parameterName, $"'{key}' has several values; this API matches one value per property (use -ApiVersion 2 queries for OR filters).");
                map[key] = v is DateTime dt ? dt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : Convert.ToString(v, CultureInfo.InvariantCulture)!;
            }
            return map;
        }
    }
}
