using System;
using System.Collections.Generic;
using System.Text.Json;

namespace CommCare.Emulator;

public enum FaultKind { Status429, Status429RetryAfter, Status500, Status502, Status503, Drop, Slow, Truncate, CommitDrop, Stall, Endless, Endless500, WrongRange, Pass }

public sealed record FaultAction(FaultKind Kind, string? RetryAfter, int SlowMs)
{
    public string Name => Faults.Name(Kind);
}

public static class Faults
{
    public static string Name(FaultKind k) => k switch
    {
        FaultKind.Status429 => "429",
        FaultKind.Status429RetryAfter => "429-retry-after",
        FaultKind.Status500 => "500",
        FaultKind.Status502 => "502",
        FaultKind.Status503 => "503",
        FaultKind.Drop => "drop",
        FaultKind.Slow => "slow",
        FaultKind.CommitDrop => "commit-drop",
        FaultKind.Stall => "stall",
        FaultKind.Endless => "endless",
        FaultKind.Endless500 => "endless-500",
        FaultKind.WrongRange => "wrong-range",
        FaultKind.Pass => "pass",
        _ => "truncate",
    };

    public static bool TryParse(string s, out FaultKind kind)
    {
        switch (s.Trim().ToLowerInvariant())
        {
            case "429": kind = FaultKind.Status429; return true;
            case "429-retry-after": kind = FaultKind.Status429RetryAfter; return true;
            case "500": kind = FaultKind.Status500; return true;
            case "502": kind = FaultKind.Status502; return true;
            case "503": kind = FaultKind.Status503; return true;
            case "drop": kind = FaultKind.Drop; return true;
            case "slow": kind = FaultKind.Slow; return true;
            case "truncate": kind = FaultKind.Truncate; return true;
            case "commit-drop": kind = FaultKind.CommitDrop; return true;
            case "stall": kind = FaultKind.Stall; return true;
            case "endless": kind = FaultKind.Endless; return true;
            case "endless-500": kind = FaultKind.Endless500; return true;
            case "wrong-range": kind = FaultKind.WrongRange; return true;
            case "pass": kind = FaultKind.Pass; return true;
        }
        kind = default;
        return false;
    }

    /// <summary>The response a status fault produces (null for drop / slow / truncate / commit-drop).</summary>
    public static ApiResponse? Response(FaultAction a) => a.Kind switch
    {
        // tastypie throttle: empty body, no Retry-After
        FaultKind.Status429 => ApiResponse.Empty(429),
        FaultKind.Status429RetryAfter => ApiResponse.Empty(429).Header("Retry-After", a.RetryAfter ?? "1"),
        FaultKind.Status500 => ApiResponse.ServerError(),
        FaultKind.Status502 => Gateway(502, "Bad Gateway", null),
        FaultKind.Status503 => Gateway(503, "Service Temporarily Unavailable", a.RetryAfter),
        _ => null,
    };

    /// <summary>What the load balancer in front of HQ (nginx) answers.</summary>
    private static ApiResponse Gateway(int status, string reason, string? retryAfter)
    {
        var r = ApiResponse.Text(status,
            $"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
            "text/html");
        if (retryAfter is not null) r.Header("Retry-After", retryAfter);
        return r;
    }
}

/// <summary>
/// Fault injection for API requests (never control-plane ones). A script (applied in order to the next
/// matching API requests) runs before the seeded random faults.
/// </summary>
public sealed class FaultInjector
{
    private readonly object _lock = new();
    private readonly Queue<FaultAction> _script = new();
    private Random _rng = new(0);
    private long _seed;
    private double _rate;
    private List<FaultKind> _kinds = new();
    private string? _retryAfter;
    private int _slowMs = 1500;
    private string? _pathContains;
    private long _injected;

    public void Reset()
    {
        lock (_lock)
        {
            _script.Clear();
            _seed = 0;
            _rng = new Random(0);
            _rate = 0;
            _kinds = new List<FaultKind>();
            _retryAfter = null;
            _slowMs = 1500;
            _pathContains = null;
            _injected = 0;
        }
    }

    /// <summary>Replaces the whole fault configuration. Throws <see cref="FormatException"/> on bad input.</summary>
    public void Configure(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object) throw new FormatException("body must be a JSON object");
        long seed = 0;
        double rate = 0;
        var kinds = new List<FaultKind>();
        string? retryAfter = null;
        var slowMs = 1500;
        string? pathContains = null;
        var script = new List<FaultAction>();

