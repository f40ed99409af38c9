using System;
using System.IO;
using System.Linq;
using KvmPS.Security;
using Xunit;

namespace KvmPS.Tests.Security
{
    /// <summary>
    /// Compares fingerprints, certificate fields and known_hosts lookups with the real ssh-keygen.
    /// Skipped (visibly) where ssh-keygen is not installed.
    /// </summary>
    public class SshKeygenOracleTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        [SkippableTheory]
        [InlineData("ed25519", 0)]
        [InlineData("ecdsa", 256)]
        [InlineData("ecdsa", 384)]
        [InlineData("ecdsa", 521)]
        [InlineData("rsa", 2048)]
        public void FingerprintsOfKeysAndCertificatesMatchSshKeygen(string type, int bits)
        {
            OpenSshTools.RequireSshKeygen();
            string pub = OpenSshTools.GenerateKey(_dir.Path, "host", type, bits);
            string ca = OpenSshTools.GenerateKey(_dir.Path, "ca", "ed25519");
            string cert = OpenSshTools.SignHostCertificate(ca.Replace(".pub", ""), pub, "id", "kvm1", "always:forever");

            foreach (string file in new[] { pub, cert, ca })
            {
                string expected = OpenSshTools.Keygen("-lf", file).EnsureSuccess("ssh-keygen -lf").Stdout.Split(' ')[1];
                Assert.Equal(expected, OpenSshKeyBlob.Fingerprint(OpenSshTools.ReadBlob(file)));
            }
        }

        [SkippableTheory]
        [InlineData("ed25519", 0, "ed25519", "kvm1.lab,198.18.0.11", "+1h")]
        [InlineData("ecdsa", 384, "ed25519", "kvm1.lab", "always:forever")]
        [InlineData("rsa", 2048, "rsa", null, "20200101:20300101")]
        [InlineData("ecdsa", 256, "ecdsa", "a,b,c", "-1d:+1d")]
        public void CertificateFieldsMatchSshKeygenList(string type, int bits, string caType, string? principals, string validity)
        {
            OpenSshTools.RequireSshKeygen();
            string pub = OpenSshTools.GenerateKey(_dir.Path, "host", type, bits);
            string ca = OpenSshTools.GenerateKey(_dir.Path, "ca", caType);
            string certFile = OpenSshTools.SignHostCertificate(ca.Replace(".pub", ""), pub, "key id 7", principals, validity, "-z", "1234");

            OpenSshCertificate cert = OpenSshCertificate.Parse(OpenSshTools.ReadBlob(certFile));
            string listing = OpenSshTools.Keygen("-L", "-f", certFile).EnsureSuccess("ssh-keygen -L").Stdout;

            Assert.Contains("Type: " + cert.CertificateKeyType + " host certificate", listing);
            Assert.Contains("Key ID: \"key id 7\"", listing);
            Assert.Contains("Serial: 1234", listing);
            Assert.Contains("Signing CA: " + CaLabel(caType) + " " + OpenSshKeyBlob.Fingerprint(cert.SignatureKeyBlob)
                + " (using " + cert.SignatureAlgorithm + ")", listing);
            Assert.Equal(OpenSshTools.ReadBase64(pub), Convert.ToBase64String(cert.PublicKeyBlob));
            Assert.Equal(OpenSshTools.ReadBase64(ca), Convert.ToBase64String(cert.SignatureKeyBlob));
            string[] listedPrincipals = listing.Split("Principals:")[1].Split("Critical Options:")[0]
                .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(p => p != "(none)").ToArray();
            Assert.Equal(listedPrincipals, cert.ValidPrincipals);
            if (validity == "always:forever")
            {
                Assert.Contains("Valid: forever", listing);
                Assert.Equal((0UL, OpenSshCertificate.Forever), (cert.ValidAfter, cert.ValidBefore));
            }
            else
            {
                // ssh-keygen prints local time; compare through the same conversion.
                string from = DateTimeOffset.FromUnixTimeSeconds((long)cert.ValidAfter).ToLocalTime().ToString("yyyy-MM-ddTHH:mm:ss");
                string to = DateTimeOffset.FromUnixTimeSeconds((long)cert.ValidBefore).ToLocalTime().ToString("yyyy-MM-ddTHH:mm:ss");
                Assert.Contains("Valid: from " + from + " to " + to, listing);
            }
        }

