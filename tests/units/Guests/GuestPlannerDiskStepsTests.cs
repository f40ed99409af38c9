using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Xml.Linq;
using KvmPS.Guests;
using KvmPS.Transport;
using Xunit;
using static KvmPS.Tests.Guests.GuestFixtures;

namespace KvmPS.Tests.Guests;

/// <summary>The storage steps of a plan, exactly as the host receives them, and their undo.</summary>
public sealed class GuestPlannerDiskStepsTests
{
    private static readonly string Refresh = GuestPlanner.PoolRefresh("default").ToDisplayString();

    private const string V = "virsh -c qemu:///system ";

    /// <summary>How a command that makes owner-only files shows (umask 077).</summary>
    private const string Private = "sh -c 'umask 077 && exec \"$@\"' sh ";

    private const string Base = "/var/lib/libvirt/images/debian-12-generic-amd64.qcow2";
    private const long GiB = 1L << 30;

    private static string[] Disks(GuestPlan plan) => Xml(plan).Element("devices")!.Elements("disk")
        .Select(d => $"{d.Attribute("device")!.Value} {d.Element("target")!.Attribute("dev")!.Value} {d.Element("target")!.Attribute("bus")!.Value} {d.Element("driver")!.Attribute("type")!.Value} {d.Element("source")!.Attribute("file")!.Value}")
        .ToArray();

    [Theory]
    [InlineData(KvmHost)]
    [InlineData(TcgHost)]
    public void BlankDiskIsOneVolumeThenTheDefinition(string probe)
    {
        GuestPlan plan = Plan(Request(), probe: probe);

        Assert.Equal(2, plan.Steps.Count);
        Assert.Equal("Create web01.qcow2 (21474836480 bytes, qcow2)", plan.Steps[0].Title);
        Assert.Equal(new[] { V + "vol-create-as default web01.qcow2 21474836480 --format qcow2" }, Shown(plan.Steps[0]));
        Assert.Equal(new[] { V + "vol-delete web01.qcow2 --pool default" }, ShownUndo(plan.Steps[0]));
        Assert.Equal(new[] { "disk vda virtio qcow2 /var/lib/libvirt/images/web01.qcow2" }, Disks(plan));
    }

    [Fact]
    public void DefinitionFeedsTheXmlOnStdinAndUndefinesByUuid()
    {
        GuestPlan plan = Plan(Request());
        PlanStep define = plan.Steps.Last();
        string uuid = plan.Design.Uuid.ToString();

        Assert.Equal($"Define the guest web01 ({uuid})", define.Title);
        Assert.Equal(new[] { $"{V}define /dev/stdin < domain XML ({Encoding.UTF8.GetByteCount(plan.Xml)} bytes)" }, Shown(define));
        Assert.Equal(plan.Xml, Encoding.UTF8.GetString(define.Commands[0].Stdin!));
        Assert.Equal(new[] { $"{V}undefine {uuid} --managed-save" }, ShownUndo(define));
        Assert.Equal(uuid, Xml(plan).Element("uuid")!.Value);
    }

    [Fact]
    public void UefiGuestIsUndefinedWithItsNvram()
    {
        GuestPlan plan = Plan(Request(change: r => r.Firmware = "Uefi"));

        Assert.Equal(new[] { $"{V}undefine {plan.Design.Uuid} --nvram" }, ShownUndo(plan.Steps.Last()));
        Assert.Equal("efi", (string?)Xml(plan).Element("os")!.Attribute("firmware"));
    }

    [Theory]
    [InlineData(null, 2147483648L)]
    [InlineData(1073741824L, 2147483648L)]
    [InlineData(21474836480L, 21474836480L)]
    public void ThinCloneIsAsLargeAsTheBaseOrTheRequestWhicheverIsLarger(long? requested, long expected)
    {
        HostGuestContext host = Host().WithPath(Base, 2 * GiB, "qcow2");
        GuestPlan plan = Plan(Request(change: r => { r.DiskSizeBytes = requested; r.BaseImage = Base; }), host);

        // qemu-img, not vol-create-as --backing-vol: the base need not be a pool volume.
        Assert.Equal($"Create web01.qcow2, a thin clone of {Base}", plan.Steps[0].Title);
        Assert.Equal(new[] { Private + $"qemu-img create -q -f qcow2 -F qcow2 -b {Base} /var/lib/libvirt/images/web01.qcow2 {expected}", Refresh }, Shown(plan.Steps[0]));
        Assert.Equal(new[] { "rm -f -- /var/lib/libvirt/images/web01.qcow2", Refresh }, ShownUndo(plan.Steps[0]));
        Assert.Equal(2, plan.Steps.Count);
        Assert.Equal(new[] { "disk vda virtio qcow2 /var/lib/libvirt/images/web01.qcow2" }, Disks(plan));
    }

