using CommCare.Models;
using System;
using System.Collections.Generic;
using System.Globalization;

namespace CommCare.Client.Tables
{
    /// <summary>
    /// Cases as HQ's case export lays them out (docs/flat-tables.md): one table per case type with "number",
    /// "caseid", "name", the type's properties from the application structure (every module of every app that
    /// uses the type), HQ's system columns, then "indices.{identifier}" and properties no app lists.
    /// </summary>
    public sealed class CaseTables
    {
        internal const string CaseId = "caseid";
        // HQ's labels (corehq/apps/export/system_properties.py, MAIN_CASE_TABLE_PROPERTIES) for what the Case API gives.
        private static readonly (string Name, ColumnKind Kind)[] SystemColumns =
        {
            ("case_type", ColumnKind.Text), ("closed", ColumnKind.Boolean), ("closed_by_user_id", ColumnKind.Text), ("closed_date", ColumnKind.Timestamp),
            ("external_id", ColumnKind.Text), ("last_modified_by_user_id", ColumnKind.Text), ("last_modified_date", ColumnKind.Timestamp),
            ("opened_by_user_id", ColumnKind.Text), ("opened_date", ColumnKind.Timestamp), ("owner_id", ColumnKind.Text),
            ("server_last_modified_date", ColumnKind.Timestamp),
        };
        // Properties the Case API repeats from the fields above: not columns of their own.
        private static readonly HashSet<string> Duplicates = new HashSet<string>(StringComparer.Ordinal)
        { "case_name", "case_type", "date_opened", "external_id", "owner_id", "name", "closed", "caseid", "number" };

        private readonly Dictionary<string, (TableDef Table, int[] System)> _byType = new Dictionary<string, (TableDef, int[])>(StringComparer.Ordinal);
        private readonly Dictionary<string, List<string>> _structure = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        private readonly List<TableDef> _tables = new List<TableDef>();

        public IReadOnlyList<TableDef> Tables => _tables;

        /// <summary>Whether a column of a case export describes the case rather than holding one of its properties
        /// (HQ's system columns, "number", "indices.X"): a row read back from the file must not write it as one.</summary>
        public static bool IsSystemColumn(string column)
        {
            if (column == FormTables.Number || column == CaseId || column.StartsWith("indices.", StringComparison.Ordinal)) return true;
            foreach (var c in SystemColumns) if (c.Name == column) return true;
            return false;
        }

        /// <summary>Tables for the case types of these applications (only <paramref name="onlyTypes"/> when given).</summary>
        public static CaseTables FromApplications(IEnumerable<CCApplication> apps, ICollection<string>? onlyTypes = null)
        {
            var t = new CaseTables();
            foreach (var app in apps)
                foreach (var m in app.Modules)
                {
                    if (string.IsNullOrEmpty(m.CaseType) || (onlyTypes != null && !onlyTypes.Contains(m.CaseType!))) continue;
                    if (!t._structure.TryGetValue(m.CaseType!, out var props)) t._structure[m.CaseType!] = props = new List<string>();
                    foreach (var p in m.CaseProperties) if (!props.Contains(p)) props.Add(p);
                }
            foreach (var type in t._structure.Keys) t.TableFor(type);
            return t;
        }

        /// <summary>Adds a table for a case type no application lists (so it has its header even with no case).</summary>
        public void Expect(string caseType) => TableFor(caseType);

        private (TableDef Table, int[] System) TableFor(string type)
        {
            if (_byType.TryGetValue(type, out var e)) return e;
            var table = new TableDef(type.Length == 0 ? "(no type)" : type, null, "", CaseId) { Source = type };
            table.Column(FormTables.Number, ColumnKind.Integer);
            table.Column(CaseId);
            table.Column("name");
            if (_structure.TryGetValue(type, out var props))
                foreach (var p in props) if (!Duplicates.Contains(p)) table.Column(p);
            var idx = new int[SystemColumns.Length];
            for (int i = 0; i < SystemColumns.Length; i++) idx[i] = table.Column(SystemColumns[i].Name, SystemColumns[i].Kind);
            e = (table, idx);
            _byType[type] = e;
            _tables.Add(table);
            return e;
        }

        public TableRecord Flatten(CCCase c)
        {
            var (table, s) = TableFor(c.CaseType ?? "");
            var row = new TableRow(table, table.RowCount.ToString(CultureInfo.InvariantCulture));
            row.Set(0, table.RowCount);
            table.RowCount++;
            row.Set(1, c.Id);
            row.Set(2, c.Name);
            row.Set(s[0], c.CaseType);
            row.Set(s[1], c.Closed);
            row.Set(s[2], c.ClosedBy);
            row.Set(s[3], c.DateClosed);
            row.Set(s[4], c.ExternalId);
            row.Set(s[5], c.UserId);
            row.Set(s[6], c.DateModified);
            row.Set(s[7], c.OpenedBy);
            row.Set(s[8], c.DateOpened);
            row.Set(s[9], c.OwnerId);
            row.Set(s[10], c.ServerDateModified);
            foreach (var kv in c.Indices)
                row.Set(table.Column("indices." + kv.Key, ColumnKind.Text, discovered: true), kv.Value.CaseId);
            foreach (var kv in c.Properties)
            {
                if (Duplicates.Contains(kv.Key)) continue;
                int col = table.IndexOf(kv.Key);
                if (col < 0) col = table.Column(kv.Key, ColumnKind.Text, discovered: true);
                row.Set(col, Text(kv.Value));
            }
            return new TableRecord(c.Id, c.IndexedOn, row);
        }

        private static string? Text(object? v)
        {
            switch (v)
            {
                case null: return null;
                case string s: return s;
                case bool b: return b ? "true" : "false";
                case IFormattable f: return f.ToString(null, CultureInfo.InvariantCulture);
                default: return System.Text.Json.JsonSerializer.Serialize(v, typeof(object));
            }
        }
    }
}
