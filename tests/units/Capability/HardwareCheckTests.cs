using KvmPS.Facts;
using KvmPS.Planning.Capability;
using Xunit;

namespace KvmPS.Tests.Capability;

/// <summary>
/// What the CPU, firmware, kernel and device checks say on the recorded hosts: firmware-disabled
/// vs a CPU without VT vs a VM whose hypervisor hides it, kvm_pvm, nested guests, cgroups.
/// </summary>
public sealed class HardwareCheckTests
{
    private const string IntelBiosFix = "Enable 'Intel Virtualization Technology' (VT-x) in the BIOS/UEFI setup, then power the host off and on.";
    private const string AmdBiosFix = "Enable 'SVM Mode' (AMD-V) in the BIOS/UEFI setup, then power the host off and on.";

    [Fact]
    public void IntelVtLockedOffInTheFirmwareIsReadFromTheFeatureControlMsr()
    {
        KvmCapabilityResult cpu = ProbeFixtures.Check("rhel9-vt-disabled-intel", "CpuVirtualization");
        Assert.Equal(KvmCheckStatus.Fail, cpu.Status);
        Assert.Equal("Hardware virtualization is disabled in the firmware: IA32_FEATURE_CONTROL (MSR 0x3a) is locked with VMX off (0x1).", cpu.Detail);
        Assert.Equal(IntelBiosFix, cpu.Remediation);
    }

    [Fact]
    public void WithoutTheMsrDriverTheKernelsBootMessageTellsTheFirmwareDisabledVt()
    {
        HostFacts facts = ProbeFixtures.Facts("rhel9-vt-disabled-intel", ("msr", null));
        KvmCapabilityResult cpu = ProbeFixtures.Check(facts, "x", "CpuVirtualization");
        Assert.Equal(KvmCheckStatus.Fail, cpu.Status);
        Assert.Equal("Hardware virtualization is disabled in the firmware: the kernel reported \"x86/cpu: VMX (outside TXT) disabled by BIOS\".", cpu.Detail);
        Assert.Equal(IntelBiosFix, cpu.Remediation);
    }

    [Fact]
    public void OnlyTheOldKvmMessageStillMeansDisabledByTheFirmware()
    {
        HostFacts facts = ProbeFixtures.Facts("rhel9-vt-disabled-intel", ("msr", null), ("dmesg-virt", "[ 1843.227140] kvm: disabled by bios"));
        Assert.Contains("the kernel reported \"kvm: disabled by bios\"", ProbeFixtures.Check(facts, "x", "CpuVirtualization").Detail);
    }

    [Fact]
    public void NeitherMsrNorKernelMessageLeavesACpuWithoutVtAndAskForTheMsrDriver()
    {
        HostFacts facts = ProbeFixtures.Facts("rhel9-vt-disabled-intel", ("msr", null), ("dmesg-virt", null));
        KvmCapabilityResult cpu = ProbeFixtures.Check(facts, "x", "CpuVirtualization");
        Assert.Equal(KvmCheckStatus.Fail, cpu.Status);
        Assert.StartsWith("The CPU (GenuineIntel Intel(R) Xeon(R) Silver 4314 CPU @ 2.40GHz) shows neither vmx nor svm", cpu.Detail);
        Assert.Contains("load the msr driver with 'modprobe msr'", cpu.Detail);
        Assert.Equal(IntelBiosFix + " If the setup has no such option, this CPU cannot accelerate guests.", cpu.Remediation);
    }

    [Fact]
    public void AnUnlockedFeatureControlMsrIsNoFirmwareVerdictButNeedsNoMsrHint()
    {
        HostFacts facts = ProbeFixtures.Facts("rhel9-vt-disabled-intel", ("msr", "58 0000000000000000"), ("dmesg-virt", null));
        KvmCapabilityResult cpu = ProbeFixtures.Check(facts, "x", "CpuVirtualization");
        Assert.Contains("shows neither vmx nor svm", cpu.Detail);
        Assert.DoesNotContain("modprobe msr", cpu.Detail);
        Assert.DoesNotContain("disabled in the firmware", cpu.Detail);
    }

    [Fact]
    public void IntelVtLockedOnIsNotAFirmwareProblem()
    {
        HostFacts facts = ProbeFixtures.Facts("rhel9-intel", ("msr", "58 0000000000000005"));
        Assert.Equal(KvmCheckStatus.Pass, ProbeFixtures.Check(facts, "x", "CpuVirtualization").Status);
    }

