using CommCare.Models;
using System;
using System.Collections.Generic;
using System.Text.Json;

namespace CommCare.Client.Json
{
    /// <summary>Identity JSON → CCIdentity.</summary>
    internal static class IdentityParser
    {
        public static CCIdentity Read(ref Utf8JsonReader r)
        {
            JsonValue.Expect(ref r, JsonTokenType.StartObject);
            var i = new CCIdentity();
            while (r.Read() && r.TokenType != JsonTokenType.EndObject)
            {
                string name = JsonValue.Name(ref r);
                JsonValue.Value(ref r);
                switch (name)
                {
                    case "id": i.Id = JsonValue.ReadString(ref r); break;
                    case "username": i.UserName = JsonValue.ReadString(ref r); break;
                    case "first_name": i.FirstName = JsonValue.ReadString(ref r); break;
                    case "last_name": i.LastName = JsonValue.ReadString(ref r); break;
                    case "email": i.Email = JsonValue.ReadString(ref r); break;
                    default: r.Skip(); break;
                }
            }
            return i;
        }
    }
}
