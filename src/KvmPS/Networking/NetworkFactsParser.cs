using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;

namespace KvmPS.Networking;

/// <summary>
/// Turns network-probe.sh's sections ("== name [args]" then content) into <see cref="NetworkFacts"/>.
/// The output may come from iproute2 of any age, busybox, or be cut off: whatever a line does not
/// match is skipped, so an odd host gives fewer facts, never an exception.
/// </summary>
internal static partial class NetworkFactsParser
{
    /// <summary>Only these names start a section: a file's content may contain "== something" lines.</summary>
    private static readonly HashSet<string> SectionNames = new(StringComparer.Ordinal)
    {
        "links", "addrs", "routes", "routes6", "resolv", "sys", "brctl", "nm", "nmdevices", "nmconnections",
        "nmprofiles", "nmprofile", "ifcfg", "routefile", "network", "tools", "netservice", "release", "libvirtnets", "libvirtrefusal", "end",
    };

    /// <summary>Link kinds as `ip -d link` names them (the rtnetlink kind); anything not listed is not a kind.</summary>
    private static readonly HashSet<string> IpKinds = new(StringComparer.Ordinal)
    {
        "bridge", "bond", "team", "vlan", "veth", "tun", "dummy", "ifb", "macvlan", "macvtap", "ipvlan", "ipvtap",
        "vxlan", "geneve", "gre", "gretap", "ip6gre", "ip6gretap", "ipip", "sit", "ip6tnl", "vti", "vti6", "wireguard",
        "openvswitch", "vrf", "hsr", "macsec", "xfrm", "nlmon", "vcan", "can", "netdevsim", "batadv", "ipoib",
        "erspan", "ip6erspan", "gtp", "bareudp", "virt_wifi", "rmnet", "lowpan",
    };

    private sealed class Section
    {
        public Section(string name, string args)
        {
            Name = name;
            Args = args;
        }

        public string Name { get; }

        public string Args { get; }

        /// <summary>The lines as printed, a trailing '\r' included (file contents are kept byte for byte).</summary>
        public List<string> Raw { get; } = new();

