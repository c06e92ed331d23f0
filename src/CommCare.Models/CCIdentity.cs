using System;

namespace CommCare.Models
{
    /// <summary>The user the credentials belong to (identity API).</summary>
    public sealed class CCIdentity
    {
        public string? Id { get; internal set; }
        public string? UserName { get; internal set; }
        public string? FirstName { get; internal set; }
        public string? LastName { get; internal set; }
        public string? Email { get; internal set; }
        public override string ToString() => UserName ?? "";
    }

    /// <summary>A project space the credentials can use (user_domains).</summary>
    public sealed class CCProjectSpace
    {
        public string Domain { get; internal set; } = "";
        public string? ProjectName { get; internal set; }
        public override string ToString() => Domain;
    }

    /// <summary>The answer of the SSO credential check.</summary>
    public sealed class CCCredentialCheck
    {
        public string UserName { get; internal set; } = "";
        /// <summary>The user name and password are right, and the user is a member of the project space.</summary>
        public bool Valid { get; internal set; }
        public string? UserId { get; internal set; }
        /// <summary>The user as the server describes it (when valid).</summary>
        public System.Collections.Generic.IDictionary<string, object?>? User { get; internal set; }
        public override string ToString() => $"{UserName}: {(Valid ? "valid" : "not valid")}";
    }
}
