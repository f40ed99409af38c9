using System;
using System.Collections.Generic;
using System.Linq;

namespace KvmPS.Security
{
    /// <summary>
    /// The decision procedure of ssh(1)'s check_host_key() (sshconnect.c, OpenSSH 9.x) with
    /// StrictHostKeyChecking=yes, over already-loaded known_hosts entries. The control flow is kept close to the
    /// original on purpose, including two behaviours that are easy to get wrong:
    /// <list type="bullet">
    /// <item>For a port other than 22, when nothing at all is known for "[host]:port", the plain "host" lines are
    /// consulted too ("checking without port identifier"); a differing key found that way is ignored quietly,
    /// so the verdict is Unknown, not Changed.</item>
    /// <item>A certificate whose CA is not trusted for the host, or that a trusted CA signed but which is invalid
    /// (expired, wrong principal...), is retried as its plain certified key ("No matching CA found. Retry with
    /// plain key").</item>
    /// </list>
    /// One deliberate difference, in the strict direction: @revoked lines are checked first, for every given
    /// name with and without the port, so a revoked key or CA is refused even where ssh would have accepted a
    /// plain line found before it ever looked at the revocation.
    /// </summary>
    internal sealed class HostKeyDecision
    {
        private readonly IReadOnlyList<KnownHostsEntry> _entries;
        private readonly string _primaryName;
        private readonly IReadOnlyList<string> _addressNames;
        private readonly int _port;
        private readonly DateTimeOffset _now;
        private readonly OpenSshCertificate? _certificate;
        private readonly byte[] _plainKey;
        private readonly string _plainKeyType;

        // Facts met on the way, used to explain a refusal the way ssh's log lines would.
        private string? _certificateFailure;
        private KnownHostsEntry? _certificateFailureAuthority;
        private KnownHostsEntry? _ignoredPortlessKey;

        /// <param name="hostNames">Lowercased, distinct; [0] is the name the user asked for (ssh's hostname or
        /// HostKeyAlias, the name a certificate must list), the rest are addresses checked like CheckHostIP.</param>
        public HostKeyDecision(IReadOnlyList<KnownHostsEntry> entries, IReadOnlyList<string> hostNames, int port,
            OpenSshCertificate? certificate, byte[] plainKey, DateTimeOffset now)
        {
            _entries = entries;
            _primaryName = hostNames[0];
            _addressNames = hostNames.Skip(1).ToList();
            _port = port;
            _certificate = certificate;
            _plainKey = plainKey;
            _plainKeyType = OpenSshKeyBlob.KeyType(plainKey);
            _now = now;
        }

        public (HostKeyStatus Status, KnownHostsEntry? Entry, string Detail) Decide()
        {
            (KnownHostsEntry Entry, string What)? revoked = FindRevocation();
            if (revoked.HasValue)
            {
                return (HostKeyStatus.Revoked, revoked.Value.Entry,
                    "The " + revoked.Value.What + " is marked @revoked at " + revoked.Value.Entry.Location
                    + "; it must never be accepted.");
            }

            Outcome outcome = CheckHostKey(wantCertificate: _certificate != null, withoutPort: false);
            if (outcome.Status == HostKeyStatus.Trusted && _certificate != null)
            {
                string why = _certificateFailure ?? "no @cert-authority line for the host holds its CA key";
                return (outcome.Status, outcome.Entry, outcome.Detail + " The certificate itself was not accepted ("
                    + why + "), so its plain key decided, as ssh does.");
            }

            if (outcome.Status == HostKeyStatus.Trusted || outcome.Status == HostKeyStatus.TrustedByCertificateAuthority
                || outcome.Status == HostKeyStatus.Changed)
            {
                string certNote = outcome.Status == HostKeyStatus.Changed && _certificateFailure != null
                    ? " The certificate was not accepted either: " + _certificateFailure + "." : "";
                return (outcome.Status, outcome.Entry, outcome.Detail + certNote);
            }

            if (_certificateFailure != null && _certificateFailureAuthority != null)
            {
                return (HostKeyStatus.CertificateInvalid, _certificateFailureAuthority,
                    _certificateFailure + " (" + DescribeCertificate() + "; CA trusted at "
                    + _certificateFailureAuthority.Location + "). No plain " + _plainKeyType
                    + " key is known for " + LookupName(false) + " either.");
            }

            string detail = "No " + _plainKeyType + " host key is known for " + LookupName(false) + ".";
            if (_certificate != null)
            {
                detail += " No @cert-authority line for it holds the certificate's CA key "
                    + OpenSshKeyBlob.Fingerprint(_certificate.SignatureKeyBlob) + ".";
            }

            if (_ignoredPortlessKey != null)
            {
                detail += " A different key is recorded for '" + _primaryName + "' without a port at "
                    + _ignoredPortlessKey.Location + "; like ssh, it is not used for port " + _port + ".";
            }

            return (HostKeyStatus.Unknown, null, detail);
        }

