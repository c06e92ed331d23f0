using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using CommCare.Models;

namespace CommCare.Client.Api
{
    /// <summary>
    /// What a write of a mobile worker would really change. A CSV made from Get-CCMobileWorker and read
    /// back holds every field; sending only the fields that differ from the server makes a round trip the
    /// identity and an edited cell exactly one change.
    /// </summary>
    public static class UserChanges
    {
        /// <summary>The fields of <paramref name="wanted"/> that differ from <paramref name="current"/>, and their
        /// names; null when nothing would change. The password is always a change when given (it cannot be read).</summary>
        public static (CCMobileWorkerSpec? Changes, IReadOnlyList<string> Fields) Diff(CCMobileWorker current, CCMobileWorkerSpec wanted)
        {
            var d = new CCMobileWorkerSpec();
            var fields = new List<string>();
            if (wanted.Password != null) { d.Password = wanted.Password; fields.Add("Password"); }
            d.FirstName = Text(current.FirstName, wanted.FirstName, "FirstName", fields);
            d.LastName = Text(current.LastName, wanted.LastName, "LastName", fields);
            // The server stores e-mail addresses lower-cased.
            d.Email = Text(current.Email, wanted.Email, "Email", fields, StringComparer.OrdinalIgnoreCase);
            d.Language = Text(current.Language, wanted.Language, "Language", fields);
            d.Role = Text(current.Role, wanted.Role, "Role", fields);
            if (wanted.PhoneNumbers != null)
            {
                // Order matters: the first number is the default one.
                var now = current.PhoneNumbers.Select(p => PhoneNumbers.Normalize(p) ?? p).ToList();
                var want = wanted.PhoneNumbers.Select(p => PhoneNumbers.Normalize(p) ?? p).ToList();
                if (!now.SequenceEqual(want, StringComparer.Ordinal)) { d.PhoneNumbers = wanted.PhoneNumbers; fields.Add("PhoneNumber"); }
            }
            if (wanted.Groups != null && !SameSet(current.Groups, wanted.Groups)) { d.Groups = wanted.Groups; fields.Add("Group"); }
            bool locations = wanted.Locations != null && !SameSet(current.Locations, wanted.Locations);
            bool primary = wanted.PrimaryLocation != null && !string.Equals(wanted.PrimaryLocation, current.PrimaryLocation, StringComparison.Ordinal);
            if (locations || primary)
            {
                // The server takes the primary location only together with the list.
                d.Locations = wanted.Locations ?? current.Locations.ToList();
                d.PrimaryLocation = wanted.PrimaryLocation ?? (d.Locations.Contains(current.PrimaryLocation ?? "") ? current.PrimaryLocation : null);
                if (locations) fields.Add("Location");
                if (primary) fields.Add("PrimaryLocation");
            }
            if (wanted.UserData != null)
            {
                Dictionary<string, object?>? data = null;
                foreach (var kv in wanted.UserData)
                {
                    current.UserData.TryGetValue(kv.Key, out var now);
                    if (SameValue(now, kv.Value)) continue;
                    (data ??= new Dictionary<string, object?>(StringComparer.Ordinal))[kv.Key] = kv.Value;
                    fields.Add("user_data." + kv.Key);
                }
                d.UserData = data;
            }
            d.RequireAccountConfirmation = wanted.RequireAccountConfirmation;
            if (wanted.SendConfirmationEmail == true) { d.SendConfirmationEmail = true; fields.Add("SendConfirmationEmail"); }
            return (fields.Count == 0 ? null : d, fields);
        }

        private static string? Text(string? now, string? want, string field, List<string> fields, StringComparer? cmp = null)
        {
            if (want == null) return null;
            if ((cmp ?? StringComparer.Ordinal).Equals(now ?? "", want)) return null;
            fields.Add(field);
            return want;
        }

        private static bool SameSet(IEnumerable<string> a, IEnumerable<string> b)
            => new HashSet<string>(a, StringComparer.Ordinal).SetEquals(b);

        /// <summary>User data compares as text: a CSV cell "5" is the server's 5, and a missing key is an empty one.</summary>
        internal static bool SameValue(object? now, object? want) => string.Equals(AsText(now), AsText(want), StringComparison.Ordinal);

        private static string AsText(object? v) => v switch
        {
            null => "",
            string s => s,
            bool b => b ? "true" : "false",
            IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
            _ => v.ToString() ?? "",
        };
    }

    /// <summary>Phone numbers as CommCare stores them: digits only, no leading '+'.</summary>
    public static class PhoneNumbers
    {
        private static readonly Regex Separators = new Regex(@"[\s\-().]", RegexOptions.CultureInvariant);
        private static readonly Regex Digits = new Regex(@"^[0-9]{3,20}$", RegexOptions.CultureInvariant);

        /// <summary>"+255 712-345 678" → "255712345678"; null when the text is not a phone number.</summary>
        public static string? Normalize(string? text)
        {
            if (text == null) return null;
            string t = Separators.Replace(text.Trim(), "");
            if (t.StartsWith("+", StringComparison.Ordinal)) t = t.Substring(1);
            return Digits.IsMatch(t) ? t : null;
        }
    }

    /// <summary>Values that would corrupt data if sent: what PowerShell writes for an object it cannot show as text.</summary>
    public static class WriteValues
    {
        // "System.Object[]", "System.Collections.Generic.List`1[System.String]", "System.Collections.Hashtable",
        // "CommCare.Models.CCCaseIndex": a type name where a value should be (Export-Csv of a list or dictionary).
        private static readonly Regex TypeName = new Regex(@"^(System|Microsoft|CommCare)\.[A-Za-z_][\w.`+]*(\[.*\])?$", RegexOptions.CultureInvariant);

        public static bool IsTypeName(string? text) => text != null && TypeName.IsMatch(text.Trim());
    }
}

namespace CommCare.Client.Api
{
    /// <summary>Finds the location a person means: by id, by site code, or by name, as groups are found.</summary>
    public sealed class LocationNames
    {
        private readonly Dictionary<string, CCLocation> _byId = new Dictionary<string, CCLocation>(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, CCLocation> _bySiteCode = new Dictionary<string, CCLocation>(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, List<CCLocation>> _byName = new Dictionary<string, List<CCLocation>>(StringComparer.OrdinalIgnoreCase);

        public LocationNames(IEnumerable<CCLocation> all)
        {
            foreach (var l in all)
            {
                _byId[l.Id] = l;
                if (!string.IsNullOrEmpty(l.SiteCode)) _bySiteCode[l.SiteCode!] = l;
                if (!_byName.TryGetValue(l.Name, out var list)) _byName[l.Name] = list = new List<CCLocation>();
                list.Add(l);
            }
        }

        /// <summary>The location id, or null with the reason (unknown, or a name several locations share).</summary>
        public string? Resolve(string value, out string? problem)
        {
            problem = null;
            string v = value.Trim();
            if (_byId.TryGetValue(v, out var l) || _bySiteCode.TryGetValue(v, out l)) return l.Id;
            if (_byName.TryGetValue(v, out var named))
            {
                if (named.Count == 1) return named[0].Id;
                problem = $"location '{v}' is ambiguous: {named.Count} locations have that name (site codes {string.Join(", ", named.Select(n => n.SiteCode))}); give the site code or id instead.";
                return null;
            }
            problem = $"there is no location '{v}' in the project (give a location id, site code or exact name; Get-CCLocation lists them).";
            return null;
        }
    }
}
