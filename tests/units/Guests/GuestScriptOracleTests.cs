using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Xml.Linq;
using KvmPS.Guests;
using Xunit;

namespace KvmPS.Tests.Guests;

/// <summary>
/// The embedded guest scripts run for real with virsh against libvirt's test driver (see
/// <see cref="TestDriverHost"/>), and the writer's XML defined with "virsh define --validate"
/// (libvirt's schema and parser). Skipped where virsh (or qemu-img) is not installed.
/// </summary>
public sealed class GuestScriptOracleTests
{
    private const string G1 = "3f1c2a9e-8d4b-4c41-9a57-0b6e2d9f1a01";
    private const string Paused = "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9";
    private const string LegacyEfi = "c0ffee00-1234-4cde-8f00-abcdefabcdef";
    private const string Undefined = "0badc0de-0000-4000-8000-000000000001";

    [SkippableFact]
    public void InventoryOfTheTestHostParses()
    {
        using var host = new TestDriverHost();
        var (code, stdout, stderr) = host.Script("guest-inventory.sh");
        Assert.True(code == 0, stderr);
        List<KvmGuest> guests = GuestInventoryParser.Parse("test", stdout, null);

        Assert.Equal(new[] { "g1 & co", "legacy-efi", "scratch", "tcg-paused", "web01" }, guests.Select(g => g.Name).OrderBy(n => n, StringComparer.Ordinal));
        KvmGuest g1 = guests.Single(g => g.Name == "g1 & co");
        Assert.Equal(KvmGuestState.Running, g1.State);
        Assert.Equal("Bios", g1.Firmware);
        Assert.Equal(-1, g1.Disks.Single(d => d.Device == "cdrom").CapacityBytes);
        Assert.True(g1.Disks.Single(d => d.Target == "vda").CapacityBytes > 0);
        Assert.NotEmpty(g1.IPAddresses);
        Assert.Equal("Uefi", guests.Single(g => g.Name == "web01").Firmware);
        Assert.Equal(KvmGuestState.ShutOff, guests.Single(g => g.Name == "legacy-efi").State);
        Assert.Equal("Uefi", guests.Single(g => g.Name == "legacy-efi").Firmware);
        Assert.Equal(KvmGuestState.ShuttingDown, guests.Single(g => g.Name == "scratch").State);
        Assert.False(guests.Single(g => g.Name == "scratch").Persistent);
        Assert.Equal(KvmGuestState.Paused, guests.Single(g => g.Name == "tcg-paused").State);
    }

    [SkippableFact]
    public void InventoryRefusesAnArgumentThatIsNotAUuid()
    {
        using var host = new TestDriverHost();
        var (code, _, stderr) = host.Script("guest-inventory.sh", G1, "x; destroy " + G1);

        Assert.Equal(2, code);
        Assert.Contains("not a UUID", stderr);
    }

    [SkippableFact]
    public void GuestUndefinedMeanwhileAsTheLastOneIsSkipped()
    {
        using var host = new TestDriverHost();
        var (_, stdout, _) = host.Script("guest-inventory.sh", G1, Undefined);

        Assert.Equal("g1 & co", Assert.Single(GuestInventoryParser.Parse("test", stdout, null)).Name);
    }

    [SkippableFact]
    public void GuestUndefinedMeanwhileBeforeAnotherDoesNotHideIt()
    {
        using var host = new TestDriverHost();
        var (_, stdout, _) = host.Script("guest-inventory.sh", Undefined, G1);

        Assert.Equal("g1 & co", Assert.Single(GuestInventoryParser.Parse("test", stdout, null)).Name);
    }

    [SkippableFact]
    public void WaitReportsReachedAndTimedOutGuests()
    {
        using var host = new TestDriverHost();
        var running = GuestScripts.ReadWait(host.Script("guest-wait.sh", "0", "running", G1, LegacyEfi).Stdout);
        var paused = GuestScripts.ReadWait(host.Script("guest-wait.sh", "0", "paused", Paused).Stdout);
        var ip = GuestScripts.ReadWait(host.Script("guest-wait.sh", "0", "ip", G1, LegacyEfi).Stdout);

        Assert.Equal((true, "running"), running[Guid.Parse(G1)]);
        Assert.Equal((false, "shut off"), running[Guid.Parse(LegacyEfi)]);
        Assert.Equal((true, "paused"), paused[Guid.Parse(Paused)]);
        Assert.Equal((true, "running"), ip[Guid.Parse(G1)]);
        Assert.False(ip[Guid.Parse(LegacyEfi)].Reached);
    }

    [SkippableFact]
    public void WaitRefusesAnUnknownState()
    {
        using var host = new TestDriverHost();
        var (code, _, stderr) = host.Script("guest-wait.sh", "0", "gone", G1);

        Assert.Equal(2, code);
        Assert.Contains("unknown state", stderr);
    }