    [Fact]
    public void AmdSvmDisabledIsReadFromVmCrAlthoughTheSvmFlagIsThere()
    {
        Assert.Equal("svm", ProbeFixtures.Facts("rhel9-svm-disabled-amd").Info.VirtualizationFlag);
        KvmCapabilityResult cpu = ProbeFixtures.Check("rhel9-svm-disabled-amd", "CpuVirtualization");
        Assert.Equal(KvmCheckStatus.Fail, cpu.Status);
        Assert.Equal("Hardware virtualization is disabled in the firmware: VM_CR.SVMDIS is set (MSR 0xc0010114 = 0x18).", cpu.Detail);
        Assert.Equal(AmdBiosFix, cpu.Remediation);
    }

    [Fact]
    public void WithoutTheMsrDriverKvmAmdsMessageTellsSvmDisabled()
    {
        HostFacts facts = ProbeFixtures.Facts("rhel9-svm-disabled-amd", ("msr", null));
        KvmCapabilityResult cpu = ProbeFixtures.Check(facts, "x", "CpuVirtualization");
        Assert.Equal("Hardware virtualization is disabled in the firmware: the kernel reported \"kvm_amd: SVM disabled (by BIOS) in MSR_VM_CR on CPU 0\".", cpu.Detail);
        Assert.Equal(AmdBiosFix, cpu.Remediation);
    }

    [Fact]
    public void VmCrWithOnlyTheLockBitLeavesSvmEnabled()
    {
        HostFacts facts = ProbeFixtures.Facts("rhel9-svm-disabled-amd", ("msr", "3221291284 0000000000000008"), ("dmesg-virt", null));
        KvmCapabilityResult cpu = ProbeFixtures.Check(facts, "x", "CpuVirtualization");
        Assert.Equal(KvmCheckStatus.Pass, cpu.Status);
        Assert.Equal("AMD-V (svm) on AuthenticAMD AMD EPYC 7313 16-Core Processor.", cpu.Detail);
    }

    [Fact]
    public void AVmWithoutVtIsToldToEnableNestedVirtualizationOnTheOuterHypervisor()
    {
        KvmCapabilityResult cpu = ProbeFixtures.Check("rhel9-vm-no-vt", "CpuVirtualization");
        Assert.Equal(KvmCheckStatus.Fail, cpu.Status);
        Assert.StartsWith("The host is a virtual machine under vmware and its hypervisor does not pass VT-x/AMD-V on", cpu.Detail);
        Assert.StartsWith("Enable nested virtualization on the outer hypervisor for this VM", cpu.Remediation);
        Assert.Contains("VMware:  enable 'Expose hardware assisted virtualization to the guest OS'", cpu.Remediation);
        Assert.Contains("Set-VMProcessor -VMName <vm> -ExposeVirtualizationExtensions $true", cpu.Remediation);
        Assert.Contains("<cpu mode='host-passthrough'/>", cpu.Remediation);
        Assert.DoesNotContain("BIOS", cpu.Remediation);
        Assert.Equal("The host runs as a virtual machine under vmware: its guests are nested and slower, and depend on the outer hypervisor.",
            ProbeFixtures.Check("rhel9-vm-no-vt", "HostVirtualization").Detail);
    }

    [Fact]
    public void ANestedVmWithVmxPassedOnPassesCpuButWarnsAboutBeingAVm()
    {
        KvmCapabilityResult cpu = ProbeFixtures.Check("rhel9-nested-vm", "CpuVirtualization");
        KvmCapabilityResult host = ProbeFixtures.Check("rhel9-nested-vm", "HostVirtualization");
        KvmCapabilityResult nested = ProbeFixtures.Check("rhel9-nested-vm", "NestedVirtualization");
        Assert.Equal("Intel VT-x (vmx) on GenuineIntel Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz.", cpu.Detail);
        Assert.Equal(KvmCheckStatus.Warn, host.Status);
        Assert.Contains("virtual machine under kvm", host.Detail);
        Assert.Equal(KvmCheckStatus.Pass, nested.Status);
        Assert.Contains("off (kvm_intel nested=N)", nested.Detail);
        Assert.StartsWith("echo 'options kvm_intel nested=1' > /etc/modprobe.d/kvm-nested.conf", nested.Remediation);
    }

    [Fact]
    public void BareMetalNamesTheMachineFromDmi()
    {
        Assert.Equal("Bare metal (Dell Inc. PowerEdge R750).", ProbeFixtures.Check("rhel9-intel", "HostVirtualization").Detail);
        Assert.Equal("Bare metal (no hypervisor flag).", ProbeFixtures.Check("rhel5.6-intel", "HostVirtualization").Detail);
    }

