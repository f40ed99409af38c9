using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Xml;
using System.Xml.Linq;

namespace KvmPS.Networking;

/// <summary>Turns network-list.sh's output into <see cref="KvmNetwork"/> objects; a network whose part is cut off or unreadable is skipped.</summary>
internal static class NetworkListParser
{
    public static List<KvmNetwork> Parse(string computerName, string output, KvmSession? session)
    {
        var networks = new List<KvmNetwork>();
        foreach (string block in ("\n" + (output ?? "").Replace("\r\n", "\n")).Split(new[] { "\n@@net " }, StringSplitOptions.None).Skip(1))
        {
            int xmlAt = block.IndexOf("\n@@xml\n", StringComparison.Ordinal);
            if (xmlAt < 0)
            {
                continue;
            }

            var info = block.Substring(0, xmlAt).Split('\n').Skip(1)
                .Select(l => l.Split(new[] { ':' }, 2)).Where(p => p.Length == 2)
                .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.Ordinal);
            string xml = block.Substring(xmlAt + 7);
            int end = xml.IndexOf("</network>", StringComparison.Ordinal);
            if (end < 0 || !Guid.TryParse(Get(info, "UUID"), out Guid uuid))
            {
                continue;
            }

            XElement root;
            try
            {
                root = XElement.Parse(xml.Substring(0, end + "</network>".Length));
            }
            catch (XmlException)
            {
                continue;
            }

            var network = new KvmNetwork
            {
                ComputerName = computerName,
                Name = (string?)root.Element("name") ?? Get(info, "Name"),
                Uuid = uuid,
                Bridge = (string?)root.Element("bridge")?.Attribute("name") ?? Get(info, "Bridge"),
                ForwardMode = root.Element("forward") is XElement forward ? (string?)forward.Attribute("mode") ?? "nat" : "isolated",
                Active = Get(info, "Active") == "yes",
                Persistent = Get(info, "Persistent") == "yes",
                Autostart = Get(info, "Autostart") == "yes",
                Session = session,
            };
            XElement? ip = root.Elements("ip").FirstOrDefault(e => ((string?)e.Attribute("family") ?? "ipv4") == "ipv4");
            if (ip is not null && Ipv4.TryParse((string?)ip.Attribute("address") ?? "", out uint address))
            {
                int prefix = int.TryParse((string?)ip.Attribute("prefix"), NumberStyles.None, CultureInfo.InvariantCulture, out int p) ? p
                    : Ipv4.TryParse((string?)ip.Attribute("netmask") ?? "", out uint mask) ? Ipv4.PrefixLength(mask) : 24;
                network.IPAddress = Ipv4.Format(address);
                network.Subnet = $"{Ipv4.Format(address & Ipv4.Mask(prefix))}/{prefix.ToString(CultureInfo.InvariantCulture)}";
                XElement? range = ip.Element("dhcp")?.Element("range");
                if (range is not null)
                {
                    network.DhcpRange = $"{(string?)range.Attribute("start")}-{(string?)range.Attribute("end")}";
                }
            }

            networks.Add(network);
        }

        return networks.OrderBy(n => n.Name, StringComparer.Ordinal).ToList();
    }

    private static string Get(Dictionary<string, string> info, string key) => info.TryGetValue(key, out string? value) ? value : "";
}
