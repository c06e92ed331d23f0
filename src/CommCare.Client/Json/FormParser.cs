using CommCare.Models;
using System;
using System.Collections.Generic;
using System.Text.Json;

namespace CommCare.Client.Json
{
    /// <summary>Form v1 / v0.5 JSON → CCForm (docs/commcare-api.md#forms).</summary>
    internal static class FormParser
    {
        public static CCForm Read(ref Utf8JsonReader r)
        {
            JsonValue.Expect(ref r, JsonTokenType.StartObject);
            var f = new CCForm();
            while (r.Read() && r.TokenType != JsonTokenType.EndObject)
            {
                string name = JsonValue.Name(ref r);
                JsonValue.Value(ref r);
                switch (name)
                {
                    case "id": f.Id = JsonValue.ReadString(ref r) ?? ""; break;
                    case "domain": f.Domain = JsonValue.ReadString(ref r); break;
                    case "app_id": f.AppId = JsonValue.ReadString(ref r); break;
                    case "build_id": f.BuildId = JsonValue.ReadString(ref r); break;
                    case "type": f.Type = JsonValue.ReadString(ref r); break;
                    case "version": f.Version = JsonValue.ReadString(ref r); break;
                    case "uiversion": f.UiVersion = JsonValue.ReadString(ref r); break;
                    case "received_on": f.ReceivedOn = JsonValue.ReadDate(ref r); break;
                    case "server_modified_on": f.ServerModifiedOn = JsonValue.ReadDate(ref r); break;
                    case "indexed_on": f.IndexedOn = JsonValue.ReadDate(ref r); break;
                    case "edited_on": f.EditedOn = JsonValue.ReadDate(ref r); break;
                    case "edited_by_user_id": f.EditedByUserId = JsonValue.ReadString(ref r); break;
                    case "archived": f.Archived = JsonValue.ReadBool(ref r); break;
                    case "is_phone_submission": f.IsPhoneSubmission = JsonValue.ReadNullableBool(ref r); break;
                    case "initial_processing_complete": f.InitialProcessingComplete = JsonValue.ReadNullableBool(ref r); break;
                    case "problem": f.Problem = JsonValue.ReadString(ref r); break;
                    case "submit_ip": f.SubmitIp = JsonValue.ReadString(ref r); break;
                    case "metadata": f.Metadata = ReadMetadata(ref r); break;
                    case "form":
                        if (r.TokenType == JsonTokenType.StartObject) ReadBody(ref r, f);
                        else r.Skip();
                        break;
                    case "attachments": f.Attachments = ReadAttachments(ref r); break;
                    case "cases":
                        var cases = new List<CCCase>();
                        if (r.TokenType == JsonTokenType.StartArray)
                            while (r.Read() && r.TokenType != JsonTokenType.EndArray) cases.Add(CaseParser.Read(ref r));
                        else r.Skip();
                        f.Cases = cases;
                        break;
                    case "resource_uri": f.ResourceUri = JsonValue.ReadString(ref r); break;
                    default:
                        (f.AdditionalFields ??= new Dictionary<string, object?>(StringComparer.Ordinal))[name] = JsonValue.Read(ref r);
                        break;
                }
            }
            return f;
        }

        static FormParser()
        {
            CCForm.BodyParser = ParseBody;
        }

        private static void ReadBody(ref Utf8JsonReader r, CCForm f)
        {
            long start = r.TokenStartIndex;
            if (!RecordSource.Available)
            {
                var body = JsonValue.ReadObject(ref r);
                f.Form = body;
                if (body.TryGetValue("@xmlns", out var x)) f.Xmlns = x as string;
                if (body.TryGetValue("@name", out var n)) f.Name = n as string;
                return;
            }
            // Read the two names the object model lifts; skip the rest and keep its bytes.
            while (r.Read() && r.TokenType != JsonTokenType.EndObject)
            {
                string name = JsonValue.Name(ref r);
                JsonValue.Value(ref r);
                if (name == "@xmlns") f.Xmlns = JsonValue.ReadString(ref r);
                else if (name == "@name") f.Name = JsonValue.ReadString(ref r);
                else r.Skip();
            }
            f.SetFormJson(RecordSource.Copy(start, r.BytesConsumed));
        }

        private static IDictionary<string, object?> ParseBody(byte[] json)
        {
            var r = new Utf8JsonReader(json);
            r.Read();
            return JsonValue.ReadObject(ref r);
        }

        private static CCFormMetadata ReadMetadata(ref Utf8JsonReader r)
        {
            var m = new CCFormMetadata();
            if (r.TokenType != JsonTokenType.StartObject) { r.Skip(); return m; }
            while (r.Read() && r.TokenType != JsonTokenType.EndObject)
            {
                string name = JsonValue.Name(ref r);
                JsonValue.Value(ref r);
                switch (name)
                {
                    case "appVersion": m.AppVersion = JsonValue.ReadString(ref r); break;
                    case "app_build_version": m.AppBuildVersion = JsonValue.ReadNullableLong(ref r); break;
                    case "commcare_version": m.CommCareVersion = JsonValue.ReadString(ref r); break;
                    case "deprecatedID": m.DeprecatedId = JsonValue.ReadString(ref r); break;
                    case "deviceID": m.DeviceId = JsonValue.ReadString(ref r); break;
                    case "doc_type": m.DocType = JsonValue.ReadString(ref r); break;
                    case "geo_point": m.GeoPoint = JsonValue.ReadString(ref r); break;
                    case "instanceID": m.InstanceId = JsonValue.ReadString(ref r); break;
                    case "location": m.Location = JsonValue.Read(ref r); break;
                    case "timeStart": m.TimeStart = JsonValue.ReadDate(ref r); break;
                    case "timeEnd": m.TimeEnd = JsonValue.ReadDate(ref r); break;
                    case "userID": m.UserId = JsonValue.ReadString(ref r); break;
                    case "username": m.UserName = JsonValue.ReadString(ref r); break;
                    default:
                        (m.AdditionalFields ??= new Dictionary<string, object?>(StringComparer.Ordinal))[name] = JsonValue.Read(ref r);
                        break;
                }
            }
            return m;
        }

        private static IDictionary<string, CCFormAttachment> ReadAttachments(ref Utf8JsonReader r)
        {
            var map = new Dictionary<string, CCFormAttachment>(StringComparer.Ordinal);
            if (r.TokenType != JsonTokenType.StartObject) { r.Skip(); return map; }
            while (r.Read() && r.TokenType != JsonTokenType.EndObject)
            {
                var a = new CCFormAttachment { Name = JsonValue.Name(ref r) };
                JsonValue.Value(ref r);
                if (r.TokenType == JsonTokenType.StartObject)
                {
                    while (r.Read() && r.TokenType != JsonTokenType.EndObject)
                    {
                        string name = JsonValue.Name(ref r);
                        JsonValue.Value(ref r);
                        switch (name)
                        {
                            case "content_type": a.ContentType = JsonValue.ReadString(ref r); break;
                            case "length": a.Length = JsonValue.ReadNullableLong(ref r); break;
                            case "url": a.Url = JsonValue.ReadString(ref r); break;
                            default: r.Skip(); break;
                        }
                    }
                }
                else r.Skip();
                map[a.Name] = a;
            }
            return map;
        }
    }
}
