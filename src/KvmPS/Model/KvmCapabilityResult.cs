using System;

namespace KvmPS;

public enum KvmCheckStatus
{
    Pass,
    Warn,
    Fail,
    NotApplicable,
}

/// <summary>One capability check on one host. Returned by Test-KvmCapability.</summary>
public sealed class KvmCapabilityResult
{
    public string ComputerName { get; set; } = "";

    /// <summary>A stable id, e.g. CpuVirtualization; -Check selects by it.</summary>
    public string Check { get; set; } = "";

    public KvmCheckStatus Status { get; set; }

    /// <summary>What was found.</summary>
    public string Detail { get; set; } = "";

    /// <summary>The exact commands that fix it on this host's distribution and release; empty when nothing needs fixing.</summary>
    public string Remediation { get; set; } = "";

    public override string ToString() => $"{ComputerName} {Check}: {Status}";
}

/// <summary>The verdict for one host: can it run KVM guests well. Returned by Test-KvmCapability after the checks.</summary>
public sealed class KvmCapabilitySummary
{
    public string ComputerName { get; set; } = "";

    /// <summary>True when no check failed.</summary>
    public bool IsCapable { get; set; }

    /// <summary>KVM (hardware acceleration), TCG (software emulation only) or None (libvirt cannot run guests).</summary>
    public string Acceleration { get; set; } = "";

    /// <summary>"Red Hat Enterprise Linux 9.4" and the like.</summary>
    public string OperatingSystem { get; set; } = "";

    public int Passed { get; set; }

    public int Warnings { get; set; }

    public int Failures { get; set; }

    /// <summary>The ids of the failed checks.</summary>
    public string[] FailedChecks { get; set; } = Array.Empty<string>();

    public KvmCapabilityResult[] Results { get; set; } = Array.Empty<KvmCapabilityResult>();

    public override string ToString() => $"{ComputerName}: {(IsCapable ? "capable" : "not capable")} ({Acceleration})";
}
