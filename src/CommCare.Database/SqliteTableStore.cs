using CommCare.Models;
using Microsoft.Data.Sqlite;
using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Linq;
using System.Text;

namespace CommCare.Database
{
    /// <summary>
    /// SQLite through Microsoft.Data.Sqlite (native e_sqlite3 shipped with the module): a file, nothing to
    /// install. Rows go in as multi-row INSERT … ON CONFLICT statements, prepared once per table and
    /// reused, one transaction per batch. WAL journal: readers (a BI tool) never block the export.
    /// </summary>
    public sealed class SqliteTableStore : TableStore
    {
        // SQLite allows 32,766 parameters a statement; 200 rows keeps statements short and prepared once.
        private const int MaxRowsPerStatement = 200;
        private const int MaxParameters = 30000;
        private readonly Dictionary<string, (int Rows, SqliteCommand Command)> _upserts = new Dictionary<string, (int, SqliteCommand)>();

        public SqliteTableStore(string connectionString, Func<string, string>? resolvePath = null) : base(connectionString)
        {
            Start(() =>
            {
                var builder = new SqliteConnectionStringBuilder(connectionString);
                if (resolvePath != null && builder.Mode != SqliteOpenMode.Memory && !string.IsNullOrEmpty(builder.DataSource)
                    && builder.DataSource != ":memory:" && !System.IO.Path.IsPathRooted(builder.DataSource))
                {
                    builder.DataSource = resolvePath(builder.DataSource);
                    connectionString = builder.ConnectionString;
                }
                // A missing file is created; a missing folder is the user's mistake, said as such.
                if (builder.Mode != SqliteOpenMode.Memory && !string.IsNullOrEmpty(builder.DataSource) && builder.DataSource != ":memory:")
                {
                    string? dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(builder.DataSource));
                    if (dir != null && !System.IO.Directory.Exists(dir))
                        throw Error(CCErrorKind.InvalidArgument, $"the folder '{dir}' does not exist.");
                }
                var c = new SqliteConnection(connectionString);
                c.Open();
                using (var cmd = c.CreateCommand())
                {
                    cmd.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;";
                    cmd.ExecuteNonQuery();
                }
                return c;
            });
        }

        public override string Provider => "Sqlite";
        protected override string Describe => "SQLite";

        protected override string TypeName(ColumnKind kind)
        {
            switch (kind)
            {
                case ColumnKind.Timestamp: return "TIMESTAMP";
                case ColumnKind.Boolean: return "BOOLEAN";
                case ColumnKind.Integer: return "INTEGER";
                case ColumnKind.Number: return "REAL";
                default: return "TEXT";
            }
        }

        protected override ColumnKind? KindOf(string declaredType)
        {
            string t = declaredType.ToUpperInvariant();
            // SQLite's own affinity rules (datatype3.html §3.1), with the date and boolean names ours use first.
            if (t.Contains("TIMESTAMP") || t.Contains("DATE") || t.Contains("TIME")) return ColumnKind.Timestamp;
            if (t.Contains("BOOL")) return ColumnKind.Boolean;
            if (t.Contains("INT")) return ColumnKind.Integer;
            if (t.Contains("CHAR") || t.Contains("CLOB") || t.Contains("TEXT")) return ColumnKind.Text;
            if (t.Contains("REAL") || t.Contains("FLOA") || t.Contains("DOUB")) return ColumnKind.Number;
            return null;
        }

        protected override (Dictionary<string, string> Columns, List<string> Key)? ReadTable(string physical)
        {
            var columns = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var key = new List<(int, string)>();
            using (var cmd = Command("SELECT name, type, pk FROM pragma_table_info(@t)"))
            {
                AddParameter(cmd, "@t", physical);
                using var r = cmd.ExecuteReader();
                while (r.Read())
                {
                    columns[r.GetString(0)] = r.GetString(1);
                    if (r.GetInt32(2) > 0) key.Add((r.GetInt32(2), r.GetString(0)));
                }
            }
            if (columns.Count == 0) return null;
            return (columns, key.OrderBy(k => k.Item1).Select(k => k.Item2).ToList());
        }

        protected override void TableChanged(string table)
        {
            foreach (var k in _upserts.Keys.Where(k => k.StartsWith(table + "\u001f", StringComparison.Ordinal)).ToList())
            {
                _upserts[k].Command.Dispose();
                _upserts.Remove(k);
            }
        }

