using System;
using System.Collections.Generic;
using System.Linq;
using System.Xml.Linq;
using KvmPS.Guests;
using Xunit;
using static KvmPS.Tests.Guests.GuestFixtures;

namespace KvmPS.Tests.Guests;

/// <summary>Define, autostart, start and wait steps; domain type per host; the design; Describe().</summary>
public sealed class GuestPlannerLifecycleTests
{
    private const string V = "virsh -c qemu:///system ";

    [Fact]
    public void KvmHostGetsDomainTypeKvmAndNoWarning()
    {
        GuestPlan plan = Plan(Request());

        Assert.Equal("kvm", plan.Design.DomainType);
        Assert.Equal("kvm", (string?)Xml(plan).Attribute("type"));
        Assert.Empty(plan.Warnings);
    }

    [Fact]
    public void TcgHostGetsDomainTypeQemuWithAWarningSayingWhy()
    {
        GuestPlan plan = Plan(Request(), probe: TcgHost);

        Assert.Equal("qemu", plan.Design.DomainType);
        Assert.Equal("qemu", (string?)Xml(plan).Attribute("type"));
        string warning = Assert.Single(plan.Warnings);
        Assert.StartsWith("The guest will use software emulation (TCG, domain type 'qemu')", warning);
        Assert.True(warning.Length > "The guest will use software emulation (TCG, domain type 'qemu'), many times slower than KVM. ".Length, "the warning gives the Acceleration check's reason");
    }

    [Fact]
    public void MoreVirtualCpusThanTheHostHasIsAWarningNotARefusal()
    {
        GuestPlan plan = Plan(Request(change: r => r.ProcessorCount = 4), probe: TcgHost);

        Assert.Contains(plan.Warnings, w => w.StartsWith("4 virtual CPUs on a host with 2 logical processors", StringComparison.Ordinal));
        Assert.Equal("4", Xml(plan).Element("vcpu")!.Value);
        Assert.DoesNotContain(Plan(Request(change: r => r.ProcessorCount = 64)).Warnings, w => w.Contains("virtual CPUs"));
    }

    [Fact]
    public void DefaultsAreOneGibOneCpuHostModelVncBios()
    {
        GuestPlan plan = Plan(Request());
        XElement xml = Xml(plan);

        Assert.Equal(GuestPlanner.DefaultMemory, plan.Design.MemoryBytes);
        Assert.Equal("1048576", xml.Element("memory")!.Value);
        Assert.Equal("1", xml.Element("vcpu")!.Value);
        Assert.Equal("host-model", (string?)xml.Element("cpu")!.Attribute("mode"));
        Assert.Equal("vnc", (string?)xml.Element("devices")!.Element("graphics")!.Attribute("type"));
        Assert.Null(xml.Element("os")!.Attribute("firmware"));
        Assert.Empty(xml.Element("devices")!.Elements("interface"));
    }

    [Theory]
    [InlineData("None", null)]
    [InlineData("Spice", "spice")]
    [InlineData("VNC", "vnc")]
    public void GraphicsParameterIsLowerCased(string given, string? type)
    {
        XElement devices = Xml(Plan(Request(change: r => r.Graphics = given))).Element("devices")!;

        Assert.Equal(type, (string?)devices.Element("graphics")?.Attribute("type"));
    }

    [Fact]
    public void MacAddressesGoToNetworksThenBridgesInOrderNormalized()
    {
        GuestPlan plan = Plan(Request(change: r =>
        {
            r.Network = new List<string> { "default", "isolated" };
            r.Bridge = new List<string> { "br0" };
            r.MacAddress = new List<string> { "52:54:00:AA:00:01", "52-54-00-aa-00-02" };
        }));

        Assert.Equal(new[] { "network default 52:54:00:aa:00:01", "network isolated 52:54:00:aa:00:02", "bridge br0 " },
            plan.Design.NetworkAdapters.Select(n => $"{n.Type} {n.Source} {n.MacAddress}"));
        Assert.Equal(3, Xml(plan).Element("devices")!.Elements("interface").Count());
    }

    [Fact]
    public void KnownOsVariantIsRecordedInTheMetadata()
    {
        GuestPlan plan = Plan(Request(change: r => r.OSVariant = "debian12"), Host(h => h.OsInfoIds["debian12"] = "http://debian.org/debian/12"));
        XNamespace ns = "http://libosinfo.org/xmlns/libvirt/domain/1.0";

        Assert.Equal("http://debian.org/debian/12", (string?)Xml(plan).Element("metadata")!.Element(ns + "libosinfo")!.Element(ns + "os")!.Attribute("id"));
        Assert.Empty(plan.Warnings);
    }

    [Fact]
    public void SecureBootAndTpmReachTheXml()
    {
        XElement xml = Xml(Plan(Request(change: r => { r.Firmware = "uefi"; r.SecureBoot = true; r.Tpm = true; })));

        Assert.Equal("yes", (string?)xml.Element("os")!.Element("loader")!.Attribute("secure"));
        Assert.NotNull(xml.Element("features")!.Element("smm"));
        Assert.NotNull(xml.Element("devices")!.Element("tpm"));
    }

