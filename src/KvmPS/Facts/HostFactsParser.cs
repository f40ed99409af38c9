using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;

namespace KvmPS.Facts;

/// <summary>Turns the probe's raw sections (Scripts/host-probe.sh) into <see cref="HostFacts"/>.</summary>
internal static partial class HostFactsParser
{
    private static readonly string[] RedHatIds = { "rhel", "centos", "rocky", "almalinux", "fedora", "ol", "scientific", "eurolinux", "circle" };

    public static HostFacts Parse(string computerName, string output)
    {
        Dictionary<string, List<string>> sections = Split(output);
        List<string> Lines(string name) => sections.TryGetValue(name, out List<string>? lines) ? lines : new List<string>();
        string First(string name) => Lines(name).FirstOrDefault()?.Trim() ?? "";
        var paths = new HashSet<string>(Lines("paths").Select(l => l.Trim()), StringComparer.Ordinal);
        var commands = new HashSet<string>(Lines("commands").Select(l => l.Trim()), StringComparer.Ordinal);
        var daemons = new HashSet<string>(Lines("daemons").Select(l => l.Trim()), StringComparer.Ordinal);

        var info = new KvmHostInfo
        {
            ComputerName = computerName,
            HostName = First("hostname"),
            KernelVersion = First("kernel"),
            Architecture = First("arch"),
            IsElevated = First("uid") == "0",
            ProbedAt = DateTime.Now,
        };

        ParseOs(info, Lines("os-release"), First("redhat-release"));
        ParseCpu(info, Lines("cpuinfo"));
        ParseMemory(info, Lines("meminfo"));
        info.KvmModules = Lines("modules").Select(l => l.Trim()).Where(m => m.StartsWith("kvm", StringComparison.Ordinal)).ToArray();
        string device = First("dev-kvm");
        info.KvmDevicePresent = device.Length > 0;
        info.KvmDevicePermissions = DevicePermissions(device);
        // SysV counts only where its tools are (chkconfig on RHEL, update-rc.d on Debian); OpenRC
        // (Alpine, Gentoo) has its own.
        bool pid1Init = First("pid1") is "init" or "openrc-init";
        info.InitSystem = paths.Contains("/run/systemd/system") ? "Systemd"
            : pid1Init && commands.Contains("rc-update") && commands.Contains("rc-service") ? "OpenRC"
            : pid1Init && (commands.Contains("chkconfig") || commands.Contains("update-rc.d") || paths.Contains("/sbin/chkconfig"))
                && (paths.Contains("/etc/init.d") || paths.Contains("/etc/rc.d/init.d")) ? "SysV"
            : "None";
        info.NetworkBackend = daemons.Contains("NetworkManager") ? "NetworkManager"
            : paths.Contains("/etc/sysconfig/network-scripts") ? "NetworkScripts"
            : paths.Contains("/etc/netplan") ? "Netplan"
            : paths.Contains("/etc/network/interfaces") ? "Ifupdown"
            : "None";
        info.PackageManager = new[] { "dnf", "yum", "apt-get", "zypper" }.FirstOrDefault(commands.Contains) ?? "";
        string selinux = First("selinux");
        info.SELinux = selinux.Length > 0 ? selinux : paths.Contains("/sys/fs/selinux") ? "Unknown" : "NotInstalled";
        ParseVersions(info, Lines("libvirt-version"), First("qemu-version"));
        bool installed = commands.Contains("virsh") || paths.Contains("/usr/sbin/libvirtd") || paths.Contains("/usr/sbin/virtqemud");
        bool modular = daemons.Contains("virtqemud") || paths.Contains("/run/libvirt/virtqemud-sock");
        bool monolithic = daemons.Contains("libvirtd") || paths.Contains("/run/libvirt/libvirt-sock") || paths.Contains("/var/run/libvirt/libvirt-sock");
        info.LibvirtDaemon = !installed ? "NotInstalled"
            : !LibvirtAnswers(Lines("libvirt-answer"), Lines("libvirt-refusal"), modular || monolithic) ? "NotRunning"
            : modular ? "Modular"
            : "Monolithic";
        bool listed = sections.ContainsKey("guests-all") && info.LibvirtDaemon is "Modular" or "Monolithic";
        info.GuestCount = listed ? NonEmpty(Lines("guests-all")) : -1;
        info.RunningGuestCount = listed ? NonEmpty(Lines("guests-running")) : -1;
        var facts = new HostFacts
        {
            Info = info,
            Paths = paths,
            Commands = commands,
            Daemons = daemons,
            LibvirtConnected = Lines("libvirt-answer").Any(l => l.Trim().StartsWith("qemu:", StringComparison.Ordinal)),
            LibvirtRefusal = string.Join(" ", Lines("libvirt-refusal").Select(l => l.Trim())),
        };
        ParseCapabilitySections(facts, Lines);
        return facts;
    }

