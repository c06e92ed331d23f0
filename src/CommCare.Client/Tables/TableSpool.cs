using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace CommCare.Client.Tables
{
    /// <summary>
    /// A table's rows on disk while an export runs: the final file needs every column in its header, and an
    /// answer no build lists may first appear in the last form, so rows wait here (constant memory) until the
    /// walk ends. Values are kept by column index; the column list only grows, so indexes stay valid.
    /// </summary>
    internal sealed class TableSpool : IDisposable
    {
        private const byte Null = 0, Str = 1, Date = 2, False = 3, True = 4, Long = 5;
        private readonly string _path;
        private FileStream? _stream;
        private BinaryWriter? _w;

        public TableSpool(string path)
        {
            _path = path;
            _stream = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
            _w = new BinaryWriter(_stream, new UTF8Encoding(false), leaveOpen: true);
        }

        public long Rows { get; private set; }

        public void Write(object?[] values, int count)
        {
            var w = _w!;
            if (count > values.Length) count = values.Length;   // columns added after the row was made: empty in it
            while (count > 0 && values[count - 1] == null) count--;
            w.Write(count);
            for (int i = 0; i < count; i++)
            {
                switch (values[i])
                {
                    case null: w.Write(Null); break;
                    case string s: w.Write(Str); w.Write(s); break;
                    case DateTime d: w.Write(Date); w.Write((d.Kind == DateTimeKind.Local ? d.ToUniversalTime() : d).Ticks); break;
                    case bool b: w.Write(b ? True : False); break;
                    case long l: w.Write(Long); w.Write(l); break;
                    case int n: w.Write(Long); w.Write((long)n); break;
                    case IFormattable f: w.Write(Str); w.Write(f.ToString(null, System.Globalization.CultureInfo.InvariantCulture)); break;
                    default: w.Write(Str); w.Write(values[i]!.ToString() ?? ""); break;
                }
            }
            Rows++;
        }

        /// <summary>The rows in the order written, each as long as <paramref name="width"/> (the final column count).
        /// The array is reused from row to row.</summary>
        public IEnumerable<object?[]> Read(int width)
        {
            _w!.Flush();
            _stream!.Position = 0;
            var r = new BinaryReader(_stream, new UTF8Encoding(false), leaveOpen: true);
            var row = new object?[width];
            for (long n = 0; n < Rows; n++)
            {
                int count = r.ReadInt32();
                System.Array.Clear(row, 0, width);
                for (int i = 0; i < count; i++)
                {
                    object? v;
                    switch (r.ReadByte())
                    {
                        case Str: v = r.ReadString(); break;
                        case Date: v = new DateTime(r.ReadInt64(), DateTimeKind.Utc); break;
                        case True: v = true; break;
                        case False: v = false; break;
                        case Long: v = r.ReadInt64(); break;
                        default: v = null; break;
                    }
                    if (i < width) row[i] = v;
                }
                yield return row;
            }
        }

        public void Dispose()
        {
            _w?.Dispose(); _w = null;
            _stream?.Dispose(); _stream = null;
            try { if (File.Exists(_path)) File.Delete(_path); } catch (IOException) { }
        }
    }
}
