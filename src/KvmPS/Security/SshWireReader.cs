using System;
using System.Text;

namespace KvmPS.Security
{
    /// <summary>
    /// Thrown when a key or certificate blob does not follow the SSH wire format (RFC 4251 section 5).
    /// </summary>
    internal sealed class SshFormatException : FormatException
    {
        public SshFormatException(string message) : base(message) { }
    }

    /// <summary>
    /// Reads the RFC 4251 encodings that key and certificate blobs are made of:
    /// big-endian uint32/uint64 and uint32-length-prefixed strings.
    /// Every read is bounds-checked because the blobs come from the network (the server's host key).
    /// </summary>
    internal sealed class SshWireReader
    {
        private readonly byte[] _data;
        private readonly int _end;

        public SshWireReader(byte[] data) : this(data, 0, data?.Length ?? 0) { }

        public SshWireReader(byte[] data, int offset, int count)
        {
            _data = data ?? throw new ArgumentNullException(nameof(data));
            if (offset < 0 || count < 0 || offset > data.Length - count)
            {
                throw new ArgumentOutOfRangeException(nameof(count));
            }

            Position = offset;
            _end = offset + count;
        }

        /// <summary>Index of the next unread byte in the underlying array.</summary>
        public int Position { get; private set; }

        public bool AtEnd => Position == _end;

        public int Remaining => _end - Position;

        public byte ReadByte()
        {
            Need(1);
            return _data[Position++];
        }

        public uint ReadUInt32()
        {
            Need(4);
            uint value = ((uint)_data[Position] << 24) | ((uint)_data[Position + 1] << 16)
                | ((uint)_data[Position + 2] << 8) | _data[Position + 3];
            Position += 4;
            return value;
        }

        public ulong ReadUInt64()
        {
            ulong high = ReadUInt32();
            ulong low = ReadUInt32();
            return (high << 32) | low;
        }

        /// <summary>Reads a length-prefixed string and returns a copy of its bytes.</summary>
        public byte[] ReadString()
        {
            int start = SkipString();
            int length = Position - start;
            var copy = new byte[length];
            Buffer.BlockCopy(_data, start, copy, 0, length);
            return copy;
        }

        /// <summary>Reads a length-prefixed string as UTF-8 text (key type names, key ids, principals).</summary>
        public string ReadUtf8String()
        {
            int start = SkipString();
            return Encoding.UTF8.GetString(_data, start, Position - start);
        }

        /// <summary>Skips a length-prefixed string and returns the index of its first content byte.</summary>
        public int SkipString()
        {
            uint length = ReadUInt32();
            if (length > (uint)Remaining)
            {
                throw new SshFormatException(
                    "SSH string length " + length + " runs past the end of the blob (" + Remaining + " bytes left).");
            }

            int start = Position;
            Position += (int)length;
            return start;
        }

        public void ExpectEnd(string what)
        {
            if (!AtEnd)
            {
                throw new SshFormatException(what + " has " + Remaining + " unexpected trailing bytes.");
            }
        }

        private void Need(int count)
        {
            if (Remaining < count)
            {
                throw new SshFormatException("SSH blob is truncated: needed " + count + " bytes, " + Remaining + " left.");
            }
        }
    }

    /// <summary>Writes RFC 4251 strings; used to rebuild the plain key blob from a certificate.</summary>
    internal static class SshWireWriter
    {
        public static void WriteUInt32(System.IO.Stream stream, uint value)
        {
            stream.WriteByte((byte)(value >> 24));
            stream.WriteByte((byte)(value >> 16));
            stream.WriteByte((byte)(value >> 8));
            stream.WriteByte((byte)value);
        }

        public static void WriteString(System.IO.Stream stream, byte[] value)
        {
            WriteUInt32(stream, (uint)value.Length);
            stream.Write(value, 0, value.Length);
        }

        public static void WriteString(System.IO.Stream stream, string value)
        {
            WriteString(stream, Encoding.UTF8.GetBytes(value));
        }

        public static void WriteUInt64(System.IO.Stream stream, ulong value)
        {
            WriteUInt32(stream, (uint)(value >> 32));
            WriteUInt32(stream, (uint)value);
        }

        /// <summary>Strings packed one after another, as in a certificate's principal and option lists.</summary>
        public static byte[] Pack(System.Collections.Generic.IEnumerable<byte[]> strings)
        {
            using (var stream = new System.IO.MemoryStream())
            {
                foreach (byte[] item in strings)
                {
                    WriteString(stream, item);
                }

                return stream.ToArray();
            }
        }
    }
}
