using System;
using System.Linq;
using KvmPS;
using KvmPS.Networking;
using Xunit;
using static KvmPS.Tests.Networking.BridgeFixtures;

namespace KvmPS.Tests.Networking;

/// <summary>Remove-KvmBridge's plans per backend (each the reverse of New-KvmBridge's) and its refusals.</summary>
public sealed class BridgeRemovalPlannerTests
{
    private static readonly TimeSpan Rollback = TimeSpan.FromSeconds(60);

    // eth0's addressing moved onto br0 at runtime (the iproute2 backend's result).
    private static NetworkFacts RuntimeBridge(Action<NetworkFacts>? change = null) => Host(facts =>
    {
        NetworkLink eth0 = facts.Link("eth0")!;
        eth0.Addresses.RemoveAll(a => !a.IsLinkLocal);
        eth0.Master = "br0";
        eth0.MasterKind = "bridge";
        var br0 = new NetworkLink { Name = "br0", Kind = LinkKind.Bridge, MacAddress = Mac, IsUp = true, HasCarrier = true, Stp = true };
        br0.Addresses.Add(new LinkAddress("192.0.2.10", 24, false, false));
        br0.Ports.Add("eth0");
        facts.Links.Add(br0);
        facts.DefaultRoutes.Clear();
        facts.DefaultRoutes.Add(new DefaultRoute("192.0.2.1", "br0", false, 0));
        change?.Invoke(facts);
    });

    private static KvmException Refused(NetworkFacts facts, string name = "br0", bool force = false)
        => Assert.Throws<KvmException>(() => BridgeRemovalPlanner.Plan(name, force, Rollback, facts, "kvm1"));

