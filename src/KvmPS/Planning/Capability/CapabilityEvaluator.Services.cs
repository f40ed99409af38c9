using System.Collections.Generic;
using System.Linq;
using KvmPS.Facts;
using KvmPS.Planning.Install;
using KvmPS.Transport;

namespace KvmPS.Planning.Capability;

/// <summary>Packages, daemons, libvirt defaults, resources, SELinux and the network basics.</summary>
internal static partial class CapabilityEvaluator
{
    private const long OneGiB = 1024L * 1024 * 1024;

    private static string InstallRemedy(Context c)
    {
        if (!c.Platform.IsSupported)
        {
            return $"KvmPS knows no package manager on {c.Platform.Name}; install QEMU/KVM and libvirt with the distribution's tools.";
        }

        IReadOnlyList<string> missing = c.Platform.MissingPackages(c.Facts);
        IReadOnlyList<RemoteCommand> install = c.Platform.InstallCommands(missing.Count > 0 ? missing : c.Platform.Packages);
        return HostPlatform.Render(install) + "\n" + c.InstallHint;
    }

    private static KvmCapabilityResult LibvirtInstalled(Context c)
    {
        bool installed = c.Facts.Commands.Contains("virsh") || c.Facts.Paths.Contains("/usr/sbin/libvirtd") || c.Facts.Paths.Contains("/usr/sbin/virtqemud");
        string packages = string.Join(", ", c.Facts.Packages.Where(p => p.Key.StartsWith("libvirt", System.StringComparison.Ordinal)).Select(p => $"{p.Key} {p.Value}"));
        if (installed)
        {
            return Pass($"libvirt {c.Info.LibvirtVersion} is installed{(packages.Length > 0 ? $" ({packages})" : "")}.");
        }

        return Fail($"libvirt is not installed (no virsh, libvirtd or virtqemud) on {c.Platform.Name}.", InstallRemedy(c));
    }

    private static KvmCapabilityResult QemuInstalled(Context c)
    {
        if (c.Info.QemuVersion.Length > 0)
        {
            string package = new[] { "qemu-kvm", "qemu-system-x86", "kvm", "qemu-system-arm" }
                .Where(c.Facts.Packages.ContainsKey).Select(p => $" ({p} {c.Facts.Packages[p]})").FirstOrDefault() ?? "";
            return Pass($"QEMU {c.Info.QemuVersion} is installed{package}.");
        }

        return Fail($"QEMU is not installed on {c.Platform.Name}.", InstallRemedy(c));
    }

    private static KvmCapabilityResult LibvirtDaemon(Context c)
    {
        string layout = c.Info.LibvirtDaemon;
        if (layout == "NotInstalled")
        {
            return Fail("No libvirt daemon is installed.", InstallRemedy(c));
        }

        string enable = HostPlatform.Render(c.Platform.EnableDaemonCommands(c.Facts));
        if (layout == "NotRunning")
        {
            string how = c.Info.InitSystem == "None" ? " There is no init system: start the daemons directly." : "";
            return Fail($"libvirt is installed but no daemon is running ({c.Platform.Layout.ToString().ToLowerInvariant()} layout expected on {c.Platform.Name}).{how}", enable);
        }

        string running = layout == "Modular" ? "The modular daemons (virtqemud and friends) are running" : "libvirtd (monolithic) is running";
        switch (c.Info.InitSystem)
        {
            case "Systemd":
                IEnumerable<string> units = layout == "Modular" ? new[] { "virtqemud.socket", "virtqemud.service" } : new[] { "libvirtd.service", "libvirtd.socket" };
                bool enabled = units.Any(u => c.Facts.Units.TryGetValue(u, out var state) && state.Enabled == "enabled");
                return enabled
                    ? Pass($"{running} and enabled at boot (systemd).")
                    : Warn($"{running} but is not enabled at boot (systemd).", enable);
            case "SysV":
                return c.Facts.SysVLibvirtEnabled
                    ? Pass($"{running} and enabled at boot (SysV).")
                    : Warn($"{running} but is not enabled at boot (SysV).", HostPlatform.Render(c.Platform.EnableAtBootCommands(c.Facts)));
            case "OpenRC":
                return Pass($"{running} (OpenRC).");
            default:
                return Warn($"{running} as a plain process: there is no init system, so nothing restarts it after a reboot or a crash.",
                    "Start libvirt's daemons from the host's own boot mechanism (they are running now).");
        }
    }

