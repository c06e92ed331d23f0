using CommCare.Models;
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using CommCare.Client.Json;

namespace CommCare.Client.Paging
{
    /// <summary>
    /// A resumable position in an indexed_on walk, kept in a file: a header line naming the query, then one
    /// "indexed_on TAB id" line per record delivered, appended and flushed after the pipeline has taken the
    /// record. At each page the file is rewritten (atomically, by replace) to just the records at the latest
    /// instant. Resuming starts the walk at that instant and skips those ids, so a stopped export delivers
    /// every record exactly once across runs; a hard kill can at most repeat the one record that was being
    /// written when the process died. Records arrive in indexed_on order, which is what makes this enough.
    /// </summary>
    public sealed class CCCheckpoint : IDisposable
    {
        private const string Magic = "#CommCare.PowerShell checkpoint v1";
        private readonly string _path;
        private readonly string _query;
        private FileStream? _log;
        private DateTime? _latest;
        private readonly List<string> _idsAtLatest = new List<string>();

        private CCCheckpoint(string path, string query) { _path = path; _query = query; }

        /// <summary>Where the walk resumes (null: from the query's own start).</summary>
        public DateTime? ResumeFrom => _latest;
        public IReadOnlyList<string> ResumeSkipIds => _idsAtLatest;
        public long RecordsLogged { get; private set; }

        /// <summary>Opens (or starts) the checkpoint for a query; a file made for another query is refused.</summary>
        public static CCCheckpoint Open(string path, string query)
        {
            var cp = new CCCheckpoint(path, query);
            if (File.Exists(path))
            {
                string[] lines = File.ReadAllLines(path, Encoding.UTF8);
                if (lines.Length > 0)
                {
                    if (lines[0] != Magic)
                        throw new CCApiException(CCErrorKind.InvalidArgument, $"-Checkpoint: '{path}' is not a checkpoint file of this module; give a new file name (it will be created).");
                    string saved = lines.Length > 1 && lines[1].StartsWith("query\t", StringComparison.Ordinal) ? lines[1].Substring(6) : "";
                    if (saved != query)
                        throw new CCApiException(CCErrorKind.InvalidArgument, $"-Checkpoint: '{path}' was made for another query ({saved}); this one is ({query}). Use the same filters to resume, or a new file.");
                    for (int i = 2; i < lines.Length; i++)
                    {
                        int tab = lines[i].IndexOf('\t');
                        // A last line cut short by a killed process is ignored: it was not complete, so neither was its record.
                        if (tab <= 0 || tab == lines[i].Length - 1 || !IsoDate.TryParse(lines[i].Substring(0, tab), out var ts)) continue;
                        cp.Note(ts, lines[i].Substring(tab + 1));
                    }
                }
            }
            cp.Compact();
            return cp;
        }

        private void Note(DateTime ts, string id)
        {
            if (_latest == null || ts > _latest) { _latest = ts; _idsAtLatest.Clear(); }
            if (ts == _latest) _idsAtLatest.Add(id);
        }

        /// <summary>Records one delivered record (call after the pipeline took it).</summary>
        public void Delivered(string id, DateTime? indexedOn)
        {
            if (indexedOn == null) return;
            var ts = IsoDate.ToUtc(indexedOn.Value);
            Note(ts, id);
            var bytes = Encoding.UTF8.GetBytes(Format(ts) + "\t" + id + "\n");
            _log!.Write(bytes, 0, bytes.Length);
            _log.Flush();   // to the OS: survives the process being killed
            RecordsLogged++;
        }

        /// <summary>Notes a record as covered without writing it down: for exports whose output becomes final only
        /// at the end; <see cref="Compact"/> then saves the position, once the output is in place.</summary>
        public void Remember(string id, DateTime? indexedOn)
        {
            if (indexedOn != null) Note(IsoDate.ToUtc(indexedOn.Value), id);
        }

        /// <summary>Rewrites the file to the current position only (called once per page).</summary>
        public void Compact()
        {
            _log?.Dispose();
            string dir = Path.GetDirectoryName(Path.GetFullPath(_path)) ?? ".";
            Directory.CreateDirectory(dir);
            string tmp = Path.Combine(dir, "." + Path.GetFileName(_path) + ".tmp");
            var sb = new StringBuilder();
            sb.Append(Magic).Append('\n').Append("query\t").Append(_query).Append('\n');
            if (_latest.HasValue) foreach (var id in _idsAtLatest) sb.Append(Format(_latest.Value)).Append('\t').Append(id).Append('\n');
            File.WriteAllText(tmp, sb.ToString(), new UTF8Encoding(false));
            if (File.Exists(_path)) File.Replace(tmp, _path, null);
            else File.Move(tmp, _path);
            _log = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read, 1);
        }

        /// <summary>What a checkpoint belongs to: server, project, resource, filters and the original window.</summary>
        public static string Describe(CCSession session, string resource, QueryString filters, DateTime? start, DateTime? end)
            => $"{session.Server.GetLeftPart(UriPartial.Path)} {session.Domain} {resource} {filters} start={(start.HasValue ? Format(IsoDate.ToUtc(start.Value)) : "-")} end={(end.HasValue ? Format(IsoDate.ToUtc(end.Value)) : "-")}";

        /// <summary>Moves a query's start to the checkpoint's position (never before the query's own start).</summary>
        public static void Apply(CCCheckpoint cp, DateTime? start, Action<DateTime?> setStart, Action<IList<string>> setSkip)
        {
            if (cp.ResumeFrom == null) return;
            if (start.HasValue && IsoDate.ToUtc(start.Value) > cp.ResumeFrom.Value) return;
            setStart(cp.ResumeFrom);
            setSkip(new List<string>(cp.ResumeSkipIds));
        }

        private static string Format(DateTime ts) => ts.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

        public void Dispose()
        {
            _log?.Dispose();
            _log = null;
        }
    }
}
