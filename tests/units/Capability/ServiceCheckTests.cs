using KvmPS.Facts;
using KvmPS.Planning.Capability;
using Xunit;

namespace KvmPS.Tests.Capability;

/// <summary>
/// Packages, daemons, libvirt's defaults, resources, SELinux and network checks: the exact
/// remediation each release gets.
/// </summary>
public sealed class ServiceCheckTests
{
    private const string ModularSockets = "virtqemud.socket virtqemud-ro.socket virtqemud-admin.socket virtnetworkd.socket virtnetworkd-ro.socket "
        + "virtnetworkd-admin.socket virtstoraged.socket virtstoraged-ro.socket virtstoraged-admin.socket virtnodedevd.socket "
        + "virtnodedevd-ro.socket virtnodedevd-admin.socket virtsecretd.socket virtsecretd-ro.socket virtsecretd-admin.socket "
        + "virtinterfaced.socket virtinterfaced-ro.socket virtinterfaced-admin.socket virtnwfilterd.socket virtnwfilterd-ro.socket "
        + "virtnwfilterd-admin.socket";

    public static TheoryData<string, string> InstallCommands() => new()
    {
        { "rhel5.6-intel-nothing-installed", "yum install -y kvm kmod-kvm libvirt python-virtinst" },
        { "rhel6-amd-nothing-installed", "yum install -y qemu-kvm libvirt python-virtinst" },
        { "rhel7-intel-nothing-installed", "yum install -y qemu-kvm libvirt virt-install" },
        { "rhel8-nothing-installed", "dnf install -y qemu-kvm libvirt virt-install" },
        { "rhel9-svm-disabled-amd", "dnf install -y qemu-kvm libvirt virt-install" },
        { "rhel10-amd-nothing-installed", "dnf install -y qemu-kvm libvirt virt-install" },
        {
            "debian12-intel-nothing-installed",
            "apt-get update -q\nenv 'DEBIAN_FRONTEND=noninteractive' apt-get install -y -q --no-install-recommends qemu-system-x86 qemu-utils libvirt-daemon-system libvirt-clients virtinst dnsmasq-base"
        },
    };

    [Theory]
    [MemberData(nameof(InstallCommands))]
    public void NothingInstalledGetsTheReleasesOwnInstallCommand(string fixture, string install)
    {
        string expected = install + "\n# or, from PowerShell: Install-KvmHost -ComputerName " + fixture;
        foreach (string check in new[] { "LibvirtInstalled", "QemuInstalled", "LibvirtDaemon" })
        {
            KvmCapabilityResult result = ProbeFixtures.Check(fixture, check);
            Assert.Equal(KvmCheckStatus.Fail, result.Status);
            Assert.Equal(expected, result.Remediation);
        }
    }

    [Fact]
    public void OnlyTheMissingPackagesAreNamed()
    {
        HostFacts facts = ProbeFixtures.Facts("rhel8-nothing-installed", ("packages", "qemu-kvm 6.2.0-50.module+el8.10.0+21768+b3ae5b42"));
        Assert.Equal("dnf install -y libvirt virt-install\n# or, from PowerShell: Install-KvmHost -ComputerName x",
            ProbeFixtures.Check(facts, "x", "LibvirtInstalled").Remediation);
    }

    [Fact]
    public void AnUnknownDistributionIsToldToUseItsOwnTools()
    {
        KvmCapabilityResult libvirt = ProbeFixtures.Check("alpine3.20-unknown", "LibvirtInstalled");
        Assert.Equal("libvirt is not installed (no virsh, libvirtd or virtqemud) on Alpine Linux 3.20.0.", libvirt.Detail);
        Assert.Equal("KvmPS knows no package manager on Alpine Linux 3.20.0; install QEMU/KVM and libvirt with the distribution's tools.", libvirt.Remediation);
        Assert.DoesNotContain("Install-KvmHost", libvirt.Remediation);
    }

    [Fact]
    public void InstalledPackagesAndVersionsAreReported()
    {
        Assert.Equal("QEMU 0.9.1 is installed (kvm 83-224.el5).", ProbeFixtures.Check("rhel5.6-intel", "QemuInstalled").Detail);
        Assert.Equal("QEMU 8.2.0 is installed (qemu-kvm 8.2.0-11.el9_4.3).", ProbeFixtures.Check("rhel9-intel", "QemuInstalled").Detail);
        Assert.Equal("QEMU 6.2.0 is installed (qemu-system-x86 1:6.2+dfsg-2ubuntu6.19).", ProbeFixtures.Check("ubuntu2204-intel", "QemuInstalled").Detail);
        Assert.Equal("libvirt 8.0.0 is installed (libvirt-clients 8.0.0-1ubuntu7.10, libvirt-daemon-system 8.0.0-1ubuntu7.10).",
            ProbeFixtures.Check("ubuntu2204-intel", "LibvirtInstalled").Detail);
    }

