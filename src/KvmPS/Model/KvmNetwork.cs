using System;

namespace KvmPS;

/// <summary>A libvirt virtual network of a host (the NAT network "default" on virbr0, isolated or routed ones), as Get-KvmNetwork returns it.</summary>
public sealed class KvmNetwork
{
    public string ComputerName { get; set; } = "";

    public string Name { get; set; } = "";

    public Guid Uuid { get; set; }

    /// <summary>The host bridge guests on the network plug into, e.g. virbr0.</summary>
    public string Bridge { get; set; } = "";

    /// <summary>nat, route, open, bridge, passthrough...; isolated when the network has no forward element.</summary>
    public string ForwardMode { get; set; } = "";

    /// <summary>The host's address on the network (the guests' gateway and DNS server), e.g. 192.168.122.1.</summary>
    public string IPAddress { get; set; } = "";

    /// <summary>The IPv4 subnet, e.g. 192.168.122.0/24.</summary>
    public string Subnet { get; set; } = "";

    /// <summary>The DHCP range handed out to guests, e.g. 192.168.122.2-192.168.122.254; empty without DHCP.</summary>
    public string DhcpRange { get; set; } = "";

    public bool Active { get; set; }

    public bool Autostart { get; set; }

    public bool Persistent { get; set; }

    /// <summary>The session the network was read through.</summary>
    public KvmSession? Session { get; set; }

    public override string ToString() => $"{Name} on {ComputerName}";
}