        protected override void WriteRows(DbTransaction tx, Ensured table, ICollection<object?[]> rows, ICollection<string>? replaceSets)
        {
            var t = table.Table;
            if (replaceSets != null && replaceSets.Count > 0)
            {
                var ids = replaceSets.ToList();
                for (int start = 0; start < ids.Count; start += 500)
                {
                    int n = Math.Min(500, ids.Count - start);
                    using var del = Command($"DELETE FROM {Q(table.Physical)} WHERE {Q(table.Columns[t.IndexOf(t.SetKey!)])} IN ({string.Join(",", Enumerable.Range(0, n).Select(i => "@s" + i))})", tx);
                    for (int i = 0; i < n; i++) AddParameter(del, "@s" + i, ids[start + i]);
                    del.ExecuteNonQuery();
                }
            }
            if (rows.Count == 0) return;
            int width = t.Columns.Count;
            int perStatement = Math.Max(1, Math.Min(MaxRowsPerStatement, MaxParameters / width));
            var pending = new List<object?[]>(perStatement);
            foreach (var row in rows)
            {
                pending.Add(row);
                if (pending.Count == perStatement) { Run(tx, table, pending); pending.Clear(); }
            }
            if (pending.Count > 0) Run(tx, table, pending);
        }

        private void Run(DbTransaction tx, Ensured table, List<object?[]> rows)
        {
            var cmd = Upsert(table, rows.Count);
            cmd.Transaction = (SqliteTransaction)tx;
            var t = table.Table;
            int p = 0;
            foreach (var row in rows)
                for (int c = 0; c < row.Length; c++)
                    cmd.Parameters[p++].Value = Value(t.Columns[c].Kind, row[c]) ?? DBNull.Value;
            cmd.ExecuteNonQuery();
        }

        private SqliteCommand Upsert(Ensured table, int rowCount)
        {
            string cacheKey = table.Table.Name + "\u001f" + rowCount;
            if (_upserts.TryGetValue(cacheKey, out var cached)) return cached.Command;
            var sb = new StringBuilder();
            sb.Append("INSERT INTO ").Append(Q(table.Physical)).Append(" (").Append(string.Join(", ", table.Columns.Select(Q))).Append(") VALUES ");
            var cmd = (SqliteCommand)Db.CreateCommand();
            int p = 0;
            for (int r = 0; r < rowCount; r++)
            {
                if (r > 0) sb.Append(',');
                sb.Append('(');
                for (int c = 0; c < table.Columns.Length; c++)
                {
                    if (c > 0) sb.Append(',');
                    string name = "@p" + p++;
                    sb.Append(name);
                    cmd.Parameters.Add(new SqliteParameter { ParameterName = name });
                }
                sb.Append(')');
            }
            sb.Append(UpsertTail(table));
            cmd.CommandText = sb.ToString();
            cmd.CommandTimeout = 0;
            _upserts[cacheKey] = (rowCount, cmd);
            return cmd;
        }

        protected override object? Value(ColumnKind kind, object? value)
        {
            var v = base.Value(kind, value);
            // SQLite has no date type: ISO 8601 text, which sorts and which its date functions read.
            return v is DateTime d ? FormatInstant(d) : v;
        }

        protected override CCApiException Fail(Exception ex, string? doing)
        {
            if (ex is CCApiException cc) return cc;
            string what = doing == null ? "" : doing + ": ";
            if (ex is SqliteException se)
            {
                switch (se.SqliteErrorCode)
                {
                    case 14: return Error(CCErrorKind.InvalidArgument, what + "the file cannot be opened or created (" + se.Message + ").");
                    case 8:
                    case 23: return Error(CCErrorKind.Permission, what + "no permission to write (" + se.Message + ").");
                    case 26: return Error(CCErrorKind.InvalidArgument, what + "the file is not a SQLite database (" + se.Message + ").");
                    case 5:
                    case 6: return Error(CCErrorKind.Server, what + "the database is locked by another program (" + se.Message + ").");
                }
                return Error(CCErrorKind.Server, what + se.Message);
            }
            if (ex is ArgumentException || ex is FormatException) return Error(CCErrorKind.InvalidArgument, what + ex.Message);
            return Error(CCErrorKind.Server, what + ex.Message);
        }

        public override void Dispose()
        {
            foreach (var c in _upserts.Values) c.Command.Dispose();
            _upserts.Clear();
            base.Dispose();
        }
    }
}
