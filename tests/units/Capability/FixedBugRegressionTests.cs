using System;
using System.Linq;
using KvmPS.Facts;
using KvmPS.Planning.Capability;
using KvmPS.Planning.Install;
using Xunit;

namespace KvmPS.Tests.Capability;

/// <summary>
/// Product bugs found on the recorded hosts, now fixed: each test states the right behaviour and
/// keeps it from coming back.
/// </summary>
public sealed class FixedBugRegressionTests
{
    [Fact]
    public void Rhel5IsSysVAndItsPlanUsesChkconfigAndService()
    {
        Assert.Equal("SysV", ProbeFixtures.Facts("rhel5.6-intel").Info.InitSystem);
        InstallPlan plan = ProbeFixtures.Plan("rhel5.6-intel-nothing-installed");
        Assert.Equal(new[] { "yum install -y kvm kmod-kvm libvirt python-virtinst", "modprobe kvm_intel", "chkconfig libvirtd on", "service libvirtd start" },
            ProbeFixtures.Commands(plan));
        Assert.Empty(plan.Warnings); // no "no init system" warning, and no virtlogd (libvirt 0.8.2 has none)
    }

    [Fact]
    public void Rhel5LibvirtdThatAnsweredVirshUriIsRunning()
    {
        HostFacts facts = ProbeFixtures.Facts("rhel5.6-intel");
        Assert.Equal("Monolithic", facts.Info.LibvirtDaemon);
        Assert.NotNull(facts.DefaultNetwork); // needs the probe to ask libvirt 0.8.2 what it can parse
        Assert.NotNull(facts.LibvirtDomainTypes);
    }

    [Fact]
    public void OldLsZFormatStillYieldsTheContext()
    {
        Assert.Equal("system_u:object_r:virt_image_t", ProbeFixtures.Facts("rhel5.6-intel").ImageDirectoryContext);
        Assert.Equal("system_u:object_r:virt_image_t:s0", ProbeFixtures.Facts("rhel6-amd").ImageDirectoryContext);
        Assert.Equal("system_u:object_r:virt_image_t:s0", ProbeFixtures.Facts("rhel7-intel").ImageDirectoryContext);
        Assert.Equal(KvmCheckStatus.Pass, ProbeFixtures.Check("rhel7-intel", "SELinux").Status);
    }

    [Fact]
    public void AMissingImageDirectoryIsNoSeLinuxFailure()
    {
        foreach (string fixture in new[] { "rhel8-nothing-installed", "rhel9-svm-disabled-amd", "rhel10-amd-nothing-installed" })
        {
            KvmCapabilityResult selinux = ProbeFixtures.Check(fixture, "SELinux");
            Assert.NotEqual(KvmCheckStatus.Fail, selinux.Status);
            Assert.DoesNotContain("restorecon -R -v /var/lib\n", selinux.Remediation + "\n");
        }
    }

    [Fact]
    public void AccelerationHonoursTheFirmwareWhenLibvirtIsNotThere()
    {
        KvmCapabilityResult acceleration = ProbeFixtures.Check("rhel9-svm-disabled-amd", "Acceleration");
        Assert.Equal(KvmCheckStatus.Fail, acceleration.Status);
        Assert.DoesNotContain("indicate KVM acceleration", acceleration.Detail);
    }

    [Fact]
    public void Rhel6WithTheIommuOnTheCommandLineHasItEnabled()
    {
        Assert.Contains("amd_iommu=on", ProbeFixtures.Facts("rhel6-amd").KernelCommandLine);
        Assert.Equal(KvmCheckStatus.Pass, ProbeFixtures.Check("rhel6-amd", "Iommu").Status);
    }

    [Fact]
    public void Rhel5And6IommuAdviceDoesNotUseGrub2Files()
    {
        Assert.DoesNotContain("/etc/default/grub", ProbeFixtures.Check("rhel5.6-intel", "Iommu").Remediation);
        Assert.DoesNotContain("/etc/default/grub", ProbeFixtures.Check("rhel6-amd-nothing-installed", "Iommu").Remediation);
    }

    [Fact]
    public void AHostWithoutQemuCannotRunGuestsAtAll()
    {
        foreach (string fixture in new[] { "rhel5.6-intel-nothing-installed", "rhel6-amd-nothing-installed", "rhel7-intel-nothing-installed",
            "rhel8-nothing-installed", "rhel9-svm-disabled-amd", "rhel10-amd-nothing-installed", "debian12-intel-nothing-installed", "alpine3.20-unknown" })
        {
            Assert.Equal(KvmCheckStatus.Fail, ProbeFixtures.Check(fixture, "QemuInstalled").Status);
            Assert.Equal("None", ProbeFixtures.Summary(fixture).Acceleration);
        }
    }

    [Fact]
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

    [Fact]
    public void KvmDeviceRemediationNeverAddsQemuToTheRootGroup()
    {
        KvmCapabilityResult device = ProbeFixtures.Check("debian12-kvm-pvm-no-init-libvirtd-down", "KvmDevice");
        Assert.Equal(KvmCheckStatus.Fail, device.Status);
        Assert.DoesNotContain("getent group 0 ", device.Remediation);
    }

    [Fact]
    public void NoInitSystemRemediationNamesACommandOrNone()
    {
        string remediation = ProbeFixtures.Check("debian12-kvm-pvm", "LibvirtDaemon").Remediation;
        Assert.False(remediation.TrimEnd().EndsWith("run:", StringComparison.Ordinal), remediation);
    }

    [Fact]
    public void DebianInstallBringsWhatTheDefaultNetworkNeeds()
    {
        string install = ProbeFixtures.Commands(ProbeFixtures.Plan("debian12-intel-nothing-installed"))[1];
        Assert.True(install.Contains("dnsmasq-base") || !install.Contains("--no-install-recommends"), install);
    }

    [Fact]
    public void AnEmptyIsEnabledDoesNotShiftTheActiveState()
    {
        Assert.Equal(("", "inactive"), ProbeFixtures.Facts("ubuntu2204-intel").Units["virtqemud.socket"]);
        Assert.Equal(("", "unknown"), ProbeFixtures.Facts("rhel7-intel").Units["libvirtd.socket"]);
    }

    [Fact]
    public void NestedVirtualizationDoesNotDenyALoadedModule()
    {
        Assert.Contains("kvm_intel", ProbeFixtures.Facts("rhel5.6-intel").Info.KvmModules);
        Assert.DoesNotContain("Neither kvm_intel nor kvm_amd is loaded", ProbeFixtures.Check("rhel5.6-intel", "NestedVirtualization").Detail);
    }
}