    [Fact]
    public void StoppedModularLibvirtIsEnabledThroughItsSockets()
    {
        KvmCapabilityResult daemon = ProbeFixtures.Check("rhel9-libvirt-stopped", "LibvirtDaemon");
        Assert.Equal("libvirt is installed but no daemon is running (modular layout expected on Red Hat Enterprise Linux 9.4).", daemon.Detail);
        Assert.Equal("systemctl enable --now " + ModularSockets, daemon.Remediation);
        Assert.Equal("libvirt is not running, so its networks cannot be listed.", ProbeFixtures.Check("rhel9-libvirt-stopped", "DefaultNetwork").Detail);
        Assert.Equal(KvmCheckStatus.NotApplicable, ProbeFixtures.Check("rhel9-libvirt-stopped", "DefaultStoragePool").Status);
        Assert.Equal("libvirt did not answer; the CPU and /dev/kvm are ready for KVM acceleration.",
            ProbeFixtures.Check("rhel9-libvirt-stopped", "Acceleration").Detail);
    }

    [Fact]
    public void RunningDaemonsAreJudgedByHowTheyStartAtBoot()
    {
        Assert.Equal("The modular daemons (virtqemud and friends) are running and enabled at boot (systemd).", ProbeFixtures.Check("rhel10-amd", "LibvirtDaemon").Detail);
        Assert.Equal("libvirtd (monolithic) is running and enabled at boot (systemd).", ProbeFixtures.Check("rhel8-intel-selinux-bad-context", "LibvirtDaemon").Detail);

        KvmCapabilityResult sysv = ProbeFixtures.Check("rhel6-amd", "LibvirtDaemon");
        Assert.Equal("libvirtd (monolithic) is running but is not enabled at boot (SysV).", sysv.Detail);
        Assert.Equal("chkconfig libvirtd on", sysv.Remediation);

        HostFacts notEnabled = ProbeFixtures.Facts("rhel9-intel", ("units", string.Join("\n",
            "libvirtd.service disabled inactive", "libvirtd.socket disabled inactive", "virtqemud.service disabled active",
            "virtqemud.socket disabled active", "virtnetworkd.socket disabled inactive", "virtstoraged.socket disabled inactive",
            "virtlogd.socket static active")));
        KvmCapabilityResult systemd = ProbeFixtures.Check(notEnabled, "x", "LibvirtDaemon");
        Assert.Equal(KvmCheckStatus.Warn, systemd.Status);
        Assert.Equal("systemctl enable --now " + ModularSockets, systemd.Remediation);
    }

    [Fact]
    public void WithoutAnInitSystemOnlyTheDaemonsThatAreDownAreStarted()
    {
        KvmCapabilityResult down = ProbeFixtures.Check("debian12-kvm-pvm-no-init-libvirtd-down", "LibvirtDaemon");
        Assert.Equal("libvirt is installed but no daemon is running (monolithic layout expected on Debian GNU/Linux 12). There is no init system: start the daemons directly.", down.Detail);
        Assert.Equal("libvirtd -d", down.Remediation);

        HostFacts nothingRuns = ProbeFixtures.Facts("debian12-kvm-pvm-no-init-libvirtd-down", ("daemons", null));
        Assert.Equal("virtlogd -d\nlibvirtd -d", ProbeFixtures.Check(nothingRuns, "x", "LibvirtDaemon").Remediation);

        KvmCapabilityResult up = ProbeFixtures.Check("debian12-kvm-pvm", "LibvirtDaemon");
        Assert.Equal("libvirtd (monolithic) is running as a plain process: there is no init system, so nothing restarts it after a reboot or a crash.", up.Detail);
    }

    [Fact]
    public void AStaleSocketIsNotARunningLibvirt()
    {
        HostFacts facts = ProbeFixtures.Facts("debian12-kvm-pvm-no-init-libvirtd-down");
        Assert.Contains("/run/libvirt/libvirt-sock", facts.Paths);
        Assert.Equal("NotRunning", facts.Info.LibvirtDaemon);
        Assert.Equal(-1, facts.Info.GuestCount);
        Assert.Equal("Monolithic", ProbeFixtures.Facts("debian12-kvm-pvm").Info.LibvirtDaemon);
        Assert.Equal("Modular", ProbeFixtures.Facts("rhel9-intel-unprivileged").Info.LibvirtDaemon); // polkit refused us: it runs
    }

    [Fact]
    public void LibvirtsDefaultsAreStartedAndAutostarted()
    {
        KvmCapabilityResult inactive = ProbeFixtures.Check("debian12-intel", "DefaultNetwork");
        Assert.Equal("The 'default' network (virbr0) is defined but not active.", inactive.Detail);
        Assert.Equal("virsh -c qemu:///system net-start default\nvirsh -c qemu:///system net-autostart default", inactive.Remediation);

        HostFacts noAutostart = ProbeFixtures.Facts("rhel9-intel", ("default-network", "Name:           default\nActive:         yes\nAutostart:      no\nBridge:         virbr0"));
        KvmCapabilityResult network = ProbeFixtures.Check(noAutostart, "x", "DefaultNetwork");
        Assert.Equal(KvmCheckStatus.Warn, network.Status);
        Assert.Equal("virsh -c qemu:///system net-autostart default", network.Remediation);

        KvmCapabilityResult pool = ProbeFixtures.Check("rhel9-vm-no-vt", "DefaultStoragePool");
        Assert.Equal("virsh -c qemu:///system pool-define-as default dir --target /var/lib/libvirt/images\nvirsh -c qemu:///system pool-build default\n"
            + "virsh -c qemu:///system pool-start default\nvirsh -c qemu:///system pool-autostart default", pool.Remediation);
        Assert.Equal("The 'default' storage pool is running and starts with libvirt (64.53 GiB available).", ProbeFixtures.Check("rhel9-intel", "DefaultStoragePool").Detail);
    }

