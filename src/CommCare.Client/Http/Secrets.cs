using System;
using System.Runtime.InteropServices;
using System.Security;

namespace CommCare.Client.Http
{
    /// <summary>The one way a secret leaves its SecureString: just before it is written to a request.</summary>
    internal static class Secrets
    {
        public static string Reveal(SecureString secure)
        {
            IntPtr p = IntPtr.Zero;
            try
            {
                p = Marshal.SecureStringToGlobalAllocUnicode(secure);
                return Marshal.PtrToStringUni(p) ?? "";
            }
            finally
            {
                if (p != IntPtr.Zero) Marshal.ZeroFreeGlobalAllocUnicode(p);
            }
        }
    }
}
