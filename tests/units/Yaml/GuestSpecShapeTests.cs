using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using KvmPS.Guests;
using Xunit;

namespace KvmPS.Tests.Yaml;

/// <summary>Valid specs of every shape, and what each key becomes.</summary>
public class GuestSpecShapeTests
{
    private const string Key1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOuBpSO3dTHJCSC3Uv6ra5gGz0E7Fc1ocUzgQfIWRBn1 admin@desk";
    private const string Key2 = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 ops # laptop";

    [Fact]
    public void AGuestsListWithDefaultsSetsEveryKey()
    {
        var guests = Spec.Read(Spec.Lines(
            "# lab guests",
            "defaults:",
            "  computerName: kvm1.lab",
            "  memoryBytes: 2GB",
            "  processorCount: 2",
            "  network: default",
            "  cloudInit:",
            "    user: admin",
            "    sshPublicKey: " + Key1,
            "guests:",
            "  - name: web1",
            "    memoryBytes: 4GB",
            "    cpuMode: host-passthrough",
            "    diskSizeBytes: 40GiB",
            "    baseImage: /var/lib/libvirt/images/debian-12.qcow2",
            "    fullClone: true",
            "    dataDiskSizeBytes: [10GB, 512MB]",
            "    storagePool: fast",
            "    network: [default, isolated]",
            "    bridge: br0",
            "    macAddress: [52:54:00:AB:CD:01, '52:54:00:ab:cd:02']",
            "    firmware: uefi",
            "    secureBoot: true",
            "    tpm: TRUE",
            "    osVariant: debian12",
            "    graphics: spice",
            "    start: true",
            "    wait: True",
            "    waitForIPAddress: true",
            "    autostart: false",
            "  - name: db1",
            "    computerName: kvm2.lab",
            "    importDisk: /srv/db1.qcow2",
            "    graphics: NONE",
            "    firmware: BIOS",
            "  - name: pxe1",
            "    isoPath: /srv/iso/debian.iso",
            "    kernelPath: /srv/vmlinuz",
            "    initrdPath: /srv/initrd.gz",
            "    kernelArguments: console=ttyS0 auto=true priority=critical",
            "    cloudInit: null"));

        Assert.Equal(new[] { "web1", "db1", "pxe1" }, guests.Select(g => g.Name));
        GuestRequest web = guests[0];
        Assert.Equal("kvm1.lab", web.ComputerName);
        Assert.Equal(4L << 30, web.MemoryBytes);
        Assert.Equal(2, web.ProcessorCount);
        Assert.Equal("host-passthrough", web.CpuMode);
        Assert.Equal(40L << 30, web.DiskSizeBytes);
        Assert.Equal("/var/lib/libvirt/images/debian-12.qcow2", web.BaseImage);
        Assert.True(web.FullClone);
        Assert.Equal(new[] { 10L << 30, 512L << 20 }, web.DataDiskSizeBytes);
        Assert.Equal("fast", web.StoragePool);
        Assert.Equal(new[] { "default", "isolated" }, web.Network);
        Assert.Equal(new[] { "br0" }, web.Bridge);
        Assert.Equal(new[] { "52:54:00:ab:cd:01", "52:54:00:ab:cd:02" }, web.MacAddress);
        Assert.Equal("Uefi", web.Firmware);
        Assert.True(web.SecureBoot);
        Assert.True(web.Tpm);
        Assert.Equal("debian12", web.OSVariant);
        Assert.Equal("Spice", web.Graphics);
        Assert.True(web.Start);
        Assert.True(web.Wait);
        Assert.True(web.WaitForIPAddress);
        Assert.False(web.Autostart);
        Assert.NotNull(web.CloudInit);
        Assert.Equal("admin", web.CloudInit!.User);
        Assert.Equal(new[] { Key1 }, web.CloudInit.SshPublicKeys);
        Assert.Null(web.CloudInit.PasswordHash);
        Assert.Equal("guests.yaml:11:5", web.Origin);

        GuestRequest db = guests[1];
        Assert.Equal("kvm2.lab", db.ComputerName);
        Assert.Equal(2L << 30, db.MemoryBytes);
        Assert.Equal("/srv/db1.qcow2", db.ImportDisk);
        Assert.Equal("None", db.Graphics);
        Assert.Equal("Bios", db.Firmware);
        Assert.Equal(new[] { "default" }, db.Network);
        Assert.Empty(db.DataDiskSizeBytes);
        Assert.False(db.Start);
        Assert.Equal("admin", db.CloudInit!.User);
        Assert.Equal("guests.yaml:31:5", db.Origin);

        GuestRequest pxe = guests[2];
        Assert.Equal("/srv/iso/debian.iso", pxe.IsoPath);
        Assert.Equal("/srv/vmlinuz", pxe.KernelPath);
        Assert.Equal("/srv/initrd.gz", pxe.InitrdPath);
        Assert.Equal("console=ttyS0 auto=true priority=critical", pxe.KernelArguments);
        Assert.Null(pxe.CloudInit);
        Assert.Equal("guests.yaml:36:5", pxe.Origin);
    }

