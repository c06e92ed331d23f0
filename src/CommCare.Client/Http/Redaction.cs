using CommCare.Models;
using System;
using System.Text;
using System.Text.RegularExpressions;

namespace CommCare.Client.Http
{
    /// <summary>Masks secrets in anything we show: query strings, header values, bodies. Works on copies.</summary>
    public static class Redaction
    {
        // Query or form fields that may carry a secret (CommCare still accepts ?api_key= on old endpoints).
        // Interpreted, not RegexOptions.Compiled: compiling emits and JIT-compiles code at the first request
        // (tens of ms of start-up) to save microseconds on short strings.
        private static readonly Regex SecretField = new Regex(
            @"(?<name>(?:^|[?&;\s""'{,])(?:api_?key|apikey|password|passwd|token|access_token|refresh_token|secret|otp|key)\b[""']?\s*[=:]\s*)(?<value>""(?:[^""\\]|\\.)*""|'(?:[^'\\]|\\.)*'|[^&;\s""',}]+)",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        private static readonly Regex AuthHeader = new Regex(
            @"(?<scheme>\b(?:apikey|bearer|basic|digest)\s+)(?<value>[^\s,""']+)",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        /// <summary>Path and query of a URI with secret-looking query values masked.</summary>
        public static string PathAndQuery(Uri uri)
        {
            string pq = uri.IsAbsoluteUri ? uri.PathAndQuery : uri.OriginalString;
            return Text(pq);
        }

        /// <summary>Masks secret-looking fields and authorization values in free text.</summary>
        public static string Text(string? text)
        {
            if (string.IsNullOrEmpty(text)) return text ?? "";
            string s = SecretField.Replace(text, m =>
            {
                string v = m.Groups["value"].Value;
                char q = v[0];
                // A quoted value is masked whole, quotes kept, so JSON stays JSON.
                return m.Groups["name"].Value + (q == '"' || q == '\'' ? q + "***" + q : "***");
            });
            s = AuthHeader.Replace(s, m => m.Groups["scheme"].Value + "***");
            return s;
        }

        /// <summary>Masks the session's own secret wherever it appears, in any shape the patterns above miss (a
        /// server error that echoes the key in prose, say).</summary>
        internal static string Value(string? text, System.Security.SecureString secret)
        {
            if (string.IsNullOrEmpty(text)) return text ?? "";
            string value = Secrets.Reveal(secret);
            // A very short secret would mask ordinary words; keys and tokens are far longer.
            return value.Length < 6 ? text! : text!.Replace(value, "***");
        }

        /// <summary>Shortens a body for debug output.</summary>
        public static string Truncate(string text, int max = 2048)
        {
            if (text.Length <= max) return text;
            var sb = new StringBuilder(max + 40);
            sb.Append(text, 0, max).Append("… (").Append(text.Length - max).Append(" more characters)");
            return sb.ToString();
        }
    }
}
