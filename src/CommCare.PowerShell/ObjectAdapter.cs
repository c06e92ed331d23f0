using System;
using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Reflection;
using System.Text;
using System.Text.Json;
using CommCare.Models;

namespace CommCare.PowerShell
{
    /// <summary>
    /// How PowerShell sees the module's objects (registered for each model type in CommCare.types.ps1xml).
    /// Every value prints as text the module reads back, so Export-Csv | Import-Csv | Set-X is the identity:
    /// lists as "a;b" (what the write cmdlets' list parameters split), dates as UTC ISO 8601 whatever the
    /// culture (scripts still get a [datetime]), other nested values as compact JSON. Dictionaries a write
    /// cmdlet takes column by column are shown as their own properties instead: a case's properties under
    /// their names ($case.district), a worker's user data as user_data.KEY, a group's metadata.KEY, a
    /// location's location_data.KEY, a lookup-table row's field.NAME. The dictionary itself is still there by
    /// name ($case.Properties) but not listed, so no value is written twice. Nothing is parsed until read.
    /// </summary>
    public sealed class CCObjectAdapter : PSPropertyAdapter
    {
        private sealed class Member
        {
            public string Name = "";
            public Func<object, object?> Get = null!;
            public Type Type = typeof(object);
            public bool Listed = true;
        }

        private sealed class Shape
        {
            public readonly List<Member> Listed = new List<Member>();
            public readonly Dictionary<string, Member> ByName = new Dictionary<string, Member>(StringComparer.OrdinalIgnoreCase);
            /// <summary>The dictionary shown key by key, and the prefix of those keys' property names.</summary>
            public Func<object, IDictionary?>? Expand;
            public string Prefix = "";
        }

        private sealed class Key { public string Name = ""; public string DictionaryKey = ""; }

        private static readonly ConcurrentDictionary<Type, Shape> Shapes = new ConcurrentDictionary<Type, Shape>();

        /// <summary>The dictionary each type shows key by key (the write cmdlets bind these columns back).</summary>
        private static (string Member, string Prefix)? ExpansionOf(Type t)
        {
            if (t == typeof(CCCase)) return ("Properties", "");
            if (t == typeof(CCMobileWorker) || t == typeof(CCWebUser) || t == typeof(CCWebUserInvitation)) return ("UserData", "user_data.");
            if (t == typeof(CCGroup)) return ("Metadata", "metadata.");
            if (t == typeof(CCLocation)) return ("LocationData", "location_data.");
            if (t == typeof(CCLookupTableItem)) return ("Fields", "field.");
            return null;
        }

        private static Shape ShapeOf(Type type) => Shapes.GetOrAdd(type, t =>
        {
            var shape = new Shape();
            var expansion = ExpansionOf(t);
            foreach (var p in t.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                if (p.GetIndexParameters().Length > 0 || p.GetGetMethod() == null) continue;
                var prop = p;
                var m = new Member { Name = p.Name, Type = p.PropertyType, Get = o => prop.GetValue(o, null) };
                if (expansion is { } e && e.Member == p.Name)
                {
                    m.Listed = false;
                    shape.Expand = o => prop.GetValue(o, null) as IDictionary;
                    shape.Prefix = e.Prefix;
                }
                shape.ByName[m.Name] = m;
                if (m.Listed) shape.Listed.Add(m);
            }
            return shape;
        });

        public override Collection<PSAdaptedProperty> GetProperties(object baseObject)
        {
            var shape = ShapeOf(baseObject.GetType());
            var list = new Collection<PSAdaptedProperty>();
            foreach (var m in shape.Listed) list.Add(new PSAdaptedProperty(m.Name, m));
            if (shape.Expand == null) return list;
            // Every key the record's page has, so that a table made from the first record has them all.
            IEnumerable<string>? keys = ColumnKeysOf(baseObject)?.Keys;
            if (keys == null && shape.Expand(baseObject) is IDictionary d) keys = d.Keys.Cast<object>().Select(k => k?.ToString() ?? "");
            foreach (var key in keys ?? Enumerable.Empty<string>())
            {
                string name = shape.Prefix + key;
                // A case property named like a field of the case (e.g. "name") stays in Properties only.
                if (key.Length == 0 || shape.ByName.ContainsKey(name)) continue;
                list.Add(new PSAdaptedProperty(name, new Key { Name = name, DictionaryKey = key }));
            }
            return list;
        }

