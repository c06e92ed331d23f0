using System;
using System.Collections.Generic;

namespace CommCare.Models
{
    /// <summary>A web user of the project (people who use CommCare HQ in a browser).</summary>
    public sealed class CCWebUser
    {
        public string Id { get; internal set; } = "";
        public string? Domain { get; internal set; }
        public string UserName { get; internal set; } = "";
        public string? FirstName { get; internal set; }
        public string? LastName { get; internal set; }
        public string? Email { get; internal set; }
        public string? DefaultPhoneNumber { get; internal set; }
        public IReadOnlyList<string> PhoneNumbers { get; internal set; } = Array.Empty<string>();
        /// <summary>Role name.</summary>
        public string? Role { get; internal set; }
        public bool IsAdmin { get; internal set; }
        public IDictionary<string, object?> Permissions { get; internal set; } = new Dictionary<string, object?>(StringComparer.Ordinal);
        public string? PrimaryLocationId { get; internal set; }
        public IReadOnlyList<string> AssignedLocationIds { get; internal set; } = Array.Empty<string>();
        public string? Profile { get; internal set; }
        public IDictionary<string, object?> UserData { get; internal set; } = new Dictionary<string, object?>(StringComparer.Ordinal);
        public string? TableauRole { get; internal set; }
        public IReadOnlyList<string> TableauGroups { get; internal set; } = Array.Empty<string>();
        /// <summary>Whether the membership in this project is active (null when the server did not say).</summary>
        public bool? IsActive { get; internal set; }
        public string? ResourceUri { get; internal set; }
        public IDictionary<string, object?>? AdditionalFields { get; internal set; }
        /// <summary>Keys of the open-ended field across this record's page (for tables); set by the client library.</summary>
        internal CCColumnKeys? ColumnKeys;
        public override string ToString() => UserName;
    }

    /// <summary>An invitation for someone to join the project as a web user.</summary>
    public sealed class CCWebUserInvitation
    {
        public string Id { get; internal set; } = "";
        public string? Domain { get; internal set; }
        public string Email { get; internal set; } = "";
        public string? Role { get; internal set; }
        public string? PrimaryLocationId { get; internal set; }
        public IReadOnlyList<string> AssignedLocationIds { get; internal set; } = Array.Empty<string>();
        public string? Profile { get; internal set; }
        public IDictionary<string, object?> UserData { get; internal set; } = new Dictionary<string, object?>(StringComparer.Ordinal);
        public string? ResourceUri { get; internal set; }
        public override string ToString() => Email;
    }

    /// <summary>What to write for a web user or an invitation: null fields are not sent.</summary>
    public sealed class CCWebUserSpec
    {
        public string? Email { get; set; }
        public string? Role { get; set; }
        public IList<string>? AssignedLocationIds { get; set; }
        public string? PrimaryLocationId { get; set; }
        public string? Profile { get; set; }
        public IDictionary<string, object?>? UserData { get; set; }
        public string? TableauRole { get; set; }
        public IList<string>? TableauGroups { get; set; }
    }
}
