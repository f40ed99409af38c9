using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace KvmPS.Networking;

/// <summary>
/// The bridge with network-scripts, the original RHEL guide's way: ifcfg-br0 with TYPE=Bridge and
/// the addressing, the NIC's ifcfg with BRIDGE=br0 and no addressing, then ifdown/ifup. RHEL 5's
/// initscripts know NETMASK only; RHEL 6 and 7 take PREFIX and numbered IPADDRn/PREFIXn.
/// </summary>
internal static class IfcfgBridge
{
    public const string Directory = "/etc/sysconfig/network-scripts";

    // What moves from the NIC to the bridge: the addressing. Everything else (HWADDR, MTU,
    // ETHTOOL_OPTS, UUID...) stays on the NIC's file as the admin wrote it.
    private static readonly string[] AddressingKeys =
    {
        "BOOTPROTO", "IPADDR", "NETMASK", "PREFIX", "GATEWAY", "NETWORK", "BROADCAST", "DNS", "DOMAIN", "PEERDNS",
        "IPV6INIT", "IPV6ADDR", "IPV6ADDR_SECONDARIES", "IPV6_DEFAULTGW", "IPV6_AUTOCONF", "DHCPV6C", "DEFROUTE", "BRIDGE",
    };

    public static void Build(BridgePlan plan, NetworkFacts facts)
    {
        string bridge = plan.Request.Name;
        string nic = plan.Request.InterfaceName;
        if (!facts.Tools.Contains("brctl") && facts.RhelMajor is > 0 and < 7)
        {
            throw BridgePlanner.Refuse("BridgeUtilsMissing", System.Management.Automation.ErrorCategory.NotInstalled,
                $"network-scripts on RHEL {facts.RhelMajor} make bridges with brctl, which is not installed.",
                "Install it on the host first: yum install bridge-utils.");
        }

        bool rhel5 = facts.RhelMajor == 5;
        if (rhel5 && plan.Addressing.Ipv4.Count > 1)
        {
            plan.Warnings.Add($"RHEL 5's ifcfg files hold one address: only {plan.Addressing.Ipv4[0]} moves to {bridge}; the others need alias files (ifcfg-{bridge}:1).");
        }

        plan.Files.Add(new BridgeFile($"{Directory}/ifcfg-{bridge}", BridgeFile(plan, rhel5)));
        facts.IfcfgText.TryGetValue(nic, out string? nicText);
        plan.Files.Add(new BridgeFile($"{Directory}/ifcfg-{nic}", PortFile(nic, bridge, plan.MacAddress, nicText, facts.RhelMajor)));

        // Static routes of the NIC (route-eth0, route6-eth0) would no longer apply: they move to the bridge.
        foreach (string family in new[] { "route", "route6" })
        {
            if (facts.RouteFiles.TryGetValue($"{family}-{nic}", out string? routes))
            {
                plan.Files.Add(new BridgeFile($"{Directory}/{family}-{bridge}", RouteFileFor(routes, nic, bridge)));
                plan.DeletedFiles.Add($"{Directory}/{family}-{nic}");
            }
        }

        plan.Apply.Add(new[] { "ifdown", nic });
        plan.Apply.Add(new[] { "ifup", nic });
        plan.Apply.Add(new[] { "ifup", bridge });

        plan.Teardown.Add(new[] { "ifdown", bridge });
        plan.Teardown.Add(new[] { "ifdown", nic });
        plan.Teardown.Add(new[] { "ip", "link", "set", "dev", nic, "nomaster" });
        plan.Teardown.Add(new[] { "ip", "link", "del", "dev", bridge });
        plan.Restore.Add(new[] { "ifup", nic });
    }

    /// <summary>ifcfg-br0.</summary>
    internal static string BridgeFile(BridgePlan plan, bool rhel5)
    {
        var lines = new List<string>
        {
            $"DEVICE={plan.Request.Name}",
            "TYPE=Bridge",
            "ONBOOT=yes",
        };
        lines.AddRange(AddressingLines(plan.Addressing, rhel5));
        lines.Add($"STP={(plan.Request.Stp ? "on" : "off")}");
        // No forwarding delay: without STP there is nothing to learn, and DHCP would time out waiting.
        lines.Add("DELAY=0");
        if (!rhel5)
        {
            lines.Add("NM_CONTROLLED=no");
        }

        return string.Join("\n", lines) + "\n";
    }

