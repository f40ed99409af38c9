using System;
using System.Linq;
using KvmPS.Networking;
using Xunit;

namespace KvmPS.Tests.Networking;

/// <summary>Get-KvmBridge's objects from whole probe outputs: ports, guest taps, addresses, and the owner of each bridge.</summary>
public sealed class BridgeInventoryTests
{
    private static KvmBridge Bridge(string fixture, string name, Action<NetworkFacts>? change = null)
    {
        NetworkFacts facts = NetworkFixtures.Facts(fixture);
        change?.Invoke(facts);
        return BridgeInventory.Bridges(facts, "host", null).Single(b => b.Name == name);
    }

    [Fact]
    public void ANetworkScriptsBridgeWithAGuestTapOnRhel6()
    {
        KvmBridge br0 = Bridge("rhel6.10-bridge-br0", "br0");

        Assert.Equal(new[] { "eth0", "vnet0" }, br0.Ports);
        Assert.Equal(new[] { "vnet0" }, br0.GuestInterfaces);
        Assert.Equal(new[] { "192.168.10.20/24" }, br0.IPAddresses);
        Assert.Equal("00:25:90:aa:bb:01", br0.MacAddress);
        Assert.Equal("Ifcfg", br0.Backend);
        Assert.True(br0.Persistent);
        Assert.Equal("/etc/sysconfig/network-scripts/ifcfg-br0", br0.Definition);
    }

    [Fact]
    public void ANetworkManagerBridgeNamesItsProfileFile()
    {
        KvmBridge br0 = Bridge("nm1.42-netns-bridge", "br0");

        Assert.Equal("NetworkManager", br0.Backend);
        Assert.Equal("/etc/NetworkManager/system-connections/br0.nmconnection", br0.Definition);
        Assert.Contains("eth0", br0.Ports);
    }

    [Fact]
    public void ALibvirtNetworksBridgeIsLibvirtsFromTheProbesSection()
    {
        NetworkFacts facts = NetworkFactsParser.Parse(NetworkFixtures.Text("rhel6.10-bridge-br0").Replace("== end", "== libvirtnets\ndefault virbr0\nisolated \n== end"));

        KvmBridge virbr0 = BridgeInventory.Bridges(facts, "host", null).Single(b => b.Name == "virbr0");

        Assert.Equal("Libvirt", virbr0.Backend);
        Assert.Equal("network default", virbr0.Definition);
        Assert.Equal(new[] { "virbr0-nic" }, virbr0.Ports);
        Assert.Empty(virbr0.GuestInterfaces);
        Assert.Single(facts.LibvirtBridges);
    }

    [Fact]
    public void ABridgeNothingDefinesIsRuntimeOnly()
    {
        KvmBridge bridge = Bridge("lab-kvm1-test-bridge", "kvmpst-br");

        Assert.Equal("IpRoute", bridge.Backend);
        Assert.False(bridge.Persistent);
        Assert.Equal("", bridge.Definition);
        Assert.True(bridge.Stp);
    }
}