    /// <summary>
    /// libvirt runs when virsh could connect (it printed the URI), or refused us for lack of rights
    /// (it is there, we may not use it). Without either section a daemon's pid file or socket decides.
    /// </summary>
    private static bool LibvirtAnswers(List<string> answer, List<string> refusal, bool daemonSeen)
    {
        if (answer.Any(l => l.Trim().StartsWith("qemu:", StringComparison.Ordinal)))
        {
            return true;
        }

        if (refusal.Count == 0)
        {
            return daemonSeen && answer.Count == 0;
        }

        string text = string.Join(" ", refusal);
        return text.IndexOf("Permission denied", StringComparison.OrdinalIgnoreCase) >= 0
            || text.IndexOf("authentication", StringComparison.OrdinalIgnoreCase) >= 0
            || text.IndexOf("not authorized", StringComparison.OrdinalIgnoreCase) >= 0;
    }

    /// <summary>"@@name" lines start sections; a section's lines run to the next header.</summary>
    internal static Dictionary<string, List<string>> Split(string output)
    {
        var sections = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        List<string>? current = null;
        foreach (string raw in output.Replace("\r\n", "\n").Split('\n'))
        {
            if (raw.StartsWith("@@", StringComparison.Ordinal))
            {
                current = new List<string>();
                sections[raw.Substring(2).Trim()] = current;
            }
            else if (current is not null && raw.Length > 0)
            {
                current.Add(raw);
            }
        }

        return sections;
    }

