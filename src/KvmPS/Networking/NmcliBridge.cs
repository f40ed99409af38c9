using System.Collections.Generic;
using System.Linq;

namespace KvmPS.Networking;

/// <summary>
/// The bridge with NetworkManager, as RHEL 7 to 10 document it: a bridge profile with the
/// addressing, a port profile for the NIC, and the NIC's own profile kept but not autoconnected
/// (the rollback turns it back on). NetworkManager stores the profiles where the host keeps
/// them, keyfiles or ifcfg-rh.
/// </summary>
internal static class NmcliBridge
{
    public static void Build(BridgePlan plan, NetworkFacts facts)
    {
        string bridge = plan.Request.Name;
        string nic = plan.Request.InterfaceName;
        string port = PortProfileName(bridge, nic);
        BridgeAddressing addressing = plan.Addressing;
        NmProfile? original = facts.ActiveProfile(nic);

        var add = new List<string>
        {
            "nmcli", "connection", "add", "type", "bridge", "con-name", bridge, "ifname", bridge,
            "bridge.stp", plan.Request.Stp ? "yes" : "no",
            // Ports come up with the bridge (without it, a reboot brings up a bridge with no port).
            "connection.autoconnect-slaves", "1",
        };
        if (plan.MacAddress.Length > 0)
        {
            add.AddRange(new[] { "bridge.mac-address", plan.MacAddress });
        }

        add.AddRange(AddressingArguments(addressing));
        plan.Apply.Add(add.ToArray());
        plan.Apply.Add(new[] { "nmcli", "connection", "add", "type", "bridge-slave", "con-name", port, "ifname", nic, "master", bridge });
        if (original is not null)
        {
            plan.Apply.Add(new[] { "nmcli", "connection", "modify", original.Uuid, "connection.autoconnect", "no" });
        }

        // Up waits for the addressing (DHCP included); the bridge brings its port up with it.
        plan.Apply.Add(new[] { "nmcli", "--wait", "60", "connection", "up", bridge });

        plan.Teardown.Add(new[] { "nmcli", "connection", "delete", port });
        plan.Teardown.Add(new[] { "nmcli", "connection", "delete", bridge });
        plan.Teardown.Add(new[] { "ip", "link", "del", "dev", bridge });
        if (original is not null)
        {
            plan.Restore.Add(new[] { "nmcli", "connection", "modify", original.Uuid, "connection.autoconnect", original.Autoconnect ? "yes" : "no" });
            plan.Restore.Add(new[] { "nmcli", "--wait", "60", "connection", "up", original.Uuid });
        }
        else
        {
            plan.Restore.Add(new[] { "nmcli", "device", "connect", nic });
        }
    }

    /// <summary>nmcli settings for an addressing: ipv4.method and addresses, gateway, DNS, IPv6.</summary>
    internal static List<string> AddressingArguments(BridgeAddressing addressing)
    {
        var args = new List<string>();
            if (addressing.Dhcp)
            {
                args.AddRange(new[] { "ipv4.method", "auto" });
            }
            else if (addressing.Ipv4.Count > 0)
            {
                args.AddRange(new[] { "ipv4.method", "manual", "ipv4.addresses", string.Join(",", addressing.Ipv4) });
                if (addressing.Gateway.Length > 0)
                {
                    args.AddRange(new[] { "ipv4.gateway", addressing.Gateway });
                }
            }
            else
            {
                args.AddRange(new[] { "ipv4.method", "disabled" });
            }

            // nmcli takes IPv4 servers in ipv4.dns and IPv6 ones in ipv6.dns.
            string[] dns4 = addressing.Dns.Where(d => d.IndexOf(':') < 0).ToArray();
            string[] dns6 = addressing.Dns.Where(d => d.IndexOf(':') >= 0).ToArray();
            if (dns4.Length > 0)
            {
                args.AddRange(new[] { "ipv4.dns", string.Join(",", dns4) });
            }

            if (addressing.DnsSearch.Count > 0)
            {
                args.AddRange(new[] { "ipv4.dns-search", string.Join(",", addressing.DnsSearch) });
            }

            if (addressing.Ipv6.Count > 0)
            {
                args.AddRange(new[] { "ipv6.method", "manual", "ipv6.addresses", string.Join(",", addressing.Ipv6) });
            }
            else
            {
                args.AddRange(new[] { "ipv6.method", addressing.Ipv6Auto ? "auto" : "ignore" });
            }

            if (dns6.Length > 0)
            {
                args.AddRange(new[] { "ipv6.dns", string.Join(",", dns6) });
            }

        return args;
    }

    /// <summary>The port profile's name, as RHEL's documentation names them (bridge0-port1 style, but telling which NIC).</summary>
    public static string PortProfileName(string bridge, string nic) => $"{bridge}-port-{nic}";
}
