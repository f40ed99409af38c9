using System.Linq;
using KvmPS.Completion;
using KvmPS.Security;
using KvmPS.Tests.Security;
using Xunit;

namespace KvmPS.Tests.Completion
{
    public class CompletionNamesTests
    {
        [Fact]
        public void ListsClearHostNamesAsKvmPSNamesThemAndLeavesOutHashedPatternsAndMarkedLines()
        {
            string content = string.Join("\n",
                TestKeys.Line("kvm1,198.18.0.11", TestKeys.Ed25519(1)),
                TestKeys.Line("[kvm2]:2222,[198.18.0.12]:22", TestKeys.Ed25519(2)),
                TestKeys.Line("[fd00::3]:2200", TestKeys.Ed25519(3)),
                TestKeys.Line("*.lab,!bad.lab,kvm?", TestKeys.Ed25519(4)),
                TestKeys.Line("|1|c2FsdHNhbHRzYWx0c2FsdHNhbHQ=|aGFzaGhhc2hoYXNoaGFzaGhhc2g=", TestKeys.Ed25519(5)),
                TestKeys.Line("ca.lab", TestKeys.Ed25519(6), "@cert-authority"),
                TestKeys.Line("kvm9", TestKeys.Ed25519(7), "@revoked"));

            string[] names = KnownHostsFile.Parse("kh", content).ClearHostNames().ToArray();

            Assert.Equal(new[] { "kvm1", "198.18.0.11", "kvm2:2222", "198.18.0.12", "[fd00::3]:2200" }, names);
        }

        [Theory]
        [InlineData("web1", "web1")]
        [InlineData("kvm-east1.example.com", "kvm-east1.example.com")]
        [InlineData("root@kvm1:2222", "'root@kvm1:2222'")]
        [InlineData("0x10", "'0x10'")]
        [InlineData("1kb", "'1kb'")]
        [InlineData("@x", "'@x'")]
        [InlineData("x\u2019;Remove-Item ~;\u2019", "'x\u2019\u2019;Remove-Item ~;\u2019\u2019'")]
        [InlineData("x\u2018\u201A\u201By", "'x\u2018\u2018\u201A\u201A\u201B\u201By'")]
        [InlineData("my guest", "'my guest'")]
        [InlineData("it's", "'it''s'")]
        [InlineData("a;rm -rf /", "'a;rm -rf /'")]
        [InlineData("$(id)", "'$(id)'")]
        [InlineData("-flag", "'-flag'")]
        [InlineData("gäst", "'gäst'")]
        public void QuotesWhatPowerShellWouldNotReadBackAsOneLiteralName(string name, string expected)
        {
            Assert.Equal(expected, CompletionNames.Quote(name));
        }

        [Fact]
        public void EscapesWildcardsForParametersThatTakeThem()
        {
            Assert.Equal(new[] { "'web`*'", "'web`[1`]'" }, CompletionNames.Results(new[] { "web[1]", "web*" }, "web", escapeWildcards: true).Select(r => r.CompletionText).ToArray());
            Assert.Equal(new[] { "'web*'", "'web[1]'" }, CompletionNames.Results(new[] { "web[1]", "web*" }, "web").Select(r => r.CompletionText).ToArray());
        }

        [Fact]
        public void OffersDistinctSortedNamesStartingWithTheTypedTextIgnoringCaseAndQuotes()
        {
            string[] names = { "web2", "db1", "Web1", "web2", "", "web[1]" };

            Assert.Equal(new[] { "Web1", "web2", "'web[1]'" },
                CompletionNames.Results(names, "we").Select(r => r.CompletionText).ToArray());
            Assert.Equal(new[] { "Web1" }, CompletionNames.Results(names, "'web1").Select(r => r.CompletionText).ToArray());
            Assert.Equal(4, CompletionNames.Results(names, "").Count());
        }
    }
}
