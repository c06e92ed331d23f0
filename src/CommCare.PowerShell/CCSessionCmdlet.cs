using System;
using System.Management.Automation;
using CommCare.Models;

namespace CommCare.PowerShell
{
    /// <summary>Base of cmdlets that talk to a server: resolves -Session, else the runspace default,
    /// else the COMMCARE_* environment variables, else a clear "not connected" error.</summary>
    public abstract class CCSessionCmdlet : CCCmdlet
    {
        /// <summary>The session to use (from Connect-CCServer -PassThru). Default: the current runspace's session.</summary>
        [Parameter]
        [ValidateNotNull]
        public CCSession? Session { get; set; }

        /// <summary>The resolved session; set in BeginProcessing.</summary>
        protected CCSession ActiveSession { get; private set; } = null!;

        protected override void BeginProcessing()
        {
            base.BeginProcessing();
            ActiveSession = Session ?? SessionStore.Get() ?? FromEnvironment() ?? NotConnected();
        }

        private CCSession? FromEnvironment()
        {
            try
            {
                var s = SessionStore.FromEnvironment(ClientCalls.ResolveServer);
                if (s != null)
                {
                    WriteVerbose($"Using the COMMCARE_* environment variables: {s}.");
                    SessionStore.Set(s);
                }
                return s;
            }
            catch (ArgumentException ex)
            {
                ThrowTerminatingError(new ErrorRecord(ex, "CommCare.InvalidEnvironment", ErrorCategory.InvalidArgument, null));
                return null;
            }
        }

        private CCSession NotConnected()
        {
            Terminate(new CCApiException(CCErrorKind.NotConnected,
                "Not connected to CommCare HQ. Run Connect-CCServer -Domain <project> -Credential <web user e-mail + API key> first, " +
                "pass -Session, or set COMMCARE_DOMAIN, COMMCARE_USERNAME and COMMCARE_API_KEY (and COMMCARE_SERVER)."));
            return null!;
        }
    }
}
