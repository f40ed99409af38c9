using System;
using KvmPS.Security;
using Xunit;

namespace KvmPS.Tests.Security
{
    public class HostPatternsTests
    {
        [Theory]
        [InlineData("kvm1.lab", "kvm1.lab", true)]
        [InlineData("kvm1.lab", "*.lab", true)]
        [InlineData("kvm1.lab", "kvm?.lab", true)]
        [InlineData("kvm10.lab", "kvm?.lab", false)]
        [InlineData("kvm1.lab", "*", true)]
        [InlineData("", "*", true)]
        [InlineData("kvm1.lab", "kvm1", false)]
        [InlineData("kvm1.lab", "*lab*", true)]
        [InlineData("[kvm1.lab]:2222", "[*.lab]:2222", true)]
        [InlineData("[kvm1.lab]:2222", "*.lab", false)]
        [InlineData("[kvm1.lab]:2222", "[kvm1.lab]:*", true)]
        [InlineData("198.18.0.11", "198.18.0.*", true)]
        [InlineData("aXbXc", "a*b*c", true)]
        [InlineData("aXbX", "a*b*c", false)]
        [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "*a*a*a*a*a*a*a*a*c", false)]
        public void WildcardsFollowOpenSshMatchPattern(string text, string pattern, bool expected)
        {
            Assert.Equal(expected, HostPatterns.WildcardMatch(text, pattern));
        }

        [Theory]
        [InlineData("kvm1.lab", "kvm1.lab,198.18.0.11", 1)]
        [InlineData("198.18.0.11", "kvm1.lab,198.18.0.11", 1)]
        [InlineData("kvm2.lab", "kvm1.lab,198.18.0.11", 0)]
        [InlineData("bad.lab", "*.lab,!bad.lab", -1)]
        [InlineData("bad.lab", "!bad.lab,*.lab", -1)]
        [InlineData("good.lab", "*.lab,!bad.lab", 1)]
        [InlineData("good.lab", "!bad.lab", 0)]
        [InlineData("KVM1.Lab", "kvm1.LAB", 1)]
        [InlineData("kvm1.lab", "", 0)]
        public void PatternListsHonourNegationAndCase(string host, string list, int expected)
        {
            // 1 = match, 0 = no match, -1 = negated (the enum is internal, theory data must be public)
            Assert.Equal((HostPatternMatch)expected, HostPatterns.MatchList(host, list));
        }

        [Fact]
        public void OverlongSubPatternMatchesNothingAsInOpenSsh()
        {
            string longPattern = "*," + new string('a', 2000);
            Assert.Equal(HostPatternMatch.Match, HostPatterns.MatchList("x", "*"));
            Assert.Equal(HostPatternMatch.NoMatch, HostPatterns.MatchList("x", longPattern));
        }

        [Fact]
        public void HashedNameMatchesOnlyItsHost()
        {
            byte[] salt = TestKeys.Filled(20, 11);
            string hashed = HostPatterns.Hash("[kvm1.lab]:2222", salt);

            Assert.StartsWith("|1|" + Convert.ToBase64String(salt) + "|", hashed);
            Assert.True(HostPatterns.MatchHashed("[kvm1.lab]:2222", hashed));
            Assert.True(HostPatterns.MatchHashed("[KVM1.lab]:2222", hashed));
            Assert.False(HostPatterns.MatchHashed("kvm1.lab", hashed));
            Assert.False(HostPatterns.MatchHashed("[kvm1.lab]:2223", hashed));
        }

        [Fact]
        public void KnownOpenSshHashVector()
        {
            // HMAC-SHA1 with a 20-byte zero salt over "localhost", checked against OpenSSL:
            // printf localhost | openssl dgst -sha1 -mac HMAC -macopt hexkey:00..00 (20 zero bytes).
            string hashed = HostPatterns.Hash("localhost", new byte[20]);
            Assert.Equal("|1|AAAAAAAAAAAAAAAAAAAAAAAAAAA=|" + ExpectedZeroSaltLocalhost, hashed);
        }

        [Theory]
        [InlineData("|1|c2FsdA==|abc")] // salt is not 20 bytes
        [InlineData("|2|AAAAAAAAAAAAAAAAAAAAAAAAAAA=|abc")] // unknown magic
        [InlineData("|1|AAAAAAAAAAAAAAAAAAAAAAAAAAA=")] // no delimiter
        [InlineData("|1||abc")] // empty salt
        [InlineData("|1|!!notbase64!!|abc")]
        public void MalformedHashedNamesHaveNoSalt(string field)
        {
            Assert.True(HostPatterns.IsHashed(field));
            Assert.Null(HostPatterns.TryGetSalt(field));
            Assert.False(HostPatterns.MatchHashed("localhost", field));
        }

        [Theory]
        [InlineData("kvm1", 22, "kvm1")]
        [InlineData("kvm1", 0, "kvm1")]
        [InlineData("KVM1.Lab", 2222, "[kvm1.lab]:2222")]
        [InlineData("198.18.0.11", 830, "[198.18.0.11]:830")]
        [InlineData("::1", 2222, "[::1]:2222")]
        public void FormatHostUsesBracketsForNonDefaultPorts(string host, int port, string expected)
        {
            Assert.Equal(expected, KnownHosts.FormatHost(host, port));
        }

        [Fact]
        public void FormatHostRejectsImpossiblePorts()
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => KnownHosts.FormatHost("kvm1", 65536));
            Assert.Throws<ArgumentOutOfRangeException>(() => KnownHosts.FormatHost("kvm1", -1));
        }

        private const string ExpectedZeroSaltLocalhost = "nO6iD/NnqF6BuAxsSVjbtKzJJIQ=";
    }
}