    [Theory]
    [InlineData("raw", "raw")]
    [InlineData("qcow2", "qcow2")]
    public void ThinCloneNamesTheBackingFormat(string format, string expected)
    {
        HostGuestContext host = Host().WithPath("/srv/base.img", 2 * GiB, format);
        GuestPlan plan = Plan(Request(change: r => r.BaseImage = "/srv/base.img"), host);

        Assert.StartsWith(Private + $"qemu-img create -q -f qcow2 -F {expected} -b /srv/base.img /var/lib/libvirt/images/web01.qcow2 ", Shown(plan.Steps[0])[0]);
    }

    [Fact]
    public void FullCloneCopiesRefreshesAndGrowsWhenAskedForMore()
    {
        HostGuestContext host = Host().WithPath(Base, 2 * GiB, "qcow2");
        GuestPlan plan = Plan(Request(change: r => { r.BaseImage = Base; r.FullClone = true; }), host);

        Assert.Equal($"Copy {Base} to web01.qcow2 (full clone)", plan.Steps[0].Title);
        Assert.Equal(new[] { Private + $"qemu-img convert -f qcow2 -O qcow2 {Base} /var/lib/libvirt/images/web01.qcow2", Refresh }, Shown(plan.Steps[0]));
        Assert.Equal(new[] { "rm -f -- /var/lib/libvirt/images/web01.qcow2", Refresh }, ShownUndo(plan.Steps[0]));
        Assert.Equal("Grow web01.qcow2 to 21474836480 bytes", plan.Steps[1].Title);
        Assert.Equal(new[] { V + "vol-resize web01.qcow2 21474836480 --pool default" }, Shown(plan.Steps[1]));
        Assert.Empty(plan.Steps[1].Undo);
        Assert.Equal(3, plan.Steps.Count);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(2147483648L)]
    [InlineData(1073741824L)]
    public void FullCloneIsNotResizedUnlessLarger(long? requested)
    {
        HostGuestContext host = Host().WithPath(Base, 2 * GiB, "qcow2");
        GuestPlan plan = Plan(Request(change: r => { r.BaseImage = Base; r.FullClone = true; r.DiskSizeBytes = requested; }), host);

        Assert.DoesNotContain(plan.Steps, s => s.Title.StartsWith("Grow"));
        Assert.Equal(2, plan.Steps.Count);
    }

    [Theory]
    [InlineData("raw", "raw")]
    [InlineData("qcow2", "qcow2")]
    public void ImportedDiskHasNoStorageStepAndKeepsItsFormat(string format, string expected)
    {
        HostGuestContext host = Host().WithPath("/srv/vms/old.img", 20 * GiB, format);
        GuestPlan plan = Plan(Request(change: r => { r.DiskSizeBytes = null; r.ImportDisk = "/srv/vms/old.img"; }), host);

        Assert.Single(plan.Steps);
        Assert.StartsWith("Define the guest", plan.Steps[0].Title);
        Assert.Equal(new[] { $"disk vda virtio {expected} /srv/vms/old.img" }, Disks(plan));
    }

    [Theory]
    [InlineData("import")]
    [InlineData("thin")]
    public void IsoBootsBeforeADiskThatAlreadyHasAnOs(string disk)
    {
        const string iso = "/srv/iso/rescue.iso";
        HostGuestContext host = Host().WithPath(iso).WithPath("/srv/old.qcow2", 1L << 30, "qcow2");
        GuestPlan plan = Plan(Request(change: r =>
        {
            r.IsoPath = iso;
            r.DiskSizeBytes = null;
            if (disk == "import") { r.ImportDisk = "/srv/old.qcow2"; } else { r.BaseImage = "/srv/old.qcow2"; }
        }), host);

        Assert.Equal(new[] { "cdrom", "hd" }, Xml(plan).Element("os")!.Elements("boot").Select(b => b.Attribute("dev")!.Value));
    }

    [Fact]
    public void IsoIsASataCdromAfterTheDiskAndBootsAfterIt()
    {
        HostGuestContext host = Host().WithPath("/srv/iso/debian-12.7.0-amd64-netinst.iso");
        GuestPlan plan = Plan(Request(change: r => r.IsoPath = "/srv/iso/debian-12.7.0-amd64-netinst.iso"), host);

        Assert.Equal(new[] { "disk vda virtio qcow2 /var/lib/libvirt/images/web01.qcow2", "cdrom sda sata raw /srv/iso/debian-12.7.0-amd64-netinst.iso" }, Disks(plan));
        Assert.Equal(new[] { "hd", "cdrom" }, Xml(plan).Element("os")!.Elements("boot").Select(b => b.Attribute("dev")!.Value));
        Assert.Equal(2, plan.Steps.Count);
    }