    [Fact]
    public void DirectKernelBootComesFromTheRequest()
    {
        HostGuestContext host = Host().WithPath("/var/lib/libvirt/boot/vmlinuz").WithPath("/var/lib/libvirt/boot/initrd.img");
        XElement os = Xml(Plan(Request(change: r =>
        {
            r.DiskSizeBytes = null;
            r.KernelPath = "/var/lib/libvirt/boot/vmlinuz";
            r.InitrdPath = "/var/lib/libvirt/boot/initrd.img";
            r.KernelArguments = "console=ttyS0";
        }), host)).Element("os")!;

        Assert.Equal("/var/lib/libvirt/boot/vmlinuz", os.Element("kernel")!.Value);
        Assert.Equal("/var/lib/libvirt/boot/initrd.img", os.Element("initrd")!.Value);
        Assert.Equal("console=ttyS0", os.Element("cmdline")!.Value);
        Assert.Empty(os.Elements("boot"));
    }

    [Fact]
    public void AutostartIsAStepWithoutUndo()
    {
        GuestPlan plan = Plan(Request(change: r => r.Autostart = true));
        PlanStep step = plan.Steps.Last();

        Assert.Equal("Start it with the host", step.Title);
        Assert.Equal(new[] { $"{V}autostart {plan.Design.Uuid}" }, Shown(step));
        Assert.Empty(step.Undo);
        Assert.Null(plan.Wait);
    }

    [Fact]
    public void StartIsTheLastStepAndIsUndoneByDestroy()
    {
        GuestPlan plan = Plan(Request(change: r => { r.Start = true; r.Autostart = true; }));

        Assert.Equal(new[] { "Start it with the host", "Start it" }, plan.Steps.Skip(2).Select(s => s.Title));
        Assert.Equal(new[] { $"{V}start {plan.Design.Uuid}" }, Shown(plan.Steps.Last()));
        Assert.Equal(new[] { $"{V}destroy {plan.Design.Uuid}" }, ShownUndo(plan.Steps.Last()));
        Assert.Null(plan.Wait);
    }

    [Fact]
    public void NothingStartsWithoutStartOrWait()
    {
        GuestPlan plan = Plan(Request());

        Assert.DoesNotContain(plan.Steps, s => s.Commands.Any(c => c.Argv.Contains("start")));
        Assert.Null(plan.Wait);
    }

    [Theory]
    [InlineData(false, "running")]
    [InlineData(true, "ip")]
    public void WaitStartsTheGuestThenWaitsForItsStateOrAddress(bool forIp, string want)
    {
        GuestPlan plan = Plan(Request(change: r => { r.Wait = !forIp; r.WaitForIPAddress = forIp; }));

        Assert.Equal("Start it", plan.Steps.Last().Title);
        Assert.NotNull(plan.Wait);
        Assert.Equal(new[] { "sh", "-s", "--", "300", want, plan.Design.Uuid.ToString() }, plan.Wait!.Argv);
        Assert.Equal("guest-wait.sh", plan.Wait.StdinName);
    }

    [Fact]
    public void WaitTimeoutIsRoundedUpToWholeSeconds()
    {
        GuestPlan plan = GuestPlanner.Plan(Request(change: r => r.Wait = true), ProbeFacts(KvmHost), Host(), Array.Empty<KvmGuest>(), KvmHost, null, TimeSpan.FromSeconds(90.2));

        Assert.Equal("91", plan.Wait!.Argv[3]);
    }

    [Fact]
    public void DescribeListsEveryStepCommandTheWaitAndTheXml()
    {
        GuestPlan plan = Plan(Request(change: r => { r.DataDiskSizeBytes = new List<long> { 1L << 30 }; r.Autostart = true; r.WaitForIPAddress = true; }), Host(h => h.Pools.Clear()));
        string text = plan.Describe();

        for (int i = 0; i < plan.Steps.Count; i++)
        {
            Assert.Contains($"{i + 1}. {plan.Steps[i].Title}\n", text);
            Assert.All(plan.Steps[i].Commands, c => Assert.Contains("   " + c.ToDisplayString(), text));
        }

        Assert.Contains($"{plan.Steps.Count + 1}. Wait\n   {plan.Wait!.ToDisplayString()}", text);
        Assert.EndsWith("\nDomain XML:\n" + plan.Xml, text);
        Assert.Equal(6, plan.Steps.Count);
    }

    [Fact]
    public void EachPlanHasItsOwnUuid()
    {
        Assert.NotEqual(Plan(Request()).Design.Uuid, Plan(Request()).Design.Uuid);
    }

    [Fact]
    public void LookupsNameEveryPathAndEveryVolumeTheRequestTouches()
    {
        (List<string> paths, List<(string Pool, string File)> volumes) = GuestPlanner.Lookups(Request(change: r =>
        {
            r.BaseImage = "/srv/base.qcow2";
            r.IsoPath = "/srv/x.iso";
            r.KernelPath = "/boot/vmlinuz";
            r.InitrdPath = "/boot/initrd";
            r.DataDiskSizeBytes = new List<long> { 1, 2 };
        }));

        Assert.Equal(new[] { "/srv/base.qcow2", "/srv/x.iso", "/boot/vmlinuz", "/boot/initrd" }, paths);
        Assert.Equal(new[] { "web01.qcow2", "web01-seed.iso", "web01-data1.qcow2", "web01-data2.qcow2" }, volumes.Select(v => v.File));
        Assert.All(volumes, v => Assert.Equal("default", v.Pool));
    }
}
