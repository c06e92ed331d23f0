using CommCare.Models;
using System;
using System.Collections.Generic;
using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Linq;
using System.Text;

namespace CommCare.Database
{
    /// <summary>
    /// What both providers share: table bookkeeping, the state table, full rebuilds and value conversion.
    /// A provider supplies its dialect (types, quoting, reading a table's columns) and its fastest way to
    /// upsert a batch (multi-row statements in SQLite, COPY + one upsert in PostgreSQL).
    /// </summary>
    public abstract class TableStore : ITableStore
    {
        /// <summary>The table holding each query's walk position.</summary>
        public const string StateTable = "commcare_export_state";
        private const string BuildingSuffix = "__rebuild";
        private const string BuildingState = "rebuild\u001f";

        private readonly Dictionary<string, Ensured> _ensured = new Dictionary<string, Ensured>(StringComparer.Ordinal);
        private readonly string? _password;
        private bool _full;

        protected TableStore(string connectionString)
        {
            Connection = ConnectionText.Masked(connectionString);
            _password = ConnectionText.Password(connectionString);
        }

        public abstract string Provider { get; }
        public string Connection { get; }
        protected abstract string Describe { get; }
        protected DbConnection Db { get; set; } = null!;

        /// <summary>Opens the connection and checks that tables can be created and written; one clear error otherwise.</summary>
        protected void Start(Func<DbConnection> open)
        {
            try
            {
                Db = open();
                CheckPermissions();
                using var cmd = Command($"CREATE TABLE IF NOT EXISTS {Q(StateTable)} ({Q("query")} {TypeName(ColumnKind.Text)} NOT NULL PRIMARY KEY, " +
                                        $"{Q("position")} {TypeName(ColumnKind.Text)} NOT NULL, {Q("updated_at")} {TypeName(ColumnKind.Timestamp)})");
                cmd.ExecuteNonQuery();
            }
            catch (Exception ex) when (!(ex is CCApiException))
            {
                Db?.Dispose();
                throw Fail(ex, null);
            }
        }

        /// <summary>Missing rights found before anything is written (and before any CommCare request).</summary>
        protected virtual void CheckPermissions() { }

        // ---- dialect ----
        protected abstract string TypeName(ColumnKind kind);
        /// <summary>The kind an existing column's declared type stores, or null when it is none of ours.</summary>
        protected abstract ColumnKind? KindOf(string declaredType);
        /// <summary>Existing columns (name → declared type) and primary-key columns, or null when the table does not exist.</summary>
        protected abstract (Dictionary<string, string> Columns, List<string> Key)? ReadTable(string physical);
        /// <summary>The name the database keeps (PostgreSQL cuts identifiers at 63 bytes: long names get a stable short form).</summary>
        protected virtual string Physical(string name) => name;
        protected abstract void WriteRows(DbTransaction tx, Ensured table, ICollection<object?[]> rows, ICollection<string>? replaceSets);
        /// <summary>Turns a driver's exception into one error naming the connection (password masked).</summary>
        protected abstract CCApiException Fail(Exception ex, string? doing);

