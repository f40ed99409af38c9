using System.Linq;
using KvmPS.Networking;
using Xunit;

namespace KvmPS.Tests.Networking;

/// <summary>HAND-WRITTEN fixtures, one per kind of host the bridge planner meets: each parsed to the exact facts.</summary>
public sealed class NetworkProbeReleaseTests
{
    [Fact]
    public void Rhel5NetworkServiceWithoutLinkKinds()
    {
        NetworkFacts facts = NetworkFixtures.Facts("rhel5.11-network-service");

        Assert.Equal(5, facts.RhelMajor);
        Assert.Equal("Red Hat Enterprise Linux Server release 5.11 (Tikanga)", facts.RedHatRelease);
        Assert.True(facts.HasNetworkService);
        Assert.False(facts.NetworkManagerRunning);
        Assert.DoesNotContain("timeout", facts.Tools);
        Assert.Contains("brctl", facts.Tools);
        NetworkLink eth0 = facts.Link("eth0", LinkKind.Ethernet);
        Assert.Equal(("00:16:3e:5a:10:01", 1500, ""), (eth0.MacAddress, eth0.Mtu, eth0.Master));
        Assert.Equal(new[] { "10.20.30.41/24", "fe80::216:3eff:fe5a:1001/64" }, eth0.Addresses());
        facts.Link("lo", LinkKind.Loopback);
        facts.Link("sit0", LinkKind.Other);
        NetworkLink virbr0 = facts.Link("virbr0", LinkKind.Bridge);
        Assert.True(virbr0.Stp);
        Assert.Empty(virbr0.Ports);
        Assert.Equal(("10.20.30.1", "eth0"), (facts.Ipv4Gateway!.Gateway, facts.Ipv4Gateway.Device));
        Assert.Equal(new[] { "10.20.30.53", "10.20.30.54" }, facts.DnsServers);
        Assert.Equal(new[] { "example.com" }, facts.DnsSearch);

        // The file had no newline at its end: the text is the file's bytes, not the probe's.
        Assert.EndsWith("ONBOOT=yes", facts.IfcfgText["eth0"]);
        Assert.StartsWith("# Intel Corporation", facts.IfcfgText["eth0"]);
        Assert.Equal(new[] { "BOOTPROTO", "DEVICE", "HWADDR", "IPADDR", "NETMASK", "ONBOOT" }, facts.IfcfgFiles["eth0"].Keys.OrderBy(k => k));
        Assert.Equal("255.255.255.0", facts.IfcfgFiles["eth0"]["NETMASK"]);
        Assert.Equal("loopback", facts.IfcfgFiles["lo"]["NAME"]);
        Assert.EndsWith("NAME=loopback\n", facts.IfcfgText["lo"]);
        Assert.Equal("10.99.0.0/16 via 10.20.30.254\n", facts.RouteFiles["route-eth0"]);
        Assert.Equal("10.20.30.1", facts.SysconfigNetwork["GATEWAY"]);
        Assert.Equal("NETWORKING=yes\nNETWORKING_IPV6=no\nHOSTNAME=rhel5.example.com\nGATEWAY=10.20.30.1\n", facts.SysconfigNetworkText);
        Assert.True(facts.ProbeComplete);
    }

