using CommCare.Models;
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;

namespace CommCare.Client.Json
{
    /// <summary>Reading helpers over Utf8JsonReader: no DOM, no intermediate strings for structure.</summary>
    internal static class JsonValue
    {
        /// <summary>Reads any JSON value as plain .NET objects: string, bool, long, double, null,
        /// Dictionary&lt;string, object?&gt; (ordinal keys) or List&lt;object?&gt;.</summary>
        public static object? Read(ref Utf8JsonReader r)
        {
            switch (r.TokenType)
            {
                case JsonTokenType.String: return Utf8StringCache.Current.Get(ref r);
                case JsonTokenType.Number:
                    if (r.TryGetInt64(out long l)) return l;
                    return r.GetDouble();
                case JsonTokenType.True: return true;
                case JsonTokenType.False: return false;
                case JsonTokenType.Null: return null;
                case JsonTokenType.StartObject: return ReadObject(ref r);
                case JsonTokenType.StartArray:
                    var list = new List<object?>();
                    while (r.Read() && r.TokenType != JsonTokenType.EndArray) list.Add(Read(ref r));
                    return list;
                default: throw new JsonException($"Unexpected JSON token {r.TokenType}.");
            }
        }

        [ThreadStatic] private static Stack<List<KeyValuePair<string, object?>>>? _scratch;

        public static Dictionary<string, object?> ReadObject(ref Utf8JsonReader r)
        {
            Expect(ref r, JsonTokenType.StartObject);
            // Collect first, then build the dictionary at its final size: no rehashing garbage per record.
            var pool = _scratch ??= new Stack<List<KeyValuePair<string, object?>>>();
            var items = pool.Count > 0 ? pool.Pop() : new List<KeyValuePair<string, object?>>(32);
            try
            {
                var names = Utf8StringCache.Current;
                while (r.Read() && r.TokenType != JsonTokenType.EndObject)
                {
                    string name = names.Get(ref r);
                    r.Read();
                    items.Add(new KeyValuePair<string, object?>(name, Read(ref r)));
                }
                var d = new Dictionary<string, object?>(items.Count, StringComparer.Ordinal);
                foreach (var kv in items) d[kv.Key] = kv.Value;
                return d;
            }
            finally
            {
                items.Clear();
                pool.Push(items);
            }
        }

        public static string? ReadString(ref Utf8JsonReader r)
        {
            switch (r.TokenType)
            {
                case JsonTokenType.String: return Utf8StringCache.Current.Get(ref r);
                case JsonTokenType.Null: return null;
                case JsonTokenType.Number:
                case JsonTokenType.True:
                case JsonTokenType.False:
                    return Convert.ToString(Read(ref r), CultureInfo.InvariantCulture);
                default: r.Skip(); return null;
            }
        }

        public static bool ReadBool(ref Utf8JsonReader r) => ReadNullableBool(ref r) ?? false;

        public static bool? ReadNullableBool(ref Utf8JsonReader r)
        {
            switch (r.TokenType)
            {
                case JsonTokenType.True: return true;
                case JsonTokenType.False: return false;
                case JsonTokenType.String:
                    var s = r.GetString();
                    return s == null ? (bool?)null : string.Equals(s, "true", StringComparison.OrdinalIgnoreCase) || s == "1";
                default: r.Skip(); return null;
            }
        }

        public static long? ReadNullableLong(ref Utf8JsonReader r)
        {
            if (r.TokenType == JsonTokenType.Number && r.TryGetInt64(out long v)) return v;
            if (r.TokenType == JsonTokenType.String && long.TryParse(r.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out v)) return v;
            r.Skip();
            return null;
        }

        /// <summary>The current property name, reusing the string when it was seen before.</summary>
        public static string Name(ref Utf8JsonReader r) => Utf8StringCache.Current.Get(ref r);

        public static DateTime? ReadDate(ref Utf8JsonReader r)
        {
            if (r.TokenType != JsonTokenType.String) { r.Skip(); return null; }
            if (r.HasValueSequence || r.ValueIsEscaped)
                return IsoDate.TryParse(r.GetString(), out var d) ? d : (DateTime?)null;
            return IsoDate.TryParse(r.ValueSpan, out var v) ? v : (DateTime?)null;
        }

        public static List<string> ReadStringList(ref Utf8JsonReader r)
        {
            var list = new List<string>();
            if (r.TokenType != JsonTokenType.StartArray) { r.Skip(); return list; }
            while (r.Read() && r.TokenType != JsonTokenType.EndArray)
            {
                var s = ReadString(ref r);
                if (s != null) list.Add(s);
            }
            return list;
        }

        public static void Expect(ref Utf8JsonReader r, JsonTokenType t)
        {
            if (r.TokenType != t) throw new JsonException($"Expected {t} but found {r.TokenType}.");
        }

        /// <summary>Moves to the value of the current property.</summary>
        public static void Value(ref Utf8JsonReader r)
        {
            if (!r.Read()) throw new JsonException("Unexpected end of JSON.");
        }
    
        // Members of an object read with ReadObject (the shapes read whole before mapping: apps, reports, lookup tables, …).

        /// <summary>A string member, or null when it is missing or not a string.</summary>
        public static string? Str(IReadOnlyDictionary<string, object?> o, string key) => o.TryGetValue(key, out var v) ? v as string : null;

        public static int? Int(IReadOnlyDictionary<string, object?> o, string key) => o.TryGetValue(key, out var v) && v is long l ? (int)l : (int?)null;

        public static bool Bool(IReadOnlyDictionary<string, object?> o, string key) => o.TryGetValue(key, out var v) && v is bool b && b;

        public static DateTime? Date(IReadOnlyDictionary<string, object?> o, string key)
            => o.TryGetValue(key, out var v) && v is string s && IsoDate.TryParse(s, out var d) ? d : (DateTime?)null;

        /// <summary>The strings of a list member (other items are skipped); empty when missing.</summary>
        public static IReadOnlyList<string> Strings(IReadOnlyDictionary<string, object?> o, string key)
        {
            var list = new List<string>();
            if (o.TryGetValue(key, out var v) && v is List<object?> l) foreach (var x in l) if (x is string s) list.Add(s);
            return list;
        }
    }
}
