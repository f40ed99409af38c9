using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using KvmPS.Transport;

namespace KvmPS.Networking;

/// <summary>What New-KvmNetwork was asked for.</summary>
internal sealed class NetworkRequest
{
    public string Name { get; set; } = "";

    public KvmNetworkMode Mode { get; set; } = KvmNetworkMode.Nat;

    /// <summary>The host's address on the network, "a.b.c.d/nn"; empty: the first free 192.168.N.1/24.</summary>
    public string Address { get; set; } = "";

    /// <summary>"start-end"; empty: the whole subnet but the host's address; see <see cref="NoDhcp"/>.</summary>
    public string DhcpRange { get; set; } = "";

    public bool NoDhcp { get; set; }

    /// <summary>The bridge's name; empty: libvirt picks the next virbrN.</summary>
    public string Bridge { get; set; } = "";

    public bool Autostart { get; set; } = true;
}

/// <summary>A libvirt network ready to define: its XML and the virsh commands, with their undo.</summary>
internal sealed class NetworkPlan
{
    public NetworkPlan(NetworkRequest request, string address, int prefix, string dhcpStart, string dhcpEnd, string xml)
    {
        Request = request;
        Address = address;
        Prefix = prefix;
        DhcpStart = dhcpStart;
        DhcpEnd = dhcpEnd;
        Xml = xml;
    }

    public NetworkRequest Request { get; }

    public string Address { get; }

    public int Prefix { get; }

    public string DhcpStart { get; }

    public string DhcpEnd { get; }

    public string Xml { get; }

    public string Subnet => $"{Ipv4.Format(Parse(Address) & Ipv4.Mask(Prefix))}/{Prefix.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>net-define (XML on stdin), net-start, net-autostart: one batch that stops at the first failure.</summary>
    public List<RemoteCommand> Commands()
    {
        var commands = new List<RemoteCommand>
        {
            new(new[] { "virsh", "-c", "qemu:///system", "net-define", "/dev/stdin" }, Encoding.UTF8.GetBytes(Xml), stdinName: "network XML"),
            RemoteCommand.Of("virsh", "-c", "qemu:///system", "net-start", Request.Name),
        };
        if (Request.Autostart)
        {
            commands.Add(RemoteCommand.Of("virsh", "-c", "qemu:///system", "net-autostart", Request.Name));
        }

        return commands;
    }

    /// <summary>Takes away what <see cref="Commands"/> made, whichever step it stopped at (each may fail: it ran or not).</summary>
    public List<RemoteCommand> Undo() => NetworkPlanner.RemoveCommands(Request.Name, active: true, persistent: true);

    public string Describe()
    {
        var text = new StringBuilder();
        text.Append($"Define libvirt network {Request.Name} ({Request.Mode}, {Subnet}, host {Address}, ")
            .Append(DhcpStart.Length > 0 ? $"DHCP {DhcpStart}-{DhcpEnd}" : "no DHCP")
            .Append($", bridge {(Request.Bridge.Length > 0 ? Request.Bridge : "chosen by libvirt")}{(Request.Autostart ? ", autostart" : "")}):\n");
        foreach (string line in Xml.Split('\n'))
        {
            text.Append("    ").Append(line).Append('\n');
        }

        foreach (RemoteCommand command in Commands())
        {
            text.Append(command.ToDisplayString()).Append('\n');
        }

        return text.ToString().TrimEnd('\n');
    }

    private static uint Parse(string address)
    {
        Ipv4.TryParse(address, out uint value);
        return value;
    }
}

/// <summary>
/// Plans New-KvmNetwork from the host's addresses and libvirt networks: refuses a name that exists
/// or a subnet that overlaps one the host has, picks a free 192.168.N.0/24 when none is given, and
/// writes the network's XML (built as XML, so no name can break it).
/// </summary>
internal static class NetworkPlanner
{
    // libvirt forbids little in a network name, but it also names dnsmasq's files and shows in shells.
    private static readonly Regex ValidName = new("^[A-Za-z0-9][A-Za-z0-9._-]{0,49}\\z", RegexOptions.CultureInvariant);

