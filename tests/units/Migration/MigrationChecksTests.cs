using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using KvmPS;
using KvmPS.Migration;
using Xunit;

namespace KvmPS.Tests.Migration;

/// <summary>Test-KvmMigration's verdicts from the pre-flight's facts: recorded ones, and each failure made on purpose.</summary>
public sealed class MigrationChecksTests
{
    private const string Disk = "/var/lib/libvirt/images/web 1.qcow2";

    private static MigrationSourceFacts Source(string state = "running")
    {
        var src = new MigrationSourceFacts { State = state, Persistent = true, TrustExitCode = 0, LibvirtVersion = "9.0.0", Complete = true };
        src.Disks.Add(new MigrationDisk { Type = "file", Device = "disk", Target = "vda", Source = Disk, Format = "qcow2", VirtualSize = 20L << 30, ActualSize = 3L << 30 });
        src.Disks.Add(new MigrationDisk { Type = "file", Device = "cdrom", Target = "sda", Source = "/srv/iso/rhel9.iso", Format = "raw" });
        src.Markers["/var/lib/libvirt/images"] = true;
        src.Markers["/srv/iso"] = true;
        src.Ports[22] = "open";
        src.Ports[49152] = "refused";
        return src;
    }

    private static MigrationDestinationFacts Destination(bool shared = true)
    {
        string text = $@"== version
9.0.0
== name
== cpu
CPU described in /tmp/tmp.x is identical to the CPU provided by hypervisor on the host
rc 0
== machine
rc 0
== items
net active default
bridge present br0
loader present /usr/share/edk2/ovmf/OVMF_CODE.secboot.fd
loader present /usr/share/edk2/ovmf/OVMF_VARS.secboot.fd
disk {(shared ? "exists" : "free")} 52428800 {Disk}
disk exists 52428800 /srv/iso/rhel9.iso
dir {(shared ? "shared" : "local")} /var/lib/libvirt/images
dir {(shared ? "shared" : "local")} /srv/iso
== memory
8388608
== end
";
        return MigrationDestinationFacts.Parse(text);
    }

    private static List<KvmMigrationCheck> Checks(
        Action<MigrationSourceFacts>? source = null, Action<MigrationDestinationFacts>? destination = null, string? xml = null,
        bool shared = true, bool live = true, bool includeStorage = false, string address = "198.18.0.12", string sourceUser = "root")
    {
        MigrationSourceFacts src = Source(live ? "running" : "shut off");
        source?.Invoke(src);
        MigrationDestinationFacts dst = Destination(shared);
        destination?.Invoke(dst);
        var facts = new MigrationFacts("kvm1", "kvm2", src, MigrationDefinition.Parse(xml ?? MigrationDefinitionTests.Xml()), dst)
        {
            DestinationAddress = address,
            DataAddress = address,
            Live = live,
            IncludeStorage = includeStorage,
            SourceUser = sourceUser,
        };
        return MigrationChecks.Evaluate(facts);
    }

    private static KvmMigrationCheck Check(List<KvmMigrationCheck> checks, string id) => Assert.Single(checks, c => c.Check == id);

    [Fact]
    public void EverythingInPlacePassesEveryCheck()
    {
        List<KvmMigrationCheck> checks = Checks();

        Assert.All(checks, c => Assert.Equal(KvmCheckStatus.Pass, c.Status));
        Assert.All(checks, c => Assert.Equal(("web 1", "kvm1", "kvm2", ""), (c.Guest, c.ComputerName, c.Destination, c.Remediation)));
        Assert.Equal(new[] { "GuestState", "DestinationReachable", "NameResolution", "MigrationPorts", "SshTrust", "CpuCompatible", "MachineType", "Firmware",
            "SharedStorage", "DiskCache", "Networks", "Memory", "NameAvailable", "LibvirtVersion" }, checks.Select(c => c.Check));
        Assert.Equal("kvm2: the guest's CPU is identical to the CPU provided by hypervisor on the host", Check(checks, "CpuCompatible").Detail);
    }

