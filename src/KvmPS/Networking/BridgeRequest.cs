using System;
using System.Collections.Generic;

namespace KvmPS.Networking;

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
