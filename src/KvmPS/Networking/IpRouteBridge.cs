using System.Linq;

namespace KvmPS.Networking;

/// <summary>
/// The bridge with iproute2 alone: for hosts with neither NetworkManager nor network-scripts. It
/// lives until the next reboot. The NIC's addresses and default route move to the bridge; the
/// rollback puts the ones the NIC has now back on it.
/// </summary>
internal static class IpRouteBridge
{
    public static void Build(BridgePlan plan, NetworkFacts facts)
    {
        string bridge = plan.Request.Name;
        string nic = plan.Request.InterfaceName;
        NetworkLink link = facts.Link(nic)!;
        if (plan.Addressing.Dhcp)
        {
            throw BridgePlanner.Refuse("DhcpNeedsBackend", System.Management.Automation.ErrorCategory.NotImplemented,
                $"The iproute2 backend runs no DHCP client, so the bridge {bridge} cannot get an address by DHCP.",
                "Pass -IPAddress and -PrefixLength, or use a host with NetworkManager or network-scripts.");
        }

        if (link.Addresses.Any(a => a.Dynamic && !a.IsLinkLocal))
        {
            plan.Warnings.Add($"{nic} has an address from DHCP: the bridge keeps it as a static address, and nothing renews the lease.");
        }

        var add = new[] { "ip", "link", "add", "name", bridge };
        plan.Apply.Add(plan.MacAddress.Length > 0
            ? add.Concat(new[] { "address", plan.MacAddress, "type", "bridge", "stp_state", plan.Request.Stp ? "1" : "0" }).ToArray()
            : add.Concat(new[] { "type", "bridge", "stp_state", plan.Request.Stp ? "1" : "0" }).ToArray());
        plan.Apply.Add(new[] { "ip", "link", "set", "dev", bridge, "up" });
        plan.Apply.Add(new[] { "ip", "link", "set", "dev", nic, "master", bridge });
        plan.Apply.Add(new[] { "ip", "addr", "flush", "dev", nic, "scope", "global" });
        foreach (string address in plan.Addressing.Ipv4.Concat(plan.Addressing.Ipv6))
        {
            plan.Apply.Add(new[] { "ip", "addr", "replace", address, "dev", bridge });
        }

        if (plan.Addressing.Gateway.Length > 0)
        {
            plan.Apply.Add(new[] { "ip", "route", "replace", "default", "via", plan.Addressing.Gateway, "dev", bridge });
        }

        plan.Teardown.Add(new[] { "ip", "link", "set", "dev", nic, "nomaster" });
        plan.Teardown.Add(new[] { "ip", "link", "del", "dev", bridge });
        plan.Restore.Add(new[] { "ip", "link", "set", "dev", nic, "up" });
        foreach (LinkAddress address in link.Addresses.Where(a => !a.IsLinkLocal))
        {
            plan.Restore.Add(new[] { "ip", "addr", "replace", address.ToString(), "dev", nic });
        }

        foreach (DefaultRoute route in facts.DefaultRoutes.Where(r => r.Device == nic))
        {
            plan.Restore.Add(new[] { "ip", route.IsIPv6 ? "-6" : "-4", "route", "replace", "default", "via", route.Gateway, "dev", nic }
                .Concat(route.Metric > 0 ? new[] { "metric", route.Metric.ToString(System.Globalization.CultureInfo.InvariantCulture) } : new string[0]).ToArray());
        }
    }
}