    [Fact]
    public void Rhel6ExistingBridgeFromIfcfgFiles()
    {
        NetworkFacts facts = NetworkFixtures.Facts("rhel6.10-bridge-br0");

        Assert.Equal(6, facts.RhelMajor);
        NetworkLink br0 = facts.Link("br0", LinkKind.Bridge);
        Assert.False(br0.Stp);
        Assert.Equal(new[] { "eth0", "vnet0" }, br0.Ports);
        Assert.Equal(new[] { "192.168.10.20/24", "fe80::225:90ff:feaa:bb01/64" }, br0.Addresses());
        NetworkLink eth0 = facts.Link("eth0", LinkKind.Ethernet);
        Assert.Equal(("br0", "bridge"), (eth0.Master, eth0.MasterKind));
        Assert.Empty(eth0.Addresses);
        NetworkLink vnet0 = facts.Link("vnet0", LinkKind.Other);
        Assert.Equal(("br0", "bridge"), (vnet0.Master, vnet0.MasterKind));
        NetworkLink eth1 = facts.Link("eth1", LinkKind.Ethernet);
        Assert.False(eth1.IsUp || eth1.HasCarrier);
        NetworkLink virbr0 = facts.Link("virbr0", LinkKind.Bridge);
        Assert.True(virbr0.Stp);
        Assert.Equal(new[] { "virbr0-nic" }, virbr0.Ports);
        Assert.Equal("br0", facts.Ipv4Gateway!.Device);
        Assert.Equal(new[] { "lab.example" }, facts.DnsSearch);

        Assert.Equal("Bridge", facts.IfcfgFiles["br0"]["TYPE"]);
        Assert.Equal("192.168.10.1", facts.IfcfgFiles["br0"]["GATEWAY"]);
        Assert.Equal("br0", facts.IfcfgFiles["eth0"]["BRIDGE"]);
        // Quotes, double and single, are the shell's, not the value's.
        Assert.Equal(("eth1", "dhcp", "no", "yes"), (facts.IfcfgFiles["eth1"]["DEVICE"], facts.IfcfgFiles["eth1"]["BOOTPROTO"], facts.IfcfgFiles["eth1"]["ONBOOT"], facts.IfcfgFiles["eth1"]["NM_CONTROLLED"]));
        Assert.Contains("DEVICE=\"eth1\"\n", facts.IfcfgText["eth1"]);
        Assert.Equal(new[] { "br0", "eth0", "eth1", "lo" }, facts.IfcfgFiles.Keys.OrderBy(k => k));
        Assert.Empty(facts.RouteFiles);
        Assert.True(facts.HasNetworkService);
        Assert.Empty(facts.NmProfiles);
    }

    [Fact]
    public void Rhel7NetworkManagerWithIfcfgProfiles()
    {
        NetworkFacts facts = NetworkFixtures.Facts("rhel7.9-nm-ifcfg");

        Assert.Equal(7, facts.RhelMajor);
        Assert.True(facts.NetworkManagerRunning);
        Assert.True(facts.HasNetworkService);
        Assert.Equal(new[] { "eth0", "eth1", "virbr0" }, facts.NmManagedDevices.OrderBy(d => d));
        Assert.Equal("unmanaged", facts.NmDeviceStates["lo"]);
        NmProfile eth0 = facts.Profile("eth0");
        Assert.Equal("/etc/sysconfig/network-scripts/ifcfg-eth0", eth0.FileName);
        Assert.False(eth0.IsKeyfile);
        Assert.Equal(("eth0", "eth0", "manual", "192.168.122.1", "example.com"), (eth0.ActiveDevice, eth0.InterfaceName, eth0.Ipv4Method, eth0.Ipv4Gateway, eth0.Ipv4DnsSearch));
        Assert.Equal(new[] { "192.168.122.50/24" }, eth0.Ipv4Addresses);
        Assert.Equal(new[] { "192.168.122.1" }, eth0.Ipv4Dns);
        NmProfile eth1 = facts.Profile("eth1");
        Assert.Equal(("", false, "auto"), (eth1.ActiveDevice, eth1.Autoconnect, eth1.Ipv4Method));
        Assert.Equal("", facts.Profile("virbr0").FileName);
        Assert.Equal(eth0.Uuid, facts.IfcfgFiles["eth0"]["UUID"]);
        Assert.Equal("24", facts.IfcfgFiles["eth0"]["PREFIX"]);

        NetworkLink link = facts.Link("eth0", LinkKind.Ethernet);
        Assert.Equal(new[] { "192.168.122.50/24", "2001:db8:7:0:5054:ff:fe6b:3c58/64", "fe80::5054:ff:fe6b:3c58/64" }, link.Addresses());
        Assert.Equal(new[] { false, true, false }, link.Addresses.Select(a => a.Dynamic));
        NetworkLink nic = facts.Link("virbr0-nic", LinkKind.Other);
        Assert.Equal(("virbr0", "bridge"), (nic.Master, nic.MasterKind));
        Assert.Equal(new[] { "virbr0-nic" }, facts.Link("virbr0", LinkKind.Bridge).Ports);
        Assert.Equal(("192.168.122.1", 100), (facts.Ipv4Gateway!.Gateway, facts.Ipv4Gateway.Metric));
        Assert.Contains(facts.DefaultRoutes, r => r.IsIPv6 && r.Gateway == "fe80::1" && r.Device == "eth0");
        Assert.Equal("# Created by anaconda\n", facts.SysconfigNetworkText);
        Assert.Empty(facts.SysconfigNetwork);
    }

