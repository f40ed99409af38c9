using System;
using KvmPS.Guests;
using Xunit;

namespace KvmPS.Tests.Guests;

/// <summary>Guest names, MAC addresses and host paths New-KvmGuest accepts.</summary>
public sealed class GuestNamesTests
{
    [Theory]
    [InlineData("web01")]
    [InlineData("a")]
    [InlineData("9")]
    [InlineData("Web-01.prod_eu")]
    [InlineData("db.example.com")]
    [InlineData("x-")]
    [InlineData("x.")]
    public void PortableNamesAreAccepted(string name)
    {
        GuestNames.Validate(name);
    }

    [Fact]
    public void SixtyFourCharactersAreAcceptedAndSixtyFiveAreNot()
    {
        GuestNames.Validate(new string('a', 64));
        Assert.Throws<ArgumentException>(() => GuestNames.Validate(new string('a', 65)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-web")]
    [InlineData(".web")]
    [InlineData("_web")]
    [InlineData("web 01")]
    [InlineData("web'01")]
    [InlineData("web\"01")]
    [InlineData("web;reboot")]
    [InlineData("web$(id)")]
    [InlineData("web`id`")]
    [InlineData("web/01")]
    [InlineData("web\\01")]
    [InlineData("web<01>")]
    [InlineData("web&co")]
    [InlineData("web\n01")]
    [InlineData("\nweb")]
    [InlineData("web\r01")]
    [InlineData("web\t01")]
    [InlineData("web\u000001")]
    [InlineData("wéb")]
    [InlineData("ѡeb")]
    [InlineData("web\u200b")]
    [InlineData("ｗｅｂ")]
    [InlineData("web*")]
    public void UnsafeNamesAreRefused(string name)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => GuestNames.Validate(name));

        Assert.Contains("not a valid guest name", e.Message);
        Assert.False(e.Message.Contains('\n'), "the message stays on one line");
        Assert.False(e.Message.Contains('\0'), "the message has no NUL");
    }

    [Fact]
    public void NullNameIsRefused()
    {
        Assert.Throws<ArgumentException>(() => GuestNames.Validate(null!));
    }

    [Fact]
    public void TrailingNewlineIsRefused()
    {
        Assert.Throws<ArgumentException>(() => GuestNames.Validate("web01\n"));
        Assert.Throws<ArgumentException>(() => GuestNames.Validate(new string('a', 64) + "\n"));
        Assert.Throws<ArgumentException>(() => GuestNames.MacAddress("52:54:00:12:34:56\n"));
    }

    [Theory]
    [InlineData("52:54:00:12:34:56", "52:54:00:12:34:56")]
    [InlineData("52:54:00:AB:CD:EF", "52:54:00:ab:cd:ef")]
    [InlineData("52-54-00-ab-cd-ef", "52:54:00:ab:cd:ef")]
    [InlineData("52-54-00:AB:cd-EF", "52:54:00:ab:cd:ef")]
    [InlineData("02:00:00:00:00:01", "02:00:00:00:00:01")]
    [InlineData("fe:ff:ff:ff:ff:ff", "fe:ff:ff:ff:ff:ff")]
    [InlineData("00:00:00:00:00:00", "00:00:00:00:00:00")]
    public void MacAddressesAreNormalizedToLowerCaseColons(string given, string expected)
    {
        Assert.Equal(expected, GuestNames.MacAddress(given));
    }

    [Theory]
    [InlineData("01:00:5e:00:00:01")]
    [InlineData("33:33:00:00:00:01")]
    [InlineData("ff:ff:ff:ff:ff:ff")]
    [InlineData("53:54:00:12:34:56")]
    [InlineData("03-00-00-00-00-00")]
    public void MulticastMacAddressesAreRefused(string mac)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => GuestNames.MacAddress(mac));