    [Fact]
    public void ATopLevelListOfGuestsIsRead()
    {
        var guests = Spec.Read(Spec.Lines(
            "- name: a",
            "  memoryBytes: 1GB",
            "- {name: b, processorCount: 4}"));

        Assert.Equal(2, guests.Count);
        Assert.Equal(1L << 30, guests[0].MemoryBytes);
        Assert.Null(guests[0].ProcessorCount);
        Assert.Equal("guests.yaml:1:3", guests[0].Origin);
        Assert.Equal("b", guests[1].Name);
        Assert.Equal(4, guests[1].ProcessorCount);
        Assert.Equal("guests.yaml:3:3", guests[1].Origin);
    }

    [Fact]
    public void ASingleGuestMappingIsRead()
    {
        GuestRequest guest = Spec.One(Spec.Lines(
            "---",
            "name: solo",
            "memoryBytes: 8GB",
            "..."));

        Assert.Equal("solo", guest.Name);
        Assert.Equal(8L << 30, guest.MemoryBytes);
        Assert.Equal("guests.yaml:2:1", guest.Origin);
        Assert.Null(guest.CloudInit);
        Assert.Empty(guest.Network);
    }

    [Fact]
    public void AGuestsListWithoutDefaultsIsRead()
    {
        var guests = Spec.Read("guests:\n- name: a\n- name: b\n");
        Assert.Equal(new[] { "a", "b" }, guests.Select(g => g.Name));
    }

    [Fact]
    public void KeysIgnoreCase()
    {
        GuestRequest guest = Spec.One(Spec.Lines(
            "NAME: web",
            "MemoryBytes: 1gb",
            "processorcount: 2",
            "OSVARIANT: fedora40",
            "CloudInit:",
            "  USER: ops",
            "  SshPublicKey: " + Key1));

        Assert.Equal("web", guest.Name);
        Assert.Equal(1L << 30, guest.MemoryBytes);
        Assert.Equal(2, guest.ProcessorCount);
        Assert.Equal("fedora40", guest.OSVariant);
        Assert.Equal("ops", guest.CloudInit!.User);
        Assert.Equal(new[] { Key1 }, guest.CloudInit.SshPublicKeys);
    }

    [Fact]
    public void ListsTakeOneValueOrAList()
    {
        GuestRequest single = Spec.One("name: a\nnetwork: default\nbridge: br0\ndataDiskSizeBytes: 1GB\nmacAddress: 52:54:00:00:00:01\n");
        Assert.Equal(new[] { "default" }, single.Network);
        Assert.Equal(new[] { "br0" }, single.Bridge);
        Assert.Equal(new[] { 1L << 30 }, single.DataDiskSizeBytes);
        Assert.Equal(new[] { "52:54:00:00:00:01" }, single.MacAddress);

        GuestRequest block = Spec.One("name: a\nnetwork:\n  - default\n  - lab\nbridge: []\n");
        Assert.Equal(new[] { "default", "lab" }, block.Network);
        Assert.Empty(block.Bridge);
    }