        /// <summary>The non-blank lines without a trailing '\r'.</summary>
        public IEnumerable<string> Lines => Raw.Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0);
    }

    /// <summary>What the probe says about one link beyond `ip link` (the sys section and brctl).</summary>
    private sealed class SysLink
    {
        public readonly HashSet<string> Markers = new(StringComparer.Ordinal);
        public readonly Dictionary<string, string> Values = new(StringComparer.Ordinal);
        public readonly List<string> Ports = new();

        public string IpKind = "";
        public string SlaveKind = "";
        public bool FromIp;
        public bool Loopback;
        public bool Ether;

        public string Value(string key) => Values.TryGetValue(key, out string? value) ? value : "";
    }

    public static NetworkFacts Parse(string probeOutput)
    {
        var facts = new NetworkFacts();
        var extra = new Dictionary<string, SysLink>(StringComparer.Ordinal);
        foreach (Section section in Split(probeOutput ?? ""))
        {
            switch (section.Name)
            {
                case "links":
                    ParseLinks(facts, extra, section.Lines);
                    break;
                case "addrs":
                    ParseAddresses(facts, section.Lines);
                    break;
                case "routes":
                    ParseRoutes(facts, section.Lines, false);
                    break;
                case "routes6":
                    ParseRoutes(facts, section.Lines, true);
                    break;
                case "sys":
                    ParseSys(extra, section.Lines);
                    break;
                case "brctl":
                    ParseBrctl(extra, section.Lines);
                    break;
                case "libvirtnets":
                    foreach (string[] words in section.Lines.Select(l => l.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries)).Where(w => w.Length == 2))
                    {
                        facts.LibvirtBridges[words[1]] = words[0];
                    }

                    break;
                case "libvirtrefusal":
                    facts.LibvirtRefusal = string.Join(" ", section.Lines.Select(l => l.Trim()));
                    break;
                default:
                    ParseConfigSection(facts, section);
                    break;
            }
        }

        Resolve(facts, extra);
        return facts;
    }

    /// <summary>Sections in output order; lines before the first header (comments, a login banner) belong to none.</summary>
    private static List<Section> Split(string output)
    {
        var sections = new List<Section>();
        Section? current = null;
        foreach (string raw in output.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.StartsWith("== ", StringComparison.Ordinal))
            {
                string rest = line.Substring(3).Trim();
                int space = rest.IndexOf(' ');
                string name = space < 0 ? rest : rest.Substring(0, space);
                if (SectionNames.Contains(name))
                {
                    current = new Section(name, space < 0 ? "" : rest.Substring(space + 1).Trim());
                    sections.Add(current);
                    continue;
                }

                // A later probe's section this parser does not know ends the one before it; inside a
                // file, such a line is the file's own.
                if (current is null || current.Name is not ("ifcfg" or "routefile" or "network"))
                {
                    current = new Section("", "");
                    continue;
                }
            }

            current?.Raw.Add(raw);
        }

        return sections;
    }

    private static NetworkLink GetLink(NetworkFacts facts, string name)
    {
        NetworkLink? link = facts.Link(name);
        if (link is null)
        {
            link = new NetworkLink { Name = name };
            facts.Links.Add(link);
        }

        return link;
    }

    private static SysLink Extra(Dictionary<string, SysLink> extra, string name)
    {
        if (!extra.TryGetValue(name, out SysLink? info))
        {
            info = new SysLink();
            extra[name] = info;
        }

        return info;
    }

    /// <summary>"eth0.100@eth0", "eth0@if4", "kvmlab-gw@NONE": the name before '@'.</summary>
    private static string LinkName(string token)
    {
        int at = token.IndexOf('@');
        return (at > 0 ? token.Substring(0, at) : token).TrimEnd(':');
    }

    private static string[] Words(string text) => text.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The word after <paramref name="key"/> ("mtu 1500"), or empty.</summary>
    private static string After(string[] words, string key)
    {
        int i = Array.IndexOf(words, key);
        return i >= 0 && i + 1 < words.Length ? words[i + 1] : "";
    }

    private static int Int(string text, int fallback = 0)
        => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value : fallback;

    /// <summary>
    /// `ip -o [-d] link`: "3: eth0@eth0-peer: &lt;FLAGS&gt; mtu 1500 ... master br0 state UP ...\    link/ether MAC ...
    /// \    veth \    bridge_slave state forwarding ...". With -d the segments after link/... start
    /// with the link's kind and, for a port, its master's kind plus "_slave"; a plain NIC has neither.
    /// </summary>
    private static void ParseLinks(NetworkFacts facts, Dictionary<string, SysLink> extra, IEnumerable<string> lines)
    {
        foreach (string line in lines)
        {
            string[] segments = line.Split('\\');
            Match m = Regex.Match(segments[0], @"^\s*\d+:\s+(?<name>[^\s:]+):\s+<(?<flags>[^>]*)>(?<rest>.*)$", RegexOptions.CultureInvariant);
            if (!m.Success)
            {
                continue;
            }

            string[] nameParts = m.Groups["name"].Value.Split('@');
            NetworkLink link = GetLink(facts, nameParts[0]);
            SysLink info = Extra(extra, link.Name);
            info.FromIp = true;
            string[] flags = m.Groups["flags"].Value.Split(',');
            link.IsUp = flags.Contains("UP");
            link.HasCarrier = flags.Contains("LOWER_UP");
            info.Loopback = flags.Contains("LOOPBACK");
            string[] words = Words(m.Groups["rest"].Value);
            link.Mtu = Int(After(words, "mtu"));
            link.Master = After(words, "master");
            for (int i = 1; i < segments.Length; i++)
            {
                string[] seg = Words(segments[i]);
                if (seg.Length == 0)
                {
                    continue;
                }

                if (seg[0].StartsWith("link/", StringComparison.Ordinal))
                {
                    info.Loopback |= seg[0] == "link/loopback";
                    info.Ether = seg[0] == "link/ether";
                    link.MacAddress = seg.Length > 1 && seg[1].Contains(':') ? seg[1].ToLowerInvariant() : "";
                }
                else if (seg[0].EndsWith("_slave", StringComparison.Ordinal))
                {
                    info.SlaveKind = seg[0].Substring(0, seg[0].Length - "_slave".Length);
                }
                else if (info.IpKind.Length == 0 && IpKinds.Contains(seg[0]))
                {
                    info.IpKind = seg[0];
                    if (seg[0] == "vlan")
                    {
                        link.VlanId = Int(After(seg, "id"));
                        link.Parent = nameParts.Length > 1 ? nameParts[1] : "";
                    }
                    else if (seg[0] == "bridge" && After(seg, "stp_state") is { Length: > 0 } stp)
                    {
                        link.Stp = stp != "0";
                    }
                }
            }
        }
    }

    /// <summary>`ip -o addr`: "4: eth0    inet 192.0.2.2/24 brd ... scope global dynamic eth0\       valid_lft ...".</summary>
    private static void ParseAddresses(NetworkFacts facts, IEnumerable<string> lines)
    {
        foreach (string line in lines)
        {
            string[] words = Words(line.Split('\\')[0]);
            if (words.Length < 4 || !words[0].EndsWith(":", StringComparison.Ordinal) || words[2] is not ("inet" or "inet6"))
            {
                continue;
            }

            bool v6 = words[2] == "inet6";
            string address = words[3];
            // A point-to-point address ("inet 10.0.0.1 peer 10.0.0.2/32") has its prefix on the peer.
            string prefixSource = address.Contains('/') ? address : After(words, "peer");
            int slash = prefixSource.IndexOf('/');
            int prefix = slash >= 0 ? Int(prefixSource.Substring(slash + 1), -1) : v6 ? 128 : 32;
            if (slash >= 0 && address.Contains('/'))
            {
                address = address.Substring(0, address.IndexOf('/'));
            }

            if (address.Length == 0 || prefix < 0 || prefix > (v6 ? 128 : 32))
            {
                continue;
            }

            bool dynamic = words.Skip(4).Contains("dynamic");
            GetLink(facts, LinkName(words[1])).Addresses.Add(new LinkAddress(address, prefix, v6, dynamic));
        }
    }

    /// <summary>
    /// "default via 192.0.2.1 dev eth0 proto dhcp metric 100"; a multipath default names its first
    /// hop after "nexthop". Lines that are not default routes (busybox ignores the filter) are skipped.
    /// </summary>
    private static void ParseRoutes(NetworkFacts facts, IEnumerable<string> lines, bool v6)
    {
        foreach (string line in lines)
        {
            string[] words = Words(line.Replace('\\', ' '));
            if (words.Length == 0 || words[0] != "default")
            {
                continue;
            }

            string device = After(words, "dev");
            int via = Array.IndexOf(words, "via");
            string gateway = via >= 0 && via + 1 < words.Length ? words[via + 1] : "";
            // "via inet6 fe80::1" on a v4 route (RFC 5549) names the family first.
            if (gateway is "inet" or "inet6")
            {
                gateway = via + 2 < words.Length ? words[via + 2] : "";
            }

            if (device.Length == 0 && gateway.Length == 0)
            {
                continue;
            }

            facts.DefaultRoutes.Add(new DefaultRoute(gateway, device, v6, Int(After(words, "metric"))));
        }
    }

    /// <summary>Kinds, masters and ports from everything together: ip -d where it says, /sys and brctl where it does not.</summary>
    private static void Resolve(NetworkFacts facts, Dictionary<string, SysLink> extra)
    {
        foreach (KeyValuePair<string, SysLink> pair in extra)
        {
            if (pair.Value.FromIp || pair.Value.Values.Count > 0 || pair.Value.Markers.Count > 0)
            {
                GetLink(facts, pair.Key);
            }
        }

        foreach (NetworkLink link in facts.Links)
        {
            SysLink info = Extra(extra, link.Name);
            if (!info.FromIp)
            {
                // No `ip` at all: /sys says the rest.
                link.Mtu = Int(info.Value("mtu"));
                link.MacAddress = info.Value("address").ToLowerInvariant();
                string hex = info.Value("flags");
                link.IsUp = hex.StartsWith("0x", StringComparison.Ordinal)
                    && int.TryParse(hex.Substring(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int f) && (f & 1) != 0;
                link.HasCarrier = info.Value("carrier") == "1";
            }

            if (link.Master.Length == 0)
            {
                link.Master = info.Value("master");
            }

            if (info.Value("stp") is { Length: > 0 } stp && !(info.FromIp && info.IpKind == "bridge"))
            {
                link.Stp = stp != "0";
            }

            if (info.Markers.Contains("vlan") && link.VlanId == 0)
            {
                link.VlanId = Int(info.Value("vlanid"));
                link.Parent = link.Parent.Length > 0 ? link.Parent : info.Value("parent");
            }

            link.Kind = KindOf(link, info);
        }

        foreach (NetworkLink link in facts.Links)
        {
            SysLink info = Extra(extra, link.Name);
            if (link.Master.Length > 0)
            {
                NetworkLink? master = facts.Link(link.Master);
                link.MasterKind = info.SlaveKind.Length > 0 ? info.SlaveKind
                    : info.Markers.Contains("brport") ? "bridge"
                    : info.Markers.Contains("bondslave") ? "bond"
                    : master is null ? ""
                    : master.Kind switch { LinkKind.Bridge => "bridge", LinkKind.Bond => "bond", LinkKind.Team => "team", _ => Extra(extra, master.Name).IpKind };
            }

            if (link.Kind is LinkKind.Bridge or LinkKind.Bond or LinkKind.Team)
            {
                IEnumerable<string> ports = info.Ports.Concat(facts.Links.Where(l => l.Master == link.Name).Select(l => l.Name));
                foreach (string port in ports.Where(p => !link.Ports.Contains(p)))
                {
                    link.Ports.Add(port);
                }
            }
        }

        // A port that only brctl or the bonding slaves list names (old kernels without a master link).
        foreach (NetworkLink link in facts.Links.Where(l => l.Ports.Count > 0))
        {
            foreach (NetworkLink port in link.Ports.Select(facts.Link).OfType<NetworkLink>().Where(p => p.Master.Length == 0))
            {
                port.Master = link.Name;
                port.MasterKind = link.Kind == LinkKind.Bridge ? "bridge" : link.Kind == LinkKind.Bond ? "bond" : "team";
            }
        }
    }
}