    [Fact]
    public void IsoAloneIsEnoughToBoot()
    {
        HostGuestContext host = Host().WithPath("/srv/iso/live.iso");
        GuestPlan plan = Plan(Request(change: r => { r.DiskSizeBytes = null; r.IsoPath = "/srv/iso/live.iso"; }), host);

        Assert.Equal(new[] { "cdrom sda sata raw /srv/iso/live.iso" }, Disks(plan));
        Assert.Single(plan.Steps);
    }

    [Fact]
    public void DataDisksAreVolumesVdbVdcEachWithItsUndo()
    {
        GuestPlan plan = Plan(Request(change: r => r.DataDiskSizeBytes = new List<long> { 10 * GiB, 5 * GiB }));

        Assert.Equal("Create the data disk web01-data1.qcow2 (10737418240 bytes)", plan.Steps[1].Title);
        Assert.Equal(new[] { V + "vol-create-as default web01-data1.qcow2 10737418240 --format qcow2" }, Shown(plan.Steps[1]));
        Assert.Equal(new[] { V + "vol-delete web01-data1.qcow2 --pool default" }, ShownUndo(plan.Steps[1]));
        Assert.Equal(new[] { V + "vol-create-as default web01-data2.qcow2 5368709120 --format qcow2" }, Shown(plan.Steps[2]));
        Assert.Equal(new[] { V + "vol-delete web01-data2.qcow2 --pool default" }, ShownUndo(plan.Steps[2]));
        Assert.Equal(new[] { "vda", "vdb", "vdc" }, Disks(plan).Select(d => d.Split(' ')[1]));
        Assert.EndsWith("/var/lib/libvirt/images/web01-data2.qcow2", Disks(plan)[2]);
    }

    [Fact]
    public void OtherPoolIsUsedByNameAndPath()
    {
        HostGuestContext host = Host(h => h.Pools["fast"] = ("/srv/fast", "running"));
        GuestPlan plan = Plan(Request(change: r => { r.StoragePool = "fast"; r.DataDiskSizeBytes = new List<long> { GiB }; }), host);

        Assert.Equal(new[] { V + "vol-create-as fast web01.qcow2 21474836480 --format qcow2" }, Shown(plan.Steps[0]));
        Assert.Equal(new[] { V + "vol-delete web01-data1.qcow2 --pool fast" }, ShownUndo(plan.Steps[1]));
        Assert.Equal(new[] { "/srv/fast/web01.qcow2", "/srv/fast/web01-data1.qcow2" }, Disks(plan).Select(d => d.Split(' ')[4]));
    }

    [Fact]
    public void MissingDefaultPoolIsMadeFirstAndKept()
    {
        GuestPlan plan = Plan(Request(), Host(h => h.Pools.Clear()));

        Assert.Equal("Make the 'default' storage pool exist and run (/var/lib/libvirt/images)", plan.Steps[0].Title);
        Assert.Equal(new[] { "sh", "-s", "--", "default", "/var/lib/libvirt/images" }, plan.Steps[0].Commands.Single().Argv);
        Assert.Equal("ensure-pool.sh", plan.Steps[0].Commands.Single().StdinName);
        Assert.Empty(plan.Steps[0].Undo);
        Assert.Equal(new[] { V + "vol-create-as default web01.qcow2 21474836480 --format qcow2" }, Shown(plan.Steps[1]));
        Assert.Equal("/var/lib/libvirt/images/web01.qcow2", Xml(plan).Element("devices")!.Element("disk")!.Element("source")!.Attribute("file")!.Value);
    }

    [Theory]
    [InlineData("default", "inactive")]
    [InlineData("fast", "inactive")]
    [InlineData("fast", "")]
    public void ExistingPoolThatDoesNotRunIsStartedInItsOwnDirectory(string pool, string state)
    {
        HostGuestContext host = Host(h => h.Pools[pool] = ("/srv/vms", state));
        GuestPlan plan = Plan(Request(change: r => r.StoragePool = pool), host);

        Assert.Equal($"Make the '{pool}' storage pool exist and run (/srv/vms)", plan.Steps[0].Title);
        Assert.Equal(new[] { "sh", "-s", "--", pool, "/srv/vms" }, plan.Steps[0].Commands.Single().Argv);
        Assert.Equal($"{V}vol-create-as {pool} web01.qcow2 21474836480 --format qcow2", Shown(plan.Steps[1]).Single());
        Assert.Equal("disk vda virtio qcow2 /srv/vms/web01.qcow2", Disks(plan)[0]);
    }