    private static void ParseOs(KvmHostInfo info, List<string> osRelease, string redhatRelease)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in osRelease)
        {
            int eq = line.IndexOf('=');
            if (eq > 0)
            {
                fields[line.Substring(0, eq).Trim()] = Unquote(line.Substring(eq + 1).Trim());
            }
        }

        string idLike = "";
        if (fields.Count > 0)
        {
            info.OSId = fields.TryGetValue("ID", out string? id) ? id : "";
            info.OSName = fields.TryGetValue("NAME", out string? name) ? name : info.OSId;
            info.OSVersion = fields.TryGetValue("VERSION_ID", out string? version) ? version : "";
            idLike = fields.TryGetValue("ID_LIKE", out string? like) ? like : "";
        }
        else if (redhatRelease.Length > 0)
        {
            // RHEL 5/6 and their rebuilds have no os-release: "Red Hat Enterprise Linux Server release 5.6 (Tikanga)".
            Match m = Regex.Match(redhatRelease, @"^(?<name>.*?)\s+release\s+(?<version>[0-9.]+)", RegexOptions.CultureInvariant);
            info.OSName = m.Success ? m.Groups["name"].Value : redhatRelease;
            info.OSVersion = m.Success ? m.Groups["version"].Value : "";
            info.OSId = info.OSName.StartsWith("Red Hat", StringComparison.OrdinalIgnoreCase) ? "rhel"
                : info.OSName.StartsWith("CentOS", StringComparison.OrdinalIgnoreCase) ? "centos"
                : info.OSName.StartsWith("Scientific", StringComparison.OrdinalIgnoreCase) ? "scientific"
                : info.OSName.StartsWith("Oracle", StringComparison.OrdinalIgnoreCase) ? "ol"
                : "rhel-like";
            idLike = "rhel";
        }

        string[] likes = (info.OSId + " " + idLike).Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
        info.OSFamily = likes.Any(l => RedHatIds.Contains(l) || l == "rhel-like") ? "RedHat"
            : likes.Any(l => l == "debian" || l == "ubuntu") ? "Debian"
            : likes.Any(l => l.StartsWith("suse", StringComparison.Ordinal) || l.StartsWith("opensuse", StringComparison.Ordinal) || l == "sles") ? "Suse"
            : info.OSId.Length == 0 ? "" : "Other";
        string major = info.OSVersion.Split('.')[0];
        info.OSMajorVersion = int.TryParse(major, NumberStyles.None, CultureInfo.InvariantCulture, out int value) ? value : 0;
    }

    private static void ParseCpu(KvmHostInfo info, List<string> cpuinfo)
    {
        foreach (string line in cpuinfo)
        {
            int colon = line.IndexOf(':');
            if (colon < 0)
            {
                continue;
            }

            string key = line.Substring(0, colon).Trim();
            string value = line.Substring(colon + 1).Trim();
            switch (key)
            {
                case "vendor_id":
                    info.CpuVendor = value;
                    break;
                case "model name":
                    info.CpuModel = value;
                    break;
                case "flags":
                    info.CpuFlags = value.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
                    break;
                case "processors":
                    info.LogicalProcessorCount = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int count) ? count : 0;
                    break;
            }
        }

        info.VirtualizationFlag = info.CpuFlags.Contains("vmx") ? "vmx" : info.CpuFlags.Contains("svm") ? "svm" : "";
        info.IsVirtualMachine = info.CpuFlags.Contains("hypervisor");
    }

    private static void ParseMemory(KvmHostInfo info, List<string> meminfo)
    {
        long free = 0;
        foreach (string line in meminfo)
        {
            Match m = Regex.Match(line, @"^(?<key>\w+):\s+(?<kb>\d+)\s*kB", RegexOptions.CultureInvariant);
            if (!m.Success)
            {
                continue;
            }

            long bytes = long.Parse(m.Groups["kb"].Value, CultureInfo.InvariantCulture) * 1024;
            switch (m.Groups["key"].Value)
            {
                case "MemTotal":
                    info.MemoryTotalBytes = bytes;
                    break;
                case "MemAvailable":
                    info.MemoryAvailableBytes = bytes;
                    break;
                case "MemFree":
                    free = bytes;
                    break;
            }
        }

        // Kernels before 3.14 (RHEL 5/6) have no MemAvailable.
        if (info.MemoryAvailableBytes == 0)
        {
            info.MemoryAvailableBytes = free;
        }
    }

    // "crw-rw---- 1 0 36 10, 232 Nov 18 02:02 /dev/kvm" -> "crw-rw---- 0:36"
    private static string DevicePermissions(string lsLine)
    {
        string[] words = lsLine.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
        return words.Length >= 4 ? $"{words[0]} {words[2]}:{words[3]}" : "";
    }

    // From virsh's "version" when connected ("Using library: libvirt 9.0.0", "Running hypervisor:
    // QEMU 7.2.22"), else from `virsh --version` and `qemu --version`.
    private static void ParseVersions(KvmHostInfo info, List<string> libvirt, string qemuBanner)
    {
        foreach (string line in libvirt)
        {
            Match used = Regex.Match(line, @"^Using library:\s*libvirt?\s+(?<v>\S+)", RegexOptions.CultureInvariant);
            Match hypervisor = Regex.Match(line, @"^Running hypervisor:\s*QEMU\s+(?<v>\S+)", RegexOptions.CultureInvariant);
            if (used.Success)
            {
                info.LibvirtVersion = used.Groups["v"].Value;
            }
            else if (hypervisor.Success)
            {
                info.QemuVersion = hypervisor.Groups["v"].Value;
            }
            else if (info.LibvirtVersion.Length == 0 && Regex.IsMatch(line.Trim(), @"^\d+\.\d+", RegexOptions.CultureInvariant))
            {
                info.LibvirtVersion = line.Trim();
            }
        }

        if (info.QemuVersion.Length == 0)
        {
            info.QemuVersion = QemuVersion(qemuBanner);
        }
    }

    // "QEMU emulator version 7.2.15 (Debian 1:7.2+dfsg-7+deb12u18)" -> "7.2.15"
    private static string QemuVersion(string line)
    {
        Match m = Regex.Match(line, @"version\s+(?<v>[0-9][0-9.]*)", RegexOptions.CultureInvariant);
        return m.Success ? m.Groups["v"].Value : line;
    }

    private static string Unquote(string value)
        => value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[value.Length - 1] == value[0]
            ? value.Substring(1, value.Length - 2)
            : value;

    private static int NonEmpty(List<string> lines) => lines.Count(l => l.Trim().Length > 0);
}
