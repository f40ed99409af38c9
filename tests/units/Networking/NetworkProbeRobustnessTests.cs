using System;
using System.Linq;
using System.Text;
using KvmPS.Networking;
using Xunit;

namespace KvmPS.Tests.Networking;

/// <summary>Odd, cut-off and hostile probe output: fewer facts, never an exception.</summary>
public sealed class NetworkProbeRobustnessTests
{
    [Theory]
    [InlineData("")]
    [InlineData("\n\n\n")]
    [InlineData("== ")]
    [InlineData("==")]
    [InlineData("== links")]
    [InlineData("== links\n1:\n2: : <> mtu\n3: x: <UP\n\\\\\\\n")]
    [InlineData("== addrs\n1: lo inet\n2: eth0 inet6 /\n3: eth0 inet 10.0.0.1/99\n4: eth0 inet 10.0.0.1/x peer\n")]
    [InlineData("== routes\ndefault\ndefault via\ndefault via inet6\ndefault dev\ndefault metric x\n")]
    [InlineData("== sys\nx\nx port\nx vlan\nx flags 0xZZ\nx flags 0x\n")]
    [InlineData("== brctl\n\tonly-a-port\nbr0\nbr0 8000.x maybe eth0\n")]
    [InlineData("== nmconnections\n:::\n\\\n== nmprofiles\n:\nconnection.uuid:\nipv4.addresses:{ ip = \n")]
    [InlineData("== nmconnections UUID\nabc\n== nmprofile\nipv4.method:auto\n== nmdevices\n:\nx\n")]
    [InlineData("== ifcfg\n== ifcfg noeol\n== ifcfg x noeol\nA='unterminated\nB=\"unterminated\\\nC=\\\n== network noeol\n")]
    [InlineData("== release\nrelease 99999999999999999999\n")]
    public void OddOutputGivesFewerFactsNotAnException(string output)
    {
        NetworkFacts facts = NetworkFactsParser.Parse(output);

        Assert.NotNull(facts);
        Assert.False(facts.ProbeComplete);
    }

    [Fact]
    public void NullIsAnEmptyHost()
    {
        NetworkFacts facts = NetworkFactsParser.Parse(null!);

        Assert.Empty(facts.Links);
        Assert.Equal(0, facts.RhelMajor);
    }

    /// <summary>A connection that drops mid-probe: every prefix of every fixture parses, and only the whole one is complete.</summary>
    [Fact]
    public void EveryFixtureCutOffAtAnyLineStillParses()
    {
        foreach (string name in NetworkFixtures.Names())
        {
            string text = NetworkFixtures.Text(name);
            string[] lines = text.Split('\n');
            for (int n = 0; n < lines.Length; n++)
            {
                string cut = string.Join("\n", lines.Take(n));
                NetworkFacts facts = NetworkFactsParser.Parse(cut);
                Assert.False(facts.ProbeComplete && !cut.Contains("\n== end"), $"{name} cut at line {n}");
                // Cut inside a line too.
                NetworkFactsParser.Parse(cut + "\n" + lines[n].Substring(0, lines[n].Length / 2));
            }

            Assert.True(NetworkFactsParser.Parse(text).ProbeComplete, name);
        }
    }

    [Fact]
    public void RandomBytesAndShuffledFixtureLinesNeverThrow()
    {
        var random = new Random(5);
        string[] headers = { "== links", "== addrs", "== routes", "== routes6", "== sys", "== brctl", "== nmprofiles", "== nmconnections", "== ifcfg x", "== resolv" };
        string[] all = NetworkFixtures.Names().SelectMany(n => NetworkFixtures.Text(n).Split('\n')).ToArray();
        for (int i = 0; i < 300; i++)
        {
            var text = new StringBuilder();
            for (int j = 0; j < 40; j++)
            {
                int pick = random.Next(4);
                text.Append(pick == 0 ? headers[random.Next(headers.Length)]
                    : pick == 1 ? new string(Enumerable.Range(0, random.Next(60)).Select(_ => (char)random.Next(1, 0x250)).ToArray())
                    : all[random.Next(all.Length)]);
                text.Append(random.Next(5) == 0 ? "\r\n" : "\n");
            }

            NetworkFactsParser.Parse(text.ToString());
        }
    }

