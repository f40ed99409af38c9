using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using KvmPS.Facts;

namespace KvmPS.Guests;

/// <summary>The checks that refuse a request before anything runs, and the design they lead to.</summary>
internal static partial class GuestPlanner
{
    /// <summary>
    /// The checks that need no host: New-KvmGuest runs them before it contacts any host, so that a bad
    /// value is refused as what it is, and never reaches a host command (even quoted).
    /// </summary>
    internal static void ValidateInput(GuestRequest request)
    {
        string name = request.Name;
        GuestNames.Validate(name);
        if (request.ImportDisk is not null && (request.BaseImage is not null || request.DiskSizeBytes is not null))
        {
            throw Refuse("ConflictingDisks", ErrorCategory.InvalidArgument, "-ImportDisk boots an existing disk; it cannot be combined with -BaseImage or -DiskSizeBytes.",
                "Use -ImportDisk alone, or create a new disk with -DiskSizeBytes or -BaseImage.");
        }

        if (request.FullClone && request.BaseImage is null)
        {
            throw Refuse("FullCloneWithoutBase", ErrorCategory.InvalidArgument, "-FullClone copies -BaseImage, which was not given.", "Add -BaseImage <path of the image to copy>.");
        }

        if (request.DiskSizeBytes is null && request.BaseImage is null && request.ImportDisk is null && request.IsoPath is null && request.KernelPath is null)
        {
            throw Refuse("NothingToBoot", ErrorCategory.InvalidArgument, $"'{name}' would have nothing to boot: no disk, no ISO and no kernel.",
                "Give -DiskSizeBytes (a new disk, usually with -IsoPath), -BaseImage, -ImportDisk, or -KernelPath.");
        }

        if (request.InitrdPath is not null && request.KernelPath is null || request.KernelArguments is not null && request.KernelPath is null)
        {
            throw Refuse("InitrdWithoutKernel", ErrorCategory.InvalidArgument, "-InitrdPath and -KernelArguments go with -KernelPath (direct kernel boot).", "Add -KernelPath, or remove them.");
        }

        foreach ((string parameter, string path) in HostPaths(request))
        {
            GuestNames.ValidateHostPath(path, parameter);
        }

        if (request.KernelArguments is not null)
        {
            GuestNames.ValidateKernelArguments(request.KernelArguments);
        }

        foreach (string mac in request.MacAddress)
        {
            _ = GuestNames.MacAddress(mac);
        }

        foreach (string key in request.CloudInit?.SshPublicKeys ?? new List<string>())
        {
            GuestNames.ValidateSshPublicKey(key);
        }
    }

    private static IEnumerable<(string Parameter, string Path)> HostPaths(GuestRequest request)
        => new[]
        {
            ("BaseImage", request.BaseImage), ("ImportDisk", request.ImportDisk), ("IsoPath", request.IsoPath),
            ("KernelPath", request.KernelPath), ("InitrdPath", request.InitrdPath),
        }.Where(p => p.Item2 is not null).Select(p => (p.Item1, p.Item2!));

