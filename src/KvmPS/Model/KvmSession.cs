using System;
using System.Management.Automation;
using KvmPS.Sessions;

namespace KvmPS;

/// <summary>How a session reaches its host.</summary>
public enum KvmTransport
{
    /// <summary>This machine, through a local shell: no SSH.</summary>
    Local,

    /// <summary>An SSH connection.</summary>
    Ssh,
}

public enum KvmSessionState
{
    /// <summary>Connected and usable.</summary>
    Opened,

    /// <summary>The connection was lost; the next command reconnects.</summary>
    Broken,

    /// <summary>Closed with Disconnect-KvmHost; it cannot be used again.</summary>
    Closed,
}

/// <summary>A connection to one KVM host, local or over SSH. Returned by Connect-KvmHost.</summary>
public sealed class KvmSession
{
    /// <summary>For tests and mocks; a session made this way is not connected to anything.</summary>
    public KvmSession()
    {
    }

    internal KvmSession(HostConnection connection)
    {
        Connection = connection;
    }

    public int Id { get; set; }

    /// <summary>The name the session was opened with; -ComputerName finds pooled sessions by it.</summary>
    public string ComputerName { get; set; } = "";

    /// <summary>A short name given with Connect-KvmHost -Name; -ComputerName finds the session by it too.</summary>
    public string Name { get; set; } = "";

    public int Port { get; set; }

    public string UserName { get; set; } = "";

    public KvmTransport Transport { get; set; }

    /// <summary>SHA256 fingerprint of the host key, as ssh-keygen -l prints it; empty for local sessions.</summary>
    public string HostKeyFingerprint { get; set; } = "";

    /// <summary>The host key algorithm, e.g. ssh-ed25519.</summary>
    public string HostKeyAlgorithm { get; set; } = "";

    /// <summary>True when commands run as root (directly or through sudo).</summary>
    public bool IsElevated { get; set; }

    /// <summary>How commands get root: None (already root or not elevated), Sudo.</summary>
    public string Elevation { get; set; } = "";

    public string ServerVersion { get; set; } = "";

    public DateTime ConnectedAt { get; set; }

    /// <summary>
    /// Batches of commands sent to the host since the session opened. Each batch is one network
    /// round trip whatever its size, so the difference before and after a command is what that
    /// command costs on a slow link.
    /// </summary>
    public long RoundTrips => Connection?.Shell.RoundTrips ?? 0;

    public KvmSessionState State
    {
        get => Connection is null ? _state : Connection.State;
        set => _state = value;
    }

    internal HostConnection? Connection { get; }

    private KvmSessionState _state = KvmSessionState.Closed;

    /// <summary>True when the name (wildcards allowed) matches the session's computer name or its -Name.</summary>
    internal bool IsNamed(string pattern)
    {
        WildcardPattern wildcard = WildcardPattern.Get(pattern, WildcardOptions.IgnoreCase);
        return wildcard.IsMatch(ComputerName) || (Name.Length > 0 && wildcard.IsMatch(Name));
    }

    public override string ToString()
        => Transport == KvmTransport.Local ? $"{ComputerName} (local)"
            : ComputerName.IndexOf('@') >= 0 ? $"{ComputerName}:{Port}"
            : $"{UserName}@{ComputerName}:{Port}";
}
