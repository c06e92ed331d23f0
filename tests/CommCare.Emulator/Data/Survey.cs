using System;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace CommCare.Emulator;

/// <summary>
/// The opt-in "Household Survey" forms (<c>--survey-forms N</c>) for flat-table exports: nested groups, a repeat with a
/// nested repeat (one entry is an object, several an array, as HQ sends them), multi-selects, empty answers, answers
/// that start with <c>=</c>, and two builds whose questions differ (see README "Survey forms"). They live in their own
/// app (App3), which only exists when survey forms were asked for, so every other record and app is unchanged.
/// </summary>
public static class Survey
{
    public const string Xmlns = "http://openrosa.org/formdesigner/SURVEY";
    public const string FormName = "Household Survey";
    public const string AppId = "5a3f0c9e8d7b4a6c9e1f2d3b4c5a6e7f";
    public const string OldBuild = "7c1e9a5b3d2f4e6a8b0c1d2e3f4a5b61";
    public const string NewBuild = "7c1e9a5b3d2f4e6a8b0c1d2e3f4a5b62";
    public const int OldVersion = 2;
    public const int NewVersion = 3;
    /// <summary>The first this many survey forms (by indexed_on) come from the old build, which lacks <see cref="NewQuestions"/>.</summary>
    public const int OldBuildForms = 1000;
    /// <summary>The questions only the newer build has.</summary>
    public static readonly string[] NewQuestions = { "/data/respondent/education", "/data/members/health/muac_cm" };
    /// <summary>The answer no build lists, carried by newer forms whose number % 100 == 37.</summary>
    public const string LegacyKey = "legacy_code";
    /// <summary>The formula-like note every 50th form (number % 50 == 0) carries.</summary>
    public const string FormulaNote = "=HYPERLINK(\"http://example.org/x\",\"click\")";

    private const string Module = "/data/members";
    private const string Visits = "/data/members/visits";
    private const string Health = "/data/members/health";

    private static readonly AppOption[] YesNo = { new("yes", "Yes", "Ndiyo"), new("no", "No", "Hapana") };
    private static readonly AppOption[] Villages = Array.ConvertAll(Generator.Villages, static v => new AppOption(v.ToLowerInvariant().Replace(' ', '_'), v));
    private static readonly AppOption[] Education = { new("none", "None"), new("primary", "Primary"), new("secondary", "Secondary"), new("tertiary", "Tertiary") };
    private static readonly AppOption[] WaterSources = { new("piped", "Piped"), new("borehole", "Borehole"), new("well", "Well"), new("river", "River"), new("rain", "Rain water") };
    private static readonly AppOption[] Treatments = { new("boil", "Boil"), new("chlorine", "Chlorine"), new("filter", "Filter"), new("settle", "Let it settle") };
    private static readonly AppOption[] Symptoms = { new("fever", "Fever"), new("cough", "Cough"), new("diarrhoea", "Diarrhoea"), new("rash", "Rash"), new("headache", "Headache") };
    private static readonly AppOption[] Fuels = { new("wood", "Wood"), new("charcoal", "Charcoal"), new("gas", "Gas"), new("electric", "Electric"), new("kerosene", "Kerosene") };
    private static readonly AppOption[] Relationships = { new("head", "Head"), new("spouse", "Spouse"), new("child", "Child"), new("parent", "Parent"), new("other", "Other") };
    private static readonly AppOption[] Vaccinated = { new("yes", "Yes"), new("no", "No"), new("unknown", "Don't know") };
    private static readonly AppOption[] Conditions = { new("malaria", "Malaria"), new("hiv", "HIV"), new("tb", "TB"), new("diabetes", "Diabetes"), new("hypertension", "Hypertension") };
    private static readonly AppOption[] VisitReasons = { new("checkup", "Check-up"), new("illness", "Illness"), new("injury", "Injury"), new("vaccination", "Vaccination") };

    private static AppQuestion Q(string tag, string type, string path, string label, AppOption[]? options = null, string? group = null, string? repeat = null) =>
        new(tag, type, path, label, Group: group, Repeat: repeat, Options: options);

