using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.RegularExpressions;

namespace CommCare.Emulator;

/// <summary>
/// Tastypie's <c>ModelResource</c> filtering and ordering over Django model fields, as the location resources use them:
/// <c>Meta.filtering</c> checks with tastypie's error texts, Django's lookups (exact, iexact, contains, gt, range, isnull, …)
/// compiled to predicates with SQL's NULL semantics, and the fields' <c>to_python</c> conversions with Django's
/// ValidationError texts.
/// </summary>
public static partial class DjangoFilters
{
    /// <summary>A <c>Meta.filtering</c> entry that allows every lookup (tastypie's ALL).</summary>
    internal static readonly string[] AllLookups = { "*" };

    internal enum FieldKind { Str, Int, DateTime, Decimal, Other }

    internal sealed record Field(FieldKind Kind, string[]? Filtering, bool Related = false, bool NoAttribute = false);

    /// <summary>Django's QUERY_TERMS as tastypie sees them.</summary>
    private static readonly HashSet<string> QueryTerms = new(StringComparer.Ordinal)
    {
        "exact", "iexact", "contains", "icontains", "gt", "gte", "lt", "lte", "in", "startswith", "istartswith",
        "endswith", "iendswith", "range", "year", "month", "day", "week_day", "hour", "minute", "second", "isnull",
        "search", "regex", "iregex",
    };

    private sealed record Condition(string Name, Field Spec, string Lookup, string Expr, string Value);

    /// <summary>
    /// <c>ModelResource.build_filters</c> + <c>apply_filters</c>: each query parameter whose first <c>__</c> part names a
    /// field is checked against <c>Meta.filtering</c> (400 "The 'x' field does not allow filtering." etc.); names that
    /// are no field are ignored. Then the values are converted like the ORM would (400 on a bad value).
    /// The domain always comes from the URL.
    /// </summary>
    internal static ApiResponse? ApplyFilters<T>(QueryParams q, Dictionary<string, Field> fields, ref List<T> rows, Func<T, string, object?> valueOf)
    {
        var conditions = new List<Condition>();
        foreach (var (expr, value) in q.Items())
        {
            var bits = new List<string>(expr.Split("__"));
            var name = bits[0];
            bits.RemoveAt(0);
            if (!fields.TryGetValue(name, out var f)) continue;
            var lookup = "exact";
            if (bits.Count > 0 && QueryTerms.Contains(bits[^1]))
            {
                lookup = bits[^1];
                bits.RemoveAt(bits.Count - 1);
            }
            if (f.Filtering is null) return ApiResponse.BadRequest($"The '{name}' field does not allow filtering.");
            if (f.Filtering != AllLookups && Array.IndexOf(f.Filtering, lookup) < 0)
                return ApiResponse.BadRequest($"'{lookup}' is not an allowed filter on the '{name}' field.");
            if (f.NoAttribute) return ApiResponse.BadRequest($"The '{name}' field has no 'attribute' for searching with.");
            if (bits.Count > 0 && !f.Related) return ApiResponse.BadRequest($"The '{name}' field does not support relations.");
            if (name == "domain") continue; // the URL's domain wins (filters.update(kwargs))
            conditions.Add(new Condition(name, f, lookup, expr, value));
        }
        if (conditions.Count == 0) return null;
        var compiled = new List<Func<object?, bool>>();
        foreach (var c in conditions)
        {
            var pred = Compile(c, out var error);
            if (error is not null) return error;
            compiled.Add(pred!);
        }
        var res = new List<T>();
        foreach (var row in rows)
        {
            var ok = true;
            for (var i = 0; i < conditions.Count && ok; i++) ok = compiled[i](valueOf(row, conditions[i].Name));
            if (ok) res.Add(row);
        }
        rows = res;
        return null;
    }

    private static ApiResponse MismatchedType() => ApiResponse.BadRequest("Invalid resource lookup data provided (mismatched type).");