    private static KvmCapabilityResult DefaultNetwork(Context c)
    {
        if (!c.LibvirtRunning)
        {
            return NotApplicable("libvirt is not running, so its networks cannot be listed.");
        }

        if (!c.Facts.LibvirtConnected)
        {
            return NotApplicable(Unreadable(c, "networks"));
        }

        Dictionary<string, string>? net = c.Facts.DefaultNetwork;
        if (net is null)
        {
            return Warn("libvirt has no 'default' network (the NAT network virbr0 that guests use unless given a bridge).",
                HostPlatform.Render(InstallPlanner.DefaultNetworkCommands(null)));
        }

        string bridge = net.TryGetValue("Bridge", out string? b) ? $" ({b})" : "";
        bool active = Yes(net, "Active");
        bool autostart = Yes(net, "Autostart");
        if (active && autostart)
        {
            return Pass($"The 'default' network{bridge} is active and starts with libvirt.");
        }

        return active
            ? Warn($"The 'default' network{bridge} is active but does not start with libvirt.", HostPlatform.Render(InstallPlanner.DefaultNetworkCommands(net)))
            : Warn($"The 'default' network{bridge} is defined but not active.", HostPlatform.Render(InstallPlanner.DefaultNetworkCommands(net)));
    }

    private static KvmCapabilityResult DefaultStoragePool(Context c)
    {
        if (!c.LibvirtRunning)
        {
            return NotApplicable("libvirt is not running, so its storage pools cannot be listed.");
        }

        if (!c.Facts.LibvirtConnected)
        {
            return NotApplicable(Unreadable(c, "storage pools"));
        }

        Dictionary<string, string>? pool = c.Facts.DefaultPool;
        string fix = HostPlatform.Render(InstallPlanner.DefaultPoolCommands(pool));
        if (pool is null)
        {
            return Warn("libvirt has no 'default' storage pool (guest images go to /var/lib/libvirt/images through it).", fix);
        }

        bool running = pool.TryGetValue("State", out string? state) && state == "running";
        bool autostart = Yes(pool, "Autostart");
        if (running && autostart)
        {
            return Pass($"The 'default' storage pool is running and starts with libvirt ({(pool.TryGetValue("Available", out string? free) ? free + " available" : "capacity unknown")}).");
        }

        return running
            ? Warn("The 'default' storage pool is running but does not start with libvirt.", fix)
            : Warn($"The 'default' storage pool is {state ?? "not running"}.", fix);
    }

    private static KvmCapabilityResult Memory(Context c)
    {
        long available = c.Info.MemoryAvailableBytes;
        string detail = $"{GiB(available)} available of {GiB(c.Info.MemoryTotalBytes)}.";
        return available >= OneGiB ? Pass(detail) : Warn(detail + " Less than 1 GiB is left for guests.");
    }

    private static KvmCapabilityResult ImageStorage(Context c)
    {
        long free = c.Facts.ImageDirectoryAvailableBytes;
        string where = c.Facts.ImageDirectory.Length > 0 ? c.Facts.ImageDirectory : "/var/lib/libvirt/images";
        if (free < 0)
        {
            return Warn($"The free space under {where} could not be read.");
        }

        string detail = $"{GiB(free)} free under {where}.";
        return free >= 20 * OneGiB ? Pass(detail)
            : free >= 2 * OneGiB ? Warn(detail + " Enough for small guests only (20 GiB or more is comfortable).")
            : Fail(detail + " Not enough for a guest disk.", $"Free space on the file system of {where}, or put the images on a larger one (a libvirt storage pool elsewhere).");
    }