    /// <summary>The newest build's questions in the form designer's order (hidden values last, as HQ lists them).</summary>
    private static readonly AppQuestion[] Questions =
    {
        Q("input", "Date", "/data/survey_date", "Survey date"),
        Q("select1", "Select", "/data/consent", "Did the household consent?", YesNo),
        new("group", "Group", "/data/respondent", "Respondent", IsGroup: true),
        Q("input", "Text", "/data/respondent/resp_name", "Respondent name", group: "/data/respondent"),
        Q("input", "Int", "/data/respondent/resp_age", "Respondent age", group: "/data/respondent"),
        Q("input", "PhoneNumber", "/data/respondent/resp_phone", "Phone number", group: "/data/respondent"),
        Q("select1", "Select", "/data/respondent/education", "Highest education", Education, group: "/data/respondent"),
        new("group", "Group", "/data/respondent/contact", "Contact details", Group: "/data/respondent", IsGroup: true),
        Q("select1", "Select", "/data/respondent/contact/village", "Village", Villages, group: "/data/respondent/contact"),
        Q("input", "Text", "/data/respondent/contact/landmark", "Nearest landmark", group: "/data/respondent/contact"),
        Q("input", "Geopoint", "/data/respondent/contact/gps", "GPS location", group: "/data/respondent/contact"),
        Q("input", "Int", "/data/household_size", "Household size"),
        Q("select1", "Select", "/data/water_source", "Main water source", WaterSources),
        Q("select", "MSelect", "/data/water_treatment", "How is the water treated?", Treatments),
        Q("select", "MSelect", "/data/symptoms", "Symptoms in the last two weeks", Symptoms),
        Q("select1", "Select", "/data/has_latrine", "Does the household have a latrine?", YesNo),
        Q("input", "Int", "/data/bed_nets", "Bed nets"),
        Q("input", "Decimal", "/data/distance_km", "Distance to the clinic (km)"),
        Q("input", "Int", "/data/monthly_income", "Monthly income"),
        Q("select1", "Select", "/data/cooking_fuel", "Cooking fuel", Fuels),
        new("repeat", "Repeat", Module, "Household members", IsGroup: true),
        Q("input", "Text", "/data/members/member_name", "Member name", group: Module, repeat: Module),
        Q("input", "Int", "/data/members/member_age", "Member age", group: Module, repeat: Module),
        Q("select1", "Select", "/data/members/relationship", "Relationship to the head", Relationships, Module, Module),
        new("group", "Group", Health, "Health", Group: Module, Repeat: Module, IsGroup: true),
        Q("select1", "Select", "/data/members/health/vaccinated", "Fully vaccinated?", Vaccinated, Health, Module),
        Q("select", "MSelect", "/data/members/health/conditions", "Known conditions", Conditions, Health, Module),
        Q("input", "Decimal", "/data/members/health/muac_cm", "MUAC (cm)", group: Health, repeat: Module),
        new("repeat", "Repeat", Visits, "Clinic visits", Group: Module, Repeat: Module, IsGroup: true),
        Q("input", "Date", "/data/members/visits/visit_date", "Visit date", group: Visits, repeat: Visits),
        Q("select1", "Select", "/data/members/visits/visit_reason", "Reason for the visit", VisitReasons, Visits, Visits),
        Q("select1", "Select", "/data/members/visits/referred", "Referred?", YesNo, Visits, Visits),
        Q("input", "Text", "/data/interviewer_note", "Interviewer note"),
        new("hidden", "DataBindOnly", "/data/total_members", "total_members", Calculate: "count(/data/members)"),
    };

    private static AppModule[] Modules(bool newest) => new[]
    {
        new AppModule("5a3f0c9e8d7b4a6c9e1f2d3b4c5a6e01", "Survey", "Utafiti", "", Array.Empty<string>(), new[]
        {
            new AppForm(Xmlns, "5a3f0c9e8d7b4a6c9e1f2d3b4c5a6f01", FormName, "Utafiti wa kaya",
                newest ? Questions : Array.FindAll(Questions, static q => Array.IndexOf(NewQuestions, q.Path) < 0)),
        }),
    };

