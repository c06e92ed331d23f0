using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace CommCare.Emulator;

/// <summary>A <c>query</c> the emulator cannot read: 400 <c>Bad query: &lt;message&gt;</c>.</summary>
public sealed class CaseQueryException(string message) : Exception(message);

/// <summary>
/// The subset of case-search XPath that Case API v2's <c>query</c> parameter supports here:
/// <c>prop = "v"</c>, <c>prop != 'v'</c>, <c>prop &gt; 5</c> (also <c>&lt; &gt;= &lt;=</c>, numeric or date/string literals),
/// <c>and</c>, <c>or</c> (and binds tighter) and parentheses. Property names: <c>@case_id</c>, <c>@case_type</c>,
/// <c>@owner_id</c>, <c>@status</c> (<c>open</c>/<c>closed</c>), <c>name</c> / <c>case_name</c>, <c>external_id</c>,
/// <c>date_opened</c>, <c>last_modified</c>, anything else is a case property (missing = "").
/// </summary>
public static class CaseQuery
{
    private enum Tok { Name, String, Number, Op, LParen, RParen, And, Or, End }

    private readonly record struct Token(Tok Kind, string Text, int Pos);

    public static Func<CaseRec, bool> Parse(string query)
    {
        var tokens = Lex(query);
        var p = 0;
        var expr = ParseOr(tokens, ref p);
        if (tokens[p].Kind != Tok.End) throw new CaseQueryException($"unexpected '{tokens[p].Text}' at position {tokens[p].Pos}");
        return expr;
    }

    private static Func<CaseRec, bool> ParseOr(List<Token> t, ref int p)
    {
        var left = ParseAnd(t, ref p);
        while (t[p].Kind == Tok.Or)
        {
            p++;
            var l = left;
            var r = ParseAnd(t, ref p);
            left = c => l(c) || r(c);
        }
        return left;
    }

    private static Func<CaseRec, bool> ParseAnd(List<Token> t, ref int p)
    {
        var left = ParsePrimary(t, ref p);
        while (t[p].Kind == Tok.And)
        {
            p++;
            var l = left;
            var r = ParsePrimary(t, ref p);
            left = c => l(c) && r(c);
        }
        return left;
    }

    private static Func<CaseRec, bool> ParsePrimary(List<Token> t, ref int p)
    {
        var tok = t[p];
        if (tok.Kind == Tok.LParen)
        {
            p++;
            var inner = ParseOr(t, ref p);
            if (t[p].Kind != Tok.RParen) throw new CaseQueryException($"expected ')' at position {t[p].Pos}");
            p++;
            return inner;
        }
        if (tok.Kind != Tok.Name)
        {
            throw new CaseQueryException(tok.Kind == Tok.End
                ? "unexpected end of query"
                : $"expected a case property at position {tok.Pos}, found '{tok.Text}'");
        }
        p++;
        if (t[p].Kind == Tok.LParen) throw new CaseQueryException($"unsupported function '{tok.Text}()' at position {tok.Pos}");
        if (t[p].Kind != Tok.Op) throw new CaseQueryException($"expected a comparison after '{tok.Text}' at position {t[p].Pos}");
        var op = t[p].Text;
        p++;
        var lit = t[p];
        if (lit.Kind is not (Tok.String or Tok.Number))
            throw new CaseQueryException($"expected a quoted string or a number at position {lit.Pos}");
        p++;
        return Compare(tok.Text, op, lit);
    }

    private static Func<CaseRec, bool> Compare(string prop, string op, Token lit)
    {
        var get = Getter(prop);
        var value = lit.Text;
        switch (op)
        {
            case "=": return c => get(c) == value;
            case "!=": return c => get(c) != value;
        }
        Func<int, bool> test = op switch
        {
            ">" => static x => x > 0,
            ">=" => static x => x >= 0,
            "<" => static x => x < 0,
            _ => static x => x <= 0,
        };
        if (lit.Kind == Tok.Number || double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
        {
            var n = double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture);
            return c => double.TryParse(get(c), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && test(v.CompareTo(n));
        }
        if (CaseXml.TryParseDate(value, out var d))
        {
            return c => CaseXml.TryParseDate(get(c), out var v) && test(v.CompareTo(d));
        }
        return c => get(c) is { Length: > 0 } s && test(string.CompareOrdinal(s, value));
    }

    private static Func<CaseRec, string> Getter(string prop) => prop switch
    {
        "@case_id" or "case_id" => static c => c.Id,
        "@case_type" or "case_type" => static c => c.Type,
        "@owner_id" or "owner_id" => static c => c.OwnerId,
        "@status" => static c => c.Closed ? "closed" : "open",
        "name" or "case_name" => static c => c.Name,
        "external_id" or "@external_id" => static c => c.ExternalId,
        "date_opened" => static c => Dates.ToString(c.DateOpened, DateStyle.MicroZ),
        "last_modified" or "modified_on" => static c => Dates.ToString(c.DateModified, DateStyle.MicroZ),
        _ => c => c.Property(prop) ?? "",
    };

    private static List<Token> Lex(string s)
    {
        var res = new List<Token>();
        var i = 0;
        while (i < s.Length)
        {
            var ch = s[i];
            if (char.IsWhiteSpace(ch))
            {
                i++;
                continue;
            }
            var start = i;
            switch (ch)
            {
                case '(':
                    res.Add(new Token(Tok.LParen, "(", i++));
                    continue;
                case ')':
                    res.Add(new Token(Tok.RParen, ")", i++));
                    continue;
                case '=':
                    res.Add(new Token(Tok.Op, "=", i++));
                    continue;
                case '!':
                    if (i + 1 < s.Length && s[i + 1] == '=')
                    {
                        res.Add(new Token(Tok.Op, "!=", i));
                        i += 2;
                        continue;
                    }
                    throw new CaseQueryException($"unexpected '!' at position {i}");
                case '<':
                case '>':
                    if (i + 1 < s.Length && s[i + 1] == '=')
                    {
                        res.Add(new Token(Tok.Op, ch + "=", i));
                        i += 2;
                    }
                    else
                    {
                        res.Add(new Token(Tok.Op, ch.ToString(), i++));
                    }
                    continue;
                case '"':
                case '\'':
                {
                    var end = s.IndexOf(ch, i + 1);
                    if (end < 0) throw new CaseQueryException($"unterminated string at position {i}");
                    res.Add(new Token(Tok.String, s[(i + 1)..end], i));
                    i = end + 1;
                    continue;
                }
            }
            if (char.IsDigit(ch) || (ch == '-' && i + 1 < s.Length && char.IsDigit(s[i + 1])))
            {
                i++;
                while (i < s.Length && (char.IsDigit(s[i]) || s[i] == '.')) i++;
                var num = s[start..i];
                if (!double.TryParse(num, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                    throw new CaseQueryException($"bad number '{num}' at position {start}");
                res.Add(new Token(Tok.Number, num, start));
                continue;
            }
            if (char.IsLetter(ch) || ch is '_' or '@')
            {
                var sb = new StringBuilder();
                while (i < s.Length && (char.IsLetterOrDigit(s[i]) || s[i] is '_' or '@' or '-' or '.' or '/')) sb.Append(s[i++]);
                var word = sb.ToString();
                res.Add(word switch
                {
                    "and" => new Token(Tok.And, word, start),
                    "or" => new Token(Tok.Or, word, start),
                    _ => new Token(Tok.Name, word, start),
                });
                continue;
            }
            throw new CaseQueryException($"unexpected '{ch}' at position {i}");
        }
        res.Add(new Token(Tok.End, "", s.Length));
        return res;
    }
}
