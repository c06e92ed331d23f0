using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Reflection;
#if NET8_0_OR_GREATER
using System.Runtime.InteropServices;
using System.Runtime.Loader;
#endif

namespace CommCare.PowerShell
{
    /// <summary>
    /// Loads CommCare.Client and its dependencies (Polly, Microsoft.Extensions.*, polyfills) from the
    /// module's dependencies/ folder without colliding with other modules in the same process (Az in a
    /// runbook). PowerShell 7+: a private AssemblyLoadContext made by reflection (we target
    /// netstandard2.0), preloaded with every dependency the runtime does not already satisfy, so
    /// binds inside it find our copies first. Windows PowerShell 5.1: AssemblyResolve serves our copy
    /// for any requested version up to the one we ship (no binding redirects there).
    /// The net8.0 build (PowerShell 7.4+) ships no copy of anything .NET 8 has, and its context loads
    /// a dependency only when it is first asked for (no preloading, no version probing at import).
    /// The database export's assemblies (CommCare.Database, Microsoft.Data.Sqlite, SQLitePCLRaw, Npgsql and
    /// what only they need) live in each build's dependencies/database/ and load only when a database export
    /// runs; the native SQLite library for the platform is then served from dependencies/database/runtimes/RID/native/.
    /// </summary>
    public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
    {
        private static readonly object Gate = new object();
        private static readonly string ModuleDir = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!;
        private static readonly string DependencyDir = Path.Combine(ModuleDir, "dependencies");
        private static readonly string DatabaseDir = Path.Combine(DependencyDir, "database");
#if !NET8_0_OR_GREATER
        private static readonly bool IsCore = Type.GetType("System.Runtime.Loader.AssemblyLoadContext") != null;
#endif
        private static bool _hooked;

        public void OnImport()
        {
            lock (Gate)
            {
                if (_hooked) return;   // Import-Module -Force runs this again: one handler is enough
                _hooked = true;
#if NET8_0_OR_GREATER
                AssemblyLoadContext.Default.Resolving += ResolveFromDefault;
#else
                AppDomain.CurrentDomain.AssemblyResolve += Resolve;
#endif
            }
#if !NET8_0_OR_GREATER
            if (!IsCore)
            {
                // Windows PowerShell: allow TLS 1.2 without removing what the process already allows.
                System.Net.ServicePointManager.SecurityProtocol |= System.Net.SecurityProtocolType.Tls12;
            }
#endif
        }

        public void OnRemove(PSModuleInfo psModuleInfo)
        {
            // Keep the handler: types already loaded from our context stay in use by existing sessions,
            // and a later Import-Module of this same copy relies on it.
        }

        /// <summary>Name of the load context CommCare.Client lives in (for tests and diagnostics).</summary>
        public static string LoadContextName => "CommCare";

#if NET8_0_OR_GREATER
        private static readonly DependencyLoadContext Context = new DependencyLoadContext();

        // The default context asks only for what it cannot find itself: our cmdlets asking for CommCare.Client
        // (or CommCare.Database, when a database export runs).
        private static Assembly? ResolveFromDefault(AssemblyLoadContext from, AssemblyName name)
            => name.Name == "CommCare.Client" || name.Name == "CommCare.Database" ? Context.LoadFromAssemblyName(name) : null;

        private sealed class DependencyLoadContext : AssemblyLoadContext
        {
            public DependencyLoadContext() : base(LoadContextName) { }

            // dependencies/<os>-<arch>/ holds the start-up assemblies precompiled (ReadyToRun) for .NET 10
            // (PowerShell 7.6) on that platform; dependencies/ everything, as IL (bench/README.md);
            // dependencies/database/ what only a database export asks for.
            private static readonly string[] Dirs = Environment.Version.Major >= 10
                ? new[] { Path.Combine(DependencyDir, Platform()), DependencyDir, DatabaseDir }
                : new[] { DependencyDir, DatabaseDir };

            private static string Platform()
            {
                string os = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "win" : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? "osx" : "linux";
                return os + "-" + RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
            }

            protected override Assembly? Load(AssemblyName name)
            {
                // The public models are shared with scripts: always the copy in the default context.
                if (name.Name == "CommCare.Models") return typeof(CommCare.Models.CCSession).Assembly;
                foreach (string dir in Dirs)
                {
                    string path = Path.Combine(dir, name.Name + ".dll");
                    if (File.Exists(path)) return LoadFromAssemblyPath(path);
                }
                return null;   // the runtime's own
            }

            // SQLitePCLRaw's DllImport asks for the bare name "e_sqlite3": serve the platform's shipped copy.
            protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
            {
                string? path = NativeLibraries.IsSqlite(unmanagedDllName) ? NativeLibraries.PathOf(DatabaseDir, NativeLibraries.Sqlite) : null;
                return path == null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
            }
        }
#else
        private static Dictionary<string, (string Path, Version Version)>? _deps;
        private static bool _databaseLoaded;
        private static object? _alc;
        private static MethodInfo? _loadFromPath;
        private static readonly Dictionary<string, Assembly> Loaded = new Dictionary<string, Assembly>(StringComparer.OrdinalIgnoreCase);

        private static Dictionary<string, (string Path, Version Version)> Deps()
        {
            if (_deps != null) return _deps;
            var map = new Dictionary<string, (string Path, Version Version)>(StringComparer.OrdinalIgnoreCase);
            foreach (var dir in new[] { DependencyDir, DatabaseDir })
                if (Directory.Exists(dir))
                foreach (var file in Directory.GetFiles(dir, "*.dll"))
                {
                    try
                    {
                        var name = AssemblyName.GetAssemblyName(file);
                        map[name.Name!] = (file, name.Version ?? new Version(0, 0));
                    }
                    catch (BadImageFormatException) { }
                }
            return _deps = map;
        }

        private static Assembly? Resolve(object? sender, ResolveEventArgs args)
        {
            string? simple = new AssemblyName(args.Name).Name;
            // Only serve our own code: another module asking for Polly gets its own resolution.
            var requester = args.RequestingAssembly;
            if (requester != null && !IsOurs(requester) && simple != "CommCare.Client" && simple != "CommCare.Models") return null;
            string? path = DependencyFor(args.Name);
            if (path == null || simple == null) return null;
            // The public models are shared with scripts: always the copy beside this assembly.
            if (simple == "CommCare.Models") return typeof(CommCare.Models.CCSession).Assembly;
            lock (Gate)
            {
                if (Loaded.TryGetValue(simple, out var done)) return done;
                if (IsDatabase(path) && !_databaseLoaded) LoadDatabase();
                if (Loaded.TryGetValue(simple, out done)) return done;
                Assembly asm = IsCore ? LoadIsolated(simple, path) : Assembly.LoadFrom(path);
                Loaded[simple] = asm;
                return asm;
            }
        }

        private static bool IsDatabase(string path) => string.Equals(Path.GetDirectoryName(path), DatabaseDir, StringComparison.OrdinalIgnoreCase);

        /// <summary>The first request for a database assembly: make the native SQLite library findable, and on
        /// PowerShell 7 put every database assembly in our context (as the others were) before binds start.</summary>
        private static void LoadDatabase()
        {
            _databaseLoaded = true;
            if (IsCore)
            {
                EnsureContext();
                NativeLibraries.HookContext(_alc!, DatabaseDir);
                var platform = PlatformVersions();
                foreach (var kv in Deps())
                {
                    if (!IsDatabase(kv.Value.Path) || Loaded.ContainsKey(kv.Key)) continue;
                    if (platform.TryGetValue(kv.Key, out var v) && v >= kv.Value.Version) continue;
                    Loaded[kv.Key] = (Assembly)_loadFromPath!.Invoke(_alc, new object[] { kv.Value.Path })!;
                }
            }
            else NativeLibraries.PreloadWindows(DatabaseDir);
        }

        /// <summary>
        /// The file the resolve handler serves to our code for an assembly reference ("Name, Version=...");
        /// null when it leaves the reference to the runtime. The build's closure test asks it about every
        /// reference .NET Framework 4.7.2 cannot bind.
        /// </summary>
        public static string? DependencyFor(string assemblyName)
        {
            var requested = new AssemblyName(assemblyName);
            if (requested.Name == null) return null;
            if (requested.Name == "CommCare.Models") return Path.Combine(ModuleDir, "CommCare.Models.dll");
            if (!Deps().TryGetValue(requested.Name, out var dep)) return null;
            // Any version up to the one we ship: 5.1 has no binding redirects, and these only add API.
            if (requested.Version != null && requested.Version > dep.Version) return null;
            return dep.Path;
        }

        private static bool IsOurs(Assembly a)
        {
            string? name = a.GetName().Name;
            if (name != null && name.StartsWith("CommCare.", StringComparison.Ordinal)) return true;
            try
            {
                string loc = a.Location;
                return !string.IsNullOrEmpty(loc) && loc.StartsWith(DependencyDir, StringComparison.OrdinalIgnoreCase);
            }
            catch (NotSupportedException) { return false; }
        }

        private static Assembly LoadIsolated(string simple, string path)
        {
            EnsureContext();
            if (Loaded.TryGetValue(simple, out var loaded)) return loaded;
            return Assembly.Load(new AssemblyName(simple));   // provided by the platform
        }

        private static void EnsureContext()
        {
            if (_alc == null)
            {
                var alcType = Type.GetType("System.Runtime.Loader.AssemblyLoadContext", throwOnError: true)!;
                _alc = Activator.CreateInstance(alcType, LoadContextName, false);
                _loadFromPath = alcType.GetMethod("LoadFromAssemblyPath", new[] { typeof(string) });
                // Preload every dependency the runtime does not already provide at our version or higher,
                // so binds inside our context find our copies before falling back to the default context
                // (where another module may have loaded an older Polly or Microsoft.Extensions).
                var platform = PlatformVersions();
                // The database's assemblies wait for a database export (LoadDatabase).
                foreach (var kv in Deps())
                {
                    if (IsDatabase(kv.Value.Path)) continue;
                    if (platform.TryGetValue(kv.Key, out var v) && v >= kv.Value.Version) continue;
                    var asm = (Assembly)_loadFromPath!.Invoke(_alc, new object[] { kv.Value.Path })!;
                    Loaded[kv.Key] = asm;
                }
            }
        }

        /// <summary>Versions of our dependency names that the runtime itself ships (TPA list).</summary>
        private static Dictionary<string, Version> PlatformVersions()
        {
            var result = new Dictionary<string, Version>(StringComparer.OrdinalIgnoreCase);
            var tpa = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string;
            if (string.IsNullOrEmpty(tpa)) return result;
            var wanted = Deps();
            foreach (var path in tpa!.Split(Path.PathSeparator))
            {
                string name = Path.GetFileNameWithoutExtension(path);
                if (!wanted.ContainsKey(name)) continue;
                try { result[name] = AssemblyName.GetAssemblyName(path).Version ?? new Version(0, 0); }
                catch (Exception) { }
            }
            return result;
        }
#endif
    }
}
