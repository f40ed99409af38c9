using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
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

    /// <summary>Storage pools asked about: name -> (directory, state); a pool that does not exist has an empty directory.</summary>
    public Dictionary<string, (string Path, string State)> Pools { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, HostPath> Paths { get; } = new(StringComparer.Ordinal);

    /// <summary>"pool/file" of the volume names asked about that already exist.</summary>
    public HashSet<string> ExistingVolumes { get; } = new(StringComparer.Ordinal);

    /// <summary>OS variant short ids -> osinfo ids (URLs); absent or empty when osinfo-query does not know it.</summary>
    public Dictionary<string, string> OsInfoIds { get; } = new(StringComparer.Ordinal);

    public string PoolPath(string pool) => Pools.TryGetValue(pool, out var p) ? p.Path : "";

    public bool VolumeExists(string pool, string file) => ExistingVolumes.Contains(pool + "/" + file);

    public string OsInfoId(string? variant) => variant is not null && OsInfoIds.TryGetValue(variant, out string? id) ? id : "";

    /// <summary>QEMU firmware descriptors (/usr/share/qemu/firmware): UEFI is available when there are any.</summary>
    public List<string> FirmwareDescriptors { get; } = new();

    /// <summary>The descriptors whose features include "secure-boot".</summary>
    public HashSet<string> SecureBootFirmware { get; } = new(StringComparer.Ordinal);

    public HashSet<string> Tools { get; } = new(StringComparer.Ordinal);

    public static RemoteCommand Command(IEnumerable<string> pools, IEnumerable<string> paths, IEnumerable<(string Pool, string File)> volumes, IEnumerable<string> osVariants)
    {
        var args = new List<string>();
        foreach (string pool in pools.Distinct(StringComparer.Ordinal))
        {
            args.Add("--pool");
            args.Add(pool);
        }

        foreach (string path in paths.Distinct(StringComparer.Ordinal))
        {
            args.Add("--path");
            args.Add(path);
        }

        foreach ((string pool, string file) in volumes.Distinct())
        {
            args.Add("--volume");
            args.Add(pool);
            args.Add(file);
        }

        foreach (string variant in osVariants.Distinct(StringComparer.Ordinal))
        {
            args.Add("--osinfo");
            args.Add(variant);
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
            case "pool" when lines.Count >= 1:
                string path = lines.Skip(1).FirstOrDefault(l => l.StartsWith("path", StringComparison.Ordinal))?.Substring(4).Trim() ?? "";
                string state = lines.Skip(1).FirstOrDefault(l => l.StartsWith("state", StringComparison.Ordinal))?.Substring(5).Trim() ?? "";
                Pools[lines[0]] = (path, state);
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
            case "volume" when lines.Count >= 2 && lines[0].StartsWith("exists ", StringComparison.Ordinal):
                ExistingVolumes.Add(lines[0].Substring(7) + "/" + lines[1]);
                break;
            case "osinfo" when lines.Count >= 1:
                OsInfoIds[lines[0].Trim()] = lines.Count > 1 ? lines[1].Trim() : "";
                break;
            case "firmware":
                foreach (string[] words in lines.Select(l => l.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries))
                    .Where(w => w.Length > 0 && w[0].EndsWith(".json", StringComparison.Ordinal) && !w.Contains("other-arch")))
                {
                    FirmwareDescriptors.Add(words[0]);
                    if (words.Skip(1).Contains("secure-boot"))
                    {
                        SecureBootFirmware.Add(words[0]);
                    }
                }

                break;
            case "tools":
                Tools.UnionWith(lines.Select(l => l.Trim()));
                break;
        }
    }

    // qemu-img 8.0+ prints "children" (the protocol node, format "file", the file's byte size)
    // before the image's own fields, so only keys of the outermost object count. A depth-aware
    // scan avoids a JSON dependency in the netstandard2.0 core.
    internal static long JsonNumber(string json, string key)
    {
        string? raw = TopLevelValue(json, key);
        return raw is not null && long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out long value) ? value : -1;
    }

    internal static string JsonString(string json, string key)
    {
        string? raw = TopLevelValue(json, key);
        return raw is not null && raw.Length >= 2 && raw[0] == '"' ? raw.Substring(1, raw.Length - 2) : "";
    }

    /// <summary>The raw text of a scalar value of the outermost object's <paramref name="key"/>, null when absent.</summary>
    internal static string? TopLevelValue(string json, string key)
    {
        int depth = 0;
        for (int i = 0; i < json.Length; i++)
        {
            char c = json[i];
            if (c == '"')
            {
                int close = StringEnd(json, i);
                if (depth == 1 && string.CompareOrdinal(json, i + 1, key, 0, key.Length) == 0 && close == i + 1 + key.Length)
                {
                    int colon = SkipSpace(json, close + 1);
                    if (colon < json.Length && json[colon] == ':')
                    {
                        int start = SkipSpace(json, colon + 1);
                        int end = start < json.Length && json[start] == '"' ? StringEnd(json, start) + 1 : ScalarEnd(json, start);
                        return json.Substring(start, end - start);
                    }
                }

                i = close;
            }
            else if (c == '{' || c == '[')
            {
                depth++;
            }
            else if (c == '}' || c == ']')
            {
                depth--;
            }
        }

        return null;
    }

    private static int StringEnd(string json, int open)
    {
        int i = open + 1;
        while (i < json.Length && json[i] != '"')
        {
            i += json[i] == '\\' ? 2 : 1;
        }

        return Math.Min(i, json.Length - 1);
    }

    private static int SkipSpace(string json, int i)
    {
        while (i < json.Length && char.IsWhiteSpace(json[i]))
        {
            i++;
        }

        return i;
    }

    private static int ScalarEnd(string json, int i)
    {
        while (i < json.Length && json[i] != ',' && json[i] != '}' && json[i] != ']' && !char.IsWhiteSpace(json[i]))
        {
            i++;
        }

        return i;
    }
}
