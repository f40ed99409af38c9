using System;
using System.Linq;
using KvmPS.Facts;
using KvmPS.Planning.Install;
using Xunit;

namespace KvmPS.Tests.Capability;

/// <summary>Install-KvmHost's plan on each recorded host, command by command as the host receives it.</summary>
public sealed class InstallPlannerTests
{
    private const string ModularEnable = "systemctl enable --now virtqemud.socket virtqemud-ro.socket virtqemud-admin.socket virtnetworkd.socket "
        + "virtnetworkd-ro.socket virtnetworkd-admin.socket virtstoraged.socket virtstoraged-ro.socket virtstoraged-admin.socket "
        + "virtnodedevd.socket virtnodedevd-ro.socket virtnodedevd-admin.socket virtsecretd.socket virtsecretd-ro.socket "
        + "virtsecretd-admin.socket virtinterfaced.socket virtinterfaced-ro.socket virtinterfaced-admin.socket virtnwfilterd.socket "
        + "virtnwfilterd-ro.socket virtnwfilterd-admin.socket";

    private const string AptInstall = "env 'DEBIAN_FRONTEND=noninteractive' apt-get install -y -q --no-install-recommends qemu-system-x86 qemu-utils libvirt-daemon-system libvirt-clients virtinst dnsmasq-base";

    private static readonly string[] NetStart = { "virsh -c qemu:///system net-start default", "virsh -c qemu:///system net-autostart default" };

    private static readonly string[] PoolCreate =
    {
        "virsh -c qemu:///system pool-define-as default dir --target /var/lib/libvirt/images", "virsh -c qemu:///system pool-build default",
        "virsh -c qemu:///system pool-start default", "virsh -c qemu:///system pool-autostart default",
    };

    /// <summary>Fixture, the plan's commands ("|" between them), how many warnings it says first.</summary>
    public static TheoryData<string, string, int> Plans() => new()
    {
        { "rhel6-amd-nothing-installed", "yum install -y qemu-kvm libvirt python-virtinst|modprobe kvm_amd|chkconfig libvirtd on|service libvirtd start", 0 },
        { "rhel6-amd", "chkconfig libvirtd on", 0 },
        { "rhel7-intel-nothing-installed", "yum install -y qemu-kvm libvirt virt-install|systemctl enable --now libvirtd.service", 0 },
        { "rhel8-nothing-installed", "dnf install -y qemu-kvm libvirt virt-install|systemctl enable --now libvirtd.service", 0 },
        { "rhel9-libvirt-stopped", ModularEnable, 0 },
        { "rhel9-svm-disabled-amd", "dnf install -y qemu-kvm libvirt virt-install|" + ModularEnable, 1 },
        { "rhel9-vm-no-vt", string.Join("|", PoolCreate), 1 },
        { "rhel10-amd-nothing-installed", "dnf install -y qemu-kvm libvirt virt-install|" + ModularEnable, 0 },
        { "debian12-intel-nothing-installed", "apt-get update -q|" + AptInstall + "|systemctl enable --now libvirtd.service", 0 },
        { "debian12-intel", string.Join("|", NetStart.Concat(PoolCreate)), 0 },
        { "debian12-kvm-pvm", string.Join("|", NetStart.Concat(PoolCreate)), 1 },
        { "debian12-kvm-pvm-no-init-libvirtd-down", "libvirtd -d", 2 },
    };

    [Theory]
    [MemberData(nameof(Plans))]
    public void EachReleaseGetsItsOwnCommands(string fixture, string commands, int warnings)
    {
        InstallPlan plan = ProbeFixtures.Plan(fixture);
        Assert.Null(plan.Refusal);
        Assert.Equal(commands.Split('|'), ProbeFixtures.Commands(plan));
        Assert.Equal(warnings, plan.Warnings.Count);
        Assert.All(plan.Steps, s => Assert.NotEmpty(s.Commands));
    }

