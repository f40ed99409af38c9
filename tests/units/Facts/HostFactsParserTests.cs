using KvmPS.Facts;
using Xunit;

namespace KvmPS.Tests.Facts;

/// <summary>The probe's raw sections, as hosts of each kind print them, turned into facts.</summary>
public sealed class HostFactsParserTests
{
    private const string Rhel9 = @"
@@uid
0
@@hostname
kvm1.example.com
@@kernel
5.14.0-427.13.1.el9_4.x86_64
@@arch
x86_64
@@os-release
NAME=""Red Hat Enterprise Linux""
VERSION=""9.4 (Plow)""
ID=""rhel""
ID_LIKE=""fedora""
VERSION_ID=""9.4""
@@redhat-release
Red Hat Enterprise Linux release 9.4 (Plow)
@@cpuinfo
vendor_id	: GenuineIntel
model name	: Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz
flags		: fpu vme de pse tsc msr pae mce cx8 apic vmx ssse3 x2apic
processors	: 64
@@meminfo
MemTotal:       263846736 kB
MemFree:        200000000 kB
MemAvailable:   250000000 kB
@@modules
kvm
kvm_intel
tun
vhost_net
@@dev-kvm
crw-rw-rw-. 1 0 36 10, 232 Nov 18 02:02 /dev/kvm
@@pid1
systemd
@@paths
/run/systemd/system
/etc/sysconfig/network-scripts
/usr/sbin/NetworkManager
/run/libvirt/virtqemud-sock
/run/libvirt/libvirt-sock
/usr/sbin/virtqemud
/sys/fs/selinux
/sys/fs/cgroup/cgroup.controllers
@@commands
dnf
yum
virsh
nmcli
systemctl
getenforce
@@daemons
virtqemud
virtlogd
NetworkManager
@@selinux
Enforcing
@@libvirt-version
10.0.0
@@qemu-version
QEMU emulator version 8.2.0 (qemu-kvm-8.2.0-11.el9_4)
@@guests-all
web1
web2
db1
@@guests-running
web1
web2
@@end
";

    private const string Rhel56 = @"
@@uid
0
@@hostname
legacy
@@kernel
2.6.18-238.el5
@@arch
x86_64
@@os-release
@@redhat-release
Red Hat Enterprise Linux Server release 5.6 (Tikanga)
@@cpuinfo
vendor_id	: AuthenticAMD
model name	: AMD Opteron(tm) Processor 6174
flags		: fpu vme de pse svm lahf_lm
processors	: 24
@@meminfo
MemTotal:       66000000 kB
MemFree:        30000000 kB
@@modules
kvm
kvm_amd
@@dev-kvm
crw-rw---- 1 0 36 10, 232 Jan  1 2011 /dev/kvm
@@pid1
init
@@paths
/etc/init.d
/etc/rc.d/init.d
/sbin/chkconfig
/sbin/service
/etc/sysconfig/network-scripts
/var/run/libvirt/libvirt-sock
/usr/sbin/libvirtd
@@commands
yum
virsh
@@daemons
libvirtd
@@selinux
Permissive
@@libvirt-version
0.8.2
@@qemu-version
QEMU PC emulator version 0.9.1 (kvm-83-224.el5), Copyright (c) 2003-2008 Fabrice Bellard
@@guests-all
@@guests-running
@@end
";