    [SkippableFact]
    public void PrerequisitesOfTheTestHostParse()
    {
        using var host = new TestDriverHost();
        string qemuImg = QemuImg();
        string @base = Path.Combine(host.Pool, "base.raw");
        string clone = Path.Combine(host.Pool, "clone.qcow2");
        Assert.Equal(0, host.Run(qemuImg, new[] { "create", "-q", "-f", "raw", @base, "1G" }).Code);
        Assert.Equal(0, host.Run(qemuImg, new[] { "create", "-q", "-f", "qcow2", "-F", "raw", "-b", @base, clone, "3G" }).Code);
        string missing = Path.Combine(host.Root, "nowhere.qcow2");

        Prerequisites(host, out HostGuestContext context, "default", new[] { clone, @base, missing }, new[] { ("default", "clone.qcow2"), ("default", "web01.qcow2") });

        Assert.Equal(new[] { "default", "isolated" }, context.Networks.OrderBy(n => n, StringComparer.Ordinal));
        Assert.Equal(host.Pool, context.PoolPath("default"));
        Assert.Equal(("qcow2", 3L << 30, true), (context.Paths[clone].Format, context.Paths[clone].VirtualSize, context.Paths[clone].Exists));
        Assert.Equal(("raw", 1L << 30), (context.Paths[@base].Format, context.Paths[@base].VirtualSize));
        Assert.False(context.Paths[missing].Exists);
        Assert.Equal(new[] { "default/clone.qcow2" }, context.ExistingVolumes);
        Assert.Contains("qemu-img", context.Tools);
    }

    [SkippableFact]
    public void StorageScanFindsThinClonesInAPoolWithALongName()
    {
        // virsh pool-list --name pads names to 20 characters: a 20-character name has no padding.
        using var host = new TestDriverHost("kvmps-test-pool-0001");
        string expected = ThinClone(host);

        Assert.Contains(expected, host.Script("storage-backing.sh").Stdout.Split('\n'));
    }

    [SkippableFact]
    public void StorageScanFindsThinClonesInTheDefaultPool()
    {
        using var host = new TestDriverHost();
        string expected = ThinClone(host);

        Assert.Contains(expected, host.Script("storage-backing.sh").Stdout.Split('\n'));
    }

    public static TheoryData<string> Designs() => new() { "everything", "minimal", "bios-iso", "hostile-name", "tcg-custom-cpu" };

    [SkippableTheory]
    [MemberData(nameof(Designs))]
    public void LibvirtAcceptsTheWrittenXmlAndGivesBackTheSameGuest(string which)
    {
        using var host = new TestDriverHost();
        GuestDesign design = which switch
        {
            "hostile-name" => DomainXmlRoundTripTests.Design(d => d.Name = "a<b&\"c'"),
            "tcg-custom-cpu" => DomainXmlRoundTripTests.Design(d => { d.DomainType = "qemu"; d.CpuMode = "Skylake-Client-IBRS"; d.Graphics = "none"; }),
            _ => DomainXmlStructureTests.Named(which),
        };
        string file = Path.Combine(host.Root, "domain.xml");
        File.WriteAllText(file, DomainXmlWriter.Write(design).ToString());

        var (code, stdout, stderr) = host.Run("virsh", new[] { "-c", "test:///default", $"define --validate {file}; dumpxml --inactive {design.Uuid}" });

        Assert.True(code == 0, $"libvirt refused the XML: {stderr}");
        var guest = new KvmGuest();
        DomainXmlReader.Read(XElement.Parse(stdout.Substring(stdout.IndexOf("<domain", StringComparison.Ordinal))), guest);
        KvmGuest written = DomainXmlRoundTripTests.Read(design);
        Assert.Equal((written.Name, written.Uuid, written.DomainType, written.MemoryBytes, written.ProcessorCount, written.CpuMode, written.Firmware),
            (guest.Name, guest.Uuid, guest.DomainType, guest.MemoryBytes, guest.ProcessorCount, guest.CpuMode, guest.Firmware));
        Assert.Equal(written.Disks.Select(d => (d.Target, d.Device, d.Path, d.Format)), guest.Disks.Select(d => (d.Target, d.Device, d.Path, d.Format)));
        Assert.Equal(written.NetworkAdapters.Select(n => (n.Type, n.Source, n.Model)), guest.NetworkAdapters.Select(n => (n.Type, n.Source, n.Model)));
    }

    [SkippableFact]
    public void LibvirtValidationCatchesABrokenDomain()
    {
        using var host = new TestDriverHost();
        string file = Path.Combine(host.Root, "broken.xml");
        XElement xml = DomainXmlWriter.Write(DomainXmlRoundTripTests.Design());
        xml.Element("devices")!.Element("disk")!.Element("target")!.Remove();
        File.WriteAllText(file, xml.ToString());

        Assert.NotEqual(0, host.Run("virsh", new[] { "-c", "test:///default", $"define --validate {file}" }).Code);
    }

    private static string ThinClone(TestDriverHost host)
    {
        string qemuImg = QemuImg();
        string @base = Path.Combine(host.Pool, "base.qcow2");
        string clone = Path.Combine(host.Pool, "clone.qcow2");
        Assert.Equal(0, host.Run(qemuImg, new[] { "create", "-q", "-f", "qcow2", @base, "1G" }).Code);
        Assert.Equal(0, host.Run(qemuImg, new[] { "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", @base, clone }).Code);
        return clone + "\t" + @base;
    }

    private static void Prerequisites(TestDriverHost host, out HostGuestContext context, string pool, string[] paths, (string, string)[] volumes)
    {
        var command = HostGuestContext.Command(new[] { pool }, paths, volumes, new string[0]);
        var (code, stdout, stderr) = host.Script("guest-prerequisites.sh", command.Argv.Skip(3).ToArray());
        Assert.True(code == 0, stderr);
        context = HostGuestContext.Parse(stdout);
    }

    private static string QemuImg()
    {
        string qemuImg = TestDriverHost.Which("qemu-img");
        Skip.If(qemuImg.Length == 0, "qemu-img is not installed here");
        return qemuImg;
    }
}
