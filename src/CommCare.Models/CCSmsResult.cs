using System;
using System.Collections.Generic;
using System.Globalization;

namespace CommCare.Models
{
    /// <summary>What the SMS endpoints answered, per number.</summary>
    public sealed class CCSmsResult
    {
        public IReadOnlyList<string> Sent { get; internal set; } = Array.Empty<string>();
        public IReadOnlyList<string> InvalidFormat { get; internal set; } = Array.Empty<string>();
        /// <summary>Numbers already registered (invitations) or not a mobile worker's (install info).</summary>
        public IReadOnlyList<string> NotSent { get; internal set; } = Array.Empty<string>();
        public override string ToString() => $"{Sent.Count} sent, {InvalidFormat.Count} invalid, {NotSent.Count} not sent";

        internal static CCSmsResult From(IDictionary<string, object?> answer, string notSentKey)
        {
            IReadOnlyList<string> L(string k)
            {
                var list = new List<string>();
                if (answer.TryGetValue(k, out var v) && v is List<object?> l) foreach (var x in l) list.Add(Convert.ToString(x, CultureInfo.InvariantCulture) ?? "");
                return list;
            }
            return new CCSmsResult { Sent = L("success_numbers"), InvalidFormat = L("invalid_format_numbers"), NotSent = L(notSentKey) };
        }
    }
}
