using System.Linq;
using KvmPS.Networking;
using Xunit;

namespace KvmPS.Tests.Networking;

/// <summary>REAL recordings of network-probe.sh: what the parser makes of output no one typed.</summary>
public sealed class NetworkProbeRecordedTests
{
    [Fact]
    public void BuildMachineRootNamespace()
    {
        NetworkFacts facts = NetworkFixtures.Facts("debian12-host");

        Assert.Equal(new[] { "lo", "ifb0", "ifb1", "eth0", "kvmlab-gw", "kvmlab7-gw" }, facts.Links.Select(l => l.Name));
        facts.Link("lo", LinkKind.Loopback);
        NetworkLink eth0 = facts.Link("eth0", LinkKind.Ethernet);
        Assert.Equal("02:fc:00:00:00:01", eth0.MacAddress);
        Assert.Equal(1400, eth0.Mtu);
        Assert.True(eth0.IsUp && eth0.HasCarrier);
        Assert.Equal("", eth0.Master);
        Assert.Equal(new[] { "192.0.2.2/24", "fd00::2/64", "fe80::fc:ff:fe00:1/64" }, eth0.Addresses());
        Assert.True(eth0.Addresses[2].IsLinkLocal);
        Assert.All(eth0.Addresses, a => Assert.False(a.Dynamic));
        // ifb has a kind that is none of the bridgeable ones; veth counts as Ethernet.
        NetworkLink ifb0 = facts.Link("ifb0", LinkKind.Other);
        Assert.False(ifb0.IsUp || ifb0.HasCarrier);
        facts.Link("kvmlab-gw", LinkKind.Ethernet);
        Assert.Equal("192.0.2.1", facts.Ipv4Gateway!.Gateway);
        Assert.Equal("eth0", facts.Ipv4Gateway.Device);
        DefaultRoute v6 = Assert.Single(facts.DefaultRoutes, r => r.IsIPv6);
        Assert.Equal(("fd00::1", "eth0", 1024), (v6.Gateway, v6.Device, v6.Metric));
        Assert.Equal(new[] { "10.255.255.53" }, facts.DnsServers);
        Assert.Empty(facts.DnsSearch);
        Assert.False(facts.NetworkManagerRunning);
        Assert.Empty(facts.NmProfiles);
        Assert.Empty(facts.IfcfgFiles);
        Assert.Null(facts.SysconfigNetworkText);
        Assert.Equal(new[] { "brctl", "flock", "getent", "ip", "nmcli", "nohup", "service", "setsid", "timeout" }, facts.Tools.OrderBy(t => t));
        Assert.False(facts.HasNetworkService);
        Assert.Equal(0, facts.RhelMajor);
        Assert.True(facts.ProbeComplete);
    }

    [Fact]
    public void LabHostWithAThrowawayBridge()
    {
        NetworkFacts facts = NetworkFixtures.Facts("lab-kvm1-test-bridge");

        NetworkLink eth0 = facts.Link("eth0", LinkKind.Ethernet);
        Assert.Equal(new[] { "198.18.0.11/24", "fe80::4b:56ff:fe00:11/64" }, eth0.Addresses());
        NetworkLink virbr0 = facts.Link("virbr0", LinkKind.Bridge);
        Assert.True(virbr0.Stp);
        Assert.True(virbr0.IsUp);
        Assert.False(virbr0.HasCarrier);
        Assert.Empty(virbr0.Ports);
        Assert.Equal(new[] { "192.168.122.1/24" }, virbr0.Addresses());

        NetworkLink bridge = facts.Link("kvmpst-br", LinkKind.Bridge);
        Assert.True(bridge.Stp);
        Assert.Equal(new[] { "kvmpst-a", "kvmpst-t" }, bridge.Ports);
        Assert.Equal(new[] { "203.0.113.5/24", "2001:db8:5::5/64" }, bridge.Addresses());
        NetworkLink port = facts.Link("kvmpst-a", LinkKind.Ethernet);
        Assert.Equal(("kvmpst-br", "bridge"), (port.Master, port.MasterKind));
        Assert.Equal(bridge.MacAddress, port.MacAddress);
        NetworkLink tap = facts.Link("kvmpst-t", LinkKind.Other);
        Assert.Equal(("kvmpst-br", "bridge"), (tap.Master, tap.MasterKind));
        Assert.False(tap.IsUp);
        NetworkLink peer = facts.Link("kvmpst-b", LinkKind.Ethernet);
        Assert.Equal("", peer.Master);
        Assert.Equal(new[] { "203.0.113.77/32", "fe80::645e:76ff:fe81:31f0/64" }, peer.Addresses());

        // The lab hosts have no default route and a resolver option line the parser does not need.
        Assert.Empty(facts.DefaultRoutes);
        Assert.Null(facts.Ipv4Gateway);
        Assert.Equal(new[] { "198.18.0.1" }, facts.DnsServers);
        Assert.True(facts.ProbeComplete);
    }

