using CommCare.Models;
using Npgsql;
using NpgsqlTypes;
using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Linq;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace CommCare.Database
{
    /// <summary>
    /// PostgreSQL through Npgsql 8 (the last for .NET Standard 2.0). A batch goes to the server with the
    /// binary COPY protocol into a temporary staging table, then one INSERT … SELECT … ON CONFLICT moves
    /// it into the table, inside the batch's transaction.
    /// </summary>
    public sealed class PostgresTableStore : TableStore
    {
        private const int MaxIdentifierBytes = 63;

        public PostgresTableStore(string connectionString) : base(connectionString)
        {
            Start(() =>
            {
                NpgsqlConnectionStringBuilder builder;
                try { builder = new NpgsqlConnectionStringBuilder(connectionString); }
                catch (ArgumentException ex) { throw Error(CCErrorKind.InvalidArgument, "the connection string is not valid: " + ex.Message); }
                // Unattended runs should fail, not hang: a short connect timeout unless one was given.
                if (!HasKey(connectionString, "Timeout")) builder.Timeout = 15;
                var c = new NpgsqlConnection(builder.ConnectionString);
                c.Open();
                return c;
            });
        }

        private static bool HasKey(string cs, string key)
        {
            try { return new DbConnectionStringBuilder { ConnectionString = cs }.ContainsKey(key); }
            catch (ArgumentException) { return false; }
        }

        public override string Provider => "PostgreSql";
        protected override string Describe => "PostgreSQL";

        protected override void CheckPermissions()
        {
            using var cmd = Command("SELECT current_schema(), current_user, has_schema_privilege(current_schema(), 'CREATE'), " +
                                    "(SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = @t)");
            AddParameter(cmd, "@t", StateTable);
            string? schema, user; bool create; long stateExists;
            using (var r = cmd.ExecuteReader())
            {
                r.Read();
                schema = r.IsDBNull(0) ? null : r.GetString(0);
                user = r.GetString(1);
                create = !r.IsDBNull(2) && r.GetBoolean(2);
                stateExists = r.GetInt64(3);
            }
            if (schema == null)
                throw Error(CCErrorKind.InvalidArgument, $"no schema of the search path exists for user '{user}' (set 'Search Path' in the connection string to a schema that exists).");
            if (!create)
                throw Error(CCErrorKind.Permission, $"user '{user}' may not create tables in schema '{schema}'. Grant it: GRANT CREATE, USAGE ON SCHEMA {schema} TO {user};");
            if (stateExists > 0)
            {
                using var check = Command("SELECT has_table_privilege(quote_ident(current_schema()) || '.' || quote_ident(@t), 'SELECT,INSERT,UPDATE,DELETE')");
                AddParameter(check, "@t", StateTable);
                if (!(check.ExecuteScalar() is bool ok && ok))
                    throw Error(CCErrorKind.Permission, $"user '{user}' may not read and write table '{StateTable}' in schema '{schema}'.");
            }
        }

        protected override string TypeName(ColumnKind kind)
        {
            switch (kind)
            {
                case ColumnKind.Timestamp: return "timestamp with time zone";
                case ColumnKind.Boolean: return "boolean";
                case ColumnKind.Integer: return "bigint";
                case ColumnKind.Number: return "double precision";
                default: return "text";
            }
        }

        protected override ColumnKind? KindOf(string declaredType)
        {
            switch (declaredType)
            {
                case "text": case "character varying": case "character": return ColumnKind.Text;
                case "timestamp with time zone": return ColumnKind.Timestamp;
                case "boolean": return ColumnKind.Boolean;
                case "bigint": case "integer": case "smallint": return ColumnKind.Integer;
                case "double precision": case "real": case "numeric": return ColumnKind.Number;
                default: return null;
            }
        }

        protected override string Physical(string name)
        {
            // PostgreSQL silently cuts identifiers at 63 bytes, which could make two long question paths one
            // column: keep the start and add a hash of the whole name, the same on every run.
            if (Encoding.UTF8.GetByteCount(name) <= MaxIdentifierBytes) return name;
            string hash;
            using (var sha = SHA256.Create())
                hash = string.Concat(sha.ComputeHash(Encoding.UTF8.GetBytes(name)).Take(4).Select(b => b.ToString("x2")));
            var sb = new StringBuilder();
            foreach (char ch in name)
            {
                if (Encoding.UTF8.GetByteCount(sb.ToString() + ch) > MaxIdentifierBytes - 9) break;
                sb.Append(ch);
            }
            return sb + "~" + hash;
        }

        protected override (Dictionary<string, string> Columns, List<string> Key)? ReadTable(string physical)
        {
            var columns = new Dictionary<string, string>(StringComparer.Ordinal);
            using (var cmd = Command("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = @t"))
            {
                AddParameter(cmd, "@t", physical);
                using var r = cmd.ExecuteReader();
                while (r.Read()) columns[r.GetString(0)] = r.GetString(1);
            }
            if (columns.Count == 0) return null;
            var key = new List<string>();
            using (var cmd = Command("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) " +
                                     "WHERE i.indisprimary AND i.indrelid = (quote_ident(current_schema()) || '.' || quote_ident(@t))::regclass"))
            {
                AddParameter(cmd, "@t", physical);
                using var r = cmd.ExecuteReader();
                while (r.Read()) key.Add(r.GetString(0));
            }
            return (columns, key);
        }

        protected override void WriteRows(DbTransaction tx, Ensured table, ICollection<object?[]> rows, ICollection<string>? replaceSets)
        {
            var t = table.Table;
            var conn = (NpgsqlConnection)Db;
            if (replaceSets != null && replaceSets.Count > 0)
            {
                using var del = Command($"DELETE FROM {Q(table.Physical)} WHERE {Q(table.Columns[t.IndexOf(t.SetKey!)])} = ANY(@ids)", tx);
                ((NpgsqlCommand)del).Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = replaceSets.ToArray() });
                del.ExecuteNonQuery();
            }
            if (rows.Count == 0) return;
            string cols = string.Join(", ", table.Columns.Select(Q));
            // ON COMMIT DROP: the staging table lives for this batch only, so it always has the table's current columns.
            Execute($"CREATE TEMP TABLE cc_stage ON COMMIT DROP AS SELECT {cols} FROM {Q(table.Physical)} WITH NO DATA", tx);
            var types = t.Columns.Select(c => DbType(c.Kind)).ToArray();
            using (var copy = conn.BeginBinaryImport($"COPY cc_stage ({cols}) FROM STDIN (FORMAT BINARY)"))
            {
                foreach (var row in rows)
                {
                    copy.StartRow();
                    for (int c = 0; c < row.Length; c++)
                    {
                        var v = Value(t.Columns[c].Kind, row[c]);
                        if (v == null) copy.WriteNull();
                        else copy.Write(v, types[c]);
                    }
                }
                copy.Complete();
            }
            Execute($"INSERT INTO {Q(table.Physical)} ({cols}) SELECT {cols} FROM cc_stage{UpsertTail(table)}", tx);
            Execute("DROP TABLE cc_stage", tx);
        }

        private static NpgsqlDbType DbType(ColumnKind kind)
        {
            switch (kind)
            {
                case ColumnKind.Timestamp: return NpgsqlDbType.TimestampTz;
                case ColumnKind.Boolean: return NpgsqlDbType.Boolean;
                case ColumnKind.Integer: return NpgsqlDbType.Bigint;
                case ColumnKind.Number: return NpgsqlDbType.Double;
                default: return NpgsqlDbType.Text;
            }
        }

        protected override CCApiException Fail(Exception ex, string? doing)
        {
            if (ex is CCApiException cc) return cc;
            string what = doing == null ? "" : doing + ": ";
            if (ex is PostgresException pe)
            {
                string text = pe.SqlState + " " + pe.MessageText;
                switch (pe.SqlState)
                {
                    case "28P01": return Error(CCErrorKind.Authentication, what + "the password was refused (" + text + ").");
                    case "28000": return Error(CCErrorKind.Authentication, what + "the server refused the login (" + text + ").");
                    case "3D000": return Error(CCErrorKind.NotFound, what + "the database does not exist (" + text + ").");
                    case "42501": return Error(CCErrorKind.Permission, what + "permission denied (" + text + ").");
                    case "53300": return Error(CCErrorKind.Server, what + "the server has no free connection (" + text + ").");
                }
                return Error(CCErrorKind.Server, what + text);
            }
            if (ex is NpgsqlException ne)
            {
                for (Exception? e = ne; e != null; e = e.InnerException)
                    if (e is SocketException || e is TimeoutException)
                        return Error(CCErrorKind.Network, what + "the server cannot be reached (" + e.Message + ").");
                return Error(CCErrorKind.Network, what + ne.Message);
            }
            if (ex is ArgumentException || ex is FormatException) return Error(CCErrorKind.InvalidArgument, what + ex.Message);
            return Error(CCErrorKind.Server, what + ex.Message);
        }
    }
}
