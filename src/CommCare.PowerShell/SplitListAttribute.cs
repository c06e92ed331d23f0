using System;
using System.Collections;
using System.Collections.Generic;
using System.Management.Automation;

namespace CommCare.PowerShell
{
    /// <summary>Lets a list parameter take one text value with ';' between items, as a CSV cell holds
    /// it ("+2551234;+2555678"). Empty items are dropped.</summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    public sealed class SplitListAttribute : ArgumentTransformationAttribute
    {
        public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
        {
            object? value = inputData is PSObject pso ? pso.BaseObject : inputData;
            if (value is string text) return Split(text);
            if (value is IEnumerable items)
            {
                var all = new List<string>();
                foreach (var item in items)
                {
                    object? v = item is PSObject p ? p.BaseObject : item;
                    if (v != null) all.AddRange(Split(v.ToString() ?? ""));
                }
                return all.ToArray();
            }
            return inputData;
        }

        private static string[] Split(string text)
        {
            var parts = text.Split(new[] { ';' }, StringSplitOptions.RemoveEmptyEntries);
            var list = new List<string>(parts.Length);
            foreach (var p in parts) { var t = p.Trim(); if (t.Length > 0) list.Add(t); }
            return list.ToArray();
        }
    }
}

namespace CommCare.PowerShell
{
    /// <summary>Lets -Index take the text Get-CCCase prints for Indices ("parent:household:CASE_ID;…"), as a CSV cell
    /// holds it; hashtables pass through. An empty cell is no index change.</summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    public sealed class CaseIndexTransformationAttribute : ArgumentTransformationAttribute
    {
        public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
        {
            object? value = inputData is PSObject pso ? pso.BaseObject : inputData;
            if (value is string text)
            {
                if (string.IsNullOrWhiteSpace(text)) return null;
                try { return CaseIndexText.Parse(text); }
                catch (ArgumentException ex) { throw new ArgumentTransformationMetadataException("-Index: " + ex.Message, ex); }
            }
            return inputData;
        }
    }
}

namespace CommCare.PowerShell
{
    /// <summary>A CSV cell for a switch or bool: "True"/"False" as Export-Csv writes them (PowerShell alone would take
    /// any non-empty text, "False" included, as true). An empty cell is false.</summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    public sealed class BoolTextAttribute : ArgumentTransformationAttribute
    {
        public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
        {
            object? value = inputData is PSObject pso ? pso.BaseObject : inputData;
            if (!(value is string text)) return inputData;
            switch (text.Trim().ToLowerInvariant())
            {
                case "true": case "yes": case "y": case "1": return new SwitchParameter(true);
                case "false": case "no": case "n": case "0": case "": return new SwitchParameter(false);
                default: throw new ArgumentTransformationMetadataException($"'{text}' is not True or False.");
            }
        }
    }

    /// <summary>An empty CSV cell is "not given" for a number, not 0.</summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    public sealed class EmptyAsNullAttribute : ArgumentTransformationAttribute
    {
        public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
            => (inputData is PSObject pso ? pso.BaseObject : inputData) is string s && string.IsNullOrWhiteSpace(s) ? null : inputData;
    }
}

namespace CommCare.PowerShell
{
    /// <summary>A range check that lets "not given" (null, an empty CSV cell) through.</summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    public sealed class ValidateRangeOrNullAttribute : ValidateArgumentsAttribute
    {
        private readonly double _min, _max;
        public ValidateRangeOrNullAttribute(double min, double max) { _min = min; _max = max; }

        protected override void Validate(object? arguments, EngineIntrinsics engineIntrinsics)
        {
            object? v = arguments is PSObject p ? p.BaseObject : arguments;
            if (v == null) return;
            double d = Convert.ToDouble(v, System.Globalization.CultureInfo.InvariantCulture);
            if (d < _min || d > _max) throw new ValidationMetadataException($"{v} is outside {_min} to {_max}.");
        }
    }
}

namespace CommCare.PowerShell
{
    /// <summary>Refuses a .NET type name where a value should be ("System.Object[]": what Export-Csv wrote for a list
    /// before the module printed lists as text), so it is never sent as data. Per row, before any request.</summary>
    [AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
    public sealed class RefuseTypeNameAttribute : ValidateArgumentsAttribute
    {
        protected override void Validate(object? arguments, EngineIntrinsics engineIntrinsics)
        {
            object? v = arguments is PSObject p ? p.BaseObject : arguments;
            if (v is string s) Check(s);
            else if (v is IEnumerable items) foreach (var item in items) if ((item is PSObject ip ? ip.BaseObject : item) is string t) Check(t);
        }

        private static void Check(string s)
        {
            if (CommCare.Client.Api.WriteValues.IsTypeName(s))
                throw new ValidationMetadataException($"'{s}' is a .NET type name, not a value (a list or object exported without the module's text form); nothing was sent for this row.");
        }
    }
}