        if (body.TryGetProperty("seed", out var v) && v.ValueKind != JsonValueKind.Null) seed = v.GetInt64();
        if (body.TryGetProperty("rate", out v) && v.ValueKind != JsonValueKind.Null)
        {
            rate = v.GetDouble();
            if (rate < 0 || rate > 1) throw new FormatException("rate must be between 0 and 1");
        }
        if (body.TryGetProperty("retryAfter", out v)) retryAfter = Scalar(v);
        if (body.TryGetProperty("slowMs", out v) && v.ValueKind != JsonValueKind.Null) slowMs = v.GetInt32();
        if (body.TryGetProperty("pathContains", out v) && v.ValueKind == JsonValueKind.String) pathContains = v.GetString();
        if (body.TryGetProperty("kinds", out v) && v.ValueKind == JsonValueKind.Array)
        {
            foreach (var k in v.EnumerateArray())
            {
                var s = Scalar(k) ?? "";
                if (!Faults.TryParse(s, out var kind)) throw new FormatException($"unknown fault kind '{s}'");
                kinds.Add(kind);
            }
        }
        if (body.TryGetProperty("script", out v) && v.ValueKind == JsonValueKind.Array)
        {
            foreach (var e in v.EnumerateArray())
            {
                string? ks;
                string? ra = retryAfter;
                var sm = slowMs;
                if (e.ValueKind == JsonValueKind.Object)
                {
                    ks = e.TryGetProperty("kind", out var kv) ? Scalar(kv) : null;
                    if (e.TryGetProperty("retryAfter", out var rv)) ra = Scalar(rv);
                    if (e.TryGetProperty("slowMs", out var sv) && sv.ValueKind != JsonValueKind.Null) sm = sv.GetInt32();
                }
                else
                {
                    ks = Scalar(e);
                }
                if (ks is null || !Faults.TryParse(ks, out var kind)) throw new FormatException($"unknown fault kind '{ks}'");
                script.Add(new FaultAction(kind, ra, sm));
            }
        }
        if (rate > 0 && kinds.Count == 0) kinds.Add(FaultKind.Status500);

        lock (_lock)
        {
            _seed = seed;
            _rng = new Random(unchecked((int)seed));
            _rate = rate;
            _kinds = kinds;
            _retryAfter = retryAfter;
            _slowMs = slowMs;
            _pathContains = pathContains;
            _script.Clear();
            foreach (var s in script) _script.Enqueue(s);
        }
    }

    private static string? Scalar(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString(),
        JsonValueKind.Number => v.GetRawText(),
        JsonValueKind.Null => null,
        _ => v.GetRawText(),
    };

    /// <summary>The fault for this (authenticated, allowed) API request, or null.</summary>
    public FaultAction? Next(string path)
    {
        lock (_lock)
        {
            if (_pathContains is not null && !path.Contains(_pathContains, StringComparison.Ordinal)) return null;
            if (_script.Count > 0)
            {
                // "pass" lets one request through untouched (so a fault can land in the middle of a run).
                var next = _script.Dequeue();
                if (next.Kind == FaultKind.Pass) return null;
                _injected++;
                return next;
            }
            if (_rate > 0 && _kinds.Count > 0 && _rng.NextDouble() < _rate)
            {
                _injected++;
                return new FaultAction(_kinds[_rng.Next(_kinds.Count)], _retryAfter, _slowMs);
            }
            return null;
        }
    }

    public void Describe(Utf8JsonWriter w)
    {
        lock (_lock)
        {
            w.WriteStartObject();
            w.WriteNumber("seed", _seed);
            w.WriteNumber("rate", _rate);
            w.WriteStartArray("kinds");
            foreach (var k in _kinds) w.WriteStringValue(Faults.Name(k));
            w.WriteEndArray();
            if (_retryAfter is null) w.WriteNull("retryAfter");
            else w.WriteString("retryAfter", _retryAfter);
            w.WriteNumber("slowMs", _slowMs);
            if (_pathContains is null) w.WriteNull("pathContains");
            else w.WriteString("pathContains", _pathContains);
            w.WriteStartArray("script");
            foreach (var s in _script)
            {
                w.WriteStartObject();
                w.WriteString("kind", s.Name);
                if (s.RetryAfter is not null) w.WriteString("retryAfter", s.RetryAfter);
                w.WriteNumber("slowMs", s.SlowMs);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNumber("injected", _injected);
            w.WriteEndObject();
        }
    }
}
