using System;
using System.Collections.Generic;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace CommCare.Emulator;

/// <summary>A mobile worker (CommCareUser) of the user API. Mutated only under <see cref="UserStore.Lock"/>.</summary>
public sealed class MobileWorker
{
    public string Id = "";
    public string Domain = "";
    /// <summary>Full, lower-case username (<c>name@{domain}.commcarehq.org</c>).</summary>
    public string Username = "";
    public string? FirstName = "";
    public string? LastName = "";
    public string Email = "";
    public string? Language;
    /// <summary>Without a leading <c>+</c>; the first is the default number.</summary>
    public List<string> PhoneNumbers = new();
    public List<string> LocationIds = new();
    public string? PrimaryLocation;
    public string? RoleId;
    /// <summary>Custom user data in insertion order (values are detached JSON values).</summary>
    public List<KeyValuePair<string, JsonElement>> UserData = new();
    /// <summary>Write-only; null = unusable password (no login, no password reset).</summary>
    public string? Password;
    public bool Active = true;
    /// <summary>Retired (DELETE): invisible everywhere, but the username stays reserved.</summary>
    public bool Retired;
    public string Eulas = "[]";

    public MobileWorker Clone()
    {
        var c = (MobileWorker)MemberwiseClone();
        c.PhoneNumbers = new List<string>(PhoneNumbers);
        c.LocationIds = new List<string>(LocationIds);
        c.UserData = new List<KeyValuePair<string, JsonElement>>(UserData);
        return c;
    }

    public void SetUserData(string key, JsonElement value)
    {
        for (var i = 0; i < UserData.Count; i++)
        {
            if (UserData[i].Key != key) continue;
            UserData.RemoveAt(i);
            break;
        }
        UserData.Add(new(key, value));
    }
}

/// <summary>A group (couch <c>Group</c>). Mutated only under <see cref="UserStore.Lock"/>.</summary>
public sealed class UserGroup
{
    public required string Id { get; init; }
    public required string Domain { get; init; }
    public required string Name { get; set; }
    public bool CaseSharing { get; set; }
    public bool Reporting { get; set; } = true;
    /// <summary>Free key/value metadata in insertion order (detached JSON values).</summary>
    public List<KeyValuePair<string, JsonElement>> Metadata { get; set; } = new();
    /// <summary>Member user ids in the order they were added (Group.users). May hold ids that are no active worker.</summary>
    public List<string> UserIds { get; } = new();
    /// <summary>soft_delete(): invisible to the API, the name is free again.</summary>
    public bool Deleted { get; set; }
}

/// <summary>A location type (SQL <c>LocationType</c>), integer id.</summary>
public sealed class LocationTypeInfo
{
    public required int Id { get; init; }
    public required string Domain { get; init; }
    public required string Name { get; init; }
    public required string Code { get; init; }
    public int? ParentTypeId { get; init; }
    public bool Administrative { get; init; }
    public bool SharesCases { get; init; }
    public bool ViewDescendants { get; init; }
    /// <summary>The "has users" organization-level setting.</summary>
    public bool HasUsers { get; init; } = true;
}

/// <summary>A location (SQL <c>SQLLocation</c>). Mutated only under <see cref="UserStore.Lock"/>.</summary>
public sealed class UserLocation
{
    /// <summary>The 32-hex <c>location_id</c>.</summary>
    public required string Id { get; init; }
    /// <summary>The integer primary key (v1 <c>id</c>).</summary>
    public required int IntId { get; init; }
    public required string Domain { get; init; }
    public required string Name { get; set; }
    public required string SiteCode { get; set; }
    public required LocationTypeInfo Type { get; set; }
    public string? ParentId { get; set; }
    public string? ExternalId { get; set; }
    public long CreatedAt { get; set; }
    public long LastModified { get; set; }
    public decimal? Latitude { get; set; }
    public decimal? Longitude { get; set; }
    /// <summary>Custom location fields (<c>location_data</c>), detached JSON values in insertion order.</summary>
    public List<KeyValuePair<string, JsonElement>> Metadata { get; set; } = new();

