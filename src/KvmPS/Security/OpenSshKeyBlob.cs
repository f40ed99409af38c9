using System;
using System.Security.Cryptography;

namespace KvmPS.Security
{
    /// <summary>
    /// Helpers for OpenSSH public key blobs: the bytes that appear base64-encoded in known_hosts and *.pub files
    /// and that a server sends as its host key (RFC 4253 section 6.6, PROTOCOL.certkeys).
    /// </summary>
    internal static class OpenSshKeyBlob
    {
        public const string CertificateSuffix = "-cert-v01@openssh.com";

        /// <summary>The key type name that a blob starts with, e.g. "ssh-ed25519" or "ssh-rsa-cert-v01@openssh.com".</summary>
        public static string KeyType(byte[] blob)
        {
            if (blob == null)
            {
                throw new ArgumentNullException(nameof(blob));
            }

            string type = new SshWireReader(blob).ReadUtf8String();
            if (type.Length == 0)
            {
                throw new SshFormatException("Key blob has an empty key type.");
            }

            return type;
        }

        public static bool IsCertificateType(string keyType)
        {
            return keyType != null && keyType.EndsWith(CertificateSuffix, StringComparison.Ordinal);
        }

        /// <summary>
        /// Maps a certificate key type to the type of the key it certifies
        /// ("ssh-ed25519-cert-v01@openssh.com" -> "ssh-ed25519",
        /// "sk-ssh-ed25519-cert-v01@openssh.com" -> "sk-ssh-ed25519@openssh.com"). Plain types map to themselves.
        /// </summary>
        public static string PlainKeyType(string keyType)
        {
            if (!IsCertificateType(keyType))
            {
                return keyType;
            }

            string stem = keyType.Substring(0, keyType.Length - CertificateSuffix.Length);
            // The security-key types are the only ones whose plain name carries a vendor suffix.
            return stem.StartsWith("sk-", StringComparison.Ordinal) ? stem + "@openssh.com" : stem;
        }

        /// <summary>
        /// Maps a negotiated host key *algorithm* to the key type of the blob it carries: the rsa-sha2-* signature
        /// algorithms (RFC 8332) travel in "ssh-rsa" blobs, everything else is named after its key type.
        /// </summary>
        public static string KeyTypeForAlgorithm(string algorithm)
        {
            if (algorithm == null)
            {
                throw new ArgumentNullException(nameof(algorithm));
            }

            switch (algorithm)
            {
                case "rsa-sha2-256":
                case "rsa-sha2-512":
                    return "ssh-rsa";
                case "rsa-sha2-256-cert-v01@openssh.com":
                case "rsa-sha2-512-cert-v01@openssh.com":
                    return "ssh-rsa-cert-v01@openssh.com";
                default:
                    return algorithm;
            }
        }

        /// <summary>
        /// Number of RFC 4251 strings/mpints that follow the type name in a plain key blob of this type,
        /// or -1 for a type OpenSSH does not know (OpenSSH rejects such known_hosts lines as invalid).
        /// </summary>
        public static int PublicKeyFieldCount(string plainKeyType)
        {
            switch (plainKeyType)
            {
                case "ssh-ed25519":
                    return 1; // 32-byte point
                case "ssh-rsa":
                case "ecdsa-sha2-nistp256":
                case "ecdsa-sha2-nistp384":
                case "ecdsa-sha2-nistp521":
                case "sk-ssh-ed25519@openssh.com":
                    return 2; // e,n | curve,Q | point,application
                case "sk-ecdsa-sha2-nistp256@openssh.com":
                    return 3; // curve, Q, application
                case "ssh-dss":
                    return 4; // p, q, g, y
                default:
                    return -1;
            }
        }

        /// <summary>
        /// Checks that a plain (non-certificate) key blob has the fields its type requires and nothing after them.
        /// Throws <see cref="SshFormatException"/> otherwise.
        /// </summary>
        public static void ValidatePlainKey(byte[] blob)
        {
            var reader = new SshWireReader(blob);
            string type = reader.ReadUtf8String();
            ReadPublicKeyFields(reader, type);
            reader.ExpectEnd(type + " key blob");
        }

        /// <summary>
        /// Skips the public key fields of a key of <paramref name="plainKeyType"/> (used for plain blobs and for
        /// the embedded key of certificates, whose layout is the same after the nonce).
        /// </summary>
        internal static void ReadPublicKeyFields(SshWireReader reader, string plainKeyType)
        {
            int fields = PublicKeyFieldCount(plainKeyType);
            if (fields < 0)
            {
                throw new SshFormatException("Unsupported key type '" + plainKeyType + "'.");
            }

            if (plainKeyType.IndexOf("ed25519", StringComparison.Ordinal) >= 0)
            {
                int start = reader.SkipString();
                if (reader.Position - start != 32)
                {
                    throw new SshFormatException(plainKeyType + " public key must be 32 bytes.");
                }

                fields--;
            }
            else if (plainKeyType.IndexOf("ecdsa-sha2-", StringComparison.Ordinal) >= 0)
            {
                // The curve name inside the blob must agree with the type name, as OpenSSH checks.
                string curve = reader.ReadUtf8String();
                string expected = plainKeyType.Substring(plainKeyType.IndexOf("nistp", StringComparison.Ordinal), 8);
                if (!string.Equals(curve, expected, StringComparison.Ordinal))
                {
                    throw new SshFormatException(plainKeyType + " blob names curve '" + curve + "'.");
                }

                fields--;
            }

            for (int i = 0; i < fields; i++)
            {
                reader.SkipString();
            }
        }

        /// <summary>
        /// The plain public key inside a blob: the blob itself for a plain key (validated), the certified key
        /// rebuilt as "type + key fields" for a certificate.
        /// </summary>
        public static byte[] PlainKeyBlob(byte[] blob)
        {
            string type = KeyType(blob);
            if (IsCertificateType(type))
            {
                return OpenSshCertificate.Parse(blob).PublicKeyBlob;
            }

            ValidatePlainKey(blob);
            return blob;
        }

        /// <summary>
        /// SHA-256 fingerprint exactly as <c>ssh-keygen -lf</c> prints it: "SHA256:" + unpadded base64.
        /// Like OpenSSH, a certificate is fingerprinted by the key it certifies.
        /// </summary>
        public static string Fingerprint(byte[] blob)
        {
            byte[] plain = PlainKeyBlob(blob);
            using (var sha = SHA256.Create())
            {
                return "SHA256:" + Convert.ToBase64String(sha.ComputeHash(plain)).TrimEnd('=');
            }
        }

        /// <summary>Byte-wise equality of two blobs (both canonical encodings as produced by OpenSSH).</summary>
        public static bool BlobsEqual(byte[]? a, byte[]? b)
        {
            if (a == null || b == null || a.Length != b.Length)
            {
                return false;
            }

            for (int i = 0; i < a.Length; i++)
            {
                if (a[i] != b[i])
                {
                    return false;
                }
            }

            return true;
        }
    }
}
