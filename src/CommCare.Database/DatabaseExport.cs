using CommCare.Client.Tables;
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using ClientKind = CommCare.Client.Tables.ColumnKind;

namespace CommCare.Database
{
    /// <summary>
    /// Keeps flattened forms or cases in a database: the flat-table export's tables (one per form type or
    /// case type, child tables for repeats, HQ's column names), written a page at a time, each page's rows
    /// committed together with the exact indexed_on position they reach (the instant and the ids already
    /// stored at it). The next run resumes there, so a run killed at any moment neither misses nor repeats a
    /// record. In the database, a main table has no "number" column (HQ numbers rows per download, which
    /// means nothing in a table kept up to date) and a repeat row's "number" is its place in its form
    /// ("0.1": second entry of the first entry's repeat), so the rows are the same whichever run wrote them.
    /// </summary>
    public sealed class DatabaseExport
    {
        /// <summary>Records per transaction: a page of the walk.</summary>
        public const int DefaultBatchRecords = 1000;
        private readonly ITableStore _store;
        private readonly string _query;
        private readonly int _batchRecords;
        private readonly Dictionary<TableDef, Mapped> _mapped = new Dictionary<TableDef, Mapped>();
        private readonly List<TableRecord> _pending = new List<TableRecord>();
        private DateTime? _instant;
        private readonly List<string> _idsAtInstant = new List<string>();
        private readonly Stopwatch _clock = new Stopwatch();
        private readonly Stopwatch _writing = new Stopwatch();

        /// <summary>Opens the export on a store; <c>query</c> is the walk's description (FormsApi.DescribeWalk), the key of its
        /// saved position. Without <c>full</c>, the saved position is read now (see <see cref="Resume"/>).</summary>
        public DatabaseExport(ITableStore store, string query, bool full, int batchRecords = DefaultBatchRecords)
        {
            _store = store;
            _query = query;
            _batchRecords = Math.Max(1, batchRecords);
            Full = full;
            if (full) store.BeginFull();
            else
            {
                string? saved = store.ReadPosition(query);
                try { Resume = WalkPosition.Parse(saved); }
                catch (FormatException ex) { throw new CommCare.Models.CCApiException(CommCare.Models.CCErrorKind.InvalidArgument, $"{store.Provider} database '{store.Connection}': {ex.Message}; use -Full to rebuild."); }
                if (Resume != null) { _instant = Resume.Instant; _idsAtInstant.AddRange(Resume.IdsAtInstant); }
            }
        }

        public bool Full { get; }
        /// <summary>Where the last run ended (null: the first run, or -Full).</summary>
        public WalkPosition? Resume { get; }
        public long Records { get; private set; }
        public long Rows { get; private set; }
        public TimeSpan Elapsed => _clock.Elapsed;
        /// <summary>Time spent in the database (the rest is CommCare's pages and flattening).</summary>
        public TimeSpan Writing => _writing.Elapsed;

        /// <summary>Creates (or extends) the tables known before the walk, so even a run that finds nothing leaves them.</summary>
        public void Prepare(IEnumerable<TableDef> mains)
        {
            _clock.Start();
            _store.EnsureTables(mains.SelfAndDescendantsOf().Select(Map));
        }

        /// <summary>Adds a record; a full batch is written at once (rows and position in one transaction).</summary>
        public void Add(TableRecord record)
        {
            _clock.Start();
            _pending.Add(record);
            if (_pending.Count >= _batchRecords) Flush();
        }

