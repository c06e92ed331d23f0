using System;
using System.Collections.Generic;
using System.Text.Json;

namespace CommCare.Emulator;

public sealed record LogEntry(string Method, string Path, string Query, int Status, string Auth, string? Fault,
    string? User, double ElapsedMs, double HandlerMs, string? Target = null, string? Body = null);

/// <summary>Thread-safe, bounded (ring buffer) log of API requests plus running counters.</summary>
public sealed class RequestLog(int capacity)
{
    private readonly object _lock = new();
    private readonly LogEntry?[] _ring = new LogEntry?[capacity];
    private int _start;
    private int _count;
    private long _total;
    private long _throttled;
    private readonly SortedDictionary<int, long> _byStatus = new();
    private readonly SortedDictionary<string, long> _byFault = new(StringComparer.Ordinal);

    public void Add(LogEntry e, bool throttled)
    {
        lock (_lock)
        {
            var idx = (_start + _count) % _ring.Length;
            _ring[idx] = e;
            if (_count < _ring.Length) _count++;
            else _start = (_start + 1) % _ring.Length;
            _total++;
            if (throttled) _throttled++;
            _byStatus[e.Status] = _byStatus.TryGetValue(e.Status, out var n) ? n + 1 : 1;
            if (e.Fault is not null) _byFault[e.Fault] = _byFault.TryGetValue(e.Fault, out var f) ? f + 1 : 1;
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            Array.Clear(_ring);
            _start = 0;
            _count = 0;
            _total = 0;
            _throttled = 0;
            _byStatus.Clear();
            _byFault.Clear();
        }
    }

    public List<LogEntry> Snapshot(int? last = null)
    {
        lock (_lock)
        {
            var take = last is null ? _count : Math.Clamp(last.Value, 0, _count);
            var res = new List<LogEntry>(take);
            for (var i = _count - take; i < _count; i++) res.Add(_ring[(_start + i) % _ring.Length]!);
            return res;
        }
    }

    public static void WriteEntries(Utf8JsonWriter w, List<LogEntry> entries)
    {
        w.WriteStartArray();
        foreach (var e in entries)
        {
            w.WriteStartObject();
            w.WriteString("method", e.Method);
            w.WriteString("path", e.Path);
            w.WriteString("query", e.Query);
            w.WriteNumber("status", e.Status);
            w.WriteString("auth", e.Auth);
            if (e.Fault is null) w.WriteNull("fault");
            else w.WriteString("fault", e.Fault);
            if (e.User is null) w.WriteNull("user");
            else w.WriteString("user", e.User);
            w.WriteNumber("elapsedMs", Math.Round(e.ElapsedMs, 3));
            w.WriteNumber("handlerMs", Math.Round(e.HandlerMs, 3));
            if (e.Target is null) w.WriteNull("target");
            else w.WriteString("target", e.Target);
            if (e.Body is null) w.WriteNull("body");
            else w.WriteString("body", e.Body);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>GET /_emulator/stats.</summary>
    public void WriteStats(Utf8JsonWriter w)
    {
        lock (_lock)
        {
            w.WriteStartObject();
            w.WriteNumber("requests", _total);
            w.WriteNumber("logged", _count);
            foreach (var s in new[] { 200, 301, 400, 401, 403, 404, 405, 429, 500, 502, 503 })
            {
                w.WriteNumber("status" + s, _byStatus.TryGetValue(s, out var n) ? n : 0);
            }
            long faults = 0;
            foreach (var kv in _byFault) faults += kv.Value;
            w.WriteNumber("throttled", _throttled);
            w.WriteNumber("faults", faults);
            w.WriteStartObject("byStatus");
            foreach (var kv in _byStatus) w.WriteNumber(kv.Key.ToString(), kv.Value);
            w.WriteEndObject();
            w.WriteStartObject("byFault");
            foreach (var kv in _byFault) w.WriteNumber(kv.Key, kv.Value);
            w.WriteEndObject();
            w.WriteEndObject();
        }
    }
}