    [Fact]
    public void RunningPoolNeedsNoPoolStep()
    {
        Assert.DoesNotContain(Plan(Request()).Steps, s => s.Commands.Any(c => c.StdinName == "ensure-pool.sh"));
    }

    [Fact]
    public void CloudInitSeedWritesEachFileBuildsTheIsoAndRefreshes()
    {
        const string secret = "#cloud-config\nusers:\n  - name: admin\n    passwd: $6$rounds=656000$saltsalt$SECRETHASHSECRETHASH\n";
        var seed = new Dictionary<string, byte[]>
        {
            ["user-data"] = Utf8(secret),
            ["meta-data"] = Utf8("instance-id: web01\nlocal-hostname: web01\n"),
            ["network-config"] = Utf8("version: 2\nethernets:\n  all:\n    match:\n      name: \"e*\"\n    dhcp4: true\n"),
        };
        GuestRequest request = Request(change: r => r.CloudInit = new CloudInitRequest { User = "admin" });
        GuestPlan plan = Plan(request, seed: seed);
        PlanStep step = plan.Steps[1];
        const string work = "/var/lib/libvirt/images/.kvmps-seed-web01";

        Assert.Equal("Build the cloud-init seed web01-seed.iso", step.Title);
        Assert.Equal(new[]
        {
            $"mkdir -m 0700 -p -- {work}",
            $"sh -c 'cat > \"$1/$2\"' sh {work} meta-data < (input, {seed["meta-data"].Length} bytes)",
            $"sh -c 'cat > \"$1/$2\"' sh {work} network-config < (input, {seed["network-config"].Length} bytes)",
            $"sh -c 'cat > \"$1/$2\"' sh {work} user-data < (secret input, {seed["user-data"].Length} bytes)",
            $"sh -s -- /var/lib/libvirt/images/web01-seed.iso {work} < seed-iso.sh ({step.Commands[4].Stdin!.Length} bytes)",
            Refresh,
        }, Shown(step));
        Assert.Equal(new[] { $"rm -rf -- {work} /var/lib/libvirt/images/web01-seed.iso", Refresh }, ShownUndo(step));
        Assert.Equal(seed["user-data"], step.Commands[3].Stdin);
        Assert.True(step.Commands[3].StdinIsSecret);
        Assert.False(step.Commands[1].StdinIsSecret);
        Assert.Equal(EmbeddedScripts.Read("seed-iso.sh"), Encoding.UTF8.GetString(step.Commands[4].Stdin!));
        Assert.DoesNotContain("SECRETHASH", string.Join("\n", Shown(step)));
        Assert.DoesNotContain("SECRETHASH", plan.Describe());
        Assert.Equal("cdrom sda sata raw /var/lib/libvirt/images/web01-seed.iso", Disks(plan).Last());
    }

    [Fact]
    public void SeedAfterAnIsoIsSdb()
    {
        var seed = new Dictionary<string, byte[]> { ["user-data"] = Utf8("#cloud-config\n"), ["meta-data"] = Utf8("instance-id: web01\n") };
        GuestPlan plan = Plan(Request(change: r => { r.CloudInit = new CloudInitRequest(); r.IsoPath = "/srv/iso/x.iso"; }), Host().WithPath("/srv/iso/x.iso"), seed: seed);

        Assert.Equal(new[] { "cdrom sda sata raw /srv/iso/x.iso", "cdrom sdb sata raw /var/lib/libvirt/images/web01-seed.iso" }, Disks(plan).Skip(1));
    }

    [Fact]
    public void SeedWithoutIsoIsSdaAndComesAfterTheDataDisks()
    {
        var seed = new Dictionary<string, byte[]> { ["user-data"] = Utf8("#cloud-config\n"), ["meta-data"] = Utf8("instance-id: web01\n") };
        GuestPlan plan = Plan(Request(change: r => { r.CloudInit = new CloudInitRequest(); r.DataDiskSizeBytes = new List<long> { GiB }; }), seed: seed);

        Assert.Collection(plan.Steps,
            s => Assert.StartsWith("Create web01.qcow2 ", s.Title),
            s => Assert.StartsWith("Create the data disk web01-data1.qcow2 ", s.Title),
            s => Assert.Equal("Build the cloud-init seed web01-seed.iso", s.Title),
            s => Assert.StartsWith("Define the guest web01 ", s.Title));
        Assert.Equal("cdrom sda sata raw /var/lib/libvirt/images/web01-seed.iso", Disks(plan).Last());
        Assert.Equal(5, Shown(plan.Steps[2]).Length);
        // The seed is a CD-ROM but not bootable: the guest boots from its disk only.
        Assert.Equal(new[] { "hd" }, Xml(plan).Element("os")!.Elements("boot").Select(b => b.Attribute("dev")!.Value));
    }
}