    [Fact]
    public void TheRecordedLabMoveWithALocalDiskNeedsIncludeStorage()
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "Migration", "Fixtures");
        MigrationSourceFacts src = MigrationSourceFacts.Parse(File.ReadAllText(Path.Combine(dir, "migration-source-with-markers.txt")));
        MigrationDestinationFacts dst = MigrationDestinationFacts.Parse(File.ReadAllText(Path.Combine(dir, "migration-destination-items.txt")));
        var facts = new MigrationFacts("kvm2", "kvm1", src, MigrationDefinition.Parse(src.Xml), dst) { DestinationAddress = "198.18.3.11", DataAddress = "198.18.3.11" };

        List<KvmMigrationCheck> copy = MigrationChecks.Evaluate(facts);
        KvmMigrationCheck storage = Check(copy, "SharedStorage");
        Assert.Equal(KvmCheckStatus.Fail, storage.Status);
        Assert.Equal("not on storage kvm1 shares: /var/lib/libvirt/images/mt1.qcow2; kvm1 has other files at /var/lib/libvirt/images/mt1.qcow2", storage.Detail);
        Assert.Contains("-IncludeStorage", storage.Remediation, StringComparison.Ordinal);
        Assert.Equal(KvmCheckStatus.Pass, Check(copy, "CpuCompatible").Status);
        Assert.Equal(KvmCheckStatus.Pass, Check(copy, "SshTrust").Status);
        Assert.Equal(KvmCheckStatus.Pass, Check(copy, "MigrationPorts").Status);

        facts.IncludeStorage = true;
        List<KvmMigrationCheck> withCopy = MigrationChecks.Evaluate(facts);
        Assert.Equal(KvmCheckStatus.Pass, Check(withCopy, "SharedStorage").Status);
        KvmMigrationCheck disks = Check(withCopy, "DestinationDisks");
        Assert.Equal(KvmCheckStatus.Fail, disks.Status);
        Assert.Contains("already there on kvm1 (KvmPS does not overwrite files): /var/lib/libvirt/images/mt1.qcow2", disks.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void DisksTheDestinationDoesNotSeeFailWithoutIncludeStorage()
    {
        KvmMigrationCheck storage = Check(Checks(shared: false, destination: d => d.Disks.Remove("/srv/iso/rhel9.iso")), "SharedStorage");

        Assert.Equal(KvmCheckStatus.Fail, storage.Status);
        Assert.Equal($"not on storage kvm2 shares: {Disk}, /srv/iso/rhel9.iso", storage.Detail);
        Assert.StartsWith("Add -IncludeStorage", storage.Remediation, StringComparison.Ordinal);
    }

    [Fact]
    public void IncludeStorageCopiesDisksButAReadOnlyImageMustAlreadyBeThere()
    {
        List<KvmMigrationCheck> checks = Checks(shared: false, includeStorage: true);
        Assert.Equal(KvmCheckStatus.Pass, Check(checks, "SharedStorage").Status);
        Assert.Equal($"copied by -IncludeStorage: vda ({Disk})", Check(checks, "SharedStorage").Detail);
        Assert.Equal(KvmCheckStatus.Pass, Check(checks, "DestinationDisks").Status);

        List<KvmMigrationCheck> isoMissing = Checks(shared: false, includeStorage: true, destination: d => d.Disks.Remove("/srv/iso/rhel9.iso"));
        Assert.Equal(KvmCheckStatus.Fail, Check(isoMissing, "SharedStorage").Status);
        Assert.Contains("/srv/iso/rhel9.iso", Check(isoMissing, "SharedStorage").Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void CopiedDisksNeedFreePathsAndSpaceForWhatIsAllocated()
    {
        void Free(MigrationDestinationFacts d, long kib)
        {
            d.Disks[Disk] = (false, kib);
        }

        Assert.Equal(KvmCheckStatus.Pass, Check(Checks(shared: false, includeStorage: true, destination: d => Free(d, 30L << 20)), "DestinationDisks").Status);
        KvmMigrationCheck tight = Check(Checks(shared: false, includeStorage: true, destination: d => Free(d, 10L << 20)), "DestinationDisks");
        Assert.Equal(KvmCheckStatus.Warn, tight.Status);
        Assert.Equal("paths free on kvm2; the copy needs 3 GiB now, up to 20 GiB as the disks fill; 10 GiB free there", tight.Detail);
        Assert.Equal(KvmCheckStatus.Fail, Check(Checks(shared: false, includeStorage: true, destination: d => Free(d, 1L << 20)), "DestinationDisks").Status);
    }

    [Fact]
    public void AMarkerThatCouldNotBeWrittenIsReportedAsTheReason()
    {
        KvmMigrationCheck storage = Check(Checks(shared: false, source: s => s.Markers["/var/lib/libvirt/images"] = false), "SharedStorage");

        Assert.Equal(KvmCheckStatus.Fail, storage.Status);
        Assert.Contains("(could not leave a marker in /var/lib/libvirt/images to tell)", storage.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void ASharedDiskWithHostCachingIsRefusedLikeLibvirtDoes()
    {
        KvmMigrationCheck cache = Check(Checks(xml: MigrationDefinitionTests.Xml(diskCache: "writeback")), "DiskCache");

        Assert.Equal(KvmCheckStatus.Fail, cache.Status);
        Assert.Contains("vda (cache=writeback)", cache.Detail, StringComparison.Ordinal);
        Assert.Contains("cache='none'", cache.Remediation, StringComparison.Ordinal);
    }

    [Fact]
    public void AnOfflineMoveNeedsTheDisksThereAndNoMigrationPorts()
    {
        Assert.Equal(KvmCheckStatus.Fail, Check(Checks(shared: false, live: false), "SharedStorage").Status);
        List<KvmMigrationCheck> checks = Checks(shared: false, live: false, source: s => s.Ports[49152] = "filtered", destination: d => d.Disks[Disk] = (true, 1));

        Assert.Equal(KvmCheckStatus.NotApplicable, Check(checks, "MigrationPorts").Status);
        Assert.Equal(KvmCheckStatus.Pass, Check(checks, "SharedStorage").Status);
        Assert.StartsWith("not shared, but present at the same path on kvm2", Check(checks, "SharedStorage").Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(checks, c => c.Check == "DiskCache");
        // The test guest has UEFI variables: an offline move leaves them behind, and says so.
        KvmMigrationCheck state = Check(checks, "GuestState");
        Assert.Equal(KvmCheckStatus.Warn, state.Status);
        Assert.Equal("shut off: an offline move (the definition only); its UEFI variables (NVRAM) and TPM state stay on the source: the destination starts it with fresh ones", state.Detail);
        Assert.Equal("shut off: an offline move (the definition only)",
            Check(Checks(shared: false, live: false, xml: MigrationDefinitionTests.Xml().Replace("<nvram", "<!--").Replace("</nvram>", "-->"), destination: d => d.Disks[Disk] = (true, 1)), "GuestState").Detail);
    }

    [Theory]
    [InlineData("filtered", "Fail", "a firewall drops the migration ports")]
    [InlineData("open", "Pass", "reaches 198.18.0.12:49152")]
    [InlineData("untested", "Warn", "not tested")]
    public void MigrationPorts(string state, string status, string detail)
    {
        KvmMigrationCheck ports = Check(Checks(source: s => s.Ports[49152] = state), "MigrationPorts");

        Assert.Equal(status, ports.Status.ToString());
        Assert.Contains(detail, ports.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("refused", "nothing listens on port 22")]
    [InlineData("filtered", "gets no answer from 198.18.0.12:22")]
    public void AnUnreachableDestination(string state, string detail)
    {
        KvmMigrationCheck reach = Check(Checks(source: s => s.Ports[22] = state), "DestinationReachable");

        Assert.Equal(KvmCheckStatus.Fail, reach.Status);
        Assert.Contains(detail, reach.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void ANameTheSourceCannotResolve()
    {
        KvmMigrationCheck failed = Check(Checks(address: "kvm2.example.test"), "NameResolution");
        Assert.Equal(KvmCheckStatus.Fail, failed.Status);
        Assert.Contains("/etc/hosts on kvm1", failed.Remediation, StringComparison.Ordinal);

        KvmMigrationCheck resolved = Check(Checks(address: "kvm2.example.test", source: s => s.Resolved.Add("10.0.0.12")), "NameResolution");
        Assert.Equal("kvm1 resolves kvm2.example.test to 10.0.0.12", resolved.Detail);
    }

    [Fact]
    public void NoTrustNamesTheUserWhoseKeysCarryTheMove()
    {
        // An unelevated session's own user runs ssh on the source, not root.
        KvmMigrationCheck check = Check(Checks(sourceUser: "kvmlimited", source: s =>
        {
            s.TrustExitCode = 255;
            s.TrustOutput = "Host key verification failed.";
        }), "SshTrust");
        Assert.Contains("kvm1: kvmlimited cannot reach libvirt", check.Detail, StringComparison.Ordinal);
        Assert.Contains(">> ~kvmlimited/.ssh/known_hosts", check.Remediation, StringComparison.Ordinal);
        Assert.DoesNotContain("root", check.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void NoTrustSaysWhyAndHowToFixIt()
    {
        KvmMigrationCheck keys = Check(Checks(source: s =>
        {
            s.TrustExitCode = 255;
            s.TrustOutput = "root@198.18.0.12: Permission denied (publickey,password).";
        }), "SshTrust");
        Assert.Equal(KvmCheckStatus.Fail, keys.Status);
        Assert.Contains("(exit code 255): root@198.18.0.12: Permission denied", keys.Detail, StringComparison.Ordinal);
        Assert.Contains("ssh-copy-id -p 22 root@198.18.0.12", keys.Remediation, StringComparison.Ordinal);

        KvmMigrationCheck hostKey = Check(Checks(source: s =>
        {
            s.TrustExitCode = 255;
            s.TrustOutput = "No ED25519 host key is known for 198.18.0.12 and you have requested strict checking.\nHost key verification failed.";
        }), "SshTrust");
        Assert.Contains("ssh-keyscan -p 22 198.18.0.12", hostKey.Remediation, StringComparison.Ordinal);
    }

    [Fact]
    public void EphemeralTrustNeedsOnlySshdReachable()
    {
        List<KvmMigrationCheck> Ephemeral(string port)
        {
            MigrationSourceFacts src = Source();
            src.Ports[22] = port;
            src.TrustExitCode = 255;
            var facts = new MigrationFacts("kvm1", "kvm2", src, MigrationDefinition.Parse(MigrationDefinitionTests.Xml()), Destination())
            {
                DestinationAddress = "198.18.0.12", DataAddress = "198.18.0.12", TrustMode = KvmMigrationTrustMode.Ephemeral,
            };
            return MigrationChecks.Evaluate(facts);
        }

        KvmMigrationCheck ok = Check(Ephemeral("open"), "SshTrust");
        Assert.Equal(KvmCheckStatus.Pass, ok.Status);
        Assert.StartsWith("-TrustMode Ephemeral: a one-time key made on kvm1 is authorized for root on kvm2", ok.Detail, StringComparison.Ordinal);
        Assert.Equal(KvmCheckStatus.Fail, Check(Ephemeral("filtered"), "SshTrust").Status);
    }

    [Fact]
    public void CpuMachineAndFirmwareTheDestinationLacks()
    {
        List<KvmMigrationCheck> checks = Checks(destination: d =>
        {
            d.CpuExitCode = 1;
            d.CpuOutput = "CPU described in /tmp/tmp.y is incompatible with the CPU provided by hypervisor on the host";
            d.MachineExitCode = 1;
            d.MachineError = "error: failed to get emulator capabilities\nerror: invalid argument: the machine 'pc-q35-rhel9.2.0' is not supported";
            d.Items["loader"]["/usr/share/edk2/ovmf/OVMF_VARS.secboot.fd"] = "missing";
        });

        Assert.Equal("the guest's CPU cannot run on kvm2: the guest's CPU is incompatible with the CPU provided by hypervisor on the host", Check(checks, "CpuCompatible").Detail);
        Assert.Equal(KvmCheckStatus.Fail, Check(checks, "MachineType").Status);
        Assert.Contains("failed to get emulator capabilities", Check(checks, "MachineType").Detail, StringComparison.Ordinal);
        Assert.Equal("missing on kvm2: /usr/share/edk2/ovmf/OVMF_VARS.secboot.fd", Check(checks, "Firmware").Detail);
        Assert.Equal(KvmCheckStatus.Warn, Check(Checks(xml: MigrationDefinitionTests.Xml("<cpu mode='host-passthrough'/>")), "CpuCompatible").Status);
    }

    [Fact]
    public void NetworksAndBridgesMissingOrInactive()
    {
        KvmMigrationCheck networks = Check(Checks(destination: d =>
        {
            d.Items["net"]["default"] = "inactive";
            d.Items["bridge"]["br0"] = "missing";
        }), "Networks");

        Assert.Equal(KvmCheckStatus.Fail, networks.Status);
        Assert.Equal("on kvm2: network 'default' is not active; bridge 'br0' does not exist", networks.Detail);
        Assert.Equal("virsh net-start 'default' on kvm2; New-KvmBridge -ComputerName kvm2 -Name 'br0' -InterfaceName <nic>", networks.Remediation);
    }

    [Fact]
    public void TooLittleMemoryFailsALiveMoveAndWarnsAnOfflineOne()
    {
        Assert.Equal(KvmCheckStatus.Fail, Check(Checks(destination: d => d.MemAvailableKiB = 1024), "Memory").Status);
        Assert.Equal(KvmCheckStatus.Warn, Check(Checks(live: false, destination: d => d.MemAvailableKiB = 1024), "Memory").Status);
    }

    [Fact]
    public void ANameOrUuidTakenOnTheDestination()
    {
        KvmMigrationCheck name = Check(Checks(destination: d => d.NameTakenState = "shut off"), "NameAvailable");
        Assert.Equal(KvmCheckStatus.Fail, name.Status);
        Assert.Equal("kvm2 already has a guest named 'web 1' (shut off)", name.Detail);

        KvmMigrationCheck uuid = Check(Checks(destination: d => d.UuidTakenBy = "old-web"), "NameAvailable");
        Assert.Contains("-Name 'old-web'", uuid.Remediation, StringComparison.Ordinal);
    }

    [Fact]
    public void AnOlderLibvirtOnTheDestinationIsAWarning()
    {
        KvmMigrationCheck version = Check(Checks(destination: d => d.LibvirtVersion = "8.0.0"), "LibvirtVersion");

        Assert.Equal(KvmCheckStatus.Warn, version.Status);
        Assert.Equal("libvirt 9.0.0 on kvm1, 8.0.0 on kvm2: the destination is older", version.Detail);
    }

    [Fact]
    public void TheRunnerSplitsOnePollIntoGuests()
    {
        var sections = MigrationRunner.Sections("== web 1\nJob type: Unbounded\nData processed: 1 MiB\n== db\nJob type: None\n");

        Assert.Equal(new[] { "web 1", "db" }, sections.Keys);
        Assert.True(MigrationProgress.Parse(sections["web 1"]).IsRunning);
        Assert.False(MigrationProgress.Parse(sections["db"]).IsRunning);
    }
}
