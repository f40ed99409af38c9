using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace KvmPS.Networking;

/// <summary>The configuration side of the probe: resolv.conf, NetworkManager, network-scripts files, tools, release.</summary>
internal static partial class NetworkFactsParser
{
    private const string DefaultConnectionFields = "NAME,UUID,TYPE,DEVICE,FILENAME";

    private static void ParseConfigSection(NetworkFacts facts, Section section)
    {
        switch (section.Name)
        {
            case "resolv":
                ParseResolv(facts, section.Lines);
                break;
            case "nm":
                facts.NetworkManagerRunning = section.Lines.FirstOrDefault()?.Trim() == "running";
                break;
            case "nmdevices":
                ParseNmDevices(facts, section.Lines);
                break;
            case "nmconnections":
                ParseNmConnections(facts, section.Args.Length > 0 ? section.Args : DefaultConnectionFields, section.Lines);
                break;
            case "nmprofiles":
                ParseNmProfiles(facts, "", section.Lines);
                break;
            case "nmprofile":
                ParseNmProfiles(facts, section.Args, section.Lines);
                break;
            case "ifcfg":
            {
                (string name, string text) = FileSection(section);
                if (name.Length > 0)
                {
                    facts.IfcfgText[name] = text;
                    facts.IfcfgFiles[name] = ShellAssignments(text);
                }

                break;
            }

            case "routefile":
            {
                (string name, string text) = FileSection(section);
                if (name.Length > 0)
                {
                    facts.RouteFiles[name] = text;
                }

                break;
            }

            case "network":
            {
                string text = FileSection(section).Text;
                facts.SysconfigNetworkText = text;
                foreach (KeyValuePair<string, string> pair in ShellAssignments(text))
                {
                    facts.SysconfigNetwork[pair.Key] = pair.Value;
                }

                break;
            }

            case "tools":
                facts.Tools.UnionWith(section.Lines.Select(l => Words(l)[0]));
                break;
            case "netservice":
                facts.HasNetworkService = section.Lines.Any(l => l.Trim().StartsWith("/", StringComparison.Ordinal));
                break;
            case "release":
                facts.RedHatRelease = section.Lines.FirstOrDefault()?.Trim() ?? "";
                facts.RhelMajor = RhelMajor(facts.RedHatRelease);
                break;
            case "end":
                facts.ProbeComplete = true;
                break;
        }
    }

    /// <summary>
    /// "Red Hat Enterprise Linux Server release 5.11 (Tikanga)", "CentOS Linux release 7.9.2009 (Core)",
    /// "Rocky Linux release 8.10 (Green Obsidian)", "CentOS Stream release 9". Fedora also has the file,
    /// but its numbers are not RHEL's.
    /// </summary>
    internal static int RhelMajor(string release)
    {
        if (release.StartsWith("Fedora", StringComparison.OrdinalIgnoreCase))
        {
            return 0;
        }

        Match m = Regex.Match(release, @"\brelease\s+(\d{1,3})\b", RegexOptions.CultureInvariant);
        return m.Success ? Int(m.Groups[1].Value) : 0;
    }

    /// <summary>
    /// A file printed by rawfile(): its header is "== ifcfg eth0", or "== ifcfg eth0 noeol" when the file
    /// did not end in a newline and the probe added one. The blank line before the next header is the
    /// probe's, not the file's.
    /// </summary>
    private static (string Name, string Text) FileSection(Section section)
    {
        string name = section.Args;
        bool noEol = false;
        if (name == "noeol" || name.EndsWith(" noeol", StringComparison.Ordinal))
        {
            noEol = true;
            name = name.Substring(0, name.Length - "noeol".Length).TrimEnd();
        }

        string text = string.Join("\n", section.Raw);
        if (noEol && text.EndsWith("\n", StringComparison.Ordinal))
        {
            text = text.Substring(0, text.Length - 1);
        }

        return (name, text);
    }

    private static void ParseResolv(NetworkFacts facts, IEnumerable<string> lines)
    {
        foreach (string line in lines)
        {
            string[] words = Words(line);
            if (words.Length < 2)
            {
                continue;
            }

            switch (words[0])
            {
                case "nameserver":
                    facts.DnsServers.Add(words[1]);
                    break;
                // The resolver keeps the last search or domain line only.
                case "search":
                case "domain":
                    facts.DnsSearch.Clear();
                    facts.DnsSearch.AddRange(words.Skip(1).TakeWhile(w => !w.StartsWith("#", StringComparison.Ordinal) && !w.StartsWith(";", StringComparison.Ordinal)));
                    break;
            }
        }
    }