    /// <summary>The location type's code.</summary>
    public string LocationType => Type.Code;
    /// <summary>The location type's "has users" setting (organization level).</summary>
    public bool HasUsers => Type.HasUsers;

    public UserLocation Clone()
    {
        var c = (UserLocation)MemberwiseClone();
        c.Metadata = new List<KeyValuePair<string, JsonElement>>(Metadata);
        return c;
    }
}

public sealed record UserRole(string Id, string Domain, string Name)
{
    /// <summary>HqPermissions names granted by the role (web users' <c>permissions</c>).</summary>
    public IReadOnlySet<string> Permissions { get; init; } = new HashSet<string>(StringComparer.Ordinal);
    /// <summary>The project's admin role (<c>is_admin</c>; every permission).</summary>
    public bool IsAdmin { get; init; }
}

/// <summary>A web user's membership of one project space (plus the user's global fields). Mutated under the lock.</summary>
public sealed class WebUserRecord
{
    public string Id = "";
    public string Domain = "";
    /// <summary>The username, which is the e-mail address (lower case).</summary>
    public string Username = "";
    public string FirstName = "";
    public string LastName = "";
    public string Email = "";
    public List<string> PhoneNumbers = new();
    public string Eulas = "[]";
    public string? RoleId;
    /// <summary>DomainMembership.is_active (activate / deactivate).</summary>
    public bool ActiveInDomain = true;
    public string? PrimaryLocationId;
    public List<string> AssignedLocationIds = new();
    public string? Profile;
    public List<KeyValuePair<string, JsonElement>> UserData = new();
    public string? TableauRole;
    public List<string> TableauGroups = new();

    public WebUserRecord Clone()
    {
        var c = (WebUserRecord)MemberwiseClone();
        c.PhoneNumbers = new List<string>(PhoneNumbers);
        c.AssignedLocationIds = new List<string>(AssignedLocationIds);
        c.UserData = new List<KeyValuePair<string, JsonElement>>(UserData);
        c.TableauGroups = new List<string>(TableauGroups);
        return c;
    }
}

/// <summary>A pending web-user invitation (invitation API).</summary>
public sealed class InvitationRecord
{
    public string Id = "";
    public string Domain = "";
    public string Email = "";
    public string? RoleId;
    public string? PrimaryLocationId;
    public List<string> AssignedLocationIds = new();
    public string? Profile;
    public List<KeyValuePair<string, JsonElement>> UserData = new();
    public string? TableauRole;
    public List<string> TableauGroups = new();
    public long InvitedOn;
}

/// <summary>
/// The project spaces' directory: mobile workers, groups, locations and location types, roles, web users and
/// invitations. Seeded deterministically (the same for every data set), changed by the user, group, location and
/// web-user APIs. One lock for everything; every operation is short.
/// </summary>
public sealed class UserStore
{
    public readonly object Lock = new();

    private readonly Dictionary<string, MobileWorker> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MobileWorker> _byUsername = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<UserGroup> _groups = new();
    private readonly List<UserLocation> _locations = new();
    private readonly List<UserRole> _roles = new();
    private readonly List<LocationTypeInfo> _locationTypes = new();
    private readonly List<WebUserRecord> _webUsers = new();
    private readonly List<InvitationRecord> _invitations = new();
    private int _nextLocationIntId;

    public UserStore() => Seed();

    // ---- queries (callers hold Lock) ---------------------------------------------------------------------

    public MobileWorker? ById(string id) => _byId.TryGetValue(id, out var u) ? u : null;

    /// <summary>A live (not retired) worker of <paramref name="domain"/>, or null.</summary>
    public MobileWorker? Live(string domain, string id)
        => _byId.TryGetValue(id, out var u) && !u.Retired && u.Domain == domain ? u : null;

    /// <summary>Whether the full username is taken (any domain, retired included) — case-insensitive.</summary>
    public bool UsernameExists(string username) => _byUsername.ContainsKey(username);

    public IEnumerable<MobileWorker> Workers(string domain)
    {
        foreach (var u in _byId.Values) if (u.Domain == domain) yield return u;
    }

    /// <summary>A live (not deleted) group of the domain, or null.</summary>
    public UserGroup? Group(string domain, string id)
    {
        foreach (var g in _groups) if (g.Id == id && g.Domain == domain && !g.Deleted) return g;
        return null;
    }

