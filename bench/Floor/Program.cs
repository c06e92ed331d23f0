using System;
using System.Diagnostics;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text.Json;

// usage: floor <baseUrl> <domain> <case|form> <limit> <user> <key> [parse|bytes] [extraQuery]
// Follows meta.next through every page; "parse" reads every record with Utf8JsonReader (the floor a
// client can reach), "bytes" only downloads (the emulator's own rate). Prints "<records> <ms>".
var (baseUrl, domain, resource, limit, user, key) = (args[0].TrimEnd('/'), args[1], args[2], args[3], args[4], args[5]);
string mode = args.Length > 6 ? args[6] : "parse";
string extra = args.Length > 7 ? "&" + args[7] : "";
using var http = new HttpClient();
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("ApiKey", user + ":" + key);
var sw = Stopwatch.StartNew();
Uri? next = new Uri($"{baseUrl}/a/{domain}/api/v0.5/{resource}/?limit={limit}{extra}");
long records = 0, bytes = 0;
while (next != null)
{
    byte[] body = await http.GetByteArrayAsync(next);
    bytes += body.Length;
    string? nextText = null;
    var r = new Utf8JsonReader(body);
    r.Read();
    while (r.Read() && r.TokenType != JsonTokenType.EndObject)
    {
        string name = r.GetString()!;
        r.Read();
        if (name == "meta")
        {
            while (r.Read() && r.TokenType != JsonTokenType.EndObject)
            {
                string m = r.GetString()!;
                r.Read();
                if (m == "next" && r.TokenType == JsonTokenType.String) nextText = r.GetString();
                else r.Skip();
            }
        }
        else if (name == "objects")
        {
            while (r.Read() && r.TokenType != JsonTokenType.EndArray)
            {
                if (mode == "parse")
                {
                    // Touch every token of the record, as a parser into objects would.
                    int depth = r.CurrentDepth;
                    while (r.Read() && !(r.TokenType == JsonTokenType.EndObject && r.CurrentDepth == depth))
                        if (r.TokenType == JsonTokenType.String) _ = r.GetString();
                }
                else r.Skip();
                records++;
            }
        }
        else r.Skip();
    }
    next = string.IsNullOrEmpty(nextText) ? null : new Uri(next, nextText);
}
Console.WriteLine($"{records} {sw.ElapsedMilliseconds} {bytes}");
