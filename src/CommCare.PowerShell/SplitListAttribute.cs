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
