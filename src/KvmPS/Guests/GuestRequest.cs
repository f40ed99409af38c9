using System;
using System.Collections.Generic;

namespace KvmPS.Guests;

/// <summary>
/// Everything New-KvmGuest can be asked for, from its parameters or from one entry of a -Spec YAML
/// file. Null means "not given" (the defaults apply when the plan is made).
/// </summary>
internal sealed class GuestRequest
{
    public string Name { get; set; } = "";

    /// <summary>From a spec entry: the host to create it on (else the cmdlet's target).</summary>
    public string? ComputerName { get; set; }

    public long? MemoryBytes { get; set; }

    public int? ProcessorCount { get; set; }

    /// <summary>host-model (default), host-passthrough, maximum, or a named CPU model.</summary>
    public string? CpuMode { get; set; }

    public long? DiskSizeBytes { get; set; }

    public string? BaseImage { get; set; }

    public bool FullClone { get; set; }

    public string? ImportDisk { get; set; }

    public string? IsoPath { get; set; }

    public List<long> DataDiskSizeBytes { get; set; } = new();

    public string? StoragePool { get; set; }

    public List<string> Network { get; set; } = new();

    public List<string> Bridge { get; set; } = new();

    public List<string> MacAddress { get; set; } = new();

    /// <summary>Bios or Uefi.</summary>
    public string? Firmware { get; set; }

    public bool SecureBoot { get; set; }

    public bool Tpm { get; set; }

    public string? OSVariant { get; set; }

    /// <summary>Vnc, Spice or None.</summary>
    public string? Graphics { get; set; }

    public string? KernelPath { get; set; }

    public string? InitrdPath { get; set; }

    public string? KernelArguments { get; set; }

    public CloudInitRequest? CloudInit { get; set; }

    public bool Start { get; set; }

    public bool Wait { get; set; }

    public bool WaitForIPAddress { get; set; }

    public bool Autostart { get; set; }

    /// <summary>Where the request came from, for error messages: "spec.yaml:12:5" or "parameters".</summary>
    public string Origin { get; set; } = "parameters";
}

/// <summary>The cloud-init NoCloud seed: either generated from these fields or given as files.</summary>
internal sealed class CloudInitRequest
{
    public string? User { get; set; }

    public List<string> SshPublicKeys { get; set; } = new();

    /// <summary>A SHA-512 crypt hash ($6$...), never the password itself.</summary>
    public string? PasswordHash { get; set; }

    /// <summary>The text of a user-data file given by the admin (used as is).</summary>
    public string? UserData { get; set; }

    /// <summary>The text of a network-config file (v1 or v2), used as is.</summary>
    public string? NetworkConfig { get; set; }
}

/// <summary>A spec file problem, with the position of the offending node.</summary>
internal sealed class GuestSpecException : Exception
{
    public GuestSpecException(string source, int line, int column, string message)
        : base($"{source}:{line}:{column}: {message}")
    {
        Source = source;
        Line = line;
        Column = column;
        Problem = message;
    }

    public new string Source { get; }

    public int Line { get; }

    public int Column { get; }

    public string Problem { get; }
}

/// <summary>YAML work, implemented in KvmPS.Yaml with YamlDotNet and loaded in isolation.</summary>
internal interface IYamlEngine
{
    /// <summary>
    /// Reads a -Spec file: a mapping with a "guests" list, or a list of guests, or one guest mapping.
    /// Keys are the New-KvmGuest parameter names (case-insensitive), cloud-init settings under
    /// "cloudInit". Relative file paths (userData, networkConfig) are resolved against
    /// <paramref name="baseDirectory"/> and their contents read. Throws GuestSpecException with
    /// the line and column of the first problem.
    /// </summary>
    IReadOnlyList<GuestRequest> ReadGuestSpecs(string yaml, string source, string baseDirectory);

    /// <summary>"#cloud-config" user-data for the request's user, keys and password hash.</summary>
    string CloudConfig(string hostName, CloudInitRequest request);
}