        protected static string Q(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";

        protected DbCommand Command(string sql, DbTransaction? tx = null)
        {
            var cmd = Db.CreateCommand();
            cmd.CommandText = sql;
            cmd.Transaction = tx;
            cmd.CommandTimeout = 0;
            return cmd;
        }

        protected string Scrub(string message) => ConnectionText.Scrub(message, _password);

        protected CCApiException Error(CCErrorKind kind, string what)
            => new CCApiException(kind, $"{Describe} database '{Connection}': {Scrub(what)}");

        // ---- tables ----
        public void EnsureTables(IEnumerable<DbTable> tables)
        {
            foreach (var table in tables)
            {
                string physical = Physical(_full ? table.Name + BuildingSuffix : table.Name);
                try
                {
                    if (_full && !_ensured.ContainsKey(table.Name)) Execute($"DROP TABLE IF EXISTS {Q(physical)}");
                    var existing = ReadTable(physical);
                    if (existing == null) Create(table, physical);
                    else Extend(table, physical, existing.Value.Columns, existing.Value.Key);
                }
                catch (Exception ex) when (!(ex is CCApiException)) { throw Fail(ex, $"preparing table '{table.Name}'"); }
                _ensured[table.Name] = new Ensured(table, physical, table.Columns.Select(c => Physical(c.Name)).ToArray());
                TableChanged(table.Name);
            }
        }

        /// <summary>A table's columns changed: drop anything prepared for its old shape.</summary>
        protected virtual void TableChanged(string table) { }

        private void Create(DbTable table, string physical)
        {
            var sb = new StringBuilder();
            sb.Append("CREATE TABLE ").Append(Q(physical)).Append(" (");
            foreach (var c in table.Columns)
            {
                sb.Append(Q(Physical(c.Name))).Append(' ').Append(TypeName(c.Kind));
                if (table.KeyColumns.Contains(c.Name, StringComparer.OrdinalIgnoreCase)) sb.Append(" NOT NULL");
                sb.Append(", ");
            }
            sb.Append("PRIMARY KEY (").Append(string.Join(", ", table.KeyColumns.Select(k => Q(Physical(k))))).Append("))");
            Execute(sb.ToString());
            if (table.SetKey != null && !string.Equals(table.KeyColumns[0], table.SetKey, StringComparison.OrdinalIgnoreCase))
                Execute($"CREATE INDEX {Q(Physical(physical + "_set"))} ON {Q(physical)} ({Q(Physical(table.SetKey))})");
        }

        private void Extend(DbTable table, string physical, Dictionary<string, string> existing, List<string> key)
        {
            // Refuse before changing anything: a conflict found half-way must not leave columns added.
            foreach (var c in table.Columns)
            {
                if (!existing.TryGetValue(Physical(c.Name), out var declared)) continue;
                var kind = KindOf(declared);
                if (kind != c.Kind)
                    throw Error(CCErrorKind.InvalidArgument,
                        $"table '{table.Name}' already has column '{c.Name}' as {declared}, but the export stores it as {TypeName(c.Kind)}. " +
                        "The table is left as it is: rename or drop that column (or the table), or export to another database.");
            }
            var wantKey = table.KeyColumns.Select(Physical).ToList();
            if (key.Count != wantKey.Count || !wantKey.All(k => key.Contains(k, StringComparer.OrdinalIgnoreCase)))
                throw Error(CCErrorKind.InvalidArgument,
                    $"table '{table.Name}' exists with primary key ({string.Join(", ", key)}), but the export keys it by ({string.Join(", ", table.KeyColumns)}). " +
                    "The table is left as it is: drop it or export to another database.");
            foreach (var c in table.Columns)
                if (!existing.ContainsKey(Physical(c.Name)))
                    Execute($"ALTER TABLE {Q(physical)} ADD COLUMN {Q(Physical(c.Name))} {TypeName(c.Kind)}");
        }

        protected void Execute(string sql, DbTransaction? tx = null)
        {
            using var cmd = Command(sql, tx);
            cmd.ExecuteNonQuery();
        }

        // ---- positions and rows ----
        public string? ReadPosition(string query)
        {
            try
            {
                using var cmd = Command($"SELECT {Q("position")} FROM {Q(StateTable)} WHERE {Q("query")} = @q");
                AddParameter(cmd, "@q", StateKey(query));
                return cmd.ExecuteScalar() as string;
            }
            catch (Exception ex) when (!(ex is CCApiException)) { throw Fail(ex, "reading the saved position"); }
        }

        private string StateKey(string query) => _full ? BuildingState + query : query;

        public void Write(RowBatch batch, string query, string position)
        {
            try
            {
                using var tx = Db.BeginTransaction();
                foreach (var t in batch.Tables.Values)
                {
                    if (!_ensured.TryGetValue(t.Table.Name, out var ensured))
                        throw new InvalidOperationException($"Table '{t.Table.Name}' was not prepared (EnsureTables) before rows were written.");
                    if (ensured.Table.Columns.Count != t.Table.Columns.Count)
                        throw new InvalidOperationException($"Table '{t.Table.Name}' was prepared with other columns than the batch's rows have.");
                    WriteRows(tx, ensured, t.ByKey.Values, t.Table.SetKey == null ? null : t.Sets);
                }
                SavePosition(tx, StateKey(query), position);
                tx.Commit();
            }
            catch (Exception ex) when (!(ex is CCApiException)) { throw Fail(ex, "writing rows"); }
        }

        private void SavePosition(DbTransaction tx, string key, string position)
        {
            using var cmd = Command($"INSERT INTO {Q(StateTable)} ({Q("query")}, {Q("position")}, {Q("updated_at")}) VALUES (@q, @p, @u) " +
                                    $"ON CONFLICT ({Q("query")}) DO UPDATE SET {Q("position")} = excluded.{Q("position")}, {Q("updated_at")} = excluded.{Q("updated_at")}", tx);
            AddParameter(cmd, "@q", key);
            AddParameter(cmd, "@p", position);
            AddParameter(cmd, "@u", Value(ColumnKind.Timestamp, DateTime.UtcNow));
            cmd.ExecuteNonQuery();
        }

        /// <summary>" ON CONFLICT (key) DO UPDATE SET …": the row replaces the stored one, column by column.</summary>
        protected static string UpsertTail(Ensured table)
        {
            var keys = table.Table.KeyColumns.Select(k => table.Columns[table.Table.IndexOf(k)]).ToList();
            var others = table.Columns.Where(c => !keys.Contains(c, StringComparer.OrdinalIgnoreCase)).ToList();
            string conflict = " ON CONFLICT (" + string.Join(", ", keys.Select(Q)) + ")";
            return others.Count == 0 ? conflict + " DO NOTHING" : conflict + " DO UPDATE SET " + string.Join(", ", others.Select(c => Q(c) + " = excluded." + Q(c)));
        }

        protected static void AddParameter(DbCommand cmd, string name, object? value)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            cmd.Parameters.Add(p);
        }

