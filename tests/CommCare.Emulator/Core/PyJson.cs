using System;
using System.Runtime.CompilerServices;
using System.Buffers;
using System.Collections.Generic;
using System.Text;

namespace CommCare.Emulator;

/// <summary>
/// Writes JSON the way tastypie does: Python <c>json.dumps(data, sort_keys=True, ensure_ascii=False)</c>,
/// i.e. <c>", "</c> and <c>": "</c> separators, non-ASCII kept as UTF-8, control characters as
/// <c>\u00xx</c>. Keys are NOT sorted by the writer: callers write them in ordinal order
/// (use <see cref="SortedProps"/> for dynamic dictionaries).
/// </summary>
public sealed class PyJsonWriter
{
    private byte[] _buf;
    private int _len;
    // Start of the current value in _buf: non-zero only while attached to an external buffer (an arena chunk).
    private int _start;
    private bool _external;
    private byte[]? _own;
    // One entry per open container: true while no member has been written yet.
    private readonly Stack<bool> _first = new();
    private bool _afterKey;

    public PyJsonWriter(int capacity = 1024) => _buf = _own = new byte[Math.Max(capacity, 16)];

    /// <summary>
    /// Python's default <c>ensure_ascii=True</c> (Django's <c>JsonResponse</c>): non-ASCII characters become
    /// <c>\uXXXX</c> escapes (surrogate pairs for astral characters). Off by default (tastypie).
    /// </summary>
    public bool EnsureAscii { get; set; }

    public int Length => _len - _start;

    public byte[] ToArray() => WrittenSpan.ToArray();

    public ReadOnlySpan<byte> WrittenSpan => _buf.AsSpan(_start, _len - _start);

    /// <summary>True while writing straight into the buffer given to <see cref="Attach"/> (no overflow yet).</summary>
    public bool IsAttached => _external;

    public void Reset()
    {
        _buf = _own ??= new byte[1024];
        _external = false;
        _start = 0;
        _len = 0;
        _first.Clear();
        _afterKey = false;
    }