    private static void Validate(GuestRequest request, HostFacts facts, HostGuestContext host, IReadOnlyList<KvmGuest> existing, string computerName, List<string> warnings)
    {
        ValidateInput(request);
        string name = request.Name;
        // Case-insensitive: -Name selects guests ignoring case, so web1 and WEB1 would be one target.
        KvmGuest? clash = existing.FirstOrDefault(g => string.Equals(g.Name, name, StringComparison.OrdinalIgnoreCase));
        if (clash is not null)
        {
            throw Refuse("GuestExists", ErrorCategory.ResourceExists, $"A guest named '{name}' already exists on {computerName} ({clash.State}).",
                "Choose another name, or remove the existing guest first (Remove-KvmGuest).");
        }

        foreach ((_, string path) in HostPaths(request))
        {
            if (!host.Paths.TryGetValue(path, out HostPath? found) || !found.Exists)
            {
                throw Refuse("PathNotFound", ErrorCategory.ObjectNotFound, $"{path} does not exist on {computerName}.",
                    "Give a path on the host (not on this machine); copy the file there first if needed.");
            }
        }

        // An image qemu-img cannot read would be attached as raw: a qcow2 one would then be destroyed
        // by the guest's first writes.
        foreach ((string parameter, string? image) in new[] { ("BaseImage", request.BaseImage), ("ImportDisk", request.ImportDisk) })
        {
            if (image is not null && (host.Paths[image].VirtualSize < 0 || host.Paths[image].Format.Length == 0))
            {
                throw Refuse("NotADiskImage", ErrorCategory.InvalidData, $"qemu-img cannot read {image} on {computerName} as a disk image.",
                    $"Give a qcow2 or raw disk image as -{parameter}; check that qemu-img is installed on the host (qemu-img info {image}).");
            }
        }

        if (request.BaseImage is not null && request.DiskSizeBytes is long wanted && wanted < host.Paths[request.BaseImage].VirtualSize)
        {
            warnings.Add($"-DiskSizeBytes {wanted} is smaller than the base image ({host.Paths[request.BaseImage].VirtualSize} bytes): the disk gets the base image's size (a disk cannot be smaller than its contents).");
        }

        ValidateCapacity(request, facts, computerName);
        ValidateVolumes(request, host, computerName);
        ValidateNetworks(request, host, computerName);
        ValidateFirmware(request, host, computerName);
        if (request.CpuMode == "host-passthrough" && Acceleration(facts, computerName).Status != KvmCheckStatus.Pass)
        {
            throw Refuse("CpuModeNeedsKvm", ErrorCategory.InvalidArgument, $"-CpuMode host-passthrough needs KVM acceleration, which {computerName} cannot give (QEMU refuses it under TCG): {Acceleration(facts, computerName).Detail}",
                "Use -CpuMode host-model (the default) or maximum.");
        }

        if (request.OSVariant is not null && host.OsInfoId(request.OSVariant).Length == 0)
        {
            if (host.Tools.Contains("osinfo-query"))
            {
                throw Refuse("UnknownOSVariant", ErrorCategory.InvalidArgument, $"osinfo on {computerName} does not know the OS variant '{request.OSVariant}'.",
                    $"List the known ones on the host: osinfo-query os (use the Short ID column), or leave -OSVariant out: it is optional.");
            }

            warnings.Add($"osinfo-query is not installed on {computerName}: the OS variant '{request.OSVariant}' is not recorded in the guest's metadata.");
        }
    }

    private static void ValidateCapacity(GuestRequest request, HostFacts facts, string computerName)
    {
        long memory = request.MemoryBytes ?? DefaultMemory;
        if (memory < 16L * 1024 * 1024 || memory % 1024 != 0)
        {
            throw Refuse("InvalidMemory", ErrorCategory.InvalidArgument, $"-MemoryBytes {memory} is not usable: give at least 16MB, in whole KiB (e.g. 2GB).", "Use a value like 512MB or 2GB.");
        }

        int cpus = request.ProcessorCount ?? 1;
        if (cpus < 1 || cpus > 512)
        {
            throw Refuse("InvalidProcessorCount", ErrorCategory.InvalidArgument, $"-ProcessorCount {cpus} is out of range (1-512).", "Use a value from 1 to the host's logical processors.");
        }

        foreach (long size in new[] { request.DiskSizeBytes ?? 1024 * 1024 }.Concat(request.DataDiskSizeBytes))
        {
            if (size < 1024 * 1024)
            {
                throw Refuse("InvalidDiskSize", ErrorCategory.InvalidArgument, $"A disk of {size} bytes is too small (1MB at least).", "Use a value like 20GB.");
            }
        }
    }

