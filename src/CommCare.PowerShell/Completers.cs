using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Runtime.CompilerServices;
using System.Threading;
using CommCare.Client.Api;
using CommCare.Models;

namespace CommCare.PowerShell
{
    /// <summary>
    /// Completes -Domain with the project spaces the current (or given) session's credentials can use.
    /// Asked once per session and cached; never prompts, never fails (no session or no answer: no suggestions).
    /// </summary>
    public sealed class DomainCompleter : CCServerCompleter
    {
        internal override List<KeyValuePair<string, string>> Load(CCSession session, CancellationToken token)
        {
            var items = new List<KeyValuePair<string, string>>();
            foreach (var d in new CommCareClient(session, null, token).Identity.UserDomains(false, null))
                items.Add(new KeyValuePair<string, string>(d.Domain, d.ProjectName ?? d.Domain));
            return items;   // in the server's order
        }
    }

    /// <summary>
    /// Completes a parameter from something the server lists (case types, report ids, lookup tables, location
    /// types, form xmlns). Asked once per session and completer, cached; never prompts, never fails, gives up
    /// after 5 seconds.
    /// </summary>
    public abstract class CCServerCompleter : IArgumentCompleter
    {
        private sealed class Box { public readonly Dictionary<Type, List<KeyValuePair<string, string>>> Lists = new Dictionary<Type, List<KeyValuePair<string, string>>>(); }
        private static readonly ConditionalWeakTable<CCSession, Box> Cache = new ConditionalWeakTable<CCSession, Box>();

        /// <summary>Completion values with their tooltips.</summary>
        internal abstract List<KeyValuePair<string, string>> Load(CCSession session, CancellationToken token);

        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var results = new List<CompletionResult>();
            try
            {
                var given = fakeBoundParameters?["Session"];
                var session = (given is PSObject p ? p.BaseObject : given) as CCSession ?? SessionStore.Get();
                if (session == null) return results;
                var box = Cache.GetOrCreateValue(session);
                List<KeyValuePair<string, string>>? list;
                lock (box)
                {
                    if (!box.Lists.TryGetValue(GetType(), out list))
                    {
                        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                        list = Load(session, cts.Token);
                        box.Lists[GetType()] = list;
                    }
                }
                string word = (wordToComplete ?? "").Trim('\'', '"');
                foreach (var kv in list)
                    if (kv.Key.StartsWith(word, StringComparison.OrdinalIgnoreCase))
                    {
                        string text = kv.Key.IndexOfAny(new[] { ' ', '\'', '"', '$', '`', ';', '(', ')', '{', '}', ',' }) >= 0 ? "'" + kv.Key.Replace("'", "''") + "'" : kv.Key;
                        results.Add(new CompletionResult(text, kv.Key, CompletionResultType.ParameterValue, string.IsNullOrEmpty(kv.Value) ? kv.Key : kv.Value));
                    }
            }
            catch (Exception) { /* completion must never fail the prompt */ }
            return results;
        }

        internal static List<KeyValuePair<string, string>> Distinct(IEnumerable<KeyValuePair<string, string>> items)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var list = new List<KeyValuePair<string, string>>();
            foreach (var kv in items) if (!string.IsNullOrEmpty(kv.Key) && seen.Add(kv.Key)) list.Add(kv);
            list.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
            return list;
        }
    }

    /// <summary>Case types used by the project's applications.</summary>
    public sealed class CaseTypeCompleter : CCServerCompleter
    {
        internal override List<KeyValuePair<string, string>> Load(CCSession session, CancellationToken token)
        {
            var items = new List<KeyValuePair<string, string>>();
            foreach (var app in new CommCareClient(session, null, token).Applications.List())
                foreach (var t in app.CaseTypes) items.Add(new KeyValuePair<string, string>(t, $"{t} ({app.Name})"));
            return Distinct(items);
        }
    }

    /// <summary>Report ids, with their titles.</summary>
    public sealed class ReportIdCompleter : CCServerCompleter
    {
        internal override List<KeyValuePair<string, string>> Load(CCSession session, CancellationToken token)
        {
            var items = new List<KeyValuePair<string, string>>();
            foreach (var r in new CommCareClient(session, null, token).Reports.List()) items.Add(new KeyValuePair<string, string>(r.Id, r.Title ?? r.Id));
            return Distinct(items);
        }
    }

    /// <summary>Lookup table tags.</summary>
    public sealed class LookupTableCompleter : CCServerCompleter
    {
        internal override List<KeyValuePair<string, string>> Load(CCSession session, CancellationToken token)
        {
            var items = new List<KeyValuePair<string, string>>();
            foreach (var t in new CommCareClient(session, null, token).LookupTables.Tables()) items.Add(new KeyValuePair<string, string>(t.Tag, t.Tag));
            return Distinct(items);
        }
    }

    /// <summary>Location type codes, with their names.</summary>
    public sealed class LocationTypeCompleter : CCServerCompleter
    {
        internal override List<KeyValuePair<string, string>> Load(CCSession session, CancellationToken token)
        {
            var items = new List<KeyValuePair<string, string>>();
            foreach (var t in new CommCareClient(session, null, token).Locations.Types()) items.Add(new KeyValuePair<string, string>(t.Code ?? t.Name ?? "", t.Name ?? t.Code ?? ""));
            return Distinct(items);
        }
    }

    /// <summary>Form xmlns of the project's applications, with the form names.</summary>
    public sealed class XmlnsCompleter : CCServerCompleter
    {
        internal override List<KeyValuePair<string, string>> Load(CCSession session, CancellationToken token)
        {
            var items = new List<KeyValuePair<string, string>>();
            foreach (var app in new CommCareClient(session, null, token).Applications.List())
                foreach (var m in app.Modules)
                    foreach (var f in m.Forms)
                        if (f.Xmlns != null) items.Add(new KeyValuePair<string, string>(f.Xmlns, $"{app.Name} > {m.DisplayName} > {f.DisplayName}"));
            return Distinct(items);
        }
    }
}
