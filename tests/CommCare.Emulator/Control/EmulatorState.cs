using System;
using System.Collections.Generic;

namespace CommCare.Emulator;

public enum NextStyle { Path, Query, Absolute }

/// <summary>Behaviour switches set through POST /_emulator/config.</summary>
public sealed record EmulatorConfig(NextStyle NextStyle = NextStyle.Path, bool AppendSlash = true)
{
    /// <summary>Status GETs a bulk case upload takes to finish (state 0, then 1, ..., 2 on the last); 0 = done at once.</summary>
    public int ImportPolls { get; init; } = 3;

    /// <summary><c>receiver/</c> and <c>receiver/{app_id}/</c> require authentication like <c>receiver/secure/</c>.</summary>
    public bool SecureSubmissions { get; init; }

    /// <summary>Case types deprecated in the data dictionary (Case API v2 <c>include_deprecated</c>, <c>is_deprecated</c>).</summary>
    public IReadOnlySet<string> DeprecatedCaseTypes { get; init; } = new HashSet<string>(StringComparer.Ordinal);
}

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

    /// <summary>Restore sync tokens, SMS outbox and the switches of the restore / SMS registration areas (ExtrasState.cs).</summary>
    public ExtrasState Extras { get; } = new();

    /// <summary>The other reading of UNCONFIRMED points, switched per test (Alternatives.cs).</summary>
    public Alternatives Alt { get; } = new();

    /// <summary>
    /// POST /_emulator/reset: faults, rate limits, request log and config back to defaults; cases and forms back to the
    /// generated records (every write through the Case API, the receiver or the importer is dropped, uploads too). The
    /// directory (users, groups, locations) is kept: see /_emulator/directory/reset.
    /// </summary>
    public void Reset()
    {
        Faults.Reset();
        RateLimit.Reset();
        Log.Clear();
        Config = new EmulatorConfig();
        Data?.ResetRecords();
        Features.Reset();
        Extras.Reset();
        Alt.Reset();
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
