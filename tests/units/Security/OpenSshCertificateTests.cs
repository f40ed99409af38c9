using System;
using System.Collections.Generic;
using KvmPS.Security;
using Xunit;

namespace KvmPS.Tests.Security
{
    public class OpenSshCertificateTests
    {
        private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

        [Fact]
        public void ParsesARealHostCertificateMadeBySshKeygen()
        {
            OpenSshCertificate cert = OpenSshCertificate.Parse(Convert.FromBase64String(TestKeys.RealEd25519CertBase64));

            Assert.Equal("ssh-ed25519-cert-v01@openssh.com", cert.CertificateKeyType);
            Assert.Equal("ssh-ed25519", cert.KeyType);
            Assert.Equal(OpenSshCertificateKind.Host, cert.Kind);
            Assert.Equal("valid", cert.KeyId);
            Assert.Equal(0UL, cert.Serial);
            Assert.Equal(new[] { "127.0.0.1", "kvm1.lab" }, cert.ValidPrincipals);
            Assert.Equal(TestKeys.RealCertValidAfter, cert.ValidAfter);
            Assert.Equal(TestKeys.RealCertValidBefore, cert.ValidBefore);
            Assert.Empty(cert.CriticalOptions);
            Assert.Equal("ssh-ed25519", cert.SignatureAlgorithm);
            Assert.Equal(TestKeys.RealEd25519Base64, Convert.ToBase64String(cert.PublicKeyBlob));
            Assert.Equal(TestKeys.RealCaBase64, Convert.ToBase64String(cert.SignatureKeyBlob));
        }

        [Theory]
        [InlineData("ed25519")]
        [InlineData("rsa")]
        [InlineData("ecdsa256")]
        [InlineData("ecdsa384")]
        [InlineData("ecdsa521")]
        public void CertifiedKeyIsRebuiltAsTheExactPlainBlob(string kind)
        {
            byte[] plain = kind switch
            {
                "ed25519" => TestKeys.Ed25519(7),
                "rsa" => TestKeys.Rsa(7),
                "ecdsa256" => TestKeys.Ecdsa(256, 7),
                "ecdsa384" => TestKeys.Ecdsa(384, 7),
                _ => TestKeys.Ecdsa(521, 7),
            };
            var builder = new TestCertificate(plain, TestKeys.Rsa(1)) { SignatureAlgorithm = "rsa-sha2-512" };
            builder.Principals.Add("10.0.0.5");

            OpenSshCertificate cert = OpenSshCertificate.Parse(builder.Build());

            Assert.Equal(plain, cert.PublicKeyBlob);
            Assert.Equal(TestKeys.Rsa(1), cert.SignatureKeyBlob);
            Assert.Equal(new[] { "kvm1.lab", "10.0.0.5" }, cert.ValidPrincipals);
            Assert.Equal(42UL, cert.Serial);
            Assert.Equal("rsa-sha2-512", cert.SignatureAlgorithm);
        }

        [Fact]
        public void CertificateSignedByACertificateIsRejected()
        {
            byte[] caCert = new TestCertificate(TestKeys.Ed25519(2), TestKeys.Ed25519(3)).Build();
            byte[] blob = new TestCertificate(TestKeys.Ed25519(1), caCert).Build();
            Assert.Throws<SshFormatException>(() => OpenSshCertificate.Parse(blob));
        }

        [Fact]
        public void UnknownCertificateTypeIsRejected()
        {
            byte[] blob = new TestCertificate(TestKeys.Ed25519(1), TestKeys.Ed25519(2)) { Kind = 3 }.Build();
            Assert.Throws<SshFormatException>(() => OpenSshCertificate.Parse(blob));
        }

        [Fact]
        public void TrailingBytesAreRejected()
        {
            byte[] blob = new TestCertificate(TestKeys.Ed25519(1), TestKeys.Ed25519(2)) { TrailingBytes = new byte[] { 1 } }.Build();
            Assert.Throws<SshFormatException>(() => OpenSshCertificate.Parse(blob));
        }

        [Fact]
        public void TruncatedCertificateIsRejected()
        {
            byte[] blob = new TestCertificate(TestKeys.Ed25519(1), TestKeys.Ed25519(2)).Build();
            Assert.Throws<SshFormatException>(() => OpenSshCertificate.Parse(blob.AsSpan(0, blob.Length - 10).ToArray()));
        }

        [Fact]
        public void PlainKeyIsNotACertificate()
        {
            Assert.Throws<SshFormatException>(() => OpenSshCertificate.Parse(TestKeys.Ed25519(1)));
            Assert.False(OpenSshCertificate.IsCertificate(TestKeys.Ed25519(1)));
        }

        [Fact]
        public void ValidHostCertificateForAListedPrincipalPasses()
        {
            OpenSshCertificate cert = Build(c => c.Principals.Add("kvm1"));
            Assert.Null(cert.CheckHost("kvm1", Now));
            Assert.Null(cert.CheckHost("kvm1.lab", Now));
        }

        [Fact]
        public void PrincipalMustBeListedExactly()
        {
            OpenSshCertificate cert = Build(_ => { });
            Assert.Equal("Certificate invalid: name is not a listed principal", cert.CheckHost("kvm2.lab", Now));
            // ssh compares principals with strcmp and no wildcards for host certificates.
            Assert.NotNull(Build(c => c.Principals[0] = "*.lab").CheckHost("kvm1.lab", Now));
        }

        [Fact]
        public void EmptyPrincipalListAcceptsAnyHostLikeOpenSsh()
        {
            Assert.Null(Build(c => c.Principals.Clear()).CheckHost("anything.example", Now));
        }