    [Fact]
    public void KvmPvmGivesDevKvmButOnlySoftwareEmulationForNormalGuests()
    {
        KvmCapabilityResult module = ProbeFixtures.Check("debian12-kvm-pvm", "KvmModule");
        KvmCapabilityResult acceleration = ProbeFixtures.Check("debian12-kvm-pvm", "Acceleration");
        Assert.Equal(KvmCheckStatus.Warn, module.Status);
        Assert.Contains("kvm is provided by kvm_pvm", module.Detail);
        Assert.Contains("kvm_pvm serves PVM-enabled guest kernels only", module.Detail);
        Assert.Equal(KvmCheckStatus.Fail, acceleration.Status);
        Assert.StartsWith("Software emulation only for normal guests: libvirt offers type='qemu'/'kvm' because /dev/kvm exists (kvm, kvm_pvm)", acceleration.Detail);
        Assert.Equal("See CpuVirtualization: hardware virtualization must be available to this host.", acceleration.Remediation);
        Assert.StartsWith("The host is a virtual machine under kvm and its hypervisor does not pass VT-x/AMD-V on",
            ProbeFixtures.Check("debian12-kvm-pvm", "CpuVirtualization").Detail);
        Assert.Contains("inside a docker container", ProbeFixtures.Check("debian12-kvm-pvm", "HostVirtualization").Detail);
    }

    [Fact]
    public void LibvirtWithoutTheKvmTypeIsTcgOnly()
    {
        KvmCapabilityResult acceleration = ProbeFixtures.Check("rhel9-vt-disabled-intel", "Acceleration");
        Assert.Equal("Software emulation only (TCG): libvirt offers type='qemu', no 'kvm'.", acceleration.Detail);
        Assert.Equal("Fix the checks above (CpuVirtualization, KvmModule, KvmDevice), then restart libvirt.", acceleration.Remediation);
        Assert.Equal("Guests get KVM hardware acceleration (libvirt offers type='qemu'/'kvm').", ProbeFixtures.Check("rhel6-amd", "Acceleration").Detail);
    }

    [Fact]
    public void UnloadedVendorModuleIsLoadedNowAndAtBootUnderSystemd()
    {
        HostFacts facts = ProbeFixtures.Facts("rhel9-intel", ("modules", "kvm\ntun\nvhost_net"));
        KvmCapabilityResult module = ProbeFixtures.Check(facts, "x", "KvmModule");
        Assert.Equal(KvmCheckStatus.Fail, module.Status);
        Assert.Equal("The kvm modules are not loaded (kvm is, kvm_intel is not).", module.Detail);
        Assert.Equal("modprobe kvm_intel\nsh -c 'printf '\\''%s\\n'\\'' \"$1\" > /etc/modules-load.d/kvm.conf' sh kvm_intel", module.Remediation);
        Assert.Equal("modprobe kvm_amd", ProbeFixtures.Check("rhel6-amd-nothing-installed", "KvmModule").Remediation);
    }

    [Fact]
    public void TheQemuUserMustReachDevKvm()
    {
        Assert.Equal("/dev/kvm is crw-rw---- uid 0 gid 104; QEMU's user libvirt-qemu (uid 64055) can open it.",
            ProbeFixtures.Check("debian12-intel", "KvmDevice").Detail);
        Assert.Equal("/dev/kvm is crw-rw-rw- uid 0 gid 36; QEMU runs as root.", ProbeFixtures.Check("rhel5.6-intel", "KvmDevice").Detail);

        HostFacts outsider = ProbeFixtures.Facts("rhel9-intel",
            ("dev-kvm", "crw-rw----. 1 0 36 10, 232 May 14 09:21 /dev/kvm"), ("qemu-users", "qemu uid=107(qemu) gid=107(qemu) groups=107(qemu)"));
        KvmCapabilityResult device = ProbeFixtures.Check(outsider, "x", "KvmDevice");
        Assert.Equal(KvmCheckStatus.Fail, device.Status);
        Assert.Contains("cannot open it, so guests fall back to software emulation", device.Detail);
        Assert.StartsWith("usermod -a -G \"$(getent group 36 | cut -d: -f1)\" qemu\n", device.Remediation);

        HostFacts asRoot = ProbeFixtures.Facts("rhel9-intel", ("dev-kvm", "crw-------. 1 0 0 10, 232 May 14 09:21 /dev/kvm"), ("qemu-conf", "user = \"root\""));
        Assert.Equal(KvmCheckStatus.Pass, ProbeFixtures.Check(asRoot, "x", "KvmDevice").Status);
    }

