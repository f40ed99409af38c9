using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Xml;
using System.Xml.Linq;

namespace KvmPS.Guests;

/// <summary>Turns the output of Scripts/guest-inventory.sh into guests.</summary>
internal static class GuestInventoryParser
{
    public static List<KvmGuest> Parse(string computerName, string output, KvmSession? session)
    {
        var guests = new List<KvmGuest>();
        Dictionary<string, List<string>> agents = SplitAgents(ref output);
        foreach ((string uuid, Dictionary<string, List<string>> sections) in Split(output))
        {
            var guest = new KvmGuest { ComputerName = computerName, Session = session };
            Guid.TryParse(uuid, out Guid id);
            guest.Uuid = id;
            string xml = string.Join("\n", Section(sections, "xml"));
            if (xml.Trim().Length == 0)
            {
                // Undefined between the listing and the dump: not a guest any more.
                continue;
            }

            try
            {
                DomainXmlReader.Read(XElement.Parse(xml), guest);
            }
            catch (XmlException)
            {
                continue;
            }

            ReadInfo(Section(sections, "info"), guest);
            ReadBlockInfo(Section(sections, "blk"), guest);
            ReadAddresses(Section(sections, "lease").Concat(Section(sections, "arp")).Concat(Section(agents, uuid)), guest);
            guests.Add(guest);
        }

        return guests;
    }

    /// <summary>
    /// Takes the guest agents' block ("@@agents", then "@@agentfor &lt;uuid&gt;" and that guest's addresses,
    /// from a virsh of its own) off the end of the output: the addresses per UUID.
    /// </summary>
    private static Dictionary<string, List<string>> SplitAgents(ref string output)
    {
        var agents = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        output = output.Replace("\r\n", "\n");
        int start = output.StartsWith("@@agents\n", StringComparison.Ordinal) ? 0 : output.IndexOf("\n@@agents\n", StringComparison.Ordinal) + 1;
        if (start <= 0 && !output.StartsWith("@@agents\n", StringComparison.Ordinal))
        {
            return agents;
        }

        List<string>? current = null;
        foreach (string line in output.Substring(start).Split('\n').Skip(1))
        {
            if (line == "@@end")
            {
                break;
            }

            if (line.StartsWith("@@agentfor ", StringComparison.Ordinal))
            {
                agents[line.Substring(11).Trim()] = current = new List<string>();
            }
            else
            {
                current?.Add(line);
            }
        }

        output = output.Substring(0, start) + "@@end\n";
        return agents;
    }

    /// <summary>
    /// Per guest, its sections. Inside the XML a line starting with "@@" (a description, say) is
    /// content, not a header: the XML section ends only at "&lt;/domain&gt;". It starts only at
    /// "&lt;domain": a guest undefined meanwhile has an empty dumpxml, and its "@@xml" must not
    /// swallow the next guest.
    /// </summary>
    internal static IEnumerable<(string Uuid, Dictionary<string, List<string>> Sections)> Split(string output)
    {
        string? uuid = null;
        Dictionary<string, List<string>>? sections = null;
        List<string>? current = null;
        bool inXml = false;
        bool xmlSection = false;
        foreach (string line in output.Replace("\r\n", "\n").Split('\n'))
        {
            if (inXml)
            {
                current!.Add(line);
                inXml = line.Trim() != "</domain>";
                continue;
            }

            if (xmlSection && line.TrimStart().StartsWith("<domain", StringComparison.Ordinal))
            {
                current!.Add(line);
                inXml = line.Trim() != "</domain>";
                xmlSection = false;
                continue;
            }

            if (line.StartsWith("@@guest ", StringComparison.Ordinal) || line == "@@end")
            {
                if (uuid is not null)
                {
                    yield return (uuid, sections!);
                }

                uuid = line == "@@end" ? null : line.Substring(8).Trim();
                xmlSection = false;
                sections = new Dictionary<string, List<string>>(StringComparer.Ordinal);
                current = null;
            }
            else if (sections is not null && line.Length > 2 && line.StartsWith("@@", StringComparison.Ordinal) && line.IndexOf(' ') < 0)
            {
                current = new List<string>();
                sections[line.Substring(2)] = current;
                xmlSection = line == "@@xml";
            }
            else
            {
                current?.Add(line);
            }
        }

        if (uuid is not null)
        {
            yield return (uuid, sections!);
        }
    }