    private const string LabHost = @"
@@uid
1000
@@hostname
kvm2
@@kernel
6.18.44-fc-v595
@@arch
x86_64
@@os-release
PRETTY_NAME=""Debian GNU/Linux 12 (bookworm)""
NAME=""Debian GNU/Linux""
VERSION_ID=""12""
ID=debian
@@redhat-release
@@cpuinfo
vendor_id	: GenuineIntel
model name	: Intel(R) Xeon(R) Processor @ 2.50GHz
flags		: fpu vme hypervisor lahf_lm
processors	: 2
@@meminfo
MemTotal:       24684096 kB
MemAvailable:   24000000 kB
@@modules
kvm
kvm_pvm
@@dev-kvm
crw-rw---- 1 0 107 10, 232 Nov 18 02:02 /dev/kvm
@@pid1
process_api
@@paths
/etc/init.d
/etc/network/interfaces
/usr/sbin/libvirtd
@@commands
apt-get
virsh
@@daemons
virtlogd
@@selinux
@@libvirt-version
9.0.0
@@qemu-version
QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18)
@@guests-all
@@guests-running
@@end
";

    [Fact]
    public void Rhel9WithModularDaemonsAndNetworkManager()
    {
        KvmHostInfo info = HostFactsParser.Parse("kvm1", Rhel9).Info;

        Assert.Equal("kvm1", info.ComputerName);
        Assert.Equal("kvm1.example.com", info.HostName);
        Assert.Equal("rhel", info.OSId);
        Assert.Equal("RedHat", info.OSFamily);
        Assert.Equal("9.4", info.OSVersion);
        Assert.Equal(9, info.OSMajorVersion);
        Assert.Equal("vmx", info.VirtualizationFlag);
        Assert.False(info.IsVirtualMachine);
        Assert.Equal(64, info.LogicalProcessorCount);
        Assert.Equal(263846736L * 1024, info.MemoryTotalBytes);
        Assert.Equal(250000000L * 1024, info.MemoryAvailableBytes);
        Assert.Equal(new[] { "kvm", "kvm_intel" }, info.KvmModules);
        Assert.True(info.KvmDevicePresent);
        Assert.Equal("crw-rw-rw-. 0:36", info.KvmDevicePermissions);
        Assert.Equal("Systemd", info.InitSystem);
        Assert.Equal("NetworkManager", info.NetworkBackend);
        Assert.Equal("dnf", info.PackageManager);
        Assert.Equal("Enforcing", info.SELinux);
        Assert.Equal("10.0.0", info.LibvirtVersion);
        Assert.Equal("8.2.0", info.QemuVersion);
        Assert.Equal("Modular", info.LibvirtDaemon);
        Assert.Equal(3, info.GuestCount);
        Assert.Equal(2, info.RunningGuestCount);
        Assert.True(info.IsElevated);
    }

    [Fact]
    public void Rhel56FromRedhatReleaseWithSysVAndNetworkScripts()
    {
        KvmHostInfo info = HostFactsParser.Parse("legacy", Rhel56).Info;

        Assert.Equal("rhel", info.OSId);
        Assert.Equal("Red Hat Enterprise Linux Server", info.OSName);
        Assert.Equal("5.6", info.OSVersion);
        Assert.Equal(5, info.OSMajorVersion);
        Assert.Equal("RedHat", info.OSFamily);
        Assert.Equal("svm", info.VirtualizationFlag);
        Assert.Equal("AuthenticAMD", info.CpuVendor);
        Assert.Equal(30000000L * 1024, info.MemoryAvailableBytes); // no MemAvailable before 3.14: MemFree
        Assert.Equal("SysV", info.InitSystem);
        Assert.Equal("NetworkScripts", info.NetworkBackend);
        Assert.Equal("yum", info.PackageManager);
        Assert.Equal("Monolithic", info.LibvirtDaemon);
        Assert.Equal("0.9.1", info.QemuVersion);
        Assert.Equal(0, info.GuestCount);
    }

    [Fact]
    public void LabHostWithoutInitSystemAndKvmPvm()
    {
        KvmHostInfo info = HostFactsParser.Parse("198.18.0.12", LabHost).Info;

        Assert.Equal("debian", info.OSId);
        Assert.Equal("Debian", info.OSFamily);
        Assert.Equal("", info.VirtualizationFlag);
        Assert.True(info.IsVirtualMachine);
        Assert.Equal(new[] { "kvm", "kvm_pvm" }, info.KvmModules);
        Assert.Equal("None", info.InitSystem);
        Assert.Equal("Ifupdown", info.NetworkBackend);
        Assert.Equal("apt-get", info.PackageManager);
        Assert.Equal("NotInstalled", info.SELinux);
        Assert.Equal("NotRunning", info.LibvirtDaemon);
        Assert.Equal(-1, info.GuestCount);
        Assert.False(info.IsElevated);
    }

    [Fact]
    public void NothingInstalled()
    {
        KvmHostInfo info = HostFactsParser.Parse("bare", "@@uid\n0\n@@os-release\nID=fedora\nVERSION_ID=40\n@@end\n").Info;

        Assert.Equal("NotInstalled", info.LibvirtDaemon);
        Assert.Equal("RedHat", info.OSFamily);
        Assert.Equal(40, info.OSMajorVersion);
        Assert.False(info.KvmDevicePresent);
        Assert.Equal(-1, info.GuestCount);
    }
}
