using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace CommCare.Database
{
    /// <summary>
    /// The exact indexed_on walk's position as kept in the state table: the instant the next run resumes
    /// at and the ids already stored at that instant (they are skipped on resume). Text, so every provider
    /// stores it the same way: the instant, then one id per line.
    /// </summary>
    public sealed class WalkPosition
    {
        public WalkPosition(DateTime instant, IEnumerable<string> idsAtInstant)
        {
            Instant = instant.Kind == DateTimeKind.Utc ? instant : instant.ToUniversalTime();
            IdsAtInstant = idsAtInstant.ToList();
        }

        public DateTime Instant { get; }
        public IReadOnlyList<string> IdsAtInstant { get; }

        public override string ToString()
            => "v1 " + Instant.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture)
               + (IdsAtInstant.Count == 0 ? "" : "\n" + string.Join("\n", IdsAtInstant));

        /// <summary>Reads a saved position; null for null or empty text; an unknown format is an error (never guessed).</summary>
        public static WalkPosition? Parse(string? text)
        {
            if (string.IsNullOrEmpty(text)) return null;
            var lines = text!.Split('\n');
            if (!lines[0].StartsWith("v1 ", StringComparison.Ordinal)
                || !DateTime.TryParseExact(lines[0].Substring(3), "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture,
                    DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var instant))
                throw new FormatException("The saved walk position is not one this module wrote: " + lines[0]);
            return new WalkPosition(DateTime.SpecifyKind(instant, DateTimeKind.Utc), lines.Skip(1).Where(l => l.Length > 0));
        }
    }
}
