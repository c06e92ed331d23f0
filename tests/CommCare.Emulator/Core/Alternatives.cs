using System.Text.Json;

namespace CommCare.Emulator;

/// <summary>
/// Switches for the other reading of a point the reference marks UNCONFIRMED, so that tests can run the client
/// against both. The defaults are what the reference says. Set through <c>POST /_emulator/config</c>, back to
/// the defaults on <c>POST /_emulator/reset</c>. See README.md "Alternative behaviours".
/// </summary>
public sealed class Alternatives
{
    public const string DefaultTooManyMatchesField = "too_many_matches";
    public const string DefaultLookupUidHeader = "UID";

    private readonly object _lock = new();
    private bool _listDeletedGroups;
    private string? _tooManyMatchesField = DefaultTooManyMatchesField;
    private bool _blankExternalIdCreates;
    private string _lookupUidHeader = DefaultLookupUidHeader;
    private bool _caseForwardChangesOnly;
    private bool _caseV2SystemProperties;
    private bool _ssoDeactivatedNoUser;

    /// <summary>The group list also holds soft-deleted groups (detail still answers 404 for them).</summary>
    public bool ListDeletedGroups { get { lock (_lock) return _listDeletedGroups; } }

    /// <summary>The key of the importer's multiple-match count in <c>result</c>; null leaves it out.</summary>
    public string? TooManyMatchesField { get { lock (_lock) return _tooManyMatchesField; } }

    /// <summary>A blank external id with <c>search_field=external_id</c> and <c>create_new_cases</c> creates a case
    /// (instead of the row error <c>Blank External Id</c>).</summary>
    public bool BlankExternalIdCreates { get { lock (_lock) return _blankExternalIdCreates; } }

    /// <summary>How the lookup-table download spells the row-id column; the upload reads this spelling and <c>UID</c>.</summary>
    public string LookupUidHeader { get { lock (_lock) return _lookupUidHeader; } }

    /// <summary>Case forwarding payloads carry only the changed properties (a "case update" repeater).</summary>
    public bool CaseForwardChangesOnly { get { lock (_lock) return _caseForwardChangesOnly; } }

    /// <summary>Case API v2 answers repeat case_name, case_type, owner_id, external_id and date_opened inside properties.</summary>
    public bool CaseV2SystemProperties { get { lock (_lock) return _caseV2SystemProperties; } }

    /// <summary>The SSO check answers a deactivated worker's right password with 200 and a user without an id
    /// (60: the lookup returns nothing, UNCONFIRMED) instead of the worker.</summary>
    public bool SsoDeactivatedNoUser { get { lock (_lock) return _ssoDeactivatedNoUser; } }

    public void Reset()
    {
        lock (_lock)
        {
            _listDeletedGroups = false;
            _tooManyMatchesField = DefaultTooManyMatchesField;
            _blankExternalIdCreates = false;
            _lookupUidHeader = DefaultLookupUidHeader;
            _caseForwardChangesOnly = false;
            _caseV2SystemProperties = false;
            _ssoDeactivatedNoUser = false;
        }
    }

    /// <summary>Applies (or with <paramref name="apply"/> false only checks) this area's members; an error message or null.</summary>
    public string? Configure(JsonElement root, bool apply = true)
    {
        bool? deleted = null, blank = null, changes = null, system = null, sso = null;
        var setField = false;
        string? field = null, uid = null;
        if (root.TryGetProperty("listDeletedGroups", out var d))
        {
            if (d.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) return "listDeletedGroups must be a boolean";
            deleted = d.GetBoolean();
        }
        if (root.TryGetProperty("tooManyMatchesField", out var t))
        {
            if (t.ValueKind is not (JsonValueKind.String or JsonValueKind.Null) || (t.ValueKind == JsonValueKind.String && t.GetString()!.Length == 0))
                return "tooManyMatchesField must be a non-empty string or null";
            setField = true;
            field = t.ValueKind == JsonValueKind.Null ? null : t.GetString();
        }
        if (root.TryGetProperty("blankExternalIdCreates", out var b))
        {
            if (b.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) return "blankExternalIdCreates must be a boolean";
            blank = b.GetBoolean();
        }
        if (root.TryGetProperty("lookupUidHeader", out var u))
        {
            if (u.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(u.GetString()) || u.GetString()!.Contains(':'))
                return "lookupUidHeader must be a non-blank string without ':'";
            uid = u.GetString();
        }
        if (root.TryGetProperty("caseForwardChangesOnly", out var c))
        {
            if (c.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) return "caseForwardChangesOnly must be a boolean";
            changes = c.GetBoolean();
        }
        if (root.TryGetProperty("caseV2SystemProperties", out var sp))
        {
            if (sp.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) return "caseV2SystemProperties must be a boolean";
            system = sp.GetBoolean();
        }
        if (root.TryGetProperty("ssoDeactivatedNoUser", out var so))
        {
            if (so.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) return "ssoDeactivatedNoUser must be a boolean";
            sso = so.GetBoolean();
        }
        if (!apply) return null;
        lock (_lock)
        {
            if (deleted is not null) _listDeletedGroups = deleted.Value;
            if (setField) _tooManyMatchesField = field;
            if (blank is not null) _blankExternalIdCreates = blank.Value;
            if (uid is not null) _lookupUidHeader = uid;
            if (changes is not null) _caseForwardChangesOnly = changes.Value;
            if (system is not null) _caseV2SystemProperties = system.Value;
            if (sso is not null) _ssoDeactivatedNoUser = sso.Value;
        }
        return null;
    }

    public void Write(Utf8JsonWriter w)
    {
        lock (_lock)
        {
            w.WriteBoolean("listDeletedGroups", _listDeletedGroups);
            if (_tooManyMatchesField is null) w.WriteNull("tooManyMatchesField");
            else w.WriteString("tooManyMatchesField", _tooManyMatchesField);
            w.WriteBoolean("blankExternalIdCreates", _blankExternalIdCreates);
            w.WriteString("lookupUidHeader", _lookupUidHeader);
            w.WriteBoolean("caseForwardChangesOnly", _caseForwardChangesOnly);
            w.WriteBoolean("caseV2SystemProperties", _caseV2SystemProperties);
            w.WriteBoolean("ssoDeactivatedNoUser", _ssoDeactivatedNoUser);
        }
    }
}
