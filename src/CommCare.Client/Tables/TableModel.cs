using System;
using System.Collections.Generic;

namespace CommCare.Client.Tables
{
    /// <summary>What a column holds: typed for the known metadata, text for answers and properties.</summary>
    public enum ColumnKind { Text, Timestamp, Boolean, Integer }

    public sealed class TableColumn
    {
        public TableColumn(string name, ColumnKind kind) { Name = name; Kind = kind; }
        /// <summary>The column's name as CommCare HQ's own export names it (docs/flat-tables.md).</summary>
        public string Name { get; }
        public ColumnKind Kind { get; }
        /// <summary>Not in the application structure: found in the data (an old build, a case block).</summary>
        public bool Discovered { get; internal set; }
        public override string ToString() => Name;
    }

    /// <summary>
    /// One table of an export: a form type or case type (a main table), or a repeat group of a form (a child
    /// table whose rows carry the form's id and HQ's dotted row number). Columns only grow: a column index,
    /// once given, stays the column's place for the whole export.
    /// </summary>
    public sealed class TableDef
    {
        private readonly List<TableColumn> _columns = new List<TableColumn>();
        private readonly Dictionary<string, int> _index = new Dictionary<string, int>(StringComparer.Ordinal);
        private readonly List<TableDef> _children = new List<TableDef>();

        internal TableDef(string name, TableDef? parent, string path, string keyColumn)
        {
            Name = name; Parent = parent; Path = path; KeyColumn = keyColumn;
            parent?._children.Add(this);
        }

        /// <summary>The table's name: the form's or case type's name, and for a repeat "{form}.{repeat path}".</summary>
        public string Name { get; }
        /// <summary>The main table a repeat table belongs to (null for a main table).</summary>
        public TableDef? Parent { get; }
        /// <summary>The repeat's path in HQ's column form ("form.members.visits"); "" for a main table.</summary>
        public string Path { get; }
        /// <summary>The record's id column every row carries: "formid" or "caseid".</summary>
        public string KeyColumn { get; }
        /// <summary>For a form type: its xmlns; for a case type: the type.</summary>
        public string? Source { get; internal set; }
        public IReadOnlyList<TableColumn> Columns => _columns;
        public IReadOnlyList<TableDef> Children => _children;
        /// <summary>Rows written so far in this export (main tables: also the next row number).</summary>
        public long RowCount { get; internal set; }

        public int IndexOf(string column) => _index.TryGetValue(column, out int i) ? i : -1;

        /// <summary>The column's index, adding it (at the end) when the table does not have it yet.</summary>
        public int Column(string name, ColumnKind kind = ColumnKind.Text, bool discovered = false)
        {
            if (_index.TryGetValue(name, out int i)) return i;
            i = _columns.Count;
            _columns.Add(new TableColumn(name, kind) { Discovered = discovered });
            _index[name] = i;
            return i;
        }

        /// <summary>This table and its repeat tables, parents before children.</summary>
        public IEnumerable<TableDef> SelfAndDescendants()
        {
            yield return this;
            foreach (var c in _children) foreach (var d in c.SelfAndDescendants()) yield return d;
        }

        public override string ToString() => Name;
    }

    /// <summary>A row being filled: values by column index (the array grows with the table).</summary>
    public sealed class TableRow
    {
        internal TableRow(TableDef table, string number) { Table = table; Number = number; Values = new object?[Math.Max(4, table.Columns.Count)]; }
        public TableDef Table { get; }
        /// <summary>HQ's row number: "3" for the fourth form, "3.0" for its first repeat entry, "3.0.1" nested.</summary>
        public string Number { get; }
        public object?[] Values { get; private set; }

        public void Set(int column, object? value)
        {
            if (column >= Values.Length)
            {
                var bigger = new object?[Math.Max(column + 1, Values.Length * 2)];
                Array.Copy(Values, bigger, Values.Length);
                Values = bigger;
            }
            Values[column] = value;
        }

        public object? Get(int column) => column < Values.Length ? Values[column] : null;
    }

    /// <summary>One form or case flattened: its main row and its repeat rows (in document order).</summary>
    public sealed class TableRecord
    {
        internal TableRecord(string id, DateTime? indexedOn, TableRow main) { Id = id; IndexedOn = indexedOn; Main = main; }
        public string Id { get; }
        public DateTime? IndexedOn { get; }
        public TableRow Main { get; }
        public List<TableRow> Children { get; } = new List<TableRow>();
    }
}
