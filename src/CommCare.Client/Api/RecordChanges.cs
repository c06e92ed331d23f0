using System;
using System.Collections.Generic;
using System.Linq;
using CommCare.Models;

namespace CommCare.Client.Api
{
    /// <summary>What a group or location write would really change: only what differs from the server is sent,
    /// so a CSV from Get-CCGroup or Get-CCLocation piped back unchanged writes nothing.</summary>
    public static class RecordChanges
    {
        /// <summary>The fields of <paramref name="wanted"/> that differ from <paramref name="current"/>; null when none.
        /// Metadata is merged into the group's (keys not given keep their values).</summary>
        public static (CCGroupSpec? Changes, IReadOnlyList<string> Fields) Diff(CCGroup current, CCGroupSpec wanted)
        {
            var d = new CCGroupSpec();
            var fields = new List<string>();
            if (wanted.Name != null && !string.Equals(wanted.Name, current.Name, StringComparison.Ordinal)) { d.Name = wanted.Name; fields.Add("Name"); }
            if (wanted.CaseSharing.HasValue && wanted.CaseSharing != current.CaseSharing) { d.CaseSharing = wanted.CaseSharing; fields.Add("CaseSharing"); }
            if (wanted.Reporting.HasValue && wanted.Reporting != current.Reporting) { d.Reporting = wanted.Reporting; fields.Add("Reporting"); }
            if (wanted.Users != null && !new HashSet<string>(current.Users, StringComparer.Ordinal).SetEquals(wanted.Users)) { d.Users = wanted.Users; fields.Add("UserId"); }
            var meta = Merge(current.Metadata, wanted.Metadata, "metadata.", fields);
            if (meta != null) d.Metadata = meta;
            return (fields.Count == 0 ? null : d, fields);
        }

        /// <summary>The same for a location; location_data is merged (the server replaces it, so the merged whole is sent).</summary>
        public static (CCLocationSpec? Changes, IReadOnlyList<string> Fields) Diff(CCLocation current, CCLocationSpec wanted)
        {
            var d = new CCLocationSpec();
            var fields = new List<string>();
            if (wanted.Name != null && !string.Equals(wanted.Name, current.Name, StringComparison.Ordinal)) { d.Name = wanted.Name; fields.Add("Name"); }
            if (wanted.LocationType != null && !string.Equals(wanted.LocationType, current.LocationType, StringComparison.Ordinal)) { d.LocationType = wanted.LocationType; fields.Add("LocationType"); }
            if (wanted.SiteCode != null && !string.Equals(wanted.SiteCode, current.SiteCode, StringComparison.Ordinal)) { d.SiteCode = wanted.SiteCode; fields.Add("SiteCode"); }
            if (wanted.ParentId != null && !string.Equals(wanted.ParentId, current.ParentId, StringComparison.Ordinal)) { d.ParentId = wanted.ParentId; fields.Add("ParentId"); }
            if (wanted.Latitude.HasValue && wanted.Latitude != current.Latitude) { d.Latitude = wanted.Latitude; fields.Add("Latitude"); }
            if (wanted.Longitude.HasValue && wanted.Longitude != current.Longitude) { d.Longitude = wanted.Longitude; fields.Add("Longitude"); }
            var data = Merge(current.LocationData, wanted.LocationData, "location_data.", fields);
            if (data != null) d.LocationData = data;
            return (fields.Count == 0 ? null : d, fields);
        }

        /// <summary>The same for a web user; user data is merged by the server, so only the changed keys are sent.</summary>
        public static (CCWebUserSpec? Changes, IReadOnlyList<string> Fields) Diff(CCWebUser current, CCWebUserSpec wanted)
        {
            var d = new CCWebUserSpec();
            var fields = new List<string>();
            if (wanted.Role != null && !string.Equals(wanted.Role, current.Role, StringComparison.Ordinal)) { d.Role = wanted.Role; fields.Add("Role"); }
            bool locations = wanted.AssignedLocationIds != null && !new HashSet<string>(current.AssignedLocationIds, StringComparer.Ordinal).SetEquals(wanted.AssignedLocationIds);
            bool primary = wanted.PrimaryLocationId != null && !string.Equals(wanted.PrimaryLocationId, current.PrimaryLocationId, StringComparison.Ordinal);
            if (locations || primary)
            {
                // Sent together, as the server wants them.
                d.AssignedLocationIds = wanted.AssignedLocationIds ?? current.AssignedLocationIds.ToList();
                d.PrimaryLocationId = wanted.PrimaryLocationId ?? current.PrimaryLocationId;
                if (locations) fields.Add("Location");
                if (primary) fields.Add("PrimaryLocation");
            }
            if (wanted.Profile != null && !string.Equals(wanted.Profile, current.Profile ?? "", StringComparison.Ordinal)) { d.Profile = wanted.Profile; fields.Add("Profile"); }
            if (wanted.TableauRole != null && !string.Equals(wanted.TableauRole, current.TableauRole, StringComparison.Ordinal)) { d.TableauRole = wanted.TableauRole; fields.Add("TableauRole"); }
            if (wanted.TableauGroups != null && !current.TableauGroups.SequenceEqual(wanted.TableauGroups, StringComparer.Ordinal)) { d.TableauGroups = wanted.TableauGroups; fields.Add("TableauGroup"); }
            if (wanted.UserData != null)
                foreach (var kv in wanted.UserData)
                {
                    current.UserData.TryGetValue(kv.Key, out var now);
                    if (UserChanges.SameValue(now, kv.Value)) continue;
                    (d.UserData ??= new Dictionary<string, object?>(StringComparer.Ordinal))[kv.Key] = kv.Value;
                    fields.Add("user_data." + kv.Key);
                }
            return (fields.Count == 0 ? null : d, fields);
        }

        /// <summary>The current dictionary with the wanted keys merged in, or null when no key changes.</summary>
        private static Dictionary<string, object?>? Merge(IDictionary<string, object?> current, IDictionary<string, object?>? wanted, string prefix, List<string> fields)
        {
            if (wanted == null) return null;
            Dictionary<string, object?>? merged = null;
            foreach (var kv in wanted)
            {
                current.TryGetValue(kv.Key, out var now);
                if (UserChanges.SameValue(now, kv.Value)) continue;
                merged ??= new Dictionary<string, object?>(current, StringComparer.Ordinal);
                merged[kv.Key] = kv.Value;
                fields.Add(prefix + kv.Key);
            }
            return merged;
        }
    }
}