    [Fact]
    public void Rhel9KeyfileDhcpFromThePerProfileFallback()
    {
        NetworkFacts facts = NetworkFixtures.Facts("rhel9.4-nm-keyfile-dhcp");

        Assert.Equal(9, facts.RhelMajor);
        Assert.False(facts.HasNetworkService);
        Assert.Empty(facts.IfcfgFiles);
        Assert.DoesNotContain("ifup", facts.Tools);
        Assert.DoesNotContain("brctl", facts.Tools);
        NetworkLink ens3 = facts.Link("ens3", LinkKind.Ethernet);
        Assert.Equal("52:54:00:9a:8b:7c", ens3.MacAddress);
        LinkAddress leased = ens3.Addresses[0];
        Assert.Equal(("192.168.122.87", 24, true, false), (leased.Address, leased.PrefixLength, leased.Dynamic, leased.IsIPv6));
        Assert.Equal(("192.168.122.1", "ens3", 100), (facts.Ipv4Gateway!.Gateway, facts.Ipv4Gateway.Device, facts.Ipv4Gateway.Metric));

        NmProfile profile = facts.ActiveProfile("ens3")!;
        Assert.Equal(("ens3", "auto", "auto", true), (profile.Name, profile.Ipv4Method, profile.Ipv6Method, profile.Autoconnect));
        Assert.True(profile.IsKeyfile);
        Assert.Empty(profile.Ipv4Addresses);
        Assert.Equal("", profile.Master);
        Assert.Equal(("virbr0", "bridge", "manual"), (facts.Profile("virbr0").InterfaceName, facts.Profile("virbr0").Type, facts.Profile("virbr0").Ipv4Method));
        Assert.Equal(new[] { "127.0.0.1/8" }, facts.Profile("lo").Ipv4Addresses);
        Assert.Equal(3, facts.NmProfiles.Count);
        Assert.Equal("connected (externally)", facts.NmDeviceStates["virbr0"]);
    }

