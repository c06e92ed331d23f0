using System;
using System.Collections.Generic;

namespace CommCare.Models
{
    /// <summary>
    /// The keys of a record's open-ended field (case properties, user data, group metadata, location data) across
    /// the records of one page, worked out the first time something asks. A table of such records (Export-Csv
    /// takes its columns from the first record) then has a column for every key the page holds, not only the first
    /// record's.
    /// </summary>
    public sealed class CCColumnKeys
    {
        private readonly object _gate = new object();
        private Func<IReadOnlyList<string>>? _compute;
        private IReadOnlyList<string>? _keys;

        internal CCColumnKeys(Func<IReadOnlyList<string>> compute) { _compute = compute; }

        /// <summary>The keys in first-seen order; null when they could not be worked out (the page was gone).</summary>
        internal IReadOnlyList<string>? Keys
        {
            get
            {
                lock (_gate)
                {
                    if (_compute != null)
                    {
                        var compute = _compute;
                        _compute = null;   // once, whatever happens: a failure must not be paid again per record
                        try { _keys = compute(); }
                        catch (Exception) { _keys = null; }   // e.g. asked after the page's bytes were released
                    }
                    return _keys;
                }
            }
        }
    }
}
