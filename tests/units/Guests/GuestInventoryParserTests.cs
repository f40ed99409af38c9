using System;
using System.Collections.Generic;
using System.Linq;
using KvmPS.Guests;
using Xunit;

namespace KvmPS.Tests.Guests;

/// <summary>
/// guest-inventory.sh output → KvmGuest. Fixtures/inventory-lab.txt is the real script's output
/// (virsh 9.0 against libvirt's test driver, Fixtures/testdriver-node.xml), with sizes, CPU times,
/// tap names and addresses edited to what a QEMU host shows; the undefined guest's UUID was given
/// as an argument, so virsh printed nothing but blank lines for it.
/// </summary>
public sealed class GuestInventoryParserTests
{
    private const string G1 = "3f1c2a9e-8d4b-4c41-9a57-0b6e2d9f1a01";
    private const string Web01 = "8a4e5b2c-1d3f-4e6a-8b7c-9d0e1f2a3b4c";
    private const string Paused = "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9";
    private const string Scratch = "d1e2f3a4-b5c6-4d7e-8f90-a1b2c3d4e5f6";
    private const string LegacyEfi = "c0ffee00-1234-4cde-8f00-abcdefabcdef";
    private const string Undefined = "0badc0de-0000-4000-8000-000000000001";

    private static readonly string Header = " Name       MAC address          Protocol     Address\n-------------------------------------------------------------------------------";

    private static List<KvmGuest> Lab() => GuestInventoryParser.Parse("kvm3", GuestFixtures.Text("inventory-lab.txt"), null);

    private static KvmGuest ByUuid(string uuid) => Lab().Single(g => g.Uuid == Guid.Parse(uuid));

    /// <summary>One guest as guest-inventory.sh prints it (virsh adds a blank line after each command).</summary>
    internal static string One(string uuid, string name, string state, string devices = "", string blk = "", string? lease = null, string? arp = null, string id = "1")
    {
        string text = $"@@guest {uuid}\n@@info\nId:             {id}\nName:           {name}\nUUID:           {uuid}\nOS Type:        hvm\n"
            + $"State:          {state}\nCPU(s):         1\nMax memory:     1048576 KiB\nUsed memory:    1048576 KiB\nPersistent:     yes\nAutostart:      disable\n\n"
            + $"@@xml\n<domain type='kvm'>\n  <name>{name}</name>\n  <uuid>{uuid}</uuid>\n  <memory unit='KiB'>1048576</memory>\n  <vcpu placement='static'>1</vcpu>\n"
            + $"  <os>\n    <type arch='x86_64' machine='pc-q35-8.2'>hvm</type>\n  </os>\n  <devices>\n{devices}  </devices>\n</domain>\n\n"
            + $"@@blk\n Target   Capacity   Allocation   Physical\n-----------------------------------------------\n{blk}\n";
        if (lease is not null)
        {
            text += $"@@lease\n{Header}\n{lease}\n\n@@arp\n{Header}\n{arp}\n\n";
        }

        return text;
    }

    private static string Nic(string mac) => $"    <interface type='network'>\n      <mac address='{mac}'/>\n      <source network='default'/>\n      <model type='virtio'/>\n    </interface>\n";

    [Fact]
    public void EveryDefinedGuestIsReadAndTheUndefinedOneIsSkipped()
    {
        List<KvmGuest> guests = Lab();

        Assert.Equal(new[] { "g1 & co", "web01", "tcg-paused", "scratch", "legacy-efi" }, guests.Select(g => g.Name));
        Assert.DoesNotContain(guests, g => g.Uuid == Guid.Parse(Undefined));
        Assert.All(guests, g => Assert.Equal("kvm3", g.ComputerName));
    }

    [Fact]
    public void SplitterKeepsDescriptionLinesThatLookLikeHeadersInsideTheXml()
    {
        var split = GuestInventoryParser.Split(GuestFixtures.Text("inventory-lab.txt")).ToList();

        Assert.Equal(new[] { G1, Web01, Paused, Scratch, LegacyEfi, Undefined }, split.Select(s => s.Uuid));
        var web = split[1].Sections;
        Assert.Contains("@@xml", web["xml"]);
        Assert.Contains("@@guest 00000000-0000-0000-0000-000000000000", web["xml"]);
        Assert.Contains("@@end", web["xml"]);
        Assert.Equal("</domain>", web["xml"].Last(l => l.Length > 0));
        Assert.Contains(web["blk"], l => l.StartsWith(" vdb", StringComparison.Ordinal));
        Assert.Equal(new[] { "info", "xml", "blk", "lease", "arp" }, web.Keys);
    }

