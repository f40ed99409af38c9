using System;
using System.Linq;
using KvmPS;
using KvmPS.Migration;
using Xunit;

namespace KvmPS.Tests.Migration;

/// <summary>What the destination must have for a guest, read from its migratable definition.</summary>
public sealed class MigrationDefinitionTests
{
    internal static string Xml(string cpu = "<cpu mode='custom' match='exact'><model fallback='forbid'>EPYC</model></cpu>", string diskCache = "none") => $@"
<domain type='kvm'>
  <name>web 1</name>
  <uuid>6f3c2a3e-98c4-4a53-9f0b-3f0e0d9f1a11</uuid>
  <memory unit='KiB'>2097152</memory>
  <os>
    <type arch='x86_64' machine='pc-q35-rhel9.2.0'>hvm</type>
    <loader readonly='yes' secure='yes' type='pflash'>/usr/share/edk2/ovmf/OVMF_CODE.secboot.fd</loader>
    <nvram template='/usr/share/edk2/ovmf/OVMF_VARS.secboot.fd'>/var/lib/libvirt/qemu/nvram/web1_VARS.fd</nvram>
  </os>
  {cpu}
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' cache='{diskCache}'/>
      <source file='/var/lib/libvirt/images/web 1.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source file='/srv/iso/rhel9.iso'/>
      <target dev='sda' bus='sata'/>
      <readonly/>
    </disk>
    <disk type='file' device='cdrom'><target dev='sdb' bus='sata'/><readonly/></disk>
    <interface type='network'><source network='default'/><model type='virtio'/></interface>
    <interface type='bridge'><source bridge='br0'/><model type='virtio'/></interface>
    <interface type='network'><source network='default'/><model type='virtio'/></interface>
  </devices>
</domain>";

    [Fact]
    public void ReadsWhatTheDestinationMustProvide()
    {
        MigrationDefinition d = MigrationDefinition.Parse(Xml());

        Assert.Equal(("web 1", "kvm", "x86_64", "pc-q35-rhel9.2.0"), (d.Name, d.VirtType, d.Arch, d.Machine));
        Assert.Equal(Guid.Parse("6f3c2a3e-98c4-4a53-9f0b-3f0e0d9f1a11"), d.Uuid);
        Assert.Equal(2097152, d.MemoryKiB);
        Assert.Equal("custom", d.CpuMode);
        Assert.StartsWith("<cpu mode=\"custom\"", d.CpuXml, StringComparison.Ordinal);
        Assert.Equal(new[] { "/usr/share/edk2/ovmf/OVMF_CODE.secboot.fd", "/usr/share/edk2/ovmf/OVMF_VARS.secboot.fd" }, d.FirmwareFiles);
        Assert.Equal(new[] { "default" }, d.Networks);
        Assert.Equal(new[] { "br0" }, d.Bridges);
        Assert.Equal(2, d.Disks.Count);
        Assert.Equal(("vda", "/var/lib/libvirt/images/web 1.qcow2", "none", false), (d.Disks[0].Target, d.Disks[0].Path, d.Disks[0].Cache, d.Disks[0].ReadOnly));
        Assert.True(d.Disks[1].ReadOnly);
    }

    [Fact]
    public void AGuestWithoutCpuElementHasNothingToCompare()
    {
        MigrationDefinition d = MigrationDefinition.Parse(Xml(cpu: ""));

        Assert.Equal("", d.CpuXml);
        Assert.Equal("", d.CpuMode);
    }

    [Fact]
    public void BrokenXmlIsAClearError()
    {
        KvmException e = Assert.Throws<KvmException>(() => MigrationDefinition.Parse("<domain><name>x</domain>"));

        Assert.Equal("GuestDefinitionUnreadable", e.ErrorId);
    }
}
