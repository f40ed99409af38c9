using System;
using System.Linq;
using KvmPS.Networking;
using KvmPS.Transport;
using Xunit;
using static KvmPS.Tests.Networking.BridgeFixtures;

namespace KvmPS.Tests.Networking;

/// <summary>Each backend's plan, command by command and file by file, for kept, DHCP and explicit addressing.</summary>
public sealed class BridgeBackendTests
{
    private static string[] Lines(System.Collections.Generic.IEnumerable<string[]> commands) => commands.Select(PosixQuote.Join).ToArray();

    [Fact]
    public void IpRouteMovesTheNicIntoTheBridgeAndItsAddressingOntoIt()
    {
        BridgePlan plan = Plan(Request(r => r.Stp = true), Host());

        Assert.Equal(new[]
        {
            "ip link add name br0 address 52:54:00:12:34:56 type bridge stp_state 1",
            "ip link set dev br0 up",
            "ip link set dev eth0 master br0",
            "ip addr flush dev eth0 scope global",
            "ip addr replace 192.0.2.10/24 dev br0",
            "ip route replace default via 192.0.2.1 dev br0",
        }, Lines(plan.Apply));
        Assert.Equal(new[] { "ip link set dev eth0 nomaster", "ip link del dev br0" }, Lines(plan.Teardown));
        Assert.Equal(new[]
        {
            "ip link set dev eth0 up",
            "ip addr replace 192.0.2.10/24 dev eth0",
            "ip -4 route replace default via 192.0.2.1 dev eth0 metric 100",
        }, Lines(plan.Restore));
        Assert.Empty(plan.Files);
    }

    [Fact]
    public void NetworkManagerKeepsAStaticProfilesAddressingAndDisablesTheOldProfileUntilRollback()
    {
        BridgePlan plan = Plan(Request(), Host(h => WithNetworkManager(h)));

        Assert.Equal(new[]
        {
            "nmcli connection add type bridge con-name br0 ifname br0 bridge.stp no connection.autoconnect-slaves 1 bridge.mac-address 52:54:00:12:34:56"
                + " ipv4.method manual ipv4.addresses 192.0.2.10/24 ipv4.gateway 192.0.2.1 ipv4.dns 192.0.2.53 ipv4.dns-search example.com ipv6.method auto",
            "nmcli connection add type bridge-slave con-name br0-port-eth0 ifname eth0 master br0",
            "nmcli connection modify 5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03 connection.autoconnect no",
            "nmcli --wait 60 connection up br0",
        }, Lines(plan.Apply));
        Assert.Equal(new[] { "nmcli connection delete br0-port-eth0", "nmcli connection delete br0", "ip link del dev br0" }, Lines(plan.Teardown));
        Assert.Equal(new[]
        {
            "nmcli connection modify 5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03 connection.autoconnect yes",
            "nmcli --wait 60 connection up 5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03",
        }, Lines(plan.Restore));
        Assert.True(plan.Persistent);
    }

    [Fact]
    public void NetworkManagerWithDhcpAsksForDhcpOnTheBridgeWithTheNicsMac()
    {
        BridgePlan plan = Plan(Request(), Host(h => WithNetworkManager(h, "auto")));

        Assert.Equal(
            "nmcli connection add type bridge con-name br0 ifname br0 bridge.stp no connection.autoconnect-slaves 1 bridge.mac-address 52:54:00:12:34:56 ipv4.method auto ipv4.dns-search example.com ipv6.method auto",
            PosixQuote.Join(plan.Apply[0]));
    }

    [Fact]
    public void NetworkManagerWithExplicitAddressingAndNoProfileOnTheNic()
    {
        BridgeRequest request = Request(r =>
        {
            r.InterfaceName = "eth1";
            r.AddressSource = BridgeAddressSource.Static;
            r.Addresses.Add("198.51.100.7/25");
            r.Addresses.Add("198.51.100.8/25");
            r.Gateway = "198.51.100.1";
        });

        BridgePlan plan = Plan(request, Host(h => WithNetworkManager(h)));

        Assert.Equal(
            "nmcli connection add type bridge con-name br0 ifname br0 bridge.stp no connection.autoconnect-slaves 1 bridge.mac-address 52:54:00:ab:cd:ef"
            + " ipv4.method manual ipv4.addresses 198.51.100.7/25,198.51.100.8/25 ipv4.gateway 198.51.100.1 ipv4.dns 192.0.2.53 ipv4.dns-search example.com ipv6.method ignore",
            PosixQuote.Join(plan.Apply[0]));
        Assert.Equal(3, plan.Apply.Count);
        Assert.Equal(new[] { "nmcli device connect eth1" }, Lines(plan.Restore));
    }

