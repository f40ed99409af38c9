using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace KvmPS.Security
{
    /// <summary>Key types recorded for a host, to order the host key algorithms offered (like ssh's order_hostkeyalgs).</summary>
    internal sealed class RecordedHostKeyTypes
    {
        public RecordedHostKeyTypes(IReadOnlyList<string> keyTypes, bool hasCertificateAuthority)
        {
            KeyTypes = keyTypes;
            HasCertificateAuthority = hasCertificateAuthority;
        }

        /// <summary>Distinct plain key types of the host's known keys, in file order.</summary>
        public IReadOnlyList<string> KeyTypes { get; }

        /// <summary>Whether an @cert-authority line applies to the host (prefer certificate algorithms then).</summary>
        public bool HasCertificateAuthority { get; }
    }

    /// <summary>
    /// known_hosts checking and recording with OpenSSH semantics (ssh(1) with StrictHostKeyChecking=yes).
    /// SSH.NET accepts any host key unless its HostKeyReceived handler says otherwise; this is what that handler
    /// asks. It is pure: no SSH.NET types, so the caller passes the negotiated algorithm and the key blob
    /// (for a certificate, the certificate blob, whose CA signature SSH.NET has already verified).
    /// </summary>
    /// <remarks>
    /// What SSH.NET 2026.0.0 does (its source, and a probe against a real sshd):
    /// <list type="bullet">
    /// <item>HostKeyReceived is raised only after the exchange-hash signature verified; for a certificate that
    /// verification (CertificateHostAlgorithm.VerifySignatureBlob) also checks the validity window and the CA
    /// signature against the CA key embedded in the certificate. So an expired or not-yet-valid certificate fails
    /// the connection inside SSH.NET and never reaches this check, and the CA's own algorithm must remain in
    /// ConnectionInfo.HostKeyAlgorithms or the CA signature cannot be verified.</item>
    /// <item>HostKeyEventArgs.HostKeyName is the negotiated algorithm ("rsa-sha2-512", "ssh-ed25519-cert-v01@openssh.com");
    /// HostKeyEventArgs.HostKey is the plain key blob, even for a certificate; HostKeyEventArgs.Certificate
    /// holds the parsed certificate, whose bytes are internal: rebuild them with
    /// <see cref="OpenSshCertificate.Encode"/>.</item>
    /// <item>ssh treats ANY other key recorded for the host as "changed", whatever its type, and avoids that by
    /// offering known key types first; a client should do the same with <see cref="RecordedKeyTypes"/>.</item>
    /// </list>
    /// </remarks>
    internal static class KnownHosts
    {
        // Permissions ssh uses for ~/.ssh and known_hosts; only applied to what Append creates.
        private const int PrivateDirectoryMode = 0x1C0; // 0700
        private const int PrivateFileMode = 0x180;      // 0600

        /// <summary>"name" for port 22 (or 0), "[name]:port" otherwise; lowercased.</summary>
        public static string FormatHost(string host, int port)
        {
            return HostPatterns.FormatHost(host, port);
        }

        /// <summary>
        /// Decides whether <paramref name="key"/> may be accepted for the host.
        /// </summary>
        /// <param name="files">known_hosts files in lookup order (user files, then global ones); missing ones are empty.</param>
        /// <param name="hostNames">[0]: the name the user connects to (or a HostKeyAlias): it decides, and a host
        /// certificate must list it as a principal. Further entries (e.g. the resolved IP address) are checked like
        /// ssh's CheckHostIP: they cannot make an unknown host known, but a different key recorded for one of them
        /// refuses the connection (Changed). Revocations are honoured under every name.</param>
        /// <param name="port">The server's port; 22 uses the plain name, others "[name]:port".</param>
        /// <param name="key">What the server presented.</param>
        /// <param name="now">Current time, for certificate validity.</param>
        public static HostKeyCheckResult Check(IReadOnlyList<string> files, IReadOnlyList<string> hostNames, int port,
            PresentedHostKey key, DateTimeOffset now)
        {
            if (files == null)
            {
                throw new ArgumentNullException(nameof(files));
            }

            if (key == null)
            {
                throw new ArgumentNullException(nameof(key));
            }

            List<string> names = NormalizeNames(hostNames);
            HostPatterns.FormatHost(names[0], port); // validates the port

            var entries = new List<KnownHostsEntry>();
            var warnings = new List<string>();
            foreach (string file in files)
            {
                KnownHostsFile parsed = KnownHostsFile.Load(file);
                entries.AddRange(parsed.Entries);
                warnings.AddRange(parsed.Warnings);
            }

            OpenSshCertificate? certificate = null;
            byte[] plainKey;
            try
            {
                string blobType = OpenSshKeyBlob.KeyType(key.KeyBlob);
                string expectedType = OpenSshKeyBlob.KeyTypeForAlgorithm(key.Algorithm);
                if (!string.Equals(expectedType, blobType, StringComparison.Ordinal))
                {
                    // Typical integration slip: SSH.NET's HostKeyEventArgs.HostKey is the plain key even when a
                    // certificate was negotiated; the certificate must be passed (see OpenSshCertificate.Encode).
                    throw new SshFormatException("algorithm '" + key.Algorithm + "' does not carry a '" + blobType + "' key"
                        + (OpenSshKeyBlob.IsCertificateType(expectedType) ? "; pass the certificate blob, not the plain key" : ""));
                }

                if (OpenSshKeyBlob.IsCertificateType(blobType))
                {
                    certificate = OpenSshCertificate.Parse(key.KeyBlob);
                    plainKey = certificate.PublicKeyBlob;
                }
                else
                {
                    OpenSshKeyBlob.ValidatePlainKey(key.KeyBlob);
                    plainKey = key.KeyBlob;
                }
            }
            catch (SshFormatException ex)
            {
                // A server sending garbage is never trusted; say why instead of throwing into the SSH stack.
                bool claimsCertificate = OpenSshKeyBlob.IsCertificateType(OpenSshKeyBlob.KeyTypeForAlgorithm(key.Algorithm));
                return new HostKeyCheckResult(
                    claimsCertificate ? HostKeyStatus.CertificateInvalid : HostKeyStatus.Unknown,
                    RawFingerprint(key.KeyBlob), null, null, "The presented host key is malformed: " + ex.Message, warnings);
            }

            var decision = new HostKeyDecision(entries, names, port, certificate, plainKey, now);
            (HostKeyStatus status, KnownHostsEntry? entry, string detail) = decision.Decide();
            string? caFingerprint = certificate == null ? null : OpenSshKeyBlob.Fingerprint(certificate.SignatureKeyBlob);
            return new HostKeyCheckResult(status, OpenSshKeyBlob.Fingerprint(plainKey), caFingerprint, entry, detail, warnings);
        }

        /// <summary>
        /// Key types known for the host, so a client can offer those host key algorithms first: ssh treats ANY other
        /// recorded key for the host as "changed", whatever its type, so negotiating a type that is not recorded turns
        /// a known host into a changed one. As OpenSSH's order_hostkeyalgs: only entries for the name connected to
        /// ("[host]:port" off port 22; the check's fallback to the plain name does not steer the order), and a type
        /// whose first recorded key is @revoked does not count (ssh then negotiates another known type).
        /// </summary>
        public static RecordedHostKeyTypes RecordedKeyTypes(IReadOnlyList<string> files, string hostName, int port)
        {
            string host = NormalizeNames(new[] { hostName })[0];
            List<KnownHostsEntry> applying = files.SelectMany(f => KnownHostsFile.Load(f).Entries)
                .Where(e => e.AppliesTo(FormatHost(host, port))).ToList();
            var revoked = new HashSet<string>(
                applying.Where(e => e.Marker == KnownHostsMarker.Revoked).Select(e => Convert.ToBase64String(e.PlainKeyBlob)), StringComparer.Ordinal);
            List<string> types = applying.Where(e => e.Marker == KnownHostsMarker.None)
                .GroupBy(e => OpenSshKeyBlob.KeyType(e.PlainKeyBlob), StringComparer.Ordinal)
                .Where(g => !revoked.Contains(Convert.ToBase64String(g.First().PlainKeyBlob)))
                .Select(g => g.Key).ToList();
            return new RecordedHostKeyTypes(types, applying.Any(e => e.Marker == KnownHostsMarker.CertificateAuthority));
        }

        /// <summary>
        /// Appends one line "host keytype base64" in OpenSSH format ("[host]:port" for a port other than 22),
        /// creating the directory (0700) and file (0600) when missing. Existing lines are never rewritten; a last
        /// line without a newline gets one first.
        /// </summary>
        /// <param name="algorithm">The negotiated host key algorithm (e.g. "rsa-sha2-512"); must carry the blob's key type.</param>
        /// <param name="keyBlob">A plain key blob. Certificates are refused: ssh never records them, trust them via @cert-authority.</param>
        public static void Append(string file, string hostName, int port, string algorithm, byte[] keyBlob)
        {
            if (string.IsNullOrEmpty(file))
            {
                throw new ArgumentException("A known_hosts path is required.", nameof(file));
            }

            string host = NormalizeNames(new[] { hostName })[0];
            ValidateRecordableName(host);
            string keyType = OpenSshKeyBlob.KeyType(keyBlob ?? throw new ArgumentNullException(nameof(keyBlob)));
            if (OpenSshKeyBlob.IsCertificateType(keyType))
            {
                throw new ArgumentException("Certificates are not recorded in known_hosts; trust their CA with @cert-authority.", nameof(keyBlob));
            }

            OpenSshKeyBlob.ValidatePlainKey(keyBlob);
            if (!string.Equals(OpenSshKeyBlob.KeyTypeForAlgorithm(algorithm), keyType, StringComparison.Ordinal))
            {
                throw new ArgumentException("Algorithm '" + algorithm + "' does not carry a '" + keyType + "' key.", nameof(algorithm));
            }

            string line = FormatHost(host, port) + " " + keyType + " " + Convert.ToBase64String(keyBlob) + "\n";

            string fullPath = Path.GetFullPath(file);
            string? directory = Path.GetDirectoryName(fullPath);
            if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
            {
                Directory.CreateDirectory(directory);
                UnixFilePermissions.TrySet(directory!, PrivateDirectoryMode);
            }

            if (!File.Exists(fullPath))
            {
                // Create empty and restrict it before any key is written to it.
                using (new FileStream(fullPath, FileMode.CreateNew, FileAccess.Write, FileShare.Read))
                {
                }

                UnixFilePermissions.TrySet(fullPath, PrivateFileMode);
            }

            using (var stream = new FileStream(fullPath, FileMode.Open, FileAccess.ReadWrite, FileShare.Read))
            {
                if (stream.Length > 0)
                {
                    stream.Seek(-1, SeekOrigin.End);
                    if (stream.ReadByte() != '\n')
                    {
                        line = "\n" + line;
                    }
                }

                stream.Seek(0, SeekOrigin.End);
                byte[] bytes = Encoding.UTF8.GetBytes(line);
                stream.Write(bytes, 0, bytes.Length);
                stream.Flush();
            }
        }

        private static List<string> NormalizeNames(IReadOnlyList<string> hostNames)
        {
            if (hostNames == null || hostNames.Count == 0)
            {
                throw new ArgumentException("At least one host name is required.", nameof(hostNames));
            }

            var names = new List<string>();
            foreach (string name in hostNames)
            {
                if (string.IsNullOrWhiteSpace(name))
                {
                    throw new ArgumentException("Host names must not be empty.", nameof(hostNames));
                }

                string lower = name.Trim().ToLowerInvariant();
                if (!names.Contains(lower))
                {
                    names.Add(lower);
                }
            }

            return names;
        }

        // A recorded name must stay one literal host: no separators, no pattern or marker syntax that would
        // widen the line to other hosts or make ssh read it differently.
        private static void ValidateRecordableName(string host)
        {
            foreach (char c in host)
            {
                if (char.IsWhiteSpace(c) || c == ',' || c == '*' || c == '?' || char.IsControl(c))
                {
                    throw new ArgumentException("Host name '" + host + "' cannot be recorded in known_hosts.", nameof(host));
                }
            }

            char first = host[0];
            if (first == '#' || first == '@' || first == '|' || first == '!')
            {
                throw new ArgumentException("Host name '" + host + "' cannot be recorded in known_hosts.", nameof(host));
            }
        }

        private static string RawFingerprint(byte[] blob)
        {
            using (var sha = System.Security.Cryptography.SHA256.Create())
            {
                return "SHA256:" + Convert.ToBase64String(sha.ComputeHash(blob)).TrimEnd('=');
            }
        }
    }
}