    [Fact]
    public void ARuntimeBridgeGoesWithIpAndTheRollbackMakesItAgain()
    {
        BridgePlan plan = BridgeRemovalPlanner.Plan("br0", false, Rollback, RuntimeBridge(), "kvm1");

        Assert.True(plan.Removes);
        Assert.Equal(KvmBridgeBackend.IpRoute, plan.Backend);
        Assert.Equal("eth0", plan.Request.InterfaceName);
        Assert.Equal(new[]
        {
            "ip link set dev eth0 nomaster", "ip link del dev br0", "ip link set dev eth0 up",
            "ip addr replace 192.0.2.10/24 dev eth0", "ip route replace default via 192.0.2.1 dev eth0",
        }, plan.Apply.Select(c => string.Join(" ", c)));
        Assert.Equal(new[] { "ip addr flush dev eth0 scope global" }, plan.Teardown.Select(c => string.Join(" ", c)));
        Assert.Equal(new[]
        {
            $"ip link add name br0 address {Mac} type bridge stp_state 1", "ip link set dev br0 up", "ip link set dev eth0 master br0",
            "ip link set dev eth0 up", "ip addr replace 192.0.2.10/24 dev br0", "ip -4 route replace default via 192.0.2.1 dev br0",
        }, plan.Restore.Select(c => string.Join(" ", c)));
        Assert.StartsWith("Remove bridge br0 (IpRoute); eth0 gets its addressing back: 192.0.2.10/24, gateway 192.0.2.1", plan.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void ANetworkManagerBridgesProfilesAreDeletedAndTheirFilesKeptForTheRollback()
    {
        NetworkFacts facts = NetworkFixtures.Facts("nm1.42-netns-bridge");

        BridgePlan plan = BridgeRemovalPlanner.Plan("br0", true, Rollback, facts, "kvm1");

        Assert.Equal(KvmBridgeBackend.NetworkManager, plan.Backend);
        NmProfile bridge = facts.ActiveProfile("br0")!;
        NmProfile port = facts.NmProfiles.Single(p => p.SlaveType == "bridge" && p.InterfaceName == "eth0");
        string[] apply = plan.Apply.Select(c => string.Join(" ", c)).ToArray();
        Assert.StartsWith("nmcli connection add type ethernet con-name eth0 ifname eth0 connection.autoconnect yes ipv4.method manual ipv4.addresses 192.0.2.10/24,198.51.100.7/25 ipv4.gateway 192.0.2.1", apply[0], StringComparison.Ordinal);
        Assert.Equal($"nmcli connection delete {port.Uuid}", apply[1]);
        Assert.Equal($"nmcli connection delete {bridge.Uuid}", apply[2]);
        Assert.Equal("nmcli --wait 60 connection up eth0", apply[3]);
        Assert.Equal(new[] { "nmcli connection delete eth0" }, plan.Teardown.Select(c => string.Join(" ", c)));
        Assert.Equal(new[] { bridge.FileName, port.FileName }, plan.PreservedFiles);
        Assert.Equal(new[] { "nmcli connection reload", $"nmcli --wait 60 connection up {bridge.Uuid}", $"nmcli --wait 60 connection up {port.Uuid}", "ip link set dev vnet0 master br0" },
            plan.Restore.Select(c => string.Join(" ", c)));
    }

    [Fact]
    public void TheNicsOwnSwitchedOffProfileGetsTheAddressingAndAutoconnectBack()
    {
        NetworkFacts facts = NetworkFixtures.Facts("nm1.42-netns-bridge");
        var own = new NmProfile { Name = "eth0", Uuid = "11111111-2222-3333-4444-555555555555", Type = "802-3-ethernet", InterfaceName = "eth0", Autoconnect = false, FileName = "/etc/NetworkManager/system-connections/eth0.nmconnection" };
        facts.NmProfiles.Add(own);

        BridgePlan plan = BridgeRemovalPlanner.Plan("br0", true, Rollback, facts, "kvm1");

        Assert.StartsWith($"nmcli connection modify {own.Uuid} connection.autoconnect yes ipv4.method manual", string.Join(" ", plan.Apply[0]), StringComparison.Ordinal);
        Assert.Equal($"nmcli --wait 60 connection up {own.Uuid}", string.Join(" ", plan.Apply.Last()));
        Assert.Equal(new[] { $"nmcli connection down {own.Uuid}" }, plan.Teardown.Select(c => string.Join(" ", c)));
        Assert.Contains(own.FileName, plan.PreservedFiles);
    }

    [Fact]
    public void ANetworkScriptsBridgeGivesTheNicFileTheAddressingAndDeletesIfcfgBr0()
    {
        NetworkFacts facts = NetworkFixtures.Facts("rhel6.10-bridge-br0");

        BridgePlan plan = BridgeRemovalPlanner.Plan("br0", true, Rollback, facts, "kvm1");

        Assert.Equal(KvmBridgeBackend.Ifcfg, plan.Backend);
        BridgeFile nic = Assert.Single(plan.Files);
        Assert.Equal("/etc/sysconfig/network-scripts/ifcfg-eth0", nic.Path);
        Assert.DoesNotContain("BRIDGE=", nic.Content, StringComparison.Ordinal);
        Assert.Contains("DEVICE=eth0\n", nic.Content, StringComparison.Ordinal);
        Assert.Contains("ONBOOT=yes\nBOOTPROTO=none\nIPADDR=192.168.10.20\nPREFIX=24\nGATEWAY=192.168.10.1\n", nic.Content, StringComparison.Ordinal);
        Assert.Contains("/etc/sysconfig/network-scripts/ifcfg-br0", plan.DeletedFiles);
        Assert.Equal(new[] { "ip link set dev eth0 nomaster", "ip link set dev br0 down", "ip link del dev br0", "ifdown eth0", "ifup eth0" },
            plan.Apply.Select(c => string.Join(" ", c)));
        Assert.Equal(new[] { "ifup eth0", "ifup br0", "ip link set dev vnet0 master br0" }, plan.Restore.Select(c => string.Join(" ", c)));
    }

    [Fact]
    public void ABridgeWithGuestsIsRefusedWithoutForceAndNamesTheirInterfaces()
    {
        KvmException refused = Refused(NetworkFixtures.Facts("rhel6.10-bridge-br0"));

        Assert.Equal("BridgeInUse", refused.ErrorId);
        Assert.Contains("vnet0", refused.Message, StringComparison.Ordinal);
        Assert.Contains("-Force", refused.RecommendedAction, StringComparison.Ordinal);
    }

    [Fact]
    public void WithForceTheGuestsAreWarnedAbout()
    {
        BridgePlan plan = BridgeRemovalPlanner.Plan("br0", true, Rollback, NetworkFixtures.Facts("rhel6.10-bridge-br0"), "kvm1");

        Assert.Contains(plan.Warnings, w => w.Contains("vnet0 lose their network", StringComparison.Ordinal));
    }

    [Fact]
    public void ALibvirtNetworksBridgeIsRefused()
    {
        NetworkFacts facts = NetworkFactsParser.Parse(NetworkFixtures.Text("rhel6.10-bridge-br0").Replace("== end", "== libvirtnets\ndefault virbr0\n== end"));

        KvmException refused = Refused(facts, "virbr0");

        Assert.Equal("BridgeOwnedByLibvirt", refused.ErrorId);
        Assert.Contains("virsh net-destroy default", refused.RecommendedAction, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownBridgeIsRefusedWithTheBridgesThereAre()
    {
        KvmException refused = Refused(RuntimeBridge(), "br9");

        Assert.Equal("BridgeNotFound", refused.ErrorId);
        Assert.Contains("It has: br0.", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ABridgeWithTwoNicsIsRefused()
    {
        KvmException refused = Refused(RuntimeBridge(f =>
        {
            f.Link("eth1")!.Master = "br0";
            f.Link("br0")!.Ports.Add("eth1");
        }));

        Assert.Equal("BridgeHasSeveralPorts", refused.ErrorId);
        Assert.Contains("eth0, eth1", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AProfileWithoutAFileIsRefusedBecauseTheRollbackCouldNotPutItBack()
    {
        NetworkFacts facts = NetworkFixtures.Facts("nm1.42-netns-bridge");
        facts.ActiveProfile("br0")!.FileName = "";

        Assert.Equal("ProfileNotStored", Refused(facts, force: true).ErrorId);
    }

    [Theory]
    [InlineData("br0;reboot")]
    [InlineData("$(reboot)")]
    [InlineData("")]
    [InlineData("-br0")]
    public void NamesThatAreNotInterfaceNamesAreRefused(string name)
        => Assert.Equal("InvalidInterfaceName", Refused(RuntimeBridge(), name).ErrorId);

    [Fact]
    public void ABridgeWithoutANicJustGoes()
    {
        BridgePlan plan = BridgeRemovalPlanner.Plan("br0", false, Rollback, RuntimeBridge(f =>
        {
            f.Link("eth0")!.Master = "";
            f.Link("br0")!.Ports.Clear();
        }), "kvm1");

        Assert.Equal("", plan.Request.InterfaceName);
        Assert.Equal(new[] { "ip link del dev br0" }, plan.Apply.Select(c => string.Join(" ", c)));
        Assert.Contains(plan.Warnings, w => w.Contains("has no NIC", StringComparison.Ordinal));
    }
}
