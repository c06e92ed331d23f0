using System;
using System.Collections.Generic;
using System.Linq;
using CommCare.Models;

namespace CommCare.Client.Api
{
    /// <summary>
    /// What a case update would really change. A CSV made from Get-CCCase and read back holds every field and
    /// property; an update that repeats them would still be recorded on the server as a new form touching the
    /// case. Dropping what already matches makes a round trip the identity and an edited cell one change.
    /// </summary>
    public static class CaseChanges
    {
        /// <summary>Removes from <paramref name="change"/> what <paramref name="current"/> already has; false when
        /// nothing is left to send.</summary>
        public static bool Trim(CCCaseChange change, CCCase current)
        {
            if (Same(change.CaseName, current.Name)) change.CaseName = null;
            if (Same(change.OwnerId, current.OwnerId)) change.OwnerId = null;
            if (Same(change.CaseType, current.CaseType)) change.CaseType = null;
            // An update found by case id may carry the external id as a field to set.
            if (change.CaseId != null && Same(change.ExternalId, current.ExternalId)) change.ExternalId = null;
            foreach (var key in change.Properties.Keys.ToList())
            {
                current.Properties.TryGetValue(key, out var now);
                if (string.Equals(change.Properties[key], Text(now), StringComparison.Ordinal)) change.Properties.Remove(key);
            }
            foreach (var key in change.Indices.Keys.ToList())
            {
                var want = change.Indices[key];
                current.Indices.TryGetValue(key, out var now);
                bool removeAbsent = want.CaseId == null && want.ExternalId == null && want.TemporaryId == null && now == null;
                bool same = now != null && want.CaseId != null && want.ExternalId == null && want.TemporaryId == null
                    && string.Equals(want.CaseId, now.CaseId, StringComparison.Ordinal)
                    && (want.CaseType == null || string.Equals(want.CaseType, now.CaseType, StringComparison.Ordinal))
                    && string.Equals(want.Relationship, string.IsNullOrEmpty(now.Relationship) ? "child" : now.Relationship, StringComparison.Ordinal);
                if (removeAbsent || same) change.Indices.Remove(key);
            }
            if (change.Close && current.Closed) change.Close = false;
            return change.CaseName != null || change.OwnerId != null || change.CaseType != null || (change.CaseId != null && change.ExternalId != null)
                || change.Properties.Count > 0 || change.Indices.Count > 0 || change.Close;
        }

        private static bool Same(string? want, string? now) => want != null && string.Equals(want, now ?? "", StringComparison.Ordinal);

        /// <summary>A property value as it is sent: text (the server stores case properties as text).</summary>
        private static string Text(object? v) => v switch
        {
            null => "",
            string s => s,
            bool b => b ? "true" : "false",
            IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
            _ => v.ToString() ?? "",
        };
    }
}