    /// <summary>An addressing as ifcfg lines: BOOTPROTO, IPADDRn with PREFIXn (NETMASK on RHEL 5), GATEWAY, DNSn, DOMAIN, IPv6.</summary>
    internal static List<string> AddressingLines(BridgeAddressing addressing, bool rhel5)
    {
        var lines = new List<string> { $"BOOTPROTO={(addressing.Dhcp ? "dhcp" : "none")}" };
        IEnumerable<string> ipv4 = rhel5 ? addressing.Ipv4.Take(1) : addressing.Ipv4;
        int n = 0;
        foreach (string cidr in ipv4)
        {
            Ipv4.TryParseCidr(cidr, out uint address, out int prefix);
            string suffix = n == 0 ? "" : n.ToString(CultureInfo.InvariantCulture);
            lines.Add($"IPADDR{suffix}={Ipv4.Format(address)}");
            lines.Add(rhel5 ? $"NETMASK{suffix}={Ipv4.Netmask(prefix)}" : $"PREFIX{suffix}={prefix.ToString(CultureInfo.InvariantCulture)}");
            n++;
        }

        if (addressing.Gateway.Length > 0)
        {
            lines.Add($"GATEWAY={addressing.Gateway}");
        }

        for (int i = 0; i < addressing.Dns.Count; i++)
        {
            lines.Add($"DNS{i + 1}={addressing.Dns[i]}");
        }

        if (addressing.DnsSearch.Count > 0)
        {
            lines.Add($"DOMAIN=\"{string.Join(" ", addressing.DnsSearch)}\"");
        }

        if (addressing.Ipv6.Count > 0 || addressing.Ipv6Auto)
        {
            lines.Add("IPV6INIT=yes");
            if (addressing.Ipv6.Count > 0)
            {
                lines.Add($"IPV6ADDR={addressing.Ipv6[0]}");
                if (addressing.Ipv6.Count > 1)
                {
                    lines.Add($"IPV6ADDR_SECONDARIES=\"{string.Join(" ", addressing.Ipv6.Skip(1))}\"");
                }
            }
        }

        return lines;
    }

    /// <summary>The NIC's ifcfg as a bridge port: its own lines without the addressing, plus BRIDGE=.</summary>
    internal static string PortFile(string nic, string bridge, string mac, string? original, int rhelMajor)
    {
        List<string> lines = OwnLines(nic, mac, original, rhelMajor);
        lines.Add("BOOTPROTO=none");
        lines.Add($"BRIDGE={bridge}");
        return string.Join("\n", lines) + "\n";
    }

    /// <summary>The NIC's ifcfg once its bridge is gone: its own lines without BRIDGE=, plus the bridge's addressing.</summary>
    internal static string UnbridgedFile(string nic, string mac, string? original, BridgeAddressing addressing, int rhelMajor)
    {
        List<string> lines = OwnLines(nic, mac, original, rhelMajor);
        lines.AddRange(AddressingLines(addressing, rhelMajor == 5));
        return string.Join("\n", lines) + "\n";
    }

