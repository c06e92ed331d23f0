using System;
using System.Management.Automation;
using System.Security;

namespace CommCare.PowerShell
{
    /// <summary>
    /// Lets a SecureString parameter take plain text too (a CSV column, an environment variable).
    /// Without it PowerShell silently drops string values bound by property name (docs/architecture.md#cmdlets).
    /// </summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    public sealed class SecureStringTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
        {
            object? value = inputData is PSObject pso ? pso.BaseObject : inputData;
            switch (value)
            {
                case null: return null;
                case SecureString s: return s;
                case string text:
                    var secure = new SecureString();
                    foreach (char c in text) secure.AppendChar(c);
                    secure.MakeReadOnly();
                    return secure;
                default:
                    throw new ArgumentTransformationMetadataException("Give the secret as a SecureString (Read-Host -AsSecureString) or as text.");
            }
        }
    }
}
