using System;
using System.Collections.Generic;
using System.Linq;

namespace CommCare.Database
{
    /// <summary>How a column is stored: typed for the known metadata, text for answers.</summary>
    public enum ColumnKind { Text, Timestamp, Boolean, Integer, Number }

    /// <summary>One column of a table: its export name (HQ's) and kind.</summary>
    public sealed class DbColumn
    {
        public DbColumn(string name, ColumnKind kind = ColumnKind.Text)
        {
            if (string.IsNullOrEmpty(name)) throw new ArgumentException("A column needs a name.", nameof(name));
            Name = name;
            Kind = kind;
        }

        public string Name { get; }
        public ColumnKind Kind { get; }
        public override string ToString() => $"{Name} ({Kind})";
    }

    /// <summary>
    /// A table as the export wants it. A main table (forms of one type, cases of one type) is keyed by
    /// the record id and upserted row by row. A child table (a repeat group) is replaced as a set per
    /// parent id (<see cref="SetKey"/>): an edited form brings all its repeat rows again, so the old ones
    /// must go even when the new form has fewer.
    /// </summary>
    public sealed class DbTable
    {
        public DbTable(string name, IEnumerable<DbColumn> columns, IEnumerable<string> keyColumns, string? setKey = null)
        {
            if (string.IsNullOrEmpty(name)) throw new ArgumentException("A table needs a name.", nameof(name));
            Name = name;
            Columns = columns.ToList();
            KeyColumns = keyColumns.ToList();
            SetKey = setKey;
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var c in Columns)
                if (!seen.Add(c.Name)) throw new ArgumentException($"Table '{name}' names column '{c.Name}' twice (names are compared without case, as the databases do).");
            if (KeyColumns.Count == 0) throw new ArgumentException($"Table '{name}' needs at least one key column.");
            foreach (var k in KeyColumns.Concat(setKey == null ? Enumerable.Empty<string>() : new[] { setKey }))
                if (!seen.Contains(k)) throw new ArgumentException($"Table '{name}': key column '{k}' is not one of its columns.");
        }

        public string Name { get; }
        public IReadOnlyList<DbColumn> Columns { get; }
        public IReadOnlyList<string> KeyColumns { get; }
        /// <summary>Child tables: the parent id column whose rows are replaced together (null for a main table).</summary>
        public string? SetKey { get; }

        public int IndexOf(string column)
        {
            for (int i = 0; i < Columns.Count; i++)
                if (string.Equals(Columns[i].Name, column, StringComparison.OrdinalIgnoreCase)) return i;
            return -1;
        }
    }
}