    [Fact]
    public void ScalarsAreTextWhereTextIsExpected()
    {
        // YAML 1.1 would read these as a sexagesimal number, booleans, an octal and a date.
        GuestRequest guest = Spec.One(Spec.Lines(
            "name: 0755",
            "macAddress: 52:54:00:12:34:56",
            "network: [on, no]",
            "computerName: 2024-01-01",
            "osVariant: 1.10",
            "cpuMode: 'host-model'",
            "kernelArguments: \"quiet splash # not a comment\""));

        Assert.Equal("0755", guest.Name);
        Assert.Equal(new[] { "52:54:00:12:34:56" }, guest.MacAddress);
        Assert.Equal(new[] { "on", "no" }, guest.Network);
        Assert.Equal("2024-01-01", guest.ComputerName);
        Assert.Equal("1.10", guest.OSVariant);
        Assert.Equal("host-model", guest.CpuMode);
        Assert.Equal("quiet splash # not a comment", guest.KernelArguments);
    }

    [Fact]
    public void NullOrAbsentMeansTheDefaultAndOverridesDefaults()
    {
        var guests = Spec.Read(Spec.Lines(
            "defaults:",
            "  memoryBytes: 2GB",
            "  baseImage: base.qcow2",
            "  network: [default]",
            "  start: true",
            "  firmware: Uefi",
            "guests:",
            "  - name: a",
            "  - name: b",
            "    memoryBytes: ~",
            "    baseImage: null",
            "    network:",
            "    start:",
            "    firmware: NULL"));

        Assert.Equal(2L << 30, guests[0].MemoryBytes);
        Assert.Equal("base.qcow2", guests[0].BaseImage);
        Assert.Equal(new[] { "default" }, guests[0].Network);
        Assert.True(guests[0].Start);
        Assert.Equal("Uefi", guests[0].Firmware);

        Assert.Null(guests[1].MemoryBytes);
        Assert.Null(guests[1].BaseImage);
        Assert.Empty(guests[1].Network);
        Assert.False(guests[1].Start);
        Assert.Null(guests[1].Firmware);
    }

    [Fact]
    public void DefaultsAreMergedUnderEachGuestCloudInitKeyByKey()
    {
        var guests = Spec.Read(Spec.Lines(
            "defaults:",
            "  network: [default, lab]",
            "  cloudInit:",
            "    user: admin",
            "    sshPublicKey: [" + "'" + Key1 + "'" + "]",
            "guests:",
            "  - name: a",
            "    network: other",
            "    cloudInit:",
            "      user: ops",
            "  - name: b",
            "    cloudInit:",
            "      sshPublicKey: '" + Key2 + "'"));

        Assert.Equal(new[] { "other" }, guests[0].Network);
        Assert.Equal("ops", guests[0].CloudInit!.User);
        Assert.Equal(new[] { Key1 }, guests[0].CloudInit!.SshPublicKeys);
        Assert.Equal(new[] { "default", "lab" }, guests[1].Network);
        Assert.Equal("admin", guests[1].CloudInit!.User);
        Assert.Equal(new[] { Key2 }, guests[1].CloudInit!.SshPublicKeys);

        // Each guest gets its own objects.
        Assert.NotSame(guests[0].CloudInit, guests[1].CloudInit);
        Assert.NotSame(guests[0].Network, guests[1].Network);
    }