        private static CCColumnKeys? ColumnKeysOf(object o) => o switch
        {
            CCCase c => c.ColumnKeys,
            CCMobileWorker w => w.ColumnKeys,
            CCWebUser u => u.ColumnKeys,
            CCGroup g => g.ColumnKeys,
            CCLocation l => l.ColumnKeys,
            _ => null,
        };

        public override PSAdaptedProperty? GetProperty(object baseObject, string propertyName)
        {
            var shape = ShapeOf(baseObject.GetType());
            if (shape.ByName.TryGetValue(propertyName, out var m)) return new PSAdaptedProperty(m.Name, m);
            if (shape.Expand == null || !propertyName.StartsWith(shape.Prefix, StringComparison.OrdinalIgnoreCase)) return null;
            string wanted = propertyName.Substring(shape.Prefix.Length);
            if (wanted.Length == 0 || !(shape.Expand(baseObject) is IDictionary d)) return null;
            if (d.Contains(wanted)) return new PSAdaptedProperty(shape.Prefix + wanted, new Key { Name = shape.Prefix + wanted, DictionaryKey = wanted });
            foreach (DictionaryEntry e in d)
                if (string.Equals(e.Key?.ToString(), wanted, StringComparison.OrdinalIgnoreCase))
                    return new PSAdaptedProperty(shape.Prefix + e.Key, new Key { Name = shape.Prefix + e.Key, DictionaryKey = e.Key!.ToString()! });
            return null;
        }

        public override bool IsGettable(PSAdaptedProperty adaptedProperty) => true;
        public override bool IsSettable(PSAdaptedProperty adaptedProperty) => false;

        public override object? GetPropertyValue(PSAdaptedProperty adaptedProperty)
        {
            object o = adaptedProperty.BaseObject;
            if (adaptedProperty.Tag is Key k)
            {
                var d = ShapeOf(o.GetType()).Expand?.Invoke(o);
                return Present(d != null && d.Contains(k.DictionaryKey) ? d[k.DictionaryKey] : null);
            }
            return Present(((Member)adaptedProperty.Tag).Get(o));
        }

        public override void SetPropertyValue(PSAdaptedProperty adaptedProperty, object value)
            => throw new NotSupportedException($"{adaptedProperty.Name} is read-only; change it with the matching Set- cmdlet.");

        public override string GetPropertyTypeName(PSAdaptedProperty adaptedProperty)
            => adaptedProperty.Tag is Member m ? (Nullable.GetUnderlyingType(m.Type) ?? m.Type).FullName ?? "System.Object" : "System.Object";

        /// <summary>Scalars as they are; dates, lists and nested values wrapped so that their text (Export-Csv,
        /// Format-*) reads back. The wrapper is transparent: $w.Groups.Count, $c.IndexedOn.AddDays(1) still work.</summary>
        internal static object? Present(object? value)
        {
            switch (value)
            {
                case null: return null;
                case string _: return value;
                case DateTime _:
                case IEnumerable _:
                case decimal _:   // "-0,0236" under de-DE would not read back: numbers with a fraction print invariant
                case double _:
                case float _:
                    return new CCText(value);
                default: return value;
            }
        }

        /// <summary>UTC ISO 8601 ("2026-12-07T21:05:03Z"): the same instant whatever culture reads it.</summary>
        public static string IsoText(DateTime d)
            => (d.Kind == DateTimeKind.Local ? d.ToUniversalTime() : d).ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

        /// <summary>Text of a value as the write cmdlets take it back.</summary>
        public static string Text(object? value)
        {
            switch (value)
            {
                case null: return "";
                case PSObject p: return Text(p.BaseObject);
                case string s: return s;
                case DateTime d: return IsoText(d);
                case bool b: return b ? "True" : "False";
                case IFormattable f: return f.ToString(null, CultureInfo.InvariantCulture);
                case IDictionary<string, CCCaseIndex> indices: return CaseIndexText.Format(indices.Values);
                // A form body not parsed yet: its JSON as the server sent it, without parsing it to write it again.
                case LazyDictionary lazy when lazy.Raw is byte[] raw: return Encoding.UTF8.GetString(raw);
                case IDictionary _:
                    return Json(value);
                case IEnumerable items:
                    var sb = new StringBuilder();
                    foreach (var item in items)
                    {
                        object? v = item is PSObject ip ? ip.BaseObject : item;
                        if (v is IDictionary || (v is IEnumerable && !(v is string))) return Json(value);
                        if (sb.Length > 0) sb.Append(';');
                        sb.Append(Text(v));
                    }
                    return sb.ToString();
                default: return value.ToString() ?? "";
            }
        }