        public void Flush()
        {
            if (_pending.Count == 0) return;
            _writing.Start();
            // Tables met or widened by these records (a new repeat, answers no build lists) first.
            var touched = new HashSet<TableDef>();
            foreach (var r in _pending)
                foreach (var t in r.Main.Table.SelfAndDescendants()) touched.Add(t);
            var stale = touched.Where(t => !_mapped.TryGetValue(t, out var m) || m.Width != t.Columns.Count).ToList();
            if (stale.Count > 0) _store.EnsureTables(stale.Select(Map));

            var batch = new RowBatch();
            foreach (var r in _pending)
            {
                var main = _mapped[r.Main.Table];
                batch.Upsert(main.Db, main.Row(r.Main));
                foreach (var t in r.Main.Table.SelfAndDescendants())
                {
                    if (t == r.Main.Table) continue;
                    var child = _mapped[t];
                    batch.ReplaceSet(child.Db, r.Id, r.Children.Where(c => c.Table == t).Select(child.Row));
                }
                Note(r);
            }
            string position = _instant.HasValue ? new WalkPosition(_instant.Value, _idsAtInstant).ToString() : "";
            _store.Write(batch, _query, position);
            Records += _pending.Count;
            Rows += batch.RowCount;
            _pending.Clear();
            _writing.Stop();
        }

        private void Note(TableRecord r)
        {
            if (r.IndexedOn == null) return;
            var ts = r.IndexedOn.Value.Kind == DateTimeKind.Utc ? r.IndexedOn.Value : r.IndexedOn.Value.ToUniversalTime();
            if (_instant == null || ts > _instant) { _instant = ts; _idsAtInstant.Clear(); }
            if (ts == _instant && !_idsAtInstant.Contains(r.Id)) _idsAtInstant.Add(r.Id);
        }

        /// <summary>Writes what is left; a full rebuild is swapped in now, and only now.</summary>
        public void Complete()
        {
            Flush();
            if (Full) _store.CompleteFull();
            _clock.Stop();
        }

        private DbTable Map(TableDef t)
        {
            var cols = new List<DbColumn>();
            var source = new List<int>();
            for (int i = 0; i < t.Columns.Count; i++)
            {
                var c = t.Columns[i];
                if (t.Parent == null && c.Name == "number") continue;
                // A repeat's "number" is text ("3.0.1"), whatever kind the flattener gave it.
                cols.Add(new DbColumn(c.Name, t.Parent != null && c.Name == "number" ? ColumnKind.Text : KindOf(c.Kind)));
                source.Add(i);
            }
            var db = t.Parent == null
                ? new DbTable(t.Name, cols, new[] { t.KeyColumn })
                : new DbTable(t.Name, cols, new[] { t.KeyColumn, "number" }, setKey: t.KeyColumn);
            _mapped[t] = new Mapped(db, source.ToArray(), t.Columns.Count, t.Parent == null ? -1 : cols.FindIndex(c => c.Name == "number"));
            return db;
        }

        private static ColumnKind KindOf(ClientKind k)
        {
            switch (k)
            {
                case ClientKind.Timestamp: return ColumnKind.Timestamp;
                case ClientKind.Boolean: return ColumnKind.Boolean;
                case ClientKind.Integer: return ColumnKind.Integer;
                default: return ColumnKind.Text;
            }
        }

        private sealed class Mapped
        {
            public Mapped(DbTable db, int[] source, int width, int number) { Db = db; Source = source; Width = width; Number = number; }
            public DbTable Db { get; }
            public int[] Source { get; }
            /// <summary>The flat table's column count when mapped: more means new columns to add.</summary>
            public int Width { get; }
            /// <summary>Repeat tables: where "number" is (rewritten relative to the form).</summary>
            public int Number { get; }

            public object?[] Row(TableRow row)
            {
                var values = new object?[Source.Length];
                for (int i = 0; i < Source.Length; i++) values[i] = row.Get(Source[i]);
                if (Number >= 0 && values[Number] is string n)
                {
                    int dot = n.IndexOf('.');
                    values[Number] = dot >= 0 ? n.Substring(dot + 1) : n;
                }
                return values;
            }
        }
    }

    internal static class TableDefExtensions
    {
        public static IEnumerable<TableDef> SelfAndDescendantsOf(this IEnumerable<TableDef> mains) => mains.SelectMany(m => m.SelfAndDescendants());
    }
}
