using System;
using System.Linq;
using System.Xml.Linq;
using KvmPS.Guests;
using Xunit;

namespace KvmPS.Tests.Guests;

/// <summary>
/// DomainXmlWriter output, serialized and parsed back as libvirt would hand it to virsh dumpxml,
/// read by DomainXmlReader: each design option survives the trip and has the XML shape libvirt wants.
/// </summary>
public sealed class DomainXmlRoundTripTests
{
    internal static GuestDesign Design(Action<GuestDesign>? change = null)
    {
        var design = new GuestDesign
        {
            Name = "web01",
            Uuid = Guid.Parse("11111111-2222-4333-8444-555555555555"),
            MemoryBytes = 2L << 30,
            ProcessorCount = 2,
        };
        design.Disks.Add(new DiskDesign { Path = "/var/lib/libvirt/images/web01.qcow2", Target = "vda" });
        change?.Invoke(design);
        return design;
    }

    /// <summary>Written, serialized to text (what virsh define reads), parsed back.</summary>
    internal static XElement Written(GuestDesign design) => XElement.Parse(DomainXmlWriter.Write(design).ToString());

    internal static KvmGuest Read(GuestDesign design)
    {
        var guest = new KvmGuest();
        DomainXmlReader.Read(Written(design), guest);
        return guest;
    }

    [Theory]
    [InlineData("kvm")]
    [InlineData("qemu")]
    public void NameUuidAndDomainTypeSurvive(string type)
    {
        KvmGuest guest = Read(Design(d => d.DomainType = type));

        Assert.Equal("web01", guest.Name);
        Assert.Equal(Guid.Parse("11111111-2222-4333-8444-555555555555"), guest.Uuid);
        Assert.Equal(type, guest.DomainType);
        Assert.Equal("q35", guest.Machine);
    }

    [Theory]
    [InlineData(16L * 1024 * 1024, 1)]
    [InlineData(3L << 30, 6)]
    [InlineData(64L << 30, 512)]
    public void MemoryAndProcessorsSurvive(long bytes, int cpus)
    {
        GuestDesign design = Design(d => { d.MemoryBytes = bytes; d.ProcessorCount = cpus; });
        XElement xml = Written(design);
        KvmGuest guest = Read(design);

        Assert.Equal("KiB", (string?)xml.Element("memory")!.Attribute("unit"));
        Assert.Equal((bytes / 1024).ToString(), xml.Element("memory")!.Value);
        Assert.Equal(xml.Element("memory")!.Value, xml.Element("currentMemory")!.Value);
        Assert.Equal(cpus.ToString(), xml.Element("vcpu")!.Value);
        Assert.Equal(bytes, guest.MemoryBytes);
        Assert.Equal(cpus, guest.ProcessorCount);
    }

    [Theory]
    [InlineData("host-model")]
    [InlineData("host-passthrough")]
    [InlineData("maximum")]
    public void CpuModesAreWrittenAsModes(string mode)
    {
        XElement cpu = Written(Design(d => d.CpuMode = mode)).Element("cpu")!;

        Assert.Equal(mode, (string?)cpu.Attribute("mode"));
        Assert.Null(cpu.Element("model"));
        Assert.Equal(mode, Read(Design(d => d.CpuMode = mode)).CpuMode);
    }

    [Fact]
    public void NamedCpuModelIsCustomWithFallback()
    {
        GuestDesign design = Design(d => d.CpuMode = "Skylake-Client-IBRS");
        XElement cpu = Written(design).Element("cpu")!;

        Assert.Equal("custom", (string?)cpu.Attribute("mode"));
        Assert.Equal("exact", (string?)cpu.Attribute("match"));
        Assert.Equal("Skylake-Client-IBRS", cpu.Element("model")!.Value);
        Assert.Equal("allow", (string?)cpu.Element("model")!.Attribute("fallback"));
        Assert.Equal("custom", Read(design).CpuMode);
    }

