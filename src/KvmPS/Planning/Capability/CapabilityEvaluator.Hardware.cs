using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using KvmPS.Facts;

namespace KvmPS.Planning.Capability;

/// <summary>CPU, firmware, kernel and device checks.</summary>
internal static partial class CapabilityEvaluator
{
    private static KvmCapabilityResult CpuVirtualization(Context c)
    {
        KvmHostInfo info = c.Info;
        string cpu = $"{info.CpuVendor} {info.CpuModel}".Trim();
        string firmwareFix = info.CpuVendor == "AuthenticAMD"
            ? "Enable 'SVM Mode' (AMD-V) in the BIOS/UEFI setup, then power the host off and on."
            : "Enable 'Intel Virtualization Technology' (VT-x) in the BIOS/UEFI setup, then power the host off and on.";
        string? firmwareReason = FirmwareDisabled(c);
        if (firmwareReason is not null)
        {
            return Fail($"Hardware virtualization is disabled in the firmware: {firmwareReason}.", firmwareFix);
        }

        if (c.HasVt)
        {
            string kind = info.VirtualizationFlag == "vmx" ? "Intel VT-x (vmx)" : "AMD-V (svm)";
            return Pass($"{kind} on {cpu}.");
        }

        if (info.IsVirtualMachine)
        {
            string under = c.Facts.DetectedVirtualization.Length > 0 ? $" under {c.Facts.DetectedVirtualization}" : "";
            return Fail($"The host is a virtual machine{under} and its hypervisor does not pass VT-x/AMD-V on (the CPU shows the 'hypervisor' flag but neither vmx nor svm).",
                "Enable nested virtualization on the outer hypervisor for this VM, for example:\n"
                + "  KVM:     give the VM a host-passthrough CPU (virsh edit <vm>: <cpu mode='host-passthrough'/>), with kvm_intel nested=1 on the outer host\n"
                + "  Hyper-V: Set-VMProcessor -VMName <vm> -ExposeVirtualizationExtensions $true\n"
                + "  VMware:  enable 'Expose hardware assisted virtualization to the guest OS' in the VM's CPU settings");
        }

        string msrHint = c.Facts.IntelFeatureControl is null && c.Facts.AmdVmCr is null
            ? " The firmware setting could not be read (load the msr driver with 'modprobe msr' and test again as root to tell 'disabled in firmware' from 'not supported')."
            : "";
        return Fail($"The CPU ({cpu}) shows neither vmx nor svm: it has no hardware virtualization, or the firmware hides it.{msrHint}",
            firmwareFix + " If the setup has no such option, this CPU cannot accelerate guests.");
    }

    // Intel IA32_FEATURE_CONTROL: bit 0 lock, bit 2 VMX outside SMX. Locked without bit 2 = disabled
    // by the firmware. AMD VM_CR bit 4 = SVMDIS. The kernel also says so at boot.
    private static string? FirmwareDisabled(Context c)
    {
        ulong? intel = c.Facts.IntelFeatureControl;
        if (c.Info.CpuVendor == "GenuineIntel" && intel is ulong control && (control & 1) == 1 && (control & 4) == 0)
        {
            return string.Format(CultureInfo.InvariantCulture, "IA32_FEATURE_CONTROL (MSR 0x3a) is locked with VMX off (0x{0:x})", control);
        }

        ulong? amd = c.Facts.AmdVmCr;
        if (c.Info.CpuVendor == "AuthenticAMD" && amd is ulong vmcr && (vmcr & 0x10) != 0)
        {
            return string.Format(CultureInfo.InvariantCulture, "VM_CR.SVMDIS is set (MSR 0xc0010114 = 0x{0:x})", vmcr);
        }

        string? said = c.Facts.KernelVirtMessages.FirstOrDefault(m => Regex.IsMatch(m, @"disabled (\(|by )?(by )?bios", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant));
        return said is null ? null : $"the kernel reported \"{StripTimestamp(said)}\"";
    }

    private static string StripTimestamp(string line) => Regex.Replace(line, @"^\[\s*[\d.]+\]\s*", "", RegexOptions.CultureInvariant);

