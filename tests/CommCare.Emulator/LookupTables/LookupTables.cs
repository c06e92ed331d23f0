using System;
using System.Collections.Generic;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CommCare.Emulator;

public sealed class LookupField
{
    public required string Name { get; set; }
    public List<string> Properties { get; set; } = new();
}

/// <summary>A lookup table (SQL <c>LookupTable</c>): the definition; rows live in <see cref="LookupRow"/>.</summary>
public sealed class LookupTable
{
    public required string Id { get; init; }
    public required string Domain { get; init; }
    public required string Tag { get; set; }
    public bool IsGlobal { get; set; }
    public List<LookupField> Fields { get; set; } = new();
    public List<string> ItemAttributes { get; set; } = new();
}

public sealed record LookupValue(string Value, List<KeyValuePair<string, string>> Properties);

/// <summary>A row (SQL <c>LookupTableRow</c>) with its owners (usernames, group names, location site codes).</summary>
public sealed class LookupRow
{
    public required string Id { get; init; }
    public required string Domain { get; init; }
    public required string TableId { get; set; }
    /// <summary>field name → values (normally one; several for fields with properties such as <c>lang</c>).</summary>
    public List<KeyValuePair<string, List<LookupValue>>> Fields { get; set; } = new();
    public List<KeyValuePair<string, string>> ItemAttributes { get; set; } = new();
    public int SortKey { get; set; }
    public List<string> Users { get; set; } = new();
    public List<string> Groups { get; set; } = new();
    public List<string> Locations { get; set; } = new();

    public List<LookupValue>? Field(string name)
    {
        foreach (var kv in Fields) if (kv.Key == name) return kv.Value;
        return null;
    }
}

/// <summary>
/// All lookup tables and rows (one lock; every operation is short). Seeded in <c>demo</c> with <c>facilities</c>
/// (36 rows), <c>districts</c> (4) and <c>vaccines</c> (3, a multi-language <c>name</c>), and in <c>other</c> with
/// <c>regions</c> (2).
/// </summary>
public sealed class LookupTableStore
{
    public readonly object Lock = new();
    private readonly List<LookupTable> _tables = new();
    private readonly List<LookupRow> _rows = new();

    public const string FacilitiesId = "a3c1e5f7092b4d6f8a1c3e5b7d9f0a01";
    public const string DistrictsId = "a3c1e5f7092b4d6f8a1c3e5b7d9f0a02";
    public const string VaccinesId = "a3c1e5f7092b4d6f8a1c3e5b7d9f0a03";
    public const string RegionsId = "a3c1e5f7092b4d6f8a1c3e5b7d9f0a04";

    public LookupTableStore() => Seed();

    public IEnumerable<LookupTable> Tables(string domain)
    {
        foreach (var t in _tables) if (t.Domain == domain) yield return t;
    }

    public LookupTable? Table(string domain, string id)
    {
        foreach (var t in _tables) if (t.Domain == domain && t.Id == id) return t;
        return null;
    }

    public LookupTable? TableByTag(string domain, string tag)
    {
        foreach (var t in _tables) if (t.Domain == domain && t.Tag == tag) return t;
        return null;
    }

    public LookupTable? TableAnyDomain(string id)
    {
        foreach (var t in _tables) if (t.Id == id) return t;
        return null;
    }

    /// <summary>A table's rows by sort key (then insertion order).</summary>
    public List<LookupRow> Rows(LookupTable t)
    {
        var list = new List<LookupRow>();
        foreach (var r in _rows) if (r.TableId == t.Id) list.Add(r);
        list.Sort(static (a, b) => a.SortKey.CompareTo(b.SortKey));
        return list;
    }

    /// <summary>Every row of the domain: table by table (table creation order), each by sort key.</summary>
    public List<LookupRow> AllRows(string domain)
    {
        var list = new List<LookupRow>();
        foreach (var t in Tables(domain)) list.AddRange(Rows(t));
        return list;
    }

    public LookupRow? Row(string domain, string id)
    {
        foreach (var r in _rows) if (r.Domain == domain && r.Id == id) return r;
        return null;
    }

    public int RowCount(string tableId)
    {
        var n = 0;
        foreach (var r in _rows) if (r.TableId == tableId) n++;
        return n;
    }

    public void AddTable(LookupTable t) => _tables.Add(t);

