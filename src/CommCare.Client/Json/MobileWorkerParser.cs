using System;
using System.Collections.Generic;
using System.Text.Json;
using CommCare.Models;

namespace CommCare.Client.Json
{
    /// <summary>Mobile worker JSON (user v1 / v0.5) → CCMobileWorker (docs/commcare-api.md#users-and-bulk-upload).</summary>
    internal static class MobileWorkerParser
    {
        public static CCMobileWorker Read(ref Utf8JsonReader r)
        {
            JsonValue.Expect(ref r, JsonTokenType.StartObject);
            var u = new CCMobileWorker();
            while (r.Read() && r.TokenType != JsonTokenType.EndObject)
            {
                string name = JsonValue.Name(ref r);
                JsonValue.Value(ref r);
                switch (name)
                {
                    case "id": u.Id = JsonValue.ReadString(ref r) ?? ""; break;
                    case "username": u.UserName = JsonValue.ReadString(ref r) ?? ""; break;
                    case "first_name": u.FirstName = JsonValue.ReadString(ref r); break;
                    case "last_name": u.LastName = JsonValue.ReadString(ref r); break;
                    case "email": u.Email = JsonValue.ReadString(ref r); break;
                    case "language": u.Language = JsonValue.ReadString(ref r); break;
                    case "default_phone_number": u.DefaultPhoneNumber = JsonValue.ReadString(ref r); break;
                    case "phone_numbers": u.PhoneNumbers = JsonValue.ReadStringList(ref r); break;
                    case "groups": u.Groups = JsonValue.ReadStringList(ref r); break;
                    case "locations": u.Locations = JsonValue.ReadStringList(ref r); break;
                    case "primary_location": u.PrimaryLocation = JsonValue.ReadString(ref r); break;
                    case "role": u.Role = JsonValue.ReadString(ref r); break;
                    case "user_data":
                        if (r.TokenType == JsonTokenType.StartObject) u.UserData = JsonValue.ReadObject(ref r); else r.Skip();
                        break;
                    case "eulas": u.Eulas = JsonValue.ReadString(ref r); break;
                    case "resource_uri": u.ResourceUri = JsonValue.ReadString(ref r); break;
                    case "extras":
                        if (r.TokenType == JsonTokenType.StartObject) u.Extras = JsonValue.ReadObject(ref r); else r.Skip();
                        break;
                    default:
                        (u.AdditionalFields ??= new Dictionary<string, object?>(StringComparer.Ordinal))[name] = JsonValue.Read(ref r);
                        break;
                }
            }
            return u;
        }
    }
}
