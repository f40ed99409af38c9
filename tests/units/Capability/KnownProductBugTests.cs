using System;
using System.Linq;
using KvmPS.Facts;
using KvmPS.Planning.Capability;
using KvmPS.Planning.Install;
using Xunit;

namespace KvmPS.Tests.Capability;

/// <summary>
/// Product bugs found on the recorded hosts. Each test states the right behaviour and is skipped
/// until the product is fixed (then remove the Skip, and the "!" marks in the matrix it covers).
/// </summary>
public sealed class KnownProductBugTests
{
    [Fact(Skip = "product bug: RHEL 5 (Linux 2.6.18) has no /proc/1/comm, so the empty pid1 section makes InitSystem None instead of SysV")]
    public void Rhel5IsSysVAndItsPlanUsesChkconfigAndService()
    {
        Assert.Equal("SysV", ProbeFixtures.Facts("rhel5.6-intel").Info.InitSystem);
        InstallPlan plan = ProbeFixtures.Plan("rhel5.6-intel-nothing-installed");
        Assert.Equal(new[] { "yum install -y kvm kmod-kvm libvirt python-virtinst", "modprobe kvm_intel", "chkconfig libvirtd on", "service libvirtd start" },
            ProbeFixtures.Commands(plan));
        Assert.Empty(plan.Warnings); // no "no init system" warning, and no virtlogd (libvirt 0.8.2 has none)
    }

    [Fact(Skip = "product bug: virsh 0.8.2 (RHEL 5) rejects the probe's one-string virsh batch (list --name, echo), and the qemu:///system its fallback `virsh uri` printed is not taken as connected")]
    public void Rhel5LibvirtdThatAnsweredVirshUriIsRunning()
    {
        HostFacts facts = ProbeFixtures.Facts("rhel5.6-intel");
        Assert.Equal("Monolithic", facts.Info.LibvirtDaemon);
        Assert.NotNull(facts.DefaultNetwork); // needs the probe to ask libvirt 0.8.2 what it can parse
        Assert.NotNull(facts.LibvirtDomainTypes);
    }

    [Fact(Skip = "product bug: `ls -Zd` on RHEL 5-7 prints mode, owner and group before the context; the parser takes the mode (drwx--x--x.) as the SELinux context")]
    public void OldLsZFormatStillYieldsTheContext()
    {
        Assert.Equal("system_u:object_r:virt_image_t", ProbeFixtures.Facts("rhel5.6-intel").ImageDirectoryContext);
        Assert.Equal("system_u:object_r:virt_image_t:s0", ProbeFixtures.Facts("rhel6-amd").ImageDirectoryContext);
        Assert.Equal("system_u:object_r:virt_image_t:s0", ProbeFixtures.Facts("rhel7-intel").ImageDirectoryContext);
        Assert.Equal(KvmCheckStatus.Pass, ProbeFixtures.Check("rhel7-intel", "SELinux").Status);
    }

    [Fact(Skip = "product bug: without /var/lib/libvirt/images (libvirt not installed yet) the SELinux check judges /var/lib (var_lib_t), fails and suggests `restorecon -R -v /var/lib`")]
    public void AMissingImageDirectoryIsNoSeLinuxFailure()
    {
        foreach (string fixture in new[] { "rhel8-nothing-installed", "rhel9-svm-disabled-amd", "rhel10-amd-nothing-installed" })
        {
            KvmCapabilityResult selinux = ProbeFixtures.Check(fixture, "SELinux");
            Assert.NotEqual(KvmCheckStatus.Fail, selinux.Status);
            Assert.DoesNotContain("restorecon -R -v /var/lib\n", selinux.Remediation + "\n");
        }
    }

    [Fact(Skip = "product bug: when libvirt does not answer, Acceleration trusts the svm flag and /dev/kvm and promises KVM although VM_CR.SVMDIS disables SVM (the summary says TCG)")]
    public void AccelerationHonoursTheFirmwareWhenLibvirtIsNotThere()
    {
        KvmCapabilityResult acceleration = ProbeFixtures.Check("rhel9-svm-disabled-amd", "Acceleration");
        Assert.Equal(KvmCheckStatus.Fail, acceleration.Status);
        Assert.DoesNotContain("indicate KVM acceleration", acceleration.Detail);
    }

    [Fact(Skip = "product bug: RHEL 5/6 kernels have no /sys/kernel/iommu_groups (Linux 3.5), so Iommu warns to add amd_iommu=on that /proc/cmdline already has")]
    public void Rhel6WithTheIommuOnTheCommandLineHasItEnabled()
    {
        Assert.Contains("amd_iommu=on", ProbeFixtures.Facts("rhel6-amd").KernelCommandLine);
        Assert.Equal(KvmCheckStatus.Pass, ProbeFixtures.Check("rhel6-amd", "Iommu").Status);
    }

    [Fact(Skip = "product bug: the Iommu remediation for RHEL 5/6 edits /etc/default/grub, which their GRUB legacy does not have (grubby --update-kernel=ALL works there)")]
    public void Rhel5And6IommuAdviceDoesNotUseGrub2Files()
    {
        Assert.DoesNotContain("/etc/default/grub", ProbeFixtures.Check("rhel5.6-intel", "Iommu").Remediation);
        Assert.DoesNotContain("/etc/default/grub", ProbeFixtures.Check("rhel6-amd-nothing-installed", "Iommu").Remediation);
    }

