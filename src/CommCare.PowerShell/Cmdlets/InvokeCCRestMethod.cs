using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using System.Net.Http;
using System.Text;
using CommCare.Client.Api;
using CommCare.Models;
using System.Security;

namespace CommCare.PowerShell.Cmdlets
{
    /// <summary>
    /// <para type="synopsis">Calls any CommCare HQ API endpoint through the session's authentication, throttle, retries and paging.</para>
    /// <para type="description">The escape hatch for endpoints without a cmdlet. -Path is relative to /a/{domain}/api/ (for example 'v0.5/case/'), or to the server when it starts with '/' (for example '/api/v0.5/identity/'). JSON answers come back as objects; -All follows the list's next links and streams every object; -Raw returns the text. Writes (POST, PUT, PATCH, DELETE) support -WhatIf and -Confirm. POST is retried only when the server certainly did not act on it.</para>
    /// </summary>
    /// <example><code>Invoke-CCRestMethod -Path v0.5/case/ -Query @{ 'type.exact' = 'patient' } -All | Measure-Object</code><para>Every patient case, as plain objects, through paging.</para></example>
    /// <example><code>Invoke-CCRestMethod -Path /api/v0.5/identity/</code><para>Who the session's credentials belong to.</para></example>
    /// <example><code>Invoke-CCRestMethod -Method POST -Path v0.5/user/ -Body @{ username = 'jdoe'; password = $plainTextPassword }</code><para>A raw create.</para></example>
    [Cmdlet(VerbsLifecycle.Invoke, "CCRestMethod", SupportsShouldProcess = true)]
    [OutputType(typeof(PSObject), typeof(string))]
    public sealed class InvokeCCRestMethodCommand : CCSessionCmdlet
    {
        /// <summary>The endpoint: relative to /a/{domain}/api/, or to the server when it starts with '/'.</summary>
        [Parameter(Mandatory = true, Position = 0)] [ValidateNotNullOrEmpty] public string Path { get; set; } = "";
        /// <summary>HTTP method (default GET).</summary>
        [Parameter] [ValidateSet("GET", "POST", "PUT", "PATCH", "DELETE")] public string Method { get; set; } = "GET";
        /// <summary>Query parameters; names and values are URL-encoded.</summary>
        [Parameter] public Hashtable? Query { get; set; }
        /// <summary>The request body: a hashtable or object (sent as JSON), or JSON text.</summary>
        [Parameter(ValueFromPipeline = true)] public object? Body { get; set; }
        /// <summary>Follow the list's next links and stream every object of every page.</summary>
        [Parameter] public SwitchParameter All { get; set; }
        /// <summary>Return the response text as it came.</summary>
        [Parameter] public SwitchParameter Raw { get; set; }

        protected override void ProcessRecord()
        {
            var raw = new CommCareClient(ActiveSession, Sink, CancellationToken).Raw;
            try
            {
                var query = new Dictionary<string, string>(StringComparer.Ordinal);
                if (Query != null) foreach (DictionaryEntry e in Query) query[e.Key.ToString()!] = Convert.ToString(e.Value is PSObject p ? p.BaseObject : e.Value, CultureInfo.InvariantCulture) ?? "";
                var uri = raw.Resolve(Path, query);
                if (All)
                {
                    if (Method != "GET") ThrowParameterError(nameof(All), "paging applies to GET lists only.");
                    foreach (var item in raw.All(uri)) { Flush(); WriteObject(ToPS(item)); }
                    return;
                }
                byte[]? json = null;
                object? body = Body is PSObject pb ? pb.BaseObject : Body;
                if (body != null) json = body is string text ? Encoding.UTF8.GetBytes(text) : RawApi.ToJson(FromPS(Body));
                if (Method != "GET" && !ShouldProcess(uri.AbsolutePath, Method)) return;
                string response = raw.Send(new HttpMethod(Method), uri, json);
                Flush();
                if (Raw) { WriteObject(response); return; }
                var value = RawApi.Parse(response, out bool isJson);
                if (!isJson) { if (response.Length > 0) WriteObject(response); return; }
                if (value is IList list) { foreach (var item in list) WriteObject(ToPS(item)); }
                else if (value != null) WriteObject(ToPS(value));
            }
            catch (CCApiException ex) { Terminate(ex, Path); }
        }

        /// <summary>Dictionaries become PSCustomObjects (so dot access and Format-Table work), lists arrays.</summary>
        internal static object? ToPS(object? v)
        {
            switch (v)
            {
                case IDictionary<string, object?> d:
                    var o = new PSObject();
                    foreach (var kv in d) o.Properties.Add(new PSNoteProperty(kv.Key, ToPS(kv.Value)));
                    return o;
                case IList<object?> l:
                    var a = new object?[l.Count];
                    for (int i = 0; i < a.Length; i++) a[i] = ToPS(l[i]);
                    return a;
                default: return v;
            }
        }

        /// <summary>PSCustomObjects and hashtables become dictionaries for the JSON writer.</summary>
        internal static object? FromPS(object? v)
        {
            if (v is PSObject pso)
            {
                if (pso.BaseObject is PSCustomObject)
                {
                    var d = new Dictionary<string, object?>(StringComparer.Ordinal);
                    foreach (var p in pso.Properties) d[p.Name] = FromPS(p.Value);
                    return d;
                }
                v = pso.BaseObject;
            }
            switch (v)
            {
                case SecureString _: throw new CCApiException(CCErrorKind.InvalidArgument, "-Body: a SecureString cannot be sent as JSON; convert it first, knowing it will be in the request.");
                case IDictionary dict:
                    var d = new Dictionary<string, object?>(StringComparer.Ordinal);
                    foreach (DictionaryEntry e in dict) d[e.Key.ToString()!] = FromPS(e.Value);
                    return d;
                case string _: return v;
                case IEnumerable items:
                    var list = new List<object?>();
                    foreach (var item in items) list.Add(FromPS(item));
                    return list;
                default: return v;
            }
        }
    }
}
