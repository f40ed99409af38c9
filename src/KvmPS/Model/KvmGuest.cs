using System;

namespace KvmPS;

/// <summary>A guest's state as libvirt reports it (virsh domstate).</summary>
public enum KvmGuestState
{
    Unknown,
    Running,
    Blocked,
    Paused,
    ShuttingDown,
    ShutOff,
    Crashed,
    Suspended,
}

/// <summary>A guest (libvirt domain) on a KVM host. Returned by Get-KvmGuest and New-KvmGuest.</summary>
public sealed class KvmGuest
{
    public string ComputerName { get; set; } = "";

    public string Name { get; set; } = "";

    public Guid Uuid { get; set; }

    public KvmGuestState State { get; set; }

    /// <summary>The domain id while it runs; null when shut off.</summary>
    public int? Id { get; set; }

    public int ProcessorCount { get; set; }

    /// <summary>Maximum memory (the domain's &lt;memory&gt;).</summary>
    public long MemoryBytes { get; set; }

    public bool Autostart { get; set; }

    /// <summary>False for a transient guest (created without a definition).</summary>
    public bool Persistent { get; set; }

    /// <summary>kvm (hardware acceleration) or qemu (software emulation, TCG).</summary>
    public string DomainType { get; set; } = "";

    /// <summary>host-model, host-passthrough, maximum, custom (a named model) or empty.</summary>
    public string CpuMode { get; set; } = "";

    /// <summary>Bios or Uefi.</summary>
    public string Firmware { get; set; } = "";

    /// <summary>The machine type, e.g. pc-q35-7.2.</summary>
    public string Machine { get; set; } = "";

    public KvmGuestDisk[] Disks { get; set; } = Array.Empty<KvmGuestDisk>();

    public KvmGuestNetworkAdapter[] NetworkAdapters { get; set; } = Array.Empty<KvmGuestNetworkAdapter>();

    /// <summary>Every address of every adapter (from libvirt's DHCP leases and the host's ARP table).</summary>
    public string[] IPAddresses { get; set; } = Array.Empty<string>();

    /// <summary>The session the guest was read through; cmdlets given this guest use it.</summary>
    public KvmSession? Session { get; set; }

    public override string ToString() => $"{Name} on {ComputerName} ({State})";
}

/// <summary>A disk or CD-ROM of a guest.</summary>
public sealed class KvmGuestDisk
{
    /// <summary>The device name in the guest, e.g. vda, sda, hdc.</summary>
    public string Target { get; set; } = "";

    /// <summary>disk, cdrom or floppy.</summary>
    public string Device { get; set; } = "";

    /// <summary>virtio, sata, scsi, ide, usb.</summary>
    public string Bus { get; set; } = "";

    /// <summary>The file or block device on the host; empty for an empty CD-ROM drive.</summary>
    public string Path { get; set; } = "";

    /// <summary>file, block, volume or network: what Path is.</summary>
    public string SourceType { get; set; } = "";

    /// <summary>qcow2, raw...</summary>
    public string Format { get; set; } = "";

    /// <summary>Virtual size; -1 when unknown.</summary>
    public long CapacityBytes { get; set; } = -1;

    /// <summary>Space used on the host; -1 when unknown.</summary>
    public long AllocationBytes { get; set; } = -1;

    /// <summary>The image this one is a thin clone of (qcow2 backing file), empty when none.</summary>
    public string BackingFile { get; set; } = "";

    public override string ToString() => $"{Target}: {Path}";
}

/// <summary>A network adapter of a guest.</summary>
public sealed class KvmGuestNetworkAdapter
{
    public string MacAddress { get; set; } = "";

    /// <summary>network (a libvirt network), bridge, direct (macvtap) or user.</summary>
    public string Type { get; set; } = "";

    /// <summary>The network or bridge name.</summary>
    public string Source { get; set; } = "";

    /// <summary>virtio, e1000, rtl8139...</summary>
    public string Model { get; set; } = "";

    /// <summary>The host-side tap device while the guest runs, e.g. vnet0.</summary>
    public string Device { get; set; } = "";

    public string[] IPAddresses { get; set; } = Array.Empty<string>();

    public override string ToString() => $"{MacAddress} on {Type} {Source}";
}
