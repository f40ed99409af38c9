using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using KvmPS.Security;

namespace KvmPS.Tests.Security
{
    /// <summary>
    /// Builds key and certificate blobs in OpenSSH wire format without any SSH tool, for the unit tests.
    /// The key material is arbitrary bytes (nothing here signs or verifies), which is all the known_hosts logic
    /// looks at: types, encodings and byte equality.
    /// </summary>
    internal static class TestKeys
    {
        /// <summary>A real ed25519 host public key (generated with ssh-keygen) and what `ssh-keygen -lf` prints for it.</summary>
        public const string RealEd25519Base64 = "AAAAC3NzaC1lZDI1NTE5AAAAIOyhjf58wfv2fEUiv0NL4LH1IlfAWbcsjEQKjQGkYEIv";
        public const string RealEd25519Fingerprint = "SHA256:b1udAFaLHylxUakVC6E2DiBjYtC6wYMgw417U4ixxlo";

        /// <summary>A real host certificate for that key (key id "valid", principals 127.0.0.1 and kvm1.lab,
        /// valid 2026-11-26T11:58:21Z to 13:03:21Z) signed by the CA below.</summary>
        public const string RealEd25519CertBase64 =
            "AAAAIHNzaC1lZDI1NTE5LWNlcnQtdjAxQG9wZW5zc2guY29tAAAAINKJnyex6r6EtguVq4COu2BLaSEBGtR+qQDTm6HiNAR+AAAAIOyhjf58wfv2fEUiv0NL4LH1IlfAWbcsjEQKjQGkYEIv"
            + "AAAAAAAAAAAAAAACAAAABXZhbGlkAAAAGQAAAAkxMjcuMC4wLjEAAAAIa3ZtMS5sYWIAAAAAawge3QAAAABrCC4ZAAAAAAAAAAAAAAAAAAAAMwAAAAtzc2gtZWQyNTUxOQAAACDFq5cyAwTID1Sva5/UNreDYCz1oLkhm46yBen31tMrqQ"
            + "AAAFMAAAALc3NoLWVkMjU1MTkAAABAeQ/7TA3Xt4RhjCV+YCBNxb5EyoVLtzTT1mYnYBZ1sAbvbbiX2tv2tl+W0mhjNLilzLOKEWFoIIayIupYeM7lAg==";
        public const string RealCaBase64 = "AAAAC3NzaC1lZDI1NTE5AAAAIMWrlzIDBMgPVK9rn9Q2t4NgLPWguSGbjrIF6ffW0yup";
        public const string RealCaFingerprint = "SHA256:R94WEh/baiMDIb/zq2+VD3HlBL0fHHmUmbu3xc4o9NU";
        public const ulong RealCertValidAfter = 1795694301;
        public const ulong RealCertValidBefore = 1795698201;

        public static byte[] Ed25519(byte seed) => Blob("ssh-ed25519", Filled(32, seed));

        public static byte[] Rsa(byte seed) => Blob("ssh-rsa", new byte[] { 1, 0, 1 }, Concat(new byte[] { 0 }, Filled(256, seed)));

        public static byte[] Ecdsa(int bits, byte seed)
        {
            int coordinate = bits == 521 ? 66 : bits / 8;
            string curve = "nistp" + bits;
            return Blob("ecdsa-sha2-" + curve, Utf8(curve), Concat(new byte[] { 4 }, Filled(2 * coordinate, seed)));
        }

        /// <summary>Blob = string(type) followed by each field as a string.</summary>
        public static byte[] Blob(string type, params byte[][] fields)
        {
            using var stream = new MemoryStream();
            SshWireWriter.WriteString(stream, type);
            foreach (byte[] field in fields)
            {
                SshWireWriter.WriteString(stream, field);
            }

            return stream.ToArray();
        }

        public static string Line(string hosts, byte[] blob, string? marker = null)
        {
            string line = hosts + " " + OpenSshKeyBlob.KeyType(blob) + " " + Convert.ToBase64String(blob);
            return marker == null ? line : marker + " " + line;
        }