    [Fact]
    public void LinesBeforeTheFirstSectionAndUnknownSectionsAreIgnored()
    {
        NetworkFacts facts = NetworkFactsParser.Parse("# fixture: a comment\nWelcome to host\n== links\n2: eth0: <UP> mtu 1500\\    link/ether 52:54:00:00:00:01 brd ff:ff:ff:ff:ff:ff\n== bogus\n2: eth9: <UP> mtu 1500\n");

        Assert.Equal(new[] { "eth0" }, facts.Links.Select(l => l.Name));
    }

    [Fact]
    public void AFileLineThatLooksLikeAMarkerStaysInTheFile()
    {
        NetworkFacts facts = NetworkFactsParser.Parse("== ifcfg eth0\nDEVICE=eth0\n== not a section\nONBOOT=yes\n\n== tools\nip /sbin/ip\n");

        Assert.Equal("DEVICE=eth0\n== not a section\nONBOOT=yes\n", facts.IfcfgText["eth0"]);
        Assert.Equal("yes", facts.IfcfgFiles["eth0"]["ONBOOT"]);
        Assert.Contains("ip", facts.Tools);
    }

    [Fact]
    public void FileBytesSurviveCarriageReturnsAndMissingNewlines()
    {
        NetworkFacts facts = NetworkFactsParser.Parse("== ifcfg a noeol\nX=1\r\nY=2\n\n== ifcfg empty\n\n== ifcfg blank\n\n\n== end\n");

        Assert.Equal("X=1\r\nY=2", facts.IfcfgText["a"]);
        Assert.Equal("2", facts.IfcfgFiles["a"]["Y"]);
        Assert.Equal("1", facts.IfcfgFiles["a"]["X"]);
        Assert.Equal("", facts.IfcfgText["empty"]);
        Assert.Equal("\n", facts.IfcfgText["blank"]);
        Assert.True(facts.ProbeComplete);
    }

    [Theory]
    [InlineData("A=plain", "plain")]
    [InlineData("A=\"double quoted\"", "double quoted")]
    [InlineData("A='single $quoted'", "single $quoted")]
    [InlineData("A=\"esc \\\" \\\\ \\$x\"", "esc \" \\ $x")]
    [InlineData("A=none # a comment", "none")]
    [InlineData("  export A=yes", "yes")]
    [InlineData("A=", "")]
    [InlineData("A=\"\"", "")]
    [InlineData("A=one\nA=two", "two")]
    [InlineData("A=ab'c d'\"e\"", "abc de")]
    public void IfcfgValuesAreReadAsTheShellReadsThem(string text, string value)
        => Assert.Equal(value, NetworkFactsParser.ShellAssignments(text)["A"]);

    [Fact]
    public void IfcfgCommentsBlankLinesAndNonAssignmentsAreIgnored()
    {
        var values = NetworkFactsParser.ShellAssignments("# DEVICE=wrong\n\n   \nnot an assignment\n1X=no\nDEVICE=eth0\n; x\n");

        Assert.Equal(new[] { "DEVICE" }, values.Keys);
    }

    [Theory]
    [InlineData("a:b:c", new[] { "a", "b", "c" })]
    [InlineData("uplink\\: dhcp \\\\ test:uuid", new[] { "uplink: dhcp \\ test", "uuid" })]
    [InlineData("trailing:", new[] { "trailing", "" })]
    [InlineData("dangling\\", new[] { "dangling\\" })]
    public void NmcliTerseFieldsAreSplitAndUnescaped(string line, string[] fields)
        => Assert.Equal(fields, NetworkFactsParser.TerseFields(line));

    [Fact]
    public void OldNetworkManagerAddressesCarryTheGateway()
    {
        // NM 0.9.9 (RHEL 7.0) printed structured addresses; the gateway lived inside them.
        NetworkFacts facts = NetworkFactsParser.Parse("== nmprofiles\nconnection.uuid:11111111-2222-3333-4444-555555555555\n"
            + "ipv4.addresses:{ ip = 192.0.2.5/24, gw = 192.0.2.1 }; { ip = 192.0.2.6/24, gw = 0.0.0.0 }\nipv4.dns:--\nipv6.addresses:2001\\:db8\\:\\:5/64\n");

        NmProfile profile = Assert.Single(facts.NmProfiles);
        Assert.Equal(new[] { "192.0.2.5/24", "192.0.2.6/24" }, profile.Ipv4Addresses);
        Assert.Equal("192.0.2.1", profile.Ipv4Gateway);
        Assert.Empty(profile.Ipv4Dns);
        Assert.Equal(new[] { "2001:db8::5/64" }, profile.Ipv6Addresses);
    }

