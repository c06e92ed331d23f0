using System;
using System.Collections;
using System.Collections.Generic;
using CommCare.Models;

namespace CommCare.Client.Paging
{
    /// <summary>Gives each record of a page the keys its open-ended field has across the page (CCColumnKeys).</summary>
    internal static class ColumnKeyPages
    {
        public static IReadOnlyList<T> Wrap<T>(IReadOnlyList<T> items)
        {
            if (items.Count < 2) return items;
            Func<object, IDictionary?>? field = Field(typeof(T));
            if (field == null) return items;
            var keys = new CCColumnKeys(() =>
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                var order = new List<string>();
                // For a lazy page this parses each record again: only done when a table is being made.
                for (int i = 0; i < items.Count; i++)
                    if (field(items[i]!) is IDictionary d)
                        foreach (DictionaryEntry e in d)
                        {
                            var k = e.Key?.ToString();
                            if (k != null && seen.Add(k)) order.Add(k);
                        }
                return order;
            });
            return new Keyed<T>(items, keys);
        }

        private static Func<object, IDictionary?>? Field(Type t)
        {
            if (t == typeof(CCCase)) return o => (IDictionary)((CCCase)o).Properties;
            if (t == typeof(CCMobileWorker)) return o => (IDictionary)((CCMobileWorker)o).UserData;
            if (t == typeof(CCWebUser)) return o => (IDictionary)((CCWebUser)o).UserData;
            if (t == typeof(CCGroup)) return o => (IDictionary)((CCGroup)o).Metadata;
            if (t == typeof(CCLocation)) return o => (IDictionary)((CCLocation)o).LocationData;
            return null;
        }

        private static void Set(object record, CCColumnKeys keys)
        {
            switch (record)
            {
                case CCCase c: c.ColumnKeys = keys; break;
                case CCMobileWorker w: w.ColumnKeys = keys; break;
                case CCWebUser u: u.ColumnKeys = keys; break;
                case CCGroup g: g.ColumnKeys = keys; break;
                case CCLocation l: l.ColumnKeys = keys; break;
            }
        }

        private sealed class Keyed<T> : IReadOnlyList<T>
        {
            private readonly IReadOnlyList<T> _inner;
            private readonly CCColumnKeys _keys;
            public Keyed(IReadOnlyList<T> inner, CCColumnKeys keys) { _inner = inner; _keys = keys; }
            public int Count => _inner.Count;
            public T this[int index] { get { var item = _inner[index]; if (item != null) Set(item, _keys); return item; } }
            public IEnumerator<T> GetEnumerator() { for (int i = 0; i < Count; i++) yield return this[i]; }
            IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
        }
    }
}