    [Theory]
    [InlineData("rhel9-intel")]
    [InlineData("rhel9-nested-vm")]
    [InlineData("rhel10-amd")]
    [InlineData("rhel7-intel")]
    [InlineData("ubuntu2204-intel")]
    public void AHostWithEverythingInPlaceGetsAnEmptyPlan(string fixture)
    {
        InstallPlan plan = ProbeFixtures.Plan(fixture);
        Assert.True(plan.IsEmpty, string.Join("; ", ProbeFixtures.Commands(plan)));
        Assert.Empty(plan.Warnings);
        Assert.Null(plan.Refusal);
        Assert.Equal("", plan.Describe());
    }

    [Fact]
    public void Rhel5GetsTheOriginalGuidesPackagesWithYumThenTheModule()
    {
        InstallPlan plan = ProbeFixtures.Plan("rhel5.6-intel-nothing-installed");
        string[] commands = ProbeFixtures.Commands(plan);
        Assert.Equal("yum install -y kvm kmod-kvm libvirt python-virtinst", commands[0]);
        Assert.Equal("modprobe kvm_intel", commands[1]);
        Assert.Equal("Red Hat Enterprise Linux Server 5.6", plan.Platform.Name);
        Assert.Equal("root", plan.Platform.DefaultQemuUser);
    }

    [Fact]
    public void AnUnknownDistributionIsRefused()
    {
        InstallPlan plan = ProbeFixtures.Plan("alpine3.20-unknown");
        Assert.Equal("alpine3.20-unknown runs Alpine Linux 3.20.0 with no package manager KvmPS knows (dnf, yum, apt-get, zypper); "
            + "install QEMU/KVM and libvirt with the distribution's own tools.", plan.Refusal);
        Assert.True(plan.IsEmpty);
        Assert.False(plan.Platform.IsSupported);
    }

    [Fact]
    public void ACpuThatCannotDoKvmIsAWarningButStillAPlanWithoutTheModule()
    {
        InstallPlan plan = ProbeFixtures.Plan("rhel9-svm-disabled-amd");
        string warning = Assert.Single(plan.Warnings);
        Assert.StartsWith("rhel9-svm-disabled-amd cannot give guests KVM acceleration: Hardware virtualization is disabled in the firmware: VM_CR.SVMDIS is set", warning);
        Assert.EndsWith("Installing anyway: guests will run with software emulation (TCG).", warning);
        Assert.DoesNotContain(ProbeFixtures.Commands(plan), c => c.StartsWith("modprobe", StringComparison.Ordinal));
        Assert.Equal(2, plan.Steps.Count);

        InstallPlan vtOff = ProbeFixtures.Plan("rhel9-vt-disabled-intel");
        Assert.True(vtOff.IsEmpty);
        Assert.Contains("IA32_FEATURE_CONTROL (MSR 0x3a) is locked with VMX off", Assert.Single(vtOff.Warnings));
    }

    [Fact]
    public void WithoutAnInitSystemOnlyTheDaemonsNotRunningAreStartedAndTheRebootIsWarnedOf()
    {
        InstallPlan plan = ProbeFixtures.Plan("debian12-kvm-pvm-no-init-libvirtd-down");
        Assert.Contains(plan.Warnings, w => w == "debian12-kvm-pvm-no-init-libvirtd-down has no init system: KvmPS starts libvirt's daemons directly; they will not start again after a reboot.");
        Assert.Equal("Start libvirt's daemons directly (no init system)", Assert.Single(plan.Steps).Title);

        HostFacts nothingRuns = ProbeFixtures.Facts("debian12-kvm-pvm-no-init-libvirtd-down", ("daemons", null));
        Assert.Equal(new[] { "virtlogd -d", "libvirtd -d" }, ProbeFixtures.Commands(InstallPlanner.Plan(nothingRuns, "x")));

        // Running daemons without an init system: nothing to start, no reboot warning (only the CPU one).
        Assert.DoesNotContain(ProbeFixtures.Plan("debian12-kvm-pvm").Warnings, w => w.Contains("no init system"));
    }