    /// <summary>"eth0:connected", "lo:connected (externally)", "virbr0:unmanaged".</summary>
    private static void ParseNmDevices(NetworkFacts facts, IEnumerable<string> lines)
    {
        foreach (string line in lines)
        {
            List<string> fields = TerseFields(line);
            if (fields.Count < 2 || fields[0].Length == 0)
            {
                continue;
            }

            facts.NmDeviceStates[fields[0]] = fields[1];
            if (fields[1].StartsWith("unmanaged", StringComparison.Ordinal))
            {
                facts.NmManagedDevices.Remove(fields[0]);
            }
            else
            {
                facts.NmManagedDevices.Add(fields[0]);
            }
        }
    }

    /// <summary>`nmcli -t -f NAME,UUID,TYPE,DEVICE,FILENAME connection show`, the fields as the header names them.</summary>
    private static void ParseNmConnections(NetworkFacts facts, string fieldList, IEnumerable<string> lines)
    {
        string[] names = fieldList.Split(',').Select(f => f.Trim()).ToArray();
        foreach (string line in lines)
        {
            List<string> fields = TerseFields(line);
            string Field(string name)
            {
                int i = Array.IndexOf(names, name);
                return i >= 0 && i < fields.Count ? fields[i] : "";
            }

            string uuid = Field("UUID");
            if (uuid.Length == 0)
            {
                continue;
            }

            NmProfile profile = Profile(facts, uuid);
            profile.Name = Field("NAME");
            profile.Type = Field("TYPE");
            profile.ActiveDevice = NmValue(Field("DEVICE"));
            profile.FileName = Field("FILENAME");
        }
    }

