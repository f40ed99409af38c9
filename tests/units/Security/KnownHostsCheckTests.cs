using System;
using KvmPS.Security;
using Xunit;

namespace KvmPS.Tests.Security
{
    /// <summary>KnownHosts.Check decision rules on synthetic keys (the oracle tests compare the same rules with ssh).</summary>
    public class KnownHostsCheckTests : IDisposable
    {
        private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        private static readonly byte[] HostKey = TestKeys.Ed25519(1);
        private static readonly byte[] OtherEd25519 = TestKeys.Ed25519(2);
        private static readonly byte[] CaKey = TestKeys.Ed25519(50);
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        [Fact]
        public void SameKeyForTheHostIsTrusted()
        {
            HostKeyCheckResult result = Check(new[] { "kvm1.lab" }, 22, HostKey, "# header", TestKeys.Line("KVM1.lab", HostKey));
            Assert.Equal(HostKeyStatus.Trusted, result.Status);
            Assert.True(result.IsTrusted);
            Assert.Equal(2, result.MatchedLine);
            Assert.Equal(_dir.File("known_hosts"), result.MatchedFile);
            Assert.Equal(OpenSshKeyBlob.Fingerprint(HostKey), result.Fingerprint);
        }

        [Fact]
        public void NothingKnownIsUnknown()
        {
            HostKeyCheckResult result = Check(new[] { "kvm1.lab" }, 22, HostKey, TestKeys.Line("kvm2.lab", OtherEd25519));
            Assert.Equal(HostKeyStatus.Unknown, result.Status);
            Assert.False(result.IsTrusted);
            Assert.Null(result.MatchedFile);
            Assert.Contains("No ssh-ed25519 host key is known for kvm1.lab", result.Detail);
        }

        [Fact]
        public void DifferentKeyOfTheSameTypeIsChangedAndNamesTheLastOffendingLine()
        {
            HostKeyCheckResult result = Check(new[] { "kvm1.lab" }, 22, HostKey,
                TestKeys.Line("kvm1.lab", OtherEd25519), TestKeys.Line("*.lab", TestKeys.Ed25519(3)));
            Assert.Equal(HostKeyStatus.Changed, result.Status);
            Assert.Equal(2, result.MatchedLine); // ssh's "Offending key in file:line" is the last differing line
            Assert.Contains(":2", result.Detail);
        }

        [Fact]
        public void KeyOfAnotherTypeAlsoMakesTheHostChangedAsInSsh()
        {
            // ssh 9.2 with only an RSA key recorded and an ed25519 key presented: "REMOTE HOST IDENTIFICATION HAS CHANGED".
            HostKeyCheckResult result = Check(new[] { "kvm1.lab" }, 22, HostKey, TestKeys.Line("kvm1.lab", TestKeys.Rsa(1)));
            Assert.Equal(HostKeyStatus.Changed, result.Status);
            Assert.Contains("ssh-rsa", result.Detail);
        }

        [Fact]
        public void MatchingKeyWinsOverOtherKeysForTheHost()
        {
            HostKeyCheckResult result = Check(new[] { "kvm1.lab" }, 22, HostKey,
                TestKeys.Line("kvm1.lab", TestKeys.Rsa(1)), TestKeys.Line("kvm1.lab", HostKey));
            Assert.Equal(HostKeyStatus.Trusted, result.Status);
            Assert.Equal(2, result.MatchedLine);
        }

        [Fact]
        public void RevokedKeyIsRefusedEvenWhenAlsoTrusted()
        {
            HostKeyCheckResult result = Check(new[] { "kvm1.lab" }, 22, HostKey,
                TestKeys.Line("kvm1.lab", HostKey), TestKeys.Line("*", HostKey, "@revoked"));
            Assert.Equal(HostKeyStatus.Revoked, result.Status);
            Assert.Equal(2, result.MatchedLine);
        }

        [Fact]
        public void RevocationForAnotherHostDoesNotApply()
        {
            HostKeyCheckResult result = Check(new[] { "kvm1.lab" }, 22, HostKey,
                TestKeys.Line("kvm1.lab", HostKey), TestKeys.Line("kvm2.lab", HostKey, "@revoked"));
            Assert.Equal(HostKeyStatus.Trusted, result.Status);
        }