        public static PresentedHostKey Presented(byte[] blob)
        {
            return new PresentedHostKey(OpenSshKeyBlob.KeyType(blob), blob);
        }

        public static byte[] Filled(int length, byte seed) => Enumerable.Range(0, length).Select(i => (byte)(seed + i * 7)).ToArray();

        public static byte[] Utf8(string s) => System.Text.Encoding.UTF8.GetBytes(s);

        public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
    }

    /// <summary>Assembles a PROTOCOL.certkeys certificate around a plain key; defaults make a valid host certificate.</summary>
    internal sealed class TestCertificate
    {
        public TestCertificate(byte[] plainKey, byte[] caKey)
        {
            PlainKey = plainKey;
            CaKey = caKey;
        }

        public byte[] PlainKey { get; }

        public byte[] CaKey { get; set; }

        public uint Kind { get; set; } = 2;

        public ulong Serial { get; set; } = 42;

        public string KeyId { get; set; } = "test-cert";

        public List<string> Principals { get; } = new List<string> { "kvm1.lab" };

        public ulong ValidAfter { get; set; }

        public ulong ValidBefore { get; set; } = OpenSshCertificate.Forever;

        public List<string> CriticalOptions { get; } = new List<string>();

        public List<string> Extensions { get; } = new List<string>();

        public string SignatureAlgorithm { get; set; } = "ssh-ed25519";

        public byte[] TrailingBytes { get; set; } = Array.Empty<byte>();

        public byte[] Build()
        {
            var plain = new SshWireReader(PlainKey);
            string plainType = plain.ReadUtf8String();
            string certType = plainType.EndsWith("@openssh.com", StringComparison.Ordinal)
                ? plainType.Replace("@openssh.com", OpenSshKeyBlob.CertificateSuffix)
                : plainType + OpenSshKeyBlob.CertificateSuffix;

            using var stream = new MemoryStream();
            SshWireWriter.WriteString(stream, certType);
            SshWireWriter.WriteString(stream, TestKeys.Filled(32, 9)); // nonce
            stream.Write(PlainKey, plain.Position, PlainKey.Length - plain.Position);
            SshWireWriter.WriteUInt64(stream, Serial);
            SshWireWriter.WriteUInt32(stream, Kind);
            SshWireWriter.WriteString(stream, KeyId);
            SshWireWriter.WriteString(stream, SshWireWriter.Pack(Principals.Select(TestKeys.Utf8)));
            SshWireWriter.WriteUInt64(stream, ValidAfter);
            SshWireWriter.WriteUInt64(stream, ValidBefore);
            SshWireWriter.WriteString(stream, SshWireWriter.Pack(CriticalOptions.SelectMany(o => new[] { TestKeys.Utf8(o), Array.Empty<byte>() })));
            SshWireWriter.WriteString(stream, SshWireWriter.Pack(Extensions.SelectMany(o => new[] { TestKeys.Utf8(o), Array.Empty<byte>() })));
            SshWireWriter.WriteString(stream, Array.Empty<byte>()); // reserved
            SshWireWriter.WriteString(stream, CaKey);
            SshWireWriter.WriteString(stream, SshWireWriter.Pack(new[] { TestKeys.Utf8(SignatureAlgorithm), TestKeys.Filled(64, 3) }));
            stream.Write(TrailingBytes, 0, TrailingBytes.Length);
            return stream.ToArray();
        }


    }

    /// <summary>A temporary directory removed on dispose.</summary>
    internal sealed class TempDirectory : IDisposable
    {
        public TempDirectory()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "kvmps-sec-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public string Write(string name, params string[] lines)
        {
            string path = File(name);
            System.IO.File.WriteAllText(path, string.Join("\n", lines) + "\n");
            return path;
        }

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a leftover temp directory must not fail a test.
            }
        }
    }
}
