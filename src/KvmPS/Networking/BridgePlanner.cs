using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Text.RegularExpressions;

namespace KvmPS.Networking;

/// <summary>
/// Plans New-KvmBridge from the host's network facts: refuses what cannot work before anything
/// changes, picks the backend, works out the bridge's addressing, and has the backend write the
/// apply and rollback commands. Returns null when the bridge already exists as asked.
/// </summary>
internal static class BridgePlanner
{
    // Linux's IFNAMSIZ: 15 characters. No '/', ':' (alias syntax) or spaces; no leading '-'
    // (an option to ip) or '.' (".", ".." are directories in /sys/class/net).
    private static readonly Regex InterfaceName = new(@"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}\z", RegexOptions.CultureInvariant);

    public static BridgePlan? Plan(BridgeRequest request, NetworkFacts facts, string computerName)
    {
        ValidateNames(request);
        if (!facts.ProbeComplete)
        {
            // Planning from half the facts could miss the profile or file that holds the addressing.
            throw Refuse("NetworkProbeIncomplete", ErrorCategory.ReadError, $"The network probe of {computerName} was cut off: nothing was changed.",
                "Try again; if it repeats, run the command with -Verbose to see the probe's output.");
        }

        NetworkLink nic = facts.Link(request.InterfaceName)
            ?? throw Refuse("InterfaceNotFound", ErrorCategory.ObjectNotFound,
                $"{computerName} has no network interface '{request.InterfaceName}'. It has: {Names(facts.Links.Where(l => l.Kind != LinkKind.Loopback))}.",
                "Pass the NIC that carries the host's traffic to -InterfaceName (Get-KvmBridge lists bridges, `ip link` on the host lists NICs).");

        NetworkLink? existing = facts.Link(request.Name);
        if (existing is not null)
        {
            if (existing.Kind == LinkKind.Bridge && nic.Master == request.Name)
            {
                return null;
            }

            throw Refuse("BridgeConflict", ErrorCategory.ResourceExists,
                existing.Kind == LinkKind.Bridge
                    ? $"{computerName} already has a bridge '{request.Name}' without {request.InterfaceName} (its ports: {Names(existing.Ports)})."
                    : $"{computerName} already has an interface '{request.Name}' that is not a bridge ({existing.Kind}).",
                "Choose another -Name, or remove that bridge first (Remove-KvmBridge).");
        }

        ValidateNic(nic, computerName);
        ValidateAddresses(request);
        KvmBridgeBackend backend = ChooseBackend(request, facts, nic, computerName);
        BridgeAddressing addressing = Addressing(request, facts, nic, backend);
        var plan = new BridgePlan(request, backend, addressing, nic.MacAddress);
        switch (backend)
        {
            case KvmBridgeBackend.NetworkManager:
                NmcliBridge.Build(plan, facts);
                break;
            case KvmBridgeBackend.Ifcfg:
                IfcfgBridge.Build(plan, facts);
                break;
            default:
                IpRouteBridge.Build(plan, facts);
                plan.Warnings.Add($"{computerName} has neither NetworkManager nor network-scripts: the bridge is made with iproute2 and will be gone after the next reboot.");
                break;
        }

        if (addressing.IsEmpty)
        {
            plan.Warnings.Add($"{request.InterfaceName} has no address: the bridge {request.Name} gets none (a bridge for guests only). Pass -IPAddress or -Dhcp to give it one.");
        }

        return plan;
    }

    /// <summary>Refuses what cannot be a Linux interface name (before it goes anywhere near a command line).</summary>
    internal static void ValidateName(string? value, string parameter)
    {
        if (!InterfaceName.IsMatch(value ?? ""))
        {
            throw Refuse("InvalidInterfaceName", ErrorCategory.InvalidArgument,
                $"{parameter} '{value}' is not a valid interface name: 1 to 15 letters, digits, '_', '.' or '-', not starting with '.' or '-'.",
                $"Use a name like br0 for -Name and the NIC's name (eth0, ens3...) for -InterfaceName.");
        }
    }

    internal static void ValidateRollbackTimeout(TimeSpan timeout)
    {
        if (timeout < TimeSpan.FromSeconds(10) || timeout > TimeSpan.FromHours(1))
        {
            throw Refuse("InvalidRollbackTimeout", ErrorCategory.InvalidArgument, "-RollbackTimeout must be between 10 and 3600 seconds.",
                "Keep the default (60 s) unless the host takes long to bring links up.");
        }
    }

    /// <summary>What needs no host's facts: New-KvmBridge checks it before it probes any host.</summary>
    internal static void ValidateInput(BridgeRequest request)
    {
        ValidateNames(request);
        ValidateAddresses(request);
    }

    private static void ValidateNames(BridgeRequest request)
    {
        ValidateName(request.Name, "-Name");
        ValidateName(request.InterfaceName, "-InterfaceName");

        if (request.Name == request.InterfaceName)
        {
            throw Refuse("InvalidInterfaceName", ErrorCategory.InvalidArgument, $"The bridge cannot have the NIC's name '{request.Name}'.", "Use another -Name, such as br0.");
        }

        ValidateRollbackTimeout(request.RollbackTimeout);
    }

