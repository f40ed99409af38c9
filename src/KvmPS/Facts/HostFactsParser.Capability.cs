using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace KvmPS.Facts;

/// <summary>The probe sections that only the capability checks and the install planner read.</summary>
internal static partial class HostFactsParser
{
    private const string IntelFeatureControlOffset = "58";
    private const string AmdVmCrOffset = "3221291284";

    private static void ParseCapabilitySections(HostFacts facts, Func<string, List<string>> lines)
    {
        facts.KernelVirtMessages = lines("dmesg-virt").Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        foreach (string line in lines("msr"))
        {
            string[] words = Words(line);
            if (words.Length == 2 && ulong.TryParse(words[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out ulong value))
            {
                if (words[0] == IntelFeatureControlOffset)
                {
                    facts.IntelFeatureControl = value;
                }
                else if (words[0] == AmdVmCrOffset)
                {
                    facts.AmdVmCr = value;
                }
            }
        }

        Dictionary<string, string> virt = KeyValues(lines("virt-what"), ' ');
        facts.DetectedVirtualization = virt.TryGetValue("vm", out string? vm) && vm != "none" ? vm : "";
        facts.DetectedContainer = virt.TryGetValue("container", out string? container) && container != "none" ? container : "";
        Dictionary<string, string> dmi = KeyValues(lines("dmi"), '=');
        facts.DmiVendor = dmi.TryGetValue("sys_vendor", out string? vendor) ? vendor : "";
        facts.DmiProduct = dmi.TryGetValue("product_name", out string? product) ? product : "";
        foreach (string line in lines("nested"))
        {
            string[] words = Words(line);
            if (words.Length == 2)
            {
                facts.NestedParameters[words[0]] = words[1];
            }
        }

        foreach (string line in lines("qemu-conf"))
        {
            Match m = Regex.Match(line, @"^\s*user\s*=\s*""(?<user>[^""]*)""", RegexOptions.CultureInvariant);
            if (m.Success)
            {
                facts.QemuConfUser = m.Groups["user"].Value;
            }
        }

        foreach (string line in lines("qemu-users"))
        {
            AccountIds? account = ParseId(line);
            if (account is not null)
            {
                facts.Accounts[account.Name] = account;
            }
        }

        facts.KvmDevice = ParseDevice(lines("dev-kvm").FirstOrDefault());
        foreach (string line in lines("devices"))
        {
            if (line.EndsWith("/dev/vhost-net", StringComparison.Ordinal))
            {
                facts.VhostNetDevice = ParseDevice(line);
            }
            else if (line.EndsWith("/dev/net/tun", StringComparison.Ordinal))
            {
                facts.TunDevice = ParseDevice(line);
            }
        }

        foreach (string line in lines("iommu"))
        {
            string trimmed = line.Trim();
            if (trimmed is "DMAR" or "IVRS")
            {
                facts.IommuTable = trimmed;
            }
            else if (trimmed.StartsWith("groups ", StringComparison.Ordinal))
            {
                facts.IommuGroups = int.TryParse(trimmed.Substring(7).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int groups) ? groups : 0;
            }
            else if (trimmed.StartsWith("cmdline ", StringComparison.Ordinal))
            {
                facts.KernelCommandLine = trimmed.Substring(8);
            }
        }

        ParseCgroups(facts, lines("cgroups"));
        foreach (string line in lines("packages"))
        {
            string[] words = Words(line);
            if (words.Length >= 2)
            {
                facts.Packages[words[0]] = words[1];
            }
        }

        foreach (string line in lines("units"))
        {
            // "<unit> <is-enabled> <is-active>" with single spaces: a unit that does not exist prints
            // an empty is-enabled, so the columns are split on each space, not on runs of them.
            string[] columns = line.Trim('\r').Split(' ');
            string first = columns[0];
            if (first.EndsWith(".service", StringComparison.Ordinal) || first.EndsWith(".socket", StringComparison.Ordinal))
            {
                facts.Units[first] = (columns.Length > 1 ? columns[1] : "", columns.Length > 2 ? columns[2] : "");
            }
            else if (first == "libvirtd")
            {
                // chkconfig --list libvirtd: "libvirtd 0:off 1:off 2:off 3:on 4:on 5:on 6:off"
                facts.SysVLibvirtEnabled = Words(line).Any(w => w == "3:on" || w == "5:on");
            }
            else if (first == "rc")
            {
                facts.SysVLibvirtEnabled = true;
            }
        }

        facts.DefaultNetwork = VirshInfo(lines("default-network"));
        facts.DefaultPool = VirshInfo(lines("default-pool"));
        ParseImageDirectory(facts, lines("image-dir"));
        string resolved = lines("name-resolution").FirstOrDefault()?.Trim() ?? "";
        facts.HostNameResolves = resolved.Length > 0;
        facts.ResolvedHostAddress = resolved.Length > 0 ? Words(resolved)[0] : "";
        Dictionary<string, string> gateway = KeyValues(lines("gateway"), ' ');
        facts.Gateway = gateway.TryGetValue("gateway", out string? gw) ? gw : "";
        facts.GatewayReachable = gateway.TryGetValue("reachable", out string? reachable) ? reachable == "yes" : null;
        facts.DnsServers = lines("dns").Select(l => Words(l)).Where(w => w.Length >= 2).Select(w => w[1]).ToList();
        facts.LibvirtDomainTypes = DomainTypes(string.Join("\n", lines("libvirt-capabilities")), facts.Info.Architecture);
    }

    // "fstype", "controllers" and "v1" describe /sys/fs/cgroup; "mount" lines are every cgroup mount
    // of /proc/mounts (RHEL 6 mounts v1 hierarchies under /cgroup), whose options name the controllers.
    private static void ParseCgroups(HostFacts facts, List<string> lines)
    {
        Dictionary<string, string> cgroups = KeyValues(lines.Where(l => !l.StartsWith("mount ", StringComparison.Ordinal)), ' ');
        facts.CgroupFileSystem = cgroups.TryGetValue("fstype", out string? fs) ? fs : "";
        facts.CgroupV2Controllers = Words(cgroups.TryGetValue("controllers", out string? v2) ? v2 : "");
        var v1 = new List<string>();
        foreach (string line in lines.Where(l => l.StartsWith("mount ", StringComparison.Ordinal)))
        {
            string[] words = Words(line);
            if (words.Length >= 4 && words[2] == "cgroup")
            {
                v1.AddRange(words[3].Split(',').Where(o => KnownV1Controllers.Contains(o)));
            }
        }

        facts.CgroupV1Hierarchies = v1.Count > 0 || lines.Any(l => l.StartsWith("mount ", StringComparison.Ordinal))
            ? v1.Distinct().ToList()
            : Words(cgroups.TryGetValue("v1", out string? listing) ? listing : "");
        if (facts.CgroupFileSystem.Length == 0 && v1.Count > 0)
        {
            facts.CgroupFileSystem = "tmpfs";
        }
    }

    private static readonly string[] KnownV1Controllers = { "cpu", "cpuacct", "cpuset", "memory", "devices", "blkio", "freezer", "pids", "net_cls", "net_prio", "hugetlb", "perf_event" };

    // "crw-rw---- 1 0 36 10, 232 Nov 18 02:02 /dev/kvm"
    internal static DeviceNode? ParseDevice(string? line)
    {
        string[] words = Words(line ?? "");
        if (words.Length < 4
            || !int.TryParse(words[2], NumberStyles.None, CultureInfo.InvariantCulture, out int owner)
            || !int.TryParse(words[3], NumberStyles.None, CultureInfo.InvariantCulture, out int group))
        {
            return null;
        }

        return new DeviceNode(words[0], owner, group);
    }

    // "qemu uid=107(qemu) gid=107(qemu) groups=107(qemu),36(kvm)"
    internal static AccountIds? ParseId(string line)
    {
        Match m = Regex.Match(line, @"^(?<name>\S+)\s+uid=(?<uid>\d+)\S*\s+gid=(?<gid>\d+)\S*(\s+groups=(?<groups>\S+))?", RegexOptions.CultureInvariant);
        if (!m.Success)
        {
            return null;
        }

        var groups = new HashSet<int> { int.Parse(m.Groups["gid"].Value, CultureInfo.InvariantCulture) };
        foreach (Match g in Regex.Matches(m.Groups["groups"].Value, @"(\d+)(\([^)]*\))?", RegexOptions.CultureInvariant))
        {
            groups.Add(int.Parse(g.Groups[1].Value, CultureInfo.InvariantCulture));
        }

        return new AccountIds(m.Groups["name"].Value, int.Parse(m.Groups["uid"].Value, CultureInfo.InvariantCulture), groups);
    }

    private static void ParseImageDirectory(HostFacts facts, List<string> lines)
    {
        foreach (string line in lines)
        {
            string[] words = Words(line);
            if (words.Length == 0)
            {
                continue;
            }

            if (words[0] == "path" && words.Length > 1)
            {
                facts.ImageDirectory = words[1];
            }
            else if (words[0] == "context" && words.Length > 1)
            {
                // RHEL 8+: "<context> <path>"; RHEL 5-7: "<mode> <owner> <group> <context> <path>".
                facts.ImageDirectoryContext = words.Skip(1).FirstOrDefault(w => Regex.IsMatch(w, "^[^:]+:[^:]+:[^:]+", RegexOptions.CultureInvariant)) ?? words[1];
            }
            else if (words.Length >= 6 && long.TryParse(words[3], NumberStyles.None, CultureInfo.InvariantCulture, out long availableKb))
            {
                // df -Pk: filesystem, 1024-blocks, used, available, capacity, mount point.
                facts.ImageDirectoryAvailableBytes = availableKb * 1024;
            }
        }
    }

    // "Active:         yes" lines of virsh net-info / pool-info.
    private static Dictionary<string, string>? VirshInfo(List<string> lines)
    {
        Dictionary<string, string> values = KeyValues(lines, ':');
        return values.ContainsKey("Name") ? values : null;
    }

    private static IReadOnlyList<string>? DomainTypes(string capabilitiesXml, string architecture)
    {
        if (capabilitiesXml.Trim().Length == 0)
        {
            return null;
        }

        try
        {
            XElement root = XElement.Parse(capabilitiesXml);
            return root.Elements("guest")
                .Where(g => (string?)g.Element("os_type") == "hvm")
                .Elements("arch")
                .Where(a => architecture.Length == 0 || (string?)a.Attribute("name") == architecture)
                .Elements("domain")
                .Select(d => (string?)d.Attribute("type") ?? "")
                .Where(t => t.Length > 0)
                .Distinct()
                .ToList();
        }
        catch (System.Xml.XmlException)
        {
            return null;
        }
    }

    private static Dictionary<string, string> KeyValues(IEnumerable<string> lines, char separator)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in lines)
        {
            int at = line.IndexOf(separator);
            if (at > 0)
            {
                values[line.Substring(0, at).Trim()] = line.Substring(at + 1).Trim();
            }
        }

        return values;
    }

    private static string[] Words(string line) => line.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
}
