using System;
using System.IO;
using KvmPS.Security;
using Xunit;

namespace KvmPS.Tests.Security
{
    public class KnownHostsAppendTests : IDisposable
    {
        private static readonly byte[] HostKey = TestKeys.Ed25519(1);
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        [Fact]
        public void CreatesPrivateDirectoryAndFileAndWritesOneOpenSshLine()
        {
            string file = Path.Combine(_dir.Path, "dotssh", "known_hosts");

            KnownHosts.Append(file, "KVM1.Lab", 22, "ssh-ed25519", HostKey);

            Assert.Equal("kvm1.lab ssh-ed25519 " + Convert.ToBase64String(HostKey) + "\n", File.ReadAllText(file));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
                    File.GetUnixFileMode(Path.GetDirectoryName(file)!));
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }
        }

        [Fact]
        public void NonDefaultPortIsRecordedInBrackets()
        {
            string file = _dir.File("known_hosts");
            KnownHosts.Append(file, "198.18.0.11", 2222, "ssh-ed25519", HostKey);
            Assert.StartsWith("[198.18.0.11]:2222 ssh-ed25519 ", File.ReadAllText(file));
        }

        [Fact]
        public void AppendsAfterALastLineWithoutNewlineAndKeepsExistingBytes()
        {
            string file = _dir.File("known_hosts");
            string existing = "# mine\r\n" + TestKeys.Line("old", TestKeys.Rsa(1)) + " keep   this";
            File.WriteAllText(file, existing);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
            }

            KnownHosts.Append(file, "kvm1", 22, "ssh-ed25519", HostKey);
            KnownHosts.Append(file, "kvm2", 22, "ssh-ed25519", HostKey);

            string expected = existing + "\nkvm1 ssh-ed25519 " + Convert.ToBase64String(HostKey)
                + "\nkvm2 ssh-ed25519 " + Convert.ToBase64String(HostKey) + "\n";
            Assert.Equal(expected, File.ReadAllText(file));
            if (!OperatingSystem.IsWindows())
            {
                // Permissions of an existing file are the user's business.
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(file));
            }
        }

        [Fact]
        public void AppendedKeyIsTrustedAfterwards()
        {
            string file = _dir.File("known_hosts");
            var presented = new PresentedHostKey("ssh-ed25519", HostKey);
            Assert.Equal(HostKeyStatus.Unknown, KnownHosts.Check(new[] { file }, new[] { "kvm1" }, 830, presented, DateTimeOffset.UtcNow).Status);

            KnownHosts.Append(file, "kvm1", 830, "ssh-ed25519", HostKey);

            HostKeyCheckResult result = KnownHosts.Check(new[] { file }, new[] { "kvm1" }, 830, presented, DateTimeOffset.UtcNow);
            Assert.Equal((HostKeyStatus.Trusted, 1), (result.Status, result.MatchedLine));
        }

        [Fact]
        public void RsaSha2AlgorithmIsRecordedAsTheSshRsaKeyType()
        {
            string file = _dir.File("known_hosts");
            KnownHosts.Append(file, "kvm1", 22, "rsa-sha2-512", TestKeys.Rsa(2));
            Assert.StartsWith("kvm1 ssh-rsa AAAA", File.ReadAllText(file));
        }

        [Fact]
        public void CertificatesAreNotRecorded()
        {
            byte[] cert = new TestCertificate(HostKey, TestKeys.Ed25519(9)).Build();
            Assert.Throws<ArgumentException>(() =>
                KnownHosts.Append(_dir.File("known_hosts"), "kvm1", 22, "ssh-ed25519-cert-v01@openssh.com", cert));
            Assert.False(File.Exists(_dir.File("known_hosts")));
        }

        [Fact]
        public void AlgorithmMustCarryTheBlobsKeyType()
        {
            Assert.Throws<ArgumentException>(() => KnownHosts.Append(_dir.File("known_hosts"), "kvm1", 22, "ssh-rsa", HostKey));
        }

        [Fact]
        public void MalformedKeyIsNotRecorded()
        {
            Assert.Throws<SshFormatException>(() =>
                KnownHosts.Append(_dir.File("known_hosts"), "kvm1", 22, "ssh-ed25519", TestKeys.Blob("ssh-ed25519", new byte[5])));
            Assert.False(File.Exists(_dir.File("known_hosts")));
        }

        [Theory]
        [InlineData("kvm1 kvm2")]
        [InlineData("kvm1,kvm2")]
        [InlineData("*.lab")]
        [InlineData("kvm?")]
        [InlineData("!kvm1")]
        [InlineData("@revoked")]
        [InlineData("|1|x|y")]
        [InlineData("#kvm1")]
        [InlineData("kvm1\nkvm2")]
        [InlineData(" ")]
        public void NamesThatWouldNotStayOneLiteralHostAreRefused(string name)
        {
            Assert.Throws<ArgumentException>(() => KnownHosts.Append(_dir.File("known_hosts"), name, 22, "ssh-ed25519", HostKey));
            Assert.False(File.Exists(_dir.File("known_hosts")));
        }
    }
}
