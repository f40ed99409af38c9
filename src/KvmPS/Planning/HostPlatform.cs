using System;
using System.Collections.Generic;
using System.Linq;
using KvmPS.Facts;
using KvmPS.Transport;

namespace KvmPS.Planning;

internal enum LibvirtLayout
{
    /// <summary>One libvirtd (RHEL 5-8, Debian, Ubuntu, SUSE).</summary>
    Monolithic,

    /// <summary>virtqemud, virtnetworkd, virtstoraged... socket-activated (RHEL 9/10, Fedora 35+).</summary>
    Modular,
}

/// <summary>
/// What a host's distribution and release need to run KVM: the packages, how libvirt's daemons
/// are enabled, which user QEMU runs as. One place for this knowledge, used both by the
/// capability checks (remediation text) and by Install-KvmHost (the commands it runs).
/// </summary>
internal sealed class HostPlatform
{
    private static readonly string[] ModularDrivers = { "qemu", "network", "storage", "nodedev", "secret", "interface", "nwfilter" };

    private HostPlatform(string name, string packageManager, IReadOnlyList<string> packages, LibvirtLayout layout, string qemuUser)
    {
        Name = name;
        PackageManager = packageManager;
        Packages = packages;
        Layout = layout;
        DefaultQemuUser = qemuUser;
    }

    /// <summary>"RHEL 9", "Debian 12"...</summary>
    public string Name { get; }

    /// <summary>dnf, yum, apt-get or zypper; empty when KvmPS knows none on the host.</summary>
    public string PackageManager { get; }

    public bool IsSupported => PackageManager.Length > 0;

    /// <summary>The packages that make a KVM host on this release.</summary>
    public IReadOnlyList<string> Packages { get; }

    public LibvirtLayout Layout { get; }

    /// <summary>The user QEMU runs as when qemu.conf does not say (the distribution's build default).</summary>
    public string DefaultQemuUser { get; }

    public static HostPlatform For(HostFacts facts)
    {
        KvmHostInfo info = facts.Info;
        int major = info.OSMajorVersion;
        string release = info.OSVersion.Length > 0 ? $"{info.OSName} {info.OSVersion}" : info.OSName;
        string qemuX86 = info.Architecture == "aarch64" ? "qemu-system-arm" : "qemu-system-x86";
        switch (info.OSFamily)
        {
            case "RedHat":
                bool fedora = info.OSId == "fedora";
                string manager = facts.Commands.Contains("dnf") ? "dnf" : facts.Commands.Contains("yum") ? "yum" : "";
                if (!fedora && major == 5)
                {
                    // The original guide: kvm and its kernel module package, libvirt, virt-install's predecessor.
                    return new HostPlatform(release, manager, new[] { "kvm", "kmod-kvm", "libvirt", "python-virtinst" }, LibvirtLayout.Monolithic, "root");
                }

                if (!fedora && major == 6)
                {
                    return new HostPlatform(release, manager, new[] { "qemu-kvm", "libvirt", "python-virtinst" }, LibvirtLayout.Monolithic, "qemu");
                }

                bool modular = fedora ? major >= 35 : major >= 9;
                return new HostPlatform(release, manager, new[] { "qemu-kvm", "libvirt", "virt-install" },
                    modular ? LibvirtLayout.Modular : LibvirtLayout.Monolithic, "qemu");
            case "Debian":
                return new HostPlatform(release, facts.Commands.Contains("apt-get") ? "apt-get" : "",
                    // dnsmasq-base is only recommended, and without it the 'default' NAT network cannot start.
                    new[] { qemuX86, "qemu-utils", "libvirt-daemon-system", "libvirt-clients", "virtinst", "dnsmasq-base" }, LibvirtLayout.Monolithic, "libvirt-qemu");
            case "Suse":
                return new HostPlatform(release, facts.Commands.Contains("zypper") ? "zypper" : "",
                    new[] { "qemu-kvm", "libvirt", "virt-install" }, LibvirtLayout.Monolithic, "qemu");
            default:
                return new HostPlatform(release.Length > 0 ? release : "an unknown Linux", "", Array.Empty<string>(), LibvirtLayout.Monolithic, "qemu");
        }
    }

    /// <summary>The packages of <see cref="Packages"/> the host does not have.</summary>
    public IReadOnlyList<string> MissingPackages(HostFacts facts)
        => Packages.Where(p => !facts.Packages.ContainsKey(p)).ToList();

    /// <summary>The user QEMU really runs as: qemu.conf's user, else the build default.</summary>
    public string QemuUser(HostFacts facts)
    {
        string user = facts.QemuConfUser ?? DefaultQemuUser;
        return user == "+0" ? "root" : user.TrimStart('+');
    }

