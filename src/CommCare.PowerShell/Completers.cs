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
    public sealed class DomainCompleter : IArgumentCompleter
    {
        private sealed class Box { public List<CCProjectSpace>? Domains; }
        private static readonly ConditionalWeakTable<CCSession, Box> Cache = new ConditionalWeakTable<CCSession, Box>();

        public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
        {
            var results = new List<CompletionResult>();
            try
            {
                var given = fakeBoundParameters?["Session"];
                var session = (given is PSObject p ? p.BaseObject : given) as CCSession ?? SessionStore.Get();
                if (session == null) return results;
                var box = Cache.GetOrCreateValue(session);
                if (box.Domains == null)
                {
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    box.Domains = Load(session, cts.Token);
                }
                string word = (wordToComplete ?? "").Trim('\'', '"');
                foreach (var d in box.Domains)
                    if (d.Domain.StartsWith(word, StringComparison.OrdinalIgnoreCase))
                        results.Add(new CompletionResult(d.Domain, d.Domain, CompletionResultType.ParameterValue, d.ProjectName ?? d.Domain));
            }
            catch (Exception) { /* completion must never fail the prompt */ }
            return results;
        }

        private static List<CCProjectSpace> Load(CCSession session, CancellationToken token)
            => new List<CCProjectSpace>(new CommCareClient(session, null, token).Identity.UserDomains(false, null));
    }
}
