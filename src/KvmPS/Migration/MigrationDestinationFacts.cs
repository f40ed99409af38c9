using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using KvmPS.Transport;

namespace KvmPS.Migration;

/// <summary>migration-destination.sh's output: whether the destination can take the guest.</summary>
internal sealed class MigrationDestinationFacts
{
    public string LibvirtVersion { get; set; } = "";

    /// <summary>The state of the destination's guest of the same name; empty when there is none.</summary>
    public string NameTakenState { get; set; } = "";

    /// <summary>The destination's guest with the same UUID; empty when there is none.</summary>
    public string UuidTakenBy { get; set; } = "";

    /// <summary>hypervisor-cpu-compare's verdict; -1 when it did not run (no &lt;cpu&gt;).</summary>
    public int CpuExitCode { get; set; } = -1;

    public string CpuOutput { get; set; } = "";

    public int MachineExitCode { get; set; } = -1;

    public string MachineError { get; set; } = "";

    /// <summary>kind → value → state (net active|inactive|missing, bridge, loader present|missing, dir shared|local).</summary>
    public Dictionary<string, Dictionary<string, string>> Items { get; } = new(StringComparer.Ordinal);

    /// <summary>disk path → (exists, free KiB in the nearest directory).</summary>
    public Dictionary<string, (bool Exists, long FreeKiB)> Disks { get; } = new(StringComparer.Ordinal);

    public long MemAvailableKiB { get; set; } = -1;

    public bool Complete { get; set; }

    public string State(string kind, string value)
        => Items.TryGetValue(kind, out var states) && states.TryGetValue(value, out string? state) ? state : "";

    /// <summary>The probe for <paramref name="definition"/>; <paramref name="marker"/> is the file the source left beside its disks.</summary>
    public static RemoteCommand Probe(MigrationDefinition definition, string marker, IEnumerable<string> markerDirectories)
    {
        var args = new List<string>
        {
            definition.Name, definition.Uuid == Guid.Empty ? "" : definition.Uuid.ToString(), definition.VirtType, definition.Arch, definition.Machine,
            definition.CpuMode == "host-passthrough" ? "" : definition.CpuXml, marker,
        };
        args.AddRange(definition.Networks.Select(n => "net:" + n));
        args.AddRange(definition.Bridges.Select(b => "bridge:" + b));
        args.AddRange(definition.FirmwareFiles.Select(f => "loader:" + f));
        args.AddRange(definition.Disks.Select(d => "disk:" + d.Path));
        args.AddRange(markerDirectories.Select(d => "dir:" + d));
        return RemoteCommand.Script("migration-destination.sh", args.ToArray());
    }

    public static MigrationDestinationFacts Parse(string output)
    {
        var facts = new MigrationDestinationFacts();
        string section = "";
        var cpu = new List<string>();
        var machine = new List<string>();
        foreach (string raw in (output ?? "").Replace("\r\n", "\n").Split('\n'))
        {
            if (raw.StartsWith("== ", StringComparison.Ordinal))
            {
                section = raw.Substring(3).Trim();
                facts.Complete |= section == "end";
                continue;
            }

            string line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }

            switch (section)
            {
                case "version":
                    facts.LibvirtVersion = line;
                    break;
                case "name" when line.StartsWith("name ", StringComparison.Ordinal):
                    facts.NameTakenState = line.Substring(5);
                    break;
                case "name" when line.StartsWith("uuid ", StringComparison.Ordinal):
                    facts.UuidTakenBy = line.Substring(5);
                    break;
                case "cpu" when line.StartsWith("rc ", StringComparison.Ordinal):
                    facts.CpuExitCode = Number(line.Substring(3));
                    break;
                case "cpu":
                    cpu.Add(line);
                    break;
                case "machine" when line.StartsWith("rc ", StringComparison.Ordinal) && facts.MachineExitCode < 0:
                    facts.MachineExitCode = Number(line.Substring(3));
                    break;
                case "machine":
                    machine.Add(line);
                    break;
                case "items":
                    ReadItem(facts, raw);
                    break;
                case "memory":
                    facts.MemAvailableKiB = Long(line);
                    break;
            }
        }

        facts.CpuOutput = string.Join("\n", cpu);
        facts.MachineError = string.Join("\n", machine);
        return facts;
    }

    private static void ReadItem(MigrationDestinationFacts facts, string raw)
    {
        // "<kind> <state> <value>", "disk <exists|free> <KiB> <path>": the value is the rest of the line.
        string[] f = raw.Split(new[] { ' ' }, raw.StartsWith("disk ", StringComparison.Ordinal) ? 4 : 3);
        if (f.Length < 3)
        {
            return;
        }

        if (f[0] == "disk" && f.Length == 4)
        {
            facts.Disks[f[3]] = (f[1] == "exists", Long(f[2]));
            return;
        }

        if (!facts.Items.TryGetValue(f[0], out var states))
        {
            facts.Items[f[0]] = states = new Dictionary<string, string>(StringComparer.Ordinal);
        }

        states[f[2]] = f[1];
    }

    private static int Number(string text) => (int)Math.Max(int.MinValue, Math.Min(int.MaxValue, Long(text)));

    private static long Long(string text) => long.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) ? n : -1;
}
