using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using CommCare.Client.Json;
using CommCare.Client.Paging;
using CommCare.Models;

namespace CommCare.Client.Api
{
    /// <summary>Web users and invitations (docs/commcare-api.md#users-and-bulk-upload).</summary>
    public sealed class WebUsersApi
    {
        private readonly CommCareClient _c;
        internal WebUsersApi(CommCareClient c) => _c = c;
        private Uri ListUri => _c.DomainApi("web-user");

        /// <summary>Every web user, or the one with this e-mail (the server's filter is web_username).</summary>
        public CCPagedResult<CCWebUser> List(string? email = null)
        {
            // The list's order is unconfirmed (docs/commcare-api.md U17): callers match by id or e-mail, never by position.
            var q = new QueryString().Add("web_username", email).Add("limit", "1000");
            var first = new Uri(ListUri, q.ToString());
            ItemReader<CCWebUser> reader = (ref Utf8JsonReader r) => Read(ref r);
            return _c.Pages(first, reader);
        }

        /// <summary>By id, from the list: the detail endpoint answers a miss with a 500 (docs/commcare-api.md#users-and-bulk-upload),
        /// which looks like a server fault and would be retried.</summary>
        public CCWebUser? Get(string id) => List().FirstOrDefault(u => string.Equals(u.Id, id, StringComparison.Ordinal));

        /// <summary>PATCH: changes only what is given; user data is merged by the server.</summary>
        public CCWebUser Update(string id, CCWebUserSpec spec)
        {
            string text = Writes.Send(_c, new HttpMethod("PATCH"), new Uri(ListUri, QueryString.Segment(id) + "/"), Body(spec, invitation: false), safeToRepeat: true);
            var r = new Utf8JsonReader(Encoding.UTF8.GetBytes(text));
            r.Read();
            return Read(ref r);
        }

        public void SetActive(string id, bool active)
            => Writes.Send(_c, HttpMethod.Post, new Uri(ListUri, QueryString.Segment(id) + "/" + (active ? "activate" : "deactivate") + "/"), Encoding.UTF8.GetBytes("{}"), safeToRepeat: true);