    [Fact]
    public void NameWithAmpersandIsDecoded()
    {
        KvmGuest g1 = ByUuid(G1);

        Assert.Equal("g1 & co", g1.Name);
        Assert.Equal("g1 & co on kvm3 (Running)", g1.ToString());
    }

    [Fact]
    public void RunningGuestWithLeaseHasEveryField()
    {
        KvmGuest g1 = ByUuid(G1);

        Assert.Equal(KvmGuestState.Running, g1.State);
        Assert.Equal(1, g1.Id);
        Assert.True(g1.Persistent);
        Assert.True(g1.Autostart);
        Assert.Equal("kvm", g1.DomainType);
        Assert.Equal("pc-q35-7.2", g1.Machine);
        Assert.Equal("Bios", g1.Firmware);
        Assert.Equal("host-model", g1.CpuMode);
        Assert.Equal(2L << 30, g1.MemoryBytes);
        Assert.Equal(2, g1.ProcessorCount);
        KvmGuestNetworkAdapter nic = Assert.Single(g1.NetworkAdapters);
        Assert.Equal("52:54:00:2b:0d:c4", nic.MacAddress);
        Assert.Equal("vnet0", nic.Device);
        Assert.Equal(new[] { "192.168.122.45" }, nic.IPAddresses);
        Assert.Equal(new[] { "192.168.122.45" }, g1.IPAddresses);
    }

    [Fact]
    public void DisksGetCapacityAllocationAndBackingFileAndEmptyCdromIsMinusOne()
    {
        KvmGuest g1 = ByUuid(G1);
        KvmGuestDisk vda = g1.Disks.Single(d => d.Target == "vda");
        KvmGuestDisk sda = g1.Disks.Single(d => d.Target == "sda");

        Assert.Equal("/var/lib/libvirt/images/g1.qcow2", vda.Path);
        Assert.Equal("qcow2", vda.Format);
        Assert.Equal("/var/lib/libvirt/images/debian-12-base.qcow2", vda.BackingFile);
        Assert.Equal(21474836480, vda.CapacityBytes);
        Assert.Equal(1638400000, vda.AllocationBytes);
        Assert.Equal("cdrom", sda.Device);
        Assert.Equal("", sda.Path);
        Assert.Equal("sata", sda.Bus);
        Assert.Equal(-1, sda.CapacityBytes);
        Assert.Equal(-1, sda.AllocationBytes);
    }

    [Fact]
    public void UefiGuestWithFirmwareEfiAndTwoAdaptersMatchedByMac()
    {
        KvmGuest web = ByUuid(Web01);

        Assert.Equal("Uefi", web.Firmware);
        Assert.Equal("host-passthrough", web.CpuMode);
        Assert.Equal("pc-q35-8.2", web.Machine);
        Assert.False(web.Autostart);
        Assert.Equal(new long[] { 42949672960, 107374182400 }, web.Disks.Select(d => d.CapacityBytes));
        Assert.Equal(new[] { "qcow2", "raw" }, web.Disks.Select(d => d.Format));
        Assert.Equal(new[] { "network", "bridge" }, web.NetworkAdapters.Select(n => n.Type));
        Assert.Equal("br0", web.NetworkAdapters[1].Source);
        Assert.Equal("e1000e", web.NetworkAdapters[1].Model);
        Assert.Equal(new[] { "192.168.122.23" }, web.NetworkAdapters[0].IPAddresses);
        Assert.Equal(new[] { "10.20.0.57" }, web.NetworkAdapters[1].IPAddresses);
        Assert.Equal(new[] { "192.168.122.23", "10.20.0.57" }, web.IPAddresses);
    }

    [Fact]
    public void ShutOffGuestWithPflashLoaderIsUefiWithoutIdOrAddresses()
    {
        KvmGuest legacy = ByUuid(LegacyEfi);

        Assert.Equal(KvmGuestState.ShutOff, legacy.State);
        Assert.Null(legacy.Id);
        Assert.Equal("Uefi", legacy.Firmware);
        Assert.Equal("custom", legacy.CpuMode);
        Assert.Equal(1L << 30, legacy.MemoryBytes);
        Assert.Empty(legacy.IPAddresses);
        Assert.Empty(Assert.Single(legacy.NetworkAdapters).IPAddresses);
        Assert.Equal("", legacy.NetworkAdapters[0].Device);
        Assert.Equal(376832, legacy.Disks.Single(d => d.Target == "sda").CapacityBytes);
        Assert.Equal("/var/lib/libvirt/images/legacy-efi-seed.iso", legacy.Disks.Single(d => d.Target == "sda").Path);
    }