    [Fact]
    public void AGuestsUserDataReplacesTheGeneratedSettingsFromDefaultsAndTheOtherWayRound()
    {
        using var dir = new SpecDirectory();
        dir.Write("custom.yaml", "#cloud-config\nruncmd: [touch, /x]\n");
        dir.Write("base.yaml", "#cloud-config\n");
        var guests = Spec.Read(Spec.Lines(
            "defaults:",
            "  cloudInit:",
            "    user: admin",
            "    password: s3cret",
            "guests:",
            "  - name: a",
            "    cloudInit:",
            "      userData: custom.yaml",
            "  - name: b",
            "    cloudInit: {networkConfig: base.yaml}"), dir.Path);

        CloudInitRequest a = guests[0].CloudInit!;
        Assert.Equal("#cloud-config\nruncmd: [touch, /x]\n", a.UserData);
        Assert.Null(a.User);
        Assert.Null(a.PasswordHash);
        Assert.Empty(a.SshPublicKeys);

        CloudInitRequest b = guests[1].CloudInit!;
        Assert.Equal("admin", b.User);
        Assert.StartsWith("$6$", b.PasswordHash);
        Assert.Equal("#cloud-config\n", b.NetworkConfig);

        var reverse = Spec.Read(Spec.Lines(
            "defaults:",
            "  cloudInit: {userData: custom.yaml}",
            "guests:",
            "  - name: c",
            "    cloudInit: {user: ops}",
            "  - name: d"), dir.Path);
        Assert.Null(reverse[0].CloudInit!.UserData);
        Assert.Equal("ops", reverse[0].CloudInit!.User);
        Assert.Equal("#cloud-config\nruncmd: [touch, /x]\n", reverse[1].CloudInit!.UserData);

        // A key set to null clears only itself: no conflict, nothing else replaced.
        var nulls = Spec.Read(Spec.Lines(
            "defaults:",
            "  cloudInit: {userData: custom.yaml, networkConfig: base.yaml}",
            "guests:",
            "  - name: e",
            "    cloudInit: {userData: null, user: ops}",
            "  - name: f",
            "    cloudInit: {user: null}"), dir.Path);
        Assert.Null(nulls[0].CloudInit!.UserData);
        Assert.Equal("ops", nulls[0].CloudInit!.User);
        Assert.Equal("#cloud-config\n", nulls[0].CloudInit!.NetworkConfig);
        Assert.Equal("#cloud-config\nruncmd: [touch, /x]\n", nulls[1].CloudInit!.UserData);
        Assert.Null(nulls[1].CloudInit!.User);
    }

    [Fact]
    public void UserDataAndNetworkConfigAreReadRelativeToTheBaseDirectory()
    {
        using var dir = new SpecDirectory();
        dir.Write("seed/user-data.yaml", "#cloud-config\npackages: [htop]\n");
        string network = dir.Write("net.yaml", "version: 2\nethernets: {}\n");
        string absolute = dir.Write("abs/other-net.yaml", "network: {version: 1}\n");
        string specDir = Path.Combine(dir.Path, "specs");
        Directory.CreateDirectory(specDir);

        var guests = Spec.Read(Spec.Lines(
            "- name: a",
            "  cloudInit:",
            "    userData: ../seed/user-data.yaml",
            "    networkConfig: ../net.yaml",
            "- name: b",
            "  cloudInit:",
            "    networkConfig: '" + absolute + "'"), specDir);

        Assert.Equal("#cloud-config\npackages: [htop]\n", guests[0].CloudInit!.UserData);
        Assert.Equal(File.ReadAllText(network), guests[0].CloudInit!.NetworkConfig);
        Assert.Equal("network: {version: 1}\n", guests[1].CloudInit!.NetworkConfig);
        Assert.Null(guests[1].CloudInit!.UserData);
    }

    [Fact]
    public void APlainPasswordBecomesASha512CryptHash()
    {
        GuestRequest guest = Spec.One(Spec.Lines(
            "name: a",
            "cloudInit:",
            "  user: admin",
            "  password: 'correct horse battery staple'"));

        string hash = guest.CloudInit!.PasswordHash!;
        Assert.Matches(@"^\$6\$[a-zA-Z0-9./]{16}\$[a-zA-Z0-9./]{86}$", hash);
        string salt = hash.Split('$')[2];
        Assert.Equal(hash, PasswordHash.Sha512Crypt(Encoding.UTF8.GetBytes("correct horse battery staple"), salt));
    }

