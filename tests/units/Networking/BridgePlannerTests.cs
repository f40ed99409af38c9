using System;
using System.Linq;
using System.Management.Automation;
using KvmPS;
using KvmPS.Networking;
using KvmPS.Transport;
using Xunit;
using static KvmPS.Tests.Networking.BridgeFixtures;

namespace KvmPS.Tests.Networking;

/// <summary>What New-KvmBridge refuses before anything changes, which backend it picks, and the addressing the bridge gets.</summary>
public sealed class BridgePlannerTests
{
    [Theory]
    [InlineData("br0;id")]
    [InlineData("$(id)")]
    [InlineData("br`id`")]
    [InlineData("-rf")]
    [InlineData(".")]
    [InlineData("a b")]
    [InlineData("br0\nid")]
    [InlineData("brückenname")]
    [InlineData("br'0")]
    [InlineData("abcdefghijklmnop")]
    [InlineData("br0:1")]
    [InlineData("br/0")]
    [InlineData("")]
    public void HostileOrInvalidNamesAreRefusedForBothParameters(string name)
    {
        Assert.Equal("InvalidInterfaceName", Refusal(Request(r => r.Name = name), Host()).ErrorId);
        Assert.Equal("InvalidInterfaceName", Refusal(Request(r => r.InterfaceName = name), Host()).ErrorId);
    }

    [Fact]
    public void FifteenCharactersAreTheLongestName()
    {
        Assert.NotNull(Plan(Request(r => r.Name = "abcdefghijklmno"), Host()));
    }