    /// <summary>What needs no host: New-KvmNetwork checks it before it probes any host.</summary>
    public static void ValidateInput(NetworkRequest request)
    {
        ValidateName(request.Name);
        if (request.Bridge.Length > 0)
        {
            BridgePlanner.ValidateName(request.Bridge, "-Bridge");
        }

        if (request.Address.Length > 0)
        {
            (uint address, int prefix) = Requested(request.Address);
            _ = Dhcp(request, address, prefix);
        }
    }

    public static NetworkPlan Plan(NetworkRequest request, NetworkFacts facts, IReadOnlyList<KvmNetwork> networks, string computerName)
    {
        ValidateInput(request);

        if (networks.Any(n => n.Name == request.Name))
        {
            throw Refuse("NetworkExists", ErrorCategory.ResourceExists, $"{computerName} already has a libvirt network named '{request.Name}'.",
                $"Choose another -Name, or look at it with: Get-KvmNetwork -ComputerName {computerName} -Name {request.Name}");
        }

        if (request.Bridge.Length > 0 && (facts.Link(request.Bridge) is not null || networks.Any(n => n.Bridge == request.Bridge)))
        {
            throw Refuse("BridgeConflict", ErrorCategory.ResourceExists, $"{computerName} already has an interface or network bridge named '{request.Bridge}'.",
                "Choose another -Bridge, or leave it out: libvirt then picks the next free virbrN.");
        }

        var taken = Taken(facts, networks);
        (uint address, int prefix) = request.Address.Length > 0 ? Requested(request.Address) : FirstFree(taken, computerName);
        foreach ((string Owner, uint Network, int Prefix) c in taken.Where(t => Overlaps(address, prefix, t.Network, t.Prefix)).Take(1))
        {
            throw Refuse("SubnetInUse", ErrorCategory.ResourceExists,
                $"{Ipv4.Format(address & Ipv4.Mask(prefix))}/{prefix} overlaps {Ipv4.Format(c.Network)}/{c.Prefix} of {c.Owner} on {computerName}: guests could not reach one of them.",
                "Pass another -IPAddress, or leave it out to take the first free 192.168.N.0/24.");
        }

        (string start, string end) = Dhcp(request, address, prefix);
        return new NetworkPlan(request, Ipv4.Format(address), prefix, start, end, Xml(request, address, prefix, start, end));
    }

    /// <summary>Stops and undefines a network, each step allowed to fail (it may not be active or persistent).</summary>
    public static List<RemoteCommand> RemoveCommands(string name, bool active, bool persistent)
    {
        var commands = new List<RemoteCommand>();
        if (active)
        {
            commands.Add(RemoteCommand.Of("virsh", "-c", "qemu:///system", "net-destroy", name));
        }

        if (persistent)
        {
            commands.Add(RemoteCommand.Of("virsh", "-c", "qemu:///system", "net-undefine", name));
        }

        return commands;
    }

    public static void ValidateName(string name)
    {
        if (!ValidName.IsMatch(name ?? ""))
        {
            throw Refuse("InvalidNetworkName", ErrorCategory.InvalidArgument,
                $"'{(name ?? "").Replace("\n", "\\n")}' is not a valid network name: 1 to 50 letters, digits, '.', '_' or '-', starting with a letter or digit.",
                "Use a name like lab or isolated1.");
        }
    }

    private static string Xml(NetworkRequest request, uint address, int prefix, string start, string end)
    {
        var network = new XElement("network", new XElement("name", request.Name));
        if (request.Mode != KvmNetworkMode.Isolated)
        {
            network.Add(new XElement("forward", new XAttribute("mode", request.Mode == KvmNetworkMode.Nat ? "nat" : "route")));
        }

        if (request.Bridge.Length > 0)
        {
            network.Add(new XElement("bridge", new XAttribute("name", request.Bridge), new XAttribute("stp", "on"), new XAttribute("delay", "0")));
        }

        var ip = new XElement("ip", new XAttribute("address", Ipv4.Format(address)), new XAttribute("netmask", Ipv4.Netmask(prefix)));
        if (start.Length > 0)
        {
            ip.Add(new XElement("dhcp", new XElement("range", new XAttribute("start", start), new XAttribute("end", end))));
        }

        network.Add(ip);
        return network.ToString();
    }

