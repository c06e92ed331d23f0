using System;
using System.Collections.Generic;

namespace CommCare.Emulator;

/// <summary>
/// Per-project-space API throttle modelled on corehq/project_limits: a per-second window made of one fixed
/// 1-second grain, and a per-minute window made of 30-second grains read as a sliding window
/// (current grain + previous grain + the not-yet-expired fraction of the grain before). A request is allowed
/// when every enabled window is below its limit; only allowed requests are counted. 0 = window off.
/// </summary>
public sealed class RateLimiter
{
    private const long SecondGrain = TimeSpan.TicksPerSecond;
    private const long MinuteGrain = 30 * TimeSpan.TicksPerSecond;

    private readonly object _lock = new();
    private readonly Dictionary<string, Counters> _scopes = new(StringComparer.Ordinal);
    private int _perSecond;
    private int _perMinute;

    private sealed class Counters
    {
        public long SecGrain = -1;
        public int SecCount;
        // minute grains: index → count (keeps the last three)
        public readonly Dictionary<long, int> MinGrains = new();
    }

    public Func<long> Clock { get; set; } = static () => DateTime.UtcNow.Ticks;

    public (int PerSecond, int PerMinute) Limits
    {
        get
        {
            lock (_lock) return (_perSecond, _perMinute);
        }
    }

    public void Configure(int perSecond, int perMinute)
    {
        lock (_lock)
        {
            _perSecond = Math.Max(0, perSecond);
            _perMinute = Math.Max(0, perMinute);
            _scopes.Clear();
        }
    }

    public void Reset() => Configure(0, 0);

    /// <summary>True (and counted) when the request may proceed; false → 429.</summary>
    public bool TryAcquire(string scope) => TryAcquire(scope, out _);

    /// <summary>Python's rendering of a Retry-After seconds value (rounded up to a tenth, e.g. <c>0.4</c>, <c>27.0</c>).</summary>
    public static string FormatSeconds(double seconds)
    {
        var tenths = Math.Max(1, Math.Ceiling(seconds * 10));
        return (tenths / 10).ToString("0.0##", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Like <see cref="TryAcquire(string)"/>; when refused, <paramref name="retryAfter"/> is the time in seconds until the
    /// exceeded window frees up (the end of the current grain: 1 s, or 30 s for the minute window).
    /// </summary>
    public bool TryAcquire(string scope, out double retryAfter)
    {
        retryAfter = 0;
        lock (_lock)
        {
            if (_perSecond == 0 && _perMinute == 0) return true;
            if (!_scopes.TryGetValue(scope, out var c)) _scopes[scope] = c = new Counters();
            var now = Clock();

            var sg = now / SecondGrain;
            if (c.SecGrain != sg)
            {
                c.SecGrain = sg;
                c.SecCount = 0;
            }
            if (_perSecond > 0 && c.SecCount >= _perSecond)
            {
                retryAfter = (double)(SecondGrain - now % SecondGrain) / TimeSpan.TicksPerSecond;
                return false;
            }

            var mg = now / MinuteGrain;
            if (_perMinute > 0)
            {
                var frac = (double)(now % MinuteGrain) / MinuteGrain;
                var usage = Get(c, mg) + Get(c, mg - 1) + (1 - frac) * Get(c, mg - 2);
                if (usage >= _perMinute)
                {
                    retryAfter = (double)(MinuteGrain - now % MinuteGrain) / TimeSpan.TicksPerSecond;
                    return false;
                }
            }

            c.SecCount++;
            c.MinGrains[mg] = Get(c, mg) + 1;
            if (c.MinGrains.Count > 3)
            {
                var old = new List<long>();
                foreach (var k in c.MinGrains.Keys) if (k < mg - 2) old.Add(k);
                foreach (var k in old) c.MinGrains.Remove(k);
            }
            return true;
        }
    }

    private static int Get(Counters c, long grain) => c.MinGrains.TryGetValue(grain, out var v) ? v : 0;
}