    // The NIC's file without its addressing (and with ONBOOT=yes): the lines that stay whatever addresses it.
    private static List<string> OwnLines(string nic, string mac, string? original, int rhelMajor)
    {
        var lines = new List<string>();
        if (original is null)
        {
            lines.Add($"DEVICE={nic}");
            if (mac.Length > 0)
            {
                lines.Add($"HWADDR={mac}");
            }

            lines.Add("ONBOOT=yes");
            if (rhelMajor != 5)
            {
                lines.Add("NM_CONTROLLED=no");
            }

            return lines;
        }

        foreach (string line in original.Replace("\r\n", "\n").Split('\n'))
        {
            string key = KeyOf(line);
            bool addressing = AddressingKeys.Any(k => key == k || (key.StartsWith(k, StringComparison.Ordinal) && key.Substring(k.Length).All(char.IsDigit)));
            if (!addressing && key != "ONBOOT")
            {
                lines.Add(line);
            }
        }

        while (lines.Count > 0 && lines[lines.Count - 1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        lines.Add("ONBOOT=yes");
        return lines;
    }

    /// <summary>A route file with the NIC's name replaced by the bridge's where it names the device ("dev eth0", DEVICEn=eth0).</summary>
    internal static string RouteFileFor(string routes, string nic, string bridge)
    {
        var lines = routes.Replace("\r\n", "\n").Split('\n').Select(line =>
        {
            string[] words = line.Split(' ');
            for (int i = 1; i < words.Length; i++)
            {
                if (words[i] == nic && words[i - 1] == "dev")
                {
                    words[i] = bridge;
                }
            }

            string joined = string.Join(" ", words);
            int equals = joined.IndexOf('=');
            return equals > 0 && joined.StartsWith("DEVICE", StringComparison.Ordinal) && joined.Substring(equals + 1).Trim('"', '\'') == nic
                ? joined.Substring(0, equals + 1) + bridge
                : joined;
        });
        return string.Join("\n", lines);
    }

    /// <summary>The NIC's addressing as its ifcfg (and /etc/sysconfig/network's GATEWAY) say.</summary>
    internal static void ReadAddressing(Dictionary<string, string> ifcfg, BridgeAddressing addressing)
    {
        string Get(string key) => ifcfg.TryGetValue(key, out string? value) ? value : "";
        addressing.Dhcp = Get("BOOTPROTO").Equals("dhcp", StringComparison.OrdinalIgnoreCase) || Get("BOOTPROTO").Equals("bootp", StringComparison.OrdinalIgnoreCase);
        foreach (string suffix in new[] { "", "0" }.Concat(Enumerable.Range(1, 255).Select(i => i.ToString(CultureInfo.InvariantCulture))))
        {
            string ip = Get("IPADDR" + suffix);
            if (addressing.Dhcp || ip.Length == 0 || (suffix == "0" && Get("IPADDR").Length > 0))
            {
                continue;
            }

            string prefix = Get("PREFIX" + suffix);
            if (prefix.Length == 0 && Ipv4.TryParse(Get("NETMASK" + suffix), out uint mask))
            {
                prefix = Ipv4.PrefixLength(mask).ToString(CultureInfo.InvariantCulture);
            }

            addressing.Ipv4.Add($"{ip}/{(prefix.Length > 0 ? prefix : DefaultPrefix(ip))}");
        }

        addressing.Gateway = Get("GATEWAY");
        for (int i = 1; i <= 3; i++)
        {
            if (Get("DNS" + i).Length > 0)
            {
                addressing.Dns.Add(Get("DNS" + i));
            }
        }

        // No DNSn in the NIC's file: resolv.conf is kept by hand, and a DNS1 in ifcfg-br0 would have
        // ifup rewrite it. So none in the bridge's file either.
        addressing.DnsSearch.AddRange(Get("DOMAIN").Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries));
        if (Get("IPV6INIT") == "yes")
        {
            addressing.Ipv6.AddRange(new[] { Get("IPV6ADDR") }.Concat(Get("IPV6ADDR_SECONDARIES").Split(' ')).Where(a => a.Length > 0));
            addressing.Ipv6Auto = Get("IPV6_AUTOCONF") != "no" && addressing.Ipv6.Count == 0;
        }
    }

    private static string KeyOf(string line)
    {
        string trimmed = line.TrimStart();
        int equals = trimmed.IndexOf('=');
        return trimmed.StartsWith("#", StringComparison.Ordinal) || equals <= 0 ? "" : trimmed.Substring(0, equals).Trim();
    }

    /// <summary>initscripts' ipcalc default when neither PREFIX nor NETMASK is set: the address class.</summary>
    private static string DefaultPrefix(string ip)
    {
        Ipv4.TryParse(ip, out uint address);
        uint first = address >> 24;
        return first < 128 ? "8" : first < 192 ? "16" : "24";
    }
}
