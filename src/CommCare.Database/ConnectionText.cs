using System;
using System.Data.Common;
using System.Text;

namespace CommCare.Database
{
    /// <summary>Connection strings as they may appear in messages: the password masked, never shown.</summary>
    public static class ConnectionText
    {
        private static readonly string[] SecretKeys = { "password", "pwd", "passfile", "sslpassword", "ssl password", "ssl key", "sslkey" };
        private const string Mask = "*****";

        /// <summary>The connection string as given (keys keep their spelling) with every secret value replaced by *****.</summary>
        public static string Masked(string? connectionString)
        {
            if (string.IsNullOrEmpty(connectionString)) return "";
            string cs = connectionString!;
            var sb = new StringBuilder(cs.Length);
            int i = 0;
            while (i < cs.Length)
            {
                int eq = cs.IndexOf('=', i);
                int semi = cs.IndexOf(';', i);
                if (eq < 0 || (semi >= 0 && semi < eq))
                {
                    // A piece without '=': keep it (an empty piece between two ';', or text the driver will refuse).
                    int end = semi < 0 ? cs.Length : semi + 1;
                    sb.Append(cs, i, end - i);
                    i = end;
                    continue;
                }
                string key = cs.Substring(i, eq - i);
                sb.Append(cs, i, eq - i + 1);
                int v = eq + 1;
                while (v < cs.Length && cs[v] == ' ') v++;
                int valueEnd;
                if (v < cs.Length && (cs[v] == '"' || cs[v] == '\''))
                {
                    // Quoted: runs to the matching quote (a doubled quote is one literal quote).
                    char q = cs[v];
                    valueEnd = v + 1;
                    while (valueEnd < cs.Length)
                    {
                        if (cs[valueEnd] == q) { if (valueEnd + 1 < cs.Length && cs[valueEnd + 1] == q) { valueEnd += 2; continue; } valueEnd++; break; }
                        valueEnd++;
                    }
                    int next = cs.IndexOf(';', valueEnd);
                    valueEnd = next < 0 ? cs.Length : next;
                }
                else
                {
                    int next = cs.IndexOf(';', v);
                    valueEnd = next < 0 ? cs.Length : next;
                }
                bool secret = Array.IndexOf(SecretKeys, key.Trim().ToLowerInvariant()) >= 0;
                sb.Append(secret ? Mask : cs.Substring(eq + 1, valueEnd - eq - 1));
                if (valueEnd < cs.Length) sb.Append(';');
                i = valueEnd + 1;
            }
            return sb.ToString();
        }

        /// <summary>The password given in a connection string (to scrub it from server messages), or null.</summary>
        public static string? Password(string? connectionString)
        {
            if (string.IsNullOrEmpty(connectionString)) return null;
            try
            {
                var b = new DbConnectionStringBuilder { ConnectionString = connectionString };
                foreach (var key in new[] { "password", "pwd" })
                    if (b.TryGetValue(key, out var v) && v is string s && s.Length > 0) return s;
            }
            catch (ArgumentException) { }
            return null;
        }

        /// <summary>Removes a secret from a message (servers and drivers rarely echo it, but never trust that).</summary>
        public static string Scrub(string message, string? secret)
            => string.IsNullOrEmpty(secret) || secret!.Length < 2 ? message : message.Replace(secret, Mask);
    }
}