    private static KvmCapabilityResult HostVirtualization(Context c)
    {
        string detected = c.Facts.DetectedVirtualization;
        string container = c.Facts.DetectedContainer.Length > 0 ? $", inside a {c.Facts.DetectedContainer} container" : "";
        if (c.Info.IsVirtualMachine || detected.Length > 0)
        {
            string under = detected.Length > 0 ? detected : c.Facts.DmiVendor.Length > 0 ? c.Facts.DmiVendor : "a hypervisor";
            return Warn($"The host runs as a virtual machine under {under}{container}: its guests are nested and slower, and depend on the outer hypervisor.");
        }

        string machine = $"{c.Facts.DmiVendor} {c.Facts.DmiProduct}".Trim();
        return Pass((machine.Length > 0 ? $"Bare metal ({machine})" : "Bare metal (no hypervisor flag)") + container + ".");
    }

    private static KvmCapabilityResult NestedVirtualization(Context c)
    {
        foreach (string module in new[] { "kvm_intel", "kvm_amd" })
        {
            if (c.Facts.NestedParameters.TryGetValue(module, out string? value))
            {
                bool on = value is "Y" or "1";
                return on
                    ? Pass($"Nested virtualization is on ({module} nested={value}): guests can run their own KVM guests.")
                    : Pass($"Nested virtualization is off ({module} nested={value}): guests cannot run their own KVM guests. Turn it on only if they need to.")
                      .With($"echo 'options {module} nested=1' > /etc/modprobe.d/kvm-nested.conf\nmodprobe -r {module} && modprobe {module}   # with no guest running");
            }
        }

        string? loaded = c.Info.KvmModules.FirstOrDefault(m => m is "kvm_intel" or "kvm_amd");
        return loaded is not null
            ? NotApplicable($"{loaded} has no 'nested' parameter: this kernel's KVM cannot give guests virtualization of their own.")
            : NotApplicable("Neither kvm_intel nor kvm_amd is loaded, so nested virtualization does not apply.");
    }