    public void AddRow(LookupRow r) => _rows.Add(r);

    public void DeleteTable(LookupTable t)
    {
        _tables.Remove(t);
        _rows.RemoveAll(r => r.TableId == t.Id);
    }

    public void DeleteRow(LookupRow r) => _rows.Remove(r);

    public void DeleteRows(LookupTable t) => _rows.RemoveAll(r => r.TableId == t.Id);

    public static string NewId() => Guid.NewGuid().ToString("N");

    /// <summary>A deterministic 32-hex id for seeded rows.</summary>
    public static string SeedId(string key) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes("emu-lookup:" + key)));

    // ---- seed ------------------------------------------------------------------------------------------

    private static readonly string[] FacilityTowns =
    {
        "Kisumu", "Nakuru", "Eldoret", "Thika", "Machakos", "Nyeri", "Kericho", "Kitale", "Garissa",
        "Malindi", "Naivasha", "Nanyuki",
    };

    private static readonly string[] FacilityKinds = { "Health Centre", "Dispensary", "Sub-County Hospital" };

    private void Seed()
    {
        var facilities = new LookupTable
        {
            Id = FacilitiesId,
            Domain = "demo",
            Tag = "facilities",
            IsGlobal = true,
            Fields = new() { F("name"), F("level"), F("district"), F("code") },
        };
        _tables.Add(facilities);
        for (var i = 0; i < 36; i++)
        {
            var town = FacilityTowns[i % FacilityTowns.Length];
            var kind = FacilityKinds[i / FacilityTowns.Length];
            var level = kind switch { "Dispensary" => 2, "Health Centre" => 3, _ => 4 } + (i % 5 == 0 ? 1 : 0);
            var row = new LookupRow
            {
                Id = SeedId("facilities/" + i.ToString(CultureInfo.InvariantCulture)),
                Domain = "demo",
                TableId = FacilitiesId,
                SortKey = i,
                Fields = new()
                {
                    V("name", town + " " + kind),
                    V("level", level.ToString(CultureInfo.InvariantCulture)),
                    V("district", VisitSource.Districts[i % 4]),
                    V("code", "FAC-" + (i + 1).ToString("D3", CultureInfo.InvariantCulture)),
                },
            };
            if (i < 3) row.Locations.Add("north");
            if (i == 3) row.Groups.Add("North Team");
            _rows.Add(row);
        }

        var districts = new LookupTable
        {
            Id = DistrictsId,
            Domain = "demo",
            Tag = "districts",
            IsGlobal = true,
            Fields = new() { F("district_id"), F("name") },
        };
        _tables.Add(districts);
        for (var i = 0; i < VisitSource.Districts.Length; i++)
        {
            var name = VisitSource.Districts[i];
            _rows.Add(new LookupRow
            {
                Id = SeedId("districts/" + i.ToString(CultureInfo.InvariantCulture)),
                Domain = "demo",
                TableId = DistrictsId,
                SortKey = i,
                Fields = new() { V("district_id", name), V("name", name + " District") },
            });
        }

        var vaccines = new LookupTable
        {
            Id = VaccinesId,
            Domain = "demo",
            Tag = "vaccines",
            IsGlobal = false,
            Fields = new() { new LookupField { Name = "name", Properties = new() { "lang" } }, F("price") },
            ItemAttributes = new() { "schedule" },
        };
        _tables.Add(vaccines);
        var vs = new[] { ("MMR", "Surua", "7", "9 months"), ("BCG", "Kifua kikuu", "3", "birth"), ("Polio", "Polio", "2", "6 weeks") };
        for (var i = 0; i < vs.Length; i++)
        {
            var (en, sw, price, schedule) = vs[i];
            _rows.Add(new LookupRow
            {
                Id = SeedId("vaccines/" + i.ToString(CultureInfo.InvariantCulture)),
                Domain = "demo",
                TableId = VaccinesId,
                SortKey = i,
                Fields = new()
                {
                    new("name", new List<LookupValue>
                    {
                        new(en, new() { new("lang", "en") }),
                        new(sw, new() { new("lang", "sw") }),
                    }),
                    V("price", price),
                },
                ItemAttributes = new() { new("schedule", schedule) },
            });
        }

        _tables.Add(new LookupTable
        {
            Id = RegionsId,
            Domain = "other",
            Tag = "regions",
            IsGlobal = true,
            Fields = new() { F("name") },
        });
        for (var i = 0; i < 2; i++)
        {
            _rows.Add(new LookupRow
            {
                Id = SeedId("regions/" + i.ToString(CultureInfo.InvariantCulture)),
                Domain = "other",
                TableId = RegionsId,
                SortKey = i,
                Fields = new() { V("name", i == 0 ? "Coast" : "Highlands") },
            });
        }
    }

    private static LookupField F(string name) => new() { Name = name };

    private static KeyValuePair<string, List<LookupValue>> V(string field, string value)
        => new(field, new List<LookupValue> { new(value, new()) });
}

