using System;
using System.Linq;
using KvmPS.Commands;
using Xunit;

namespace KvmPS.Tests.Guests;

/// <summary>
/// Remove-KvmGuest's per-guest plan (its private DisksToDelete and Conflict logic, reached through
/// the internal Plan(guest, HostView) with a HostView as the first round trip would build it).
/// </summary>
public sealed class RemoveKvmGuestPlanTests
{
    private const string Images = "/var/lib/libvirt/images/";
    private static readonly Guid Me = Guid.Parse("3f1c2a9e-8d4b-4c41-9a57-0b6e2d9f1a01");
    private static readonly Guid Other = Guid.Parse("8a4e5b2c-1d3f-4e6a-8b7c-9d0e1f2a3b4c");

    private static KvmGuest Guest(Guid uuid, string name, KvmGuestState state, params KvmGuestDisk[] disks)
        => new() { Uuid = uuid, Name = name, State = state, Firmware = "Bios", Disks = disks };

    private static KvmGuestDisk Disk(string path, string device = "disk", string backing = "", string type = "file")
        => new() { Path = path, Device = device, BackingFile = backing, SourceType = path.Length > 0 ? type : "", Target = "vd" + path.Length % 26 };

    private static KvmGuest Web01(KvmGuestState state = KvmGuestState.ShutOff) => Guest(Me, "web01", state,
        Disk(Images + "web01.qcow2", backing: Images + "debian-12-base.qcow2"),
        Disk(Images + "web01-data1.qcow2"),
        Disk(Images + "web01-seed.iso", "cdrom"),
        Disk("/srv/iso/debian-12.7.0-amd64-netinst.iso", "cdrom"),
        Disk("", "cdrom"));

    private static GuestAction Plan(KvmGuest guest, bool deleteStorage = false, bool force = false, string planning = "", params KvmGuest[] others)
    {
        var command = new RemoveKvmGuestCommand { DeleteStorage = deleteStorage, Force = force };
        return command.Plan(guest, new HostView(new[] { guest }.Concat(others).ToList(), planning));
    }

    private static string[] Commands(GuestAction action) => action.Commands.Select(c => c.ToDisplayString()).ToArray();

    private static string Delete(string path) => $"sh -c 'virsh -c qemu:///system vol-delete \"$1\" >/dev/null 2>&1 || {{ [ -f \"$1\" ] && rm -f -- \"$1\"; }} || [ ! -e \"$1\" ]' sh {path}";

    [Fact]
    public void WithoutDeleteStorageOnlyTheDefinitionGoes()
    {
        GuestAction action = Plan(Web01(), deleteStorage: false);

        Assert.Null(action.Error);
        Assert.Equal(new[] { $"virsh -c qemu:///system undefine {Me} --managed-save --snapshots-metadata --nvram" }, Commands(action));
    }

    [Fact]
    public void UefiGuestLosesItsNvramToo()
    {
        KvmGuest guest = Web01();
        guest.Firmware = "Uefi";

        Assert.Equal(new[] { $"virsh -c qemu:///system undefine {Me} --managed-save --snapshots-metadata --nvram" }, Commands(Plan(guest, deleteStorage: false)));
    }

    [Fact]
    public void DeleteStorageDeletesDisksAndTheSeedButNotTheInstallationIso()
    {
        GuestAction action = Plan(Web01(), deleteStorage: true);

        Assert.Equal(new[]
        {
            $"virsh -c qemu:///system undefine {Me} --managed-save --snapshots-metadata --nvram",
            Delete(Images + "web01.qcow2"),
            Delete(Images + "web01-data1.qcow2"),
            Delete(Images + "web01-seed.iso"),
        }, Commands(action));
    }

    [Theory]
    [InlineData("block", "/dev/vg0/web01")]
    [InlineData("network", "rbd/web01")]
    [InlineData("volume", "web01.qcow2")]
    public void OnlyFileDisksAreDeleted(string type, string path)
    {
        KvmGuest guest = Guest(Me, "web01", KvmGuestState.ShutOff, Disk(Images + "web01.qcow2"), Disk(path, type: type));

        Assert.Equal(new[] { $"virsh -c qemu:///system undefine {Me} --managed-save --snapshots-metadata --nvram", Delete(Images + "web01.qcow2") },
            Commands(Plan(guest, deleteStorage: true)));
    }