        Assert.Contains("multicast", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("52:54:00:12:34")]
    [InlineData("52:54:00:12:34:56:78")]
    [InlineData("525400123456")]
    [InlineData("52.54.00.12.34.56")]
    [InlineData("52:54:00:12:34:5g")]
    [InlineData("52:54:00:12:34:566")]
    [InlineData("5:54:00:12:34:56")]
    [InlineData(" 52:54:00:12:34:56")]
    [InlineData("52:54:00:12:34:56 ")]
    [InlineData("52:54:00:12:34:56;reboot")]
    [InlineData("52:54:00:12:34:56\n52:54:00:12:34:57")]
    [InlineData("５2:54:00:12:34:56")]
    [InlineData("garbage")]
    public void MalformedMacAddressesAreRefused(string mac)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => GuestNames.MacAddress(mac));

        Assert.Contains("is not a MAC address", e.Message);
    }

    [Fact]
    public void NullMacAddressIsRefused()
    {
        Assert.Throws<ArgumentException>(() => GuestNames.MacAddress(null!));
    }

    [Theory]
    [InlineData("/var/lib/libvirt/images/base.qcow2")]
    [InlineData("/srv/iso/Debian 12 (netinst).iso")]
    [InlineData("/srv/it's \"quoted\" & <odd>$(id).img")]
    [InlineData("/")]
    public void AbsoluteOneLinePathsAreAccepted(string path)
    {
        GuestNames.ValidateHostPath(path, "BaseImage");
    }

    [Theory]
    [InlineData("")]
    [InlineData("base.qcow2")]
    [InlineData("./base.qcow2")]
    [InlineData("../images/base.qcow2")]
    [InlineData("~/base.qcow2")]
    [InlineData("C:\\images\\base.qcow2")]
    [InlineData(" /var/lib/libvirt/images/base.qcow2")]
    [InlineData("/var/lib/libvirt/images/base.qcow2\n")]
    [InlineData("/var/lib/libvirt/images/a\nb.qcow2")]
    [InlineData("/var/lib/libvirt/images/a\rb.qcow2")]
    [InlineData("/var/lib/libvirt/images/a\u0000b.qcow2")]
    [InlineData("/var/lib/libvirt/images/a\u0001b.qcow2")]
    [InlineData("/var/lib/libvirt/images/a\u001bb.qcow2")]
    [InlineData("/var/lib/libvirt/images/a\u007fb.qcow2")]
    public void RelativeMultiLineOrControlCharacterPathsAreRefused(string path)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => GuestNames.ValidateHostPath(path, "BaseImage"));

        Assert.StartsWith("-BaseImage ", e.Message);
        Assert.Contains("absolute path on the host", e.Message);
        Assert.False(e.Message.Contains('\n') || e.Message.Contains('\0'), "the message shows line breaks and NUL escaped");
    }

    [Theory]
    [InlineData("console=ttyS0 root=/dev/vda1 quiet")]
    [InlineData("init=/bin/sh -- x='$(id)' \"<a&b>\" ; | `id`")]
    [InlineData("")]
    public void OneLineKernelArgumentsAreAccepted(string arguments)
    {
        GuestNames.ValidateKernelArguments(arguments);
    }

    [Theory]
    [InlineData("console=ttyS0\ninit=/bin/sh")]
    [InlineData("quiet\u0000")]
    [InlineData("a\rb")]
    [InlineData("a\u0007b")]
    public void KernelArgumentsWithControlCharactersAreRefused(string arguments)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => GuestNames.ValidateKernelArguments(arguments));

        Assert.StartsWith("-KernelArguments ", e.Message);
        Assert.False(e.Message.Contains('\n') || e.Message.Contains('\0'), "the message shows line breaks and NUL escaped");
    }

    [Theory]
    [InlineData("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOuBpSO3dTHJCSC3Uv6ra5gGz0E7Fc1ocUzgQfIWRBn1 admin@desk")]
    [InlineData("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 ops: laptop # work")]
    [InlineData("ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY=")]
    [InlineData("sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29t ops")]
    [InlineData("from=\"10.0.0.0/8\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOuBpSO3dTHJCSC3Uv6ra5gGz0E7 ops")]
    public void OpenSshPublicKeyLinesAreAccepted(string key)
    {
        GuestNames.ValidateSshPublicKey(key);
    }

    [Theory]
    [InlineData("")]
    [InlineData("--help")]
    [InlineData("AAAAC3NzaC1lZDI1NTE5AAAAIOuBpSO3dTHJCSC3Uv6ra5gGz0E7")]
    [InlineData("ssh-ed25519")]
    [InlineData("ssh-ed25519 AAAAC3Nza ops\nssh-ed25519 AAAAC3Nzb intruder")]
    [InlineData("ssh-ed25519 AAAAC3Nza ops\u0000")]
    [InlineData("$(touch /tmp/x)")]
    public void AnythingElseAsSshPublicKeyIsRefused(string key)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => GuestNames.ValidateSshPublicKey(key));

        Assert.StartsWith("-SshPublicKey ", e.Message);
        Assert.False(e.Message.Contains('\n') || e.Message.Contains('\0'), "the message shows line breaks and NUL escaped");
    }

    [Fact]
    public void NullPathIsRefused()
    {
        Assert.Throws<ArgumentException>(() => GuestNames.ValidateHostPath(null!, "IsoPath"));
    }
}