        /// <summary>Invites someone. The server de-duplicates invitations per e-mail, so after a lost
        /// answer a second send is safe: "already ... pending invitation" then means ours landed.</summary>
        public (CCWebUserInvitation Invitation, CreateOutcome Outcome) Invite(CCWebUserSpec spec)
        {
            var uri = _c.DomainApiPath("invitation/v1/");
            byte[] body = Body(spec, invitation: true);
            bool uncertain = false;
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    string text = Writes.Send(_c, HttpMethod.Post, uri, body);
                    var r = new Utf8JsonReader(Encoding.UTF8.GetBytes(text));
                    r.Read();
                    return (ReadInvitation(ref r), CreateOutcome.Created);
                }
                catch (CCApiException ex) when (ex.Kind == CCErrorKind.Network || ex.Kind == CCErrorKind.Timeout || ex.Kind == CCErrorKind.Server)
                {
                    if (attempt >= UsersApi.MaxCreateAttempts) throw;
                    uncertain = true;
                }
                catch (CCApiException ex) when (uncertain && ex.Kind == CCErrorKind.BadRequest && (ex.ServerMessage ?? "").Contains("pending invitation"))
                {
                    return (new CCWebUserInvitation { Email = spec.Email ?? "", Role = spec.Role, Domain = _c.Session.Domain }, CreateOutcome.Recovered);
                }
            }
        }

        private CCWebUser Read(ref Utf8JsonReader r)
        {
            JsonValue.Expect(ref r, JsonTokenType.StartObject);
            var u = new CCWebUser { Domain = _c.Session.Domain };
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
                    case "default_phone_number": u.DefaultPhoneNumber = JsonValue.ReadString(ref r); break;
                    case "phone_numbers": u.PhoneNumbers = JsonValue.ReadStringList(ref r); break;
                    case "role": u.Role = JsonValue.ReadString(ref r); break;
                    case "is_admin": u.IsAdmin = JsonValue.ReadBool(ref r); break;
                    case "permissions": if (r.TokenType == JsonTokenType.StartObject) u.Permissions = JsonValue.ReadObject(ref r); else r.Skip(); break;
                    case "primary_location_id": u.PrimaryLocationId = JsonValue.ReadString(ref r); break;
                    case "assigned_location_ids": u.AssignedLocationIds = JsonValue.ReadStringList(ref r); break;
                    case "profile": u.Profile = JsonValue.ReadString(ref r); break;
                    case "user_data": if (r.TokenType == JsonTokenType.StartObject) u.UserData = JsonValue.ReadObject(ref r); else r.Skip(); break;
                    case "tableau_role": u.TableauRole = JsonValue.ReadString(ref r); break;
                    case "tableau_groups": u.TableauGroups = JsonValue.ReadStringList(ref r); break;
                    case "is_active_in_domain": u.IsActive = JsonValue.ReadNullableBool(ref r); break;
                    case "resource_uri": u.ResourceUri = JsonValue.ReadString(ref r); break;
                    default: (u.AdditionalFields ??= new Dictionary<string, object?>(StringComparer.Ordinal))[name] = JsonValue.Read(ref r); break;
                }
            }
            return u;
        }

        private CCWebUserInvitation ReadInvitation(ref Utf8JsonReader r)
        {
            JsonValue.Expect(ref r, JsonTokenType.StartObject);
            var i = new CCWebUserInvitation { Domain = _c.Session.Domain };
            while (r.Read() && r.TokenType != JsonTokenType.EndObject)
            {
                string name = JsonValue.Name(ref r);
                JsonValue.Value(ref r);
                switch (name)
                {
                    case "id": i.Id = JsonValue.ReadString(ref r) ?? ""; break;
                    case "email": i.Email = JsonValue.ReadString(ref r) ?? ""; break;
                    case "role": i.Role = JsonValue.ReadString(ref r); break;
                    case "primary_location_id": i.PrimaryLocationId = JsonValue.ReadString(ref r); break;
                    case "assigned_location_ids": i.AssignedLocationIds = JsonValue.ReadStringList(ref r); break;
                    case "profile": i.Profile = JsonValue.ReadString(ref r); break;
                    case "user_data": if (r.TokenType == JsonTokenType.StartObject) i.UserData = JsonValue.ReadObject(ref r); else r.Skip(); break;
                    case "resource_uri": i.ResourceUri = JsonValue.ReadString(ref r); break;
                    default: r.Skip(); break;
                }
            }
            return i;
        }

        private static byte[] Body(CCWebUserSpec s, bool invitation)
        {
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms))
            {
                w.WriteStartObject();
                if (invitation && s.Email != null) w.WriteString("email", s.Email.Trim());
                if (s.Role != null) w.WriteString("role", s.Role);
                if (s.AssignedLocationIds != null)
                {
                    // The server wants the primary location together with the list, and one of them.
                    w.WritePropertyName("assigned_location_ids");
                    w.WriteStartArray();
                    foreach (var id in s.AssignedLocationIds) w.WriteStringValue(id);
                    w.WriteEndArray();
                    w.WriteString("primary_location_id", s.PrimaryLocationId ?? s.AssignedLocationIds.FirstOrDefault() ?? "");
                }
                if (s.Profile != null) w.WriteString("profile", s.Profile);
                if (s.UserData != null)
                {
                    w.WritePropertyName("user_data");
                    w.WriteStartObject();
                    foreach (var kv in s.UserData) { w.WritePropertyName(kv.Key); Writes.Value(w, kv.Value); }
                    w.WriteEndObject();
                }
                if (s.TableauRole != null) w.WriteString("tableau_role", s.TableauRole);
                if (s.TableauGroups != null)
                {
                    w.WritePropertyName("tableau_groups");
                    w.WriteStartArray();
                    foreach (var g in s.TableauGroups) w.WriteStringValue(g);
                    w.WriteEndArray();
                }
                w.WriteEndObject();
            }
            return ms.ToArray();
        }
    }
}
