using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;
using CommCare.Models;

namespace CommCare.Client.Json
{
    /// <summary>Application structure JSON (application/v1) → CCApplication: modules, forms, questions, case types, versions.</summary>
    internal static class ApplicationParser
    {
        internal static CCApplication Read(ref Utf8JsonReader r)
        {
            var o = JsonValue.ReadObject(ref r);
            var app = new CCApplication
            {
                Id = JsonValue.Str(o, "id") ?? "",
                Name = JsonValue.Str(o, "name"),
                Version = JsonValue.Int(o, "version"),
                IsReleased = JsonValue.Bool(o, "is_released"),
                BuiltOn = JsonValue.Date(o, "built_on"),
                BuildComment = JsonValue.Str(o, "build_comment"),
                BuiltFromAppId = JsonValue.Str(o, "built_from_app_id"),
            };
            var modules = new List<CCAppModule>();
            var caseTypes = new List<string>();
            if (o.TryGetValue("modules", out var ml) && ml is List<object?> ms)
                foreach (var m in ms)
                {
                    if (!(m is Dictionary<string, object?> md)) continue;
                    var mod = new CCAppModule { Error = JsonValue.Str(md, "error"), CaseType = JsonValue.Str(md, "case_type"), UniqueId = JsonValue.Str(md, "unique_id"), CaseProperties = JsonValue.Strings(md, "case_properties") };
                    (mod.Name, mod.DisplayName) = Names(md);
                    if (!string.IsNullOrEmpty(mod.CaseType) && !caseTypes.Contains(mod.CaseType!)) caseTypes.Add(mod.CaseType!);
                    var forms = new List<CCAppForm>();
                    if (md.TryGetValue("forms", out var fl) && fl is List<object?> fs)
                        foreach (var f in fs)
                        {
                            if (!(f is Dictionary<string, object?> fd)) continue;
                            var form = new CCAppForm { Xmlns = JsonValue.Str(fd, "xmlns"), UniqueId = JsonValue.Str(fd, "unique_id") };
                            (form.Name, form.DisplayName) = Names(fd);
                            var questions = new List<CCAppQuestion>();
                            if (fd.TryGetValue("questions", out var ql) && ql is List<object?> qs)
                                foreach (var q in qs) if (q is Dictionary<string, object?> qd) questions.Add(Question(qd));
                            form.Questions = questions;
                            forms.Add(form);
                        }
                    mod.Forms = forms;
                    modules.Add(mod);
                }
            app.Modules = modules;
            app.CaseTypes = caseTypes;
            var versions = new List<CCAppVersion>();
            if (o.TryGetValue("versions", out var vl) && vl is List<object?> vs)
                foreach (var v in vs)
                    if (v is Dictionary<string, object?> vd)
                        versions.Add(new CCAppVersion { Id = JsonValue.Str(vd, "id") ?? "", Version = JsonValue.Int(vd, "version"), IsReleased = JsonValue.Bool(vd, "is_released"), BuiltOn = JsonValue.Date(vd, "built_on"), BuildComment = JsonValue.Str(vd, "build_comment") });
            app.Versions = versions;
            return app;
        }

        private static readonly HashSet<string> QuestionKeys = new HashSet<string>(StringComparer.Ordinal)
        { "label", "value", "hashtagValue", "type", "tag", "required", "relevant", "constraint", "calculate", "group", "repeat", "options", "translations" };

        private static CCAppQuestion Question(Dictionary<string, object?> q)
        {
            var qq = new CCAppQuestion
            {
                Label = JsonValue.Str(q, "label"), Value = JsonValue.Str(q, "value"), HashtagValue = JsonValue.Str(q, "hashtagValue"), Type = JsonValue.Str(q, "type"), Tag = JsonValue.Str(q, "tag"),
                Required = JsonValue.Bool(q, "required"),
                Relevant = JsonValue.Str(q, "relevant"), Constraint = JsonValue.Str(q, "constraint"), Calculate = JsonValue.Str(q, "calculate"), Group = JsonValue.Str(q, "group"), Repeat = JsonValue.Str(q, "repeat"),
            };
            var options = new List<CCAppQuestionOption>();
            if (q.TryGetValue("options", out var ol) && ol is List<object?> os)
                foreach (var opt in os) if (opt is Dictionary<string, object?> od) options.Add(new CCAppQuestionOption { Label = JsonValue.Str(od, "label"), Value = JsonValue.Str(od, "value") });
            qq.Options = options;
            if (q.TryGetValue("translations", out var tr) && tr is Dictionary<string, object?> td) foreach (var kv in td) qq.Translations[kv.Key] = kv.Value as string;
            foreach (var kv in q)
                if (!QuestionKeys.Contains(kv.Key)) (qq.AdditionalFields ??= new Dictionary<string, object?>(StringComparer.Ordinal))[kv.Key] = kv.Value;
            return qq;
        }

        private static (IDictionary<string, string?>, string?) Names(Dictionary<string, object?> o)
        {
            var names = new Dictionary<string, string?>(StringComparer.Ordinal);
            string? display = null;
            if (o.TryGetValue("name", out var n))
            {
                if (n is Dictionary<string, object?> nd) foreach (var kv in nd) names[kv.Key] = kv.Value as string;
                else if (n is string ns) { names[""] = ns; display = ns; }
            }
            if (display == null) display = names.TryGetValue("en", out var en) && en != null ? en : First(names);
            return (names, display);
        }

        private static string? First(Dictionary<string, string?> d) { foreach (var kv in d) return kv.Value; return null; }
    }
}
