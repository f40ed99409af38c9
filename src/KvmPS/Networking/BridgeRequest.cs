using System;
using System.Collections.Generic;

namespace KvmPS.Networking;

/// <summary>Which tool makes the bridge (New-KvmBridge -Backend).</summary>
public enum KvmBridgeBackend
{
    /// <summary>NetworkManager when it runs and manages the NIC, else network-scripts, else iproute2.</summary>
    Auto,

    /// <summary>nmcli profiles (keyfile or ifcfg-rh, whatever the host stores them in).</summary>
    NetworkManager,

    /// <summary>/etc/sysconfig/network-scripts files and the network service (RHEL 5, 6, 7 without NetworkManager).</summary>
    Ifcfg,

    /// <summary>ip link/addr/route only: works everywhere, lost at the next reboot.</summary>
    IpRoute,
}

/// <summary>Where the bridge's addresses come from.</summary>
internal enum BridgeAddressSource
{
    /// <summary>What the NIC has now: its static addresses, gateway and DNS, or DHCP.</summary>
    Keep,

    /// <summary>-IPAddress/-PrefixLength/-Gateway/-DnsServer.</summary>
    Static,

    /// <summary>-Dhcp.</summary>
    Dhcp,
}

/// <summary>What New-KvmBridge was asked for, parameters already bound.</summary>
internal sealed class BridgeRequest
{
    public string Name { get; set; } = "br0";

    public string InterfaceName { get; set; } = "";

    public BridgeAddressSource AddressSource { get; set; } = BridgeAddressSource.Keep;

    /// <summary>IPv4 addresses for <see cref="BridgeAddressSource.Static"/>, "a.b.c.d/nn".</summary>
    public List<string> Addresses { get; } = new();

    public string Gateway { get; set; } = "";

    public List<string> DnsServers { get; } = new();

    public bool Stp { get; set; }

    public KvmBridgeBackend Backend { get; set; } = KvmBridgeBackend.Auto;

    public TimeSpan RollbackTimeout { get; set; } = TimeSpan.FromSeconds(60);
}