        // ---- full rebuild ----
        public void BeginFull()
        {
            if (_ensured.Count > 0) throw new InvalidOperationException("BeginFull must come before any table is prepared.");
            _full = true;
            try { Execute($"DELETE FROM {Q(StateTable)} WHERE {Q("query")} LIKE '{BuildingState}%'"); }
            catch (Exception ex) { throw Fail(ex, "starting a full rebuild"); }
        }

        public void CompleteFull()
        {
            if (!_full) throw new InvalidOperationException("CompleteFull without BeginFull.");
            try
            {
                using var tx = Db.BeginTransaction();
                foreach (var e in _ensured.Values)
                {
                    string live = Physical(e.Table.Name);
                    Execute($"DROP TABLE IF EXISTS {Q(live)}", tx);
                    Execute($"ALTER TABLE {Q(e.Physical)} RENAME TO {Q(live)}", tx);
                }
                // The rebuilt positions replace the live ones; queries the rebuild did not walk keep theirs.
                Execute($"DELETE FROM {Q(StateTable)} WHERE {Q("query")} IN (SELECT substr({Q("query")}, {BuildingState.Length + 1}) FROM {Q(StateTable)} WHERE {Q("query")} LIKE '{BuildingState}%')", tx);
                Execute($"UPDATE {Q(StateTable)} SET {Q("query")} = substr({Q("query")}, {BuildingState.Length + 1}) WHERE {Q("query")} LIKE '{BuildingState}%'", tx);
                tx.Commit();
            }
            catch (Exception ex) when (!(ex is CCApiException)) { throw Fail(ex, "swapping the rebuilt tables in"); }
            _full = false;
            var done = _ensured.Values.ToList();
            _ensured.Clear();
            foreach (var e in done)
            {
                _ensured[e.Table.Name] = new Ensured(e.Table, Physical(e.Table.Name), e.Columns);
                TableChanged(e.Table.Name);
            }
        }

        public long CountRows(string table)
        {
            try
            {
                using var cmd = Command($"SELECT COUNT(*) FROM {Q(Physical(table))}");
                return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
            }
            catch (Exception ex) when (!(ex is CCApiException)) { throw Fail(ex, $"counting rows of '{table}'"); }
        }

        // ---- values ----
        /// <summary>A value as the provider stores it for a column kind; empty text in a typed column is null.</summary>
        protected virtual object? Value(ColumnKind kind, object? value)
        {
            if (value == null || value is DBNull) return null;
            switch (kind)
            {
                case ColumnKind.Text:
                    switch (value)
                    {
                        case string s: return s;
                        case DateTime d: return FormatInstant(d);
                        case DateTimeOffset o: return FormatInstant(o.UtcDateTime);
                        case bool b: return b ? "true" : "false";
                        case IFormattable f: return f.ToString(null, CultureInfo.InvariantCulture);
                        default: return value.ToString();
                    }
                case ColumnKind.Timestamp:
                    switch (value)
                    {
                        case DateTime d: return ToUtc(d);
                        case DateTimeOffset o: return o.UtcDateTime;
                        case string s when s.Length == 0: return null;
                        case string s when DateTime.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t): return ToUtc(t);
                    }
                    break;
                case ColumnKind.Boolean:
                    switch (value)
                    {
                        case bool b: return b;
                        case string s when s.Length == 0: return null;
                        case string s when s.Equals("true", StringComparison.OrdinalIgnoreCase) || s == "1": return true;
                        case string s when s.Equals("false", StringComparison.OrdinalIgnoreCase) || s == "0": return false;
                    }
                    break;
                case ColumnKind.Integer:
                    if (value is string si)
                    {
                        if (si.Length == 0) return null;
                        if (long.TryParse(si, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)) return l;
                    }
                    else if (value is IConvertible) return Convert.ToInt64(value, CultureInfo.InvariantCulture);
                    break;
                case ColumnKind.Number:
                    if (value is string sn)
                    {
                        if (sn.Length == 0) return null;
                        if (double.TryParse(sn, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return d;
                    }
                    else if (value is IConvertible) return Convert.ToDouble(value, CultureInfo.InvariantCulture);
                    break;
            }
            string[] names = { "text", "a timestamp", "a boolean", "an integer", "a number" };
            throw new FormatException($"'{value}' is not {names[(int)kind]}.");
        }

        private static DateTime ToUtc(DateTime d)
            => d.Kind == DateTimeKind.Utc ? d : d.Kind == DateTimeKind.Local ? d.ToUniversalTime() : DateTime.SpecifyKind(d, DateTimeKind.Utc);

        /// <summary>ISO 8601 UTC with microseconds: sorts as text, and SQLite's date functions read it.</summary>
        protected static string FormatInstant(DateTime d) => ToUtc(d).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

        public virtual void Dispose() => Db?.Dispose();

        /// <summary>A table prepared for writing: the export's definition and the names the database keeps.</summary>
        protected sealed class Ensured
        {
            public Ensured(DbTable table, string physical, string[] columns) { Table = table; Physical = physical; Columns = columns; }
            public DbTable Table { get; }
            public string Physical { get; }
            public string[] Columns { get; }
        }
    }
}
