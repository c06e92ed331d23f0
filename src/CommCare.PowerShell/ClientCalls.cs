using System;
using CommCare.Client.Api;

namespace CommCare.PowerShell
{
    /// <summary>The few Client calls base classes need, kept in method bodies so Client loads lazily,
    /// after the resolver is in place.</summary>
    internal static class ClientCalls
    {
        public static Uri ResolveServer(string server) => CCServers.Resolve(server);
    }
}
