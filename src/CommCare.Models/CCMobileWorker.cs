using System;
using System.Collections.Generic;

namespace CommCare.Models
{
    /// <summary>A mobile worker (CommCare user on phones).</summary>
    public sealed class CCMobileWorker
    {
        public string Id { get; internal set; } = "";
        public string? Domain { get; internal set; }
        /// <summary>The full user name: name@project.commcarehq.org.</summary>
        public string UserName { get; internal set; } = "";
        public string? FirstName { get; internal set; }
        public string? LastName { get; internal set; }
        public string? Email { get; internal set; }
        public string? Language { get; internal set; }
        public string? DefaultPhoneNumber { get; internal set; }
        public IReadOnlyList<string> PhoneNumbers { get; internal set; } = Array.Empty<string>();
        /// <summary>Ids of the groups the worker is in.</summary>
        public IReadOnlyList<string> Groups { get; internal set; } = Array.Empty<string>();
        /// <summary>Ids of the worker's locations.</summary>
        public IReadOnlyList<string> Locations { get; internal set; } = Array.Empty<string>();
        public string? PrimaryLocation { get; internal set; }
        /// <summary>Role name.</summary>
        public string? Role { get; internal set; }
        public IDictionary<string, object?> UserData { get; internal set; } = new Dictionary<string, object?>(StringComparer.Ordinal);
        /// <summary>False for deactivated (archived) workers, true for active ones; null when the server did not say.</summary>
        public bool? IsActive { get; internal set; }
        public string? Eulas { get; internal set; }
        public string? ResourceUri { get; internal set; }
        /// <summary>With -IncludeExtras: form counts for the last 30 days and last month.</summary>
        public IDictionary<string, object?>? Extras { get; internal set; }
        /// <summary>Set only by New-CCMobileWorker -GeneratePassword: the password it made, shown this once.</summary>
        public string? GeneratedPassword { get; internal set; }
        public IDictionary<string, object?>? AdditionalFields { get; internal set; }

        /// <summary>The part before '@'.</summary>
        public string ShortUserName => UserName.IndexOf('@') is int at && at > 0 ? UserName.Substring(0, at) : UserName;

        /// <summary>Keys of the open-ended field across this record's page (for tables); set by the client library.</summary>
        internal CCColumnKeys? ColumnKeys;
        public override string ToString() => UserName;
    }
}

namespace CommCare.Models
{
    /// <summary>What to write for a mobile worker: null fields are not sent (left unchanged on update).</summary>
    public sealed class CCMobileWorkerSpec
    {
        public string? UserName { get; set; }
        public System.Security.SecureString? Password { get; set; }
        public string? FirstName { get; set; }
        public string? LastName { get; set; }
        public string? Email { get; set; }
        public string? Language { get; set; }
        public IList<string>? PhoneNumbers { get; set; }
        public IList<string>? Groups { get; set; }
        public IList<string>? Locations { get; set; }
        public string? PrimaryLocation { get; set; }
        public string? Role { get; set; }
        public IDictionary<string, object?>? UserData { get; set; }
        public bool? RequireAccountConfirmation { get; set; }
        public bool? SendConfirmationEmail { get; set; }
    }
}