        [Fact]
        public void ValidCertificateFromATrustedCaIsTrustedByCa()
        {
            HostKeyCheckResult result = Check(new[] { "kvm1.lab" }, 22, Cert(),
                TestKeys.Line("*.lab", CaKey, "@cert-authority"));
            Assert.Equal(HostKeyStatus.TrustedByCertificateAuthority, result.Status);
            Assert.Equal(1, result.MatchedLine);
            Assert.Equal(OpenSshKeyBlob.Fingerprint(HostKey), result.Fingerprint);
            Assert.Equal(OpenSshKeyBlob.Fingerprint(CaKey), result.CertificateAuthorityFingerprint);
        }

        [Fact]
        public void CaLineForOtherHostsOrPlainLineWithTheCaKeyDoesNotTrustTheCertificate()
        {
            HostKeyCheckResult result = Check(new[] { "kvm1.lab" }, 22, Cert(),
                TestKeys.Line("*.prod", CaKey, "@cert-authority"), TestKeys.Line("kvm1.lab", CaKey));
            Assert.Equal(HostKeyStatus.Changed, result.Status); // the plain CA-key line is just a different host key
        }

        [Fact]
        public void RevokedCaRefusesItsCertificates()
        {
            HostKeyCheckResult result = Check(new[] { "kvm1.lab" }, 22, Cert(),
                TestKeys.Line("*", CaKey, "@cert-authority"), TestKeys.Line("kvm1.lab", CaKey, "@revoked"));
            Assert.Equal(HostKeyStatus.Revoked, result.Status);
            Assert.Contains("certificate authority", result.Detail);
        }

        [Fact]
        public void RevokedCertifiedKeyRefusesTheCertificate()
        {
            HostKeyCheckResult result = Check(new[] { "kvm1.lab" }, 22, Cert(),
                TestKeys.Line("*", CaKey, "@cert-authority"), TestKeys.Line("*", HostKey, "@revoked"));
            Assert.Equal(HostKeyStatus.Revoked, result.Status);
        }

        [Theory]
        [InlineData("expired", "Certificate invalid: expired")]
        [InlineData("future", "Certificate invalid: not yet valid")]
        [InlineData("principal", "Certificate invalid: name is not a listed principal")]
        [InlineData("user", "Certificate invalid: not a host certificate")]
        [InlineData("sha1", "Certificate signed with disallowed algorithm")]
        public void InvalidCertificateFromATrustedCaIsCertificateInvalid(string problem, string reason)
        {
            byte[] cert = Cert(c =>
            {
                switch (problem)
                {
                    case "expired": c.ValidBefore = 1_700_000_000; break;
                    case "future": c.ValidAfter = 1_900_000_000; break;
                    case "principal": c.Principals[0] = "kvm2.lab"; break;
                    case "user": c.Kind = 1; break;
                    default: c.SignatureAlgorithm = "ssh-rsa"; break;
                }
            });
            HostKeyCheckResult result = Check(new[] { "kvm1.lab" }, 22, cert, TestKeys.Line("*.lab", CaKey, "@cert-authority"));
            Assert.Equal(HostKeyStatus.CertificateInvalid, result.Status);
            Assert.StartsWith(reason, result.Detail);
            Assert.Equal(1, result.MatchedLine);
        }

        [Fact]
        public void CertificateWithoutTrustedCaFallsBackToItsPlainKey()
        {
            HostKeyCheckResult result = Check(new[] { "kvm1.lab" }, 22, Cert(),
                TestKeys.Line("*", TestKeys.Ed25519(60), "@cert-authority"), TestKeys.Line("kvm1.lab", HostKey));
            Assert.Equal(HostKeyStatus.Trusted, result.Status);
            Assert.Equal(2, result.MatchedLine);
            Assert.Contains("plain key decided", result.Detail);
        }

