using System;
using System.Linq;
using KvmPS.Security;
using Xunit;

namespace KvmPS.Tests.Security
{
    public class KnownHostsFileTests
    {
        private static readonly byte[] Key = TestKeys.Ed25519(1);

        [Fact]
        public void ParsesMarkersHostsTypeKeyAndComment()
        {
            string content = string.Join("\n",
                "# a comment",
                "",
                "   ",
                TestKeys.Line("kvm1,198.18.0.11", Key) + " root@kvm1  ",
                TestKeys.Line("*.lab", TestKeys.Rsa(2), "@cert-authority"),
                "\t" + TestKeys.Line("kvm9", TestKeys.Ecdsa(256, 3), "@revoked").Replace(' ', '\t'));

            KnownHostsFile file = KnownHostsFile.Parse("kh", content);

            Assert.Empty(file.Warnings);
            Assert.Equal(3, file.Entries.Count);
            KnownHostsEntry plain = file.Entries[0];
            Assert.Equal((4, KnownHostsMarker.None, "kvm1,198.18.0.11", "ssh-ed25519", "root@kvm1"),
                (plain.Line, plain.Marker, plain.Hosts, plain.KeyType, plain.Comment));
            Assert.Equal(Key, plain.KeyBlob);
            Assert.Equal("kh:4", plain.Location);
            Assert.Equal((5, KnownHostsMarker.CertificateAuthority, "ssh-rsa"),
                (file.Entries[1].Line, file.Entries[1].Marker, file.Entries[1].KeyType));
            Assert.Equal((6, KnownHostsMarker.Revoked, "ecdsa-sha2-nistp256"),
                (file.Entries[2].Line, file.Entries[2].Marker, file.Entries[2].KeyType));
        }

        [Theory]
        [InlineData("@bogus kvm1 ssh-ed25519 {key}", "unknown marker")]
        [InlineData("@revoked @cert-authority kvm1 ssh-ed25519 {key}", "only one marker")]
        [InlineData("kvm1 ssh-ed25519", "expected")]
        [InlineData("kvm1", "expected")]
        [InlineData("kvm1 ssh-ed25519 !!!notbase64", "base64")]
        [InlineData("kvm1 ssh-rsa {key}", "does not match")]
        [InlineData("|1|c2FsdA==|abc ssh-ed25519 {key}", "hashed")]
        [InlineData("kvm1 2048 65537 1234567", "base64")] // SSH-1 RSA lines are no longer understood by ssh
        [InlineData("kvm1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAAQA=", "invalid key")]
        public void MalformedLineIsSkippedWithFileAndLineWarning(string badLine, string reason)
        {
            string content = string.Join("\n",
                TestKeys.Line("good1", Key),
                badLine.Replace("{key}", Convert.ToBase64String(Key)),
                TestKeys.Line("good2", Key));

            KnownHostsFile file = KnownHostsFile.Parse("/tmp/kh", content);

            Assert.Equal(new[] { "good1", "good2" }, file.Entries.Select(e => e.Hosts));
            string warning = Assert.Single(file.Warnings);
            Assert.StartsWith("/tmp/kh:2: ", warning);
            Assert.Contains(reason, warning);
        }

        [Fact]
        public void RsaSha2NamesAreAcceptedForAnRsaKeyLikeSsh()
        {
            string line = "kvm1 rsa-sha2-512 " + Convert.ToBase64String(TestKeys.Rsa(1));
            KnownHostsEntry entry = Assert.Single(KnownHostsFile.Parse("kh", line).Entries);
            Assert.Equal("ssh-rsa", entry.KeyType);
        }

        [Fact]
        public void WindowsLineEndingsAreTolerated()
        {
            string content = TestKeys.Line("kvm1", Key) + " comment\r\n" + TestKeys.Line("kvm2", Key) + "\r\n";
            KnownHostsFile file = KnownHostsFile.Parse("kh", content);
            Assert.Empty(file.Warnings);
            Assert.Equal(new[] { "comment", "" }, file.Entries.Select(e => e.Comment));
        }

        [Fact]
        public void CertificateLineComparesByItsCertifiedKey()
        {
            byte[] cert = new TestCertificate(Key, TestKeys.Ed25519(9)).Build();
            KnownHostsEntry entry = Assert.Single(KnownHostsFile.Parse("kh", TestKeys.Line("kvm1", cert)).Entries);
            Assert.Equal("ssh-ed25519-cert-v01@openssh.com", entry.KeyType);
            Assert.Equal(Key, entry.PlainKeyBlob);
        }

        [Fact]
        public void FindEntriesAppliesPatternsNegationHashesAndPorts()
        {
            string hashed = HostPatterns.Hash("[kvm3.lab]:2222", TestKeys.Filled(20, 1));
            string content = string.Join("\n",
                TestKeys.Line("kvm1.lab,198.18.0.11", Key),     // 1
                TestKeys.Line("*.lab,!kvm2.lab", Key),          // 2
                TestKeys.Line("[kvm1.lab]:2222", Key),          // 3
                TestKeys.Line(hashed, Key),                     // 4
                TestKeys.Line("*", Key, "@cert-authority"),     // 5
                TestKeys.Line("!kvm1.lab", Key));               // 6: only a negation never applies

            KnownHostsFile file = KnownHostsFile.Parse("kh", content);

            Assert.Equal(new[] { 1, 2, 5 }, file.FindEntries("kvm1.lab").Select(e => e.Line));
            Assert.Equal(new[] { 1, 5 }, file.FindEntries("198.18.0.11").Select(e => e.Line));
            Assert.Equal(new[] { 5 }, file.FindEntries("kvm2.lab").Select(e => e.Line));
            Assert.Equal(new[] { 3, 5 }, file.FindEntries("[kvm1.lab]:2222").Select(e => e.Line));
            Assert.Equal(new[] { 4, 5 }, file.FindEntries("[kvm3.lab]:2222").Select(e => e.Line));
            Assert.Equal(new[] { 2, 5 }, file.FindEntries("kvm3.lab").Select(e => e.Line));
        }

        [Fact]
        public void MissingFileIsEmptyWithoutWarnings()
        {
            KnownHostsFile file = KnownHostsFile.Load("/nonexistent/" + Guid.NewGuid().ToString("N"));
            Assert.Empty(file.Entries);
            Assert.Empty(file.Warnings);
        }

        [Fact]
        public void UnreadableFileIsEmptyWithAWarning()
        {
            using var dir = new TempDirectory();
            string path = dir.Write("known_hosts", TestKeys.Line("kvm1", Key));
            // An exclusive lock makes the read fail even for root (.NET takes an advisory lock on Unix).
            using (new System.IO.FileStream(path, System.IO.FileMode.Open, System.IO.FileAccess.ReadWrite, System.IO.FileShare.None))
            {
                KnownHostsFile file = KnownHostsFile.Load(path);
                Assert.Empty(file.Entries);
                Assert.StartsWith(path + ": cannot be read: ", Assert.Single(file.Warnings));
            }

            Assert.Single(KnownHostsFile.Load(path).Entries);
        }

        [Fact]
        public void LoadReadsFromDisk()
        {
            using var dir = new TempDirectory();
            string path = dir.Write("known_hosts", TestKeys.Line("kvm1", Key), "garbage line here");

            KnownHostsFile file = KnownHostsFile.Load(path);

            Assert.Equal(path, Assert.Single(file.Entries).File);
            Assert.StartsWith(path + ":2: ", Assert.Single(file.Warnings));
        }
    }
}