    /// <summary>App3: the working copy (newest questions) and its two builds.</summary>
    public static readonly AppDoc[] Docs =
    {
        new()
        {
            Id = AppId, Domain = "demo", Name = "Community Health Survey", Version = NewVersion + 1,
            DateCreated = Dates.Ticks(2023, 12, 1, 9), Modules = Modules(newest: true),
        },
        new()
        {
            Id = OldBuild, Domain = "demo", Name = "Community Health Survey", Version = OldVersion, CopyOf = AppId, IsReleased = true,
            BuiltOn = Dates.Ticks(2023, 12, 20, 10), BuildComment = "Baseline", DateCreated = Dates.Ticks(2023, 12, 20, 10),
            Modules = Modules(newest: false),
        },
        new()
        {
            Id = NewBuild, Domain = "demo", Name = "Community Health Survey", Version = NewVersion, CopyOf = AppId, IsReleased = true,
            BuiltOn = Dates.Ticks(2024, 2, 1, 10), BuildComment = "Adds education and MUAC", DateCreated = Dates.Ticks(2024, 2, 1, 10),
            Modules = Modules(newest: true),
        },
    };

    /// <summary>
    /// <paramref name="forms"/> (sorted by indexed_on) with <paramref name="count"/> survey forms merged in by indexed_on
    /// (ties: the other forms first); Seq is renumbered. The other forms' own fields are not touched.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static FormRec[] AddForms(FormRec[] forms, string domain, DataSetSpec spec, bool parallel, out long shared)
    {
        var count = Math.Max(0, spec.SurveyForms);
        var seed = spec.Seed;
        var timeline = Generator.Timeline(count, Math.Min(Math.Max(0, spec.SameTimestampSurveyForms), count), seed, 21, out shared);
        var survey = new FormRec[count];
        Generator.For(count, parallel, k =>
        {
            var r = new Rng(seed, 22, k);
            var old = k < OldBuildForms;
            var f = new FormRec
            {
                Domain = domain, Id = r.Uuid(), IndexedOn = timeline[k], Kind = FormKind.Survey, Xmlns = Xmlns, Name = FormName,
                AppId = AppId, BuildId = old ? OldBuild : NewBuild, AppBuildVersion = old ? OldVersion : NewVersion,
                Worker = k % Accounts.DataWorkers.Length, IsPhone = true, SurveyNo = k, SurveySeed = seed,
            };
            f.Version = Generator.SmallInt(f.AppBuildVersion);
            f.SubmitIp = "10.1." + Generator.SmallInt(1 + r.Next(20)) + "." + Generator.SmallInt(2 + r.Next(250));
            f.XmlLength = 2500 + r.Next(3000);
            var received = f.IndexedOn - (500_000 + r.NextLong(15_000_000));
            received -= received % 10;
            f.ReceivedOn = received;
            f.ServerModifiedOn = received;
            var start = received - TimeSpan.TicksPerMinute * (5 + r.Next(60)) - r.NextLong(TimeSpan.TicksPerMinute);
            start -= start % TimeSpan.TicksPerMillisecond;
            f.TimeStart = start;
            f.TimeEnd = start + TimeSpan.TicksPerMinute * 3
                + r.NextLong(TimeSpan.TicksPerMinute * 30) / TimeSpan.TicksPerMillisecond * TimeSpan.TicksPerMillisecond;
            survey[k] = f;
        });
        var all = new FormRec[forms.Length + count];
        int i = 0, j = 0;
        for (var p = 0; p < all.Length; p++)
        {
            var f = j >= count || (i < forms.Length && forms[i].IndexedOn <= survey[j].IndexedOn) ? forms[i++] : survey[j++];
            f.Seq = p;
            all[p] = f;
        }
        return all;
    }

    // ---- answers ---------------------------------------------------------------------------------------------

    private static readonly string[] Notes = { "Household was welcoming", "Revisit needed", "Head of household absent", "Dog at the gate", "Water point broken" };
    private static readonly string[] Landmarks = { "Near the church", "Behind the market", "Next to the school", "By the borehole" };
    private static readonly string[] SymptomSets = Subsets(Symptoms);
    private static readonly string[] TreatmentSets = Subsets(Treatments);
    private static readonly string[] ConditionSets = Subsets(Conditions);
    private static readonly string[] Tenths = MakeTenths(300);
    private static readonly string[] Incomes = MakeIncomes(60);

