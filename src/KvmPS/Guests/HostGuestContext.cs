using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using KvmPS.Transport;

namespace KvmPS.Guests;

/// <summary>A host path New-KvmGuest was given, as the host sees it.</summary>
internal sealed class HostPath
{
    public string Path { get; set; } = "";

    public bool Exists { get; set; }

    /// <summary>qemu-img's virtual size for disk images; -1 when not an image or unknown.</summary>
    public long VirtualSize { get; set; } = -1;

    /// <summary>qemu-img's format (qcow2, raw), empty when unknown.</summary>
    public string Format { get; set; } = "";
}

/// <summary>
/// What a host offers new guests (Scripts/guest-prerequisites.sh): networks, bridges, the storage
/// pool's directory, the paths and volume names asked about, UEFI firmware and seed-ISO tools.
/// </summary>
internal sealed class HostGuestContext
{
    public List<string> Networks { get; } = new();

    public List<string> ActiveNetworks { get; } = new();

    public List<string> Bridges { get; } = new();

    /// <summary>The pool's directory; empty when the pool does not exist (yet).</summary>
    public string PoolPath { get; set; } = "";

    public Dictionary<string, HostPath> Paths { get; } = new(StringComparer.Ordinal);

    /// <summary>File names already present in the pool directory (of those asked about).</summary>
    public HashSet<string> ExistingVolumes { get; } = new(StringComparer.Ordinal);

    /// <summary>The osinfo id (a URL) for the requested OS variant, when osinfo-query knows it.</summary>
    public string OsInfoId { get; set; } = "";

    /// <summary>QEMU firmware descriptors (/usr/share/qemu/firmware): UEFI is available when there are any.</summary>
    public List<string> FirmwareDescriptors { get; } = new();

    public HashSet<string> Tools { get; } = new(StringComparer.Ordinal);

    public static RemoteCommand Command(string pool, IEnumerable<string> paths, IEnumerable<string> volumes, string? osVariant)
    {
        var args = new List<string> { pool };
        foreach (string path in paths.Distinct(StringComparer.Ordinal))
        {
            args.Add("--path");
            args.Add(path);
        }

        foreach (string volume in volumes.Distinct(StringComparer.Ordinal))
        {
            args.Add("--volume");
            args.Add(volume);
        }

        if (!string.IsNullOrEmpty(osVariant))
        {
            args.Add("--osinfo");
            args.Add(osVariant!);
        }

        return RemoteCommand.Script("guest-prerequisites.sh", args.ToArray());
    }

    public static HostGuestContext Parse(string output)
    {
        var context = new HostGuestContext();
        string? section = null;
        var lines = new List<string>();
        void Flush()
        {
            if (section is not null)
            {
                context.Apply(section, lines);
            }

            lines = new List<string>();
        }

        foreach (string line in output.Replace("\r\n", "\n").Split('\n'))
        {
            if (line.StartsWith("@@", StringComparison.Ordinal))
            {
                Flush();
                section = line.Substring(2).Trim();
            }
            else if (line.Length > 0)
            {
                lines.Add(line);
            }
        }

        Flush();
        return context;
    }

    private void Apply(string section, List<string> lines)
    {
        switch (section)
        {
            case "networks":
                Networks.AddRange(lines.Select(l => l.Trim()).Where(l => l.Length > 0));
                break;
            case "active-networks":
                ActiveNetworks.AddRange(lines.Select(l => l.Trim()).Where(l => l.Length > 0));
                break;
            case "bridges":
                Bridges.AddRange(lines.Select(l => l.Trim()).Where(l => l.Length > 0));
                break;
            case "pool":
                PoolPath = lines.FirstOrDefault()?.Trim() ?? "";
                break;
            case "path" when lines.Count >= 2:
                string json = string.Join("\n", lines.Skip(2));
                Paths[lines[1]] = new HostPath
                {
                    Path = lines[1],
                    Exists = lines[0] == "exists",
                    VirtualSize = JsonNumber(json, "virtual-size"),
                    Format = JsonString(json, "format"),
                };
                break;
            case "volume":
                foreach (string line in lines.Where(l => l.StartsWith("exists ", StringComparison.Ordinal)))
                {
                    ExistingVolumes.Add(line.Substring(7));
                }

                break;
            case "osinfo":
                OsInfoId = lines.FirstOrDefault()?.Trim() ?? "";
                break;
            case "firmware":
                FirmwareDescriptors.AddRange(lines.Select(l => l.Trim()).Where(l => l.EndsWith(".json", StringComparison.Ordinal)));
                break;
            case "tools":
                Tools.UnionWith(lines.Select(l => l.Trim()));
                break;
        }
    }

    // qemu-img's JSON is flat for the two fields needed; a regex avoids a JSON dependency here.
    private static long JsonNumber(string json, string key)
    {
        Match m = Regex.Match(json, "\"" + Regex.Escape(key) + "\"\\s*:\\s*(\\d+)", RegexOptions.CultureInvariant);
        return m.Success ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
    }

    private static string JsonString(string json, string key)
    {
        Match m = Regex.Match(json, "\"" + Regex.Escape(key) + "\"\\s*:\\s*\"([^\"]*)\"", RegexOptions.CultureInvariant);
        return m.Success ? m.Groups[1].Value : "";
    }
}