    public IReadOnlyList<RemoteCommand> InstallCommands(IReadOnlyList<string> packages)
    {
        if (packages.Count == 0 || !IsSupported)
        {
            return Array.Empty<RemoteCommand>();
        }

        switch (PackageManager)
        {
            case "apt-get":
                return new[]
                {
                    RemoteCommand.Of("apt-get", "update", "-q"),
                    RemoteCommand.Of(new[] { "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q", "--no-install-recommends" }.Concat(packages).ToArray()),
                };
            case "zypper":
                return new[] { RemoteCommand.Of(new[] { "zypper", "--non-interactive", "install" }.Concat(packages).ToArray()) };
            default:
                return new[] { RemoteCommand.Of(new[] { PackageManager, "install", "-y" }.Concat(packages).ToArray()) };
        }
    }

    /// <summary>The systemd units that make libvirt start at boot and now, for this layout.</summary>
    public IReadOnlyList<string> SystemdUnits()
        => Layout == LibvirtLayout.Modular
            ? ModularDrivers.SelectMany(d => new[] { $"virt{d}d.socket", $"virt{d}d-ro.socket", $"virt{d}d-admin.socket" }).ToList()
            : new[] { "libvirtd.service" };

    /// <summary>Makes libvirt start at boot with the host's init system (nothing where there is none).</summary>
    public IReadOnlyList<RemoteCommand> EnableAtBootCommands(HostFacts facts)
    {
        switch (facts.Info.InitSystem)
        {
            case "Systemd":
                return new[] { RemoteCommand.Of(new[] { "systemctl", "enable" }.Concat(SystemdUnits()).ToArray()) };
            case "SysV":
                return new[] { facts.Commands.Contains("chkconfig") || facts.Paths.Contains("/sbin/chkconfig")
                    ? RemoteCommand.Of("chkconfig", "libvirtd", "on")
                    : RemoteCommand.Of("update-rc.d", "libvirtd", "defaults") };
            case "OpenRC":
                return new[] { RemoteCommand.Of("rc-update", "add", "libvirtd", "default") };
            default:
                return Array.Empty<RemoteCommand>();
        }
    }

    /// <summary>
    /// Enables libvirt at boot and starts what is not running, the way this host's init system does
    /// it. Without an init system the daemons are started directly (they will not come back after a
    /// reboot; callers say so).
    /// </summary>
    public IReadOnlyList<RemoteCommand> EnableDaemonCommands(HostFacts facts)
    {
        bool running = facts.Info.LibvirtDaemon is "Monolithic" or "Modular";
        switch (facts.Info.InitSystem)
        {
            case "Systemd":
                return new[] { RemoteCommand.Of(new[] { "systemctl", "enable", "--now" }.Concat(SystemdUnits()).ToArray()) };
            case "SysV":
                var sysv = new List<RemoteCommand>(EnableAtBootCommands(facts));
                if (!running)
                {
                    sysv.Add(facts.Commands.Contains("service") || facts.Paths.Contains("/sbin/service") || facts.Paths.Contains("/usr/sbin/service")
                        ? RemoteCommand.Of("service", "libvirtd", "start")
                        : RemoteCommand.Of("/etc/init.d/libvirtd", "start"));
                }

                return sysv;
            case "OpenRC":
                var openrc = new List<RemoteCommand>(EnableAtBootCommands(facts));
                if (!running)
                {
                    openrc.Add(RemoteCommand.Of("rc-service", "libvirtd", "start"));
                }

                return openrc;
            default:
                // virtlogd exists from libvirt 1.3 on; older libvirtd logs by itself.
                string[] daemons = Layout == LibvirtLayout.Modular
                    ? new[] { "virtlogd", "virtqemud", "virtnetworkd", "virtstoraged" }
                    : new[] { "virtlogd", "libvirtd" };
                return daemons
                    .Where(d => !facts.Daemons.Contains(d))
                    .Where(d => d != "virtlogd" || facts.Paths.Contains("/usr/sbin/virtlogd"))
                    .Select(d => RemoteCommand.Of(d, "-d"))
                    .ToList();
        }
    }

    /// <summary>Loads the KVM module for the CPU vendor and makes it load at boot where the init system allows.</summary>
    public static IReadOnlyList<RemoteCommand> LoadKvmModuleCommands(string module, string initSystem)
    {
        var commands = new List<RemoteCommand> { RemoteCommand.Of("modprobe", module) };
        if (initSystem == "Systemd")
        {
            commands.Add(RemoteCommand.Of("sh", "-c", "printf '%s\\n' \"$1\" > /etc/modules-load.d/kvm.conf", "sh", module));
        }

        return commands;
    }

    public static string KvmModuleFor(KvmHostInfo info)
        => info.VirtualizationFlag == "vmx" ? "kvm_intel" : info.VirtualizationFlag == "svm" ? "kvm_amd" : "";

    /// <summary>Shell text for remediation and -WhatIf: one command per line.</summary>
    public static string Render(IEnumerable<RemoteCommand> commands)
        => string.Join(Environment.NewLine, commands.Select(c => c.ToDisplayString()));
}
