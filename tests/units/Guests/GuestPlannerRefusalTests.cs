using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Text;
using KvmPS.Guests;
using KvmPS.Transport;
using Xunit;
using static KvmPS.Tests.Guests.GuestFixtures;

namespace KvmPS.Tests.Guests;

/// <summary>Every check of GuestPlanner.Validation: the request is refused, with its ErrorId, before any step exists.</summary>
public sealed class GuestPlannerRefusalTests
{
    private const string Base = "/var/lib/libvirt/images/base.qcow2";

    private static void Refused(string errorId, GuestRequest request, HostGuestContext? host = null, string probe = KvmHost, IReadOnlyList<KvmGuest>? existing = null)
    {
        KvmException e = Refusal(request, host, probe, existing);

        Assert.Equal(errorId, e.ErrorId);
        Assert.False(string.IsNullOrWhiteSpace(e.RecommendedAction));
    }

    [Fact]
    public void ExistingNameIsRefused()
    {
        var existing = new[] { new KvmGuest { Name = "web01", State = KvmGuestState.ShutOff } };
        KvmException e = Refusal(Request(), existing: existing);

        Assert.Equal("GuestExists", e.ErrorId);
        Assert.Equal(ErrorCategory.ResourceExists, e.Category);
        Assert.Contains("ShutOff", e.Message);
    }

    [Fact]
    public void NameDifferingOnlyInCaseIsRefused()
    {
        // libvirt would allow it, but -Name selects guests ignoring case: web01 and Web01 would be one target.
        var existing = new[] { new KvmGuest { Name = "web01", State = KvmGuestState.Running } };

        Assert.Equal("GuestExists", Refusal(Request("Web01"), existing: existing).ErrorId);
        Plan(Request("web02"), existing: existing);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void ImportDiskWithANewDiskConflicts(bool baseImage, bool size)
    {
        HostGuestContext host = Host().WithPath("/srv/old.img", 1L << 30, "raw").WithPath(Base, 1L << 30, "qcow2");
        Refused("ConflictingDisks", Request(change: r => { r.ImportDisk = "/srv/old.img"; r.BaseImage = baseImage ? Base : null; r.DiskSizeBytes = size ? 1L << 30 : null; }), host);
    }

    [Fact]
    public void FullCloneWithoutBaseIsRefused() => Refused("FullCloneWithoutBase", Request(change: r => r.FullClone = true));

    [Fact]
    public void NothingToBootIsRefused()
    {
        KvmException e = Refusal(Request(change: r => { r.DiskSizeBytes = null; r.DataDiskSizeBytes = new List<long> { 1L << 30 }; }));

        Assert.Equal("NothingToBoot", e.ErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, e.Category);
    }

    [Fact]
    public void InitrdWithoutKernelIsRefused()
    {
        HostGuestContext host = Host().WithPath("/boot/initrd.img");
        Refused("InitrdWithoutKernel", Request(change: r => r.InitrdPath = "/boot/initrd.img"), host);
    }

    [Fact]
    public void KernelArgumentsWithoutKernelAreRefused() => Refused("InitrdWithoutKernel", Request(change: r => r.KernelArguments = "console=ttyS0"));

    [Theory]
    [InlineData("base")]
    [InlineData("import")]
    [InlineData("iso")]
    [InlineData("kernel")]
    [InlineData("initrd")]
    public void PathsTheHostDoesNotHaveAreRefused(string which)
    {
        const string path = "/srv/nowhere/file";
        GuestRequest request = Request(change: r =>
        {
            switch (which)
            {
                case "base": r.BaseImage = path; break;
                case "import": r.ImportDisk = path; r.DiskSizeBytes = null; break;
                case "iso": r.IsoPath = path; break;
                case "kernel": r.KernelPath = path; break;
                default: r.KernelPath = "/boot/vmlinuz"; r.InitrdPath = path; break;
            }
        });
        KvmException notAsked = Refusal(request, Host().WithPath("/boot/vmlinuz"));
        KvmException missing = Refusal(request, Host().WithPath("/boot/vmlinuz").WithPath(path, exists: false));

        Assert.Equal("PathNotFound", notAsked.ErrorId);
        Assert.Equal("PathNotFound", missing.ErrorId);
        Assert.Equal(ErrorCategory.ObjectNotFound, missing.Category);
        Assert.Contains(path, missing.Message);
    }

    [Fact]
    public void RelativePathIsAnArgumentError()
    {
        Assert.Throws<ArgumentException>(() => Plan(Request(change: r => r.IsoPath = "debian.iso"), Host().WithPath("debian.iso")));
    }

    [Fact]
    public void RelativePathErrorNamesTheParameter()
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => Plan(Request(change: r => r.IsoPath = "debian.iso"), Host().WithPath("debian.iso")));