    private static KvmCapabilityResult SELinux(Context c)
    {
        string mode = c.Info.SELinux;
        if (mode is "NotInstalled" or "Unknown" or "")
        {
            return c.Info.OSFamily == "RedHat"
                ? Warn("SELinux is not available: sVirt cannot confine guests.")
                : NotApplicable($"SELinux is not used on {c.Platform.Name} (guests are confined by AppArmor where it is enabled).");
        }

        if (mode == "Enforcing")
        {
            if (c.Facts.ImageDirectory.Length > 0 && c.Facts.ImageDirectory != "/var/lib/libvirt/images")
            {
                return Pass("SELinux is enforcing (sVirt confines each guest); /var/lib/libvirt/images does not exist yet, and libvirt's packages create it with its context.");
            }

            string context = c.Facts.ImageDirectoryContext;
            if (context.Length > 0 && context != "?" && !context.Contains("virt_image_t") && !context.Contains("virt_var_lib_t"))
            {
                return Fail($"SELinux is enforcing, but {c.Facts.ImageDirectory} has the context {context}: QEMU will be denied access to guest images.",
                    $"restorecon -R -v {c.Facts.ImageDirectory}\n# for a custom directory: semanage fcontext -a -t virt_image_t '<dir>(/.*)?' && restorecon -R -v <dir>");
            }

            return Pass($"SELinux is enforcing (sVirt confines each guest){(context.Length > 0 && context != "?" ? $"; {c.Facts.ImageDirectory} is {context}" : "")}.");
        }

        return Warn($"SELinux is {mode.ToLowerInvariant()}: sVirt does not confine guests.",
            mode == "Permissive"
                ? "setenforce 1\nsed -i 's/^SELINUX=.*/SELINUX=enforcing/' /etc/selinux/config"
                : "sed -i 's/^SELINUX=.*/SELINUX=enforcing/' /etc/selinux/config\ntouch /.autorelabel && reboot");
    }

    private static KvmCapabilityResult HostNameResolution(Context c)
    {
        string name = c.Info.HostName;
        if (!c.Facts.HostNameResolves)
        {
            return Warn($"The host's own name '{name}' does not resolve: live migration peers and libvirt URIs need it.",
                $"echo '<this host's address> {name}' >> /etc/hosts   # or add it to DNS");
        }

        string address = c.Facts.ResolvedHostAddress;
        return address.StartsWith("127.", System.StringComparison.Ordinal) || address == "::1"
            ? Warn($"'{name}' resolves to the loopback address {address}: migration peers would be sent to themselves.",
                $"Make '{name}' resolve to a routable address of this host (/etc/hosts or DNS).")
            : Pass($"'{name}' resolves to {address}.");
    }

    private static KvmCapabilityResult DefaultGateway(Context c)
    {
        string gateway = c.Facts.Gateway;
        if (gateway.Length == 0)
        {
            return Warn("There is no default route: guests on NAT networks and the host itself cannot reach other networks.",
                "ip route add default via <gateway>   # and make it persistent in the host's network configuration");
        }

        return c.Facts.GatewayReachable == true
            ? Pass($"The default gateway {gateway} answers ping.")
            : Warn($"The default gateway {gateway} does not answer ping (it may only filter ICMP).");
    }

    private static KvmCapabilityResult DnsServers(Context c)
    {
        IReadOnlyList<string> servers = c.Facts.DnsServers;
        return servers.Count > 0
            ? Pass($"DNS servers: {string.Join(", ", servers)}.")
            : Warn("No nameserver is configured in /etc/resolv.conf: names will not resolve.", "echo 'nameserver <dns server>' >> /etc/resolv.conf   # or configure it in the network configuration");
    }

    private static string Unreadable(Context c, string what)
        => $"libvirt runs but refused this user ({(c.Facts.LibvirtRefusal.Length > 0 ? c.Facts.LibvirtRefusal : "no connection")}), so its {what} cannot be listed; test as root or as a member of the libvirt group.";

    private static bool Yes(Dictionary<string, string> values, string key) => values.TryGetValue(key, out string? v) && v == "yes";
}
