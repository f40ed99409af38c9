using System.Linq;
using KvmPS.Guests;
using KvmPS.Transport;
using Xunit;

namespace KvmPS.Tests.Guests;

/// <summary>
/// guest-prerequisites.sh output → HostGuestContext. Fixtures/prerequisites-debian12.txt is the
/// real script run with qemu-img 7.2 and virsh 9.0 (test driver) on real images, with the pool
/// path, bridges, firmware, osinfo and tools sections set to a Debian 12 host's.
/// Fixtures/prerequisites-rhel9-qemu8.txt has the JSON shape of qemu-img 8.0 and later.
/// </summary>
public sealed class HostGuestContextTests
{
    private const string Images = "/var/lib/libvirt/images/";

    private static HostGuestContext Debian() => HostGuestContext.Parse(GuestFixtures.Text("prerequisites-debian12.txt"));

    [Fact]
    public void NetworksActiveNetworksAndBridges()
    {
        HostGuestContext host = Debian();

        Assert.Equal(new[] { "default", "isolated" }, host.Networks);
        Assert.Equal(new[] { "default" }, host.ActiveNetworks);
        Assert.Equal(new[] { "br0", "virbr0" }, host.Bridges);
    }

    [Fact]
    public void PoolPathOsInfoFirmwareAndTools()
    {
        HostGuestContext host = Debian();

        Assert.Equal("/var/lib/libvirt/images", host.PoolPath("default"));
        Assert.Equal(("/var/lib/libvirt/images", "running"), host.Pools["default"]);
        Assert.Equal("", host.PoolPath("fast"));
        Assert.Equal("http://debian.org/debian/12", host.OsInfoId("debian12"));
        Assert.Equal("", host.OsInfoId("rhel9.4"));
        Assert.Equal("", host.OsInfoId(null));
        Assert.Equal(new[] { "40-edk2-x86_64-secure-enrolled.json", "50-edk2-x86_64-secure.json", "60-edk2-x86_64.json" }, host.FirmwareDescriptors);
        Assert.Equal(new[] { "40-edk2-x86_64-secure-enrolled.json", "50-edk2-x86_64-secure.json" }, host.SecureBootFirmware.OrderBy(f => f, System.StringComparer.Ordinal));
        Assert.Equal(new[] { "genisoimage", "osinfo-query", "qemu-img", "swtpm", "xorriso" }, host.Tools.OrderBy(t => t, System.StringComparer.Ordinal));
    }

    [Fact]
    public void ThinCloneTakesItsOwnFormatNotTheBackingFilesFormat()
    {
        HostPath clone = Debian().Paths[Images + "golden-alpine.qcow2"];

        Assert.True(clone.Exists);
        Assert.Equal(Images + "golden-alpine.qcow2", clone.Path);
        Assert.Equal("qcow2", clone.Format);
        Assert.Equal(8589934592, clone.VirtualSize);
    }

    [Fact]
    public void PlainQcow2AndRawImages()
    {
        HostGuestContext host = Debian();

        Assert.Equal(("qcow2", 2147483648L), (host.Paths[Images + "debian-12-generic-amd64.qcow2"].Format, host.Paths[Images + "debian-12-generic-amd64.qcow2"].VirtualSize));
        Assert.Equal(("raw", 21474836480L), (host.Paths[Images + "web02-import.img"].Format, host.Paths[Images + "web02-import.img"].VirtualSize));
    }

    [Fact]
    public void IsoExistsWithoutImageInfoAndMissingPathIsMissing()
    {
        HostGuestContext host = Debian();
        HostPath iso = host.Paths["/srv/iso/debian-12.7.0-amd64-netinst.iso"];
        HostPath missing = host.Paths[Images + "missing.qcow2"];

        Assert.True(iso.Exists);
        Assert.Equal(-1, iso.VirtualSize);
        Assert.Equal("", iso.Format);
        Assert.False(missing.Exists);
        Assert.Equal(-1, missing.VirtualSize);
        Assert.Equal(6, host.Paths.Count);
    }

    [Fact]
    public void TextFileIsSeenByQemuImgAsATinyRawImage()
    {
        // qemu-img probes any readable file as raw: the "not a disk image" refusal cannot catch it.
        HostPath notes = Debian().Paths[Images + "notes.txt"];

        Assert.Equal("raw", notes.Format);
        Assert.Equal(512, notes.VirtualSize);
    }

    [Fact]
    public void OnlyExistingVolumesAreRecorded()
    {
        HostGuestContext host = Debian();

        Assert.Equal(new[] { "default/web02.qcow2" }, host.ExistingVolumes);
        Assert.True(host.VolumeExists("default", "web02.qcow2"));
        Assert.False(host.VolumeExists("fast", "web02.qcow2"));
        Assert.False(host.VolumeExists("default", "web02-seed.iso"));
    }

    [Fact]
    public void EmptyOutputIsAHostWithNothing()
    {
        HostGuestContext host = HostGuestContext.Parse("");

        Assert.Empty(host.Networks);
        Assert.Empty(host.Pools);
        Assert.Empty(host.Paths);
        Assert.Empty(host.FirmwareDescriptors);
        Assert.Empty(host.OsInfoIds);
    }