    [Fact]
    public void PausedTcgGuestAndTransientGuestInShutdown()
    {
        KvmGuest paused = ByUuid(Paused);
        KvmGuest scratch = ByUuid(Scratch);

        Assert.Equal(KvmGuestState.Paused, paused.State);
        Assert.Equal("qemu", paused.DomainType);
        Assert.Equal("maximum", paused.CpuMode);
        Assert.Equal("pc-i440fx-7.2", paused.Machine);
        Assert.Equal(new[] { "192.168.122.43" }, paused.IPAddresses);
        Assert.Equal(KvmGuestState.ShuttingDown, scratch.State);
        Assert.False(scratch.Persistent);
        Assert.Equal(4, scratch.Id);
        Assert.Empty(scratch.NetworkAdapters);
        Assert.Empty(scratch.IPAddresses);
    }

    [Fact]
    public void WindowsLineEndingsReadTheSame()
    {
        List<KvmGuest> crlf = GuestInventoryParser.Parse("kvm3", GuestFixtures.Text("inventory-lab.txt").Replace("\n", "\r\n"), null);

        Assert.Equal(Lab().Select(g => (g.Name, g.State, g.Firmware, string.Join(",", g.IPAddresses))), crlf.Select(g => (g.Name, g.State, g.Firmware, string.Join(",", g.IPAddresses))));
    }

    [Theory]
    [InlineData("running", KvmGuestState.Running)]
    [InlineData("idle", KvmGuestState.Blocked)]
    [InlineData("blocked", KvmGuestState.Blocked)]
    [InlineData("paused", KvmGuestState.Paused)]
    [InlineData("in shutdown", KvmGuestState.ShuttingDown)]
    [InlineData("shut off", KvmGuestState.ShutOff)]
    [InlineData("crashed", KvmGuestState.Crashed)]
    [InlineData("pmsuspended", KvmGuestState.Suspended)]
    [InlineData("no state", KvmGuestState.Unknown)]
    [InlineData("", KvmGuestState.Unknown)]
    public void EveryVirshStateMaps(string virsh, KvmGuestState state)
    {
        string uuid = "7a7a7a7a-0000-4000-8000-00000000000" + ((int)state).ToString();
        KvmGuest guest = Assert.Single(GuestInventoryParser.Parse("h", One(uuid, "s1", virsh) + "@@end\n", null));

        Assert.Equal(state, guest.State);
        Assert.Equal(state, GuestInventoryParser.ParseState(virsh));
    }

    [Fact]
    public void MacsMatchCaseInsensitivelyAndAddressesAreDeduplicatedAcrossLeaseAndArp()
    {
        const string uuid = "7a7a7a7a-0000-4000-8000-0000000000aa";
        string text = One(uuid, "m1", "running", Nic("52:54:00:AB:CD:EF") + Nic("52:54:00:00:00:02"),
            lease: " vnet0      52:54:00:ab:cd:ef    ipv4         192.168.122.50/24",
            arp: " vnet0      52:54:00:AB:CD:EF    ipv4         192.168.122.50/0\n vnet1      52:54:00:00:00:02    ipv4         192.168.122.50/0") + "@@end\n";
        KvmGuest guest = Assert.Single(GuestInventoryParser.Parse("h", text, null));

        Assert.Equal("52:54:00:ab:cd:ef", guest.NetworkAdapters[0].MacAddress);
        Assert.Equal(new[] { "192.168.122.50" }, guest.NetworkAdapters[0].IPAddresses);
        Assert.Equal(new[] { "192.168.122.50" }, guest.NetworkAdapters[1].IPAddresses);
        Assert.Equal(new[] { "192.168.122.50" }, guest.IPAddresses);
    }

