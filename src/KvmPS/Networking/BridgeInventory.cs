using System;
using System.Collections.Generic;
using System.Linq;

namespace KvmPS.Networking;

/// <summary>The bridges of a host from its network facts: ports, addresses, and what owns each.</summary>
internal static class BridgeInventory
{
    public static List<KvmBridge> Bridges(NetworkFacts facts, string computerName, KvmSession? session)
    {
        var bridges = new List<KvmBridge>();
        foreach (NetworkLink link in facts.Links.Where(l => l.Kind == LinkKind.Bridge).OrderBy(l => l.Name, StringComparer.Ordinal))
        {
            // Ports from the bridge's own list (/sys brif) and from each port's master: old
            // iproute2 shows only one of them.
            string[] ports = link.Ports.Concat(facts.Links.Where(l => l.Master == link.Name).Select(l => l.Name))
                .Distinct(StringComparer.Ordinal).OrderBy(p => p, StringComparer.Ordinal).ToArray();
            (string backend, string definition) = Owner(facts, link.Name);
            bridges.Add(new KvmBridge
            {
                ComputerName = computerName,
                Name = link.Name,
                Ports = ports,
                // Taps are guests' interfaces, except "<bridge>-nic": old libvirt's tap that holds a network bridge's MAC.
                GuestInterfaces = ports.Where(p => facts.Link(p)?.Kind == LinkKind.Other && p != link.Name + "-nic").ToArray(),
                IPAddresses = link.Addresses.Where(a => !a.IsLinkLocal).OrderBy(a => a.IsIPv6).Select(a => a.ToString()).ToArray(),
                MacAddress = link.MacAddress,
                Stp = link.Stp,
                IsUp = link.IsUp,
                Backend = backend,
                Persistent = backend != nameof(KvmBridgeBackend.IpRoute),
                Definition = definition,
                Session = session,
            });
        }

        return bridges;
    }

    /// <summary>What owns a bridge: a libvirt network, a NetworkManager profile, an ifcfg file, or nothing (iproute2).</summary>
    internal static (string Backend, string Definition) Owner(NetworkFacts facts, string bridge)
    {
        if (facts.LibvirtBridges.TryGetValue(bridge, out string? network))
        {
            return ("Libvirt", "network " + network);
        }

        NmProfile? profile = facts.ActiveProfile(bridge)
            ?? facts.NmProfiles.FirstOrDefault(p => p.Type == "bridge" && p.InterfaceName == bridge);
        if (profile is not null)
        {
            return (nameof(KvmBridgeBackend.NetworkManager), profile.FileName.Length > 0 ? profile.FileName : "profile " + profile.Name);
        }

        if (facts.IfcfgFiles.TryGetValue(bridge, out Dictionary<string, string>? ifcfg)
            && ifcfg.TryGetValue("TYPE", out string? type) && type.Equals("Bridge", StringComparison.OrdinalIgnoreCase))
        {
            return (nameof(KvmBridgeBackend.Ifcfg), "/etc/sysconfig/network-scripts/ifcfg-" + bridge);
        }

        return (nameof(KvmBridgeBackend.IpRoute), "");
    }
}