    private static void ValidateNic(NetworkLink nic, string computerName)
    {
        string name = nic.Name;
        switch (nic.Kind)
        {
            case LinkKind.Wireless:
                throw Refuse("WirelessInterface", ErrorCategory.InvalidArgument,
                    $"{name} on {computerName} is a wireless NIC: an access point accepts one MAC address per station, so guests behind a bridge on it get no traffic.",
                    "Bridge a wired NIC, or use libvirt's NAT network 'default' for guests on this host.");
            case LinkKind.Loopback:
            case LinkKind.Bridge:
            case LinkKind.Other:
                throw Refuse("InterfaceNotBridgeable", ErrorCategory.InvalidArgument,
                    $"{name} on {computerName} is {(nic.Kind == LinkKind.Bridge ? "itself a bridge" : $"not an Ethernet NIC ({nic.Kind})")}; only an Ethernet NIC, a bond, a team or a VLAN can join a bridge.",
                    nic.Kind == LinkKind.Bridge ? $"Use {name} as it is: New-KvmGuest -Bridge {name}." : "Pass the host's Ethernet NIC to -InterfaceName.");
        }

        if (nic.Master.Length > 0)
        {
            bool bondMember = nic.MasterKind is "bond" or "team";
            throw Refuse(bondMember ? "InterfaceIsBondMember" : "InterfaceEnslaved", ErrorCategory.ResourceBusy,
                bondMember
                    ? $"{name} on {computerName} is a member of the {nic.MasterKind} {nic.Master}: its traffic belongs to {nic.Master}."
                    : $"{name} on {computerName} is already a port of {(nic.MasterKind.Length > 0 ? nic.MasterKind + " " : "")}{nic.Master}.",
                bondMember
                    ? $"Bridge the {nic.MasterKind} instead: -InterfaceName {nic.Master}."
                    : $"Use that bridge (New-KvmGuest -Bridge {nic.Master}), or remove {name} from it first.");
        }
    }

    private static void ValidateAddresses(BridgeRequest request)
    {
        var parsed = new List<(uint Address, int Prefix)>();
        foreach (string cidr in request.Addresses)
        {
            if (!Ipv4.TryParseCidr(cidr, out uint address, out int prefix) || Ipv4.IsNetworkOrBroadcast(address, prefix) || (address >> 24) is 0 or 127 or >= 224)
            {
                throw Refuse("InvalidIPAddress", ErrorCategory.InvalidArgument,
                    $"'{cidr}' is not a usable IPv4 host address with a prefix length (1-32): e.g. 192.0.2.10/24.",
                    "Pass -IPAddress 192.0.2.10 -PrefixLength 24.");
            }

            parsed.Add((address, prefix));
        }

        if (request.Gateway.Length > 0)
        {
            if (!Ipv4.TryParse(request.Gateway, out uint gateway))
            {
                throw Refuse("InvalidGateway", ErrorCategory.InvalidArgument, $"-Gateway '{request.Gateway}' is not an IPv4 address.", "Pass the router's address, e.g. -Gateway 192.0.2.1.");
            }

            if (parsed.Count > 0 && !parsed.Any(p => Ipv4.SameSubnet(p.Address, gateway, p.Prefix) && p.Address != gateway))
            {
                throw Refuse("GatewayNotOnSubnet", ErrorCategory.InvalidArgument,
                    $"-Gateway {request.Gateway} is not on the subnet of {string.Join(", ", request.Addresses)}: the host could not reach it.",
                    "Check -IPAddress, -PrefixLength and -Gateway.");
            }
        }

        foreach (string dns in request.DnsServers.Where(d => !Ipv4.TryParse(d, out _) && !IsIpv6(d)))
        {
            throw Refuse("InvalidDnsServer", ErrorCategory.InvalidArgument, $"-DnsServer '{dns}' is not an IP address.", "Pass the DNS servers' addresses, e.g. -DnsServer 192.0.2.53.");
        }
    }