    [Fact]
    public void BiosHasNoFirmwareSelectionNorSmm()
    {
        XElement domain = Written(Design());
        XElement os = domain.Element("os")!;

        Assert.Null(os.Attribute("firmware"));
        Assert.Null(os.Element("loader"));
        Assert.Null(os.Element("firmware"));
        Assert.Null(domain.Element("features")!.Element("smm"));
        Assert.Equal("hvm", os.Element("type")!.Value);
        Assert.Equal("x86_64", (string?)os.Element("type")!.Attribute("arch"));
        Assert.Equal("Bios", Read(Design()).Firmware);
    }

    [Fact]
    public void UefiUsesFirmwareAutoselectionWithSecureBootOff()
    {
        GuestDesign design = Design(d => d.Uefi = true);
        XElement domain = Written(design);
        XElement os = domain.Element("os")!;

        Assert.Equal("efi", (string?)os.Attribute("firmware"));
        Assert.Null(os.Element("loader"));
        // Off explicitly: otherwise libvirt may pick a Secure Boot build (RHEL lists it first).
        Assert.Equal(new[] { "secure-boot=no", "enrolled-keys=no" },
            os.Element("firmware")!.Elements("feature").Select(f => $"{(string?)f.Attribute("name")}={(string?)f.Attribute("enabled")}"));
        Assert.Null(domain.Element("features")!.Element("smm"));
        Assert.Equal("Uefi", Read(design).Firmware);
    }