    private static List<string> Section(Dictionary<string, List<string>> sections, string name)
        => sections.TryGetValue(name, out List<string>? lines) ? lines : new List<string>();

    // dominfo: "State:          running", "Id:             2", "Persistent:     yes", "Autostart:      disable"
    private static void ReadInfo(List<string> lines, KvmGuest guest)
    {
        foreach (string line in lines)
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
                case "State":
                    guest.State = ParseState(value);
                    break;
                case "Id":
                    guest.Id = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int id) ? id : null;
                    break;
                case "Persistent":
                    guest.Persistent = value == "yes";
                    break;
                case "Autostart":
                    guest.Autostart = value == "enable";
                    break;
            }
        }
    }

    internal static KvmGuestState ParseState(string virshState) => virshState switch
    {
        "running" => KvmGuestState.Running,
        "idle" or "blocked" => KvmGuestState.Blocked,
        "paused" => KvmGuestState.Paused,
        "in shutdown" => KvmGuestState.ShuttingDown,
        "shut off" => KvmGuestState.ShutOff,
        "crashed" => KvmGuestState.Crashed,
        "pmsuspended" => KvmGuestState.Suspended,
        _ => KvmGuestState.Unknown,
    };

    // domblkinfo --all: " vda      33554432   204800       196616" ("-" for an empty drive).
    private static void ReadBlockInfo(List<string> lines, KvmGuest guest)
    {
        foreach (string line in lines)
        {
            string[] words = line.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
            if (words.Length < 3 || words[0] == "Target")
            {
                continue;
            }

            KvmGuestDisk? disk = guest.Disks.FirstOrDefault(d => d.Target == words[0]);
            if (disk is null)
            {
                continue;
            }

            disk.CapacityBytes = long.TryParse(words[1], NumberStyles.None, CultureInfo.InvariantCulture, out long capacity) ? capacity : -1;
            disk.AllocationBytes = long.TryParse(words[2], NumberStyles.None, CultureInfo.InvariantCulture, out long allocation) ? allocation : -1;
        }
    }

    // domifaddr: " vnet0      52:54:00:2b:0d:c4    ipv4         192.168.122.45/24"; an adapter's
    // second and later addresses follow as " -          -                    ipv6         fe80::1/64".
    private static void ReadAddresses(IEnumerable<string> lines, KvmGuest guest)
    {
        var byMac = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        string? mac = null;
        foreach (string line in lines)
        {
            string[] words = line.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
            if (words.Length < 4 || !words[2].StartsWith("ipv", StringComparison.Ordinal))
            {
                continue;
            }

            mac = words[1] == "-" ? mac : words[1];
            if (mac is null)
            {
                continue;
            }

            string address = words[3].Split('/')[0];
            if (IsLinkLocalOrLoopback(address))
            {
                // The guest agent reports these too; they say nothing about how to reach the guest.
                continue;
            }

            if (!byMac.TryGetValue(mac, out List<string>? list))
            {
                byMac[mac] = list = new List<string>();
            }

            if (!list.Contains(address))
            {
                list.Add(address);
            }
        }

        foreach (KvmGuestNetworkAdapter nic in guest.NetworkAdapters)
        {
            nic.IPAddresses = byMac.TryGetValue(nic.MacAddress, out List<string>? list) ? list.ToArray() : Array.Empty<string>();
        }

        guest.IPAddresses = guest.NetworkAdapters.SelectMany(n => n.IPAddresses).Distinct().ToArray();
    }

    private static bool IsLinkLocalOrLoopback(string address)
        => address.StartsWith("fe80:", StringComparison.OrdinalIgnoreCase) || address.StartsWith("127.", StringComparison.Ordinal) || address == "::1";
}