    /// <summary>One ORM lookup as a predicate over the field value (SQL semantics: NULL never matches a comparison).</summary>
    private static Func<object?, bool>? Compile(Condition c, out ApiResponse? error)
    {
        error = null;
        // tastypie filter_value_to_python
        var raw = c.Value;
        var isNone = raw is "nil" or "none" or "None";
        if (c.Lookup == "isnull")
        {
            var want = raw is "true" or "True";
            return v => (v is null) == want;
        }
        List<string> parts;
        if (c.Lookup is "in" or "range" && raw.Length > 0)
        {
            parts = new List<string>(raw.Split(','));
        }
        else
        {
            parts = new List<string> { raw };
        }
        if (c.Lookup == "range" && parts.Count != 2)
        {
            error = MismatchedType();
            return null;
        }
        if (c.Lookup is "year" or "month" or "day" or "week_day" or "hour" or "minute" or "second")
        {
            if (c.Spec.Kind != FieldKind.DateTime || !Paging.TryPyInt(raw, out var n))
            {
                error = MismatchedType();
                return null;
            }
            return v =>
            {
                if (v is not long t || t == 0) return false;
                var dt = new DateTime(t, DateTimeKind.Utc);
                long part = c.Lookup switch
                {
                    "year" => dt.Year,
                    "month" => dt.Month,
                    "day" => dt.Day,
                    "week_day" => (int)dt.DayOfWeek + 1,
                    "hour" => dt.Hour,
                    "minute" => dt.Minute,
                    _ => dt.Second,
                };
                return part == n;
            };
        }
        if (c.Lookup == "search")
        {
            error = ApiResponse.ServerError(); // Django has no __search on these fields (FieldError)
            return null;
        }
        if (c.Lookup is "contains" or "icontains" or "startswith" or "istartswith" or "endswith" or "iendswith" or "iexact" or "regex" or "iregex")
        {
            // Text lookups compare the column's text form.
            var ci = c.Lookup[0] == 'i';
            var needle = raw;
            Regex? rx = null;
            if (c.Lookup is "regex" or "iregex")
            {
                try
                {
                    rx = new Regex(needle, ci ? RegexOptions.IgnoreCase | RegexOptions.CultureInvariant : RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
                }
                catch (ArgumentException)
                {
                    error = ApiResponse.ServerError(); // invalid regular expression: a database error
                    return null;
                }
            }
            var cmp = ci ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
            var lookup = c.Lookup.TrimStart('i');
            if (c.Lookup == "iexact") lookup = "exact";
            return v =>
            {
                var text = TextOf(v);
                if (text is null) return false;
                return lookup switch
                {
                    "exact" => string.Equals(text, needle, cmp),
                    "contains" => text.Contains(needle, cmp),
                    "startswith" => text.StartsWith(needle, cmp),
                    "endswith" => text.EndsWith(needle, cmp),
                    _ => rx!.IsMatch(text),
                };
            };
        }
        // exact / gt / gte / lt / lte / in / range: convert every value with the field's to_python.
        var converted = new List<object?>();
        foreach (var p in parts)
        {
            if (isNone && c.Lookup == "exact")
            {
                converted.Add(null);
                continue;
            }
            var value = ConvertValue(c.Spec.Kind, p, out error);
            if (error is not null) return null;
            converted.Add(value);
        }
        return c.Lookup switch
        {
            "exact" => v => converted[0] is null ? v is null or 0L : v is not null && Compare(v, converted[0]) == 0,
            "in" => v => v is not null && !(v is long { } z && z == 0) && converted.Exists(x => x is not null && Compare(v, x) == 0),
            "range" => v => NotNull(v) && Compare(v, converted[0]) >= 0 && Compare(v, converted[1]) <= 0,
            "gt" => v => NotNull(v) && Compare(v, converted[0]) > 0,
            "gte" => v => NotNull(v) && Compare(v, converted[0]) >= 0,
            "lt" => v => NotNull(v) && Compare(v, converted[0]) < 0,
            _ => v => NotNull(v) && Compare(v, converted[0]) <= 0,
        };
    }

    private static bool NotNull(object? v) => v is not null && !(v is long t && t == 0);

    private static int Compare(object? a, object? b) => (a, b) switch
    {
        (string x, string y) => string.CompareOrdinal(x, y),
        (decimal x, decimal y) => x.CompareTo(y),
        (long x, long y) => x.CompareTo(y),
        _ => -2,
    };

    /// <summary>Postgres' text form of a column value (for LIKE-style lookups).</summary>
    private static string? TextOf(object? v) => v switch
    {
        null => null,
        string s => s,
        decimal d => d.ToString("F10", CultureInfo.InvariantCulture),
        long t when t == 0 => null,
        long t => Dates.ToString(t, DateStyle.Micro).Replace('T', ' ').TrimEnd('0').TrimEnd('.'),
        _ => v.ToString(),
    };

    /// <summary>The field's <c>to_python</c> for a filter value; a bad value → 400 with Django's ValidationError text.</summary>
    private static object? ConvertValue(FieldKind kind, string value, out ApiResponse? error)
    {
        error = null;
        switch (kind)
        {
            case FieldKind.Decimal:
                if (decimal.TryParse(value.Trim(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                        CultureInfo.InvariantCulture, out var d))
                    return d;
                error = ApiResponse.BadRequest("[" + LocationsApi.PyRepr($"\u201c{value}\u201d value must be a decimal number.") + "]");
                return null;
            case FieldKind.DateTime:
                var r = ParseDjangoDateTime(value, out var ticks);
                if (r == DateParse.Ok) return ticks;
                var msg = r switch
                {
                    DateParse.InvalidDateTime => $"\u201c{value}\u201d value has the correct format (YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ]) but it is an invalid date/time.",
                    DateParse.InvalidDate => $"\u201c{value}\u201d value has the correct format (YYYY-MM-DD) but it is an invalid date.",
                    _ => $"\u201c{value}\u201d value has an invalid format. It must be in YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ] format.",
                };
                error = ApiResponse.BadRequest("[" + LocationsApi.PyRepr(msg) + "]");
                return null;
            default:
                return value;
        }
    }

    private enum DateParse { Ok, Invalid, InvalidDate, InvalidDateTime }

    [GeneratedRegex(@"^(?<y>\d{4})-(?<mo>\d{1,2})-(?<d>\d{1,2})[T ](?<h>\d{1,2}):(?<mi>\d{1,2})(?::(?<s>\d{1,2})(?:[\.,](?<f>\d{1,6})\d{0,6})?)?\s*(?<tz>Z|[+-]\d{2}(?::?\d{2})?)?$")]
    private static partial Regex DjangoDateTimeRx();

    [GeneratedRegex(@"^(?<y>\d{4})-(?<mo>\d{1,2})-(?<d>\d{1,2})$")]
    private static partial Regex DjangoDateRx();

    /// <summary>django.utils.dateparse.parse_datetime / parse_date as DateTimeField.to_python uses them; aware values → UTC.</summary>
    private static DateParse ParseDjangoDateTime(string value, out long ticks)
    {
        ticks = 0;
        var m = DjangoDateTimeRx().Match(value);
        if (m.Success)
        {
            try
            {
                var micro = m.Groups["f"].Success ? int.Parse(m.Groups["f"].Value.PadRight(6, '0'), CultureInfo.InvariantCulture) : 0;
                var dt = new DateTime(Int(m, "y"), Int(m, "mo"), Int(m, "d"), Int(m, "h"), Int(m, "mi"),
                    m.Groups["s"].Success ? Int(m, "s") : 0, DateTimeKind.Utc);
                ticks = dt.Ticks + micro * Dates.TicksPerMicro;
                if (m.Groups["tz"].Success && m.Groups["tz"].Value != "Z")
                {
                    var tz = m.Groups["tz"].Value;
                    var sign = tz[0] == '-' ? -1 : 1;
                    var digits = tz[1..].Replace(":", "");
                    var offMin = int.Parse(digits[..2], CultureInfo.InvariantCulture) * 60
                                 + (digits.Length > 2 ? int.Parse(digits[2..], CultureInfo.InvariantCulture) : 0);
                    ticks -= sign * offMin * TimeSpan.TicksPerMinute;
                }
                return ticks > 0 ? DateParse.Ok : DateParse.InvalidDateTime;
            }
            catch (ArgumentOutOfRangeException)
            {
                return DateParse.InvalidDateTime;
            }
        }
        m = DjangoDateRx().Match(value);
        if (m.Success)
        {
            try
            {
                ticks = new DateTime(Int(m, "y"), Int(m, "mo"), Int(m, "d"), 0, 0, 0, DateTimeKind.Utc).Ticks;
                return ticks > 0 ? DateParse.Ok : DateParse.InvalidDate;
            }
            catch (ArgumentOutOfRangeException)
            {
                return DateParse.InvalidDate;
            }
        }
        return DateParse.Invalid;
    }

    private static int Int(Match m, string g) => int.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture);

    /// <summary>
    /// <c>ModelResource.apply_sorting</c> with no <c>Meta.ordering</c>: any <c>order_by</c> is refused
    /// ("No matching 'x' field for ordering on." / "The 'x' field does not allow ordering.").
    /// </summary>
    internal static ApiResponse? CheckOrdering(QueryParams q, Dictionary<string, Field> fields)
    {
        foreach (var ob in q.GetList("order_by"))
        {
            var name = ob.Split("__")[0];
            if (name.StartsWith('-')) name = name[1..];
            if (!fields.ContainsKey(name)) return ApiResponse.BadRequest($"No matching '{name}' field for ordering on.");
            return ApiResponse.BadRequest($"The '{name}' field does not allow ordering.");
        }
        return null;
    }
}
