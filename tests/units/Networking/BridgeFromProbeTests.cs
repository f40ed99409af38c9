using System;
using System.Linq;
using KvmPS.Networking;
using KvmPS.Transport;
using Xunit;

namespace KvmPS.Tests.Networking;

/// <summary>The planner on facts parsed from whole probe outputs (Networking/Fixtures): the two layers agree.</summary>
public sealed class BridgeFromProbeTests
{
    private static BridgePlan? Plan(string fixture, string nic, string bridge = "br0")
        => BridgePlanner.Plan(new BridgeRequest { Name = bridge, InterfaceName = nic }, NetworkFixtures.Facts(fixture), "host");

    private static KvmException Refusal(string fixture, string nic)
        => Assert.Throws<KvmException>(() => Plan(fixture, nic));

    [Fact]
    public void Rhel9WithNetworkManagerAndDhcpGetsADhcpBridgeWithTheNicsMac()
    {
        BridgePlan plan = Plan("rhel9.4-nm-keyfile-dhcp", "ens3")!;

        Assert.Equal(KvmBridgeBackend.NetworkManager, plan.Backend);
        Assert.True(plan.Addressing.Dhcp);
        Assert.Contains(" bridge.mac-address 52:54:00:9a:8b:7c ipv4.method auto ", PosixQuote.Join(plan.Apply[0]), StringComparison.Ordinal);
        Assert.Contains(plan.Apply, a => PosixQuote.Join(a) == "nmcli connection modify a1b2c3d4-0e1f-4a5b-8c9d-0e1f2a3b4c5d connection.autoconnect no");
    }

    [Fact]
    public void Rhel5WithTheNetworkServiceGetsIfcfgFilesWithNetmaskAndItsRoutesMove()
    {
        BridgePlan plan = Plan("rhel5.11-network-service", "eth0")!;

        Assert.Equal(KvmBridgeBackend.Ifcfg, plan.Backend);
        string bridge = plan.Files.Single(f => f.Path.EndsWith("/ifcfg-br0", StringComparison.Ordinal)).Content;
        Assert.Contains("IPADDR=10.20.30.41\nNETMASK=", bridge, StringComparison.Ordinal);
        Assert.DoesNotContain("PREFIX", bridge, StringComparison.Ordinal);
        Assert.DoesNotContain("NM_CONTROLLED", bridge, StringComparison.Ordinal);
        Assert.Contains(plan.Files, f => f.Path.EndsWith("/route-br0", StringComparison.Ordinal));
    }

    [Fact]
    public void Rhel6WithBr0AlreadyOverEth0IsLeftAsItIs()
    {
        Assert.Null(Plan("rhel6.10-bridge-br0", "eth0"));
    }

    [Fact]
    public void AWirelessNicIsRefused()
    {
        Assert.Equal("WirelessInterface", Refusal("alma9.3-wireless", "wlp2s0").ErrorId);
    }

    [Fact]
    public void ABondMemberIsRefusedButTheBondAndItsVlanCanBeBridged()
    {
        Assert.Equal("InterfaceIsBondMember", Refusal("rhel8.10-bond-vlan", "eth0").ErrorId);
        Assert.Equal(KvmBridgeBackend.NetworkManager, Plan("rhel8.10-bond-vlan", "bond0")!.Backend);
        Assert.Equal(KvmBridgeBackend.NetworkManager, Plan("rhel8.10-bond-vlan", "bond0.100", "br100")!.Backend);
    }

    [Fact]
    public void TheRecordedLabHostGetsAnIpRouteBridgeKeepingItsAddress()
    {
        NetworkFacts facts = NetworkFixtures.Facts("lab-kvm1-test-bridge");
        NetworkLink nic = facts.Links.First(l => l.Kind == LinkKind.Ethernet && l.Master.Length == 0 && l.Addresses.Any(a => !a.IsIPv6));

        BridgePlan plan = BridgePlanner.Plan(new BridgeRequest { Name = "br9", InterfaceName = nic.Name }, facts, "kvm1")!;

        Assert.Equal(KvmBridgeBackend.IpRoute, plan.Backend);
        Assert.Equal(nic.Addresses.Where(a => !a.IsIPv6).Select(a => a.ToString()), plan.Addressing.Ipv4);
    }
}
