using CommCare.Models;
using System;

namespace CommCare.Database
{
    /// <summary>The providers a database export can use.</summary>
    public enum DatabaseProvider { Sqlite, PostgreSql }

    /// <summary>Opens a store by provider; every failure is one CCApiException naming the connection (password masked).</summary>
    public static class TableStores
    {
        /// <param name="provider">Sqlite or PostgreSql.</param>
        /// <param name="connectionString">The provider's connection string.</param>
        /// <param name="resolvePath">SQLite: turns a relative file name into a full one (the shell's current location, not the process's).</param>
        public static ITableStore Open(DatabaseProvider provider, string connectionString, Func<string, string>? resolvePath = null)
        {
            if (string.IsNullOrWhiteSpace(connectionString))
                throw new CCApiException(CCErrorKind.InvalidArgument, "-ConnectionString is empty: give e.g. 'Data Source=commcare.db' (SQLite) or 'Host=…;Database=…;Username=…;Password=…' (PostgreSQL).");
            switch (provider)
            {
                case DatabaseProvider.Sqlite: return new SqliteTableStore(connectionString, resolvePath);
                case DatabaseProvider.PostgreSql: return new PostgresTableStore(connectionString);
                default: throw new ArgumentOutOfRangeException(nameof(provider));
            }
        }
    }
}
