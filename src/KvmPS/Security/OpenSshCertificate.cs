using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace KvmPS.Security
{
    /// <summary>The certificate type field of PROTOCOL.certkeys.</summary>
    internal enum OpenSshCertificateKind : uint
    {
        User = 1,
        Host = 2,
    }

    /// <summary>
    /// An OpenSSH certificate (PROTOCOL.certkeys) parsed from its blob. Parsing does NOT verify the CA signature:
    /// SSH.NET's CertificateHostAlgorithm verifies it against the embedded signature key during key exchange,
    /// before the host key callback runs. What is left to us is whether that CA is trusted for the host and
    /// whether the certificate's type, principals, validity window and options allow it (see <see cref="CheckHost"/>).
    /// </summary>
    internal sealed class OpenSshCertificate
    {
        /// <summary>valid_before value meaning "forever" (valid_after 0 means "since always").</summary>
        public const ulong Forever = ulong.MaxValue;

        // The signature algorithms ssh(1) accepts for CA signatures by default (CASignatureAlgorithms):
        // notably not "ssh-rsa", i.e. RSA/SHA-1, which it refuses with "Certificate signed with disallowed algorithm".
        private static readonly HashSet<string> DefaultCaSignatureAlgorithms = new HashSet<string>(StringComparer.Ordinal)
        {
            "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
            "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com", "rsa-sha2-512", "rsa-sha2-256",
        };

        private OpenSshCertificate(byte[] blob)
        {
            Blob = blob;
        }

        /// <summary>The whole certificate blob as given.</summary>
        public byte[] Blob { get; }

        /// <summary>e.g. "ssh-ed25519-cert-v01@openssh.com".</summary>
        public string CertificateKeyType { get; private set; } = "";

        /// <summary>Type of the certified key, e.g. "ssh-ed25519".</summary>
        public string KeyType { get; private set; } = "";

        public byte[] Nonce { get; private set; } = Array.Empty<byte>();

        /// <summary>The certified public key as a plain key blob ("ssh-ed25519" + pk, "ssh-rsa" + e + n, ...).</summary>
        public byte[] PublicKeyBlob { get; private set; } = Array.Empty<byte>();

        public ulong Serial { get; private set; }

        public OpenSshCertificateKind Kind { get; private set; }

        public string KeyId { get; private set; } = "";

        /// <summary>Host names (host certificates) or user names; empty means "any" in the wire format.</summary>
        public IReadOnlyList<string> ValidPrincipals { get; private set; } = Array.Empty<string>();

        /// <summary>Seconds since the Unix epoch; 0 means "since always".</summary>
        public ulong ValidAfter { get; private set; }

        /// <summary>Seconds since the Unix epoch; <see cref="Forever"/> means "no expiry".</summary>
        public ulong ValidBefore { get; private set; }

        /// <summary>Names of the critical options (host certificates must have none).</summary>
        public IReadOnlyList<string> CriticalOptions { get; private set; } = Array.Empty<string>();

        public IReadOnlyList<string> Extensions { get; private set; } = Array.Empty<string>();

        /// <summary>The CA public key (a plain key blob) that signed this certificate.</summary>
        public byte[] SignatureKeyBlob { get; private set; } = Array.Empty<byte>();

        /// <summary>Algorithm of the CA signature, e.g. "ssh-ed25519" or "rsa-sha2-512".</summary>
        public string SignatureAlgorithm { get; private set; } = "";

        /// <summary>The signature field as encoded: string algorithm, string signature bytes.</summary>
        public byte[] SignatureBlob { get; private set; } = Array.Empty<byte>();

        public static bool IsCertificate(byte[] blob)
        {
            return OpenSshKeyBlob.IsCertificateType(OpenSshKeyBlob.KeyType(blob));
        }

        /// <summary>Parses a certificate blob; throws <see cref="SshFormatException"/> if it is not a well-formed one.</summary>
        public static OpenSshCertificate Parse(byte[] blob)
        {
            if (blob == null)
            {
                throw new ArgumentNullException(nameof(blob));
            }

            var cert = new OpenSshCertificate(blob);
            var reader = new SshWireReader(blob);
            cert.CertificateKeyType = reader.ReadUtf8String();
            if (!OpenSshKeyBlob.IsCertificateType(cert.CertificateKeyType))
            {
                throw new SshFormatException("'" + cert.CertificateKeyType + "' is not an OpenSSH certificate type.");
            }

            cert.KeyType = OpenSshKeyBlob.PlainKeyType(cert.CertificateKeyType);
            cert.Nonce = reader.ReadString();

            // The certified key's fields sit between the nonce and the serial in the same encoding as in a plain
            // blob, so the plain blob is the plain type name followed by those bytes copied verbatim.
            int keyStart = reader.Position;
            OpenSshKeyBlob.ReadPublicKeyFields(reader, cert.KeyType);
            cert.PublicKeyBlob = BuildPlainBlob(cert.KeyType, blob, keyStart, reader.Position - keyStart);

            cert.Serial = reader.ReadUInt64();
            uint kind = reader.ReadUInt32();
            if (kind != (uint)OpenSshCertificateKind.User && kind != (uint)OpenSshCertificateKind.Host)
            {
                throw new SshFormatException("Unknown certificate type " + kind + ".");
            }

            cert.Kind = (OpenSshCertificateKind)kind;
            cert.KeyId = reader.ReadUtf8String();
            cert.ValidPrincipals = ReadStringList(reader.ReadString());
            cert.ValidAfter = reader.ReadUInt64();
            cert.ValidBefore = reader.ReadUInt64();
            cert.CriticalOptions = ReadOptionNames(reader.ReadString(), "critical options");
            cert.Extensions = ReadOptionNames(reader.ReadString(), "extensions");
            reader.SkipString(); // reserved

            cert.SignatureKeyBlob = reader.ReadString();
            if (OpenSshKeyBlob.IsCertificateType(OpenSshKeyBlob.KeyType(cert.SignatureKeyBlob)))
            {
                // OpenSSH refuses certificates signed by certificates (SSH_ERR_KEY_CERT_INVALID_SIGN_KEY).
                throw new SshFormatException("Certificate signature key is itself a certificate.");
            }

            OpenSshKeyBlob.ValidatePlainKey(cert.SignatureKeyBlob);

            cert.SignatureBlob = reader.ReadString();
            var signature = new SshWireReader(cert.SignatureBlob);
            cert.SignatureAlgorithm = signature.ReadUtf8String();
            signature.SkipString();
            reader.ExpectEnd("Certificate");
            return cert;
        }

        /// <summary>
        /// Encodes a certificate blob from its fields, the inverse of <see cref="Parse"/>. Needed because SSH.NET
        /// 2026.0.0 hands the HostKeyReceived handler the parsed certificate (HostKeyEventArgs.Certificate) and the
        /// plain key (HostKeyEventArgs.HostKey) but keeps the certificate bytes internal. The fields map 1:1:
        /// Name, Nonce, HostKey (the certified key blob), Serial, Type, KeyId, ValidPrincipals,
        /// ValidAfterUnixSeconds, ValidBeforeUnixSeconds, CriticalOptions, Extensions, CertificateAuthorityKey,
        /// Signature. The "reserved" field is always empty.
        /// </summary>
        public static byte[] Encode(string certificateKeyType, byte[] nonce, byte[] certifiedKeyBlob, ulong serial,
            OpenSshCertificateKind kind, string keyId, IEnumerable<string> principals, ulong validAfter, ulong validBefore,
            IEnumerable<KeyValuePair<string, byte[]>> criticalOptions, IEnumerable<KeyValuePair<string, byte[]>> extensions,
            byte[] signatureKeyBlob, byte[] signatureBlob)
        {
            var keyReader = new SshWireReader(certifiedKeyBlob);
            string plainType = keyReader.ReadUtf8String();
            if (!string.Equals(OpenSshKeyBlob.PlainKeyType(certificateKeyType), plainType, StringComparison.Ordinal))
            {
                throw new ArgumentException("A " + certificateKeyType + " cannot certify a " + plainType + " key.", nameof(certifiedKeyBlob));
            }

            using (var stream = new MemoryStream())
            {
                SshWireWriter.WriteString(stream, certificateKeyType);
                SshWireWriter.WriteString(stream, nonce);
                stream.Write(certifiedKeyBlob, keyReader.Position, certifiedKeyBlob.Length - keyReader.Position);
                SshWireWriter.WriteUInt64(stream, serial);
                SshWireWriter.WriteUInt32(stream, (uint)kind);
                SshWireWriter.WriteString(stream, keyId);
                SshWireWriter.WriteString(stream, SshWireWriter.Pack(principals.Select(p => Encoding.UTF8.GetBytes(p))));
                SshWireWriter.WriteUInt64(stream, validAfter);
                SshWireWriter.WriteUInt64(stream, validBefore);
                SshWireWriter.WriteString(stream, SshWireWriter.Pack(criticalOptions.SelectMany(o => new[] { Encoding.UTF8.GetBytes(o.Key), o.Value })));
                SshWireWriter.WriteString(stream, SshWireWriter.Pack(extensions.SelectMany(o => new[] { Encoding.UTF8.GetBytes(o.Key), o.Value })));
                SshWireWriter.WriteString(stream, Array.Empty<byte>());
                SshWireWriter.WriteString(stream, signatureKeyBlob);
                SshWireWriter.WriteString(stream, signatureBlob);
                return stream.ToArray();
            }
        }

        /// <summary>
        /// Applies ssh(1)'s checks for a host certificate whose CA is trusted for the host
        /// (sshkey_cert_check_host with wildcard principals off and the default CASignatureAlgorithms).
        /// Returns null when the certificate is acceptable, else OpenSSH's reason text.
        /// An empty principal list is accepted for host certificates, as OpenSSH does.
        /// </summary>
        public string? CheckHost(string hostName, DateTimeOffset now)
        {
            if (Kind != OpenSshCertificateKind.Host)
            {
                return "Certificate invalid: not a host certificate";
            }

            long unixNow = now.ToUnixTimeSeconds();
            ulong verifyTime = unixNow < 0 ? 0 : (ulong)unixNow;
            if (verifyTime < ValidAfter)
            {
                return "Certificate invalid: not yet valid";
            }

            if (verifyTime >= ValidBefore)
            {
                return "Certificate invalid: expired";
            }

            if (ValidPrincipals.Count > 0 && !ContainsOrdinal(ValidPrincipals, hostName))
            {
                return "Certificate invalid: name is not a listed principal";
            }

            if (CriticalOptions.Count > 0)
            {
                return "Certificate contains unsupported critical options";
            }

            if (!DefaultCaSignatureAlgorithms.Contains(SignatureAlgorithm))
            {
                return "Certificate signed with disallowed algorithm";
            }

            return null;
        }

        /// <summary>Human-readable validity window in UTC, "forever" for the open ends.</summary>
        public string DescribeValidity()
        {
            return "from " + DescribeTime(ValidAfter, "always") + " to " + DescribeTime(ValidBefore, "forever");
        }

        private static string DescribeTime(ulong unixSeconds, string openEnd)
        {
            if (unixSeconds == 0 || unixSeconds == Forever || unixSeconds > 253402300799UL)
            {
                return openEnd;
            }

            return DateTimeOffset.FromUnixTimeSeconds((long)unixSeconds).ToString("yyyy-MM-ddTHH:mm:ssZ",
                System.Globalization.CultureInfo.InvariantCulture);
        }

        private static bool ContainsOrdinal(IReadOnlyList<string> list, string value)
        {
            for (int i = 0; i < list.Count; i++)
            {
                if (string.Equals(list[i], value, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        }

        private static byte[] BuildPlainBlob(string plainType, byte[] source, int offset, int count)
        {
            using (var stream = new MemoryStream())
            {
                SshWireWriter.WriteString(stream, plainType);
                stream.Write(source, offset, count);
                return stream.ToArray();
            }
        }



        private static IReadOnlyList<string> ReadStringList(byte[] packed)
        {
            var reader = new SshWireReader(packed);
            var items = new List<string>();
            while (!reader.AtEnd)
            {
                items.Add(reader.ReadUtf8String());
            }

            return items;
        }

        // Options are (name string, data string) pairs; only the names matter to host key checking.
        private static IReadOnlyList<string> ReadOptionNames(byte[] packed, string what)
        {
            var reader = new SshWireReader(packed);
            var names = new List<string>();
            while (!reader.AtEnd)
            {
                names.Add(reader.ReadUtf8String());
                if (reader.AtEnd)
                {
                    throw new SshFormatException("Certificate " + what + " end after an option name.");
                }

                reader.SkipString();
            }

            return names;
        }
    }
}