        [Fact]
        public void InvalidCertificateWithKnownPlainKeyIsTrustedLikeSsh()
        {
            byte[] expired = Cert(c => c.ValidBefore = 1_700_000_000);
            HostKeyCheckResult result = Check(new[] { "kvm1.lab" }, 22, expired,
                TestKeys.Line("*.lab", CaKey, "@cert-authority"), TestKeys.Line("kvm1.lab", HostKey));
            Assert.Equal(HostKeyStatus.Trusted, result.Status);
            Assert.Contains("expired", result.Detail);
        }

        [Fact]
        public void CertificateWithoutCaAndWithDifferentPlainKeyIsChanged()
        {
            HostKeyCheckResult result = Check(new[] { "kvm1.lab" }, 22, Cert(), TestKeys.Line("kvm1.lab", OtherEd25519));
            Assert.Equal(HostKeyStatus.Changed, result.Status);
        }

        [Fact]
        public void CertificateWithNothingKnownIsUnknownAndNamesTheCa()
        {
            HostKeyCheckResult result = Check(new[] { "kvm1.lab" }, 22, Cert());
            Assert.Equal(HostKeyStatus.Unknown, result.Status);
            Assert.Contains(OpenSshKeyBlob.Fingerprint(CaKey), result.Detail);
        }

        [Fact]
        public void NonDefaultPortUsesBracketedName()
        {
            Assert.Equal(HostKeyStatus.Trusted,
                Check(new[] { "kvm1.lab" }, 2222, HostKey, TestKeys.Line("[kvm1.lab]:2222", HostKey)).Status);
            Assert.Equal(HostKeyStatus.Unknown,
                Check(new[] { "kvm1.lab" }, 22, HostKey, TestKeys.Line("[kvm1.lab]:2222", HostKey)).Status);
            Assert.Equal(HostKeyStatus.Changed,
                Check(new[] { "kvm1.lab" }, 2222, HostKey, TestKeys.Line("[kvm1.lab]:2222", OtherEd25519)).Status);
        }

        [Fact]
        public void NonDefaultPortFallsBackToThePlainNameWhenNothingIsKnownForThePort()
        {
            HostKeyCheckResult result = Check(new[] { "kvm1.lab" }, 2222, HostKey, TestKeys.Line("kvm1.lab", HostKey));
            Assert.Equal(HostKeyStatus.Trusted, result.Status);
            Assert.Equal(1, result.MatchedLine);
        }

        [Fact]
        public void DifferentKeyUnderThePlainNameIsOnlyUnknownForAnotherPort()
        {
            HostKeyCheckResult result = Check(new[] { "kvm1.lab" }, 2222, HostKey, TestKeys.Line("kvm1.lab", OtherEd25519));
            Assert.Equal(HostKeyStatus.Unknown, result.Status);
            Assert.Contains("without a port", result.Detail);
        }

        [Fact]
        public void KnownPortEntryPreventsThePlainNameFallback()
        {
            HostKeyCheckResult result = Check(new[] { "kvm1.lab" }, 2222, HostKey,
                TestKeys.Line("[kvm1.lab]:2222", OtherEd25519), TestKeys.Line("kvm1.lab", HostKey));
            Assert.Equal(HostKeyStatus.Changed, result.Status);
            Assert.Equal(1, result.MatchedLine);
        }

        [Fact]
        public void CaForThePlainNameCoversOtherPorts()
        {
            HostKeyCheckResult result = Check(new[] { "kvm1.lab" }, 2222, Cert(), TestKeys.Line("*.lab", CaKey, "@cert-authority"));
            Assert.Equal(HostKeyStatus.TrustedByCertificateAuthority, result.Status);
        }

        [Fact]
        public void HashedEntriesMatchWithPort()
        {
            string hashed = HostPatterns.Hash("[kvm1.lab]:2222", TestKeys.Filled(20, 4));
            Assert.Equal(HostKeyStatus.Trusted, Check(new[] { "kvm1.lab" }, 2222, HostKey, TestKeys.Line(hashed, HostKey)).Status);
            Assert.Equal(HostKeyStatus.Unknown, Check(new[] { "kvm1.lab" }, 2223, HostKey, TestKeys.Line(hashed, HostKey)).Status);
        }