    [Fact]
    public void AnUnknownNicIsRefusedListingTheHostsNics()
    {
        KvmException e = Refusal(Request(r => r.InterfaceName = "eth9"), Host());

        Assert.Equal("InterfaceNotFound", e.ErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, e.Category);
        Assert.EndsWith("It has: eth0, eth1.", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Wireless", "WirelessInterface")]
    [InlineData("Loopback", "InterfaceNotBridgeable")]
    [InlineData("Bridge", "InterfaceNotBridgeable")]
    [InlineData("Other", "InterfaceNotBridgeable")]
    public void NicsThatCannotJoinABridgeAreRefused(string kind, string id)
    {
        Assert.Equal(id, Refusal(Request(), Host(h => h.Link("eth0")!.Kind = Enum.Parse<LinkKind>(kind))).ErrorId);
    }

    [Theory]
    [InlineData("Bond")]
    [InlineData("Team")]
    [InlineData("Vlan")]
    public void BondsTeamsAndVlansCanBeBridged(string kind)
    {
        Assert.Equal(KvmBridgeBackend.IpRoute, Plan(Request(), Host(h => h.Link("eth0")!.Kind = Enum.Parse<LinkKind>(kind))).Backend);
    }

    [Fact]
    public void ABondMemberIsRefusedPointingAtTheBond()
    {
        KvmException e = Refusal(Request(), Host(h => { h.Link("eth0")!.Master = "bond0"; h.Link("eth0")!.MasterKind = "bond"; }));

        Assert.Equal("InterfaceIsBondMember", e.ErrorId);
        Assert.Contains("-InterfaceName bond0", e.RecommendedAction, StringComparison.Ordinal);
    }

    [Fact]
    public void ANicInAnotherBridgeIsRefused()
    {
        NetworkFacts host = Host(h =>
        {
            h.Link("eth0")!.Master = "virbr9";
            h.Link("eth0")!.MasterKind = "bridge";
            h.Links.Add(new NetworkLink { Name = "virbr9", Kind = LinkKind.Bridge });
        });

        KvmException e = Refusal(Request(), host);

        Assert.Equal("InterfaceEnslaved", e.ErrorId);
        Assert.Contains("virbr9", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheSameBridgeAlreadyThereIsNoPlan()
    {
        NetworkFacts host = Host(h =>
        {
            h.Link("eth0")!.Master = "br0";
            h.Link("eth0")!.MasterKind = "bridge";
            var br0 = new NetworkLink { Name = "br0", Kind = LinkKind.Bridge };
            br0.Ports.Add("eth0");
            h.Links.Add(br0);
        });

        Assert.Null(BridgePlanner.Plan(Request(), host, "kvm1"));
    }

    [Fact]
    public void ABridgeOfThatNameWithoutTheNicOrAnotherLinkOfThatNameIsAConflict()
    {
        var other = new NetworkLink { Name = "br0", Kind = LinkKind.Bridge };
        other.Ports.Add("eth1");
        Assert.Equal("BridgeConflict", Refusal(Request(), Host(h => h.Links.Add(other))).ErrorId);
        Assert.Contains("its ports: eth1", Refusal(Request(), Host(h => h.Links.Add(other))).Message, StringComparison.Ordinal);
        Assert.Equal("BridgeConflict", Refusal(Request(r => r.Name = "eth1"), Host()).ErrorId);
    }

    [Theory]
    [InlineData("10.1/24")]
    [InlineData("192.0.2.10")]
    [InlineData("192.0.2.10/0")]
    [InlineData("192.0.2.10/33")]
    [InlineData("192.0.2.010/24")]
    [InlineData("192.0.2.256/24")]
    [InlineData("192.0.2.0/24")]
    [InlineData("192.0.2.255/24")]
    [InlineData("127.0.0.2/8")]
    [InlineData("224.0.0.1/4")]
    [InlineData("192.0.2.10/24;id")]
    [InlineData("192.0.2.10/+24")]
    public void BadAddressesAreRefused(string cidr)
    {
        BridgeRequest request = Request(r => { r.AddressSource = BridgeAddressSource.Static; r.Addresses.Add(cidr); });

        Assert.Equal("InvalidIPAddress", Refusal(request, Host()).ErrorId);
    }

    [Fact]
    public void AGatewayOffTheSubnetOrNotAnAddressIsRefused()
    {
        BridgeRequest Static(string gateway) => Request(r => { r.AddressSource = BridgeAddressSource.Static; r.Addresses.Add("192.0.2.10/24"); r.Gateway = gateway; });

        Assert.Equal("GatewayNotOnSubnet", Refusal(Static("198.51.100.1"), Host()).ErrorId);
        Assert.Equal("GatewayNotOnSubnet", Refusal(Static("192.0.2.10"), Host()).ErrorId);
        Assert.Equal("InvalidGateway", Refusal(Static("gateway"), Host()).ErrorId);
        Assert.Equal("192.0.2.1", Plan(Static("192.0.2.1"), Host()).Addressing.Gateway);
    }

    [Theory]
    [InlineData("dns.example.com")]
    [InlineData("1.2.3")]
    [InlineData("::1;id")]
    public void ADnsServerThatIsNotAnAddressIsRefused(string dns)
    {
        Assert.Equal("InvalidDnsServer", Refusal(Request(r => r.DnsServers.Add(dns)), Host()).ErrorId);
    }

    [Fact]
    public void Ipv6DnsServersAreAccepted()
    {
        Assert.Equal(new[] { "2001:db8::53" }, Plan(Request(r => r.DnsServers.Add("2001:db8::53")), Host()).Addressing.Dns);
    }

    [Theory]
    [InlineData(9)]
    [InlineData(3601)]
    public void ARollbackTimeoutOutOfRangeIsRefused(int seconds)
    {
        Assert.Equal("InvalidRollbackTimeout", Refusal(Request(r => r.RollbackTimeout = TimeSpan.FromSeconds(seconds)), Host()).ErrorId);
    }

    [Fact]
    public void AutoTakesNetworkManagerWhereItManagesTheNic()
    {
        Assert.Equal(KvmBridgeBackend.NetworkManager, Plan(Request(), Host(h => WithNetworkManager(h))).Backend);
    }

    [Fact]
    public void AutoTakesNetworkScriptsWhereNetworkManagerDoesNotManageTheNic()
    {
        NetworkFacts host = Host(h => { WithNetworkManager(h); h.NmManagedDevices.Clear(); WithNetworkScripts(h, 7, "DEVICE=eth0\nBOOTPROTO=dhcp\n"); });

        Assert.Equal(KvmBridgeBackend.Ifcfg, Plan(Request(), host).Backend);
    }

    [Fact]
    public void AutoFallsBackToIpRouteWithAWarningThatItIsNotPersistent()
    {
        BridgePlan plan = Plan(Request(), Host());

        Assert.Equal(KvmBridgeBackend.IpRoute, plan.Backend);
        Assert.False(plan.Persistent);
        Assert.Contains(plan.Warnings, w => w.Contains("gone after the next reboot", StringComparison.Ordinal));
    }

    [Fact]
    public void AnExplicitBackendTheHostCannotUseIsRefused()
    {
        Assert.Equal("BackendUnavailable", Refusal(Request(r => r.Backend = KvmBridgeBackend.NetworkManager), Host()).ErrorId);
        Assert.Contains("does not manage eth0", Refusal(Request(r => r.Backend = KvmBridgeBackend.NetworkManager), Host(h => { WithNetworkManager(h); h.NmManagedDevices.Clear(); })).Message, StringComparison.Ordinal);
        Assert.Equal("BackendUnavailable", Refusal(Request(r => r.Backend = KvmBridgeBackend.Ifcfg), Host()).ErrorId);
        Assert.Equal("BackendConflict", Refusal(Request(r => r.Backend = KvmBridgeBackend.Ifcfg), Host(h => { WithNetworkManager(h); WithNetworkScripts(h, 7, "DEVICE=eth0\n"); })).ErrorId);
        Assert.Equal(KvmBridgeBackend.IpRoute, Plan(Request(r => r.Backend = KvmBridgeBackend.IpRoute), Host(h => WithNetworkManager(h))).Backend);
    }

    [Fact]
    public void KeepWithIpRouteMovesTheAddressesGatewayAndDnsTheNicHasNow()
    {
        BridgeAddressing addressing = Plan(Request(), Host()).Addressing;

        Assert.False(addressing.Dhcp);
        Assert.Equal(new[] { "192.0.2.10/24" }, addressing.Ipv4);
        Assert.Empty(addressing.Ipv6);
        Assert.Equal("192.0.2.1", addressing.Gateway);
        Assert.Equal(new[] { "192.0.2.53" }, addressing.Dns);
        Assert.Equal("192.0.2.10/24, gateway 192.0.2.1, DNS 192.0.2.53", addressing.ToString());
    }

    [Fact]
    public void KeepWithNetworkManagerTakesTheProfileNotTheLease()
    {
        BridgeAddressing addressing = Plan(Request(), Host(h => WithNetworkManager(h, "auto"))).Addressing;

        Assert.True(addressing.Dhcp);
        Assert.Empty(addressing.Ipv4);
        Assert.True(addressing.Ipv6Auto);
        Assert.Equal(new[] { "example.com" }, addressing.DnsSearch);
    }

    [Fact]
    public void ExplicitAddressingReplacesTheNics()
    {
        BridgeRequest request = Request(r =>
        {
            r.AddressSource = BridgeAddressSource.Static;
            r.Addresses.Add("198.51.100.7/25");
            r.Gateway = "198.51.100.1";
            r.DnsServers.Add("198.51.100.53");
        });

        BridgeAddressing addressing = Plan(request, Host()).Addressing;

        Assert.Equal(new[] { "198.51.100.7/25" }, addressing.Ipv4);
        Assert.Equal("198.51.100.1", addressing.Gateway);
        Assert.Equal(new[] { "198.51.100.53" }, addressing.Dns);
    }

    [Fact]
    public void DhcpIsRefusedWhereNothingRunsADhcpClient()
    {
        Assert.Equal("DhcpNeedsBackend", Refusal(Request(r => r.AddressSource = BridgeAddressSource.Dhcp), Host()).ErrorId);
    }

    [Fact]
    public void ALeaseMovedByIpRouteIsStaticWithAWarning()
    {
        BridgePlan plan = Plan(Request(), Host(h =>
        {
            h.Link("eth0")!.Addresses.Clear();
            h.Link("eth0")!.Addresses.Add(new LinkAddress("192.0.2.77", 24, false, true));
        }));

        Assert.Equal(new[] { "192.0.2.77/24" }, plan.Addressing.Ipv4);
        Assert.Contains(plan.Warnings, w => w.Contains("nothing renews the lease", StringComparison.Ordinal));
    }

    [Fact]
    public void ANicWithoutAddressesMakesABridgeForGuestsOnlyWithAWarning()
    {
        BridgePlan plan = Plan(Request(r => r.InterfaceName = "eth1"), Host());

        Assert.True(plan.Addressing.IsEmpty);
        Assert.Contains(plan.Warnings, w => w.Contains("for guests only", StringComparison.Ordinal));
        Assert.DoesNotContain(plan.Apply, c => c[1] == "route");
    }

    [Fact]
    public void WhatIfShowsTheBackendAddressingEveryCommandAndTheRollback()
    {
        string text = Plan(Request(), Host()).Describe();

        Assert.StartsWith("Bridge br0 from eth0 with IpRoute (until the next reboot); addressing: 192.0.2.10/24, gateway 192.0.2.1, DNS 192.0.2.53; MAC 52:54:00:12:34:56; STP off.", text, StringComparison.Ordinal);
        Assert.Contains("Apply (detached, after arming a rollback in 60 s):\n    ip link add name br0 address 52:54:00:12:34:56 type bridge stp_state 0\n", text, StringComparison.Ordinal);
        Assert.Contains("Rollback (if the host cannot be reached and verified on a new connection):\n    ip link set dev eth0 nomaster\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Ipv6DnsServersGoToIpv6DnsWithNetworkManager()
    {
        BridgePlan plan = Plan(Request(r => { r.DnsServers.Add("2001:db8::53"); r.DnsServers.Add("192.0.2.54"); }), Host(h => WithNetworkManager(h)));

        string add = PosixQuote.Join(plan.Apply[0]);
        Assert.Contains(" ipv4.dns 192.0.2.54 ", add, StringComparison.Ordinal);
        Assert.EndsWith(" ipv6.dns 2001:db8::53", add, StringComparison.Ordinal);
    }

    [Fact]
    public void FactsFromACutOffProbeAreNotPlannedFrom()
    {
        Assert.Equal("NetworkProbeIncomplete", Refusal(Request(), Host(h => h.ProbeComplete = false)).ErrorId);
    }
}
