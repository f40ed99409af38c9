using System;

namespace KvmPS;

/// <summary>A Linux bridge of a host, as Get-KvmBridge (and New-KvmBridge -PassThru) return it.</summary>
public sealed class KvmBridge
{
    public string ComputerName { get; set; } = "";

    public string Name { get; set; } = "";

    /// <summary>The interfaces in the bridge: NICs, bonds, VLANs, and guests' tap devices.</summary>
    public string[] Ports { get; set; } = Array.Empty<string>();

    /// <summary>The ports that are guests' interfaces (tap devices such as vnet0).</summary>
    public string[] GuestInterfaces { get; set; } = Array.Empty<string>();

    /// <summary>Addresses on the bridge, "address/prefix", IPv4 first; link-local IPv6 left out.</summary>
    public string[] IPAddresses { get; set; } = Array.Empty<string>();

    public string MacAddress { get; set; } = "";

    /// <summary>Spanning tree is on.</summary>
    public bool Stp { get; set; }

    /// <summary>Administratively up with a carrier (a bridge has one once a port has).</summary>
    public bool IsUp { get; set; }

    /// <summary>What owns it: NetworkManager, Ifcfg (network-scripts), Libvirt (a libvirt network's bridge), or IpRoute (made at runtime, by nothing that brings it back).</summary>
    public string Backend { get; set; } = "";

    /// <summary>Comes back after a reboot (a profile, an ifcfg file or a libvirt network defines it).</summary>
    public bool Persistent { get; set; }

    /// <summary>The NetworkManager profile or ifcfg file, or the libvirt network, that defines it.</summary>
    public string Definition { get; set; } = "";

    /// <summary>The session the bridge was read through.</summary>
    public KvmSession? Session { get; set; }

    public override string ToString() => $"{Name} on {ComputerName}";
}
