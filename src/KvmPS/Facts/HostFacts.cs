using System;
using System.Collections.Generic;
using System.Linq;

namespace KvmPS.Facts;

/// <summary>A device node as ls -ln shows it: mode string, owner uid, group gid.</summary>
internal sealed class DeviceNode
{
    public DeviceNode(string mode, int ownerId, int groupId)
    {
        Mode = mode;
        OwnerId = ownerId;
        GroupId = groupId;
    }

    public string Mode { get; }

    public int OwnerId { get; }

    public int GroupId { get; }

    /// <summary>Whether a user with this uid and these groups may read and write the node.</summary>
    public bool IsReadWritableBy(int uid, IReadOnlyCollection<int> groups)
    {
        if (uid == 0)
        {
            return true;
        }

        bool Allows(int offset) => Mode.Length > offset + 2 && Mode[offset] == 'r' && Mode[offset + 1] == 'w';
        return Allows(7) || (groups.Contains(GroupId) && Allows(4)) || (uid == OwnerId && Allows(1));
    }
}

/// <summary>A local account as `id` prints it.</summary>
internal sealed class AccountIds
{
    public AccountIds(string name, int uid, IReadOnlyCollection<int> groups)
    {
        Name = name;
        Uid = uid;
        Groups = groups;
    }

    public string Name { get; }

    public int Uid { get; }

    public IReadOnlyCollection<int> Groups { get; }
}

/// <summary>
/// Everything one probe round trip learns about a host. <see cref="Info"/> is the public summary
/// (Get-KvmHost); the rest feeds the capability checks and the install planner.
/// </summary>
internal sealed class HostFacts
{
    public KvmHostInfo Info { get; set; } = new();

    public HashSet<string> Paths { get; set; } = new(StringComparer.Ordinal);

    public HashSet<string> Commands { get; set; } = new(StringComparer.Ordinal);

    public HashSet<string> Daemons { get; set; } = new(StringComparer.Ordinal);

    /// <summary>What the kernel logged about KVM being unavailable (dmesg).</summary>
    public IReadOnlyList<string> KernelVirtMessages { get; set; } = Array.Empty<string>();

    /// <summary>Intel IA32_FEATURE_CONTROL (MSR 0x3a), when /dev/cpu/0/msr was readable.</summary>
    public ulong? IntelFeatureControl { get; set; }

    /// <summary>AMD VM_CR (MSR 0xc0010114), when readable.</summary>
    public ulong? AmdVmCr { get; set; }

    /// <summary>systemd-detect-virt --vm (kvm, vmware, microsoft...), empty for bare metal or unknown.</summary>
    public string DetectedVirtualization { get; set; } = "";

    /// <summary>systemd-detect-virt --container (docker, lxc, podman...), empty when not in a container.</summary>
    public string DetectedContainer { get; set; } = "";

    public string DmiVendor { get; set; } = "";

    public string DmiProduct { get; set; } = "";

    /// <summary>kvm_intel/kvm_amd -> the "nested" module parameter (Y, N, 1, 0).</summary>
    public Dictionary<string, string> NestedParameters { get; set; } = new(StringComparer.Ordinal);

    /// <summary>user = "..." in /etc/libvirt/qemu.conf, null when commented out (the build default applies).</summary>
    public string? QemuConfUser { get; set; }

    public Dictionary<string, AccountIds> Accounts { get; set; } = new(StringComparer.Ordinal);

    public DeviceNode? KvmDevice { get; set; }

    public DeviceNode? VhostNetDevice { get; set; }

    public DeviceNode? TunDevice { get; set; }

    /// <summary>DMAR (Intel) or IVRS (AMD) when the firmware describes an IOMMU.</summary>
    public string IommuTable { get; set; } = "";

    public int IommuGroups { get; set; }

    public string KernelCommandLine { get; set; } = "";

    /// <summary>cgroup2fs (unified v2), tmpfs (v1 hierarchies) or empty.</summary>
    public string CgroupFileSystem { get; set; } = "";

    public IReadOnlyList<string> CgroupV2Controllers { get; set; } = Array.Empty<string>();

    public IReadOnlyList<string> CgroupV1Hierarchies { get; set; } = Array.Empty<string>();

    /// <summary>Installed virtualization packages: name -> version.</summary>
    public Dictionary<string, string> Packages { get; set; } = new(StringComparer.Ordinal);

    /// <summary>systemd units: name -> (is-enabled, is-active).</summary>
    public Dictionary<string, (string Enabled, string Active)> Units { get; set; } = new(StringComparer.Ordinal);

    /// <summary>libvirtd starts at boot under SysV (chkconfig runlevel 3 or 5 on, or an rc S link).</summary>
    public bool SysVLibvirtEnabled { get; set; }

    /// <summary>virsh net-info default, or null when the network does not exist or libvirt did not answer.</summary>
    public Dictionary<string, string>? DefaultNetwork { get; set; }

    public Dictionary<string, string>? DefaultPool { get; set; }

    /// <summary>/var/lib/libvirt/images or its nearest existing parent.</summary>
    public string ImageDirectory { get; set; } = "";

    public long ImageDirectoryAvailableBytes { get; set; } = -1;

    /// <summary>The SELinux context of the image directory ("?" when SELinux is off).</summary>
    public string ImageDirectoryContext { get; set; } = "";

    public bool HostNameResolves { get; set; }

    public string ResolvedHostAddress { get; set; } = "";

    public string Gateway { get; set; } = "";

    public bool? GatewayReachable { get; set; }

    public IReadOnlyList<string> DnsServers { get; set; } = Array.Empty<string>();

    /// <summary>virsh connected to qemu:///system as the probe's user (so the libvirt facts are real).</summary>
    public bool LibvirtConnected { get; set; }

    /// <summary>Why virsh could not connect ("Permission denied", "No such file"...), empty when it did.</summary>
    public string LibvirtRefusal { get; set; } = "";

    /// <summary>Domain types libvirt offers for the host architecture (qemu, kvm); null when libvirt did not answer.</summary>
    public IReadOnlyList<string>? LibvirtDomainTypes { get; set; }
}
