using CommCare.Models;
using Microsoft.Data.Sqlite;
using SQLitePCL;
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
        // SQLite takes 32,766 parameters a statement; a few hundred rows' worth keeps statements short.
        private const int MaxRowsPerStatement = 100;
        private const int MaxParameters = 2000;
        private readonly Dictionary<string, sqlite3_stmt> _upserts = new Dictionary<string, sqlite3_stmt>();

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
                _upserts[k].Dispose();
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
                if (pending.Count == perStatement) { Run(table, pending); pending.Clear(); }
            }
            if (pending.Count > 0) Run(table, pending);
        }

        // Rows are bound by position straight through SQLitePCLRaw (on the connection's own handle, so inside
        // the batch's transaction): Microsoft.Data.Sqlite binds by name, and SQLite finds a name by scanning the
        // statement's parameters, which made a many-row statement cost the square of its size.
        private void Run(Ensured table, List<object?[]> rows)
        {
            var stmt = Upsert(table, rows.Count);
            var t = table.Table;
            int p = 1;
            foreach (var row in rows)
                for (int c = 0; c < row.Length; c++, p++)
                {
                    int rc;
                    switch (Value(t.Columns[c].Kind, row[c]))
                    {
                        case null: rc = raw.sqlite3_bind_null(stmt, p); break;
                        case string s: rc = raw.sqlite3_bind_text(stmt, p, s); break;
                        case long l: rc = raw.sqlite3_bind_int64(stmt, p, l); break;
                        case bool b: rc = raw.sqlite3_bind_int(stmt, p, b ? 1 : 0); break;
                        case double d: rc = raw.sqlite3_bind_double(stmt, p, d); break;
                        case object o: rc = raw.sqlite3_bind_text(stmt, p, Convert.ToString(o, System.Globalization.CultureInfo.InvariantCulture)); break;
                    }
                    Check(rc);
                }
            int step = raw.sqlite3_step(stmt);
            raw.sqlite3_reset(stmt);
            if (step != raw.SQLITE_DONE) Check(step);
        }

        private void Check(int rc)
        {
            if (rc == raw.SQLITE_OK || rc == raw.SQLITE_DONE || rc == raw.SQLITE_ROW) return;
            var handle = ((SqliteConnection)Db).Handle!;
            throw new SqliteException(raw.sqlite3_errmsg(handle).utf8_to_string(), rc, raw.sqlite3_extended_errcode(handle));
        }

        private sqlite3_stmt Upsert(Ensured table, int rowCount)
        {
            string cacheKey = table.Table.Name + "\u001f" + rowCount;
            if (_upserts.TryGetValue(cacheKey, out var cached)) return cached;
            var sb = new StringBuilder();
            sb.Append("INSERT INTO ").Append(Q(table.Physical)).Append(" (").Append(string.Join(", ", table.Columns.Select(Q))).Append(") VALUES ");
            string one = "(" + string.Join(",", Enumerable.Repeat("?", table.Columns.Length)) + ")";
            for (int r = 0; r < rowCount; r++) sb.Append(r > 0 ? "," : "").Append(one);
            sb.Append(UpsertTail(table));
            Check(raw.sqlite3_prepare_v2(((SqliteConnection)Db).Handle!, sb.ToString(), out sqlite3_stmt stmt));
            _upserts[cacheKey] = stmt;
            return stmt;
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
            foreach (var c in _upserts.Values) c.Dispose();
            _upserts.Clear();
            base.Dispose();
        }
    }
}