        [Fact]
        public void NegatedPatternExcludesTheHostFromTheLine()
        {
            string[] lines = { TestKeys.Line("*.lab,!kvm2.lab", HostKey), TestKeys.Line("*", OtherEd25519, "@revoked") };
            Assert.Equal(HostKeyStatus.Trusted, Check(new[] { "kvm1.lab" }, 22, HostKey, lines).Status);
            Assert.Equal(HostKeyStatus.Unknown, Check(new[] { "kvm2.lab" }, 22, HostKey, lines).Status);
        }

        [Fact]
        public void AddressCannotMakeAnUnknownHostKnown()
        {
            HostKeyCheckResult result = Check(new[] { "kvm1", "198.18.0.11" }, 22, HostKey, TestKeys.Line("198.18.0.11", HostKey));
            Assert.Equal(HostKeyStatus.Unknown, result.Status);
        }

        [Fact]
        public void DifferentKeyForTheAddressRefusesAKnownHost()
        {
            HostKeyCheckResult result = Check(new[] { "kvm1", "198.18.0.11" }, 22, HostKey,
                TestKeys.Line("kvm1", HostKey), TestKeys.Line("198.18.0.11", OtherEd25519));
            Assert.Equal(HostKeyStatus.Changed, result.Status);
            Assert.Equal(2, result.MatchedLine);
            Assert.Contains("address '198.18.0.11'", result.Detail);
        }

        [Fact]
        public void SameOrNoKeyForTheAddressKeepsTheHostTrusted()
        {
            Assert.Equal(HostKeyStatus.Trusted, Check(new[] { "kvm1", "198.18.0.11" }, 22, HostKey,
                TestKeys.Line("kvm1,198.18.0.11", HostKey)).Status);
            Assert.Equal(HostKeyStatus.Trusted, Check(new[] { "kvm1", "198.18.0.11" }, 22, HostKey,
                TestKeys.Line("kvm1", HostKey)).Status);
        }

        [Fact]
        public void RevocationUnderTheAddressApplies()
        {
            HostKeyCheckResult result = Check(new[] { "kvm1", "198.18.0.11" }, 22, HostKey,
                TestKeys.Line("kvm1", HostKey), TestKeys.Line("198.18.0.*", HostKey, "@revoked"));
            Assert.Equal(HostKeyStatus.Revoked, result.Status);
        }

        [Fact]
        public void FilesAreSearchedInOrderAndWarningsCollected()
        {
            string first = _dir.Write("user_known_hosts", "broken line", TestKeys.Line("kvm1", HostKey));
            string second = _dir.Write("global_known_hosts", TestKeys.Line("kvm1", HostKey));
            HostKeyCheckResult result = KnownHosts.Check(new[] { _dir.File("missing"), first, second }, new[] { "kvm1" }, 22,
                TestKeys.Presented(HostKey), Now);
            Assert.Equal((HostKeyStatus.Trusted, first, 2), (result.Status, result.MatchedFile, result.MatchedLine));
            Assert.StartsWith(first + ":1:", Assert.Single(result.Warnings));
        }

        [Fact]
        public void MalformedPresentedKeyIsNeverTrusted()
        {
            var garbage = new PresentedHostKey("ssh-ed25519", new byte[] { 0, 0, 0, 1 });
            HostKeyCheckResult result = KnownHosts.Check(Array.Empty<string>(), new[] { "kvm1" }, 22, garbage, Now);
            Assert.Equal(HostKeyStatus.Unknown, result.Status);
            Assert.Contains("malformed", result.Detail);

            var wrongAlgorithm = new PresentedHostKey("ssh-rsa", HostKey);
            Assert.False(KnownHosts.Check(Array.Empty<string>(), new[] { "kvm1" }, 22, wrongAlgorithm, Now).IsTrusted);
        }

        [Fact]
        public void CertificateAlgorithmWithThePlainKeyIsRefusedWithAHint()
        {
            // SSH.NET's HostKeyEventArgs.HostKey is the plain key even when a certificate was negotiated.
            var slip = new PresentedHostKey("ssh-ed25519-cert-v01@openssh.com", HostKey);
            HostKeyCheckResult result = Check(new[] { "kvm1.lab" }, 22, HostKey, TestKeys.Line("kvm1.lab", HostKey));
            Assert.True(result.IsTrusted);
            result = KnownHosts.Check(new[] { _dir.File("known_hosts") }, new[] { "kvm1.lab" }, 22, slip, Now);
            Assert.Equal(HostKeyStatus.CertificateInvalid, result.Status);
            Assert.Contains("pass the certificate blob", result.Detail);
        }

