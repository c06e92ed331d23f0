using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;

namespace CommCare.Emulator;

/// <summary>A sync token (<c>restore_id</c>) handed out by a restore: whose it is and what the phone holds after it.</summary>
public sealed record SyncToken(string Id, string Domain, string UserId, long ServerTime, IReadOnlyCollection<string> CaseIds, long IssuedTicks);

/// <summary>An SMS the emulator "sent" (SMS self-registration, install info), for <c>GET /_emulator/sms</c>.</summary>
public sealed record SentSms(string Domain, string Kind, string PhoneNumber, string AppId, string Message, long SentTicks);

/// <summary>
/// Mutable state and config switches of the restore, SSO, SMS registration, forwarding and export areas.
/// Reset by <c>POST /_emulator/reset</c>; its switches are members of <c>POST /_emulator/config</c>.
/// </summary>
public sealed class ExtrasState
{
    private readonly object _lock = new();
    private readonly Dictionary<string, SyncToken> _tokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _pending = new(StringComparer.Ordinal);
    private readonly List<SentSms> _sms = new();
    private bool _smsRegistration = true;
    private bool _smsRegistrationEnabled = true;
    private int _restorePendingPolls;
    private int _restoreRetryAfter = DefaultRestoreRetryAfter;

    public const int DefaultRestoreRetryAfter = 5;

    /// <summary>The SMS registration endpoints exist (false: they answer Django's HTML 404, as on a server that removed them).</summary>
    public bool SmsRegistration
    {
        get { lock (_lock) return _smsRegistration; }
    }

    /// <summary>demo's project setting "SMS Mobile Worker Registration" (false: 403 <c>Please first enable ...</c>).</summary>
    public bool SmsRegistrationEnabled
    {
        get { lock (_lock) return _smsRegistrationEnabled; }
    }

    /// <summary>How many times each restore (same user, token, device) answers 202 "pending" before the 200 (0 = never).</summary>
    public int RestorePendingPolls
    {
        get { lock (_lock) return _restorePendingPolls; }
    }

    public int RestoreRetryAfter
    {
        get { lock (_lock) return _restoreRetryAfter; }
    }

    public void Reset()
    {
        lock (_lock)
        {
            _tokens.Clear();
            _pending.Clear();
            _sms.Clear();
            _smsRegistration = true;
            _smsRegistrationEnabled = true;
            _restorePendingPolls = 0;
            _restoreRetryAfter = DefaultRestoreRetryAfter;
        }
    }

    // ---- restore -------------------------------------------------------------------------------------

    public void AddToken(SyncToken t)
    {
        lock (_lock) _tokens[t.Id] = t;
    }

    public SyncToken? Token(string id)
    {
        lock (_lock) return _tokens.TryGetValue(id, out var t) ? t : null;
    }

    /// <summary>Every token handed out since the last reset, oldest first.</summary>
    public List<SyncToken> Tokens()
    {
        lock (_lock) return _tokens.Values.OrderBy(t => t.IssuedTicks).ToList();
    }

    /// <summary>
    /// Counts one poll of a restore: true while it should still answer 202 (the count so far is returned in
    /// <paramref name="done"/>); false once the configured number of 202s has been given (the key is then forgotten).
    /// </summary>
    public bool Pending(string key, out int done, out int polls)
    {
        lock (_lock)
        {
            polls = _restorePendingPolls;
            _pending.TryGetValue(key, out done);
            if (done >= polls)
            {
                _pending.Remove(key);
                return false;
            }
            _pending[key] = done + 1;
            return true;
        }
    }

    // ---- SMS -----------------------------------------------------------------------------------------

    public void AddSms(SentSms m)
    {
        lock (_lock) _sms.Add(m);
    }

    public List<SentSms> Sms()
    {
        lock (_lock) return new List<SentSms>(_sms);
    }

    public void ClearSms()
    {
        lock (_lock) _sms.Clear();
    }

    // ---- config --------------------------------------------------------------------------------------

    /// <summary>
    /// Applies (or with <paramref name="apply"/> false only checks) this area's members of a <c>POST /_emulator/config</c>
    /// body; an error message (nothing changed) or null.
    /// </summary>
    public string? Configure(JsonElement root, bool apply = true)
    {
        bool? sms = null, smsEnabled = null;
        int? polls = null, retry = null;
        if (root.TryGetProperty("smsRegistration", out var s))
        {
            if (s.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) return "smsRegistration must be a boolean";
            sms = s.GetBoolean();
        }
        if (root.TryGetProperty("smsRegistrationEnabled", out var se))
        {
            if (se.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) return "smsRegistrationEnabled must be a boolean";
            smsEnabled = se.GetBoolean();
        }
        if (root.TryGetProperty("restorePendingPolls", out var p))
        {
            if (p.ValueKind != JsonValueKind.Number || !p.TryGetInt32(out var n) || n < 0 || n > 1000)
                return "restorePendingPolls must be an integer between 0 and 1000";
            polls = n;
        }
        if (root.TryGetProperty("restoreRetryAfter", out var r))
        {
            if (r.ValueKind != JsonValueKind.Number || !r.TryGetInt32(out var n) || n < 0 || n > 3600)
                return "restoreRetryAfter must be an integer between 0 and 3600";
            retry = n;
        }
        if (!apply) return null;
        lock (_lock)
        {
            if (sms is not null) _smsRegistration = sms.Value;
            if (smsEnabled is not null) _smsRegistrationEnabled = smsEnabled.Value;
            if (polls is not null) _restorePendingPolls = polls.Value;
            if (retry is not null) _restoreRetryAfter = retry.Value;
        }
        return null;
    }

    public void Write(Utf8JsonWriter w)
    {
        lock (_lock)
        {
            w.WriteBoolean("smsRegistration", _smsRegistration);
            w.WriteBoolean("smsRegistrationEnabled", _smsRegistrationEnabled);
            w.WriteNumber("restorePendingPolls", _restorePendingPolls);
            w.WriteNumber("restoreRetryAfter", _restoreRetryAfter);
        }
    }
}
