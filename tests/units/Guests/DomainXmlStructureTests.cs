using System;
using System.IO;
using System.Linq;
using System.Xml;
using System.Xml.Linq;
using KvmPS.Guests;
using Xunit;

namespace KvmPS.Tests.Guests;

/// <summary>
/// What libvirt needs of any domain XML the writer makes: well-formed, escaped, and with the
/// devices every KvmPS guest has (serial console, guest agent channel, rng, balloon).
/// </summary>
public sealed class DomainXmlStructureTests
{
    /// <summary>Every option at once: UEFI + Secure Boot + TPM, ISO, data disks, NICs, spice, osinfo.</summary>
    internal static GuestDesign Everything(string name = "web01") => DomainXmlRoundTripTests.Design(d =>
    {
        d.Name = name;
        d.DomainType = "kvm";
        d.CpuMode = "host-passthrough";
        d.Uefi = true;
        d.SecureBoot = true;
        d.Tpm = true;
        d.OsInfoId = "http://debian.org/debian/12";
        d.Graphics = "spice";
        d.BootDevices.Add("cdrom");
        d.Disks.Add(new DiskDesign { Path = "/var/lib/libvirt/images/web01-data1.qcow2", Target = "vdb" });
        d.Disks.Add(new DiskDesign { Path = "/srv/iso/debian-12.7.0-amd64-netinst.iso", Format = "raw", Device = "cdrom", Bus = "sata", Target = "sda" });
        d.Disks.Add(new DiskDesign { Path = "/var/lib/libvirt/images/web01-seed.iso", Format = "raw", Device = "cdrom", Bus = "sata", Target = "sdb" });
        d.NetworkAdapters.Add(new NicDesign { Type = "network", Source = "default", MacAddress = "52:54:00:2b:0d:c4" });
        d.NetworkAdapters.Add(new NicDesign { Type = "bridge", Source = "br0" });
    });

    internal static GuestDesign Minimal() => DomainXmlRoundTripTests.Design(d => { d.Graphics = "none"; d.Disks.Clear(); d.Kernel = "/boot/vmlinuz"; });

    public static TheoryData<string> Designs() => new() { "everything", "minimal", "bios-iso" };

    internal static GuestDesign Named(string which) => which switch
    {
        "everything" => Everything(),
        "minimal" => Minimal(),
        _ => DomainXmlRoundTripTests.Design(d => d.Disks.Add(new DiskDesign { Path = "/srv/iso/x.iso", Format = "raw", Device = "cdrom", Bus = "sata", Target = "sda" })),
    };

    [Theory]
    [MemberData(nameof(Designs))]
    public void OutputIsOneWellFormedDomainDocument(string which)
    {
        string text = DomainXmlWriter.Write(Named(which)).ToString();
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, ConformanceLevel = ConformanceLevel.Document };
        int roots = 0;
        using (XmlReader reader = XmlReader.Create(new StringReader(text), settings))
        {
            while (reader.Read())
            {
                if (reader.NodeType == XmlNodeType.Element && reader.Depth == 0)
                {
                    roots++;
                    Assert.Equal("domain", reader.LocalName);
                    Assert.Equal("", reader.NamespaceURI);
                }
            }
        }