    /// <summary>The tiny guest's qemu-ga on a lab bridge, as `virsh domifaddr --source agent` printed it.</summary>
    [Fact]
    public void GuestAgentAddressesCountWithoutLoopbackAndLinkLocal()
    {
        const string uuid = "7a7a7a7a-0000-4000-8000-0000000000ab";
        string agent = " lo         00:00:00:00:00:00    ipv4         127.0.0.1/8\n -          -                    ipv6         ::1/128\n"
            + " eth0       52:54:00:35:3c:b2    ipv4         198.18.0.77/24\n -          -                    ipv6         fe80::5054:ff:fe35:3cb2/64\n"
            + " -          -                    ipv6         2001:db8::77/64";
        string text = One(uuid, "b1", "running", Nic("52:54:00:35:3c:b2"), lease: "", arp: "")
            + $"@@agents\n@@agentfor {uuid}\n{Header}\n{agent}\n\n@@end\n";
        KvmGuest guest = Assert.Single(GuestInventoryParser.Parse("h", text, null));

        Assert.Equal(new[] { "198.18.0.77", "2001:db8::77" }, guest.NetworkAdapters[0].IPAddresses);
        Assert.Equal(new[] { "198.18.0.77", "2001:db8::77" }, guest.IPAddresses);
    }

    [Fact]
    public void AgentAddressesGoToTheirOwnGuestAndAMissingAgentBlockIsNothing()
    {
        const string a = "7a7a7a7a-0000-4000-8000-0000000000b1", b = "7a7a7a7a-0000-4000-8000-0000000000b2";
        string guests = One(a, "a1", "running", Nic("52:54:00:00:00:a1"), lease: "", arp: "")
            + One(b, "b1", "running", Nic("52:54:00:00:00:b1"), lease: "", arp: "");
        string agents = $"@@agents\n@@agentfor {b}\n{Header}\n eth0       52:54:00:00:00:b1    ipv4         10.0.0.2/24\n\n"
            + $"@@agentfor {a}\n{Header}\n eth0       52:54:00:00:00:a1    ipv4         10.0.0.1/24\n\n@@end\n";

        List<KvmGuest> parsed = GuestInventoryParser.Parse("h", guests + agents, null);
        Assert.Equal(new[] { "10.0.0.1" }, parsed.Single(g => g.Name == "a1").IPAddresses);
        Assert.Equal(new[] { "10.0.0.2" }, parsed.Single(g => g.Name == "b1").IPAddresses);

        // The agents' virsh timed out: the block is there, empty, and the guests are all still read.
        List<KvmGuest> timedOut = GuestInventoryParser.Parse("h", guests + "@@agents\n@@end\n", null);
        Assert.Equal(2, timedOut.Count);
        Assert.All(timedOut, g => Assert.Empty(g.IPAddresses));
    }

    [Fact]
    public void UnparsableXmlSkipsOnlyThatGuest()
    {
        const string bad = "7a7a7a7a-0000-4000-8000-0000000000b1";
        const string good = "7a7a7a7a-0000-4000-8000-0000000000b2";
        string broken = $"@@guest {bad}\n@@info\nState:          running\n\n@@xml\n<domain type='kvm'>\n  <name>broken\n</domain>\n\n@@blk\n\n";
        List<KvmGuest> guests = GuestInventoryParser.Parse("h", broken + One(good, "fine", "shut off", id: "-") + "@@end\n", null);

        Assert.Equal("fine", Assert.Single(guests).Name);
    }

    [Fact]
    public void NoGuestsAtAllIsAnEmptyList()
    {
        Assert.Empty(GuestInventoryParser.Parse("h", "@@end\n", null));
        Assert.Empty(GuestInventoryParser.Parse("h", "", null));
    }

    [Fact]
    public void GuestUndefinedMeanwhileDoesNotHideTheNextGuest()
    {
        List<KvmGuest> guests = GuestInventoryParser.Parse("kvm3", GuestFixtures.Text("inventory-undefined-between.txt"), null);

        Assert.Equal(new[] { "g1 & co", "web01" }, guests.Select(g => g.Name));
    }

    [Fact]
    public void SecondAddressOfAnAdapterIsKept()
    {
        const string uuid = "7a7a7a7a-0000-4000-8000-0000000000cc";
        string text = One(uuid, "v6", "running", Nic("52:54:00:2b:0d:c4"),
            lease: " vnet0      52:54:00:2b:0d:c4    ipv4         192.168.122.45/24\n -          -                    ipv6         fd00:122::45/64",
            arp: "") + "@@end\n";
        KvmGuest guest = Assert.Single(GuestInventoryParser.Parse("h", text, null));

        Assert.Equal(new[] { "192.168.122.45", "fd00:122::45" }, guest.NetworkAdapters[0].IPAddresses);
    }
}
