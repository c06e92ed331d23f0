using System;
using System.Collections;
using System.Collections.Generic;

namespace CommCare.Models
{
    /// <summary>
    /// A dictionary kept as its raw JSON until a member is read (a form's body). Text made of it (Export-Csv)
    /// can use the raw JSON as it is, so writing a form to a table does not parse the body only to serialise it
    /// again. Parsing follows <see cref="LazyJson"/>: safe from several threads.
    /// </summary>
    internal sealed class LazyDictionary : IDictionary<string, object?>, IDictionary
    {
        private IDictionary<string, object?>? _value;
        private byte[]? _raw;
        private readonly Func<Func<byte[], IDictionary<string, object?>>?> _parser;

        public LazyDictionary(byte[] raw, Func<Func<byte[], IDictionary<string, object?>>?> parser) { _raw = raw; _parser = parser; }

        /// <summary>The JSON the dictionary will be parsed from; null once it has been.</summary>
        internal byte[]? Raw => System.Threading.Volatile.Read(ref _raw);

        private IDictionary<string, object?> V => LazyJson.Get(ref _value, ref _raw, _parser(), () => new Dictionary<string, object?>(StringComparer.Ordinal));
        private IDictionary N => V as IDictionary ?? new Dictionary<string, object?>(V, StringComparer.Ordinal);

        public object? this[string key] { get => V[key]; set => V[key] = value; }
        public ICollection<string> Keys => V.Keys;
        public ICollection<object?> Values => V.Values;
        public int Count => V.Count;
        public bool IsReadOnly => V.IsReadOnly;
        public void Add(string key, object? value) => V.Add(key, value);
        public void Add(KeyValuePair<string, object?> item) => V.Add(item);
        public void Clear() => V.Clear();
        public bool Contains(KeyValuePair<string, object?> item) => V.Contains(item);
        public bool ContainsKey(string key) => V.ContainsKey(key);
        public void CopyTo(KeyValuePair<string, object?>[] array, int arrayIndex) => V.CopyTo(array, arrayIndex);
        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => V.GetEnumerator();
        public bool Remove(string key) => V.Remove(key);
        public bool Remove(KeyValuePair<string, object?> item) => V.Remove(item);
        public bool TryGetValue(string key, out object? value) => V.TryGetValue(key, out value);
        IEnumerator IEnumerable.GetEnumerator() => V.GetEnumerator();

        object? IDictionary.this[object key] { get => N[key]; set => N[key] = value; }
        ICollection IDictionary.Keys => N.Keys;
        ICollection IDictionary.Values => N.Values;
        bool IDictionary.IsFixedSize => N.IsFixedSize;
        bool ICollection.IsSynchronized => false;
        object ICollection.SyncRoot => this;
        void IDictionary.Add(object key, object? value) => N.Add(key, value);
        bool IDictionary.Contains(object key) => N.Contains(key);
        IDictionaryEnumerator IDictionary.GetEnumerator() => N.GetEnumerator();
        void IDictionary.Remove(object key) => N.Remove(key);
        void ICollection.CopyTo(Array array, int index) => N.CopyTo(array, index);
    }
}
