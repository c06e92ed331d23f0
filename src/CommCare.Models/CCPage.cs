using System.Collections.Generic;

namespace CommCare.Models
{
    /// <summary>Paging facts the engine reports while it streams (for progress and -IncludeTotalCount).</summary>
    public sealed class CCPagingStatus
    {
        /// <summary>The server's count of matching records, when it sent one.</summary>
        public long? TotalCount { get; internal set; }
        /// <summary>Records delivered so far.</summary>
        public long Delivered { get; internal set; }
        /// <summary>Requests made so far.</summary>
        public int Requests { get; internal set; }
        /// <summary>Boundary records dropped because an earlier page already delivered them.</summary>
        public long DuplicatesDropped { get; internal set; }
    }
}
