using System;
using System.IO;
using System.Net.Http;
using System.Text;

namespace CommCare.Client.Http
{
    /// <summary>
    /// A multipart/form-data body built once in memory: every retry of the request sends the identical bytes
    /// (what makes a resent form submission a duplicate, never an edit). Used by the receiver, the case importer
    /// and the lookup table upload.
    /// </summary>
    internal sealed class MultipartBody
    {
        private readonly MemoryStream _body = new MemoryStream();
        private readonly string _boundary = "----CommCare" + Guid.NewGuid().ToString("N");
        private byte[]? _done;

        public MultipartBody File(string name, string fileName, string contentType, byte[] data)
        {
            Write("--" + _boundary + "\r\nContent-Disposition: form-data; name=\"" + Quote(name) + "\"; filename=\"" + Quote(fileName) + "\"\r\nContent-Type: " + contentType + "\r\n\r\n");
            _body.Write(data, 0, data.Length);
            Write("\r\n");
            return this;
        }

        /// <summary>A plain form field; a null value is left out.</summary>
        public MultipartBody Field(string name, string? value)
        {
            if (value != null) Write("--" + _boundary + "\r\nContent-Disposition: form-data; name=\"" + Quote(name) + "\"\r\n\r\n" + value + "\r\n");
            return this;
        }

        /// <summary>The finished body as request content (the closing boundary is added once).</summary>
        public HttpContent ToContent()
        {
            if (_done == null)
            {
                Write("--" + _boundary + "--\r\n");
                _done = _body.ToArray();
            }
            var content = new ByteArrayContent(_done);
            content.Headers.TryAddWithoutValidation("Content-Type", "multipart/form-data; boundary=" + _boundary);
            return content;
        }

        private void Write(string s)
        {
            var b = Encoding.UTF8.GetBytes(s);
            _body.Write(b, 0, b.Length);
        }

        private static string Quote(string v) => v.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\r", "").Replace("\n", "");
    }
}
