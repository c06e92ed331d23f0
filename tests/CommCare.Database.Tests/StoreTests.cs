using CommCare.Models;
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Xunit;

namespace CommCare.Database.Tests
{
    /// <summary>The provider layer, the same tests against a real SQLite file and a real PostgreSQL server.</summary>
    [Collection("postgres")]
    public sealed class StoreTests : IDisposable
    {
        private readonly PostgresServer _pg;
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "cc-db-" + Guid.NewGuid().ToString("N"));

        public StoreTests(PostgresServer pg) { _pg = pg; Directory.CreateDirectory(_dir); }

        public void Dispose()
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(_dir, true); } catch (IOException) { }
        }

        public static IEnumerable<object[]> Providers => new[] { new object[] { DatabaseProvider.Sqlite }, new object[] { DatabaseProvider.PostgreSql } };

        /// <summary>A fresh, empty database of the provider; the same connection string opens it again.</summary>
        private string NewDatabase(DatabaseProvider provider)
            => provider == DatabaseProvider.Sqlite
                ? $"Data Source={Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".db")}"
                : _pg.ConnectionString(_pg.NewDatabase());

        private static readonly DbTable Visits = new DbTable("visit", new[]
        {
            new DbColumn("formid"), new DbColumn("received_on", ColumnKind.Timestamp), new DbColumn("archived", ColumnKind.Boolean),
            new DbColumn("form.age", ColumnKind.Text), new DbColumn("form.group.weight"),
        }, new[] { "formid" });

        private static readonly DbTable Children = new DbTable("visit.child", new[]
        {
            new DbColumn("formid"), new DbColumn("number"), new DbColumn("form.child.name"),
        }, new[] { "formid", "number" }, setKey: "formid");

        private static object?[] Visit(string id, string age, bool archived = false)
            => new object?[] { id, new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc).AddTicks(1230), archived, age, "4.5" };

        private static IEnumerable<object?[]> Kids(params string[] names)
            => names.Select((n, i) => new object?[] { null, "0." + i, n });

        private static List<string> Column(ITableStore store, string connection, DatabaseProvider provider, string sql)
        {
            var result = new List<string>();
            using System.Data.Common.DbConnection c = provider == DatabaseProvider.Sqlite
                ? new Microsoft.Data.Sqlite.SqliteConnection(connection)
                : new Npgsql.NpgsqlConnection(connection);
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = sql;
            using var r = cmd.ExecuteReader();
            while (r.Read()) result.Add(r.IsDBNull(0) ? "<null>" : Convert.ToString(r.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)!);
            return result;
        }

        [Theory, MemberData(nameof(Providers))]
        public void Upserts_parents_by_id_and_replaces_repeat_rows_as_a_set(DatabaseProvider provider)
        {
            string cs = NewDatabase(provider);
            using var store = TableStores.Open(provider, cs);
            store.EnsureTables(new[] { Visits, Children });
            var b = new RowBatch();
            b.Upsert(Visits, Visit("f1", "30")); b.ReplaceSet(Children, "f1", Kids("ann", "bob", "cy"));
            b.Upsert(Visits, Visit("f2", "40")); b.ReplaceSet(Children, "f2", Kids("dee"));
            store.Write(b, "q", "p1");
            // f1 edited: one repeat row fewer and a new age; f2 untouched.
            b = new RowBatch();
            b.Upsert(Visits, Visit("f1", "31")); b.ReplaceSet(Children, "f1", Kids("ann", "bea"));
            store.Write(b, "q", "p2");

            Assert.Equal(2, store.CountRows("visit"));
            Assert.Equal(3, store.CountRows("visit.child"));
            Assert.Equal(new[] { "31", "40" }, Column(store, cs, provider, "SELECT \"form.age\" FROM \"visit\" ORDER BY formid"));
            Assert.Equal(new[] { "ann", "bea", "dee" }, Column(store, cs, provider, "SELECT \"form.child.name\" FROM \"visit.child\" ORDER BY formid, number"));
            Assert.Equal("p2", store.ReadPosition("q"));
        }

        [Theory, MemberData(nameof(Providers))]
        public void Typed_metadata_columns_keep_their_types(DatabaseProvider provider)
        {
            string cs = NewDatabase(provider);
            var t = new DbTable("case", new[]
            {
                new DbColumn("caseid"), new DbColumn("modified_on", ColumnKind.Timestamp), new DbColumn("closed", ColumnKind.Boolean),
                new DbColumn("visits", ColumnKind.Integer), new DbColumn("score", ColumnKind.Number), new DbColumn("name"),
            }, new[] { "caseid" });
            using (var store = TableStores.Open(provider, cs))
            {
                store.EnsureTables(new[] { t });
                var b = new RowBatch();
                b.Upsert(t, new object?[] { "c1", "2026-03-04T05:06:07.123456Z", "True", "12", "2.5", "Ann" });
                b.Upsert(t, new object?[] { "c2", "", "", "", "", "" });
                store.Write(b, "q", "x");
            }
            if (provider == DatabaseProvider.PostgreSql)
            {
                Assert.Equal(new[] { "boolean", "timestamp with time zone", "text", "double precision", "bigint" },
                    Column(null!, cs, provider, "SELECT data_type FROM information_schema.columns WHERE table_name = 'case' AND column_name IN ('closed','score','visits','modified_on','name') ORDER BY column_name"));
                Assert.Equal(new[] { "2026-03-04 05:06:07.123456+00" }, Column(null!, cs, provider, "SELECT to_char(modified_on AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' FROM \"case\" WHERE caseid = 'c1'"));
            }
            else
            {
                Assert.Equal(new[] { "2026-03-04 05:06:07" }, Column(null!, cs, provider, "SELECT datetime(modified_on) FROM \"case\" WHERE caseid = 'c1'"));
                Assert.Equal(new[] { "integer" }, Column(null!, cs, provider, "SELECT typeof(closed) FROM \"case\" WHERE caseid = 'c1'"));
            }
            Assert.Equal(new[] { "12" }, Column(null!, cs, provider, "SELECT visits + 0 FROM \"case\" WHERE caseid = 'c1'"));
            Assert.Equal(new[] { "<null>" }, Column(null!, cs, provider, "SELECT closed FROM \"case\" WHERE caseid = 'c2'"));
        }

        [Theory, MemberData(nameof(Providers))]
        public void Rows_and_position_commit_together_or_not_at_all(DatabaseProvider provider)
        {
            string cs = NewDatabase(provider);
            var ints = new DbTable("n", new[] { new DbColumn("id"), new DbColumn("v", ColumnKind.Integer) }, new[] { "id" });
            using (var store = TableStores.Open(provider, cs))
            {
                store.EnsureTables(new[] { Visits, ints });
                var b = new RowBatch();
                b.Upsert(Visits, Visit("f1", "1"));
                store.Write(b, "q", "after-f1");
                // The second table's value cannot be stored: the whole batch, its position included, must not be.
                b = new RowBatch();
                b.Upsert(Visits, Visit("f2", "2"));
                b.Upsert(ints, new object?[] { "x", "not a number" });
                var ex = Assert.Throws<CCApiException>(() => store.Write(b, "q", "after-f2"));
                Assert.Contains("is not an integer", ex.Message);
            }
            using (var again = TableStores.Open(provider, cs))
            {
                Assert.Equal("after-f1", again.ReadPosition("q"));
                Assert.Equal(1, again.CountRows("visit"));
                Assert.Equal(0, again.CountRows("n"));
                Assert.Null(again.ReadPosition("another query"));
            }
        }

        [Theory, MemberData(nameof(Providers))]
        public void Columns_the_schema_gains_are_added_and_none_is_dropped(DatabaseProvider provider)
        {
            string cs = NewDatabase(provider);
            var v1 = new DbTable("t", new[] { new DbColumn("id"), new DbColumn("a"), new DbColumn("b") }, new[] { "id" });
            var v2 = new DbTable("t", new[] { new DbColumn("id"), new DbColumn("a"), new DbColumn("c", ColumnKind.Integer) }, new[] { "id" });
            using (var store = TableStores.Open(provider, cs))
            {
                store.EnsureTables(new[] { v1 });
                var b = new RowBatch(); b.Upsert(v1, new object?[] { "1", "a1", "b1" }); store.Write(b, "q", "1");
            }
            using (var store = TableStores.Open(provider, cs))
            {
                store.EnsureTables(new[] { v2 });
                var b = new RowBatch(); b.Upsert(v2, new object?[] { "2", "a2", 7 }); store.Write(b, "q", "2");
            }
            string names = provider == DatabaseProvider.Sqlite
                ? "SELECT name FROM pragma_table_info('t') ORDER BY cid"
                : "SELECT column_name FROM information_schema.columns WHERE table_name = 't' ORDER BY ordinal_position";
            Assert.Equal(new[] { "id", "a", "b", "c" }, Column(null!, cs, provider, names));
            Assert.Equal(new[] { "b1|<null>", "<null>|7" }, Column(null!, cs, provider, "SELECT coalesce(b, '<null>') || '|' || coalesce(CAST(c AS TEXT), '<null>') FROM t ORDER BY id"));
        }

        [Theory, MemberData(nameof(Providers))]
        public void A_table_whose_columns_conflict_is_refused_with_the_column_named_and_left_alone(DatabaseProvider provider)
        {
            string cs = NewDatabase(provider);
            string create = provider == DatabaseProvider.Sqlite
                ? "CREATE TABLE visit (formid TEXT PRIMARY KEY, received_on INTEGER)"
                : "CREATE TABLE visit (formid text PRIMARY KEY, received_on integer)";
            Column(null!, cs, provider, create);
            using var store = TableStores.Open(provider, cs);
            var ex = Assert.Throws<CCApiException>(() => store.EnsureTables(new[] { Visits }));
            Assert.Contains("'received_on'", ex.Message);
            Assert.Contains("'visit'", ex.Message);
            Assert.Equal(CCErrorKind.InvalidArgument, ex.Kind);
            string names = provider == DatabaseProvider.Sqlite
                ? "SELECT name FROM pragma_table_info('visit') ORDER BY cid"
                : "SELECT column_name FROM information_schema.columns WHERE table_name = 'visit' ORDER BY ordinal_position";
            Assert.Equal(new[] { "formid", "received_on" }, Column(null!, cs, provider, names));

            // A table keyed otherwise is refused too: an upsert by id could not work on it.
            Column(null!, cs, provider, "CREATE TABLE other (formid TEXT, x TEXT)");
            var other = new DbTable("other", new[] { new DbColumn("formid"), new DbColumn("x") }, new[] { "formid" });
            var ex2 = Assert.Throws<CCApiException>(() => store.EnsureTables(new[] { other }));
            Assert.Contains("primary key", ex2.Message);
        }

        [Theory, MemberData(nameof(Providers))]
        public void A_full_rebuild_is_swapped_in_only_when_complete(DatabaseProvider provider)
        {
            string cs = NewDatabase(provider);
            using (var store = TableStores.Open(provider, cs))
            {
                store.EnsureTables(new[] { Visits, Children });
                var b = new RowBatch();
                foreach (var id in new[] { "old1", "old2", "old3" }) { b.Upsert(Visits, Visit(id, "1")); b.ReplaceSet(Children, id, Kids("k")); }
                store.Write(b, "q", "live-position");
            }
            // A rebuild killed half-way (disposed without completing) leaves the live tables and position as they were.
            using (var store = TableStores.Open(provider, cs))
            {
                store.BeginFull();
                store.EnsureTables(new[] { Visits, Children });
                var b = new RowBatch(); b.Upsert(Visits, Visit("half", "1")); store.Write(b, "q", "half-position");
                Assert.Equal(3, store.CountRows("visit"));
            }
            using (var store = TableStores.Open(provider, cs))
            {
                Assert.Equal("live-position", store.ReadPosition("q"));
                Assert.Equal(3, store.CountRows("visit"));
                store.BeginFull();
                Assert.Null(store.ReadPosition("q"));   // the rebuild starts from the beginning
                store.EnsureTables(new[] { Visits, Children });
                var b = new RowBatch();
                b.Upsert(Visits, Visit("new1", "2")); b.ReplaceSet(Children, "new1", Kids("a", "b"));
                store.Write(b, "q", "rebuilt-position");
                Assert.Equal(new[] { "old1", "old2", "old3" }, Column(null!, cs, provider, "SELECT formid FROM visit ORDER BY formid"));
                store.CompleteFull();
                Assert.Equal("rebuilt-position", store.ReadPosition("q"));
                // After the swap, later batches go to the live tables.
                b = new RowBatch(); b.Upsert(Visits, Visit("new2", "3")); b.ReplaceSet(Children, "new2", Kids());
                store.Write(b, "q", "later");
            }
            Assert.Equal(new[] { "new1", "new2" }, Column(null!, cs, provider, "SELECT formid FROM visit ORDER BY formid"));
            Assert.Equal(new[] { "a", "b" }, Column(null!, cs, provider, "SELECT \"form.child.name\" FROM \"visit.child\" ORDER BY number"));
            string leftovers = provider == DatabaseProvider.Sqlite
                ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%rebuild%'"
                : "SELECT tablename FROM pg_tables WHERE tablename LIKE '%rebuild%'";
            Assert.Empty(Column(null!, cs, provider, leftovers));
            using (var store = TableStores.Open(provider, cs)) Assert.Equal("later", store.ReadPosition("q"));
        }

        [Theory, MemberData(nameof(Providers))]
        public void A_large_batch_goes_in_whole(DatabaseProvider provider)
        {
            string cs = NewDatabase(provider);
            using var store = TableStores.Open(provider, cs);
            store.EnsureTables(new[] { Visits, Children });
            for (int page = 0; page < 3; page++)
            {
                var b = new RowBatch();
                for (int i = 0; i < 1000; i++)
                {
                    string id = $"f{page}-{i}";
                    b.Upsert(Visits, Visit(id, i.ToString()));
                    b.ReplaceSet(Children, id, Kids(Enumerable.Range(0, i % 4).Select(k => "c" + k).ToArray()));
                }
                store.Write(b, "q", "page" + page);
            }
            Assert.Equal(3000, store.CountRows("visit"));
            Assert.Equal(3 * 250 * (0 + 1 + 2 + 3), store.CountRows("visit.child"));
        }

        [Fact]
        public void PostgreSql_long_question_paths_stay_distinct_columns()
        {
            string cs = _pg.ConnectionString(_pg.NewDatabase());
            string a = "form." + new string('g', 60) + ".question_one", b = "form." + new string('g', 60) + ".question_two";
            var t = new DbTable("form." + new string('t', 70), new[] { new DbColumn("formid"), new DbColumn(a), new DbColumn(b) }, new[] { "formid" });
            using (var store = TableStores.Open(DatabaseProvider.PostgreSql, cs))
            {
                store.EnsureTables(new[] { t });
                var batch = new RowBatch(); batch.Upsert(t, new object?[] { "f", "one", "two" }); store.Write(batch, "q", "p");
                Assert.Equal(1, store.CountRows(t.Name));
            }
            // A second run finds the same shortened names (no new columns, no conflict).
            using (var store = TableStores.Open(DatabaseProvider.PostgreSql, cs)) store.EnsureTables(new[] { t });
            Assert.Equal(3, Convert.ToInt32(_pg.Scalar("SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = 'public' AND table_name LIKE 'form.ttt%'", new Npgsql.NpgsqlConnectionStringBuilder(cs).Database!)));
        }

        [Fact]
        public void PostgreSql_wrong_password_is_one_error_naming_the_connection_without_the_password()
        {
            string cs = _pg.ConnectionString(password: "Wr0ng-Pa55word-xyz");
            var ex = Assert.Throws<CCApiException>(() => TableStores.Open(DatabaseProvider.PostgreSql, cs));
            Assert.Equal(CCErrorKind.Authentication, ex.Kind);
            Assert.DoesNotContain("Wr0ng-Pa55word-xyz", ex.ToString());
            Assert.Contains($"Port={_pg.Port}", ex.Message);
            Assert.Contains("Password=*****", ex.Message);
            Assert.Contains("password", ex.Message);
        }

        [Fact]
        public void PostgreSql_unreachable_server_is_a_network_error()
        {
            var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            l.Start(); int port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port; l.Stop();
            var ex = Assert.Throws<CCApiException>(() => TableStores.Open(DatabaseProvider.PostgreSql, $"Host=127.0.0.1;Port={port};Database=x;Username=u;Password=Secret-123"));
            Assert.Equal(CCErrorKind.Network, ex.Kind);
            Assert.Contains("cannot be reached", ex.Message);
            Assert.DoesNotContain("Secret-123", ex.ToString());
        }

        [Fact]
        public void PostgreSql_missing_permission_is_named_before_anything_is_written()
        {
            string db = _pg.NewDatabase();
            // PostgreSQL 15 no longer lets every user create tables in schema public.
            _pg.Sql("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'reader') THEN CREATE ROLE reader LOGIN PASSWORD 'Reader-Pw-1'; END IF; END $$");
            var ex = Assert.Throws<CCApiException>(() => TableStores.Open(DatabaseProvider.PostgreSql, _pg.ConnectionString(db, "reader", "Reader-Pw-1")));
            Assert.Equal(CCErrorKind.Permission, ex.Kind);
            Assert.Contains("'reader'", ex.Message);
            Assert.Contains("GRANT CREATE", ex.Message);
            Assert.DoesNotContain("Reader-Pw-1", ex.ToString());

            _pg.Sql("GRANT CREATE, USAGE ON SCHEMA public TO reader", db);
            using var store = TableStores.Open(DatabaseProvider.PostgreSql, _pg.ConnectionString(db, "reader", "Reader-Pw-1"));
            Assert.Null(store.ReadPosition("q"));
        }

        [Fact]
        public void PostgreSql_missing_database_is_named()
        {
            var ex = Assert.Throws<CCApiException>(() => TableStores.Open(DatabaseProvider.PostgreSql, _pg.ConnectionString("no_such_db")));
            Assert.Equal(CCErrorKind.NotFound, ex.Kind);
            Assert.Contains("Database=no_such_db", ex.Message);
        }

        [Fact]
        public void Sqlite_missing_folder_is_named()
        {
            string path = Path.Combine(_dir, "missing", "x.db");
            var ex = Assert.Throws<CCApiException>(() => TableStores.Open(DatabaseProvider.Sqlite, "Data Source=" + path));
            Assert.Contains(Path.Combine(_dir, "missing"), ex.Message);
            Assert.StartsWith("SQLite database 'Data Source=", ex.Message);
            Assert.False(File.Exists(path));
        }

        [Fact]
        public void Sqlite_file_that_is_not_a_database_is_refused()
        {
            string path = Path.Combine(_dir, "notes.db");
            File.WriteAllText(path, new string('x', 4096));
            var ex = Assert.Throws<CCApiException>(() => TableStores.Open(DatabaseProvider.Sqlite, "Data Source=" + path));
            Assert.Contains("not a SQLite database", ex.Message);
        }
    }

    public sealed class TextTests
    {
        [Theory]
        [InlineData("Host=h;Username=u;Password=s3cr3t;Database=d", "s3cr3t")]
        [InlineData("Host=h;PWD='a;b=c';Database=d", "a;b=c")]
        [InlineData("Server=h;User Id=u;password = \"p w\"", "p w")]
        public void Masked_connection_strings_never_show_the_password(string cs, string secret)
        {
            string masked = ConnectionText.Masked(cs);
            Assert.DoesNotContain(secret, masked);
            Assert.Contains("*****", masked);
            Assert.Contains("h", masked);
            Assert.Equal(secret, ConnectionText.Password(cs));
        }

        [Fact]
        public void Walk_positions_round_trip()
        {
            var p = new WalkPosition(new DateTime(2026, 5, 6, 7, 8, 9, DateTimeKind.Utc).AddTicks(1234567), new[] { "a", "b" });
            var back = WalkPosition.Parse(p.ToString())!;
            Assert.Equal(p.Instant, back.Instant);
            Assert.Equal(new[] { "a", "b" }, back.IdsAtInstant);
            Assert.Null(WalkPosition.Parse(null));
            Assert.Throws<FormatException>(() => WalkPosition.Parse("something else"));
        }

        [Fact]
        public void A_batch_keeps_the_last_row_of_a_key_and_the_last_set_of_a_parent()
        {
            var t = new DbTable("t", new[] { new DbColumn("id"), new DbColumn("v") }, new[] { "id" });
            var c = new DbTable("t.c", new[] { new DbColumn("id"), new DbColumn("number"), new DbColumn("v") }, new[] { "id", "number" }, "id");
            var b = new RowBatch();
            b.Upsert(t, new object?[] { "1", "a" });
            b.Upsert(t, new object?[] { "1", "b" });
            b.ReplaceSet(c, "1", new[] { new object?[] { null, "0", "x" }, new object?[] { null, "1", "y" } });
            b.ReplaceSet(c, "1", new[] { new object?[] { null, "0", "z" } });
            Assert.Equal(2, b.RowCount);
        }
    }
}
