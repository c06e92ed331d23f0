using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.RegularExpressions;

namespace CommCare.Emulator;

/// <summary>tastypie <c>Paginator</c> (docs/commcare-api.md#offset-pages): limit/offset validation, meta, next/previous.</summary>
public static partial class Paging
{
    private static readonly string[] LimitOffset = { "limit", "offset" };
    private static readonly byte[] Sep = ", "u8.ToArray();
    private static readonly byte[] Tail = "]}"u8.ToArray();

    [GeneratedRegex(@"^[+-]?[0-9]+(_[0-9]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex PyIntRx();

    /// <summary>Python <c>int(str)</c>; huge values saturate.</summary>
    public static bool TryPyInt(string s, out long value)
    {
        value = 0;
        var t = s.Trim();
        if (!PyIntRx().IsMatch(t)) return false;
        t = t.Replace("_", "");
        if (long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value)) return true;
        value = t[0] == '-' ? long.MinValue / 4 : long.MaxValue / 4;
        return true;
    }

    /// <summary>
    /// <c>Paginator.get_limit()</c> then <c>get_offset()</c>. Returns a 400 response on invalid values.
    /// </summary>
    public static ApiResponse? LimitOffsetOrError(QueryParams q, int defaultLimit, int maxLimit, out int limit, out long offset)
    {
        limit = defaultLimit;
        offset = 0;
        var ls = q.Get("limit");
        if (ls is not null)
        {
            if (!TryPyInt(ls, out var l))
                return ApiResponse.BadRequest($"Invalid limit '{ls}' provided. Please provide a positive integer.");
            if (l < 0)
                return ApiResponse.BadRequest($"Invalid limit '{l}' provided. Please provide a positive integer >= 0.");
            limit = l == 0 || l > maxLimit ? maxLimit : (int)l;
        }
        else if (limit == 0 || limit > maxLimit)
        {
            limit = maxLimit;
        }
        var os = q.Get("offset");
        if (os is not null)
        {
            if (!TryPyInt(os, out var o))
                return ApiResponse.BadRequest($"Invalid offset '{os}' provided. Please provide an integer.");
            if (o < 0)
                return ApiResponse.BadRequest($"Invalid offset '{o}' provided. Please provide a positive integer >= 0.");
            offset = o;
        }
        return null;
    }

    /// <summary>A tastypie page URI in the configured style (path-absolute / query-only / absolute URL).</summary>
    public static string Uri(ApiContext ctx, int limit, long offset)
    {
        var qs = ctx.Query.Encode(LimitOffset, new KeyValuePair<string, string>[]
        {
            new("limit", limit.ToString(CultureInfo.InvariantCulture)),
            new("offset", offset.ToString(CultureInfo.InvariantCulture)),
        });
        return ctx.State.Config.NextStyle switch
        {
            NextStyle.Query => "?" + qs,
            NextStyle.Absolute => ctx.Http.Request.Scheme + "://" + ctx.Http.Request.Host.Value + ctx.RawPath + "?" + qs,
            _ => ctx.RawPath + "?" + qs,
        };
    }

    /// <summary>The list envelope <c>{"meta": {...}, "objects": [...]}</c> around pre-serialised objects.</summary>
    public static ApiResponse Page(ApiContext ctx, int limit, long offset, long total, IReadOnlyList<ReadOnlyMemory<byte>> objects)
    {
        string? next = null, previous = null;
        if (limit > 0)
        {
            previous = offset - limit < 0 ? null : Uri(ctx, limit, offset - limit);
            next = offset + limit >= total ? null : Uri(ctx, limit, offset + limit);
        }
        var w = new PyJsonWriter(256);
        w.BeginObject().Key("meta").BeginObject()
            .Prop("limit", limit)
            .Prop("next", next)
            .Prop("offset", offset)
            .Prop("previous", previous)
            .Prop("total_count", total)
            .EndObject();
        w.Key("objects");
        var head = w.ToArray();
        var r = new ApiResponse(200, ApiResponse.JsonType);
        r.Append(head);
        r.Append("["u8.ToArray());
        for (var i = 0; i < objects.Count; i++)
        {
            if (i > 0) r.Append(Sep);
            r.Append(objects[i]);
        }
        r.Append(Tail);
        return r;
    }
}
