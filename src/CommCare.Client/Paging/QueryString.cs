using CommCare.Models;
using System;
using System.Collections.Generic;
using System.Text;

namespace CommCare.Client.Paging
{
    /// <summary>Ordered query parameters; every name and value is percent-encoded, so an id or filter
    /// value can never change the path or add parameters.</summary>
    public sealed class QueryString
    {
        private readonly List<KeyValuePair<string, string>> _items = new List<KeyValuePair<string, string>>();

        public QueryString Add(string name, string? value)
        {
            if (value != null) _items.Add(new KeyValuePair<string, string>(name, value));
            return this;
        }

        public QueryString Set(string name, string? value)
        {
            _items.RemoveAll(kv => kv.Key == name);
            return Add(name, value);
        }

        public QueryString Clone()
        {
            var q = new QueryString();
            q._items.AddRange(_items);
            return q;
        }

        public IReadOnlyList<KeyValuePair<string, string>> Items => _items;

        public override string ToString()
        {
            var sb = new StringBuilder();
            foreach (var kv in _items)
            {
                sb.Append(sb.Length == 0 ? '?' : '&');
                sb.Append(Uri.EscapeDataString(kv.Key)).Append('=').Append(Uri.EscapeDataString(kv.Value));
            }
            return sb.ToString();
        }

        /// <summary>Escapes one path segment (an id): '/', '?', '#' and '..' cannot escape the route.</summary>
        public static string Segment(string value)
        {
            // A CommCare error (not a raw ArgumentException), so cmdlets report it for that item and carry on.
            if (string.IsNullOrEmpty(value) || value == "." || value == "..")
                throw new CommCare.Models.CCApiException(CommCare.Models.CCErrorKind.InvalidArgument, $"'{value}' is not a valid id or name: an empty one, '.' or '..' would change the request's path.");
            return Uri.EscapeDataString(value);
        }
    }
}