    [Fact]
    public void SeLinuxWithAWronglyLabelledImageDirectoryFailsWithRestorecon()
    {
        KvmCapabilityResult selinux = ProbeFixtures.Check("rhel8-intel-selinux-bad-context", "SELinux");
        Assert.Equal(KvmCheckStatus.Fail, selinux.Status);
        Assert.Equal("SELinux is enforcing, but /var/lib/libvirt/images has the context system_u:object_r:default_t:s0: QEMU will be denied access to guest images.", selinux.Detail);
        Assert.StartsWith("restorecon -R -v /var/lib/libvirt/images\n", selinux.Remediation);
        Assert.Equal("SELinux is enforcing (sVirt confines each guest); /var/lib/libvirt/images is system_u:object_r:virt_image_t:s0.",
            ProbeFixtures.Check("rhel9-intel", "SELinux").Detail);
    }

    [Fact]
    public void SeLinuxNotEnforcingIsAWarningWithTheWayBack()
    {
        KvmCapabilityResult permissive = ProbeFixtures.Check(ProbeFixtures.Facts("rhel9-intel", ("selinux", "Permissive")), "x", "SELinux");
        Assert.Equal(KvmCheckStatus.Warn, permissive.Status);
        Assert.StartsWith("setenforce 1\n", permissive.Remediation);
        KvmCapabilityResult disabled = ProbeFixtures.Check(ProbeFixtures.Facts("rhel9-intel", ("selinux", "Disabled")), "x", "SELinux");
        Assert.Contains("touch /.autorelabel && reboot", disabled.Remediation);
        Assert.Contains("AppArmor", ProbeFixtures.Check("ubuntu2204-intel", "SELinux").Detail);
    }

    [Fact]
    public void ResourcesAreMeasuredAgainstWhatGuestsNeed()
    {
        Assert.Equal("44 GiB available of 47.1 GiB.", ProbeFixtures.Check("rhel5.6-intel", "Memory").Detail); // MemFree: no MemAvailable before 3.14
        HostFacts small = ProbeFixtures.Facts("rhel9-nested-vm", ("meminfo", "MemTotal:        2014572 kB\nMemFree:          301224 kB\nMemAvailable:     712004 kB"));
        Assert.Equal(KvmCheckStatus.Warn, ProbeFixtures.Check(small, "x", "Memory").Status);

        HostFacts tight = ProbeFixtures.Facts("rhel9-intel", ("image-dir", "path /var/lib/libvirt/images\n/dev/mapper/rhel-root 10475520 8388608 2086912 81% /"));
        Assert.Equal(KvmCheckStatus.Fail, ProbeFixtures.Check(tight, "x", "ImageStorage").Status);
        HostFacts some = ProbeFixtures.Facts("rhel9-intel", ("image-dir", "path /var/lib/libvirt/images\n/dev/mapper/rhel-root 20961280 10485760 10475520 50% /"));
        Assert.Equal(KvmCheckStatus.Warn, ProbeFixtures.Check(some, "x", "ImageStorage").Status);
    }

    [Fact]
    public void NetworkBasicsWarnAboutLoopbackNamesAndMissingRoutes()
    {
        KvmCapabilityResult ubuntu = ProbeFixtures.Check("ubuntu2204-intel", "HostNameResolution");
        Assert.Equal("'ubuntu2204' resolves to the loopback address 127.0.1.1: migration peers would be sent to themselves.", ubuntu.Detail);
        Assert.Equal("'kvm9.example.com' resolves to 10.20.30.41.", ProbeFixtures.Check("rhel9-intel", "HostNameResolution").Detail);

        KvmCapabilityResult noRoute = ProbeFixtures.Check("debian12-kvm-pvm", "DefaultGateway");
        Assert.StartsWith("There is no default route", noRoute.Detail);
        Assert.StartsWith("ip route add default via <gateway>", noRoute.Remediation);
        Assert.Equal("The default gateway 192.0.2.1 does not answer ping (it may only filter ICMP).",
            ProbeFixtures.Check("debian12-kvm-pvm-no-init-libvirtd-down", "DefaultGateway").Detail);
        Assert.Equal("DNS servers: 127.0.0.53.", ProbeFixtures.Check("ubuntu2204-intel", "DnsServers").Detail);
    }
}