    private static void ValidateVolumes(GuestRequest request, HostGuestContext host, string computerName)
    {
        if (request.StoragePool is not null && request.StoragePool != "default" && host.PoolPath(request.StoragePool).Length == 0)
        {
            throw Refuse("PoolNotFound", ErrorCategory.ObjectNotFound, $"There is no storage pool '{request.StoragePool}' on {computerName}.",
                "Use an existing pool (virsh pool-list --all) or the default one (leave -StoragePool out; it is created when missing).");
        }

        var files = new List<string>();
        if (request.DiskSizeBytes is not null || request.BaseImage is not null)
        {
            files.Add(DiskFile(request.Name));
        }

        files.AddRange(request.DataDiskSizeBytes.Select((_, i) => DataFile(request.Name, i + 1)));
        if (request.CloudInit is not null)
        {
            files.Add(SeedFile(request.Name));
        }

        string? taken = files.FirstOrDefault(f => host.VolumeExists(PoolOf(request), f));
        if (taken is not null)
        {
            throw Refuse("VolumeExists", ErrorCategory.ResourceExists, $"{taken} already exists in the storage pool on {computerName}; KvmPS never overwrites a disk.",
                $"Remove or rename it (virsh vol-delete {taken} --pool {request.StoragePool ?? "default"}) if nothing uses it, or choose another guest name.");
        }
    }

    private static void ValidateNetworks(GuestRequest request, HostGuestContext host, string computerName)
    {
        foreach (string network in request.Network)
        {
            if (!host.Networks.Contains(network))
            {
                throw Refuse("NetworkNotFound", ErrorCategory.ObjectNotFound,
                    $"There is no libvirt network '{network}' on {computerName}. It has: {List(host.Networks)}.", "Use one of those, or -Bridge for a Linux bridge.");
            }

            if ((request.Start || request.Wait || request.WaitForIPAddress) && !host.ActiveNetworks.Contains(network))
            {
                throw Refuse("NetworkNotActive", ErrorCategory.InvalidOperation, $"The network '{network}' on {computerName} is not active, so the guest could not start.",
                    $"Start it first: virsh net-start {network} (and virsh net-autostart {network}), or Install-KvmHost for 'default'.");
            }
        }

        foreach (string bridge in request.Bridge)
        {
            if (!host.Bridges.Contains(bridge))
            {
                throw Refuse("BridgeNotFound", ErrorCategory.ObjectNotFound,
                    $"There is no bridge '{bridge}' on {computerName}. It has: {List(host.Bridges)}.",
                    "Create the bridge on the host first (for example nmcli connection add type bridge ifname br0), or use -Network.");
            }
        }

        int nics = request.Network.Count + request.Bridge.Count;
        if (request.MacAddress.Count > nics)
        {
            throw Refuse("TooManyMacAddresses", ErrorCategory.InvalidArgument, $"{request.MacAddress.Count} MAC addresses for {nics} network adapter(s).",
                "Give one MAC address per -Network and -Bridge, in that order.");
        }

        List<string> macs = request.MacAddress.Select(GuestNames.MacAddress).ToList();
        if (macs.Distinct().Count() != macs.Count)
        {
            throw Refuse("DuplicateMacAddress", ErrorCategory.InvalidArgument, "The same MAC address is given twice.", "Give each adapter its own MAC address.");
        }
    }

    private static void ValidateFirmware(GuestRequest request, HostGuestContext host, string computerName)
    {
        bool uefi = string.Equals(request.Firmware, "Uefi", StringComparison.OrdinalIgnoreCase);
        if (request.SecureBoot && !uefi)
        {
            throw Refuse("SecureBootNeedsUefi", ErrorCategory.InvalidArgument, "-SecureBoot needs -Firmware Uefi.", "Add -Firmware Uefi.");
        }

        if (uefi && host.FirmwareDescriptors.Count == 0)
        {
            throw Refuse("UefiNotAvailable", ErrorCategory.NotInstalled, $"{computerName} has no UEFI firmware for guests (no descriptors in /usr/share/qemu/firmware).",
                "Install it on the host: dnf install edk2-ovmf (RHEL) or apt-get install ovmf (Debian), or use -Firmware Bios.");
        }

        if (request.SecureBoot && host.SecureBootFirmware.Count == 0)
        {
            throw Refuse("SecureBootNotAvailable", ErrorCategory.NotInstalled, $"{computerName} has UEFI firmware but none with Secure Boot.",
                "Install the Secure Boot build of OVMF on the host (edk2-ovmf / ovmf), or leave -SecureBoot out.");
        }

        if (request.Tpm && !host.Tools.Contains("swtpm"))
        {
            throw Refuse("TpmNotAvailable", ErrorCategory.NotInstalled, $"{computerName} has no swtpm, which emulates the guest's TPM.",
                "Install swtpm on the host (dnf install swtpm swtpm-tools / apt-get install swtpm swtpm-tools), or leave -Tpm out.");
        }
    }

