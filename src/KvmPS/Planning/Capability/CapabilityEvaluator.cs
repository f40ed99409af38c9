using System;
using System.Collections.Generic;
using System.Linq;
using KvmPS.Facts;

namespace KvmPS.Planning.Capability;

/// <summary>
/// Judges a host's facts against what KVM guests need. Pure: facts in, results out, so every
/// release and hardware case is covered by xunit on recorded probe output.
/// </summary>
internal static partial class CapabilityEvaluator
{
    /// <summary>Every check, in the order an admin walks through them (hardware, kernel, libvirt, resources, network).</summary>
    public static readonly IReadOnlyList<string> CheckIds = new[]
    {
        "CpuVirtualization", "HostVirtualization", "NestedVirtualization", "KernelVersion", "KvmModule", "KvmDevice",
        "Acceleration", "VhostNet", "Tun", "Iommu", "Cgroups", "LibvirtInstalled", "QemuInstalled", "LibvirtDaemon",
        "DefaultNetwork", "DefaultStoragePool", "Memory", "ImageStorage", "SELinux", "HostNameResolution",
        "DefaultGateway", "DnsServers",
    };

    private static readonly Dictionary<string, Func<Context, KvmCapabilityResult>> Checks = new(StringComparer.OrdinalIgnoreCase)
    {
        ["CpuVirtualization"] = CpuVirtualization,
        ["HostVirtualization"] = HostVirtualization,
        ["NestedVirtualization"] = NestedVirtualization,
        ["KernelVersion"] = KernelVersion,
        ["KvmModule"] = KvmModule,
        ["KvmDevice"] = KvmDevice,
        ["Acceleration"] = Acceleration,
        ["VhostNet"] = VhostNet,
        ["Tun"] = Tun,
        ["Iommu"] = Iommu,
        ["Cgroups"] = Cgroups,
        ["LibvirtInstalled"] = LibvirtInstalled,
        ["QemuInstalled"] = QemuInstalled,
        ["LibvirtDaemon"] = LibvirtDaemon,
        ["DefaultNetwork"] = DefaultNetwork,
        ["DefaultStoragePool"] = DefaultStoragePool,
        ["Memory"] = Memory,
        ["ImageStorage"] = ImageStorage,
        ["SELinux"] = SELinux,
        ["HostNameResolution"] = HostNameResolution,
        ["DefaultGateway"] = DefaultGateway,
        ["DnsServers"] = DnsServers,
    };

    /// <summary>Runs the selected checks (all when <paramref name="checks"/> is null) in the canonical order.</summary>
    public static IReadOnlyList<KvmCapabilityResult> Evaluate(HostFacts facts, string computerName, ICollection<string>? checks = null)
    {
        var context = new Context(facts, computerName);
        var results = new List<KvmCapabilityResult>();
        foreach (string id in CheckIds)
        {
            if (checks is null || checks.Contains(id, StringComparer.OrdinalIgnoreCase))
            {
                KvmCapabilityResult result = Checks[id](context);
                result.ComputerName = computerName;
                result.Check = id;
                results.Add(result);
            }
        }

        return results;
    }

    public static KvmCapabilitySummary Summarize(HostFacts facts, string computerName, IReadOnlyList<KvmCapabilityResult> results)
    {
        return new KvmCapabilitySummary
        {
            ComputerName = computerName,
            IsCapable = results.All(r => r.Status != KvmCheckStatus.Fail),
            Acceleration = AccelerationOf(new Context(facts, computerName)),
            OperatingSystem = $"{facts.Info.OSName} {facts.Info.OSVersion}".Trim(),
            Passed = results.Count(r => r.Status == KvmCheckStatus.Pass),
            Warnings = results.Count(r => r.Status == KvmCheckStatus.Warn),
            Failures = results.Count(r => r.Status == KvmCheckStatus.Fail),
            FailedChecks = results.Where(r => r.Status == KvmCheckStatus.Fail).Select(r => r.Check).ToArray(),
            Results = results.ToArray(),
        };
    }

    private static KvmCapabilityResult Result(KvmCheckStatus status, string detail, string remediation = "")
        => new() { Status = status, Detail = detail, Remediation = remediation };

    private static KvmCapabilityResult Pass(string detail) => Result(KvmCheckStatus.Pass, detail);

    private static KvmCapabilityResult Warn(string detail, string remediation = "") => Result(KvmCheckStatus.Warn, detail, remediation);

    private static KvmCapabilityResult Fail(string detail, string remediation = "") => Result(KvmCheckStatus.Fail, detail, remediation);

    private static KvmCapabilityResult NotApplicable(string detail) => Result(KvmCheckStatus.NotApplicable, detail);

    private static string GiB(long bytes) => (bytes / (1024.0 * 1024 * 1024)).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + " GiB";

    /// <summary>The facts with what several checks derive from them.</summary>
    private sealed class Context
    {
        public Context(HostFacts facts, string computerName)
        {
            Facts = facts;
            Info = facts.Info;
            ComputerName = computerName;
            Platform = HostPlatform.For(facts);
        }

        public HostFacts Facts { get; }

        public KvmHostInfo Info { get; }

        public string ComputerName { get; }

        public HostPlatform Platform { get; }

        public bool HasVt => Info.VirtualizationFlag.Length > 0;

        public bool LibvirtRunning => Info.LibvirtDaemon is "Monolithic" or "Modular";

        /// <summary>"Install-KvmHost -ComputerName x" as the one-step alternative to the listed commands.</summary>
        public string InstallHint => $"# or, from PowerShell: Install-KvmHost -ComputerName {ComputerName}";
    }
}
