using System;
using System.IO;
using System.Linq;
using KvmPS.Migration;
using Xunit;

namespace KvmPS.Tests.Migration;

/// <summary>migration-destination.sh's output, REAL recordings from the lab (see Fixtures/README.md), and the probe's arguments.</summary>
public sealed class MigrationDestinationFactsTests
{
    internal static MigrationDestinationFacts Recorded(string name)
        => MigrationDestinationFacts.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Migration", "Fixtures", name)));

    [Fact]
    public void NetworksBridgesFirmwareAndDisksAsTheDestinationHasThem()
    {
        MigrationDestinationFacts facts = Recorded("migration-destination-items.txt");

        Assert.True(facts.Complete);
        Assert.Equal("9.0.0", facts.LibvirtVersion);
        Assert.Equal("", facts.NameTakenState);
        Assert.Equal("", facts.UuidTakenBy);
        Assert.Equal(0, facts.CpuExitCode);
        Assert.Contains("is identical to the CPU provided by hypervisor", facts.CpuOutput, StringComparison.Ordinal);
        Assert.Equal(0, facts.MachineExitCode);
        Assert.Equal("inactive", facts.State("net", "default"));
        Assert.Equal("missing", facts.State("net", "nosuch"));
        Assert.Equal("missing", facts.State("bridge", "br9"));
        Assert.Equal("present", facts.State("loader", "/usr/share/OVMF/OVMF_CODE.fd"));
        Assert.Equal("missing", facts.State("loader", "/usr/share/nosuch/OVMF_VARS.fd"));
        Assert.True(facts.Disks["/var/lib/libvirt/images/mt1.qcow2"].Exists);
        (bool exists, long free) = facts.Disks["/var/lib/libvirt/images/new dir/x.qcow2"];
        Assert.False(exists);
        Assert.True(free > 1024 * 1024, "free KiB of the nearest existing directory");
        Assert.Equal("local", facts.State("dir", "/var/lib/libvirt/images"));
        Assert.True(facts.MemAvailableKiB > 1024 * 1024);
    }

    [Fact]
    public void AGuestOfThatNameAnUnknownMachineTypeAndASharedDirectory()
    {
        MigrationDestinationFacts facts = Recorded("migration-destination-conflicts.txt");

        Assert.Equal("running", facts.NameTakenState);
        Assert.Equal("mt1", facts.UuidTakenBy);
        Assert.Equal(1, facts.MachineExitCode);
        Assert.Contains("the machine 'pc-q35-99.0' is not supported", facts.MachineError, StringComparison.Ordinal);
        Assert.Equal("shared", facts.State("dir", "/var/lib/kvmps-lab"));
    }

    [Fact]
    public void AnIncompatibleCpu()
    {
        MigrationDestinationFacts facts = Recorded("migration-destination-cpu-incompatible.txt");

        Assert.Equal(1, facts.CpuExitCode);
        Assert.Contains("is incompatible with the CPU provided by hypervisor", facts.CpuOutput, StringComparison.Ordinal);
        Assert.Equal(0, facts.MachineExitCode);
    }

    [Fact]
    public void TheProbeGetsEveryItemAsOneArgumentAndNoHostPassthroughCpu()
    {
        MigrationDefinition definition = MigrationDefinition.Parse(MigrationDefinitionTests.Xml("<cpu mode='host-passthrough'/>"));

        var probe = MigrationDestinationFacts.Probe(definition, ".kvmps-shared-x", new[] { "/var/lib/libvirt/images" });

        Assert.Equal(new[] { "sh", "-s", "--", "web 1", "6f3c2a3e-98c4-4a53-9f0b-3f0e0d9f1a11", "kvm", "x86_64", "pc-q35-rhel9.2.0", "", ".kvmps-shared-x",
            "net:default", "bridge:br0", "loader:/usr/share/edk2/ovmf/OVMF_CODE.secboot.fd", "loader:/usr/share/edk2/ovmf/OVMF_VARS.secboot.fd",
            "disk:/var/lib/libvirt/images/web 1.qcow2", "disk:/srv/iso/rhel9.iso", "dir:/var/lib/libvirt/images" }, probe.Argv.ToArray());
        Assert.Equal("migration-destination.sh", probe.StdinName);
    }
}