    [Fact]
    public void FirmwareForOtherArchitecturesDoesNotCount()
    {
        HostGuestContext host = HostGuestContext.Parse("\n@@firmware\n60-edk2-aarch64.json other-arch\n50-edk2-aarch64-secure.json secure-boot other-arch\n60-edk2-x86_64.json\n\n@@end\n");

        Assert.Equal(new[] { "60-edk2-x86_64.json" }, host.FirmwareDescriptors);
        Assert.Empty(host.SecureBootFirmware);
        Assert.Empty(HostGuestContext.Parse("\n@@firmware\n60-edk2-aarch64.json other-arch\n\n@@end\n").FirmwareDescriptors);
    }

    [Fact]
    public void MissingPoolAndNoOsInfoLeaveThemEmpty()
    {
        HostGuestContext host = HostGuestContext.Parse("\n@@networks\ndefault\n\n@@pool\nfast\npath \nstate \n\n@@osinfo\nwin11\n\n@@firmware\n\n@@tools\n\n@@end\n");

        Assert.Equal("", host.PoolPath("fast"));
        Assert.Equal("", host.OsInfoId("win11"));
        Assert.Empty(host.FirmwareDescriptors);
        Assert.Empty(host.Tools);
        Assert.Equal(new[] { "default" }, host.Networks);
    }

    [Fact]
    public void WindowsLineEndingsReadTheSame()
    {
        HostGuestContext host = HostGuestContext.Parse(GuestFixtures.Text("prerequisites-debian12.txt").Replace("\n", "\r\n"));

        Assert.Equal("qcow2", host.Paths[Images + "golden-alpine.qcow2"].Format);
        Assert.Equal("/var/lib/libvirt/images", host.PoolPath("default"));
        Assert.Equal(new[] { "default" }, host.ActiveNetworks);
    }

    // qemu-img 8.0+ (RHEL 9.3+, Ubuntu 24.04, Debian 13) prints "children" first, whose protocol
    // node has "format": "file" and the file's byte size.
    [Fact]
    public void Qemu8ChildrenDoNotHideTheImagesOwnFormatAndSize()
    {
        HostPath image = HostGuestContext.Parse(GuestFixtures.Text("prerequisites-rhel9-qemu8.txt")).Paths[Images + "rhel-9.4-x86_64-kvm.qcow2"];

        Assert.Equal("qcow2", image.Format);
        Assert.Equal(10737418240, image.VirtualSize);
    }

    [Fact]
    public void Qemu8FixtureOtherSectionsAreRead()
    {
        HostGuestContext host = HostGuestContext.Parse(GuestFixtures.Text("prerequisites-rhel9-qemu8.txt"));

        Assert.Equal("http://redhat.com/rhel/9.4", host.OsInfoId("rhel9.4"));
        Assert.Equal(5, host.FirmwareDescriptors.Count);
        Assert.Equal(new[] { "30-edk2-ovmf-x64-sb-enrolled.json", "40-edk2-ovmf-x64-sb.json" }, host.SecureBootFirmware.OrderBy(f => f, System.StringComparer.Ordinal));
        Assert.Empty(host.ExistingVolumes);
        Assert.True(host.Paths[Images + "rhel-9.4-x86_64-kvm.qcow2"].Exists);
    }

    [Fact]
    public void CommandPassesPoolsPathsVolumesAndOsVariantsAsArgumentsOnce()
    {
        RemoteCommand command = HostGuestContext.Command(new[] { "default", "default" },
            new[] { "/srv/base.qcow2", "/srv/iso/x.iso", "/srv/base.qcow2" },
            new[] { ("default", "web01.qcow2"), ("default", "web01-seed.iso"), ("default", "web01.qcow2") }, new[] { "debian12" });

        Assert.Equal(new[] { "sh", "-s", "--", "--pool", "default", "--path", "/srv/base.qcow2", "--path", "/srv/iso/x.iso",
            "--volume", "default", "web01.qcow2", "--volume", "default", "web01-seed.iso", "--osinfo", "debian12" }, command.Argv);
        Assert.Equal("guest-prerequisites.sh", command.StdinName);
        Assert.Equal(EmbeddedScripts.Read("guest-prerequisites.sh"), System.Text.Encoding.UTF8.GetString(command.Stdin!));
        Assert.False(command.StdinIsSecret);
    }

    [Fact]
    public void CommandWithoutOsVariantHasNoOsinfoArgument()
    {
        RemoteCommand command = HostGuestContext.Command(new[] { "vms" }, new string[0], new[] { ("vms", "a.qcow2") }, new string[0]);

        Assert.Equal(new[] { "sh", "-s", "--", "--pool", "vms", "--volume", "vms", "a.qcow2" }, command.Argv);
    }

    [Fact]
    public void HostileArgumentsStaySingleWordsInTheDisplayedCommand()
    {
        RemoteCommand command = HostGuestContext.Command(new[] { "p;reboot" }, new[] { "/srv/a b/$(id).img" }, new (string, string)[0], new[] { "x'y" });

        Assert.Equal("sh -s -- --pool 'p;reboot' --path '/srv/a b/$(id).img' --osinfo 'x'\\''y' < guest-prerequisites.sh (" + command.Stdin!.Length + " bytes)", command.ToDisplayString());
    }
}