        private Outcome CheckHostKey(bool wantCertificate, bool withoutPort)
        {
            string host = LookupName(withoutPort);
            bool mayRetryWithoutPort = !withoutPort && _port != 0 && _port != 22;
            if (wantCertificate && _certificate != null)
            {
                KnownHostsEntry? authority = FirstApplying(host, KnownHostsMarker.CertificateAuthority,
                    _certificate.SignatureKeyBlob);
                if (authority != null)
                {
                    string? reason = _certificate.CheckHost(_primaryName, _now);
                    if (reason == null)
                    {
                        return new Outcome(HostKeyStatus.TrustedByCertificateAuthority, authority,
                            "Host certificate " + DescribeCertificate() + " is signed by the CA trusted for '" + host
                            + "' at " + authority.Location + ".");
                    }

                    _certificateFailure = reason;
                    _certificateFailureAuthority = authority;
                }
                else if (mayRetryWithoutPort)
                {
                    Outcome portless = CheckHostKey(wantCertificate: true, withoutPort: true);
                    if (portless.IsTrusted)
                    {
                        return portless;
                    }
                }

                // ssh: "No matching CA found. Retry with plain key".
            }

            KnownHostsEntry? match = null;
            KnownHostsEntry? differing = null;
            foreach (KnownHostsEntry entry in Applying(host, KnownHostsMarker.None))
            {
                if (OpenSshKeyBlob.BlobsEqual(entry.PlainKeyBlob, _plainKey))
                {
                    match = entry;
                    break;
                }

                // Any other plain key for the host, of any type, makes it "changed" (ssh reports the last one).
                differing = entry;
            }

            if (match != null)
            {
                return _certificate == null ? VetoByAddresses(match, withoutPort)
                    : new Outcome(HostKeyStatus.Trusted, match, "Key matches " + match.Location + ".");
            }

            if (differing != null)
            {
                if (withoutPort)
                {
                    _ignoredPortlessKey ??= differing;
                    return new Outcome(HostKeyStatus.Unknown, null, "");
                }

                return new Outcome(HostKeyStatus.Changed, differing, "The host key for '" + host
                    + "' has changed: the offending " + differing.KeyType + " key is at " + differing.Location + ".");
            }

            if (mayRetryWithoutPort)
            {
                Outcome portless = CheckHostKey(wantCertificate: false, withoutPort: true);
                if (portless.IsTrusted)
                {
                    return portless;
                }
            }

            return new Outcome(HostKeyStatus.Unknown, null, "");
        }

        // CheckHostIP: an address may not turn an unknown host into a known one, but a different key recorded
        // for one of the addresses refuses a host whose own key matches. ssh skips this for certificates.
        private Outcome VetoByAddresses(KnownHostsEntry match, bool withoutPort)
        {
            foreach (string address in _addressNames)
            {
                string lookup = withoutPort ? address : HostPatterns.FormatHost(address, _port);
                KnownHostsEntry? differing = null;
                bool same = false;
                foreach (KnownHostsEntry entry in Applying(lookup, KnownHostsMarker.None))
                {
                    if (OpenSshKeyBlob.BlobsEqual(entry.PlainKeyBlob, _plainKey))
                    {
                        same = true;
                        break;
                    }

                    differing = entry;
                }

                if (!same && differing != null)
                {
                    return new Outcome(HostKeyStatus.Changed, differing, "The key matches " + match.Location
                        + " for '" + LookupName(withoutPort) + "' but differs from the key for the address '" + lookup
                        + "': the offending " + differing.KeyType + " key is at " + differing.Location + ".");
                }
            }

            return new Outcome(HostKeyStatus.Trusted, match, "Key matches " + match.Location + ".");
        }

        private (KnownHostsEntry, string)? FindRevocation()
        {
            var lookups = new List<string>();
            foreach (string name in new[] { _primaryName }.Concat(_addressNames))
            {
                lookups.Add(HostPatterns.FormatHost(name, _port));
                lookups.Add(name);
            }

            foreach (KnownHostsEntry entry in _entries)
            {
                if (entry.Marker != KnownHostsMarker.Revoked || !lookups.Any(entry.AppliesTo))
                {
                    continue;
                }

                if (OpenSshKeyBlob.BlobsEqual(entry.PlainKeyBlob, _plainKey))
                {
                    return (entry, _certificate == null ? "host key" : "key certified by the host certificate");
                }

                if (_certificate != null && OpenSshKeyBlob.BlobsEqual(entry.PlainKeyBlob, _certificate.SignatureKeyBlob))
                {
                    return (entry, "certificate authority that signed the host certificate");
                }
            }

            return null;
        }

        private KnownHostsEntry? FirstApplying(string host, KnownHostsMarker marker, byte[] key)
        {
            return Applying(host, marker).FirstOrDefault(e => OpenSshKeyBlob.BlobsEqual(e.PlainKeyBlob, key));
        }

        private IEnumerable<KnownHostsEntry> Applying(string host, KnownHostsMarker marker)
        {
            return _entries.Where(e => e.Marker == marker && e.AppliesTo(host));
        }

        private string LookupName(bool withoutPort)
        {
            return withoutPort ? _primaryName : HostPatterns.FormatHost(_primaryName, _port);
        }

        private string DescribeCertificate()
        {
            OpenSshCertificate cert = _certificate!;
            return "'" + cert.KeyId + "' (principals: "
                + (cert.ValidPrincipals.Count == 0 ? "any" : string.Join(",", cert.ValidPrincipals))
                + "; valid " + cert.DescribeValidity() + ")";
        }

        private sealed class Outcome
        {
            public Outcome(HostKeyStatus status, KnownHostsEntry? entry, string detail)
            {
                Status = status;
                Entry = entry;
                Detail = detail;
            }

            public HostKeyStatus Status { get; }

            public KnownHostsEntry? Entry { get; }

            public string Detail { get; }

            public bool IsTrusted => Status == HostKeyStatus.Trusted || Status == HostKeyStatus.TrustedByCertificateAuthority;
        }
    }
}