    private static GuestDesign Design(GuestRequest request, HostFacts facts, HostGuestContext host, string poolPath, bool seed, List<string> warnings)
    {
        var design = new GuestDesign
        {
            Name = request.Name,
            DomainType = DomainType(facts, request.ComputerName ?? facts.Info.ComputerName, warnings),
            MemoryBytes = request.MemoryBytes ?? DefaultMemory,
            ProcessorCount = request.ProcessorCount ?? 1,
            CpuMode = request.CpuMode ?? "host-model",
            Uefi = string.Equals(request.Firmware, "Uefi", StringComparison.OrdinalIgnoreCase),
            SecureBoot = request.SecureBoot,
            Tpm = request.Tpm,
            OsInfoId = host.OsInfoId(request.OSVariant),
            Graphics = (request.Graphics ?? "Vnc").ToLowerInvariant(),
            Kernel = request.KernelPath,
            Initrd = request.InitrdPath,
            KernelArguments = request.KernelArguments,
        };
        if (request.IsoPath is not null)
        {
            design.BootDevices.Insert(request.ImportDisk is not null || request.BaseImage is not null ? 0 : 1, "cdrom");
        }

        if (design.ProcessorCount > facts.Info.LogicalProcessorCount && facts.Info.LogicalProcessorCount > 0)
        {
            warnings.Add($"{design.ProcessorCount} virtual CPUs on a host with {facts.Info.LogicalProcessorCount} logical processors: the guest's CPUs will compete with each other.");
        }

        int disk = 0;
        string NextTarget() => "vd" + (char)('a' + disk++);
        if (request.ImportDisk is not null)
        {
            HostPath imported = host.Paths[request.ImportDisk];
            design.Disks.Add(new DiskDesign { Path = request.ImportDisk, Format = imported.Format, Target = NextTarget() });
        }
        else if (request.DiskSizeBytes is not null || request.BaseImage is not null)
        {
            design.Disks.Add(new DiskDesign { Path = poolPath + "/" + DiskFile(request.Name), Target = NextTarget() });
        }

        for (int i = 0; i < request.DataDiskSizeBytes.Count; i++)
        {
            design.Disks.Add(new DiskDesign { Path = poolPath + "/" + DataFile(request.Name, i + 1), Target = NextTarget() });
        }

        int cdrom = 0;
        if (request.IsoPath is not null)
        {
            design.Disks.Add(new DiskDesign { Path = request.IsoPath, Format = "raw", Device = "cdrom", Bus = "sata", Target = "sd" + (char)('a' + cdrom++) });
        }

        if (seed)
        {
            design.Disks.Add(new DiskDesign { Path = poolPath + "/" + SeedFile(request.Name), Format = "raw", Device = "cdrom", Bus = "sata", Target = "sd" + (char)('a' + cdrom++) });
        }

        List<string> macs = request.MacAddress.Select(GuestNames.MacAddress).ToList();
        int nic = 0;
        foreach (string network in request.Network)
        {
            design.NetworkAdapters.Add(new NicDesign { Type = "network", Source = network, MacAddress = nic < macs.Count ? macs[nic] : null });
            nic++;
        }

        foreach (string bridge in request.Bridge)
        {
            design.NetworkAdapters.Add(new NicDesign { Type = "bridge", Source = bridge, MacAddress = nic < macs.Count ? macs[nic] : null });
            nic++;
        }

        return design;
    }

    private static string List(IReadOnlyCollection<string> names) => names.Count == 0 ? "none" : string.Join(", ", names);

    private static KvmException Refuse(string id, ErrorCategory category, string message, string fix) => new(id, category, message, fix);
}