        Assert.StartsWith("-IsoPath 'debian.iso'", e.Message);
    }

    [Fact]
    public void InvalidNameIsAnArgumentError()
    {
        Assert.Throws<ArgumentException>(() => Plan(Request("web;reboot")));
    }

    [Fact]
    public void BaseImageQemuImgCannotReadIsRefused()
    {
        Refused("NotADiskImage", Request(change: r => r.BaseImage = Base), Host().WithPath(Base, -1));
    }

    [Fact]
    public void ImportedDiskQemuImgCannotReadIsRefused()
    {
        Refused("NotADiskImage", Request(change: r => { r.DiskSizeBytes = null; r.ImportDisk = "/srv/vms/old.qcow2"; }), Host(h => h.Tools.Remove("qemu-img")).WithPath("/srv/vms/old.qcow2", -1, ""));
    }

    [Theory]
    [InlineData(8L * 1024 * 1024)]
    [InlineData(16L * 1024 * 1024 - 1024)]
    [InlineData((1L << 30) + 1)]
    [InlineData(0L)]
    [InlineData(-1073741824L)]
    public void UnusableMemoryIsRefused(long bytes) => Refused("InvalidMemory", Request(change: r => r.MemoryBytes = bytes));

    [Fact]
    public void SixteenMibIsEnough() => Plan(Request(change: r => r.MemoryBytes = 16L * 1024 * 1024));

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(513)]
    public void ProcessorCountOutOfRangeIsRefused(int cpus) => Refused("InvalidProcessorCount", Request(change: r => r.ProcessorCount = cpus));

    [Theory]
    [InlineData(1048575L, null)]
    [InlineData(0L, null)]
    [InlineData(21474836480L, 1000L)]
    [InlineData(21474836480L, -5L)]
    public void TooSmallDisksAreRefused(long size, long? data)
    {
        Refused("InvalidDiskSize", Request(change: r => { r.DiskSizeBytes = size; r.DataDiskSizeBytes = data is long d ? new List<long> { d } : new List<long>(); }));
    }

    [Theory]
    [InlineData("web01.qcow2", false, 0)]
    [InlineData("web01-data2.qcow2", false, 2)]
    [InlineData("web01-seed.iso", true, 0)]
    public void ExistingVolumeIsNeverOverwritten(string volume, bool cloudInit, int dataDisks)
    {
        HostGuestContext host = Host(h => h.ExistingVolumes.Add("default/" + volume));
        KvmException e = Refusal(Request(change: r =>
        {
            r.CloudInit = cloudInit ? new CloudInitRequest() : null;
            for (int i = 0; i < dataDisks; i++)
            {
                r.DataDiskSizeBytes.Add(1L << 30);
            }
        }), host);

        Assert.Equal("VolumeExists", e.ErrorId);
        Assert.Contains(volume, e.Message);
        Assert.Contains($"virsh vol-delete {volume} --pool default", e.RecommendedAction);
    }

    [Fact]
    public void SeedVolumeDoesNotMatterWithoutCloudInit()
    {
        HostGuestContext host = Host(h => h.ExistingVolumes.Add("default/web01-seed.iso"));

        Plan(Request(), host);
        Assert.Equal("VolumeExists", Refusal(Request(change: r => r.CloudInit = new CloudInitRequest()), host).ErrorId);
    }

    [Fact]
    public void VolumeOfTheSameNameInAnotherPoolDoesNotMatter()
    {
        HostGuestContext host = Host(h => { h.Pools["fast"] = ("/srv/fast", "running"); h.ExistingVolumes.Add("fast/web01.qcow2"); });

        Plan(Request(), host);
        Assert.Equal("VolumeExists", Refusal(Request(change: r => r.StoragePool = "fast"), host).ErrorId);
    }

    [Fact]
    public void WithoutAnyIsoToolTheSeedIsBuiltHereAndUploadedUnreadableToOthers()
    {
        HostGuestContext host = Host(h => h.Tools.ExceptWith(new[] { "genisoimage", "mkisofs", "xorriso", "cloud-localds" }));
        var seed = new Dictionary<string, byte[]> { ["user-data"] = Utf8("#cloud-config\npassword: $6$hash\n"), ["meta-data"] = Utf8("instance-id: web01\n") };

        PlanStep step = Plan(Request(change: r => r.CloudInit = new CloudInitRequest { User = "admin" }), host, seed: seed).Steps.Single(s => s.Title.Contains("seed", StringComparison.Ordinal));

        Assert.StartsWith("Upload the cloud-init seed web01-seed.iso", step.Title, StringComparison.Ordinal);
        RemoteCommand upload = step.Commands[0];
        Assert.Equal(new[] { "sh", "-c", "umask 077 && cat > \"$1\"", "sh", "/var/lib/libvirt/images/web01-seed.iso" }, upload.Argv);
        Assert.True(upload.StdinIsSecret);
        byte[] iso = upload.Stdin!;
        Assert.Equal("CD001", Encoding.ASCII.GetString(iso, 32769, 5));
        Assert.Equal("cidata", Encoding.ASCII.GetString(iso, 32808, 6));
        Assert.Contains("#cloud-config\npassword: $6$hash\n", Encoding.ASCII.GetString(iso), StringComparison.Ordinal);
        Assert.Equal(new[] { "sh", "-s", "--", "default" }, step.Commands[1].Argv);
        Assert.Equal("pool-refresh.sh", step.Commands[1].StdinName);
        Assert.Equal(new[] { "rm", "-f", "--", "/var/lib/libvirt/images/web01-seed.iso" }, step.Undo[0].Argv);
    }

    [Theory]
    [InlineData("genisoimage")]
    [InlineData("mkisofs")]
    [InlineData("xorriso")]
    [InlineData("cloud-localds")]
    public void AnyOneIsoToolIsEnoughForCloudInit(string tool)
    {
        HostGuestContext host = Host(h => { h.Tools.ExceptWith(new[] { "genisoimage", "mkisofs", "xorriso", "cloud-localds" }); h.Tools.Add(tool); });
        var seed = new Dictionary<string, byte[]> { ["user-data"] = Utf8("#cloud-config\n"), ["meta-data"] = Utf8("instance-id: web01\n") };

        Assert.Contains(Plan(Request(change: r => r.CloudInit = new CloudInitRequest()), host, seed: seed).Steps, s => s.Title.StartsWith("Build the cloud-init seed", StringComparison.Ordinal));
    }

    [Fact]
    public void MissingNamedPoolIsRefusedButMissingDefaultIsMade()
    {
        Refused("PoolNotFound", Request(change: r => r.StoragePool = "fast"), Host(h => h.Pools.Clear()));
        Assert.StartsWith("Make the 'default' storage pool", Plan(Request(change: r => r.StoragePool = "default"), Host(h => h.Pools.Clear())).Steps[0].Title);
    }

    [Fact]
    public void UnknownNetworkIsRefusedNamingTheOnesThereAre()
    {
        KvmException e = Refusal(Request(change: r => r.Network.Add("prod")));

        Assert.Equal("NetworkNotFound", e.ErrorId);
        Assert.Contains("It has: default, isolated.", e.Message);
    }

    [Fact]
    public void InactiveNetworkIsRefusedOnlyWhenTheGuestStarts()
    {
        Refused("NetworkNotActive", Request(change: r => { r.Network.Add("isolated"); r.Start = true; }));
        Plan(Request(change: r => r.Network.Add("isolated")));
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void InactiveNetworkIsRefusedWhenWaitStartsTheGuest(bool wait, bool forIp)
    {
        Refused("NetworkNotActive", Request(change: r => { r.Network.Add("isolated"); r.Wait = wait; r.WaitForIPAddress = forIp; }));
    }

    [Fact]
    public void UnknownBridgeIsRefused() => Refused("BridgeNotFound", Request(change: r => r.Bridge.Add("br9")));

    [Fact]
    public void MoreMacsThanAdaptersIsRefused()
    {
        Refused("TooManyMacAddresses", Request(change: r => { r.Network.Add("default"); r.MacAddress = new List<string> { "52:54:00:00:00:01", "52:54:00:00:00:02" }; }));
        Refused("TooManyMacAddresses", Request(change: r => r.MacAddress.Add("52:54:00:00:00:01")));
    }

    [Fact]
    public void SameMacTwiceEvenWrittenDifferentlyIsRefused()
    {
        Refused("DuplicateMacAddress", Request(change: r =>
        {
            r.Network.Add("default");
            r.Bridge.Add("br0");
            r.MacAddress = new List<string> { "52:54:00:AB:CD:EF", "52-54-00-ab-cd-ef" };
        }));
    }

    [Theory]
    [InlineData("01:00:5e:00:00:01")]
    [InlineData("not-a-mac")]
    public void BadMacIsAnArgumentError(string mac)
    {
        Assert.Throws<ArgumentException>(() => Plan(Request(change: r => { r.Network.Add("default"); r.MacAddress.Add(mac); })));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bios")]
    public void SecureBootNeedsUefi(string? firmware) => Refused("SecureBootNeedsUefi", Request(change: r => { r.Firmware = firmware; r.SecureBoot = true; }));

    [Fact]
    public void UefiWithoutFirmwareDescriptorsIsRefused()
    {
        KvmException e = Refusal(Request(change: r => r.Firmware = "Uefi"), Host(h => h.FirmwareDescriptors.Clear()));

        Assert.Equal("UefiNotAvailable", e.ErrorId);
        Assert.Equal(ErrorCategory.NotInstalled, e.Category);
    }

    [Fact]
    public void SecureBootWithoutASecureBootBuildIsRefused()
    {
        HostGuestContext host = Host(h => { h.FirmwareDescriptors.Clear(); h.FirmwareDescriptors.Add("60-edk2-x86_64.json"); h.SecureBootFirmware.Clear(); });

        Refused("SecureBootNotAvailable", Request(change: r => { r.Firmware = "Uefi"; r.SecureBoot = true; }), host);
        Plan(Request(change: r => r.Firmware = "Uefi"), host);
    }

    [Fact]
    public void SecureBootIsAvailableWithRhelDescriptors()
    {
        HostGuestContext rhel = HostGuestContext.Parse(GuestFixtures.Text("prerequisites-rhel9-qemu8.txt"));
        HostGuestContext host = Host(h =>
        {
            h.FirmwareDescriptors.Clear();
            h.FirmwareDescriptors.AddRange(rhel.FirmwareDescriptors);
            h.SecureBootFirmware.Clear();
            h.SecureBootFirmware.UnionWith(rhel.SecureBootFirmware);
        });

        GuestPlan plan = Plan(Request(change: r => { r.Firmware = "Uefi"; r.SecureBoot = true; }), host);

        Assert.True(plan.Design.SecureBoot);
    }

    [Fact]
    public void TpmWithoutSwtpmIsRefused() => Refused("TpmNotAvailable", Request(change: r => r.Tpm = true), Host(h => h.Tools.Remove("swtpm")));

    [Fact]
    public void HostPassthroughOnATcgHostIsRefused()
    {
        KvmException e = Refusal(Request(change: r => r.CpuMode = "host-passthrough"), probe: TcgHost);

        Assert.Equal("CpuModeNeedsKvm", e.ErrorId);
        Assert.Equal("host-passthrough", Plan(Request(change: r => r.CpuMode = "host-passthrough")).Design.CpuMode);
    }

    [Fact]
    public void HostPassthroughIsRefusedWheneverTheGuestWouldRunUnderTcg()
    {
        Assert.Equal("qemu", Plan(Request(), probe: "rhel9-svm-disabled-amd").Design.DomainType);
        Refused("CpuModeNeedsKvm", Request(change: r => r.CpuMode = "host-passthrough"), probe: "rhel9-svm-disabled-amd");
    }

    [Fact]
    public void UnknownOsVariantIsRefusedWhenOsinfoIsThere()
    {
        KvmException e = Refusal(Request(change: r => r.OSVariant = "debian99"));

        Assert.Equal("UnknownOSVariant", e.ErrorId);
        Assert.Contains("debian99", e.Message);
    }

    [Fact]
    public void UnknownOsVariantIsAWarningWithoutOsinfo()
    {
        GuestPlan plan = Plan(Request(change: r => r.OSVariant = "debian12"), Host(h => h.Tools.Remove("osinfo-query")));

        Assert.Contains(plan.Warnings, w => w.StartsWith("osinfo-query is not installed on rhel9-intel: the OS variant 'debian12'", StringComparison.Ordinal));
        Assert.Null(Xml(plan).Element("metadata"));
    }
}