        [Fact]
        public void UserCertificateIsNotAHostCertificate()
        {
            Assert.Equal("Certificate invalid: not a host certificate", Build(c => c.Kind = 1).CheckHost("kvm1.lab", Now));
        }

        [Fact]
        public void ValidityWindowIsInclusiveStartExclusiveEnd()
        {
            ulong now = (ulong)Now.ToUnixTimeSeconds();
            Assert.Null(Build(c => { c.ValidAfter = now; c.ValidBefore = now + 1; }).CheckHost("kvm1.lab", Now));
            Assert.Equal("Certificate invalid: expired", Build(c => c.ValidBefore = now).CheckHost("kvm1.lab", Now));
            Assert.Equal("Certificate invalid: not yet valid", Build(c => c.ValidAfter = now + 1).CheckHost("kvm1.lab", Now));
        }

        [Fact]
        public void ZeroAndMaxValueMeanForever()
        {
            OpenSshCertificate cert = Build(c => { c.ValidAfter = 0; c.ValidBefore = OpenSshCertificate.Forever; });
            Assert.Null(cert.CheckHost("kvm1.lab", DateTimeOffset.MaxValue));
            Assert.Null(cert.CheckHost("kvm1.lab", DateTimeOffset.FromUnixTimeSeconds(0)));
            Assert.Equal("from always to forever", cert.DescribeValidity());
        }

        [Fact]
        public void CriticalOptionsAreNotSupportedOnHostCertificates()
        {
            OpenSshCertificate cert = Build(c => c.CriticalOptions.Add("force-command"));
            Assert.Equal(new[] { "force-command" }, cert.CriticalOptions);
            Assert.Equal("Certificate contains unsupported critical options", cert.CheckHost("kvm1.lab", Now));
        }

        [Fact]
        public void ExtensionsDoNotMatterForHostCertificates()
        {
            OpenSshCertificate cert = Build(c => c.Extensions.Add("permit-pty"));
            Assert.Equal(new[] { "permit-pty" }, cert.Extensions);
            Assert.Null(cert.CheckHost("kvm1.lab", Now));
        }

        [Theory]
        [InlineData("ssh-rsa", false)]
        [InlineData("rsa-sha2-256", true)]
        [InlineData("rsa-sha2-512", true)]
        [InlineData("ecdsa-sha2-nistp384", true)]
        [InlineData("ssh-dss", false)]
        public void CaSignatureAlgorithmFollowsSshDefaults(string algorithm, bool allowed)
        {
            string? reason = Build(c => c.SignatureAlgorithm = algorithm).CheckHost("kvm1.lab", Now);
            Assert.Equal(allowed ? null : "Certificate signed with disallowed algorithm", reason);
        }

        [Fact]
        public void EncodeFromParsedFieldsReproducesARealCertificateByteForByte()
        {
            // The path SSH.NET callers take: HostKeyEventArgs exposes the fields, not the bytes.
            byte[] original = Convert.FromBase64String(TestKeys.RealEd25519CertBase64);
            OpenSshCertificate cert = OpenSshCertificate.Parse(original);

            byte[] encoded = OpenSshCertificate.Encode(cert.CertificateKeyType, cert.Nonce, cert.PublicKeyBlob, cert.Serial,
                cert.Kind, cert.KeyId, cert.ValidPrincipals, cert.ValidAfter, cert.ValidBefore,
                Array.Empty<KeyValuePair<string, byte[]>>(), Array.Empty<KeyValuePair<string, byte[]>>(),
                cert.SignatureKeyBlob, cert.SignatureBlob);

            Assert.Equal(original, encoded);
        }

        [Fact]
        public void EncodeKeepsOptionsAndPrincipals()
        {
            var builder = new TestCertificate(TestKeys.Rsa(4), TestKeys.Ecdsa(384, 5)) { Kind = 1, Serial = 9, KeyId = "u" };
            builder.CriticalOptions.Add("force-command");
            builder.Extensions.Add("permit-pty");
            builder.Principals.Add("root");
            byte[] original = builder.Build();
            OpenSshCertificate cert = OpenSshCertificate.Parse(original);

            byte[] encoded = OpenSshCertificate.Encode(cert.CertificateKeyType, cert.Nonce, TestKeys.Rsa(4), 9,
                OpenSshCertificateKind.User, "u", new[] { "kvm1.lab", "root" }, cert.ValidAfter, cert.ValidBefore,
                new[] { new KeyValuePair<string, byte[]>("force-command", Array.Empty<byte>()) },
                new[] { new KeyValuePair<string, byte[]>("permit-pty", Array.Empty<byte>()) },
                TestKeys.Ecdsa(384, 5), cert.SignatureBlob);

            Assert.Equal(original, encoded);
        }

        [Fact]
        public void EncodeRefusesAKeyOfAnotherTypeThanTheCertificate()
        {
            Assert.Throws<ArgumentException>(() => OpenSshCertificate.Encode("ssh-rsa-cert-v01@openssh.com", new byte[32],
                TestKeys.Ed25519(1), 0, OpenSshCertificateKind.Host, "x", Array.Empty<string>(), 0, OpenSshCertificate.Forever,
                Array.Empty<KeyValuePair<string, byte[]>>(), Array.Empty<KeyValuePair<string, byte[]>>(), TestKeys.Ed25519(2),
                new byte[] { 0, 0, 0, 0 }));
        }

        private static OpenSshCertificate Build(Action<TestCertificate> configure)
        {
            var builder = new TestCertificate(TestKeys.Ed25519(1), TestKeys.Ed25519(2));
            configure(builder);
            return OpenSshCertificate.Parse(builder.Build());
        }
    }
}
