using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using KvmPS.Guests;

namespace KvmPS.Migration;

/// <summary>A disk of the guest as the source sees it (virsh domblklist --details, qemu-img info).</summary>
internal sealed class MigrationDisk
{
    /// <summary>file, block, network, volume.</summary>
    public string Type { get; set; } = "";

    /// <summary>disk, cdrom, floppy.</summary>
    public string Device { get; set; } = "";

    public string Target { get; set; } = "";

    /// <summary>The path (or "-" for an empty CD-ROM drive).</summary>
    public string Source { get; set; } = "";

    public string Format { get; set; } = "";

    public long VirtualSize { get; set; }

    /// <summary>Bytes the image takes on its filesystem (what a copy writes at least).</summary>
    public long ActualSize { get; set; }

    public string Backing { get; set; } = "";
}

/// <summary>migration-source.sh's output: the guest on the source, and how the source reaches the destination.</summary>
internal sealed class MigrationSourceFacts
{
    public string State { get; set; } = "";

    public bool Persistent { get; set; }

    /// <summary>virsh dumpxml --migratable; empty when the guest was not found.</summary>
    public string Xml { get; set; } = "";

    public List<MigrationDisk> Disks { get; } = new();

    /// <summary>The destination's addresses as the source resolves them; empty when it cannot.</summary>
    public List<string> Resolved { get; } = new();

    /// <summary>Port to open, refused (reachable, nothing listens), filtered (no answer) or untested.</summary>
    public Dictionary<int, string> Ports { get; } = new();

    /// <summary>ssh -o BatchMode=yes from the source to the destination's libvirt: 0 when it works; -1 when not reported.</summary>
    public int TrustExitCode { get; set; } = -1;

    public string TrustOutput { get; set; } = "";

    public string LibvirtVersion { get; set; } = "";

    /// <summary>Directories of the guest's disks where the marker was written (true) or could not be (false).</summary>
    public Dictionary<string, bool> Markers { get; } = new(StringComparer.Ordinal);

    public bool Complete { get; set; }

    public static MigrationSourceFacts Parse(string output)
    {
        var facts = new MigrationSourceFacts();
        string section = "";
        var xml = new List<string>();
        var image = new List<string>();
        string imageTarget = "";
        var trust = new List<string>();
        void FlushImage()
        {
            if (imageTarget.Length > 0)
            {
                ReadImage(facts.Disks.FirstOrDefault(d => d.Target == imageTarget), string.Join("\n", image));
            }

            image.Clear();
            imageTarget = "";
        }

        foreach (string raw in (output ?? "").Replace("\r\n", "\n").Split('\n'))
        {
            if (raw.StartsWith("== ", StringComparison.Ordinal))
            {
                FlushImage();
                section = raw.Substring(3).Trim();
                if (section.StartsWith("image ", StringComparison.Ordinal))
                {
                    imageTarget = section.Substring(6);
                    section = "image";
                }

                facts.Complete |= section == "end";
                continue;
            }

            string line = raw.Trim();
            switch (section)
            {
                case "state" when line.Length > 0 && facts.State.Length == 0:
                    facts.State = line.StartsWith("error:", StringComparison.Ordinal) ? "" : line;
                    break;
                case "persistent" when line.Length > 0:
                    facts.Persistent = line == "yes";
                    break;
                case "xml":
                    xml.Add(raw);
                    break;
                case "xml64" when line.Length > 0:
                    try
                    {
                        xml.Add(System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(line)));
                    }
                    catch (FormatException)
                    {
                        // Left empty: the guest is then reported as unreadable.
                    }

                    break;
                case "disks":
                    string[] f = line.Split(new[] { ' ', '\t' }, 4, StringSplitOptions.RemoveEmptyEntries);
                    if (f.Length == 4)
                    {
                        facts.Disks.Add(new MigrationDisk { Type = f[0], Device = f[1], Target = f[2], Source = f[3].Trim() });
                    }

                    break;
                case "image":
                    image.Add(raw);
                    break;
                case "resolve" when line.Length > 0:
                    facts.Resolved.Add(line);
                    break;
                case "trust" when line.StartsWith("rc ", StringComparison.Ordinal) && facts.TrustExitCode < 0:
                    facts.TrustExitCode = int.TryParse(line.Substring(3), NumberStyles.Integer, CultureInfo.InvariantCulture, out int rc) ? rc : -1;
                    break;
                case "trust" when line.Length > 0:
                    trust.Add(line);
                    break;
                case "markers" when line.StartsWith("marker ok ", StringComparison.Ordinal):
                    facts.Markers[raw.Substring(10)] = true;
                    break;
                case "markers" when line.StartsWith("marker failed ", StringComparison.Ordinal):
                    facts.Markers[raw.Substring(14)] = false;
                    break;
                case "version" when line.Length > 0:
                    facts.LibvirtVersion = line;
                    break;
                case "ports":
                    {
                        string[] p = line.Split(' ');
                        if (p.Length == 3 && int.TryParse(p[1], NumberStyles.None, CultureInfo.InvariantCulture, out int port))
                        {
                            facts.Ports[port] = p[2];
                        }
                    }

                    break;
            }
        }

        FlushImage();
        facts.Xml = string.Join("\n", xml).Trim();
        facts.TrustOutput = string.Join("\n", trust);
        return facts;
    }

    private static void ReadImage(MigrationDisk? disk, string json)
    {
        if (disk is null || json.Trim().Length == 0)
        {
            return;
        }

        // qemu-img's JSON read as the guest cmdlets read it (no JSON library on .NET Framework).
        disk.Format = HostGuestContext.JsonString(json, "format");
        disk.VirtualSize = Math.Max(0, HostGuestContext.JsonNumber(json, "virtual-size"));
        disk.ActualSize = Math.Max(0, HostGuestContext.JsonNumber(json, "actual-size"));
        string full = HostGuestContext.JsonString(json, "full-backing-filename");
        disk.Backing = full.Length > 0 ? full : HostGuestContext.JsonString(json, "backing-filename");
    }
}