    [Fact]
    public void TheSameFileTwiceIsDeletedOnce()
    {
        KvmGuest guest = Guest(Me, "web01", KvmGuestState.ShutOff, Disk(Images + "a.qcow2"), Disk(Images + "a.qcow2"));

        Assert.Single(Commands(Plan(guest, deleteStorage: true)), c => c.EndsWith(Images + "a.qcow2", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(KvmGuestState.Running)]
    [InlineData(KvmGuestState.Paused)]
    [InlineData(KvmGuestState.Blocked)]
    [InlineData(KvmGuestState.ShuttingDown)]
    [InlineData(KvmGuestState.Suspended)]
    public void ActiveGuestIsRefusedWithoutForce(KvmGuestState state)
    {
        GuestAction action = Plan(Web01(state));

        Assert.Equal("GuestRunning", action.Error?.ErrorId);
        Assert.Empty(action.Commands);
    }

    [Theory]
    [InlineData(KvmGuestState.ShutOff)]
    [InlineData(KvmGuestState.Crashed)]
    [InlineData(KvmGuestState.Unknown)]
    public void InactiveGuestIsNotDestroyed(KvmGuestState state)
    {
        Assert.DoesNotContain(Commands(Plan(Web01(state), force: true)), c => c.Contains(" destroy "));
    }

    [Fact]
    public void ForcePowersOffFirst()
    {
        string[] commands = Commands(Plan(Web01(KvmGuestState.Running), deleteStorage: true, force: true));

        Assert.Equal($"virsh -c qemu:///system destroy {Me}", commands[0]);
        Assert.StartsWith($"virsh -c qemu:///system undefine {Me}", commands[1]);
    }

    [Fact]
    public void DiskAnotherGuestUsesIsNotDeleted()
    {
        KvmGuest other = Guest(Other, "web02", KvmGuestState.Running, Disk(Images + "web01-data1.qcow2"));
        GuestAction action = Plan(Web01(), others: other, deleteStorage: true);

        Assert.Equal("DiskInUse", action.Error?.ErrorId);
        Assert.Contains("also used by the guest 'web02'", action.Error!.Message);
        Assert.Empty(action.Commands);
    }

    [Fact]
    public void DiskThatIsAnotherGuestsBackingFileIsNotDeleted()
    {
        KvmGuest other = Guest(Other, "web02", KvmGuestState.ShutOff, Disk(Images + "web02.qcow2", backing: Images + "web01.qcow2"));

        Assert.Equal("DiskInUse", Plan(Web01(), others: other, deleteStorage: true).Error?.ErrorId);
    }

    [Fact]
    public void SharedDiskIsFineWithoutDeleteStorage()
    {
        KvmGuest other = Guest(Other, "web02", KvmGuestState.ShutOff, Disk(Images + "web01.qcow2"));

        Assert.Null(Plan(Web01(), deleteStorage: false, others: other).Error);
    }

    [Fact]
    public void BaseImageOfAThinCloneOnDiskIsNotDeleted()
    {
        string planning = $"{Images}golden-clone.qcow2\t{Images}web01-data1.qcow2\r\n{Images}x.qcow2\t{Images}y.qcow2\n";
        GuestAction action = Plan(Web01(), planning: planning, deleteStorage: true);

        Assert.Equal("DiskInUse", action.Error?.ErrorId);
        Assert.Contains($"{Images}web01-data1.qcow2 is the base image of {Images}golden-clone.qcow2", action.Error!.Message);
    }

    [Fact]
    public void CloneChainInsideTheGuestItselfIsNoConflict()
    {
        // Its data disk is a thin clone of its own system disk: both go, nothing else uses them.
        string planning = $"{Images}web01-data1.qcow2\t{Images}web01.qcow2\n{Images}web01.qcow2\t{Images}debian-12-base.qcow2\n";
        GuestAction action = Plan(Web01(), planning: planning, deleteStorage: true);

        Assert.Null(action.Error);
        Assert.Equal(4, action.Commands.Count);
        Assert.DoesNotContain(Commands(action), c => c.Contains("debian-12-base"));
    }

    [Fact]
    public void HostileDiskPathStaysOneArgument()
    {
        KvmGuest guest = Guest(Me, "web01", KvmGuestState.ShutOff, Disk("/srv/a b/$(reboot)'.qcow2"));

        string[] argv = Plan(guest, deleteStorage: true).Commands[1].Argv.ToArray();

        Assert.Equal(new[] { "sh", "-c", "sh", "/srv/a b/$(reboot)'.qcow2" }, argv.Where((_, i) => i != 2));
        Assert.DoesNotContain("reboot", argv[2]);
    }

    [Fact]
    public void PlanningCommandIsTheStorageScanOnlyWithDeleteStorage()
    {
        Assert.Equal("storage-backing.sh", new RemoveKvmGuestCommand { DeleteStorage = true }.PlanningCommand()?.StdinName);
        Assert.Null(new RemoveKvmGuestCommand().PlanningCommand());
    }
}
