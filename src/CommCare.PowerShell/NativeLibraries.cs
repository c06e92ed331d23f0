using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;

namespace CommCare.PowerShell
{
    /// <summary>
    /// The native SQLite library (e_sqlite3) shipped for each platform in runtimes/RID/native/. SQLitePCLRaw
    /// asks for it by the bare name "e_sqlite3", which neither runtime would look for in our folder.
    /// PowerShell 7.4+ (net8.0 build): our load context's LoadUnmanagedDll answers with the platform's copy;
    /// the netstandard2.0 build on PowerShell 7: its context's ResolvingUnmanagedDll event does.
    /// Windows PowerShell 5.1: the copy is loaded by full path first; Windows then finds the already loaded
    /// module by name when SQLitePCLRaw's DllImport asks for it.
    /// </summary>
    internal static class NativeLibraries
    {
        internal const string Sqlite = "e_sqlite3";

        /// <summary>The runtime identifier whose native folder fits this process (null: a platform we ship none for).</summary>
        internal static string? Rid()
        {
            string? arch;
            switch (RuntimeInformation.ProcessArchitecture)
            {
                case Architecture.X64: arch = "x64"; break;
                case Architecture.X86: arch = "x86"; break;
                case Architecture.Arm64: arch = "arm64"; break;
                default: arch = null; break;
            }
            if (arch == null) return null;
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) return "win-" + arch;
            if (RuntimeInformation.IsOSPlatform(OSPlatform.OSX)) return "osx-" + arch;
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) return (IsMusl() ? "linux-musl-" : "linux-") + arch;
            return null;
        }

        // Alpine and other musl systems have the musl loader in /lib; glibc builds of SQLite do not load there.
        private static bool IsMusl()
        {
            try { return Directory.Exists("/lib") && Directory.GetFiles("/lib", "ld-musl-*.so.1").Length > 0; }
            catch (IOException) { return false; }
            catch (UnauthorizedAccessException) { return false; }
        }

        internal static string FileName(string library)
            => RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? library + ".dll"
             : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? "lib" + library + ".dylib"
             : "lib" + library + ".so";

        /// <summary>The shipped copy for this platform, or null when there is none.</summary>
        internal static string? PathOf(string databaseDir, string library)
        {
            string? rid = Rid();
            if (rid == null) return null;
            string path = Path.Combine(databaseDir, "runtimes", rid, "native", FileName(library));
            return File.Exists(path) ? path : null;
        }

        /// <summary>PowerShell 7: answers our load context's requests for e_sqlite3 with the shipped copy.</summary>
        internal static void HookContext(object loadContext, string databaseDir)
        {
            var ev = loadContext.GetType().GetEvent("ResolvingUnmanagedDll");
            var load = Type.GetType("System.Runtime.InteropServices.NativeLibrary")?.GetMethod("Load", new[] { typeof(string) });
            if (ev == null || load == null) return;
            Func<Assembly, string, IntPtr> handler = (asm, name) =>
            {
                if (!IsSqlite(name)) return IntPtr.Zero;
                string? path = PathOf(databaseDir, Sqlite);
                return path == null ? IntPtr.Zero : (IntPtr)load.Invoke(null, new object[] { path })!;
            };
            ev.AddEventHandler(loadContext, handler);
        }

        internal static bool IsSqlite(string name)
        {
            string n = Path.GetFileNameWithoutExtension(name);
            return n == Sqlite || n == "lib" + Sqlite;
        }

        /// <summary>Windows PowerShell: loads the shipped copy by full path so the bare-name DllImport finds it.</summary>
        internal static void PreloadWindows(string databaseDir)
        {
            if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows)) return;
            string? path = PathOf(databaseDir, Sqlite);
            if (path != null) LoadLibraryW(path);
        }

        [DllImport("kernel32", CharSet = CharSet.Unicode, SetLastError = true)]
        private static extern IntPtr LoadLibraryW(string path);
    }
}