    /// <summary>Every multi-select answer by bit mask: chosen values in option order, space-separated ("" for none).</summary>
    private static string[] Subsets(AppOption[] options)
    {
        var res = new string[1 << options.Length];
        for (var mask = 0; mask < res.Length; mask++)
        {
            var parts = new System.Collections.Generic.List<string>();
            for (var b = 0; b < options.Length; b++) if ((mask & (1 << b)) != 0) parts.Add(options[b].Value);
            res[mask] = string.Join(' ', parts);
        }
        return res;
    }

    private static string[] MakeTenths(int n)
    {
        var a = new string[n];
        for (var i = 0; i < n; i++) a[i] = (i / 10.0).ToString("0.0", CultureInfo.InvariantCulture);
        return a;
    }

    private static string[] MakeIncomes(int n)
    {
        var a = new string[n];
        for (var i = 0; i < n; i++) a[i] = (i * 500).ToString(CultureInfo.InvariantCulture);
        return a;
    }

    /// <summary>A multi-select mask where about half of the answers are empty.</summary>
    private static int Mask(ref Rng r, int bits) => r.Next(2) == 0 ? 0 : r.Next(1 << bits);

    private static string Note(ref Rng r, int no) => (no % 50) switch
    {
        0 => FormulaNote,
        10 => "+1 visit pending",
        20 => "-2 days late",
        30 => "@clinic next week",
        _ => r.Next(3) == 0 ? "" : Notes[r.Next(Notes.Length)],
    };

    /// <summary>
    /// Pre-serialised <c>respondent</c> groups and <c>members</c> entries, per build: entry i of the old build is entry i
    /// of the new one without the new questions. A form picks from them, so writing it is mostly copying bytes (speed:
    /// see README). Built on the first survey form written.
    /// </summary>
    private static class Pools
    {
        private const int Size = 2048;
        private delegate void Fragment(PyJsonWriter w, ref Rng r, bool newer);

        public static readonly byte[][][] Respondents = { Make(31, WriteRespondent, false), Make(31, WriteRespondent, true) };
        public static readonly byte[][][] Heads = { Make(32, WriteHead, false), Make(32, WriteHead, true) };
        public static readonly byte[][][] Members = { Make(33, WriteOther, false), Make(33, WriteOther, true) };

        private static byte[][] Make(int stream, Fragment write, bool newer)
        {
            var pool = new byte[Size][];
            var w = new PyJsonWriter(4096);
            for (var i = 0; i < Size; i++)
            {
                w.Reset();
                var r = new Rng(0, stream, i);
                write(w, ref r, newer);
                pool[i] = w.ToArray();
            }
            return pool;
        }

        private static void WriteHead(PyJsonWriter w, ref Rng r, bool newer) => WriteMember(w, ref r, head: true, newer);

        private static void WriteOther(PyJsonWriter w, ref Rng r, bool newer) => WriteMember(w, ref r, head: false, newer);
    }

