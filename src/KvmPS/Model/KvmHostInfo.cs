using System;

namespace KvmPS;

/// <summary>Facts about one KVM host, from one probe round trip. Returned by Get-KvmHost.</summary>
public sealed class KvmHostInfo
{
    public string ComputerName { get; set; } = "";

    /// <summary>The host's own name (uname -n).</summary>
    public string HostName { get; set; } = "";

    /// <summary>os-release ID (rhel, centos, rocky, almalinux, fedora, debian, ubuntu...).</summary>
    public string OSId { get; set; } = "";

    public string OSName { get; set; } = "";

    public string OSVersion { get; set; } = "";

    /// <summary>The major release as a number (9 for RHEL 9.4), 0 when unknown.</summary>
    public int OSMajorVersion { get; set; }

    /// <summary>RedHat (rhel, centos, rocky, alma, fedora, ol), Debian (debian, ubuntu), Suse, or Other.</summary>
    public string OSFamily { get; set; } = "";

    public string KernelVersion { get; set; } = "";

    public string Architecture { get; set; } = "";

    /// <summary>GenuineIntel, AuthenticAMD...</summary>
    public string CpuVendor { get; set; } = "";

    public string CpuModel { get; set; } = "";

    public int LogicalProcessorCount { get; set; }

    /// <summary>vmx (Intel VT-x), svm (AMD-V), or empty when the CPU shows neither.</summary>
    public string VirtualizationFlag { get; set; } = "";

    /// <summary>The CPU reports that it runs under a hypervisor (the "hypervisor" flag).</summary>
    public bool IsVirtualMachine { get; set; }

    public string[] CpuFlags { get; set; } = Array.Empty<string>();

    public long MemoryTotalBytes { get; set; }

    public long MemoryAvailableBytes { get; set; }

    /// <summary>Loaded kvm modules: kvm, kvm_intel, kvm_amd, kvm_pvm...</summary>
    public string[] KvmModules { get; set; } = Array.Empty<string>();

    public bool KvmDevicePresent { get; set; }

    /// <summary>Mode, owner and group of /dev/kvm, e.g. "crw-rw---- 0:36".</summary>
    public string KvmDevicePermissions { get; set; } = "";

    /// <summary>Systemd, SysV, or None (no init system manages services).</summary>
    public string InitSystem { get; set; } = "";

    /// <summary>NetworkManager, NetworkScripts (ifcfg), Ifupdown, Netplan, or None.</summary>
    public string NetworkBackend { get; set; } = "";

    /// <summary>dnf, yum, apt-get, zypper, or empty.</summary>
    public string PackageManager { get; set; } = "";

    /// <summary>Enforcing, Permissive, Disabled, or NotInstalled.</summary>
    public string SELinux { get; set; } = "";

    /// <summary>The libvirt client version (virsh --version), empty when not installed.</summary>
    public string LibvirtVersion { get; set; } = "";

    public string QemuVersion { get; set; } = "";

    /// <summary>Monolithic (libvirtd), Modular (virtqemud and friends), NotRunning, or NotInstalled.</summary>
    public string LibvirtDaemon { get; set; } = "";

    /// <summary>Defined guests; -1 when libvirt could not be asked.</summary>
    public int GuestCount { get; set; }

    public int RunningGuestCount { get; set; }

    /// <summary>The probe ran as root (directly or through sudo).</summary>
    public bool IsElevated { get; set; }

    public DateTime ProbedAt { get; set; }

    public override string ToString() => $"{ComputerName} ({OSName} {OSVersion})";

    /// <summary>A copy for the pipeline, so that callers cannot change the facts cached in the session.</summary>
    internal KvmHostInfo Copy()
    {
        var copy = (KvmHostInfo)MemberwiseClone();
        copy.CpuFlags = (string[])CpuFlags.Clone();
        copy.KvmModules = (string[])KvmModules.Clone();
        return copy;
    }
}