    [Fact]
    public void AnUnloadedKvmModuleIsLoadedAndPersistedUnderSystemd()
    {
        HostFacts facts = ProbeFixtures.Facts("rhel9-intel", ("modules", "kvm\ntun\nvhost_net"));
        InstallPlan plan = InstallPlanner.Plan(facts, "x");
        Assert.Equal("Load the kvm_intel module", Assert.Single(plan.Steps).Title);
        Assert.Equal(new[] { "modprobe kvm_intel", "sh -c 'printf '\\''%s\\n'\\'' \"$1\" > /etc/modules-load.d/kvm.conf' sh kvm_intel" }, ProbeFixtures.Commands(plan));
    }

    [Fact]
    public void OnlyMissingPackagesAreInstalled()
    {
        HostFacts facts = ProbeFixtures.Facts("rhel8-nothing-installed", ("packages", "qemu-kvm 6.2.0-50.module+el8.10.0+21768+b3ae5b42"));
        InstallPlan plan = InstallPlanner.Plan(facts, "x");
        Assert.Equal("Install libvirt, virt-install with dnf", plan.Steps[0].Title);
        Assert.Equal("dnf install -y libvirt virt-install", ProbeFixtures.Commands(plan)[0]);
    }

    [Fact]
    public void RunningButNotEnabledModularLibvirtIsEnabled()
    {
        HostFacts facts = ProbeFixtures.Facts("rhel9-intel", ("units", string.Join("\n",
            "libvirtd.service disabled inactive", "libvirtd.socket disabled inactive", "virtqemud.service disabled active",
            "virtqemud.socket disabled active", "virtnetworkd.socket disabled inactive", "virtstoraged.socket disabled inactive",
            "virtlogd.socket static active")));
        InstallPlan plan = InstallPlanner.Plan(facts, "x");
        Assert.Equal("Enable and start libvirt (modular daemons, systemd)", Assert.Single(plan.Steps).Title);
        Assert.Equal(new[] { ModularEnable }, ProbeFixtures.Commands(plan));
    }

    [Fact]
    public void AnActiveNetworkThatDoesNotAutostartOnlyGetsAutostarted()
    {
        HostFacts facts = ProbeFixtures.Facts("rhel9-intel", ("default-network", "Name:           default\nActive:         yes\nAutostart:      no"));
        Assert.Equal(new[] { "virsh -c qemu:///system net-autostart default" }, ProbeFixtures.Commands(InstallPlanner.Plan(facts, "x")));
    }

    [Fact]
    public void WhatIfDescribesEveryStepAndCommand()
    {
        InstallPlan plan = ProbeFixtures.Plan("rhel10-amd-nothing-installed");
        Assert.Equal("1. Install qemu-kvm, libvirt, virt-install with dnf\n   dnf install -y qemu-kvm libvirt virt-install\n"
            + "2. Enable and start libvirt (modular daemons, systemd)\n   " + ModularEnable, plan.Describe());
        Assert.Equal("Red Hat Enterprise Linux 10.0", plan.Platform.Name);
    }

    [Fact]
    public void WrongSELinuxLabelsOnTheImageDirectoryAreRestored()
    {
        InstallPlan plan = ProbeFixtures.Plan("rhel8-intel-selinux-bad-context");
        Assert.Equal(new[] { "restorecon -R -v /var/lib/libvirt/images" }, ProbeFixtures.Commands(plan));
        Assert.Equal("Restore the SELinux context of /var/lib/libvirt/images", plan.Steps[0].Title);
    }

    [Fact]
    public void DebianAndUbuntuInstallWithoutPromptsAfterAnIndexUpdate()
    {
        InstallPlan plan = ProbeFixtures.Plan("debian12-intel-nothing-installed");
        Assert.Equal("Install qemu-system-x86, qemu-utils, libvirt-daemon-system, libvirt-clients, virtinst, dnsmasq-base with apt-get", plan.Steps[0].Title);
        // dnsmasq-base explicitly: it is only recommended, and the 'default' NAT network needs it.
        Assert.Equal(new[] { "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q", "--no-install-recommends",
            "qemu-system-x86", "qemu-utils", "libvirt-daemon-system", "libvirt-clients", "virtinst", "dnsmasq-base" }, plan.Steps[0].Commands[1].Argv);
        Assert.Equal("libvirt-qemu", plan.Platform.DefaultQemuUser);
    }
}