    [Fact]
    public void NetworkManagerWithoutAnyAddressDisablesIpv4OnTheBridge()
    {
        BridgePlan plan = Plan(Request(r => r.InterfaceName = "eth1"), Host(h => { WithNetworkManager(h); h.DnsServers.Clear(); h.DnsSearch.Clear(); }));

        Assert.EndsWith(" ipv4.method disabled ipv6.method ignore", PosixQuote.Join(plan.Apply[0]), StringComparison.Ordinal);
    }

    [Fact]
    public void Rhel5IfcfgFilesUseNetmaskAndTheNicKeepsItsOwnLines()
    {
        const string original = "# Intel Corporation 82540EM Gigabit Ethernet Controller\nDEVICE=eth0\nBOOTPROTO=static\nHWADDR=52:54:00:12:34:56\nIPADDR=192.0.2.10\nNETMASK=255.255.255.0\nONBOOT=yes\nMTU=9000\n";
        BridgePlan plan = Plan(Request(), Host(h => WithNetworkScripts(h, 5, original)));

        Assert.Equal(KvmBridgeBackend.Ifcfg, plan.Backend);
        Assert.Equal("/etc/sysconfig/network-scripts/ifcfg-br0", plan.Files[0].Path);
        Assert.Equal(
            "DEVICE=br0\nTYPE=Bridge\nONBOOT=yes\nBOOTPROTO=none\nIPADDR=192.0.2.10\nNETMASK=255.255.255.0\nSTP=off\nDELAY=0\n",
            plan.Files[0].Content);
        Assert.Equal("/etc/sysconfig/network-scripts/ifcfg-eth0", plan.Files[1].Path);
        Assert.Equal(
            "# Intel Corporation 82540EM Gigabit Ethernet Controller\nDEVICE=eth0\nHWADDR=52:54:00:12:34:56\nMTU=9000\nONBOOT=yes\nBOOTPROTO=none\nBRIDGE=br0\n",
            plan.Files[1].Content);
        Assert.Equal(new[] { "ifdown eth0", "ifup eth0", "ifup br0" }, Lines(plan.Apply));
        Assert.Equal(new[] { "ifdown br0", "ifdown eth0", "ip link set dev eth0 nomaster", "ip link del dev br0" }, Lines(plan.Teardown));
        Assert.Equal(new[] { "ifup eth0" }, Lines(plan.Restore));
    }

    [Fact]
    public void Rhel5GatewayFromSysconfigNetworkIsNotLostWhenTheIfcfgHasNone()
    {
        // RHEL 5 installs often keep GATEWAY in /etc/sysconfig/network, which the bridge's ifup reads too.
        BridgePlan plan = Plan(Request(), Host(h => WithNetworkScripts(h, 5, "DEVICE=eth0\nBOOTPROTO=static\nIPADDR=192.0.2.10\nNETMASK=255.255.255.0\nONBOOT=yes\n")));

        Assert.DoesNotContain("GATEWAY=", plan.Files[0].Content, StringComparison.Ordinal);
    }

    [Fact]
    public void Rhel6And7IfcfgFilesUsePrefixNumberedAddressesAndStayAwayFromNetworkManager()
    {
        const string original = "DEVICE=\"eth0\"\nTYPE=Ethernet\nUUID=1d3c0a55-0000-4000-8000-000000000001\nONBOOT=\"no\"\nNM_CONTROLLED=no\nBOOTPROTO=none\nIPADDR=192.0.2.10\nPREFIX=24\nIPADDR1=192.0.2.11\nNETMASK1=255.255.255.0\nGATEWAY=192.0.2.1\nDNS1=192.0.2.53\nDNS2=192.0.2.54\nDEFROUTE=yes\nIPV6INIT=no\n";
        foreach (int rhel in new[] { 6, 7 })
        {
            BridgePlan plan = Plan(Request(r => r.Stp = true), Host(h => WithNetworkScripts(h, rhel, original)));

            Assert.Equal(
                "DEVICE=br0\nTYPE=Bridge\nONBOOT=yes\nBOOTPROTO=none\nIPADDR=192.0.2.10\nPREFIX=24\nIPADDR1=192.0.2.11\nPREFIX1=24\nGATEWAY=192.0.2.1\nDNS1=192.0.2.53\nDNS2=192.0.2.54\nSTP=on\nDELAY=0\nNM_CONTROLLED=no\n",
                plan.Files[0].Content);
            Assert.Equal(
                "DEVICE=\"eth0\"\nTYPE=Ethernet\nUUID=1d3c0a55-0000-4000-8000-000000000001\nNM_CONTROLLED=no\nONBOOT=yes\nBOOTPROTO=none\nBRIDGE=br0\n",
                plan.Files[1].Content);
        }
    }

    [Fact]
    public void IfcfgWithDhcpMovesDhcpToTheBridge()
    {
        BridgePlan plan = Plan(Request(), Host(h => WithNetworkScripts(h, 7, "DEVICE=eth0\nBOOTPROTO=dhcp\nONBOOT=yes\n")));

        Assert.Equal("DEVICE=br0\nTYPE=Bridge\nONBOOT=yes\nBOOTPROTO=dhcp\nSTP=off\nDELAY=0\nNM_CONTROLLED=no\n", plan.Files[0].Content);
        Assert.Equal("DEVICE=eth0\nONBOOT=yes\nBOOTPROTO=none\nBRIDGE=br0\n", plan.Files[1].Content);
    }