    [Fact]
    public void SecureBootAsksForSmmSecureLoaderAndEnrolledKeys()
    {
        GuestDesign design = Design(d => { d.Uefi = true; d.SecureBoot = true; });
        XElement domain = Written(design);
        XElement os = domain.Element("os")!;

        Assert.Equal("on", (string?)domain.Element("features")!.Element("smm")!.Attribute("state"));
        Assert.Equal("yes", (string?)os.Element("loader")!.Attribute("secure"));
        var features = os.Element("firmware")!.Elements("feature").ToDictionary(f => (string)f.Attribute("name")!, f => (string?)f.Attribute("enabled"));
        Assert.Equal("yes", features["secure-boot"]);
        Assert.Equal("yes", features["enrolled-keys"]);
        Assert.Equal(2, features.Count);
        Assert.Equal("Uefi", Read(design).Firmware);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TpmIsAnEmulatedTpm2CrbOnlyWhenAsked(bool tpm)
    {
        XElement devices = Written(Design(d => d.Tpm = tpm)).Element("devices")!;
        XElement? element = devices.Element("tpm");

        Assert.Equal(tpm, element is not null);
        if (tpm)
        {
            Assert.Equal("tpm-crb", (string?)element!.Attribute("model"));
            Assert.Equal("emulator", (string?)element.Element("backend")!.Attribute("type"));
            Assert.Equal("2.0", (string?)element.Element("backend")!.Attribute("version"));
        }
    }

    [Fact]
    public void DirectKernelBootHasKernelInitrdCmdlineAndNoBootDevice()
    {
        GuestDesign design = Design(d =>
        {
            d.Kernel = "/var/lib/libvirt/boot/vmlinuz";
            d.Initrd = "/var/lib/libvirt/boot/initrd.img";
            d.KernelArguments = "console=ttyS0 root=/dev/vda1 quiet";
            d.Disks.Add(new DiskDesign { Path = "/srv/iso/x.iso", Device = "cdrom", Bus = "sata", Target = "sda", Format = "raw" });
        });
        XElement os = Written(design).Element("os")!;

        Assert.Equal("/var/lib/libvirt/boot/vmlinuz", os.Element("kernel")!.Value);
        Assert.Equal("/var/lib/libvirt/boot/initrd.img", os.Element("initrd")!.Value);
        Assert.Equal("console=ttyS0 root=/dev/vda1 quiet", os.Element("cmdline")!.Value);
        Assert.Empty(os.Elements("boot"));
    }

    [Fact]
    public void KernelAloneHasNoInitrdNorCmdlineElements()
    {
        XElement os = Written(Design(d => d.Kernel = "/boot/vmlinuz-6.1.0-21-amd64")).Element("os")!;

        Assert.Equal("/boot/vmlinuz-6.1.0-21-amd64", os.Element("kernel")!.Value);
        Assert.Null(os.Element("initrd"));
        Assert.Null(os.Element("cmdline"));
        Assert.Empty(os.Elements("boot"));
    }

    [Fact]
    public void DiskOnlyBootsFromHd()
    {
        XElement os = Written(Design()).Element("os")!;

        Assert.Equal(new[] { "hd" }, os.Elements("boot").Select(b => (string?)b.Attribute("dev")));
        Assert.Null(os.Element("kernel"));
    }

    [Fact]
    public void IsoIsAReadonlySataCdromBootedAfterTheDisk()
    {
        GuestDesign design = Design(d =>
        {
            d.Disks.Add(new DiskDesign { Path = "/srv/iso/debian-12.7.0-amd64-netinst.iso", Format = "raw", Device = "cdrom", Bus = "sata", Target = "sda" });
            d.BootDevices.Add("cdrom");
        });
        XElement domain = Written(design);
        XElement cdrom = domain.Element("devices")!.Elements("disk").Single(d => (string?)d.Attribute("device") == "cdrom");

        Assert.Equal(new[] { "hd", "cdrom" }, domain.Element("os")!.Elements("boot").Select(b => (string?)b.Attribute("dev")));
        Assert.Equal("sata", (string?)cdrom.Element("target")!.Attribute("bus"));
        Assert.Equal("sda", (string?)cdrom.Element("target")!.Attribute("dev"));
        Assert.Equal("raw", (string?)cdrom.Element("driver")!.Attribute("type"));
        Assert.NotNull(cdrom.Element("readonly"));
        Assert.Null(cdrom.Element("driver")!.Attribute("discard"));
        KvmGuestDisk read = Read(design).Disks.Single(d => d.Device == "cdrom");
        Assert.Equal("/srv/iso/debian-12.7.0-amd64-netinst.iso", read.Path);
        Assert.Equal("sata", read.Bus);
    }

    [Fact]
    public void SeveralDisksKeepTheirOrderTargetsAndFormats()
    {
        GuestDesign design = Design(d =>
        {
            d.Disks.Add(new DiskDesign { Path = "/var/lib/libvirt/images/web01-data1.qcow2", Target = "vdb" });
            d.Disks.Add(new DiskDesign { Path = "/dev/vg0/web01-data2", Target = "vdc", Format = "raw" });
        });
        XElement devices = Written(design).Element("devices")!;
        KvmGuestDisk[] disks = Read(design).Disks;

        Assert.Equal(new[] { "vda", "vdb", "vdc" }, disks.Select(d => d.Target));
        Assert.Equal(new[] { "qcow2", "qcow2", "raw" }, disks.Select(d => d.Format));
        Assert.Equal(new[] { "/var/lib/libvirt/images/web01.qcow2", "/var/lib/libvirt/images/web01-data1.qcow2", "/dev/vg0/web01-data2" }, disks.Select(d => d.Path));
        Assert.All(disks, d => Assert.Equal("disk", d.Device));
        Assert.All(disks, d => Assert.Equal("virtio", d.Bus));
        Assert.All(devices.Elements("disk"), d => Assert.Equal("unmap", (string?)d.Element("driver")!.Attribute("discard")));
        Assert.All(devices.Elements("disk"), d => Assert.Null(d.Element("readonly")));
    }

    [Fact]
    public void NetworkAndBridgeAdaptersWithAndWithoutMacs()
    {
        GuestDesign design = Design(d =>
        {
            d.NetworkAdapters.Add(new NicDesign { Type = "network", Source = "default", MacAddress = "52:54:00:2b:0d:c4" });
            d.NetworkAdapters.Add(new NicDesign { Type = "network", Source = "isolated" });
            d.NetworkAdapters.Add(new NicDesign { Type = "bridge", Source = "br0", MacAddress = "52:54:00:6a:11:03" });
            d.NetworkAdapters.Add(new NicDesign { Type = "bridge", Source = "br1" });
        });
        XElement[] nics = Written(design).Element("devices")!.Elements("interface").ToArray();
        KvmGuestNetworkAdapter[] read = Read(design).NetworkAdapters;

        Assert.Equal("default", (string?)nics[0].Element("source")!.Attribute("network"));
        Assert.Null(nics[2].Element("source")!.Attribute("network"));
        Assert.Equal("br0", (string?)nics[2].Element("source")!.Attribute("bridge"));
        Assert.Null(nics[1].Element("mac"));
        Assert.Null(nics[3].Element("mac"));
        Assert.Equal(new[] { "network", "network", "bridge", "bridge" }, read.Select(n => n.Type));
        Assert.Equal(new[] { "default", "isolated", "br0", "br1" }, read.Select(n => n.Source));
        Assert.Equal(new[] { "52:54:00:2b:0d:c4", "", "52:54:00:6a:11:03", "" }, read.Select(n => n.MacAddress));
        Assert.All(read, n => Assert.Equal("virtio", n.Model));
    }

    [Theory]
    [InlineData("vnc")]
    [InlineData("spice")]
    public void GraphicsListenOnLoopbackWithTabletAndVideo(string type)
    {
        XElement devices = Written(Design(d => d.Graphics = type)).Element("devices")!;
        XElement graphics = devices.Element("graphics")!;

        Assert.Equal(type, (string?)graphics.Attribute("type"));
        Assert.Equal("yes", (string?)graphics.Attribute("autoport"));
        Assert.Equal("127.0.0.1", (string?)graphics.Attribute("listen"));
        Assert.Equal("127.0.0.1", (string?)graphics.Element("listen")!.Attribute("address"));
        Assert.Equal("address", (string?)graphics.Element("listen")!.Attribute("type"));
        Assert.Equal("tablet", (string?)devices.Element("input")!.Attribute("type"));
        Assert.Equal("virtio", (string?)devices.Element("video")!.Element("model")!.Attribute("type"));
    }

    [Fact]
    public void GraphicsListenAddressIsConfigurable()
    {
        XElement graphics = Written(Design(d => d.GraphicsListen = "0.0.0.0")).Element("devices")!.Element("graphics")!;

        Assert.Equal("0.0.0.0", (string?)graphics.Attribute("listen"));
        Assert.Equal("0.0.0.0", (string?)graphics.Element("listen")!.Attribute("address"));
    }

    [Fact]
    public void NoGraphicsMeansNoTabletNorVideo()
    {
        XElement devices = Written(Design(d => d.Graphics = "none")).Element("devices")!;

        Assert.Null(devices.Element("graphics"));
        Assert.Null(devices.Element("input"));
        Assert.Null(devices.Element("video"));
        Assert.NotNull(devices.Element("console"));
    }

    [Fact]
    public void OsInfoIdIsRecordedInTheLibosinfoNamespace()
    {
        XElement domain = Written(Design(d => d.OsInfoId = "http://debian.org/debian/12"));
        XNamespace ns = "http://libosinfo.org/xmlns/libvirt/domain/1.0";
        XElement? os = domain.Element("metadata")?.Element(ns + "libosinfo")?.Element(ns + "os");

        Assert.NotNull(os);
        Assert.Equal("http://debian.org/debian/12", (string?)os!.Attribute("id"));
        string text = DomainXmlWriter.Write(Design(d => d.OsInfoId = "http://debian.org/debian/12")).ToString();
        Assert.Contains("xmlns:libosinfo=\"http://libosinfo.org/xmlns/libvirt/domain/1.0\"", text);
        Assert.Contains("<libosinfo:os id=\"http://debian.org/debian/12\"", text);
    }

    [Fact]
    public void NoOsInfoIdMeansNoMetadata()
    {
        Assert.Null(Written(Design()).Element("metadata"));
    }
}
