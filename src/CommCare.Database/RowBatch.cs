using System;
using System.Collections.Generic;

namespace CommCare.Database
{
    /// <summary>
    /// The rows of one page of records, written in one transaction together with the walk position they
    /// reach. Rows are object arrays in the table's column order (null = no value). A key seen twice in a
    /// batch keeps its last row (the later record wins, and PostgreSQL's upsert refuses a key twice).
    /// </summary>
    public sealed class RowBatch
    {
        internal readonly Dictionary<string, TableRows> Tables = new Dictionary<string, TableRows>(StringComparer.Ordinal);

        public int RowCount { get; private set; }

        /// <summary>Inserts or replaces one row of a main table, by its key.</summary>
        public void Upsert(DbTable table, object?[] row)
        {
            if (table.SetKey != null) throw new InvalidOperationException($"'{table.Name}' is a child table: use ReplaceSet.");
            var t = For(table);
            var key = KeyOf(table, row);
            if (!t.ByKey.ContainsKey(key)) RowCount++;
            t.ByKey[key] = row;
        }

        /// <summary>Replaces every row of a child table that belongs to <paramref name="parentId"/> (rows may be empty).</summary>
        public void ReplaceSet(DbTable table, string parentId, IEnumerable<object?[]> rows)
        {
            if (table.SetKey == null) throw new InvalidOperationException($"'{table.Name}' is a main table: use Upsert.");
            var t = For(table);
            int setIndex = table.IndexOf(table.SetKey);
            // A second copy of the same parent in one batch replaces the first one's rows.
            // Rows only enter a child table through here, so a first sight of the parent has none to drop.
            if (!t.Sets.Add(parentId))
            {
                var stale = new List<string>();
                foreach (var kv in t.ByKey) if (Equals(kv.Value[setIndex]?.ToString(), parentId)) stale.Add(kv.Key);
                foreach (var k in stale) { t.ByKey.Remove(k); RowCount--; }
            }
            foreach (var row in rows)
            {
                if (row.Length != table.Columns.Count) throw new ArgumentException($"'{table.Name}' has {table.Columns.Count} columns; a row has {row.Length} values.");
                row[setIndex] = parentId;
                var key = KeyOf(table, row);
                if (!t.ByKey.ContainsKey(key)) RowCount++;
                t.ByKey[key] = row;
            }
        }

        private TableRows For(DbTable table)
        {
            if (!Tables.TryGetValue(table.Name, out var t)) Tables[table.Name] = t = new TableRows(table);
            else if (!ReferenceEquals(t.Table, table) && t.Table.Columns.Count != table.Columns.Count)
                throw new InvalidOperationException($"Table '{table.Name}' was given with two different column lists in one batch.");
            return t;
        }

        private static string KeyOf(DbTable table, object?[] row)
        {
            if (row.Length != table.Columns.Count) throw new ArgumentException($"'{table.Name}' has {table.Columns.Count} columns; a row has {row.Length} values.");
            if (table.KeyColumns.Count == 1) return Convert.ToString(row[table.IndexOf(table.KeyColumns[0])], System.Globalization.CultureInfo.InvariantCulture) ?? "";
            var parts = new string[table.KeyColumns.Count];
            for (int i = 0; i < parts.Length; i++)
                parts[i] = Convert.ToString(row[table.IndexOf(table.KeyColumns[i])], System.Globalization.CultureInfo.InvariantCulture) ?? "";
            return string.Join("\u001f", parts);
        }

        internal sealed class TableRows
        {
            public TableRows(DbTable table) { Table = table; }
            public readonly DbTable Table;
            public readonly Dictionary<string, object?[]> ByKey = new Dictionary<string, object?[]>(StringComparer.Ordinal);
            /// <summary>Child tables: the parent ids whose old rows are deleted before the new ones go in.</summary>
            public readonly HashSet<string> Sets = new HashSet<string>(StringComparer.Ordinal);
        }
    }
}
