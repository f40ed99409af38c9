using System;
using System.Linq;
using KvmPS.Networking;
using Xunit;

namespace KvmPS.Tests.Networking;

/// <summary>network-list.sh's output (recorded on a lab host, then varied) to KvmNetwork objects.</summary>
public sealed class NetworkListParserTests
{
    // Recorded on lab host kvm1 (libvirt 9.0), plus an isolated network with a prefix and no DHCP,
    // a routed one, and a network whose part was cut off.
    private const string Output = """
        @@net c3f86261-3bdd-4974-badc-e49b372f3cc5
        Name:           default
        UUID:           c3f86261-3bdd-4974-badc-e49b372f3cc5
        Active:         yes
        Persistent:     yes
        Autostart:      no
        Bridge:         virbr0

        @@xml
        <network>
          <name>default</name>
          <uuid>c3f86261-3bdd-4974-badc-e49b372f3cc5</uuid>
          <forward mode='nat'>
            <nat>
              <port start='1024' end='65535'/>
            </nat>
          </forward>
          <bridge name='virbr0' stp='on' delay='0'/>
          <mac address='52:54:00:19:93:c7'/>
          <ip address='192.168.122.1' netmask='255.255.255.0'>
            <dhcp>
              <range start='192.168.122.2' end='192.168.122.254'/>
            </dhcp>
          </ip>
        </network>

        @@net 0b5c1f8e-3c57-4d55-9d0c-2a5b4f8e9a10
        Name:           lab isolated; $(x)
        UUID:           0b5c1f8e-3c57-4d55-9d0c-2a5b4f8e9a10
        Active:         no
        Persistent:     yes
        Autostart:      yes
        Bridge:         virbr1

        @@xml
        <network>
          <name>lab isolated; $(x)</name>
          <uuid>0b5c1f8e-3c57-4d55-9d0c-2a5b4f8e9a10</uuid>
          <bridge name='virbr1' stp='on' delay='0'/>
          <ip family='ipv6' address='fd00::1' prefix='64'/>
          <ip address='10.77.0.1' prefix='16'/>
        </network>

        @@net 7d1e0f3a-61b0-4f55-8f0c-1a2b3c4d5e6f
        Name:           routed
        UUID:           7d1e0f3a-61b0-4f55-8f0c-1a2b3c4d5e6f
        Active:         yes
        Persistent:     no
        Autostart:      no
        Bridge:         virbr2

        @@xml
        <network>
          <name>routed</name>
          <forward mode='route' dev='eth1'/>
          <bridge name='virbr2'/>
          <ip address='198.51.100.1' netmask='255.255.255.128'/>
        </network>

        @@net 11111111-2222-3333-4444-555555555555
        Name:           cut
        UUID:           11111111-2222-3333-4444-555555555555

        @@xml
        <network>
          <name>cut</nam
        """;

    [Fact]
    public void TheNatNetworkDefaultAsVirshShowsIt()
    {
        KvmNetwork net = NetworkListParser.Parse("kvm1", Output, null).Single(n => n.Name == "default");

        Assert.Equal("kvm1", net.ComputerName);
        Assert.Equal(Guid.Parse("c3f86261-3bdd-4974-badc-e49b372f3cc5"), net.Uuid);
        Assert.Equal("virbr0", net.Bridge);
        Assert.Equal("nat", net.ForwardMode);
        Assert.Equal("192.168.122.1", net.IPAddress);
        Assert.Equal("192.168.122.0/24", net.Subnet);
        Assert.Equal("192.168.122.2-192.168.122.254", net.DhcpRange);
        Assert.True(net.Active);
        Assert.True(net.Persistent);
        Assert.False(net.Autostart);
    }

    [Fact]
    public void AnIsolatedNetworkWithAPrefixTheIpv4AddressAndAnOddName()
    {
        KvmNetwork net = NetworkListParser.Parse("kvm1", Output, null).Single(n => n.Bridge == "virbr1");

        Assert.Equal("lab isolated; $(x)", net.Name);
        Assert.Equal("isolated", net.ForwardMode);
        Assert.Equal("10.77.0.1", net.IPAddress);
        Assert.Equal("10.77.0.0/16", net.Subnet);
        Assert.Equal("", net.DhcpRange);
        Assert.False(net.Active);
        Assert.True(net.Autostart);
    }

    [Fact]
    public void ARoutedTransientNetworkAndACutOffOneSkipped()
    {
        var networks = NetworkListParser.Parse("kvm1", Output, null);

        Assert.Equal(new[] { "default", "lab isolated; $(x)", "routed" }, networks.Select(n => n.Name));
        KvmNetwork routed = networks[2];
        Assert.Equal("route", routed.ForwardMode);
        Assert.Equal("198.51.100.0/25", routed.Subnet);
        Assert.False(routed.Persistent);
    }

    [Theory]
    [InlineData("")]
    [InlineData("@@end\n")]
    [InlineData("@@net x\n@@xml\n<network><name>a</name></network>")]
    [InlineData("garbage\n@@net\n@@xml\n</network>")]
    public void NothingOrGarbageGivesNoNetworks(string output)
    {
        Assert.Empty(NetworkListParser.Parse("kvm1", output, null));
    }
}