    [Fact]
    public void NetworkManagerRunningWithABridgeAndItsPortProfile()
    {
        NetworkFacts facts = NetworkFixtures.Facts("nm1.42-netns-bridge");

        Assert.True(facts.NetworkManagerRunning);
        Assert.Equal(new[] { "br0", "eth0", "eth0-peer", "eth1", "eth1-peer", "eth2", "eth2-peer", "lo", "vnet0" }, facts.NmManagedDevices.OrderBy(d => d));
        Assert.Equal("connected (externally)", facts.NmDeviceStates["vnet0"]);
        Assert.Equal("connecting (getting IP configuration)", facts.NmDeviceStates["eth1"]);
        Assert.Equal(new[] { "uplink: dhcp \\ test", "br0", "lo", "bridge-slave-eth0", "vnet0", "spare" }, facts.NmProfiles.Select(p => p.Name));

        NmProfile br0 = facts.Profile("br0");
        Assert.Equal(("84ecfcc7-8b33-4760-8a3c-d6d64a4ac666", "bridge", "br0", "br0"), (br0.Uuid, br0.Type, br0.ActiveDevice, br0.InterfaceName));
        Assert.Equal("/etc/NetworkManager/system-connections/br0.nmconnection", br0.FileName);
        Assert.True(br0.IsKeyfile);
        Assert.True(br0.Autoconnect);
        Assert.Equal("manual", br0.Ipv4Method);
        Assert.Equal(new[] { "192.0.2.10/24", "198.51.100.7/25" }, br0.Ipv4Addresses);
        Assert.Equal("192.0.2.1", br0.Ipv4Gateway);
        Assert.Equal(new[] { "192.0.2.53", "192.0.2.54" }, br0.Ipv4Dns);
        Assert.Equal("example.com,lab.example", br0.Ipv4DnsSearch);
        Assert.Equal("manual", br0.Ipv6Method);
        Assert.Equal(new[] { "2001:db8::10/64" }, br0.Ipv6Addresses);
        Assert.Equal("2001:db8::1", br0.Ipv6Gateway);

        NmProfile port = facts.Profile("bridge-slave-eth0");
        Assert.Equal(("eth0", "br0", "bridge", "802-3-ethernet"), (port.InterfaceName, port.Master, port.SlaveType, port.Type));
        Assert.Same(port, facts.ActiveProfile("eth0"));
        // A port NM made for a device enslaved behind its back names its master by UUID.
        Assert.Equal(br0.Uuid, facts.Profile("vnet0").Master);

        NmProfile dhcp = facts.Profile("uplink: dhcp \\ test");
        Assert.Equal("/etc/NetworkManager/system-connections/uplink: dhcp \\ test.nmconnection", dhcp.FileName);
        Assert.Equal(("auto", "auto", "eth1"), (dhcp.Ipv4Method, dhcp.Ipv6Method, dhcp.ActiveDevice));
        Assert.Empty(dhcp.Ipv4Addresses);
        NmProfile lo = facts.Profile("lo");
        Assert.Equal(new[] { "::1/128" }, lo.Ipv6Addresses);
        Assert.False(lo.Autoconnect);
        Assert.Equal("/run/NetworkManager/system-connections/lo.nmconnection", lo.FileName);
        Assert.True(lo.IsKeyfile);
        NmProfile spare = facts.Profile("spare");
        Assert.Equal(("", "", false, "disabled", "ignore"), (spare.ActiveDevice, spare.InterfaceName, spare.Autoconnect, spare.Ipv4Method, spare.Ipv6Method));

        NetworkLink bridge = facts.Link("br0", LinkKind.Bridge);
        Assert.False(bridge.Stp);
        Assert.Equal(new[] { "eth0", "vnet0" }, bridge.Ports);
        Assert.Equal(new[] { "192.0.2.10/24", "198.51.100.7/25", "2001:db8::10/64", "fe80::3c37:39e6:f634:5b88/64" }, bridge.Addresses());
        Assert.Equal(("br0", "bridge"), (facts.Link("vnet0", LinkKind.Other).Master, facts.Link("vnet0", LinkKind.Other).MasterKind));
        Assert.Equal(("192.0.2.1", "br0", 425), (facts.Ipv4Gateway!.Gateway, facts.Ipv4Gateway.Device, facts.Ipv4Gateway.Metric));
        Assert.Contains(facts.DefaultRoutes, r => r.IsIPv6 && r.Gateway == "2001:db8::1" && r.Metric == 425);
        Assert.True(facts.ProbeComplete);
    }

    /// <summary>busybox's ip names no kinds (like RHEL 5's iproute) and ignores "show default": /sys and the route filter make up for it.</summary>
    [Fact]
    public void BusyboxWithoutLinkKinds()
    {
        NetworkFacts facts = NetworkFixtures.Facts("busybox-netns-bridge");

        Assert.DoesNotContain("bridge", NetworkFixtures.Text("busybox-netns-bridge").Split('\n').Where(l => l.StartsWith("4: br0:", System.StringComparison.Ordinal)).Single());
        NetworkLink br0 = facts.Link("br0", LinkKind.Bridge);
        Assert.False(br0.Stp);
        Assert.Equal(new[] { "eth0", "vnet0" }, br0.Ports);
        Assert.Equal(new[] { "192.0.2.20/24", "fe80::826:b1ff:fed3:9e97/64" }, br0.Addresses());
        Assert.Equal(("br0", "bridge"), (facts.Link("eth0", LinkKind.Ethernet).Master, facts.Link("eth0", LinkKind.Ethernet).MasterKind));
        NetworkLink vnet0 = facts.Link("vnet0", LinkKind.Other);
        Assert.Equal("br0", vnet0.Master);
        facts.Link("lo", LinkKind.Loopback);
        DefaultRoute route = Assert.Single(facts.DefaultRoutes);
        Assert.Equal(("192.0.2.1", "br0", 100, false), (route.Gateway, route.Device, route.Metric, route.IsIPv6));
        Assert.Contains("ip", facts.Tools);
        Assert.Contains("arping", facts.Tools);
    }
}
