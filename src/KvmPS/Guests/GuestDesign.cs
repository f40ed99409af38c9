using System;
using System.Collections.Generic;

namespace KvmPS.Guests;

/// <summary>A disk of a guest being designed: where its image is and how the guest sees it.</summary>
internal sealed class DiskDesign
{
    public string Path { get; set; } = "";

    public string Format { get; set; } = "qcow2";

    /// <summary>disk or cdrom.</summary>
    public string Device { get; set; } = "disk";

    public string Bus { get; set; } = "virtio";

    public string Target { get; set; } = "";
}

/// <summary>A network adapter of a guest being designed.</summary>
internal sealed class NicDesign
{
    /// <summary>network or bridge.</summary>
    public string Type { get; set; } = "network";

    public string Source { get; set; } = "";

    /// <summary>Null: libvirt picks one (52:54:00:...).</summary>
    public string? MacAddress { get; set; }

    public string Model { get; set; } = "virtio";
}

/// <summary>Every decision about a new guest, ready to be written as libvirt domain XML.</summary>
internal sealed class GuestDesign
{
    public string Name { get; set; } = "";

    public Guid Uuid { get; set; } = Guid.NewGuid();

    /// <summary>kvm or qemu (TCG).</summary>
    public string DomainType { get; set; } = "kvm";

    public long MemoryBytes { get; set; }

    public int ProcessorCount { get; set; } = 1;

    /// <summary>host-model, host-passthrough, maximum, or a named model (custom).</summary>
    public string CpuMode { get; set; } = "host-model";

    public string Machine { get; set; } = "q35";

    public bool Uefi { get; set; }

    public bool SecureBoot { get; set; }

    public bool Tpm { get; set; }

    /// <summary>The libosinfo id (http://...), or empty.</summary>
    public string OsInfoId { get; set; } = "";

    public List<DiskDesign> Disks { get; } = new();

    public List<NicDesign> NetworkAdapters { get; } = new();

    /// <summary>vnc, spice or none.</summary>
    public string Graphics { get; set; } = "vnc";

    public string GraphicsListen { get; set; } = "127.0.0.1";

    /// <summary>
    /// The firmware's boot order ("hd", "cdrom"; not used with direct kernel boot). An installation
    /// ISO goes after a new disk: the blank disk falls through to the installer, and once installed
    /// the guest boots its disk rather than the installer again, without the second definition
    /// virt-install makes. Before a disk that already has an OS (imported, cloned): a rescue ISO.
    /// </summary>
    public List<string> BootDevices { get; } = new() { "hd" };

    /// <summary>Free PCIe root ports for hot-plugged NICs and disks (q35 has no other place for them).</summary>
    public int SpareRootPorts { get; set; } = 14;

    public string? Kernel { get; set; }

    public string? Initrd { get; set; }

    public string? KernelArguments { get; set; }
}