        [Fact]
        public void RsaSha2AlgorithmMatchesAnSshRsaLine()
        {
            byte[] rsa = TestKeys.Rsa(3);
            _dir.Write("known_hosts", TestKeys.Line("kvm1", rsa));
            HostKeyCheckResult result = KnownHosts.Check(new[] { _dir.File("known_hosts") }, new[] { "kvm1" }, 22,
                new PresentedHostKey("rsa-sha2-512", rsa), Now);
            Assert.Equal(HostKeyStatus.Trusted, result.Status);
        }

        [Fact]
        public void HostNamesAreRequired()
        {
            Assert.Throws<ArgumentException>(() => KnownHosts.Check(Array.Empty<string>(), Array.Empty<string>(), 22,
                TestKeys.Presented(HostKey), Now));
        }

        [Fact]
        public void RecordedKeyTypesListsPlainKeysAndCaPresence()
        {
            string file = _dir.Write("known_hosts", TestKeys.Line("kvm1", TestKeys.Rsa(1)), TestKeys.Line("kvm1", HostKey),
                TestKeys.Line("kvm*", CaKey, "@cert-authority"), TestKeys.Line("[kvm2]:2222", HostKey));
            RecordedHostKeyTypes kvm1 = KnownHosts.RecordedKeyTypes(new[] { file }, "kvm1", 22);
            Assert.Equal(new[] { "ssh-rsa", "ssh-ed25519" }, kvm1.KeyTypes);
            Assert.True(kvm1.HasCertificateAuthority);
            RecordedHostKeyTypes kvm2 = KnownHosts.RecordedKeyTypes(new[] { file }, "kvm2", 2222);
            Assert.Equal(new[] { "ssh-ed25519" }, kvm2.KeyTypes);
            Assert.False(kvm2.HasCertificateAuthority); // "kvm*" does not match "[kvm2]:2222"
            RecordedHostKeyTypes other = KnownHosts.RecordedKeyTypes(new[] { file }, "db1.other", 22);
            Assert.Empty(other.KeyTypes);
            Assert.False(other.HasCertificateAuthority);
        }

        [Fact]
        public void RecordedKeyTypesForAnotherPortDoNotFallBackToThePlainName()
        {
            // ssh -p 2222 with only "kvm1 <ecdsa>" known offers its default order (ed25519 first) and then finds no
            // ED25519 key for [kvm1]:2222: it refuses. Offering ecdsa first would accept where ssh refuses.
            string file = _dir.Write("known_hosts", TestKeys.Line("kvm1", TestKeys.Rsa(1)));
            Assert.Empty(KnownHosts.RecordedKeyTypes(new[] { file }, "kvm1", 2222).KeyTypes);
        }

        [Fact]
        public void RecordedKeyTypesLeaveOutATypeWhoseFirstKeyIsRevoked()
        {
            // ssh then negotiates another known type instead of running into the revoked key (measured with OpenSSH 9.2).
            string file = _dir.Write("known_hosts", TestKeys.Line("kvm1", HostKey), TestKeys.Line("kvm1", TestKeys.Rsa(1)),
                TestKeys.Line("*", HostKey, "@revoked"));
            Assert.Equal(new[] { "ssh-rsa" }, KnownHosts.RecordedKeyTypes(new[] { file }, "kvm1", 22).KeyTypes);
        }

        private static byte[] Cert(Action<TestCertificate>? configure = null)
        {
            var builder = new TestCertificate(HostKey, CaKey);
            configure?.Invoke(builder);
            return builder.Build();
        }

        private HostKeyCheckResult Check(string[] names, int port, byte[] presented, params string[] lines)
        {
            string file = _dir.Write("known_hosts", lines);
            return KnownHosts.Check(new[] { file }, names, port, TestKeys.Presented(presented), Now);
        }
    }
}