    private static (uint Address, int Prefix) Requested(string cidr)
    {
        if (!Ipv4.TryParseCidr(cidr, out uint address, out int prefix) || prefix > 30 || prefix < 8 || Ipv4.IsNetworkOrBroadcast(address, prefix) || (address >> 24) is 0 or 127 or >= 224)
        {
            throw Refuse("InvalidIPAddress", ErrorCategory.InvalidArgument,
                $"'{cidr}' is not a usable host address for a network with a prefix length of 8 to 30 (e.g. 192.168.100.1/24).",
                "Pass the host's address on the new network, e.g. -IPAddress 192.168.100.1/24.");
        }

        return (address, prefix);
    }

    private static (string Start, string End) Dhcp(NetworkRequest request, uint address, int prefix)
    {
        uint network = address & Ipv4.Mask(prefix);
        uint broadcast = network | ~Ipv4.Mask(prefix);
        if (request.NoDhcp)
        {
            return ("", "");
        }

        if (request.DhcpRange.Length == 0)
        {
            // Like libvirt's default network: every host address but the host's own (the larger side of it).
            uint low = network + 1, high = broadcast - 1;
            if (address == low)
            {
                low++;
            }
            else if (address == high)
            {
                high--;
            }
            else if (address - low >= high - address)
            {
                high = address - 1;
            }
            else
            {
                low = address + 1;
            }

            return (Ipv4.Format(low), Ipv4.Format(high));
        }

        string[] ends = request.DhcpRange.Split('-');
        if (ends.Length != 2 || !Ipv4.TryParse(ends[0].Trim(), out uint first) || !Ipv4.TryParse(ends[1].Trim(), out uint last)
            || first > last || (first & Ipv4.Mask(prefix)) != network || (last & Ipv4.Mask(prefix)) != network
            || first == network || last == broadcast || (address >= first && address <= last))
        {
            throw Refuse("InvalidDhcpRange", ErrorCategory.InvalidArgument,
                $"-DhcpRange '{request.DhcpRange}' is not a range of host addresses of {Ipv4.Format(network)}/{prefix} that leaves out the host's {Ipv4.Format(address)}.",
                "Write it as first-last, e.g. 192.168.100.100-192.168.100.200.");
        }

        return (Ipv4.Format(first), Ipv4.Format(last));
    }

    // The subnets the host already has: its interfaces' and its libvirt networks'.
    private static List<(string Owner, uint Network, int Prefix)> Taken(NetworkFacts facts, IReadOnlyList<KvmNetwork> networks)
    {
        var taken = new List<(string, uint, int)>();
        foreach (NetworkLink link in facts.Links)
        {
            foreach (LinkAddress a in link.Addresses.Where(a => !a.IsIPv6 && a.Address != "127.0.0.1"))
            {
                Ipv4.TryParse(a.Address, out uint value);
                taken.Add(($"interface {link.Name}", value & Ipv4.Mask(a.PrefixLength), a.PrefixLength));
            }
        }

        foreach (KvmNetwork network in networks.Where(n => n.Subnet.Length > 0))
        {
            Ipv4.TryParseCidr(network.Subnet, out uint value, out int prefix);
            taken.Add(($"libvirt network {network.Name}", value, prefix));
        }

        return taken;
    }

    private static (uint, int) FirstFree(List<(string Owner, uint Network, int Prefix)> taken, string computerName)
    {
        for (uint third = 100; third < 255; third++)
        {
            uint candidate = (192u << 24) | (168u << 16) | (third << 8) | 1;
            if (!taken.Any(t => Overlaps(candidate, 24, t.Network, t.Prefix)))
            {
                return (candidate, 24);
            }
        }

        throw Refuse("NoFreeSubnet", ErrorCategory.ResourceUnavailable, $"Every 192.168.100-254.0/24 is in use on {computerName}.", "Pass -IPAddress with a free subnet.");
    }

    private static bool Overlaps(uint a, int prefixA, uint b, int prefixB)
    {
        int prefix = Math.Min(prefixA, prefixB);
        return (a & Ipv4.Mask(prefix)) == (b & Ipv4.Mask(prefix));
    }

    private static KvmException Refuse(string id, ErrorCategory category, string message, string action) => new(id, category, message, action);
}
