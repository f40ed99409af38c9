using System;
using System.Collections.Generic;

namespace KvmPS.Security
{
    /// <summary>Verdict of a known_hosts check, following ssh(1) with StrictHostKeyChecking=yes.</summary>
    internal enum HostKeyStatus
    {
        /// <summary>A known_hosts line for the host holds exactly this key.</summary>
        Trusted,

        /// <summary>A host certificate signed by a CA that an @cert-authority line trusts for the host.</summary>
        TrustedByCertificateAuthority,

        /// <summary>Nothing is known for the host (ssh: "No ... host key is known for ...").</summary>
        Unknown,

        /// <summary>Other keys are recorded for the host and none is this one (ssh: "REMOTE HOST IDENTIFICATION HAS CHANGED").</summary>
        Changed,

        /// <summary>The key, or the certificate's CA or certified key, is in an @revoked line. Never accept.</summary>
        Revoked,

        /// <summary>A trusted CA signed the certificate but it does not hold for this host now (expired, wrong principal...).</summary>
        CertificateInvalid,
    }

    /// <summary>The host key a server presented during key exchange.</summary>
    internal sealed class PresentedHostKey
    {
        /// <param name="algorithm">The negotiated host key algorithm, e.g. "ssh-ed25519", "rsa-sha2-512" or
        /// "ssh-ed25519-cert-v01@openssh.com".</param>
        /// <param name="keyBlob">The key blob as sent by the server: for a certificate, the certificate blob.
        /// With SSH.NET 2026.0.0, HostKeyEventArgs.HostKey is the plain key even for a certificate; rebuild the
        /// certificate blob from HostKeyEventArgs.Certificate with <see cref="OpenSshCertificate.Encode"/>.</param>
        public PresentedHostKey(string algorithm, byte[] keyBlob)
        {
            Algorithm = algorithm ?? throw new ArgumentNullException(nameof(algorithm));
            KeyBlob = keyBlob ?? throw new ArgumentNullException(nameof(keyBlob));
        }

        public string Algorithm { get; }

        public byte[] KeyBlob { get; }
    }

    /// <summary>Outcome of <see cref="KnownHosts.Check"/>.</summary>
    internal sealed class HostKeyCheckResult
    {
        public HostKeyCheckResult(HostKeyStatus status, string fingerprint, string? certificateAuthorityFingerprint,
            KnownHostsEntry? matched, string detail, IReadOnlyList<string> warnings)
        {
            Status = status;
            Fingerprint = fingerprint;
            CertificateAuthorityFingerprint = certificateAuthorityFingerprint;
            MatchedFile = matched?.File;
            MatchedLine = matched?.Line ?? 0;
            Detail = detail;
            Warnings = warnings;
        }

        public HostKeyStatus Status { get; }

        /// <summary>True for the two statuses a connection may proceed on.</summary>
        public bool IsTrusted => Status == HostKeyStatus.Trusted || Status == HostKeyStatus.TrustedByCertificateAuthority;

        /// <summary>"SHA256:..." of the presented key (for a certificate, of the key it certifies, as ssh prints it).</summary>
        public string Fingerprint { get; }

        /// <summary>"SHA256:..." of the CA that signed a presented certificate, else null.</summary>
        public string? CertificateAuthorityFingerprint { get; }

        /// <summary>
        /// The line that decided: the matching key or CA line (trusted), the offending key (changed),
        /// the @revoked line (revoked), the CA line (certificate invalid); null when nothing matched.
        /// </summary>
        public string? MatchedFile { get; }

        /// <summary>1-based line in <see cref="MatchedFile"/>, 0 when none.</summary>
        public int MatchedLine { get; }

        /// <summary>One or more sentences for the user, naming file:line where relevant.</summary>
        public string Detail { get; }

        /// <summary>Skipped malformed known_hosts lines ("file:line: reason").</summary>
        public IReadOnlyList<string> Warnings { get; }

        public override string ToString()
        {
            return Status + " " + Fingerprint + ": " + Detail;
        }
    }
}
