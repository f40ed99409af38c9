namespace KvmPS;

// The enums cmdlet parameters take: in the KvmPS namespace like every other public type, so that
// scripts and mocks name them [KvmPS.KvmMigrationTrustMode] and so on.

/// <summary>What Move-KvmGuest does when -Timeout runs out before the move is done.</summary>
public enum KvmMigrationTimeoutAction
{
    /// <summary>Cancel the move (domjobabort): the guest keeps running on the source.</summary>
    Abort,

    /// <summary>Pause the guest so that the rest of its memory copies without changing (libvirt's --timeout-suspend).</summary>
    Suspend,

    /// <summary>Switch to post-copy: the guest runs on the destination at once (needs -PostCopy).</summary>
    PostCopy,
}

/// <summary>How the source reaches the destination's libvirt over SSH.</summary>
public enum KvmMigrationTrustMode
{
    /// <summary>With the keys root on the source already has.</summary>
    Existing,

    /// <summary>With a one-time key made for this move and removed after it.</summary>
    Ephemeral,
}

/// <summary>The kind of libvirt network New-KvmNetwork makes.</summary>
public enum KvmNetworkMode
{
    /// <summary>Guests reach outside through the host's address (NAT), like libvirt's "default" network.</summary>
    Nat,

    /// <summary>Guests reach each other and the host only.</summary>
    Isolated,

    /// <summary>The host routes the guests' subnet without NAT (the rest of the network needs a route to it).</summary>
    Routed,
}

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