        [SkippableFact]
        public void LookupsMatchSshKeygenFind()
        {
            OpenSshTools.RequireSshKeygen();
            string key = File.ReadAllText(OpenSshTools.GenerateKey(_dir.Path, "k", "ed25519")).Trim();
            string file = _dir.Write("known_hosts",
                "# plain, patterns, negation, ports, markers",
                "kvm1.lab,198.18.0.11 " + key,
                "*.lab,!kvm2.lab " + key,
                "[kvm1.lab]:2222 " + key,
                "[*.lab]:* " + key,
                "kvm?.lab " + key,
                "KVM3.LAB " + key,
                "!kvm1.lab " + key,
                "@cert-authority *.lab,!kvm9.lab " + key,
                "@revoked [198.18.0.*]:830 " + key,
                "@bogus kvm1.lab " + key,
                "",
                "198.18.0.1? " + key,
                "[198.18.0.11]:22 " + key);
            string[] queries =
            {
                "kvm1.lab", "kvm2.lab", "kvm3.lab", "kvm9.lab", "kvm10.lab", "198.18.0.11", "198.18.0.1",
                "[kvm1.lab]:2222", "[kvm2.lab]:2222", "[kvm1.lab]:22", "[198.18.0.11]:830", "[198.18.0.11]:22", "nothing",
            };

            KnownHostsFile parsed = KnownHostsFile.Load(file);
            foreach (string query in queries)
            {
                Assert.True(OpenSshTools.KeygenFindLines(file, query).SequenceEqual(parsed.FindEntries(query).Select(e => e.Line)),
                    "lookup of " + query + ": ssh-keygen " + string.Join(",", OpenSshTools.KeygenFindLines(file, query))
                    + " vs ours " + string.Join(",", parsed.FindEntries(query).Select(e => e.Line)));
            }

            Assert.Single(parsed.Warnings); // the @bogus marker line
        }

        [SkippableFact]
        public void HashedLookupsMatchSshKeygenFind()
        {
            OpenSshTools.RequireSshKeygen();
            string key = File.ReadAllText(OpenSshTools.GenerateKey(_dir.Path, "k", "ecdsa")).Trim();
            string file = _dir.Write("known_hosts",
                "kvm1.lab " + key, "[kvm1.lab]:2222 " + key, "198.18.0.11 " + key, "[198.18.0.11]:830 " + key,
                "@cert-authority kvm7.lab " + key);
            OpenSshTools.Keygen("-H", "-f", file).EnsureSuccess("ssh-keygen -H");

            KnownHostsFile parsed = KnownHostsFile.Load(file);
            // ssh-keygen -H hashes plain lines only; it leaves @cert-authority/@revoked lines readable.
            Assert.All(parsed.Entries, e => Assert.Equal(e.Marker == KnownHostsMarker.None, e.IsHashed));
            // Lowercase queries only: ssh-keygen -F hashes the name as typed, while ssh lowercases it first, and
            // so do we (see the client oracle's upper-case scenario).
            Assert.Equal(parsed.FindEntries("kvm1.lab").Select(e => e.Line), parsed.FindEntries("KVM1.lab").Select(e => e.Line));
            foreach (string query in new[] { "kvm1.lab", "[kvm1.lab]:2222", "198.18.0.11", "[198.18.0.11]:830",
                "[198.18.0.11]:831", "kvm7.lab", "kvm2.lab" })
            {
                Assert.Equal(OpenSshTools.KeygenFindLines(file, query), parsed.FindEntries(query).Select(e => e.Line).ToArray());
            }

            Assert.Equal(2, parsed.FindEntries("[kvm1.lab]:2222").Single().Line);
        }

        [SkippableFact]
        public void AppendedLinesAreFoundBySshKeygenAndKeepTheFileValid()
        {
            OpenSshTools.RequireSshKeygen();
            string file = Path.Combine(_dir.Path, "ssh", "known_hosts");
            byte[] rsa = OpenSshTools.ReadBlob(OpenSshTools.GenerateKey(_dir.Path, "r", "rsa", 2048));
            byte[] ed = OpenSshTools.ReadBlob(OpenSshTools.GenerateKey(_dir.Path, "e", "ed25519"));

            KnownHosts.Append(file, "Kvm1.Lab", 22, "rsa-sha2-512", rsa);
            KnownHosts.Append(file, "198.18.0.11", 2222, "ssh-ed25519", ed);

            Assert.Equal(new[] { 1 }, OpenSshTools.KeygenFindLines(file, "kvm1.lab"));
            Assert.Equal(new[] { 2 }, OpenSshTools.KeygenFindLines(file, "[198.18.0.11]:2222"));
            Assert.Empty(OpenSshTools.KeygenFindLines(file, "198.18.0.11"));
            // ssh-keygen -H refuses files with invalid lines ("is not a valid known_hosts file").
            OpenSshTools.Keygen("-H", "-f", file).EnsureSuccess("ssh-keygen -H on the appended file");
            Assert.Equal(new[] { 2 }, OpenSshTools.KeygenFindLines(file, "[198.18.0.11]:2222"));
        }

        private static string CaLabel(string caType) => caType switch
        {
            "ed25519" => "ED25519",
            "rsa" => "RSA",
            _ => "ECDSA",
        };
    }
}
