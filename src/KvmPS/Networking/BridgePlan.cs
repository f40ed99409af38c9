using System.Collections.Generic;
using System.Linq;
using System.Text;
using KvmPS.Transport;

namespace KvmPS.Networking;

/// <summary>The addressing a bridge gets: DHCP, or static addresses with a gateway and DNS.</summary>
internal sealed class BridgeAddressing
{
    public bool Dhcp { get; set; }

    /// <summary>Static IPv4 addresses, "a.b.c.d/nn", the primary first.</summary>
    public List<string> Ipv4 { get; } = new();

    public string Gateway { get; set; } = "";

    public List<string> Dns { get; } = new();

    public List<string> DnsSearch { get; } = new();

    /// <summary>Static IPv6 addresses, "addr/nn" (link-local ones never move: the bridge makes its own).</summary>
    public List<string> Ipv6 { get; } = new();

    /// <summary>IPv6 by router advertisements / DHCPv6, as the NIC had it.</summary>
    public bool Ipv6Auto { get; set; }

    public bool IsEmpty => !Dhcp && Ipv4.Count == 0 && Ipv6.Count == 0 && !Ipv6Auto;

    public override string ToString()
    {
        if (IsEmpty)
        {
            return "no address";
        }

        var parts = new List<string>();
        if (Dhcp)
        {
            parts.Add("DHCP");
        }

        parts.AddRange(Ipv4);
        parts.AddRange(Ipv6);
        if (Ipv6Auto)
        {
            parts.Add("IPv6 auto");
        }

        if (Gateway.Length > 0)
        {
            parts.Add("gateway " + Gateway);
        }

        if (Dns.Count > 0)
        {
            parts.Add("DNS " + string.Join(",", Dns));
        }

        return string.Join(", ", parts);
    }
}

/// <summary>A file the change writes: its path and new content (what -WhatIf shows for ifcfg).</summary>
internal sealed class BridgeFile
{
    public BridgeFile(string path, string content)
    {
        Path = path;
        Content = content;
    }

    public string Path { get; }

    public string Content { get; }
}

/// <summary>
/// A bridge change, ready to run detached on the host: the files to write, the commands that
/// apply it, and the commands that put the host back as it was. Every command is an argv list,
/// quoted once when the scripts are rendered.
/// </summary>
internal sealed class BridgePlan
{
    public BridgePlan(BridgeRequest request, KvmBridgeBackend backend, BridgeAddressing addressing, string macAddress)
    {
        Request = request;
        Backend = backend;
        Addressing = addressing;
        MacAddress = macAddress;
    }

    public BridgeRequest Request { get; }

    /// <summary>The backend chosen (never Auto).</summary>
    public KvmBridgeBackend Backend { get; }

    public BridgeAddressing Addressing { get; }

    /// <summary>The NIC's MAC, which the bridge takes so that a DHCP server gives it the NIC's lease.</summary>
    public string MacAddress { get; }

    /// <summary>Files written by the change; the ones that exist are backed up first.</summary>
    public List<BridgeFile> Files { get; } = new();

    /// <summary>Files the change deletes (backed up first, restored by the rollback).</summary>
    public List<string> DeletedFiles { get; } = new();

    /// <summary>Files the change's commands rewrite (NetworkManager's profiles): backed up first, restored by the rollback.</summary>
    public List<string> PreservedFiles { get; } = new();

    public List<string[]> Apply { get; } = new();

    /// <summary>Takes the bridge down before the backed-up files come back; each command may fail without stopping the rest.</summary>
    public List<string[]> Teardown { get; } = new();

    /// <summary>Brings the NIC back up as it was, after the files; each command may fail without stopping the rest.</summary>
    public List<string[]> Restore { get; } = new();

    public List<string> Warnings { get; } = new();

    /// <summary>The change takes the bridge away (Remove-KvmBridge): the NIC gets the addressing back.</summary>
    public bool Removes { get; set; }

    /// <summary>Survives a reboot (not iproute2).</summary>
    public bool Persistent => Backend != KvmBridgeBackend.IpRoute;

    /// <summary>The whole plan as -WhatIf shows it: backend, addressing, files with their content, commands, rollback.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        if (Removes)
        {
            text.Append($"Remove bridge {Request.Name} ({Backend}); {Request.InterfaceName} gets its addressing back: {Addressing}.\n");
        }
        else
        {
            text.Append($"Bridge {Request.Name} from {Request.InterfaceName} with {Backend} ({(Persistent ? "persistent" : "until the next reboot")}); ")
                .Append($"addressing: {Addressing}; MAC {MacAddress}; STP {(Request.Stp ? "on" : "off")}.\n");
        }
        foreach (BridgeFile file in Files)
        {
            text.Append($"Write {file.Path}:\n");
            foreach (string line in file.Content.TrimEnd('\n').Split('\n'))
            {
                text.Append("    ").Append(line).Append('\n');
            }
        }

        foreach (string path in DeletedFiles)
        {
            text.Append($"Delete {path}\n");
        }

        text.Append("Apply (detached, after arming a rollback in ").Append((int)Request.RollbackTimeout.TotalSeconds).Append(" s):\n");
        foreach (string[] command in Apply)
        {
            text.Append("    ").Append(PosixQuote.Join(command)).Append('\n');
        }

        text.Append("Rollback (if the host cannot be reached and verified on a new connection):\n");
        foreach (string[] command in Teardown)
        {
            text.Append("    ").Append(PosixQuote.Join(command)).Append('\n');
        }

        if (BackedUpPaths.Any())
        {
            text.Append($"    (put back as they were before: {string.Join(", ", BackedUpPaths)})\n");
        }

        foreach (string[] command in Restore)
        {
            text.Append("    ").Append(PosixQuote.Join(command)).Append('\n');
        }

        return text.ToString().TrimEnd('\n');
    }

    /// <summary>Every file the change touches, backed up before it and put back by the rollback (deleted if it did not exist).</summary>
    internal IEnumerable<string> BackedUpPaths => Files.Select(f => f.Path).Concat(DeletedFiles).Concat(PreservedFiles).Distinct();
}