        Assert.Equal(1, roots);
    }

    [Fact]
    public void NameWithXmlMetacharactersIsEscapedAndReadBack()
    {
        const string hostile = "a<b&\"c'";
        GuestDesign design = DomainXmlRoundTripTests.Design(d => d.Name = hostile);
        string text = DomainXmlWriter.Write(design).ToString();

        Assert.Contains("<name>a&lt;b&amp;\"c'</name>", text);
        Assert.DoesNotContain("a<b", text);
        var guest = new KvmGuest();
        DomainXmlReader.Read(XElement.Parse(text), guest);
        Assert.Equal(hostile, guest.Name);
    }

    [Fact]
    public void PathsAndKernelArgumentsWithMetacharactersAreEscapedInAttributesAndText()
    {
        const string disk = "/srv/a&b/it's \"x\" <y>.qcow2";
        const string args = "console=ttyS0 ks=\"http://h/k?a=1&b=2\" x='<y>'";
        GuestDesign design = DomainXmlRoundTripTests.Design(d =>
        {
            d.Disks[0].Path = disk;
            d.Kernel = "/boot/vmlinuz";
            d.KernelArguments = args;
            d.NetworkAdapters.Add(new NicDesign { Type = "bridge", Source = "br\"0'&" });
        });
        string text = DomainXmlWriter.Write(design).ToString();
        XElement domain = XElement.Parse(text);

        Assert.DoesNotContain("a&b", text);
        Assert.DoesNotContain("<y>", text);
        Assert.Equal(disk, (string?)domain.Element("devices")!.Element("disk")!.Element("source")!.Attribute("file"));
        Assert.Equal(args, domain.Element("os")!.Element("cmdline")!.Value);
        Assert.Equal("br\"0'&", (string?)domain.Element("devices")!.Element("interface")!.Element("source")!.Attribute("bridge"));
    }

    [Theory]
    [MemberData(nameof(Designs))]
    public void EveryDiskHasDriverSourceAndTarget(string which)
    {
        XElement devices = DomainXmlRoundTripTests.Written(Named(which)).Element("devices")!;

        foreach (XElement disk in devices.Elements("disk"))
        {
            Assert.Equal("file", (string?)disk.Attribute("type"));
            Assert.Contains((string?)disk.Attribute("device"), new[] { "disk", "cdrom" });
            Assert.Equal("qemu", (string?)disk.Element("driver")?.Attribute("name"));
            Assert.False(string.IsNullOrEmpty((string?)disk.Element("driver")?.Attribute("type")));
            Assert.StartsWith("/", (string?)disk.Element("source")?.Attribute("file"));
            Assert.False(string.IsNullOrEmpty((string?)disk.Element("target")?.Attribute("dev")));
            Assert.False(string.IsNullOrEmpty((string?)disk.Element("target")?.Attribute("bus")));
        }

        var targets = devices.Elements("disk").Select(d => (string?)d.Element("target")!.Attribute("dev")).ToList();
        Assert.Equal(targets.Count, targets.Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Designs))]
    public void SerialConsoleGuestAgentRngAndBalloonAreAlwaysThere(string which)
    {
        XElement devices = DomainXmlRoundTripTests.Written(Named(which)).Element("devices")!;

        XElement serial = devices.Element("serial")!;
        Assert.Equal("pty", (string?)serial.Attribute("type"));
        Assert.Equal("0", (string?)serial.Element("target")!.Attribute("port"));
        XElement console = devices.Element("console")!;
        Assert.Equal("serial", (string?)console.Element("target")!.Attribute("type"));
        XElement agent = devices.Elements("channel").Single(c => (string?)c.Attribute("type") == "unix");
        Assert.Equal("unix", (string?)agent.Attribute("type"));
        Assert.Equal("virtio", (string?)agent.Element("target")!.Attribute("type"));
        Assert.Equal("org.qemu.guest_agent.0", (string?)agent.Element("target")!.Attribute("name"));
        Assert.Equal("/dev/urandom", devices.Element("rng")!.Element("backend")!.Value);
        Assert.Equal("virtio", (string?)devices.Element("memballoon")!.Attribute("model"));
    }

    [Theory]
    [MemberData(nameof(Designs))]
    public void TopLevelElementsLibvirtNeedsArePresentOnce(string which)
    {
        XElement domain = DomainXmlRoundTripTests.Written(Named(which));

        foreach (string name in new[] { "name", "uuid", "memory", "currentMemory", "vcpu", "os", "features", "cpu", "clock", "on_poweroff", "on_reboot", "on_crash", "pm", "devices" })
        {
            Assert.Single(domain.Elements(name));
        }

        Assert.Equal("static", (string?)domain.Element("vcpu")!.Attribute("placement"));
        Assert.Equal("utc", (string?)domain.Element("clock")!.Attribute("offset"));
        Assert.Equal(new[] { "rtc", "pit", "hpet" }, domain.Element("clock")!.Elements("timer").Select(t => (string?)t.Attribute("name")));
        Assert.NotNull(domain.Element("features")!.Element("acpi"));
        Assert.NotNull(domain.Element("features")!.Element("apic"));
        Assert.True(Guid.TryParse(domain.Element("uuid")!.Value, out _));
    }

    [Fact]
    public void EverythingDesignHasEachOptionalDevice()
    {
        XElement domain = DomainXmlRoundTripTests.Written(Everything());
        XElement devices = domain.Element("devices")!;

        Assert.Equal(4, devices.Elements("disk").Count());
        Assert.Equal(2, devices.Elements("interface").Count());
        Assert.Single(devices.Elements("tpm"));
        Assert.Single(devices.Elements("graphics"));
        Assert.Equal("kvm", (string?)domain.Attribute("type"));
        Assert.Equal(new[] { "hd", "cdrom" }, domain.Element("os")!.Elements("boot").Select(b => (string?)b.Attribute("dev")));
        Assert.Equal("com.redhat.spice.0", (string?)devices.Elements("channel").Single(c => (string?)c.Attribute("type") == "spicevmc").Element("target")!.Attribute("name"));
        Assert.Equal(new[] { "pcie-root" }.Concat(Enumerable.Repeat("pcie-root-port", 14)), devices.Elements("controller").Select(c => (string?)c.Attribute("model")));
    }

    [Fact]
    public void VncHasNoSpiceChannelAndI440fxNoRootPorts()
    {
        XElement devices = DomainXmlRoundTripTests.Written(DomainXmlRoundTripTests.Design(d => { d.Graphics = "vnc"; d.Machine = "pc"; })).Element("devices")!;

        Assert.DoesNotContain(devices.Elements("channel"), c => (string?)c.Attribute("type") == "spicevmc");
        Assert.Empty(devices.Elements("controller"));
    }

    [Fact]
    public void MemoryIsWholeKibibytes()
    {
        // The planner refuses memory that is not whole KiB; the writer truncates, never rounds up.
        XElement domain = DomainXmlRoundTripTests.Written(DomainXmlRoundTripTests.Design(d => d.MemoryBytes = (1L << 30) + 1023));

        Assert.Equal("1048576", domain.Element("memory")!.Value);
    }
}