/// <summary>JSON shapes of docs/commcare-api.md#lookup-tables (keys sorted as tastypie writes them).</summary>
public static class LookupJson
{
    /// <summary><c>lookup_table</c> object: <c>fields, id, is_global, item_attributes, resource_uri, tag</c>.</summary>
    public static byte[] Table(LookupTable t, string resourceUri)
    {
        var w = new PyJsonWriter(256);
        w.BeginObject();
        w.Key("fields").BeginArray();
        foreach (var f in t.Fields)
        {
            w.BeginObject().Prop("field_name", f.Name).Key("properties").BeginArray();
            foreach (var p in f.Properties) w.String(p);
            w.EndArray().EndObject();
        }
        w.EndArray();
        w.Prop("id", t.Id);
        w.Prop("is_global", t.IsGlobal);
        w.Key("item_attributes").BeginArray();
        foreach (var a in t.ItemAttributes) w.String(a);
        w.EndArray();
        w.Prop("resource_uri", resourceUri);
        w.Prop("tag", t.Tag);
        w.EndObject();
        return w.ToArray();
    }

    /// <summary><c>lookup_table_item</c> object: <c>data_type_id, fields, id, item_attributes, resource_uri, sort_key</c>.</summary>
    public static byte[] Item(LookupRow r)
    {
        var w = new PyJsonWriter(512);
        w.BeginObject();
        w.Prop("data_type_id", r.TableId);
        w.Key("fields");
        StructuredFields(w, r);
        w.Prop("id", r.Id);
        w.Key("item_attributes").SortedProps(ToNullable(r.ItemAttributes));
        w.Prop("resource_uri", "");
        w.Prop("sort_key", r.SortKey);
        w.EndObject();
        return w.ToArray();
    }

    /// <summary>
    /// <c>fixture</c> object: <c>fields</c> flattened to <c>{name: value}</c>, or the structured shape when any field
    /// has several values or value properties (<c>FixtureVersionError</c> branch); <c>fixture_type</c> = the tag.
    /// </summary>
    public static byte[] Fixture(LookupRow r, string? tag)
    {
        var flat = true;
        foreach (var (_, values) in r.Fields)
        {
            if (values.Count != 1 || values[0].Properties.Count > 0) flat = false;
        }
        var w = new PyJsonWriter(512);
        w.BeginObject();
        w.Key("fields");
        if (flat)
        {
            var props = new List<KeyValuePair<string, string?>>();
            foreach (var (name, values) in r.Fields) props.Add(new(name, values[0].Value));
            w.SortedProps(props);
        }
        else
        {
            StructuredFields(w, r);
        }
        w.Prop("fixture_type", tag);
        w.Prop("id", r.Id);
        w.Prop("resource_uri", "");
        w.EndObject();
        return w.ToArray();
    }

    private static void StructuredFields(PyJsonWriter w, LookupRow r)
    {
        var fields = new List<KeyValuePair<string, List<LookupValue>>>(r.Fields);
        fields.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        w.BeginObject();
        foreach (var (name, values) in fields)
        {
            w.Key(name).BeginObject().Key("field_list").BeginArray();
            foreach (var v in values)
            {
                w.BeginObject().Prop("field_value", v.Value).Key("properties").SortedProps(ToNullable(v.Properties)).EndObject();
            }
            w.EndArray().EndObject();
        }
        w.EndObject();
    }

    private static IEnumerable<KeyValuePair<string, string?>> ToNullable(List<KeyValuePair<string, string>> kvs)
    {
        foreach (var kv in kvs) yield return new(kv.Key, kv.Value);
    }
}