    /// <summary>
    /// The survey form body after <c>@xmlns</c>, keys in sorted order like every other body. Everything is drawn from
    /// the form's own stream at write time, so the record itself stays small and the bytes are the same on every write.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void WriteBody(PyJsonWriter w, FormRec f, (string Id, string Username) worker, string appVersion, string deviceId)
    {
        var no = f.SurveyNo;
        var build = no >= OldBuildForms ? 1 : 0;
        var r = new Rng(f.SurveySeed, 23, no);
        var members = r.Next(5);

        w.Prop("bed_nets", Generator.SmallInt(r.Next(6)));
        w.Prop("consent", r.Next(20) == 0 ? "no" : "yes");
        w.Prop("cooking_fuel", Fuels[r.Next(Fuels.Length)].Value);
        w.Prop("distance_km", Tenths[r.Next(Tenths.Length)]);
        w.Prop("has_latrine", r.Next(4) == 0 ? "no" : "yes");
        w.Prop("household_size", Generator.SmallInt(members + 1 + r.Next(4)));
        w.Prop("interviewer_note", Note(ref r, no));
        if (build == 1 && no % 100 == 37) w.Prop(LegacyKey, "LC-" + Generator.SmallInt(no % 1000));
        if (members > 0)
        {
            // HQ's xml2json: one entry is an object, several an array; none leaves the key out.
            w.Key("members");
            if (members > 1) w.BeginArray();
            w.RawValue(Pools.Heads[build][r.Next(Pools.Heads[build].Length)]);
            for (var m = 1; m < members; m++) w.RawValue(Pools.Members[build][r.Next(Pools.Members[build].Length)]);
            if (members > 1) w.EndArray();
        }
        RecordJson.WriteMeta(w, f, worker, appVersion, deviceId);
        w.Prop("monthly_income", Incomes[r.Next(Incomes.Length)]);
        w.Key("respondent").RawValue(Pools.Respondents[build][r.Next(Pools.Respondents[build].Length)]);
        w.PropDate("survey_date", f.TimeStart - f.TimeStart % TimeSpan.TicksPerDay, DateStyle.DateOnly);
        w.Prop("symptoms", SymptomSets[Mask(ref r, Symptoms.Length)]);
        w.Prop("total_members", Generator.SmallInt(members));
        w.Prop("water_source", WaterSources[r.Next(WaterSources.Length)].Value);
        w.Prop("water_treatment", TreatmentSets[Mask(ref r, Treatments.Length)]);
    }

    private static void WriteRespondent(PyJsonWriter w, ref Rng r, bool newer)
    {
        w.BeginObject();
        w.Key("contact").BeginObject();
        w.Prop("gps", r.Next(5) == 0 ? "" : string.Create(CultureInfo.InvariantCulture,
            $"{-1.5 + r.Next(300_000) / 100_000.0:0.00000} {34.0 + r.Next(200_000) / 100_000.0:0.00000} {1100 + r.Next(600)}.0 {5 + r.Next(20)}.0"));
        w.Prop("landmark", r.Next(3) == 0 ? "" : Landmarks[r.Next(Landmarks.Length)]);
        w.Prop("village", Villages[r.Next(Villages.Length)].Value);
        w.EndObject();
        var education = r.Next(Education.Length);
        if (newer) w.Prop("education", Education[education].Value);
        w.Prop("resp_age", Generator.SmallInt(18 + r.Next(60)));
        w.Prop("resp_name", Generator.PersonName(r.Next(1 << 20)));
        w.Prop("resp_phone", r.Next(4) == 0 ? "" : "+2547" + (10000000 + r.Next(89999999)).ToString(CultureInfo.InvariantCulture));
        w.EndObject();
    }

    /// <summary>One <c>members</c> entry (the household head or another member), its visits in 2023.</summary>
    private static void WriteMember(PyJsonWriter w, ref Rng r, bool head, bool newer)
    {
        var visits = r.Next(4);
        w.BeginObject();
        w.Key("health").BeginObject();
        w.Prop("conditions", ConditionSets[r.Next(3) == 0 ? r.Next(1 << Conditions.Length) : 0]);
        var muac = 95 + r.Next(160);
        if (newer) w.Prop("muac_cm", Tenths[muac]);
        w.Prop("vaccinated", Vaccinated[r.Next(Vaccinated.Length)].Value);
        w.EndObject();
        w.Prop("member_age", Generator.SmallInt(head ? 18 + r.Next(60) : r.Next(80)));
        w.Prop("member_name", Generator.PersonName(r.Next(1 << 20)));
        w.Prop("relationship", head ? "head" : Relationships[1 + r.Next(Relationships.Length - 1)].Value);
        if (visits > 0)
        {
            w.Key("visits");
            if (visits > 1) w.BeginArray();
            for (var v = 0; v < visits; v++)
            {
                w.BeginObject();
                w.Prop("referred", r.Next(5) == 0 ? "yes" : "no");
                w.PropDate("visit_date", Dates.Ticks(2023, 1, 1) + TimeSpan.TicksPerDay * r.Next(365), DateStyle.DateOnly);
                w.Prop("visit_reason", VisitReasons[r.Next(VisitReasons.Length)].Value);
                w.EndObject();
            }
            if (visits > 1) w.EndArray();
        }
        w.EndObject();
    }
}