    [Fact]
    public void CgroupV2PassesWithoutADevicesControllerAndWarnsWithoutIo()
    {
        KvmCapabilityResult v2 = ProbeFixtures.Check("rhel9-intel", "Cgroups");
        Assert.Equal(KvmCheckStatus.Pass, v2.Status);
        Assert.Contains("(devices are controlled by eBPF in v2)", v2.Detail);
        Assert.DoesNotContain("devices", ProbeFixtures.Facts("rhel9-intel").CgroupV2Controllers);

        HostFacts noIo = ProbeFixtures.Facts("rhel9-intel", ("cgroups", "fstype cgroup2fs\ncontrollers cpuset cpu memory pids\nv1 "));
        KvmCapabilityResult partial = ProbeFixtures.Check(noIo, "x", "Cgroups");
        Assert.Equal(KvmCheckStatus.Warn, partial.Status);
        Assert.Equal("cgroup v2 without the io controller(s): guest resource limits will not apply.", partial.Detail);
    }

    [Fact]
    public void CgroupV1NeedsTheDevicesHierarchyAndRhel5HasNoCgroupsAtAll()
    {
        Assert.Equal("cgroup v1 with the cpu, cpuacct, cpuset, memory, devices and blkio controllers mounted.", ProbeFixtures.Check("rhel7-intel", "Cgroups").Detail);
        HostFacts noDevices = ProbeFixtures.Facts("rhel7-intel", ("cgroups", "fstype tmpfs\ncontrollers \nv1 blkio cpu cpuacct cpu,cpuacct cpuset memory systemd "));
        Assert.Contains("without the devices controller(s) mounted", ProbeFixtures.Check(noDevices, "x", "Cgroups").Detail);
        Assert.Equal("No cgroup file system is mounted at /sys/fs/cgroup: libvirt cannot limit or isolate guests.", ProbeFixtures.Check("rhel5.6-intel", "Cgroups").Detail);
        // RHEL 6's cgconfig mounts the hierarchies under /cgroup: the probe reads them from /proc/mounts.
        Assert.Equal(KvmCheckStatus.Pass, ProbeFixtures.Check("rhel6-amd", "Cgroups").Status);
        Assert.Equal(new[] { "cpuset", "cpu", "cpuacct", "memory", "devices", "freezer", "net_cls", "blkio" }, ProbeFixtures.Facts("rhel6-amd").CgroupV1Hierarchies);
    }

    [Fact]
    public void IommuAdviceFollowsTheRelease()
    {
        Assert.Equal("grubby --update-kernel=ALL --args=\"intel_iommu=on iommu=pt\" && reboot", ProbeFixtures.Check("rhel7-intel", "Iommu").Remediation);
        Assert.Equal("add 'intel_iommu=on iommu=pt' to GRUB_CMDLINE_LINUX in /etc/default/grub, run update-grub, and reboot",
            ProbeFixtures.Check("ubuntu2204-intel", "Iommu").Remediation);
        Assert.Equal("IOMMU enabled (DMAR table, 142 IOMMU groups): PCI devices can be assigned to guests.", ProbeFixtures.Check("rhel9-intel", "Iommu").Detail);
        Assert.Contains("no DMAR or IVRS", ProbeFixtures.Check("rhel9-nested-vm", "Iommu").Detail);
    }

    [Fact]
    public void KernelsBefore2618HaveNoKvm()
    {
        HostFacts rhel4 = ProbeFixtures.Facts("rhel5.6-intel", ("kernel", "2.6.9-89.ELsmp"));
        KvmCapabilityResult kernel = ProbeFixtures.Check(rhel4, "x", "KernelVersion");
        Assert.Equal(KvmCheckStatus.Fail, kernel.Status);
        Assert.Equal("Kernel 2.6.9-89.ELsmp is older than 2.6.18 and has no KVM.", kernel.Detail);
        Assert.Equal(KvmCheckStatus.Pass, ProbeFixtures.Check("rhel5.6-intel", "KernelVersion").Status);
    }

    [Fact]
    public void MissingDeviceNodesAreFixedWithModprobe()
    {
        Assert.Equal("modprobe tun", ProbeFixtures.Check("alpine3.20-unknown", "Tun").Remediation);
        Assert.Equal("modprobe vhost_net", ProbeFixtures.Check("debian12-kvm-pvm", "VhostNet").Remediation);
        Assert.Equal("/dev/kvm does not exist.", ProbeFixtures.Check("rhel6-amd-nothing-installed", "KvmDevice").Detail);
        Assert.Equal("modprobe kvm_amd", ProbeFixtures.Check("rhel6-amd-nothing-installed", "KvmDevice").Remediation);
    }
}
