using System;
using System.Collections.Generic;

namespace CommCare.Database
{
    /// <summary>
    /// A database that keeps exported tables in step with CommCare. Implementations: SQLite (a file,
    /// nothing to install) and PostgreSQL. Every write of rows commits the walk position it reaches in
    /// the same transaction, so a run killed at any moment leaves rows and position consistent.
    /// </summary>
    public interface ITableStore : IDisposable
    {
        /// <summary>"Sqlite" or "PostgreSql".</summary>
        string Provider { get; }

        /// <summary>The connection string with its password masked: safe for messages and logs.</summary>
        string Connection { get; }

        /// <summary>
        /// Creates missing tables, adds columns a table lacks (never drops one), and refuses a table whose
        /// existing columns or key conflict with ours, naming the column. In a full rebuild the tables are
        /// made afresh under building names.
        /// </summary>
        void EnsureTables(IEnumerable<DbTable> tables);

        /// <summary>The walk position saved for a query, or null when none was (first run).</summary>
        string? ReadPosition(string query);

        /// <summary>Writes the batch's rows and the query's new position in one transaction.</summary>
        void Write(RowBatch batch, string query, string position);

        /// <summary>
        /// Starts a full rebuild: tables ensured from now on are built under new names (leftovers of an
        /// earlier, unfinished rebuild are dropped first) and positions go to the rebuild's own state, so
        /// the live tables and their position stay untouched until <see cref="CompleteFull"/>.
        /// </summary>
        void BeginFull();

        /// <summary>Swaps the rebuilt tables and their positions in, in one transaction.</summary>
        void CompleteFull();

        /// <summary>Rows in a table (by its export name; the live table).</summary>
        long CountRows(string table);
    }
}