    [Fact(Skip = "product bug: the summary's Acceleration is never None (that branch needs libvirt's guest types while libvirt is not running); hosts without QEMU report KVM or TCG")]
    public void AHostWithoutQemuCannotRunGuestsAtAll()
    {
        foreach (string fixture in new[] { "rhel5.6-intel-nothing-installed", "rhel6-amd-nothing-installed", "rhel7-intel-nothing-installed",
            "rhel8-nothing-installed", "rhel9-svm-disabled-amd", "rhel10-amd-nothing-installed", "debian12-intel-nothing-installed", "alpine3.20-unknown" })
        {
            Assert.Equal(KvmCheckStatus.Fail, ProbeFixtures.Check(fixture, "QemuInstalled").Status);
            Assert.Equal("None", ProbeFixtures.Summary(fixture).Acceleration);
        }
    }

    [Fact(Skip = "product bug: when libvirt refuses the probe's user (polkit), DefaultNetwork/DefaultStoragePool say there is none and suggest net-define/pool-define-as; Install-KvmHost plans to create the pool")]
    public void AnUnreadableDefaultIsNotAMissingOne()
    {
        KvmCapabilityResult network = ProbeFixtures.Check("rhel9-intel-unprivileged", "DefaultNetwork");
        KvmCapabilityResult pool = ProbeFixtures.Check("rhel9-intel-unprivileged", "DefaultStoragePool");
        Assert.DoesNotContain("has no 'default'", network.Detail);
        Assert.DoesNotContain("net-define", network.Remediation);
        Assert.DoesNotContain("has no 'default'", pool.Detail);
        Assert.DoesNotContain("pool-define-as", pool.Remediation);
        Assert.True(ProbeFixtures.Plan("rhel9-intel-unprivileged").IsEmpty);
    }

    [Fact(Skip = "product bug: with /dev/kvm in group root (gid 0, crw-------), KvmDevice's remediation adds QEMU's user to the root group")]
    public void KvmDeviceRemediationNeverAddsQemuToTheRootGroup()
    {
        KvmCapabilityResult device = ProbeFixtures.Check("debian12-kvm-pvm-no-init-libvirtd-down", "KvmDevice");
        Assert.Equal(KvmCheckStatus.Fail, device.Status);
        Assert.DoesNotContain("getent group 0 ", device.Remediation);
    }

    [Fact(Skip = "product bug: with no init system and every daemon running, LibvirtDaemon's remediation ends with 'or run: ' and no command")]
    public void NoInitSystemRemediationNamesACommandOrNone()
    {
        string remediation = ProbeFixtures.Check("debian12-kvm-pvm", "LibvirtDaemon").Remediation;
        Assert.False(remediation.TrimEnd().EndsWith("run:", StringComparison.Ordinal), remediation);
    }

    [Fact(Skip = "product bug: `apt-get install --no-install-recommends` leaves out dnsmasq-base (only a Recommends of Debian 12's libvirt-daemon-system), so the 'default' NAT network the next round starts cannot start")]
    public void DebianInstallBringsWhatTheDefaultNetworkNeeds()
    {
        string install = ProbeFixtures.Commands(ProbeFixtures.Plan("debian12-intel-nothing-installed"))[1];
        Assert.True(install.Contains("dnsmasq-base") || !install.Contains("--no-install-recommends"), install);
    }

    [Fact(Skip = "product bug: `systemctl is-enabled` prints nothing for a unit that does not exist; the units parser then reads is-active's word as the enabled state")]
    public void AnEmptyIsEnabledDoesNotShiftTheActiveState()
    {
        Assert.Equal(("", "inactive"), ProbeFixtures.Facts("ubuntu2204-intel").Units["virtqemud.socket"]);
        Assert.Equal(("", "unknown"), ProbeFixtures.Facts("rhel7-intel").Units["libvirtd.socket"]);
    }

    [Fact(Skip = "product bug: with kvm_intel loaded but without a nested parameter (RHEL 5's kvm-83), NestedVirtualization says neither kvm_intel nor kvm_amd is loaded")]
    public void NestedVirtualizationDoesNotDenyALoadedModule()
    {
        Assert.Contains("kvm_intel", ProbeFixtures.Facts("rhel5.6-intel").Info.KvmModules);
        Assert.DoesNotContain("Neither kvm_intel nor kvm_amd is loaded", ProbeFixtures.Check("rhel5.6-intel", "NestedVirtualization").Detail);
    }

    [Fact(Skip = "product bugs: the summaries of the hosts with '!' cells, once those cells hold")]
    public void SummariesOfHostsWithKnownBugs()
    {
        foreach (string fixture in CapabilityMatrixTests.Matrix.Select(m => m.Fixture).Where(CapabilityMatrixTests.HasKnownBug))
        {
            var cells = CapabilityMatrixTests.Cells().Where(c => c.Fixture == fixture).ToList();
            KvmCapabilitySummary summary = ProbeFixtures.Summary(fixture);
            Assert.Equal(cells.All(c => c.Expected != KvmCheckStatus.Fail), summary.IsCapable);
            Assert.Equal(cells.Where(c => c.Expected == KvmCheckStatus.Fail).Select(c => c.Check), summary.FailedChecks);
            Assert.Equal(cells.Count(c => c.Expected == KvmCheckStatus.Pass), summary.Passed);
        }
    }
}