    /// <summary>
    /// Profile details as "setting.property:value" lines: one block per profile, each starting with its
    /// connection.uuid line, or one section per profile (<paramref name="uuid"/> from its header).
    /// </summary>
    private static void ParseNmProfiles(NetworkFacts facts, string uuid, IEnumerable<string> lines)
    {
        NmProfile? profile = uuid.Length > 0 ? Profile(facts, uuid) : null;
        foreach (string line in lines)
        {
            int colon = line.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }

            string key = line.Substring(0, colon).Trim();
            // Details are not escaped by the nmcli versions seen so far, but unescaping is harmless
            // where no backslash can occur (addresses, methods) and right where a version does escape.
            string value = NmValue(Unescape(line.Substring(colon + 1)).Trim());
            if (key == "connection.uuid")
            {
                profile = value.Length > 0 ? Profile(facts, value) : null;
                continue;
            }

            if (profile is not null)
            {
                ApplyProperty(profile, key, value);
            }
        }
    }

    private static void ApplyProperty(NmProfile profile, string key, string value)
    {
        switch (key)
        {
            case "connection.id" when profile.Name.Length == 0:
                profile.Name = value;
                break;
            case "connection.type" when profile.Type.Length == 0:
                profile.Type = value;
                break;
            case "connection.interface-name":
                profile.InterfaceName = value;
                break;
            case "connection.master":
            case "connection.controller":
                profile.Master = value.Length > 0 ? value : profile.Master;
                break;
            case "connection.slave-type":
            case "connection.port-type":
                profile.SlaveType = value.Length > 0 ? value : profile.SlaveType;
                break;
            case "connection.autoconnect":
                profile.Autoconnect = value != "no" && value != "false";
                break;
            case "ipv4.method":
                profile.Ipv4Method = value;
                break;
            case "ipv6.method":
                profile.Ipv6Method = value;
                break;
            case "ipv4.addresses":
            case "ipv6.addresses":
            {
                bool v6 = key[3] == '6';
                AddAddresses(v6 ? profile.Ipv6Addresses : profile.Ipv4Addresses, value, gateway => SetGateway(profile, v6, gateway, false));
                break;
            }

            case "ipv4.gateway":
            case "ipv6.gateway":
                SetGateway(profile, key[3] == '6', value, true);
                break;
            case "ipv4.dns":
                profile.Ipv4Dns.Clear();
                profile.Ipv4Dns.AddRange(List(value));
                break;
            case "ipv4.dns-search":
                profile.Ipv4DnsSearch = string.Join(",", List(value));
                break;
        }
    }

    /// <summary>ipv4.gateway wins over a gateway inside NM 0.9.9's addresses, whichever line comes first.</summary>
    private static void SetGateway(NmProfile profile, bool v6, string gateway, bool property)
    {
        string current = v6 ? profile.Ipv6Gateway : profile.Ipv4Gateway;
        if (gateway.Length == 0 || (!property && current.Length > 0))
        {
            return;
        }

        if (v6)
        {
            profile.Ipv6Gateway = gateway;
        }
        else
        {
            profile.Ipv4Gateway = gateway;
        }
    }

    /// <summary>
    /// "192.0.2.10/24, 198.51.100.7/25" (NM 1.x), or NM 0.9.9's "{ ip = 192.0.2.10/24, gw = 192.0.2.1 }"
    /// (RHEL 7.0), whose gateway belongs to the profile.
    /// </summary>
    private static void AddAddresses(List<string> target, string value, Action<string> gateway)
    {
        target.Clear();
        if (value.Contains("ip ="))
        {
            foreach (Match m in Regex.Matches(value, @"ip = (?<ip>[^,;}\s]+)(?:, gw = (?<gw>[^,;}\s]+))?", RegexOptions.CultureInvariant))
            {
                target.Add(m.Groups["ip"].Value);
                if (m.Groups["gw"].Success && m.Groups["gw"].Value is not ("0.0.0.0" or "::"))
                {
                    gateway(m.Groups["gw"].Value);
                }
            }

            return;
        }

        target.AddRange(List(value));
    }

    private static IEnumerable<string> List(string value) => value.Split(',').Select(v => v.Trim()).Where(v => v.Length > 0 && v != "--");

    /// <summary>Non-terse nmcli and some versions print "--" for nothing.</summary>
    private static string NmValue(string value) => value == "--" ? "" : value;

    private static NmProfile Profile(NetworkFacts facts, string uuid)
    {
        NmProfile? profile = facts.NmProfiles.FirstOrDefault(p => p.Uuid == uuid);
        if (profile is null)
        {
            profile = new NmProfile { Uuid = uuid };
            facts.NmProfiles.Add(profile);
        }

        return profile;
    }

    /// <summary>A terse (-t) nmcli row: fields split at unescaped ':', then "\:" and "\\" unescaped.</summary>
    internal static List<string> TerseFields(string line)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (c == '\\' && i + 1 < line.Length)
            {
                field.Append(line[++i]);
            }
            else if (c == ':')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        fields.Add(field.ToString());
        return fields;
    }

    private static string Unescape(string text)
    {
        var result = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is ':' or '\\')
            {
                i++;
            }

            result.Append(text[i]);
        }

        return result.ToString();
    }

    /// <summary>
    /// KEY=value lines as the shell that sources ifcfg files reads them: quotes removed (single
    /// literal, double with \" \\ \$ \` escapes), a trailing "# comment" dropped, comments and
    /// anything that is not an assignment ignored. The last assignment of a key wins, as in the shell.
    /// </summary>
    internal static Dictionary<string, string> ShellAssignments(string text)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r').Trim();
            if (line.StartsWith("export ", StringComparison.Ordinal))
            {
                line = line.Substring("export ".Length).TrimStart();
            }

            Match m = Regex.Match(line, @"^(?<key>[A-Za-z_][A-Za-z0-9_]*)=(?<value>.*)$", RegexOptions.CultureInvariant);
            if (m.Success)
            {
                values[m.Groups["key"].Value] = ShellWord(m.Groups["value"].Value);
            }
        }

        return values;
    }

    private static string ShellWord(string text)
    {
        var word = new StringBuilder();
        int i = 0;
        while (i < text.Length && !char.IsWhiteSpace(text[i]))
        {
            char c = text[i++];
            if (c == '\'')
            {
                int end = text.IndexOf('\'', i);
                end = end < 0 ? text.Length : end;
                word.Append(text, i, end - i);
                i = end + 1;
            }
            else if (c == '"')
            {
                while (i < text.Length && text[i] != '"')
                {
                    if (text[i] == '\\' && i + 1 < text.Length && "\"\\$`".IndexOf(text[i + 1]) >= 0)
                    {
                        i++;
                    }

                    word.Append(text[i++]);
                }

                i++;
            }
            else if (c == '\\' && i < text.Length)
            {
                word.Append(text[i++]);
            }
            else
            {
                word.Append(c);
            }
        }

        return word.ToString();
    }
}
