using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace CommCare.Database.Tests
{
    /// <summary>
    /// A real PostgreSQL 15 server for the tests: a fresh cluster in a temporary folder on a free loopback
    /// port, password logins only (scram-sha-256), stopped and deleted at the end. PostgreSQL refuses to
    /// run as root, so when the tests run as root the server runs as the 'postgres' account (Debian's
    /// package makes it) through runuser.
    /// </summary>
    public sealed class PostgresServer : IDisposable
    {
        public const string Admin = "cc_admin";
        public const string AdminPassword = "Adm1n-S3cret-for-tests";
        private readonly string _bin;
        private readonly string _dir;
        private readonly string? _runAs;

        public PostgresServer()
        {
            _bin = FindBin();
            _dir = Path.Combine(Path.GetTempPath(), "cc-pg-" + Guid.NewGuid().ToString("N").Substring(0, 12));
            Directory.CreateDirectory(_dir);
            _runAs = Environment.UserName == "root" ? "postgres" : null;
            string data = Path.Combine(_dir, "data"), pw = Path.Combine(_dir, "pw");
            File.WriteAllText(pw, AdminPassword + "\n");
            if (_runAs != null) Run("chown", $"-R {_runAs} {_dir}", asServer: false);
            Run(Path.Combine(_bin, "initdb"), $"-D {data} -U {Admin} --pwfile={pw} --auth=scram-sha-256 -E UTF8 --locale=C --no-sync", asServer: true);
            Port = FreePort();
            // fsync off: the server is thrown away; what the tests kill is the client, never the server.
            Run(Path.Combine(_bin, "pg_ctl"), $"-D {data} -l {Path.Combine(_dir, "log")} -w -t 60 " +
                $"-o \"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50\" start", asServer: true);
        }

        public int Port { get; }

        public string ConnectionString(string database = "postgres", string user = Admin, string password = AdminPassword)
            => $"Host=127.0.0.1;Port={Port};Database={database};Username={user};Password={password};Pooling=false";

        /// <summary>A new, empty database for one test, so tests never see each other's tables.</summary>
        public string NewDatabase()
        {
            string name = "t_" + Guid.NewGuid().ToString("N").Substring(0, 12);
            Sql($"CREATE DATABASE {name}");
            return name;
        }

        public void Sql(string sql, string database = "postgres")
        {
            using var c = new Npgsql.NpgsqlConnection(ConnectionString(database));
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = sql;
            cmd.ExecuteNonQuery();
        }

        public object? Scalar(string sql, string database)
        {
            using var c = new Npgsql.NpgsqlConnection(ConnectionString(database));
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = sql;
            return cmd.ExecuteScalar();
        }

        private static string FindBin()
        {
            var candidates = new[] { Environment.GetEnvironmentVariable("COMMCARE_PG_BIN"), "/usr/lib/postgresql/15/bin", "/usr/local/bin", "/usr/bin" };
            foreach (var c in candidates)
                if (!string.IsNullOrEmpty(c) && File.Exists(Path.Combine(c!, "initdb")) && File.Exists(Path.Combine(c!, "pg_ctl"))) return c!;
            throw new InvalidOperationException("PostgreSQL 15 is not installed (initdb and pg_ctl not found): .ci/run installs the Debian package postgresql-15; or set COMMCARE_PG_BIN.");
        }

        private static int FreePort()
        {
            var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            int port = ((IPEndPoint)l.LocalEndpoint).Port;
            l.Stop();
            return port;
        }

        private void Run(string file, string arguments, bool asServer)
        {
            var psi = asServer && _runAs != null
                ? new ProcessStartInfo("runuser", $"-u {_runAs} -- {file} {arguments}")
                : new ProcessStartInfo(file, arguments);
            psi.RedirectStandardOutput = true;
            psi.RedirectStandardError = true;
            psi.UseShellExecute = false;
            psi.WorkingDirectory = _dir;
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            var output = p.StandardOutput.ReadToEndAsync();
            if (!p.WaitForExit(120_000)) { p.Kill(); throw new TimeoutException($"{file} {arguments} did not finish in 120 s."); }
            if (p.ExitCode != 0)
            {
                string log = Path.Combine(_dir, "log");
                throw new InvalidOperationException($"{Path.GetFileName(file)} failed ({p.ExitCode}): {err.Result} {(File.Exists(log) ? File.ReadAllText(log) : "")}");
            }
        }

        public void Dispose()
        {
            try { Run(Path.Combine(_bin, "pg_ctl"), $"-D {Path.Combine(_dir, "data")} -m immediate -w stop", asServer: true); }
            finally { try { Directory.Delete(_dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { } }
        }
    }

    [CollectionDefinition("postgres")]
    public sealed class PostgresCollection : ICollectionFixture<PostgresServer> { }
}
