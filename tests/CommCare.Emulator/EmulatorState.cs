using System;

namespace CommCare.Emulator;

public enum NextStyle { Path, Query, Absolute }

/// <summary>Behaviour switches set through POST /_emulator/config.</summary>
public sealed record EmulatorConfig(NextStyle NextStyle = NextStyle.Path, bool AppendSlash = true);

/// <summary>Everything shared between requests. Each part is thread-safe on its own.</summary>
public sealed class EmulatorState
{
    private volatile DataSet? _data;
    private volatile EmulatorConfig _config = new();

    public EmulatorState(DataSetSpec initialSpec) => InitialSpec = initialSpec;

    public DataSetSpec InitialSpec { get; }

    /// <summary>Base URL (scheme://host:port, no trailing slash) the emulator listens on.</summary>
    public string BaseUrl { get; set; } = "http://127.0.0.1";

    public DataSet? Data
    {
        get => _data;
        set => _data = value;
    }

    public EmulatorConfig Config
    {
        get => _config;
        set => _config = value ?? new EmulatorConfig();
    }

    public FaultInjector Faults { get; } = new();
    public RateLimiter RateLimit { get; } = new();
    public RequestLog Log { get; } = new(200_000);

    /// <summary>Reports, lookup tables, applications, messaging: their mutable state and config switches.</summary>
    public FeatureState Features { get; } = new();

    /// <summary>POST /_emulator/reset: faults, rate limits, request log and config back to defaults (data kept).</summary>
    public void Reset()
    {
        Faults.Reset();
        RateLimit.Reset();
        Log.Clear();
        Config = new EmulatorConfig();
        Features.Reset();
    }

    /// <summary>
    /// Replaces the data set. The old one is dropped first (API requests answer 503 + Retry-After meanwhile)
    /// so that its memory can be reused.
    /// </summary>
    public DataSet Regenerate(DataSetSpec spec)
    {
        Data = null;
        var ds = DataSet.Generate(spec, BaseUrl);
        Data = ds;
        return ds;
    }
}
