using System;
using KvmPS;
using KvmPS.Networking;
using Xunit;

namespace KvmPS.Tests.Networking;

/// <summary>Small hosts for the bridge planner: one wired NIC with a static address, gateway and DNS, and whatever a test changes.</summary>
internal static class BridgeFixtures
{
    public const string Mac = "52:54:00:12:34:56";

    public static NetworkFacts Host(Action<NetworkFacts>? change = null, string tools = "ip ping getent")
    {
        var facts = new NetworkFacts { ProbeComplete = true };
        facts.Links.Add(new NetworkLink { Name = "lo", Kind = LinkKind.Loopback, IsUp = true });
        var eth0 = new NetworkLink { Name = "eth0", Kind = LinkKind.Ethernet, MacAddress = Mac, IsUp = true, HasCarrier = true, Mtu = 1500 };
        eth0.Addresses.Add(new LinkAddress("192.0.2.10", 24, false, false));
        eth0.Addresses.Add(new LinkAddress("fe80::5054:ff:fe12:3456", 64, true, false));
        facts.Links.Add(eth0);
        facts.Links.Add(new NetworkLink { Name = "eth1", Kind = LinkKind.Ethernet, MacAddress = "52:54:00:ab:cd:ef", IsUp = true });
        facts.DefaultRoutes.Add(new DefaultRoute("192.0.2.1", "eth0", false, 100));
        facts.DnsServers.Add("192.0.2.53");
        facts.DnsSearch.Add("example.com");
        facts.Tools.UnionWith(tools.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        change?.Invoke(facts);
        return facts;
    }

    /// <summary>NetworkManager runs and manages eth0 with a static profile (RHEL 9 keyfile).</summary>
    public static void WithNetworkManager(NetworkFacts facts, string method = "manual")
    {
        facts.NetworkManagerRunning = true;
        facts.Tools.Add("nmcli");
        facts.NmManagedDevices.UnionWith(new[] { "eth0", "eth1" });
        var profile = new NmProfile
        {
            Name = "System eth0", Uuid = "5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03", Type = "802-3-ethernet", ActiveDevice = "eth0", InterfaceName = "eth0",
            FileName = "/etc/NetworkManager/system-connections/eth0.nmconnection", Ipv4Method = method, Ipv4Gateway = method == "manual" ? "192.0.2.1" : "",
            Ipv6Method = "auto", Ipv4DnsSearch = "example.com",
        };
        if (method == "manual")
        {
            profile.Ipv4Addresses.Add("192.0.2.10/24");
            profile.Ipv4Dns.Add("192.0.2.53");
        }

        facts.NmProfiles.Add(profile);
    }

    /// <summary>network-scripts (RHEL 5, 6 or 7 without NetworkManager) with eth0's ifcfg file.</summary>
    public static void WithNetworkScripts(NetworkFacts facts, int rhel, string ifcfg)
    {
        facts.RhelMajor = rhel;
        facts.HasNetworkService = true;
        facts.Tools.UnionWith(new[] { "ifup", "ifdown", "brctl", "service" });
        facts.IfcfgText["eth0"] = ifcfg;
        var values = new System.Collections.Generic.Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in ifcfg.Split('\n'))
        {
            int equals = line.IndexOf('=');
            if (equals > 0 && !line.StartsWith("#", StringComparison.Ordinal))
            {
                values[line.Substring(0, equals)] = line.Substring(equals + 1).Trim('"', '\'');
            }
        }

        facts.IfcfgFiles["eth0"] = values;
    }

    public static BridgeRequest Request(Action<BridgeRequest>? change = null)
    {
        var request = new BridgeRequest { Name = "br0", InterfaceName = "eth0" };
        change?.Invoke(request);
        return request;
    }

    public static BridgePlan Plan(BridgeRequest request, NetworkFacts facts)
        => BridgePlanner.Plan(request, facts, "kvm1") ?? throw new InvalidOperationException("no plan: the bridge exists");

    public static KvmException Refusal(BridgeRequest request, NetworkFacts facts)
        => Assert.Throws<KvmException>(() => BridgePlanner.Plan(request, facts, "kvm1"));
}
