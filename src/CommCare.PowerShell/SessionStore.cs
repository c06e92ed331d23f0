using System;
using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;
using System.Security;
using CommCare.Models;

namespace CommCare.PowerShell
{
    /// <summary>
    /// The default session of each runspace. Not process-wide, so Azure Automation jobs sharing a
    /// sandbox, or parallel runspaces, never see each other's connection (docs/architecture.md#sessions-and-engines). Nothing on disk.
    /// </summary>
    internal static class SessionStore
    {
        private sealed class Holder { public CCSession? Session; }
        private static readonly ConditionalWeakTable<Runspace, Holder> ByRunspace = new ConditionalWeakTable<Runspace, Holder>();

        private static Holder Current()
        {
            var rs = Runspace.DefaultRunspace;
            if (rs == null) throw new InvalidOperationException("No runspace on this thread.");
            return ByRunspace.GetValue(rs, _ => new Holder());
        }

        public static CCSession? Get() => Current().Session;
        public static void Set(CCSession? session) => Current().Session = session;

        /// <summary>A session from COMMCARE_SERVER / COMMCARE_DOMAIN / COMMCARE_USERNAME / COMMCARE_API_KEY,
        /// or null when they are not all set.</summary>
        public static CCSession? FromEnvironment(Func<string, Uri> resolveServer)
        {
            string? domain = Environment.GetEnvironmentVariable("COMMCARE_DOMAIN");
            string? user = Environment.GetEnvironmentVariable("COMMCARE_USERNAME");
            string? key = Environment.GetEnvironmentVariable("COMMCARE_API_KEY");
            if (string.IsNullOrEmpty(domain) || string.IsNullOrEmpty(user) || string.IsNullOrEmpty(key)) return null;
            string server = Environment.GetEnvironmentVariable("COMMCARE_SERVER") ?? "www";
            var secure = new SecureString();
            foreach (char c in key!) secure.AppendChar(c);
            return CCSession.Create(resolveServer(server), domain!, user, secure);
        }
    }
}