    /// <summary>The live groups of the domain, in creation order.</summary>
    public IEnumerable<UserGroup> Groups(string domain)
    {
        foreach (var g in _groups) if (g.Domain == domain && !g.Deleted) yield return g;
    }

    /// <summary>The groups of the domain, soft-deleted ones included, in creation order.</summary>
    public IEnumerable<UserGroup> GroupsWithDeleted(string domain)
    {
        foreach (var g in _groups) if (g.Domain == domain) yield return g;
    }

    /// <summary>Group.by_name: a live group of the domain with exactly this name (case-sensitive).</summary>
    public UserGroup? GroupByName(string domain, string name)
    {
        foreach (var g in _groups) if (g.Domain == domain && !g.Deleted && g.Name == name) return g;
        return null;
    }

    public void AddGroup(UserGroup g) => _groups.Add(g);

    /// <summary>The ids of the group's members that are live, active mobile workers of its domain, in membership order.</summary>
    public List<string> ActiveMemberIds(UserGroup g)
    {
        var res = new List<string>();
        foreach (var id in g.UserIds)
        {
            if (Live(g.Domain, id) is { Active: true }) res.Add(id);
        }
        return res;
    }

    public UserLocation? Location(string domain, string id)
    {
        foreach (var l in _locations) if (l.Id == id && l.Domain == domain) return l;
        return null;
    }

    public IEnumerable<UserLocation> Locations(string domain)
    {
        foreach (var l in _locations) if (l.Domain == domain) yield return l;
    }

    /// <summary>A location of any domain by its location_id (<c>SQLLocation.objects.get(location_id=...)</c>).</summary>
    public UserLocation? LocationAnyDomain(string id)
    {
        foreach (var l in _locations) if (l.Id == id) return l;
        return null;
    }

    public void AddLocation(UserLocation l) => _locations.Add(l);

    public int NextLocationIntId() => ++_nextLocationIntId;

    /// <summary>The locations (copies) and the id counter, for an all-or-nothing bulk write.</summary>
    public (List<UserLocation> Locations, int NextId) SnapshotLocations()
    {
        var copy = new List<UserLocation>(_locations.Count);
        foreach (var l in _locations) copy.Add(l.Clone());
        return (copy, _nextLocationIntId);
    }

    public void RestoreLocations((List<UserLocation> Locations, int NextId) snapshot)
    {
        _locations.Clear();
        _locations.AddRange(snapshot.Locations);
        _nextLocationIntId = snapshot.NextId;
    }

    public IEnumerable<LocationTypeInfo> LocationTypes(string domain)
    {
        foreach (var t in _locationTypes) if (t.Domain == domain) yield return t;
    }

    public LocationTypeInfo? LocationTypeById(string domain, int id)
    {
        foreach (var t in _locationTypes) if (t.Id == id && t.Domain == domain) return t;
        return null;
    }

    public LocationTypeInfo? LocationTypeById(int? id)
    {
        if (id is null) return null;
        foreach (var t in _locationTypes) if (t.Id == id) return t;
        return null;
    }

    public IEnumerable<WebUserRecord> WebUsers(string domain)
    {
        foreach (var u in _webUsers) if (u.Domain == domain) yield return u;
    }

    public WebUserRecord? WebUser(string domain, string id)
    {
        foreach (var u in _webUsers) if (u.Id == id && u.Domain == domain) return u;
        return null;
    }

    public void ReplaceWebUser(WebUserRecord edited)
    {
        for (var i = 0; i < _webUsers.Count; i++)
        {
            if (_webUsers[i].Id != edited.Id || _webUsers[i].Domain != edited.Domain) continue;
            _webUsers[i] = edited;
            return;
        }
    }

    public IEnumerable<InvitationRecord> Invitations(string domain)
    {
        foreach (var i in _invitations) if (i.Domain == domain) yield return i;
    }

    public void AddInvitation(InvitationRecord i) => _invitations.Add(i);

    public IEnumerable<UserRole> Roles(string domain)
    {
        foreach (var r in _roles) if (r.Domain == domain) yield return r;
    }

