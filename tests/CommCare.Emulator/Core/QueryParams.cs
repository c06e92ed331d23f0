using System;
using System.Collections.Generic;
using System.Text;

namespace CommCare.Emulator;

/// <summary>
/// The raw query string parsed like Django's <c>QueryDict</c> (keep_blank_values, '+' = space,
/// order kept, repeated keys kept). <see cref="Get"/> returns the LAST value like <c>QueryDict.get</c>.
/// </summary>
public sealed class QueryParams
{
    public readonly List<KeyValuePair<string, string>> Pairs = new();
    public readonly string Raw;

    public QueryParams(string? rawQuery)
    {
        Raw = rawQuery is null ? "" : rawQuery.StartsWith('?') ? rawQuery[1..] : rawQuery;
        foreach (var part in Raw.Split('&'))
        {
            if (part.Length == 0) continue;
            var eq = part.IndexOf('=');
            var k = eq < 0 ? part : part[..eq];
            var v = eq < 0 ? "" : part[(eq + 1)..];
            Pairs.Add(new(Unquote(k), Unquote(v)));
        }
    }

    private static string Unquote(string s)
    {
        if (s.IndexOf('+') >= 0) s = s.Replace('+', ' ');
        if (s.IndexOf('%') < 0) return s;
        try
        {
            return Uri.UnescapeDataString(s);
        }
        catch (UriFormatException)
        {
            return s;
        }
    }

    public bool Has(string key)
    {
        foreach (var kv in Pairs) if (kv.Key == key) return true;
        return false;
    }

    public string? Get(string key)
    {
        string? v = null;
        foreach (var kv in Pairs) if (kv.Key == key) v = kv.Value;
        return v;
    }

    public List<string> GetList(string key)
    {
        var l = new List<string>();
        foreach (var kv in Pairs) if (kv.Key == key) l.Add(kv.Value);
        return l;
    }

    /// <summary><c>QueryDict.items()</c>: each distinct key once (first-appearance order) with its last value.</summary>
    public List<KeyValuePair<string, string>> Items()
    {
        var order = new List<string>();
        var last = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var kv in Pairs)
        {
            if (!last.ContainsKey(kv.Key)) order.Add(kv.Key);
            last[kv.Key] = kv.Value;
        }
        var res = new List<KeyValuePair<string, string>>(order.Count);
        foreach (var k in order) res.Add(new(k, last[k]));
        return res;
    }

    /// <summary>True when the __full flag is requested (<c>GET.get(name, 'false').lower() == 'true'</c>).</summary>
    public bool Flag(string key) => string.Equals(Get(key), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Re-encodes the parameters like tastypie's paginator (<c>QueryDict.urlencode()</c>): keys in first-appearance
    /// order with all their values, minus <paramref name="drop"/>, followed by <paramref name="append"/>.
    /// </summary>
    public string Encode(IReadOnlyCollection<string> drop, IEnumerable<KeyValuePair<string, string>> append)
    {
        var sb = new StringBuilder();
        var order = new List<string>();
        var lists = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var kv in Pairs)
        {
            if (Contains(drop, kv.Key)) continue;
            if (!lists.TryGetValue(kv.Key, out var l))
            {
                lists[kv.Key] = l = new List<string>();
                order.Add(kv.Key);
            }
            l.Add(kv.Value);
        }
        foreach (var k in order)
        {
            foreach (var v in lists[k])
            {
                if (sb.Length > 0) sb.Append('&');
                QuotePlus(sb, k);
                sb.Append('=');
                QuotePlus(sb, v);
            }
        }
        foreach (var kv in append)
        {
            if (sb.Length > 0) sb.Append('&');
            QuotePlus(sb, kv.Key);
            sb.Append('=');
            QuotePlus(sb, kv.Value);
        }
        return sb.ToString();
    }

    private static bool Contains(IReadOnlyCollection<string> c, string k)
    {
        foreach (var x in c) if (x == k) return true;
        return false;
    }

    /// <summary>Python <c>urllib.parse.quote_plus(s, safe='')</c>.</summary>
    public static void QuotePlus(StringBuilder sb, string s)
    {
        const string hex = "0123456789ABCDEF";
        Span<byte> tmp = stackalloc byte[4];
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '_' or '.' or '-' or '~')
            {
                sb.Append(c);
            }
            else if (c == ' ')
            {
                sb.Append('+');
            }
            else
            {
                int n;
                if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                {
                    n = Encoding.UTF8.GetBytes(s.AsSpan(i, 2), tmp);
                    i++;
                }
                else
                {
                    n = Encoding.UTF8.GetBytes(s.AsSpan(i, 1), tmp);
                }
                for (var j = 0; j < n; j++)
                {
                    sb.Append('%').Append(hex[tmp[j] >> 4]).Append(hex[tmp[j] & 0xF]);
                }
            }
        }
    }
}