    private static KvmBridgeBackend ChooseBackend(BridgeRequest request, NetworkFacts facts, NetworkLink nic, string computerName)
    {
        bool nmManages = facts.NetworkManagerRunning && facts.Tools.Contains("nmcli") && facts.NmManagedDevices.Contains(nic.Name);
        bool scripts = facts.HasNetworkService && facts.Tools.Contains("ifup") && facts.Tools.Contains("ifdown");
        switch (request.Backend)
        {
            case KvmBridgeBackend.NetworkManager when !nmManages:
                throw Refuse("BackendUnavailable", ErrorCategory.NotInstalled,
                    facts.NetworkManagerRunning
                        ? $"NetworkManager on {computerName} does not manage {nic.Name} (it is unmanaged there)."
                        : $"NetworkManager does not run on {computerName}.",
                    "Use -Backend Auto to take what the host uses, or start NetworkManager and let it manage the NIC.");
            case KvmBridgeBackend.Ifcfg when !scripts:
                throw Refuse("BackendUnavailable", ErrorCategory.NotInstalled,
                    $"{computerName} has no network-scripts (the network service with ifup/ifdown): RHEL 8 and later only have them with the network-scripts package.",
                    "Use -Backend Auto or NetworkManager.");
            case KvmBridgeBackend.Ifcfg when nmManages:
                throw Refuse("BackendConflict", ErrorCategory.InvalidOperation,
                    $"NetworkManager manages {nic.Name} on {computerName}: it would fight the network service over ifcfg files written for it.",
                    "Use -Backend NetworkManager (or Auto), which writes ifcfg files through NetworkManager where the host keeps its profiles in them.");
            case KvmBridgeBackend.Auto:
                return nmManages ? KvmBridgeBackend.NetworkManager : scripts ? KvmBridgeBackend.Ifcfg : KvmBridgeBackend.IpRoute;
            default:
                return request.Backend;
        }
    }

    /// <summary>
    /// The addressing asked for, or (Keep) what <paramref name="nic"/> has where <paramref name="backend"/>
    /// keeps it: the NIC's for a new bridge, the bridge's own when it is removed.
    /// </summary>
    internal static BridgeAddressing Addressing(BridgeRequest request, NetworkFacts facts, NetworkLink nic, KvmBridgeBackend backend)
    {
        var addressing = new BridgeAddressing();
        switch (request.AddressSource)
        {
            case BridgeAddressSource.Static:
                addressing.Ipv4.AddRange(request.Addresses);
                addressing.Gateway = request.Gateway;
                addressing.Dns.AddRange(request.DnsServers.Count > 0 ? request.DnsServers : facts.DnsServers);
                addressing.DnsSearch.AddRange(facts.DnsSearch);
                return addressing;
            case BridgeAddressSource.Dhcp:
                addressing.Dhcp = true;
                addressing.Dns.AddRange(request.DnsServers);
                return addressing;
        }

        // Keep: from where the host keeps the NIC's configuration, so the bridge gets what a
        // reboot would give the NIC (a profile's DHCP, not the address the lease happens to hold).
        NmProfile? profile = backend == KvmBridgeBackend.NetworkManager ? facts.ActiveProfile(nic.Name) : null;
        facts.IfcfgFiles.TryGetValue(nic.Name, out Dictionary<string, string>? ifcfg);
        if (profile is not null)
        {
            addressing.Dhcp = profile.Ipv4Method == "auto";
            addressing.Ipv4.AddRange(profile.Ipv4Method == "manual" ? profile.Ipv4Addresses : Enumerable.Empty<string>());
            addressing.Gateway = profile.Ipv4Gateway;
            addressing.Dns.AddRange(profile.Ipv4Dns);
            addressing.DnsSearch.AddRange(profile.Ipv4DnsSearch.Split(new[] { ',', ' ' }, StringSplitOptions.RemoveEmptyEntries));
            addressing.Ipv6.AddRange(profile.Ipv6Method == "manual" ? profile.Ipv6Addresses : Enumerable.Empty<string>());
            addressing.Ipv6Auto = profile.Ipv6Method is "auto" or "dhcp";
        }
        else if (backend == KvmBridgeBackend.Ifcfg && ifcfg is not null)
        {
            IfcfgBridge.ReadAddressing(ifcfg, addressing);
        }
        else
        {
            // What the NIC has right now; a lease becomes a static address (iproute2 runs no DHCP client).
            addressing.Ipv4.AddRange(nic.Addresses.Where(a => !a.IsIPv6).Select(a => a.ToString()));
            addressing.Ipv6.AddRange(nic.Addresses.Where(a => a.IsIPv6 && !a.IsLinkLocal && !a.Dynamic).Select(a => a.ToString()));
            addressing.Gateway = facts.DefaultRoutes.FirstOrDefault(r => !r.IsIPv6 && r.Device == nic.Name)?.Gateway ?? "";
            addressing.Dns.AddRange(facts.DnsServers);
            addressing.DnsSearch.AddRange(facts.DnsSearch);
        }

        if (request.DnsServers.Count > 0)
        {
            addressing.Dns.Clear();
            addressing.Dns.AddRange(request.DnsServers);
        }

        return addressing;
    }

    private static bool IsIpv6(string text)
        => text.IndexOf(':') >= 0 && System.Net.IPAddress.TryParse(text, out System.Net.IPAddress? address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;

    internal static KvmException Refuse(string id, ErrorCategory category, string message, string action) => new(id, category, message, action);

    private static string Names(IEnumerable<NetworkLink> links) => Names(links.Select(l => l.Name));

    private static string Names(IEnumerable<string> names)
    {
        string list = string.Join(", ", names.OrderBy(n => n, StringComparer.Ordinal));
        return list.Length == 0 ? "none" : list;
    }

    internal static string Seconds(TimeSpan span) => ((int)span.TotalSeconds).ToString(CultureInfo.InvariantCulture);
}