    public UserRole? RoleById(string? id)
    {
        if (id is null) return null;
        foreach (var r in _roles) if (r.Id == id) return r;
        return null;
    }

    /// <summary>The first role of the domain with exactly this name.</summary>
    public UserRole? RoleByName(string domain, string name)
    {
        foreach (var r in _roles) if (r.Domain == domain && r.Name == name) return r;
        return null;
    }

    /// <summary>Sorted ids of the groups the user belongs to.</summary>
    public List<string> GroupIdsOf(MobileWorker u)
    {
        var res = new List<string>();
        foreach (var g in _groups)
        {
            if (g.Domain == u.Domain && !g.Deleted && g.UserIds.Contains(u.Id)) res.Add(g.Id);
        }
        res.Sort(StringComparer.Ordinal);
        return res;
    }

    // ---- changes (callers hold Lock) ---------------------------------------------------------------------

    public void Add(MobileWorker u)
    {
        _byId.Add(u.Id, u);
        _byUsername[u.Username] = u;
    }

    /// <summary>Replaces a worker by an edited copy (same id).</summary>
    public void Replace(MobileWorker edited)
    {
        _byId[edited.Id] = edited;
        _byUsername[edited.Username] = edited;
    }

    /// <summary>CommCareUser.set_groups: membership in exactly these groups of the user's domain.</summary>
    public void SetGroups(MobileWorker u, IReadOnlyCollection<string> groupIds)
    {
        foreach (var g in _groups)
        {
            if (g.Domain != u.Domain || g.Deleted) continue;
            var want = false;
            foreach (var id in groupIds) want |= id == g.Id;
            var has = g.UserIds.Contains(u.Id);
            if (want && !has) g.UserIds.Add(u.Id);
            else if (!want && has) g.UserIds.Remove(u.Id);
        }
    }

    /// <summary>Back to the seeded workers, groups, locations, location types, roles, web users and invitations.</summary>
    public void Reset()
    {
        lock (Lock)
        {
            Seed();
        }
    }

    /// <summary>
    /// Basic-auth check for mobile workers. Returns false when the username is not a worker of this store (the caller
    /// then tries the fixed accounts); true with <paramref name="account"/> = null when the worker is known but the
    /// password is wrong, unusable, or the worker is deactivated or retired.
    /// </summary>
    public bool TryAuthenticate(string username, string secret, out Account? account)
    {
        account = null;
        lock (Lock)
        {
            if (!_byUsername.TryGetValue(username, out var u)) return false;
            if (u.Retired || !u.Active || u.Password is null || secret.Length == 0 || u.Password != secret) return true;
            if (u.Id == Accounts.Worker1.Id)
            {
                account = Accounts.Worker1;
                return true;
            }
            account = new Account
            {
                Username = u.Username,
                Id = u.Id,
                FirstName = u.FirstName ?? "",
                LastName = u.LastName ?? "",
                Email = u.Email,
                IsMobileWorker = true,
                Memberships = new(StringComparer.Ordinal) { [u.Domain] = new HashSet<string>(StringComparer.Ordinal) { "access_api" } },
            };
            return true;
        }
    }

    // ---- seed --------------------------------------------------------------------------------------------

    public const string RoleFieldWorker = "7e3a9c1f5b2d4e8a6c0f1b3d5e7a9c01";
    public const string RoleSupervisor = "7e3a9c1f5b2d4e8a6c0f1b3d5e7a9c02";
    public const string RoleOtherFieldWorker = "7e3a9c1f5b2d4e8a6c0f1b3d5e7a9c03";
    public const string RoleViewer = "7e3a9c1f5b2d4e8a6c0f1b3d5e7a9c04";
    public const string RoleAdmin = "7e3a9c1f5b2d4e8a6c0f1b3d5e7a9c05";
    public const string RoleOtherAdmin = "7e3a9c1f5b2d4e8a6c0f1b3d5e7a9c06";

    public const int TypeCountry = 1;
    public const int TypeDistrict = 2;
    public const int TypeClinic = 3;
    public const int TypeOtherDistrict = 4;