    [Fact]
    public void IfcfgWithoutAFileForTheNicWritesAMinimalOne()
    {
        BridgePlan plan = Plan(Request(), Host(h => { WithNetworkScripts(h, 6, "DEVICE=eth0\n"); h.IfcfgText.Clear(); h.IfcfgFiles.Clear(); }));

        Assert.Equal("DEVICE=eth0\nHWADDR=52:54:00:12:34:56\nONBOOT=yes\nNM_CONTROLLED=no\nBOOTPROTO=none\nBRIDGE=br0\n", plan.Files[1].Content);
        // Without a file, the NIC's addressing comes from what it has now.
        Assert.Contains("IPADDR=192.0.2.10\nPREFIX=24\nGATEWAY=192.0.2.1\n", plan.Files[0].Content, StringComparison.Ordinal);
    }

    [Fact]
    public void IfcfgOnRhel5Or6WithoutBrctlIsRefused()
    {
        Assert.Equal("BridgeUtilsMissing", Refusal(Request(), Host(h => { WithNetworkScripts(h, 6, "DEVICE=eth0\n"); h.Tools.Remove("brctl"); })).ErrorId);
    }

    [Fact]
    public void Rhel5WarnsThatOnlyTheFirstOfSeveralAddressesMoves()
    {
        BridgeRequest request = Request(r => { r.AddressSource = BridgeAddressSource.Static; r.Addresses.Add("192.0.2.10/24"); r.Addresses.Add("192.0.2.11/24"); });

        BridgePlan plan = Plan(request, Host(h => WithNetworkScripts(h, 5, "DEVICE=eth0\n")));

        Assert.DoesNotContain("192.0.2.11", plan.Files[0].Content, StringComparison.Ordinal);
        Assert.Contains(plan.Warnings, w => w.Contains("ifcfg-br0:1", StringComparison.Ordinal));
    }

    [Fact]
    public void WhatIfShowsTheIfcfgFilesContents()
    {
        string text = Plan(Request(), Host(h => WithNetworkScripts(h, 7, "DEVICE=eth0\nBOOTPROTO=dhcp\n"))).Describe();

        Assert.Contains("Write /etc/sysconfig/network-scripts/ifcfg-br0:\n    DEVICE=br0\n    TYPE=Bridge\n", text, StringComparison.Ordinal);
        Assert.Contains("    (put back as they were before: /etc/sysconfig/network-scripts/ifcfg-br0, /etc/sysconfig/network-scripts/ifcfg-eth0)\n    ifup eth0", text, StringComparison.Ordinal);
    }

    [Fact]
    public void TheNicsStaticRouteFilesMoveToTheBridgeAndComeBackOnRollback()
    {
        BridgePlan plan = Plan(Request(), Host(h =>
        {
            WithNetworkScripts(h, 6, "DEVICE=eth0\nBOOTPROTO=none\nIPADDR=192.0.2.10\nPREFIX=24\n");
            h.RouteFiles["route-eth0"] = "10.9.0.0/16 via 192.0.2.254 dev eth0\n10.8.0.0/16 via 192.0.2.253\n";
            h.RouteFiles["route-eth1"] = "10.7.0.0/16 via 198.51.100.1 dev eth1\n";
        }));

        BridgeFile routes = plan.Files.Single(f => f.Path.EndsWith("/route-br0", StringComparison.Ordinal));
        Assert.Equal("10.9.0.0/16 via 192.0.2.254 dev br0\n10.8.0.0/16 via 192.0.2.253\n", routes.Content);
        Assert.Equal(new[] { "/etc/sysconfig/network-scripts/route-eth0" }, plan.DeletedFiles);
        Assert.DoesNotContain(plan.Files, f => f.Path.EndsWith("route-eth1", StringComparison.Ordinal));
        // The rollback puts route-eth0 back and removes route-br0, as it does for every file the change touched.
        string restore = BridgeScripts.RenderRestore(plan);
        Assert.Contains("/etc/sysconfig/network-scripts/route-eth0", restore, StringComparison.Ordinal);
        Assert.Contains("/etc/sysconfig/network-scripts/route-br0", restore, StringComparison.Ordinal);
    }

    [Fact]
    public void OldStyleRouteFilesNameTheBridge()
    {
        Assert.Equal("ADDRESS0=10.9.0.0\nNETMASK0=255.255.0.0\nGATEWAY0=192.0.2.254\nDEVICE0=br0",
            IfcfgBridge.RouteFileFor("ADDRESS0=10.9.0.0\nNETMASK0=255.255.0.0\nGATEWAY0=192.0.2.254\nDEVICE0=eth0", "eth0", "br0"));
    }
}