    private static KvmCapabilityResult KernelVersion(Context c)
    {
        string kernel = c.Info.KernelVersion;
        Match m = Regex.Match(kernel, @"^(\d+)\.(\d+)(?:\.(\d+))?", RegexOptions.CultureInvariant);
        if (!m.Success)
        {
            return Warn($"The kernel version '{kernel}' could not be read.");
        }

        var version = new Version(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
            m.Groups[3].Success ? int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) : 0);
        return version >= new Version(2, 6, 18)
            ? Pass($"Kernel {kernel} (KVM needs 2.6.18 or later; RHEL 5 backports it from 5.4).")
            : Fail($"Kernel {kernel} is older than 2.6.18 and has no KVM.", "Upgrade the kernel (or the release) to one with KVM.");
    }

    private static KvmCapabilityResult KvmModule(Context c)
    {
        string[] modules = c.Info.KvmModules;
        string vendorModule = HostPlatform.KvmModuleFor(c.Info);
        bool core = modules.Contains("kvm");
        string? provider = modules.FirstOrDefault(m => m != "kvm");
        if (core && (provider == "kvm_intel" || provider == "kvm_amd"))
        {
            return Pass($"kvm and {provider} are loaded.");
        }

        if (core && provider is not null)
        {
            return Warn($"kvm is provided by {provider}, not by kvm_intel or kvm_amd: /dev/kvm exists, but normal guests cannot use it without vmx/svm (kvm_pvm serves PVM-enabled guest kernels only).");
        }

        string loaded = core ? "kvm is loaded, but no vendor module (kvm_intel or kvm_amd)" : "No kvm module is loaded";
        if (vendorModule.Length == 0)
        {
            return Fail($"{loaded}, and none can be: the CPU has no usable hardware virtualization (see CpuVirtualization).");
        }

        if (FirmwareDisabled(c) is string firmware)
        {
            return Fail($"{loaded}: {vendorModule} cannot load while {firmware}.", "Enable virtualization in the firmware first (see CpuVirtualization); the module then loads at boot.");
        }

        return Fail($"The kvm modules are not loaded ({(core ? "kvm is, " + vendorModule + " is not" : "neither kvm nor " + vendorModule)}).",
            HostPlatform.Render(HostPlatform.LoadKvmModuleCommands(vendorModule, c.Info.InitSystem)));
    }

    private static KvmCapabilityResult KvmDevice(Context c)
    {
        DeviceNode? node = c.Facts.KvmDevice;
        if (node is null)
        {
            string module = HostPlatform.KvmModuleFor(c.Info);
            return Fail("/dev/kvm does not exist.", module.Length > 0 ? "modprobe " + module : "No KVM module can create it on this CPU (see CpuVirtualization).");
        }

        string user = c.Platform.QemuUser(c.Facts);
        string device = $"/dev/kvm is {node.Mode} uid {node.OwnerId} gid {node.GroupId}";
        if (user == "root")
        {
            return Pass($"{device}; QEMU runs as root.");
        }

        if (!c.Facts.Accounts.TryGetValue(user, out AccountIds? account))
        {
            return Warn($"{device}; QEMU runs as '{user}', which does not exist on the host (is libvirt installed?).");
        }

        if (node.IsReadWritableBy(account.Uid, account.Groups))
        {
            return Pass($"{device}; QEMU's user {user} (uid {account.Uid}) can open it.");
        }

        // Never suggest adding QEMU's user to root's group: give the device the kvm group instead.
        string fix = node.GroupId == 0
            ? $"getent group kvm >/dev/null || groupadd -r kvm\nchgrp kvm /dev/kvm && chmod 0660 /dev/kvm\nusermod -a -G kvm {user}\n# make it last: echo 'KERNEL==\"kvm\", GROUP=\"kvm\", MODE=\"0660\"' > /etc/udev/rules.d/65-kvm.rules"
            : $"usermod -a -G \"$(getent group {node.GroupId} | cut -d: -f1)\" {user}\nchmod 0660 /dev/kvm   # or 0666, as RHEL's udev rule does";
        return Fail($"{device}; QEMU's user {user} (uid {account.Uid}, groups {string.Join(",", account.Groups)}) cannot open it, so guests fall back to software emulation.", fix);
    }

    /// <summary>KVM, TCG (software emulation only), or None (no QEMU or libvirt to run guests at all).</summary>
    private static string AccelerationOf(Context c)
    {
        if (c.Info.QemuVersion.Length == 0 || c.Info.LibvirtDaemon == "NotInstalled")
        {
            return "None";
        }

        bool kvmOffered = c.Facts.LibvirtDomainTypes?.Contains("kvm") ?? (c.Facts.KvmDevice is not null);
        return kvmOffered && c.HasVt && FirmwareDisabled(c) is null ? "KVM" : "TCG";
    }

    private static KvmCapabilityResult Acceleration(Context c)
    {
        var types = c.Facts.LibvirtDomainTypes;
        string offered = types is not null ? $"libvirt offers type={string.Join("/", types.Select(t => $"'{t}'"))}"
            : c.Facts.LibvirtRefusal.Length > 0 && c.LibvirtRunning ? $"libvirt refused this user ({c.Facts.LibvirtRefusal})"
            : "libvirt did not answer";
        bool hardwareReady = c.HasVt && FirmwareDisabled(c) is null;
        if (types is not null && types.Contains("kvm"))
        {
            if (hardwareReady)
            {
                return Pass($"Guests get KVM hardware acceleration ({offered}).");
            }

            return Fail($"Software emulation only for normal guests: {offered} because /dev/kvm exists ({string.Join(", ", c.Info.KvmModules)}), "
                + "but the CPU's hardware virtualization is not usable, so a normal guest kernel cannot run with type='kvm'. Guests must use type='qemu' (TCG), many times slower.",
                "See CpuVirtualization: hardware virtualization must be available to this host.");
        }

        if (types is not null)
        {
            return Fail($"Software emulation only (TCG): {offered}, no 'kvm'.", "Fix the checks above (CpuVirtualization, KvmModule, KvmDevice), then restart libvirt.");
        }

        if (hardwareReady && c.Facts.KvmDevice is not null)
        {
            return Warn($"{offered}; the CPU and /dev/kvm are ready for KVM acceleration.");
        }

        var missing = new List<string>();
        if (!c.HasVt)
        {
            missing.Add("no vmx/svm");
        }
        else if (FirmwareDisabled(c) is string firmware)
        {
            missing.Add(firmware);
        }

        if (c.Facts.KvmDevice is null)
        {
            missing.Add("no /dev/kvm");
        }

        return Fail($"{offered}; with {string.Join(" and ", missing)}, guests could only use software emulation (TCG).", "See CpuVirtualization and KvmDevice.");
    }

    private static KvmCapabilityResult VhostNet(Context c)
    {
        if (c.Facts.VhostNetDevice is not null)
        {
            return Pass("/dev/vhost-net exists: virtio networking runs in the kernel.");
        }

        // vhost-net arrived in Linux 2.6.34 (RHEL 6 backports it); RHEL 5's kernel cannot have it.
        return c.Info.OSFamily == "RedHat" && c.Info.OSId != "fedora" && c.Info.OSMajorVersion is > 0 and <= 5
            ? NotApplicable("This kernel predates vhost-net: virtio networking runs in QEMU user space.")
            : Warn("/dev/vhost-net is missing: virtio networking falls back to QEMU user space (slower).", "modprobe vhost_net");
    }

    private static KvmCapabilityResult Tun(Context c)
        => c.Facts.TunDevice is not null
            ? Pass("/dev/net/tun exists: guests can have tap NICs on bridges and networks.")
            : Fail("/dev/net/tun is missing: guests cannot be connected to bridges or libvirt networks.", "modprobe tun");

    private static KvmCapabilityResult Iommu(Context c)
    {
        string table = c.Facts.IommuTable;
        if (table.Length == 0)
        {
            return NotApplicable("The firmware describes no IOMMU (no DMAR or IVRS ACPI table): PCI device assignment is unavailable. Normal guests do not need it.");
        }

        if (c.Facts.IommuGroups > 0)
        {
            return Pass($"IOMMU enabled ({table} table, {c.Facts.IommuGroups} IOMMU groups): PCI devices can be assigned to guests.");
        }

        string args = table == "DMAR" ? "intel_iommu=on iommu=pt" : "amd_iommu=on iommu=pt";
        string[] cmdline = c.Facts.KernelCommandLine.Split(' ');
        if (cmdline.Contains(table == "DMAR" ? "intel_iommu=on" : "amd_iommu=on"))
        {
            // Kernels before 3.5 (RHEL 5 and 6) have no iommu_groups to show it: the command line says it.
            return Pass($"IOMMU enabled on the kernel command line ({table} table): PCI devices can be assigned to guests.");
        }

        string fix = c.Info.OSFamily == "RedHat"
            ? $"grubby --update-kernel=ALL --args=\"{args}\" && reboot"
            : $"add '{args}' to GRUB_CMDLINE_LINUX in /etc/default/grub, run update-grub, and reboot";
        return Warn($"The firmware has an IOMMU ({table}) but the kernel has not enabled it: PCI device assignment will not work (only needed for passthrough).", fix);
    }

    private static KvmCapabilityResult Cgroups(Context c)
    {
        if (c.Facts.CgroupFileSystem == "cgroup2fs")
        {
            // cgroup v2: the device controller is an eBPF program, not a controller file, so it is
            // never listed; warning about it (as virt-host-validate does) is noise.
            string[] needed = { "cpu", "memory", "io" };
            string[] missing = needed.Where(n => !c.Facts.CgroupV2Controllers.Contains(n)).ToArray();
            return missing.Length == 0
                ? Pass($"cgroup v2 with the {string.Join(", ", c.Facts.CgroupV2Controllers)} controllers (devices are controlled by eBPF in v2).")
                : Warn($"cgroup v2 without the {string.Join(", ", missing)} controller(s): guest resource limits will not apply.");
        }

        if (c.Facts.CgroupV1Hierarchies.Count > 0)
        {
            string[] needed = { "cpu", "cpuacct", "cpuset", "memory", "devices", "blkio" };
            string[] missing = needed.Where(n => !c.Facts.CgroupV1Hierarchies.Contains(n)).ToArray();
            return missing.Length == 0
                ? Pass("cgroup v1 with the cpu, cpuacct, cpuset, memory, devices and blkio controllers mounted.")
                : Warn($"cgroup v1 without the {string.Join(", ", missing)} controller(s) mounted: guest limits and device isolation are incomplete.");
        }

        return Warn("No cgroup file system is mounted at /sys/fs/cgroup: libvirt cannot limit or isolate guests.");
    }
}

internal static class CapabilityResultExtensions
{
    /// <summary>Adds remediation text to a result (for a Pass that still has a useful hint).</summary>
    public static KvmCapabilityResult With(this KvmCapabilityResult result, string remediation)
    {
        result.Remediation = remediation;
        return result;
    }
}
