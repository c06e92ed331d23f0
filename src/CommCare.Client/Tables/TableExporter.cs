using CommCare.Client.Paging;
using System;
using System.Collections.Generic;

namespace CommCare.Client.Tables
{
    /// <summary>The walk of an export: each record flattened and spooled, its position remembered for the checkpoint.</summary>
    public static class TableExporter
    {
        /// <returns>The number of records exported.</returns>
        public static long Run<T>(IEnumerable<T> records, Func<T, TableRecord> flatten, TableExport export, CCCheckpoint? checkpoint, Action<long>? progress)
        {
            long n = 0;
            foreach (var r in records)
            {
                var rec = flatten(r);
                export.Add(rec);
                checkpoint?.Remember(rec.Id, rec.IndexedOn);
                if ((++n & 511) == 0) progress?.Invoke(n);
            }
            return n;
        }
    }
}