    [Fact]
    public void ResolverKeepsTheLastSearchOrDomainLine()
    {
        NetworkFacts facts = NetworkFactsParser.Parse("== resolv\n# nameserver 9.9.9.9\nsearch a.example b.example\nnameserver 192.0.2.53\ndomain c.example\nnameserver 2001:db8::53\noptions rotate\n");

        Assert.Equal(new[] { "192.0.2.53", "2001:db8::53" }, facts.DnsServers);
        Assert.Equal(new[] { "c.example" }, facts.DnsSearch);
    }

    [Fact]
    public void MultipathAndDeviceOnlyDefaultRoutes()
    {
        NetworkFacts facts = NetworkFactsParser.Parse("== routes\ndefault proto static metric 50 \\\tnexthop via 192.0.2.1 dev eth0 weight 1 \\\tnexthop via 192.0.2.2 dev eth1 weight 1\ndefault dev ppp0 scope link metric 10\n10.0.0.0/8 via 192.0.2.9 dev eth0\n");

        Assert.Equal(new[] { ("192.0.2.1", "eth0", 50), ("", "ppp0", 10) }, facts.DefaultRoutes.Select(r => (r.Gateway, r.Device, r.Metric)));
        Assert.Equal("ppp0", facts.Ipv4Gateway!.Device);
    }

    [Fact]
    public void APointToPointAddressTakesThePeersPrefix()
    {
        NetworkFacts facts = NetworkFactsParser.Parse("== addrs\n5: tun0    inet 10.8.0.1 peer 10.8.0.2/32 scope global tun0\\       valid_lft forever preferred_lft forever\n6: eth0    inet 192.0.2.7/24 brd 192.0.2.255 scope global secondary eth0:1\n");

        Assert.Equal(new[] { "10.8.0.1/32" }, facts.Link("tun0")!.Addresses());
        Assert.Equal(new[] { "192.0.2.7/24" }, facts.Link("eth0")!.Addresses());
    }

    [Fact]
    public void TeamAndOpenvswitchPortsFromIpDetails()
    {
        NetworkFacts facts = NetworkFactsParser.Parse("== links\n"
            + "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq master team0 state UP\\    link/ether 52:54:00:00:00:01 brd ff:ff:ff:ff:ff:ff \\    team_slave \n"
            + "3: team0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP\\    link/ether 52:54:00:00:00:01 brd ff:ff:ff:ff:ff:ff \\    team \n"
            + "4: eth1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq master ovs-system state UP\\    link/ether 52:54:00:00:00:02 brd ff:ff:ff:ff:ff:ff \\    openvswitch_slave \n"
            + "5: ovs-system: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN\\    link/ether 0a:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff \\    openvswitch \n");

        Assert.Equal(("team0", "team"), (facts.Link("eth0", LinkKind.Ethernet).Master, facts.Link("eth0", LinkKind.Ethernet).MasterKind));
        Assert.Equal(new[] { "eth0" }, facts.Link("team0", LinkKind.Team).Ports);
        Assert.Equal("openvswitch", facts.Link("eth1", LinkKind.Ethernet).MasterKind);
        facts.Link("ovs-system", LinkKind.Other);
    }

    [Fact]
    public void ScriptIsEmbeddedPortableAndEndsWithItsMarker()
    {
        string script = KvmPS.Transport.EmbeddedScripts.Read("network-probe.sh");

        Assert.Contains("LC_ALL=C", script);
        Assert.Contains("section end", script);
        Assert.EndsWith("exit 0\n", script);
        // No bashisms: [[ ]], arrays, "function", $'...', local, process substitution.
        Assert.DoesNotContain("[[", script);
        Assert.DoesNotContain("function ", script);
        Assert.DoesNotMatch(@"(^|[\s=(])\$'", script);
        Assert.DoesNotMatch(@"(?m)^\s*local\s", script);
        Assert.DoesNotContain("<(", script);
    }
}
