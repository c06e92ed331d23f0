using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Text;

namespace CommCare.PowerShell
{
    /// <summary>What the write cmdlets do with the columns of a pipeline row (a CSV line).</summary>
    internal static class RowColumns
    {
        /// <summary>
        /// One warning text naming the row's columns that bind to nothing, each with the nearest parameter, or
        /// null. Columns that are fields of the cmdlet's own output type (a CSV made by the matching Get- cmdlet)
        /// and columns under one of <paramref name="prefixes"/> (user_data.KEY, …) are not reported.
        /// </summary>
        public static string? Unbound(PSObject row, CommandInfo command, Type? outputType, params string[] prefixes)
        {
            if (row.BaseObject is string || !(row.BaseObject is PSCustomObject)) return null;
            var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var kv in command.Parameters)
            {
                names[kv.Key] = kv.Key;
                foreach (var a in kv.Value.Aliases) names[a] = kv.Key;
            }
            var fields = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            if (outputType != null) foreach (var p in outputType.GetProperties()) fields.Add(p.Name);
            var unbound = new List<string>();
            foreach (var p in row.Properties)
            {
                if (!(p is PSNoteProperty)) continue;
                if (names.ContainsKey(p.Name) || fields.Contains(p.Name)) continue;
                if (prefixes.Any(x => p.Name.StartsWith(x, StringComparison.OrdinalIgnoreCase) && p.Name.Length > x.Length)) continue;
                unbound.Add($"'{p.Name}' ({Suggest(p.Name, names, prefixes, command.Name)})");
            }
            if (unbound.Count == 0) return null;
            return $"{command.Name}: these columns bind to no parameter and were ignored: {string.Join(", ", unbound)}.";
        }

        private static string Suggest(string column, Dictionary<string, string> names, string[] prefixes, string command)
        {
            string n = Normal(column);
            // CommCare's bulk-upload spellings: "data: chw_id", "group 1", "location_code".
            int colon = column.IndexOf(':');
            if (colon > 0 && prefixes.Length > 0 && Normal(column.Substring(0, colon)) == "data")
                return $"name it {prefixes[0]}{column.Substring(colon + 1).Trim()} for a user data field";
            string? best = null;
            int bestScore = int.MaxValue;
            foreach (var kv in names)
            {
                string c = Normal(kv.Key);
                if (c.Length == 0) continue;
                int score = c == n ? 0 : (n.StartsWith(c, StringComparison.Ordinal) || c.StartsWith(n, StringComparison.Ordinal)) ? 1 : Distance(n, c) + 1;
                if (score < bestScore) { bestScore = score; best = kv.Value; }
            }
            if (best != null && bestScore <= Math.Max(3, n.Length / 3)) return $"did you mean -{best}? Rename the column to {best}";
            return $"no parameter is close; Get-Help {command} -Parameter * lists the columns it takes";
        }

        private static string Normal(string s)
        {
            var sb = new StringBuilder(s.Length);
            foreach (char ch in s) if (char.IsLetter(ch)) sb.Append(char.ToLowerInvariant(ch));
            // "phone_numbers" and "PhoneNumber" are one name; trailing plurals and digits ("group 1") do not matter.
            if (sb.Length > 3 && sb[sb.Length - 1] == 's') sb.Length--;
            return sb.ToString();
        }

        private static int Distance(string a, string b)
        {
            var d = new int[a.Length + 1, b.Length + 1];
            for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
            for (int j = 0; j <= b.Length; j++) d[0, j] = j;
            for (int i = 1; i <= a.Length; i++)
                for (int j = 1; j <= b.Length; j++)
                    d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            return d[a.Length, b.Length];
        }

        /// <summary>The column of the row that fed a parameter (its name or an alias), for error messages;
        /// "-Parameter" when the value came from the command line.</summary>
        public static string Source(PSObject? row, CommandInfo command, string parameter)
        {
            if (row != null && row.BaseObject is PSCustomObject && command.Parameters.TryGetValue(parameter, out var meta))
                foreach (var p in row.Properties)
                    if (p is PSNoteProperty && (string.Equals(p.Name, parameter, StringComparison.OrdinalIgnoreCase) || meta.Aliases.Any(a => string.Equals(a, p.Name, StringComparison.OrdinalIgnoreCase))))
                        return $"column '{p.Name}'";
            return "-" + parameter;
        }

        /// <summary>A copy of a row without its password, to carry as an error's TargetObject (errors are logged and shown).</summary>
        public static object WithoutSecrets(PSObject row)
        {
            if (!(row.BaseObject is PSCustomObject)) return row;
            bool any = false;
            foreach (var p in row.Properties) if (p is PSNoteProperty && string.Equals(p.Name, "password", StringComparison.OrdinalIgnoreCase)) any = true;
            if (!any) return row;
            var copy = new PSObject();
            foreach (var p in row.Properties)
                if (p is PSNoteProperty)
                    copy.Properties.Add(new PSNoteProperty(p.Name, string.Equals(p.Name, "password", StringComparison.OrdinalIgnoreCase) ? (object)"********" : p.Value));
            return copy;
        }
    }
}
