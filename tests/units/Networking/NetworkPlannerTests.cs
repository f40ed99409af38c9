using System;
using System.Collections.Generic;
using System.Linq;
using System.Xml.Linq;
using KvmPS;
using KvmPS.Networking;
using Xunit;
using static KvmPS.Tests.Networking.BridgeFixtures;

namespace KvmPS.Tests.Networking;

/// <summary>New-KvmNetwork's plans: the XML libvirt gets, the subnet and DHCP range chosen, and what is refused.</summary>
public sealed class NetworkPlannerTests
{
    private static readonly List<KvmNetwork> DefaultOnly = new() { new KvmNetwork { Name = "default", Bridge = "virbr0", Subnet = "192.168.122.0/24" } };

    private static NetworkPlan Plan(Action<NetworkRequest>? change = null, List<KvmNetwork>? networks = null, NetworkFacts? facts = null)
    {
        var request = new NetworkRequest { Name = "lab" };
        change?.Invoke(request);
        return NetworkPlanner.Plan(request, facts ?? Host(), networks ?? DefaultOnly, "kvm1");
    }

    private static string Refused(Action<NetworkRequest>? change = null, List<KvmNetwork>? networks = null, NetworkFacts? facts = null)
        => Assert.Throws<KvmException>(() => Plan(change, networks, facts)).ErrorId;

    [Fact]
    public void ANatNetworkTakesTheFirstFreeSubnetWithDhcpForAllButTheHost()
    {
        NetworkPlan plan = Plan();

        Assert.Equal("<network>\n  <name>lab</name>\n  <forward mode=\"nat\" />\n  <ip address=\"192.168.100.1\" netmask=\"255.255.255.0\">\n    <dhcp>\n      <range start=\"192.168.100.2\" end=\"192.168.100.254\" />\n    </dhcp>\n  </ip>\n</network>",
            plan.Xml.Replace("\r\n", "\n"));
        Assert.Equal("192.168.100.0/24", plan.Subnet);
        Assert.Equal(new[] { "virsh -c qemu:///system net-define /dev/stdin < network XML", "virsh -c qemu:///system net-start lab", "virsh -c qemu:///system net-autostart lab" },
            plan.Commands().Select(c => c.ToDisplayString().Split(" (")[0]));
    }

    [Fact]
    public void SubnetsTheHostOrItsNetworksHaveAreSkipped()
    {
        var networks = new List<KvmNetwork>(DefaultOnly) { new() { Name = "a", Subnet = "192.168.100.0/24" }, new() { Name = "b", Subnet = "192.168.101.128/25" } };
        NetworkFacts facts = Host(f => f.Link("eth1")!.Addresses.Add(new LinkAddress("192.168.102.7", 23, false, false)));

        Assert.Equal("192.168.104.1", Plan(networks: networks, facts: facts).Address);
    }

    [Fact]
    public void IsolatedAndRoutedNetworksAndANamedBridge()
    {
        XElement isolated = XElement.Parse(Plan(r => { r.Mode = KvmNetworkMode.Isolated; r.Bridge = "virbr9"; r.NoDhcp = true; r.Autostart = false; }).Xml);
        Assert.Null(isolated.Element("forward"));
        Assert.Equal("virbr9", (string?)isolated.Element("bridge")!.Attribute("name"));
        Assert.Null(isolated.Element("ip")!.Element("dhcp"));
        Assert.Equal("route", (string?)XElement.Parse(Plan(r => r.Mode = KvmNetworkMode.Routed).Xml).Element("forward")!.Attribute("mode"));
        Assert.Equal(2, Plan(r => r.Autostart = false).Commands().Count);
    }

    [Theory]
    [InlineData("10.20.30.1/24", "", "10.20.30.2", "10.20.30.254")]
    [InlineData("10.20.30.254/24", "", "10.20.30.1", "10.20.30.253")]
    [InlineData("10.20.30.100/24", "", "10.20.30.101", "10.20.30.254")]
    [InlineData("10.20.30.200/24", "", "10.20.30.1", "10.20.30.199")]
    [InlineData("10.20.30.1/24", "10.20.30.100-10.20.30.150", "10.20.30.100", "10.20.30.150")]
    public void TheDhcpRangeLeavesTheHostOut(string address, string range, string start, string end)
    {
        NetworkPlan plan = Plan(r => { r.Address = address; r.DhcpRange = range; });

        Assert.Equal((start, end), (plan.DhcpStart, plan.DhcpEnd));
    }

    [Theory]
    [InlineData("10.20.30.1/24", "10.20.30.0-10.20.30.9")]
    [InlineData("10.20.30.1/24", "10.20.30.1-10.20.30.9")]
    [InlineData("10.20.30.1/24", "10.20.31.2-10.20.31.9")]
    [InlineData("10.20.30.1/24", "10.20.30.9-10.20.30.2")]
    [InlineData("10.20.30.1/24", "10.20.30.2")]
    [InlineData("10.20.30.1/24", "10.20.30.2-10.20.30.255")]
    public void ABadDhcpRangeIsRefused(string address, string range)
        => Assert.Equal("InvalidDhcpRange", Refused(r => { r.Address = address; r.DhcpRange = range; }));

    [Theory]
    [InlineData("192.168.122.1/24", "SubnetInUse")]
    [InlineData("192.0.2.99/25", "SubnetInUse")]
    [InlineData("192.168.0.0/16", "InvalidIPAddress")]
    [InlineData("10.0.0.1/31", "InvalidIPAddress")]
    [InlineData("127.0.0.2/24", "InvalidIPAddress")]
    [InlineData("10.0.0.1", "InvalidIPAddress")]
    [InlineData("10.0.0.1/24; reboot", "InvalidIPAddress")]
    public void AddressesThatCannotWorkAreRefused(string address, string id)
        => Assert.Equal(id, Refused(r => r.Address = address));

    [Theory]
    [InlineData("default", "NetworkExists")]
    [InlineData("lab;reboot", "InvalidNetworkName")]
    [InlineData("$(reboot)", "InvalidNetworkName")]
    [InlineData("-lab", "InvalidNetworkName")]
    [InlineData("läb", "InvalidNetworkName")]
    [InlineData("", "InvalidNetworkName")]
    public void NamesThatExistOrCannotBeNamesAreRefused(string name, string id)
        => Assert.Equal(id, Refused(r => r.Name = name));

    [Theory]
    [InlineData("eth0")]
    [InlineData("virbr0")]
    [InlineData("br 0")]
    public void ABridgeNameInUseOrInvalidIsRefused(string bridge)
        => Assert.Contains(Refused(r => r.Bridge = bridge), new[] { "BridgeConflict", "InvalidInterfaceName" });

    [Fact]
    public void TheXmlIsBuiltAsXmlNotByPastingText()
    {
        // A name passing validation cannot hold markup; the writer escapes anyway.
        NetworkPlan plan = Plan(r => r.Name = "lab.1_x-2");

        Assert.Equal("lab.1_x-2", (string?)XElement.Parse(plan.Xml).Element("name"));
        Assert.Contains("Define libvirt network lab.1_x-2 (Nat, 192.168.100.0/24, host 192.168.100.1, DHCP 192.168.100.2-192.168.100.254, bridge chosen by libvirt, autostart)", plan.Describe(), StringComparison.Ordinal);
    }
}
