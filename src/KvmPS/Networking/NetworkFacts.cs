using System;
using System.Collections.Generic;
using System.Linq;

namespace KvmPS.Networking;

/// <summary>What a link is, as far as bridging it is concerned.</summary>
internal enum LinkKind
{
    /// <summary>A physical or virtual Ethernet NIC (also veth, virtio, e1000...).</summary>
    Ethernet,
    Loopback,
    Bridge,
    Bond,
    Team,
    Vlan,
    Wireless,
    /// <summary>tun/tap, vnet (a guest's interface), dummy, and anything else.</summary>
    Other,
}

/// <summary>One IP address on a link, as `ip -o addr` shows it.</summary>
internal sealed class LinkAddress
{
    public LinkAddress(string address, int prefixLength, bool isIPv6, bool dynamic)
    {
        Address = address;
        PrefixLength = prefixLength;
        IsIPv6 = isIPv6;
        Dynamic = dynamic;
    }

    public string Address { get; }

    public int PrefixLength { get; }

    public bool IsIPv6 { get; }

    /// <summary>Leased (DHCP/SLAAC: "dynamic" in ip's output), not configured.</summary>
    public bool Dynamic { get; }

    /// <summary>fe80::/10: every IPv6 link has one; it never moves to the bridge.</summary>
    public bool IsLinkLocal => IsIPv6 && Address.StartsWith("fe80:", StringComparison.OrdinalIgnoreCase);

    public override string ToString() => $"{Address}/{PrefixLength}";
}

/// <summary>A network link of the host (`ip -o -d link`, `ip -o addr`, /sys/class/net).</summary>
internal sealed class NetworkLink
{
    public string Name { get; set; } = "";

    public LinkKind Kind { get; set; }

    public string MacAddress { get; set; } = "";

    /// <summary>The bridge, bond or team this link is a port of; empty when none.</summary>
    public string Master { get; set; } = "";

    /// <summary>The kind of <see cref="Master"/> ("bridge", "bond", "team", "openvswitch"...).</summary>
    public string MasterKind { get; set; } = "";

    /// <summary>UP in the link flags (administratively up).</summary>
    public bool IsUp { get; set; }

    /// <summary>LOWER_UP: a carrier.</summary>
    public bool HasCarrier { get; set; }

    public int Mtu { get; set; }

    /// <summary>For a bridge: spanning tree on (stp_state 1).</summary>
    public bool Stp { get; set; }

    /// <summary>For a bridge: its ports (for a bond or team: its slaves, which the kernel also calls ports).</summary>
    public List<string> Ports { get; } = new();

    /// <summary>For a VLAN: the link it is on ("eth0" of eth0.100); empty otherwise.</summary>
    public string Parent { get; set; } = "";

    /// <summary>For a VLAN: its 802.1Q id; 0 otherwise.</summary>
    public int VlanId { get; set; }

    public List<LinkAddress> Addresses { get; } = new();
}

/// <summary>A default route (`ip -o route show default`, and -6).</summary>
internal sealed class DefaultRoute
{
    public DefaultRoute(string gateway, string device, bool isIPv6, int metric)
    {
        Gateway = gateway;
        Device = device;
        IsIPv6 = isIPv6;
        Metric = metric;
    }

    public string Gateway { get; }

    public string Device { get; }

    public bool IsIPv6 { get; }

    public int Metric { get; }
}

/// <summary>A NetworkManager connection profile (`nmcli -t connection show` and its details).</summary>
internal sealed class NmProfile
{
    public string Name { get; set; } = "";

    public string Uuid { get; set; } = "";

    /// <summary>802-3-ethernet, bridge, bridge-slave is not a type (slave-type is), bond...</summary>
    public string Type { get; set; } = "";

    /// <summary>The device it is active on; empty when inactive.</summary>
    public string ActiveDevice { get; set; } = "";

    /// <summary>connection.interface-name: the device it applies to; empty for any.</summary>
    public string InterfaceName { get; set; } = "";

    /// <summary>The file that stores it: /etc/NetworkManager/system-connections/*.nmconnection (keyfile) or /etc/sysconfig/network-scripts/ifcfg-* (ifcfg-rh).</summary>
    public string FileName { get; set; } = "";

    /// <summary>connection.master / connection.controller: the profile or device it is a port of.</summary>
    public string Master { get; set; } = "";

    /// <summary>connection.slave-type / port-type: bridge, bond, team.</summary>
    public string SlaveType { get; set; } = "";

    public bool Autoconnect { get; set; } = true;

    /// <summary>ipv4.method: auto (DHCP), manual, link-local, shared, disabled.</summary>
    public string Ipv4Method { get; set; } = "";

    /// <summary>ipv4.addresses, "a.b.c.d/nn".</summary>
    public List<string> Ipv4Addresses { get; } = new();