    [Fact]
    public void BondMembersAndAVlanOnTheBond()
    {
        NetworkFacts facts = NetworkFixtures.Facts("rhel8.10-bond-vlan");

        Assert.Equal(8, facts.RhelMajor);
        NetworkLink bond = facts.Link("bond0", LinkKind.Bond);
        Assert.Equal(new[] { "eth0", "eth1" }, bond.Ports);
        Assert.Equal(new[] { "10.1.0.15/24", "fe80::5054:ff:feaa:1/64" }, bond.Addresses());
        foreach (string member in new[] { "eth0", "eth1" })
        {
            NetworkLink nic = facts.Link(member, LinkKind.Ethernet);
            Assert.Equal(("bond0", "bond"), (nic.Master, nic.MasterKind));
            Assert.Equal("52:54:00:aa:00:01", nic.MacAddress);
        }

        NetworkLink vlan = facts.Link("bond0.100", LinkKind.Vlan);
        Assert.Equal(("bond0", 100, ""), (vlan.Parent, vlan.VlanId, vlan.Master));
        Assert.Equal(new[] { "10.100.0.15/24" }, vlan.Addresses());
        Assert.Equal("bond0", facts.Ipv4Gateway!.Device);
        Assert.Equal(new[] { "10.1.0.53", "10.1.0.54" }, facts.DnsServers);

        NmProfile port = facts.Profile("bond-slave-eth1");
        Assert.Equal(("bond0", "bond", "eth1"), (port.Master, port.SlaveType, port.ActiveDevice));
        Assert.Empty(port.Ipv4Addresses);
        Assert.Equal(new[] { "10.1.0.53", "10.1.0.54" }, facts.Profile("bond0").Ipv4Dns);
        Assert.Equal("vlan", facts.Profile("bond0.100").Type);
        Assert.Equal("mode=active-backup miimon=100", facts.IfcfgFiles["bond0"]["BONDING_OPTS"]);
        Assert.Equal(("bond0", "yes"), (facts.IfcfgFiles["bond-slave-eth0"]["MASTER"], facts.IfcfgFiles["bond-slave-eth0"]["SLAVE"]));
        Assert.Equal(("100", "bond0"), (facts.IfcfgFiles["bond0.100"]["VLAN_ID"], facts.IfcfgFiles["bond0.100"]["PHYSDEV"]));
    }

    [Fact]
    public void WirelessNicIsToldApartFromEthernet()
    {
        NetworkFacts facts = NetworkFixtures.Facts("alma9.3-wireless");

        Assert.Equal(9, facts.RhelMajor);
        NetworkLink wifi = facts.Link("wlp2s0", LinkKind.Wireless);
        Assert.True(wifi.HasCarrier);
        Assert.All(wifi.Addresses.Where(a => !a.IsLinkLocal), a => Assert.True(a.Dynamic));
        NetworkLink wired = facts.Link("enp0s31f6", LinkKind.Ethernet);
        Assert.True(wired.IsUp);
        Assert.False(wired.HasCarrier);
        Assert.Equal(("192.168.1.1", "wlp2s0", 600), (facts.Ipv4Gateway!.Gateway, facts.Ipv4Gateway.Device, facts.Ipv4Gateway.Metric));
        Assert.Equal(new[] { "192.168.1.1", "2001:db8:1::1" }, facts.DnsServers);
        Assert.Equal("802-11-wireless", facts.ActiveProfile("wlp2s0")!.Type);
        Assert.Equal("/etc/NetworkManager/system-connections/Wired connection 1.nmconnection", facts.Profile("Wired connection 1").FileName);
        Assert.Equal("unavailable", facts.NmDeviceStates["enp0s31f6"]);
        Assert.Contains("p2p-dev-wlp2s0", facts.NmManagedDevices);
    }

    [Theory]
    [InlineData("Red Hat Enterprise Linux Server release 5.11 (Tikanga)", 5)]
    [InlineData("Red Hat Enterprise Linux Server release 6.10 (Santiago)", 6)]
    [InlineData("CentOS Linux release 7.9.2009 (Core)", 7)]
    [InlineData("Red Hat Enterprise Linux release 8.10 (Ootpa)", 8)]
    [InlineData("Rocky Linux release 8.10 (Green Obsidian)", 8)]
    [InlineData("AlmaLinux release 9.3 (Shamrock Pampas Cat)", 9)]
    [InlineData("Red Hat Enterprise Linux release 9.4 (Plow)", 9)]
    [InlineData("CentOS Stream release 9", 9)]
    [InlineData("Red Hat Enterprise Linux release 10.0 (Coughlan)", 10)]
    [InlineData("Fedora release 39 (Thirty Nine)", 0)]
    [InlineData("", 0)]
    [InlineData("release", 0)]
    public void RhelMajorFromRedhatRelease(string release, int major)
    {
        Assert.Equal(major, NetworkFactsParser.RhelMajor(release));
        Assert.Equal(major, NetworkFactsParser.Parse("== release\n" + release + "\n").RhelMajor);
    }
}