    /// <summary>The permission keys shown in a web user's <c>permissions</c> (an admin role has them all).</summary>
    public static readonly string[] AllPermissionNames =
    {
        "access_all_locations", "access_api", "edit_apps", "edit_commcare_users", "edit_data", "edit_groups",
        "edit_locations", "edit_reports", "edit_web_users", "view_apps", "view_commcare_users", "view_groups",
        "view_locations", "view_reports", "view_web_users",
    };

    /// <summary>Tableau groups the emulated project allows (TABLEAU_USER_SYNCING is taken as on).</summary>
    public static readonly string[] TableauGroupNames = { "Analysts", "Managers" };

    public const string GroupNorth = "0d1e5a7c2b9f4e6a8c3d1b7e5f9a2c01";
    public const string GroupSouth = "0d1e5a7c2b9f4e6a8c3d1b7e5f9a2c02";
    public const string GroupEast = "0d1e5a7c2b9f4e6a8c3d1b7e5f9a2c03";
    public const string GroupSupervisors = "0d1e5a7c2b9f4e6a8c3d1b7e5f9a2c04";
    public const string GroupOther = "0d1e5a7c2b9f4e6a8c3d1b7e5f9a2c05";

    public const string LocKenya = "4c9e2b7a1d6f4a8e9b3c5d7f1e2a6b01";
    public const string LocNorth = "4c9e2b7a1d6f4a8e9b3c5d7f1e2a6b02";
    public const string LocSouth = "4c9e2b7a1d6f4a8e9b3c5d7f1e2a6b03";
    public const string LocEast = "4c9e2b7a1d6f4a8e9b3c5d7f1e2a6b04";
    public const string LocClinic = "4c9e2b7a1d6f4a8e9b3c5d7f1e2a6b05";
    public const string LocOther = "4c9e2b7a1d6f4a8e9b3c5d7f1e2a6b06";

    private static readonly (string First, string Last)[] SeedNames =
    {
        ("Amina", "Otieno"), ("Brian", "Kamau"), ("Catherine", "Wanjiru"), ("David", "Mwangi"), ("Esther", "Achieng"),
        ("Felix", "Kiprono"), ("Grace", "Njeri"), ("Hassan", "Omondi"), ("Irene", "Chebet"), ("James", "Mutua"),
        ("Kevin", "Barasa"), ("Lucy", "Akinyi"), ("Moses", "Kiptoo"), ("Nancy", "Wambui"), ("Oscar", "Ouma"),
        ("Purity", "Jepkosgei"), ("Quentin", "Rotich"), ("Rose", "Nyambura"), ("Samuel", "Owino"), ("Tabitha", "Muthoni"),
        ("Victor", "Kibet"), ("Winnie", "Adhiambo"), ("Yusuf", "Abdi"), ("Zipporah", "Moraa"), ("Peter", "Ndungu"),
        ("Mary", "Atieno"), ("John", "Waweru"),
    };