    public string Ipv4Gateway { get; set; } = "";

    public List<string> Ipv4Dns { get; } = new();

    public string Ipv4DnsSearch { get; set; } = "";

    /// <summary>ipv6.method: auto, dhcp, manual, link-local, ignore, disabled.</summary>
    public string Ipv6Method { get; set; } = "";

    public List<string> Ipv6Addresses { get; } = new();

    public string Ipv6Gateway { get; set; } = "";

    public bool IsKeyfile => FileName.StartsWith("/etc/NetworkManager/", StringComparison.Ordinal) || FileName.StartsWith("/run/NetworkManager/", StringComparison.Ordinal);
}

/// <summary>
/// The network side of a host, from one probe round trip (network-probe.sh): links, addresses,
/// routes, DNS, NetworkManager and its profiles, network-scripts ifcfg files, and the tools there.
/// </summary>
internal sealed class NetworkFacts
{
    public List<NetworkLink> Links { get; } = new();

    public List<DefaultRoute> DefaultRoutes { get; } = new();

    /// <summary>nameserver lines of /etc/resolv.conf, in order.</summary>
    public List<string> DnsServers { get; } = new();

    /// <summary>search (or domain) of /etc/resolv.conf.</summary>
    public List<string> DnsSearch { get; } = new();

    /// <summary>NetworkManager answers (nmcli -t -f RUNNING general: running).</summary>
    public bool NetworkManagerRunning { get; set; }

    /// <summary>The devices NetworkManager manages (nmcli -t -f DEVICE,STATE device: not "unmanaged").</summary>
    public HashSet<string> NmManagedDevices { get; } = new(StringComparer.Ordinal);

    /// <summary>Every device NetworkManager lists, with its state as nmcli says it ("connected", "connected (externally)", "unmanaged"...).</summary>
    public Dictionary<string, string> NmDeviceStates { get; } = new(StringComparer.Ordinal);

    public List<NmProfile> NmProfiles { get; } = new();

    /// <summary>/etc/sysconfig/network-scripts/ifcfg-* (name after "ifcfg-") with their KEY=value lines (quotes removed).</summary>
    public Dictionary<string, Dictionary<string, string>> IfcfgFiles { get; } = new(StringComparer.Ordinal);

    /// <summary>The raw text of each ifcfg file, as it was (what a rollback restores byte for byte).</summary>
    public Dictionary<string, string> IfcfgText { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// /etc/sysconfig/network-scripts/route-* and route6-* (by file name, "route-eth0") as they were:
    /// static routes written for a NIC stop applying once its addressing moves to the bridge.
    /// </summary>
    public Dictionary<string, string> RouteFiles { get; } = new(StringComparer.Ordinal);

    /// <summary>/etc/sysconfig/network (RHEL 5/6 often keep GATEWAY= and GATEWAYDEV= there), KEY=value, quotes removed.</summary>
    public Dictionary<string, string> SysconfigNetwork { get; } = new(StringComparer.Ordinal);

    /// <summary>The raw text of /etc/sysconfig/network; null when the file does not exist.</summary>
    public string? SysconfigNetworkText { get; set; }

    /// <summary>Commands on the PATH of the session: nmcli, ip, ifup, ifdown, brctl, service, ping, getent...</summary>
    public HashSet<string> Tools { get; } = new(StringComparer.Ordinal);

    /// <summary>/etc/init.d/network or /etc/rc.d/init.d/network exists (RHEL 5-7 network service).</summary>
    public bool HasNetworkService { get; set; }

    /// <summary>Bridges that libvirt networks own (virbr0 of "default"), bridge name to network name.</summary>
    public Dictionary<string, string> LibvirtBridges { get; } = new(StringComparer.Ordinal);

    /// <summary>Why virsh could not list the networks (empty when it could): LibvirtBridges is then unknown, not empty.</summary>
    public string LibvirtRefusal { get; set; } = "";

    /// <summary>/etc/redhat-release's major version, or 0 (not RHEL-like or unknown).</summary>
    public int RhelMajor { get; set; }

    /// <summary>/etc/redhat-release's first line as it was, or empty.</summary>
    public string RedHatRelease { get; set; } = "";

    /// <summary>The probe ran to its end marker: without it the output was cut off and facts may be missing.</summary>
    public bool ProbeComplete { get; set; }

    public NetworkLink? Link(string name) => Links.FirstOrDefault(l => l.Name == name);

    /// <summary>The IPv4 default route (the lowest metric), or null.</summary>
    public DefaultRoute? Ipv4Gateway => DefaultRoutes.Where(r => !r.IsIPv6).OrderBy(r => r.Metric).FirstOrDefault();

    /// <summary>The profile active on a device, or null.</summary>
    public NmProfile? ActiveProfile(string device) => NmProfiles.FirstOrDefault(p => p.ActiveDevice == device);
}
