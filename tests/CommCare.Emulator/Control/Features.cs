using System;
using System.Text.Json;

namespace CommCare.Emulator;

/// <summary>
/// Mutable state of the report / lookup-table / application / messaging areas, plus their switches in
/// <c>POST /_emulator/config</c>. Reset by <c>POST /_emulator/reset</c>.
/// </summary>
public sealed class FeatureState
{
    private readonly object _lock = new();
    private int _lookupUploadPolls = DefaultLookupUploadPolls;
    private string? _lookupUploadFailure;
    private string? _lookupUploadFailureMessage;

    public const int DefaultLookupUploadPolls = 2;

    /// <summary>Lookup tables and their rows (seeded with <c>facilities</c>, <c>districts</c>, <c>vaccines</c> in demo).</summary>
    public LookupTableStore LookupTables { get; private set; } = new();

    /// <summary>Excel upload jobs (<c>fixapi</c> with <c>async=true</c>), by download id.</summary>
    public LookupUploadJobs UploadJobs { get; private set; } = new();

    /// <summary>How many status polls of an async upload answer "in progress" before the outcome.</summary>
    public int LookupUploadPolls
    {
        get { lock (_lock) return _lookupUploadPolls; }
    }

    /// <summary>null (uploads succeed), <c>"error"</c> or <c>"task-failed"</c>: how every async upload ends.</summary>
    public string? LookupUploadFailure
    {
        get { lock (_lock) return _lookupUploadFailure; }
    }

    public string? LookupUploadFailureMessage
    {
        get { lock (_lock) return _lookupUploadFailureMessage; }
    }

    public void Reset()
    {
        lock (_lock)
        {
            _lookupUploadPolls = DefaultLookupUploadPolls;
            _lookupUploadFailure = null;
            _lookupUploadFailureMessage = null;
            LookupTables = new LookupTableStore();
            UploadJobs = new LookupUploadJobs();
        }
    }

    /// <summary>
    /// Applies this area's members of a <c>POST /_emulator/config</c> body. Returns an error message (nothing
    /// changed) or null. Unknown members are left to the caller.
    /// </summary>
    public string? Configure(JsonElement root)
    {
        int? polls = null;
        var setFailure = false;
        string? failure = null;
        var setMessage = false;
        string? message = null;
        if (root.TryGetProperty("lookupUploadPolls", out var p))
        {
            if (p.ValueKind != JsonValueKind.Number || !p.TryGetInt32(out var n) || n < 0 || n > 1000)
                return "lookupUploadPolls must be an integer between 0 and 1000";
            polls = n;
        }
        if (root.TryGetProperty("lookupUploadFailure", out var f))
        {
            setFailure = true;
            failure = f.ValueKind switch
            {
                JsonValueKind.Null => null,
                JsonValueKind.String when f.GetString() is "error" or "task-failed" => f.GetString(),
                _ => "?",
            };
            if (failure == "?") return "lookupUploadFailure must be null, \"error\" or \"task-failed\"";
        }
        if (root.TryGetProperty("lookupUploadFailureMessage", out var m))
        {
            if (m.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                return "lookupUploadFailureMessage must be a string or null";
            setMessage = true;
            message = m.ValueKind == JsonValueKind.Null ? null : m.GetString();
        }
        lock (_lock)
        {
            if (polls is not null) _lookupUploadPolls = polls.Value;
            if (setFailure) _lookupUploadFailure = failure;
            if (setMessage) _lookupUploadFailureMessage = message;
        }
        return null;
    }

    public void Write(Utf8JsonWriter w)
    {
        lock (_lock)
        {
            w.WriteNumber("lookupUploadPolls", _lookupUploadPolls);
            if (_lookupUploadFailure is null) w.WriteNull("lookupUploadFailure");
            else w.WriteString("lookupUploadFailure", _lookupUploadFailure);
            if (_lookupUploadFailureMessage is null) w.WriteNull("lookupUploadFailureMessage");
            else w.WriteString("lookupUploadFailureMessage", _lookupUploadFailureMessage);
        }
    }
}