    private void Seed()
    {
        _byId.Clear();
        _byUsername.Clear();
        _groups.Clear();
        _locations.Clear();
        _roles.Clear();

        _locationTypes.Clear();
        _webUsers.Clear();
        _invitations.Clear();

        _roles.Add(new UserRole(RoleFieldWorker, "demo", "Field Worker") { Permissions = Perms("edit_data") });
        _roles.Add(new UserRole(RoleSupervisor, "demo", "Supervisor")
        {
            Permissions = Perms("edit_data", "view_reports", "view_commcare_users", "view_groups", "view_locations"),
        });
        _roles.Add(new UserRole(RoleOtherFieldWorker, "other", "Field Worker") { Permissions = Perms("edit_data") });
        _roles.Add(new UserRole(RoleViewer, "demo", "Viewer") { Permissions = Perms("access_api", "view_reports", "view_apps") });
        _roles.Add(new UserRole(RoleAdmin, "demo", "Admin") { Permissions = Perms(AllPermissionNames), IsAdmin = true });
        _roles.Add(new UserRole(RoleOtherAdmin, "other", "Admin") { Permissions = Perms(AllPermissionNames), IsAdmin = true });

        var country = new LocationTypeInfo { Id = TypeCountry, Domain = "demo", Name = "Country", Code = "country", Administrative = true, HasUsers = false };
        var district = new LocationTypeInfo { Id = TypeDistrict, Domain = "demo", Name = "District", Code = "district", ParentTypeId = TypeCountry, Administrative = true, ViewDescendants = true };
        var clinic = new LocationTypeInfo { Id = TypeClinic, Domain = "demo", Name = "Clinic", Code = "clinic", ParentTypeId = TypeDistrict, SharesCases = true };
        var otherDistrict = new LocationTypeInfo { Id = TypeOtherDistrict, Domain = "other", Name = "District", Code = "district", Administrative = true };
        _locationTypes.AddRange(new[] { country, district, clinic, otherDistrict });

        var t0 = Dates.Ticks(2023, 5, 9, 16, 10, 47) + 225938 * Dates.TicksPerMicro;
        UserLocation Loc(int n, string id, string domain, string name, string code, LocationTypeInfo type, string? parent,
            string? lat, string? lon, string? externalId, params (string Key, string Value)[] data)
        {
            var created = t0 + (n - 1) * TimeSpan.TicksPerHour + n * 1111 * Dates.TicksPerMicro;
            var l = new UserLocation
            {
                Id = id, IntId = n, Domain = domain, Name = name, SiteCode = code, Type = type, ParentId = parent,
                ExternalId = externalId, CreatedAt = created, LastModified = created + 9 * Dates.TicksPerMicro,
                Latitude = lat is null ? null : decimal.Parse(lat, System.Globalization.CultureInfo.InvariantCulture),
                Longitude = lon is null ? null : decimal.Parse(lon, System.Globalization.CultureInfo.InvariantCulture),
            };
            foreach (var (k, v) in data) l.Metadata.Add(new(k, Str(v)));
            return l;
        }
        _locations.Add(Loc(1, LocKenya, "demo", "Kenya", "kenya", country, null, "-0.0236", "37.9062", null));
        _locations.Add(Loc(2, LocNorth, "demo", "North District", "north", district, LocKenya, "3.1190", "35.5973", "D-NORTH", ("region", "north")));
        _locations.Add(Loc(3, LocSouth, "demo", "South District", "south", district, LocKenya, "-1.5177", "37.2634", "D-SOUTH", ("region", "south")));
        _locations.Add(Loc(4, LocEast, "demo", "East District", "east", district, LocKenya, "0.3556", "37.5833", "D-EAST", ("region", "east")));
        _locations.Add(Loc(5, LocClinic, "demo", "Kisumu Clinic", "kisumu_clinic", clinic, LocNorth, "-0.0917", "34.7680", null, ("facility_type", "clinic"), ("pop", "1001")));
        _locations.Add(Loc(6, LocOther, "other", "Other District", "other_district", otherDistrict, null, null, null, null));
        _nextLocationIntId = 6;

        foreach (var (domain, role) in new[] { ("demo", RoleAdmin), ("other", RoleOtherAdmin) })
        {
            var a = Accounts.Admin;
            _webUsers.Add(new WebUserRecord { Id = a.Id, Domain = domain, Username = a.Username, FirstName = a.FirstName, LastName = a.LastName, Email = a.Email, RoleId = role });
        }
        var v = Accounts.Viewer;
        _webUsers.Add(new WebUserRecord { Id = v.Id, Domain = "demo", Username = v.Username, FirstName = v.FirstName, LastName = v.LastName, Email = v.Email, RoleId = RoleViewer });

        var north = new UserGroup { Id = GroupNorth, Domain = "demo", Name = "North Team", CaseSharing = true };
        north.Metadata.Add(new("district", Str("north")));
        var south = new UserGroup { Id = GroupSouth, Domain = "demo", Name = "South Team", CaseSharing = true };
        var east = new UserGroup { Id = GroupEast, Domain = "demo", Name = "East Team", CaseSharing = true };
        var sups = new UserGroup { Id = GroupSupervisors, Domain = "demo", Name = "Supervisors" };
        var otherGroup = new UserGroup { Id = GroupOther, Domain = "other", Name = "Other Team" };
        _groups.AddRange(new[] { north, south, east, sups, otherGroup });
        var teams = new[] { north, south, east };
        var districts = new[] { LocNorth, LocSouth, LocEast };
        var districtNames = new[] { "north", "south", "east" };

        // demo: worker1..3 (the ids used by the generated cases and forms), then 27 named workers.
        var demo = new List<MobileWorker>();
        demo.Add(new MobileWorker { Id = Accounts.DataWorkers[0].Id, Username = "worker1@demo.commcarehq.org", FirstName = Accounts.Worker1.FirstName, LastName = Accounts.Worker1.LastName, Password = Accounts.Worker1.Password });
        demo.Add(new MobileWorker { Id = Accounts.DataWorkers[1].Id, Username = "worker2@demo.commcarehq.org", FirstName = "Walter", LastName = "Worker", Password = "emu-worker2-password" });
        demo.Add(new MobileWorker { Id = Accounts.DataWorkers[2].Id, Username = "worker3@demo.commcarehq.org", FirstName = "Winona", LastName = "Worker", Password = "emu-worker3-password" });
        foreach (var (first, last) in SeedNames)
        {
            var name = (first + "." + last).ToLowerInvariant();
            demo.Add(new MobileWorker
            {
                Id = HexId("demo/" + name),
                Username = name + "@demo.commcarehq.org",
                FirstName = first,
                LastName = last,
                Password = "emu-" + name + "-password",
            });
        }
        for (var i = 0; i < demo.Count; i++)
        {
            var u = demo[i];
            u.Domain = "demo";
            var d = i % 3;
            var supervisor = i % 10 == 9;
            u.Language = i % 4 == 3 ? "sw" : "en";
            u.RoleId = supervisor ? RoleSupervisor : RoleFieldWorker;
            u.Active = !(i is 7 or 15 or 22 or 28);
            if (i % 3 != 2) u.Email = u.Username.Split('@')[0] + "@example.org";
            if (i % 5 != 4) u.PhoneNumbers.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"2547{10000000 + i * 7919:D8}"));
            if (i % 6 == 0) u.PhoneNumbers.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"2547{20000000 + i * 104729:D8}"));
            u.LocationIds.Add(districts[d]);
            if (d == 0 && i % 2 == 0) u.LocationIds.Add(LocClinic);
            u.PrimaryLocation = u.LocationIds[0];
            u.UserData.Add(new("chw_id", Str(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"CHW-{i + 1:D3}"))));
            u.UserData.Add(new("district", Str(districtNames[d])));
            if (i % 4 == 1) u.UserData.Add(new("training_date", Str(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"2023-{i % 12 + 1:D2}-15"))));
            Add(u);
        }
        // Group members in username order (as a tidy seed); later additions are appended.
        var sorted = new List<MobileWorker>(demo);
        sorted.Sort(static (a, b) => string.CompareOrdinal(a.Username, b.Username));
        foreach (var u in sorted)
        {
            var i = demo.IndexOf(u);
            teams[i % 3].UserIds.Add(u.Id);
            if (u.RoleId == RoleSupervisor) sups.UserIds.Add(u.Id);
        }

        // other: two workers, for isolation tests.
        var o1 = new MobileWorker { Id = HexId("other/olive"), Domain = "other", Username = "olive@other.commcarehq.org", FirstName = "Olive", LastName = "Other", Password = "emu-olive-password", Email = "olive@example.org", Language = "en", RoleId = RoleOtherFieldWorker };
        o1.LocationIds.Add(LocOther);
        o1.PrimaryLocation = LocOther;
        var o2 = new MobileWorker { Id = HexId("other/oscar"), Domain = "other", Username = "oscar@other.commcarehq.org", FirstName = "Oscar", LastName = "Other", Password = "emu-oscar-password" };
        Add(o1);
        Add(o2);
        otherGroup.UserIds.Add(o1.Id);
        otherGroup.UserIds.Add(o2.Id);
    }

    /// <summary>A stable 32-hex id from a name.</summary>
    public static string HexId(string name) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes("emu-user:" + name)));

    private static HashSet<string> Perms(params string[] names) => new(names, StringComparer.Ordinal);

    private static JsonElement Str(string s)
    {
        using var doc = JsonDocument.Parse(JsonSerializer.Serialize(s));
        return doc.RootElement.Clone();
    }
}
