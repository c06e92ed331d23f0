using System;
using System.Collections.Generic;
using System.Globalization;

namespace CommCare.Emulator;

/// <summary>One row of a visits data source, computed from its index (never stored).</summary>
public readonly record struct VisitRow(
    int Index, string DocId, long InsertedAt, string VisitId, long VisitDate, string District, string Village,
    string Gender, int Age, double WeightKg, string? Notes)
{
    public object? Value(string column) => column switch
    {
        "visit_id" => VisitId,
        "visit_date" => Dates.ToString(VisitDate, DateStyle.DateOnly),
        "district" => District,
        "village" => Village,
        "gender" => Gender,
        "age" => Age,
        "weight_kg" => WeightKg,
        "notes" => Notes,
        _ => null,
    };
}

/// <summary>
/// A UCR data source of household visits whose rows are generated on demand from (salt, index): nothing but the
/// definition is held in memory, whatever the row count. Rows are in (inserted_at, doc_id) order by index; every 50th
/// row shares its inserted_at with the row before it (so the cursor's doc_id tie-break matters).
/// </summary>
public sealed class VisitSource
{
    public required string Id { get; init; }
    public required string DisplayName { get; init; }
    public required string TableId { get; init; }
    public required int Count { get; init; }
    public required int Salt { get; init; }

    public static readonly string[] Columns = { "visit_id", "visit_date", "district", "village", "gender", "age", "weight_kg", "notes" };

    public static readonly (string Column, string Datatype)[] Indicators =
    {
        ("visit_id", "string"), ("visit_date", "date"), ("district", "string"), ("village", "string"),
        ("gender", "string"), ("age", "integer"), ("weight_kg", "decimal"), ("notes", "string"),
    };

    public static readonly string[] Districts = { "North", "South", "East", "West" };
    public static readonly string[] Genders = { "female", "male" };

    /// <summary>30 villages; village v lies in district v % 4.</summary>
    public static readonly string[] Villages =
    {
        "Kisumu", "Nakuru", "Eldoret", "Thika", "Machakos", "Nyeri", "Kericho", "Kitale", "Garissa", "Malindi",
        "Naivasha", "Nanyuki", "Embu", "Meru", "Isiolo", "Lamu", "Voi", "Narok", "Kakamega", "Bungoma",
        "Busia", "Homa Bay", "Migori", "Kisii", "Bomet", "Kapsabet", "Iten", "Lodwar", "Marsabit", "Mandera",
    };

    /// <summary>Text that stresses CSV and XLSX writers: separators, quotes, line breaks, non-ASCII, control characters.</summary>
    public static readonly string?[] Notes =
    {
        "All well",
        "Comma, separated, values",
        "He said \"come back tomorrow\"",
        "Line one\nLine two",
        "Windows line\r\nbreak",
        "Ünïcödé café – naïve façade",
        "中文 and emoji 😀👍",
        "  leading and trailing spaces  ",
        "=SUM(A1:A2)",
        "Tab\tseparated",
        "\"\"quoted start, and a comma",
        "'single quotes'",
        "Semicolon; pipe | backslash \\",
        "",
        null,
        "Vertical\u000btab and bell\u0007",
        "Right-to-left: مرحبا שלום",
        "_x0041_ looks like an Excel escape",
    };

    private static readonly long InsertedBase = Dates.Ticks(2024, 3, 1, 6, 0, 0);
    private static readonly long VisitBase = Dates.Ticks(2024, 1, 1);

    public VisitRow Row(int i)
    {
        var r = new Rng(Salt, 31, i);
        var v = i % Villages.Length;
        var visitDate = VisitBase + r.Next(366) * TimeSpan.TicksPerDay;
        var gender = Genders[r.Next(2)];
        var age = r.Next(0, 91);
        var weight = Math.Round(2.0 + r.NextDouble() * 93.0, 1);
        var notes = Notes[r.Next(Notes.Length)];
        return new VisitRow(i, DocId(i), InsertedAt(i), "V-" + (i + 1).ToString("D5", CultureInfo.InvariantCulture),
            visitDate, Districts[v % 4], Villages[v], gender, age, weight, notes);
    }

    /// <summary>Strictly increasing, except that row 50k+1 repeats row 50k's value.</summary>
    public long InsertedAt(int i)
    {
        var j = i % 50 == 1 ? i - 1 : i;
        var micro = new Rng(Salt, 32, j).Next(1_000_000);
        return InsertedBase + j * 53L * TimeSpan.TicksPerSecond + micro * Dates.TicksPerMicro;
    }

    public string DocId(int i)
    {
        var first = i % 50 == 1 ? i - 1 : i;
        if (first % 50 != 0 || first + 1 >= Count) return new Rng(Salt, 33, i).Hex32();
        // a pair sharing inserted_at: the lower doc_id goes first
        var a = new Rng(Salt, 33, first).Hex32();
        var b = new Rng(Salt, 33, first + 1).Hex32();
        var lo = string.CompareOrdinal(a, b) <= 0 ? a : b;
        var hi = ReferenceEquals(lo, a) ? b : a;
        return i == first ? lo : hi;
    }

    /// <summary>The first index after (insertedAt, docId) in (inserted_at, doc_id) order.</summary>
    public int IndexAfter(long insertedAt, string docId)
    {
        int lo = 0, hi = Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (InsertedAt(mid) < insertedAt) lo = mid + 1;
            else hi = mid;
        }
        while (lo < Count && InsertedAt(lo) == insertedAt && string.CompareOrdinal(DocId(lo), docId) <= 0) lo++;
        return lo;
    }
}

public enum ReportColumnKind { Field, Count, Expanded }