        private static string Json(object value)
        {
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
                WriteJson(w, value, 0);
            return Encoding.UTF8.GetString(ms.ToArray());
        }

        private static void WriteJson(Utf8JsonWriter w, object? value, int depth)
        {
            if (value is PSObject p) value = p.BaseObject;
            switch (value)
            {
                case null: w.WriteNullValue(); return;
                case string s: w.WriteStringValue(s); return;
                case bool b: w.WriteBooleanValue(b); return;
                case DateTime d: w.WriteStringValue(IsoText(d)); return;
                case int i: w.WriteNumberValue(i); return;
                case long l: w.WriteNumberValue(l); return;
                case double x: w.WriteNumberValue(x); return;
                case decimal m: w.WriteNumberValue(m); return;
                case IDictionary dict when depth < 64:
                    w.WriteStartObject();
                    foreach (DictionaryEntry e in dict) { w.WritePropertyName(e.Key?.ToString() ?? ""); WriteJson(w, e.Value, depth + 1); }
                    w.WriteEndObject();
                    return;
                case IEnumerable items when depth < 64:
                    w.WriteStartArray();
                    foreach (var item in items) WriteJson(w, item, depth + 1);
                    w.WriteEndArray();
                    return;
                // Model objects inside a value (child cases, forms by name) are named by their id.
                default: w.WriteStringValue(value.ToString()); return;
            }
        }
    }

    /// <summary>
    /// A value as the adapter hands it to PowerShell: the value itself to scripts (a [datetime] stays one), and
    /// <see cref="CCObjectAdapter.Text"/> where PowerShell turns it into text (Export-Csv, ConvertTo-Csv and
    /// the formatter call ToString on the PSObject). A subclass rather than a ToString CodeMethod in the types
    /// file: PowerShell invokes a CodeMethod at about 100 µs a call, which made Export-Csv of 100,000 cases take
    /// minutes.
    /// </summary>
    public sealed class CCText : PSObject
    {
        public CCText(object value) : base(value) { }
        public override string ToString() => CCObjectAdapter.Text(BaseObject);
    }

    /// <summary>A case's indices as one line of text and back: "parent:household:&lt;case id&gt;;host:site:&lt;id&gt;:extension"
    /// (identifier, case type of the case pointed to, its id, and the relationship when it is not child).</summary>
    public static class CaseIndexText
    {
        public static string Format(IEnumerable<CCCaseIndex> indices)
        {
            var sb = new StringBuilder();
            foreach (var ix in indices)
            {
                if (sb.Length > 0) sb.Append(';');
                sb.Append(ix.Identifier).Append(':').Append(ix.CaseType).Append(':').Append(ix.CaseId);
                if (!string.IsNullOrEmpty(ix.Relationship) && ix.Relationship != "child") sb.Append(':').Append(ix.Relationship);
            }
            return sb.ToString();
        }

        /// <summary>Parses the text form into -Index's hashtable shape; an error names the bad part.</summary>
        public static Hashtable Parse(string text)
        {
            var table = new Hashtable(StringComparer.OrdinalIgnoreCase);
            foreach (var raw in text.Split(new[] { ';' }, StringSplitOptions.RemoveEmptyEntries))
            {
                var part = raw.Trim();
                if (part.Length == 0) continue;
                var f = part.Split(':');
                if (f.Length < 3 || f.Length > 4 || f[0].Trim().Length == 0)
                    throw new ArgumentException($"'{part}' is not an index: write identifier:case_type:case_id (for example parent:household:0a1b…), with :extension at the end for an extension index.");
                var ix = new Hashtable(StringComparer.OrdinalIgnoreCase) { ["case_type"] = f[1].Trim(), ["case_id"] = f[2].Trim() };
                if (f.Length == 4) ix["relationship"] = f[3].Trim();
                // An index with no case id removes it, as -Index @{ parent = '' } does.
                table[f[0].Trim()] = f[2].Trim().Length == 0 ? (object)"" : ix;
            }
            return table;
        }
    }
}
