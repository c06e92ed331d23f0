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

public sealed class UserGroup
{
    public required string Id { get; init; }
    public required string Domain { get; init; }
    public required string Name { get; init; }
    public bool CaseSharing { get; init; }
    public bool Reporting { get; init; } = true;
    /// <summary>Member user ids in the order they were added (Group.users).</summary>
    public List<string> UserIds { get; } = new();
}

public sealed class UserLocation
{
    public required string Id { get; init; }
    public required string Domain { get; init; }
    public required string Name { get; init; }
    public required string SiteCode { get; init; }
    public required string LocationType { get; init; }
    /// <summary>The location type's "has users" setting (organization level).</summary>
    public bool HasUsers { get; init; } = true;
    public string? ParentId { get; init; }
}

public sealed record UserRole(string Id, string Domain, string Name);

/// <summary>
/// The project spaces' mobile workers, groups, locations and roles: seeded deterministically (the same for every
/// data set), changed by the user API. One lock for everything; every operation is short.
/// </summary>
public sealed class UserStore
{
    public readonly object Lock = new();

    private readonly Dictionary<string, MobileWorker> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MobileWorker> _byUsername = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<UserGroup> _groups = new();
    private readonly List<UserLocation> _locations = new();
    private readonly List<UserRole> _roles = new();

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

    public UserGroup? Group(string domain, string id)
    {
        foreach (var g in _groups) if (g.Id == id && g.Domain == domain) return g;
        return null;
    }

    public IEnumerable<UserGroup> Groups(string domain)
    {
        foreach (var g in _groups) if (g.Domain == domain) yield return g;
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

    /// <summary>Sorted ids of the groups the user belongs to.</summary>
    public List<string> GroupIdsOf(MobileWorker u)
    {
        var res = new List<string>();
        foreach (var g in _groups)
        {
            if (g.Domain == u.Domain && g.UserIds.Contains(u.Id)) res.Add(g.Id);
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
            if (g.Domain != u.Domain) continue;
            var want = false;
            foreach (var id in groupIds) want |= id == g.Id;
            var has = g.UserIds.Contains(u.Id);
            if (want && !has) g.UserIds.Add(u.Id);
            else if (!want && has) g.UserIds.Remove(u.Id);
        }
    }

    /// <summary>Back to the seeded workers, groups, locations and roles.</summary>
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

        _roles.Add(new UserRole(RoleFieldWorker, "demo", "Field Worker"));
        _roles.Add(new UserRole(RoleSupervisor, "demo", "Supervisor"));
        _roles.Add(new UserRole(RoleOtherFieldWorker, "other", "Field Worker"));

        _locations.Add(new UserLocation { Id = LocKenya, Domain = "demo", Name = "Kenya", SiteCode = "kenya", LocationType = "country", HasUsers = false });
        _locations.Add(new UserLocation { Id = LocNorth, Domain = "demo", Name = "North District", SiteCode = "north", LocationType = "district", ParentId = LocKenya });
        _locations.Add(new UserLocation { Id = LocSouth, Domain = "demo", Name = "South District", SiteCode = "south", LocationType = "district", ParentId = LocKenya });
        _locations.Add(new UserLocation { Id = LocEast, Domain = "demo", Name = "East District", SiteCode = "east", LocationType = "district", ParentId = LocKenya });
        _locations.Add(new UserLocation { Id = LocClinic, Domain = "demo", Name = "Kisumu Clinic", SiteCode = "kisumu_clinic", LocationType = "clinic", ParentId = LocNorth });
        _locations.Add(new UserLocation { Id = LocOther, Domain = "other", Name = "Other District", SiteCode = "other_district", LocationType = "district" });

        var north = new UserGroup { Id = GroupNorth, Domain = "demo", Name = "North Team", CaseSharing = true };
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

    private static JsonElement Str(string s)
    {
        using var doc = JsonDocument.Parse(JsonSerializer.Serialize(s));
        return doc.RootElement.Clone();
    }
}