public sealed record ReportColumn(string Id, string Display, ReportColumnKind Kind);

public sealed record ReportFilter(string Slug, string Type, string Datatype, string Field);

/// <summary>A configurable (UCR) report over a <see cref="VisitSource"/>.</summary>
public sealed class UcrReport
{
    public required string Id { get; init; }
    public string? Title { get; init; }
    public required VisitSource Source { get; init; }
    public bool IsStatic { get; init; }
    public required ReportColumn[] Columns { get; init; }
    public required ReportFilter[] Filters { get; init; }
    /// <summary>Aggregation columns (null: one output row per data-source row).</summary>
    public string[]? GroupBy { get; init; }
}

/// <summary>The seeded reports and data sources (demo only; see README "Reports").</summary>
public static class ReportCatalog
{
    public static readonly VisitSource Visits12k = new()
    {
        Id = "6f2b1d8e0c4a4f3b9d7e1c2a4f6b8d01",
        DisplayName = "Household Visits (12,000 rows)",
        TableId = "household_visits_12k",
        Count = 12_000,
        Salt = 12000,
    };

    public static readonly VisitSource Visits500 = new()
    {
        Id = "6f2b1d8e0c4a4f3b9d7e1c2a4f6b8d02",
        DisplayName = "Household Visits (500 rows)",
        TableId = "household_visits_500",
        Count = 500,
        Salt = 500,
    };

    public static readonly VisitSource[] Sources = { Visits12k, Visits500 };

    private static readonly ReportColumn[] ListColumns =
    {
        new("visit_id", "Visit ID", ReportColumnKind.Field),
        new("visit_date", "Visit Date", ReportColumnKind.Field),
        new("district", "District", ReportColumnKind.Field),
        new("village", "Village", ReportColumnKind.Field),
        new("gender", "Gender", ReportColumnKind.Field),
        new("age", "Age", ReportColumnKind.Field),
        new("weight_kg", "Weight (kg)", ReportColumnKind.Field),
        new("notes", "Notes", ReportColumnKind.Field),
    };

    private static readonly ReportFilter District = new("district", "choice_list", "string", "district");
    private static readonly ReportFilter Gender = new("gender", "choice_list", "string", "gender");
    private static readonly ReportFilter VisitDate = new("visit_date", "date", "date", "visit_date");
    private static readonly ReportFilter Age = new("age", "numeric", "integer", "age");

    public static readonly UcrReport VisitsLarge = new()
    {
        Id = "5e1a0c7d9b3f4e2a8c6d0b1f3e5a7c01",
        Title = "Household Visits (12,000)",
        Source = Visits12k,
        Columns = ListColumns,
        Filters = new[] { District, Gender, VisitDate, Age },
    };

    public static readonly UcrReport VisitsMedium = new()
    {
        Id = "5e1a0c7d9b3f4e2a8c6d0b1f3e5a7c02",
        Title = "Household Visits (500)",
        Source = Visits500,
        Columns = ListColumns,
        Filters = new[] { District, Gender, VisitDate, Age },
    };

    public static readonly UcrReport VisitsByVillage = new()
    {
        Id = "5e1a0c7d9b3f4e2a8c6d0b1f3e5a7c03",
        Title = "Visits by Village",
        Source = Visits500,
        Columns = new[]
        {
            new ReportColumn("district", "District", ReportColumnKind.Field),
            new ReportColumn("village", "Village", ReportColumnKind.Field),
            new ReportColumn("visit_count", "Visits", ReportColumnKind.Count),
            new ReportColumn("gender", "Gender", ReportColumnKind.Expanded),
        },
        Filters = new[] { District, VisitDate, Age },
        GroupBy = new[] { "district", "village" },
    };

    public static readonly UcrReport Untitled = new()
    {
        Id = "5e1a0c7d9b3f4e2a8c6d0b1f3e5a7c04",
        Title = null,
        Source = Visits500,
        Columns = new[]
        {
            new ReportColumn("gender", "Gender", ReportColumnKind.Field),
            new ReportColumn("visit_count", "Visits", ReportColumnKind.Count),
        },
        Filters = Array.Empty<ReportFilter>(),
        GroupBy = new[] { "gender" },
    };

    public static readonly UcrReport StaticByDistrict = new()
    {
        Id = "static-demo-visits_by_district",
        Title = "Visits by District (static)",
        Source = Visits500,
        IsStatic = true,
        Columns = new[]
        {
            new ReportColumn("district", "District", ReportColumnKind.Field),
            new ReportColumn("visit_count", "Visits", ReportColumnKind.Count),
            new ReportColumn("gender", "Gender", ReportColumnKind.Expanded),
        },
        Filters = new[] { VisitDate },
        GroupBy = new[] { "district" },
    };

    /// <summary>User-built reports first, then static ones (the order of the list endpoint).</summary>
    public static readonly UcrReport[] Reports = { VisitsLarge, VisitsMedium, VisitsByVillage, Untitled, StaticByDistrict };

    public static IEnumerable<UcrReport> For(string domain)
        => domain == "demo" ? Reports : Array.Empty<UcrReport>();

    public static UcrReport? Find(string domain, string id)
    {
        foreach (var r in For(domain)) if (r.Id == id) return r;
        return null;
    }

    public static VisitSource? FindSource(string domain, string id)
    {
        if (domain != "demo") return null;
        foreach (var s in Sources) if (s.Id == id) return s;
        return null;
    }

    /// <summary>The distinct values an expanded column produces (HQ reads them from the data source).</summary>
    public static string[] ExpansionValues(string column) => column == "gender" ? VisitSource.Genders : Array.Empty<string>();
}