    [Fact]
    public void APasswordInDefaultsIsHashedWithItsOwnSaltForEachGuest()
    {
        var guests = Spec.Read("defaults: {cloudInit: {password: hunter2}}\nguests: [{name: a}, {name: b}]\n");
        string a = guests[0].CloudInit!.PasswordHash!;
        string b = guests[1].CloudInit!.PasswordHash!;
        Assert.NotEqual(a, b);
        Assert.Equal(a, PasswordHash.Sha512Crypt(Encoding.UTF8.GetBytes("hunter2"), a.Split('$')[2]));
        Assert.Equal(b, PasswordHash.Sha512Crypt(Encoding.UTF8.GetBytes("hunter2"), b.Split('$')[2]));
    }

    [Fact]
    public void APasswordHashIsTakenAsItIs()
    {
        const string hash = "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1";
        GuestRequest guest = Spec.One("name: a\ncloudInit:\n  passwordHash: '" + hash + "'\n");
        Assert.Equal(hash, guest.CloudInit!.PasswordHash);
    }

    [Fact]
    public void SshPublicKeysTakeOneKeyOrAList()
    {
        GuestRequest one = Spec.One("name: a\ncloudInit: {sshPublicKey: '" + Key2 + "'}\n");
        Assert.Equal(new[] { Key2 }, one.CloudInit!.SshPublicKeys);

        GuestRequest two = Spec.One("name: a\ncloudInit:\n  sshPublicKey:\n    - " + Key1 + "\n    - '" + Key2 + "'\n");
        Assert.Equal(new[] { Key1, Key2 }, two.CloudInit!.SshPublicKeys);
    }

    [Fact]
    public void AnEmptyCloudInitMappingAsksForAGeneratedSeed()
    {
        GuestRequest guest = Spec.One("name: a\ncloudInit: {}\n");
        Assert.NotNull(guest.CloudInit);
        Assert.Null(guest.CloudInit!.User);
    }

    [Fact]
    public void AnchorsAndAliasesShareValues()
    {
        var guests = Spec.Read(Spec.Lines(
            "guests:",
            "  - name: a",
            "    network: &nets [default, lab]",
            "    cloudInit: &ci",
            "      user: admin",
            "  - name: b",
            "    network: *nets",
            "    cloudInit: *ci"));

        Assert.Equal(new[] { "default", "lab" }, guests[1].Network);
        Assert.Equal("admin", guests[1].CloudInit!.User);
        Assert.NotSame(guests[0].CloudInit, guests[1].CloudInit);
    }

    [Fact]
    public void WindowsLineEndingsAndCommentsAreFine()
    {
        GuestRequest guest = Spec.One("# a comment\r\nname: a # trailing\r\nmemoryBytes: 1GB\r\n");
        Assert.Equal("a", guest.Name);
        Assert.Equal(1L << 30, guest.MemoryBytes);
    }

    [Fact]
    public void GuestNamesMayDifferOnlyFromOtherGuests()
    {
        var guests = Spec.Read("- name: web-1\n- name: web-2\n- name: 'web 3 (test)'\n");
        Assert.Equal(new[] { "web-1", "web-2", "web 3 (test)" }, guests.Select(g => g.Name));
    }

    [Fact]
    public void TheEngineIsCreatedTheWayTheModuleLoadsIt()
    {
        // IsolatedDependencies: assembly "KvmPS.Yaml", type "KvmPS.Yaml.YamlEngine", non-public constructor allowed.
        var assembly = typeof(KvmPS.Yaml.YamlEngine).Assembly;
        Assert.Equal("KvmPS.Yaml", assembly.GetName().Name);
        Type type = assembly.GetType("KvmPS.Yaml.YamlEngine", throwOnError: true)!;
        var engine = Assert.IsAssignableFrom<IYamlEngine>(Activator.CreateInstance(type, nonPublic: true));
        Assert.Equal("x", Assert.Single(engine.ReadGuestSpecs("name: x", "s.yaml", ".")).Name);
    }
}