    /// <summary>
    /// Writes the next value directly into <paramref name="buffer"/> from <paramref name="start"/>. If it does not fit,
    /// the writer moves what it has to its own buffer and continues there (<see cref="IsAttached"/> becomes false).
    /// </summary>
    public void Attach(byte[] buffer, int start)
    {
        Reset();
        _buf = buffer;
        _start = start;
        _len = start;
        _external = true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Ensure(int extra)
    {
        if (_len + extra <= _buf.Length) return;
        Grow(extra);
    }

    private void Grow(int extra)
    {
        var used = _len - _start;
        var need = used + extra;
        if (_external)
        {
            var nb = _own is not null && _own.Length >= need ? _own : new byte[Math.Max(need * 2, 8192)];
            _buf.AsSpan(_start, used).CopyTo(nb);
            _buf = _own = nb;
            _external = false;
            _start = 0;
            _len = used;
            return;
        }
        var n = Math.Max(_buf.Length * 2, need);
        Array.Resize(ref _buf, n);
        _own = _buf;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Byte(byte b)
    {
        Ensure(1);
        _buf[_len++] = b;
    }

    /// <summary>Raw bytes, no separator handling.</summary>
    public void RawBytes(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buf.AsSpan(_len));
        _len += bytes.Length;
    }

    private void Ascii(string s)
    {
        Ensure(s.Length);
        for (var i = 0; i < s.Length; i++) _buf[_len++] = (byte)s[i];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void BeforeValue()
    {
        if (_afterKey)
        {
            _afterKey = false;
            return;
        }
        if (_first.Count == 0) return;
        if (_first.Peek())
        {
            _first.Pop();
            _first.Push(false);
        }
        else
        {
            Byte((byte)',');
            Byte((byte)' ');
        }
    }

    public PyJsonWriter BeginObject()
    {
        BeforeValue();
        Byte((byte)'{');
        _first.Push(true);
        return this;
    }

    public PyJsonWriter EndObject()
    {
        _first.Pop();
        Byte((byte)'}');
        return this;
    }

    public PyJsonWriter BeginArray()
    {
        BeforeValue();
        Byte((byte)'[');
        _first.Push(true);
        return this;
    }

    public PyJsonWriter EndArray()
    {
        _first.Pop();
        Byte((byte)']');
        return this;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public PyJsonWriter Key(string name)
    {
        BeforeValue();
        WriteString(name);
        Byte((byte)':');
        Byte((byte)' ');
        _afterKey = true;
        return this;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public PyJsonWriter String(string? value)
    {
        BeforeValue();
        if (value is null) Ascii("null");
        else WriteString(value);
        return this;
    }

    /// <summary>A string value made of several parts (avoids concatenating them first).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public PyJsonWriter StringParts(string a, string b, string c, string d, string e, string f = "")
    {
        BeforeValue();
        Byte((byte)'"');
        WriteStringBody(a);
        WriteStringBody(b);
        WriteStringBody(c);
        WriteStringBody(d);
        WriteStringBody(e);
        WriteStringBody(f);
        Byte((byte)'"');
        return this;
    }

    public PyJsonWriter Null()
    {
        BeforeValue();
        Ascii("null");
        return this;
    }

    public PyJsonWriter Bool(bool value)
    {
        BeforeValue();
        Ascii(value ? "true" : "false");
        return this;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public PyJsonWriter Number(long value)
    {
        BeforeValue();
        Ensure(24);
        value.TryFormat(_buf.AsSpan(_len), out var w, default, System.Globalization.CultureInfo.InvariantCulture);
        _len += w;
        return this;
    }

    public PyJsonWriter Number(int? value) => value is null ? Null() : Number((long)value.Value);

    public PyJsonWriter Double(double value)
    {
        BeforeValue();
        Ascii(value.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        return this;
    }

    /// <summary>A pre-serialised JSON value (an object or array produced by this writer).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public PyJsonWriter RawValue(ReadOnlySpan<byte> json)
    {
        BeforeValue();
        RawBytes(json);
        return this;
    }

    /// <summary>A UTC timestamp string in one of the <see cref="DateStyle"/> styles, or null when ticks == 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public PyJsonWriter Date(long ticks, DateStyle style)
    {
        BeforeValue();
        if (ticks == 0)
        {
            Ascii("null");
            return this;
        }
        Ensure(32);
        _buf[_len++] = (byte)'"';
        _len += Dates.Format(ticks, style, _buf.AsSpan(_len));
        _buf[_len++] = (byte)'"';
        return this;
    }

    public PyJsonWriter Prop(string key, string? value) => Key(key).String(value);
    public PyJsonWriter Prop(string key, bool value) => Key(key).Bool(value);
    public PyJsonWriter Prop(string key, long value) => Key(key).Number(value);
    public PyJsonWriter PropNull(string key) => Key(key).Null();
    public PyJsonWriter PropDate(string key, long ticks, DateStyle style) => Key(key).Date(ticks, style);

    private void WriteString(string s)
    {
        Byte((byte)'"');
        WriteStringBody(s);
        Byte((byte)'"');
    }

    private static readonly SearchValues<char> NeedsEscape = SearchValues.Create(
        "\0\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f\"\\");

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void WriteStringBody(string s)
    {
        // Fast path: plain ASCII without anything to escape (almost every value).
        var span = s.AsSpan();
        if (span.IndexOfAny(NeedsEscape) < 0 && System.Text.Ascii.IsValid(span))
        {
            Ensure(span.Length);
            System.Text.Ascii.FromUtf16(span, _buf.AsSpan(_len), out var written);
            _len += written;
            return;
        }
        // Worst case: every char becomes \u00XX (6 bytes) or 3 UTF-8 bytes.
        Ensure(s.Length * 6 + 2);
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\')
            {
                _buf[_len++] = (byte)c;
                continue;
            }
            switch (c)
            {
                case '"': _buf[_len++] = (byte)'\\'; _buf[_len++] = (byte)'"'; continue;
                case '\\': _buf[_len++] = (byte)'\\'; _buf[_len++] = (byte)'\\'; continue;
                case '\n': _buf[_len++] = (byte)'\\'; _buf[_len++] = (byte)'n'; continue;
                case '\r': _buf[_len++] = (byte)'\\'; _buf[_len++] = (byte)'r'; continue;
                case '\t': _buf[_len++] = (byte)'\\'; _buf[_len++] = (byte)'t'; continue;
                case '\b': _buf[_len++] = (byte)'\\'; _buf[_len++] = (byte)'b'; continue;
                case '\f': _buf[_len++] = (byte)'\\'; _buf[_len++] = (byte)'f'; continue;
            }
            if (c < 0x20)
            {
                const string hex = "0123456789abcdef";
                _buf[_len++] = (byte)'\\';
                _buf[_len++] = (byte)'u';
                _buf[_len++] = (byte)'0';
                _buf[_len++] = (byte)'0';
                _buf[_len++] = (byte)hex[c >> 4];
                _buf[_len++] = (byte)hex[c & 0xF];
                continue;
            }
            if (EnsureAscii)
            {
                const string hx = "0123456789abcdef";
                _buf[_len++] = (byte)'\\';
                _buf[_len++] = (byte)'u';
                _buf[_len++] = (byte)hx[c >> 12];
                _buf[_len++] = (byte)hx[(c >> 8) & 0xF];
                _buf[_len++] = (byte)hx[(c >> 4) & 0xF];
                _buf[_len++] = (byte)hx[c & 0xF];
                continue;
            }
            // Non-ASCII: encode the run (including surrogate pairs) as UTF-8.
            var start = i;
            while (i + 1 < s.Length && s[i + 1] >= 0x80) i++;
            _len += Encoding.UTF8.GetBytes(s.AsSpan(start, i - start + 1), _buf.AsSpan(_len));
        }
    }

    /// <summary>Serialises a small string map as a JSON object with keys in ordinal (Python) order.</summary>
    public PyJsonWriter SortedProps(IEnumerable<KeyValuePair<string, string?>> props)
    {
        var list = new List<KeyValuePair<string, string?>>(props);
        list.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        BeginObject();
        foreach (var kv in list) Prop(kv.Key, kv.Value);
        return EndObject();
    }

    /// <summary>Python <c>json.dumps({"error": message})</c> bytes.</summary>
    public static byte[] ErrorBody(string key, string message)
    {
        var w = new PyJsonWriter(64 + message.Length * 2);
        w.BeginObject().Prop(key, message).EndObject();
        return w.ToArray();
    }
}
