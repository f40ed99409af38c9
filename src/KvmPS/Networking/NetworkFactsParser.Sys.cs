using System;
using System.Collections.Generic;
using System.Linq;

namespace KvmPS.Networking;

/// <summary>What /sys and brctl add to `ip`: the only source of kinds and ports where iproute is old (RHEL 5) or busybox's.</summary>
internal static partial class NetworkFactsParser
{
    /// <summary>"&lt;link&gt; &lt;fact&gt; [value]" lines of the sys section; "port" may repeat.</summary>
    private static void ParseSys(Dictionary<string, SysLink> extra, IEnumerable<string> lines)
    {
        foreach (string line in lines)
        {
            string[] words = Words(line);
            if (words.Length < 2)
            {
                continue;
            }

            SysLink info = Extra(extra, words[0]);
            string value = words.Length > 2 ? words[2] : "";
            switch (words[1])
            {
                case "port":
                    if (value.Length > 0 && !info.Ports.Contains(value))
                    {
                        info.Ports.Add(value);
                    }

                    break;
                case "vlan":
                    info.Markers.Add("vlan");
                    info.Values["vlanid"] = value;
                    info.Values["parent"] = words.Length > 3 ? words[3] : "";
                    break;
                default:
                    if (words.Length > 2)
                    {
                        info.Values[words[1]] = value;
                    }
                    else
                    {
                        info.Markers.Add(words[1]);
                    }

                    break;
            }
        }
    }

    /// <summary>`brctl show`: "br0  8000.5254...  yes  eth0", then one more port per indented line.</summary>
    private static void ParseBrctl(Dictionary<string, SysLink> extra, IEnumerable<string> lines)
    {
        SysLink? bridge = null;
        foreach (string line in lines)
        {
            string[] words = Words(line);
            if (words.Length == 0 || line.StartsWith("bridge name", StringComparison.Ordinal))
            {
                continue;
            }

            if (!char.IsWhiteSpace(line[0]))
            {
                if (words.Length < 3 || words[2] is not ("yes" or "no"))
                {
                    bridge = null;
                    continue;
                }

                bridge = Extra(extra, words[0]);
                bridge.Markers.Add("bridge");
                if (!bridge.Values.ContainsKey("stp"))
                {
                    bridge.Values["stp"] = words[2] == "yes" ? "1" : "0";
                }

                words = words.Skip(3).ToArray();
            }

            if (bridge is not null && words.Length == 1 && !bridge.Ports.Contains(words[0]))
            {
                bridge.Ports.Add(words[0]);
            }
        }
    }

    private static LinkKind KindOf(NetworkLink link, SysLink info)
    {
        if (info.Loopback || info.Value("type") == "772" || (info.IpKind.Length == 0 && link.Name == "lo"))
        {
            return LinkKind.Loopback;
        }

        if (info.Markers.Contains("wireless"))
        {
            return LinkKind.Wireless;
        }

        switch (info.IpKind)
        {
            case "bridge":
                return LinkKind.Bridge;
            case "bond":
                return LinkKind.Bond;
            case "team":
                return LinkKind.Team;
            case "vlan":
                return LinkKind.Vlan;
            case "veth":
                return LinkKind.Ethernet;
            case "":
                break;
            default:
                return LinkKind.Other;
        }

        // No kind from ip (a plain NIC, or an iproute too old to tell): /sys markers, then the link type.
        return info.Markers.Contains("bridge") ? LinkKind.Bridge
            : info.Markers.Contains("bond") ? LinkKind.Bond
            : info.Markers.Contains("vlan") ? LinkKind.Vlan
            : info.Markers.Contains("tun") ? LinkKind.Other
            : info.Ether || info.Value("type") == "1" ? LinkKind.Ethernet
            : LinkKind.Other;
    }
}
