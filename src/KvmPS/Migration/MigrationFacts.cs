using System;
using System.Collections.Generic;
using System.Linq;

namespace KvmPS.Migration;

/// <summary>Everything the pre-flight learnt about one guest and one destination.</summary>
internal sealed class MigrationFacts
{
    public MigrationFacts(string source, string destination, MigrationSourceFacts sourceFacts, MigrationDefinition definition, MigrationDestinationFacts destinationFacts)
    {
        Source = source;
        Destination = destination;
        SourceFacts = sourceFacts;
        Definition = definition;
        DestinationFacts = destinationFacts;
    }

    public string Source { get; }

    public string Destination { get; }

    /// <summary>The destination's address as the source uses it (SSH, libvirt's URI).</summary>
    public string DestinationAddress { get; set; } = "";

    /// <summary>The address the guest's memory and disks go to (-MigrationAddress, else the destination's).</summary>
    public string DataAddress { get; set; } = "";

    public int SshPort { get; set; } = 22;

    /// <summary>Who runs the source's commands (root, or the session's unelevated user): that user's SSH trust carries the move.</summary>
    public string SourceUser { get; set; } = "root";

    public MigrationSourceFacts SourceFacts { get; }

    public MigrationDefinition Definition { get; }

    public MigrationDestinationFacts DestinationFacts { get; }

    /// <summary>Live unless the guest is stopped or -Offline was asked for.</summary>
    public bool Live { get; set; } = true;

    public bool IncludeStorage { get; set; }

    public KvmMigrationTrustMode TrustMode { get; set; } = KvmMigrationTrustMode.Existing;

    /// <summary>The guest's disks the destination does not see (they are copied, or must be): target → disk.</summary>
    public IReadOnlyList<MigrationDisk> LocalDisks() => SourceFacts.Disks
        .Where(d => d.Type == "file" && d.Source is { Length: > 0 } and not "-" && !IsShared(d.Source))
        .ToList();

    /// <summary>The paths of read-only and shareable disks: never copied (libvirt leaves them out of a storage copy).</summary>
    public HashSet<string> NeverCopied() => new(Definition.Disks.Where(d => d.ReadOnly || d.Shareable).Select(d => d.Path), StringComparer.Ordinal);

    /// <summary>The disks -IncludeStorage copies: not shared, not read-only; none for an offline move or without it.</summary>
    public IReadOnlyList<MigrationDisk> CopiedDisks()
    {
        HashSet<string> never = NeverCopied();
        return Live && IncludeStorage ? LocalDisks().Where(d => !never.Contains(d.Source)).ToList() : new List<MigrationDisk>();
    }

    /// <summary>True when the source's marker beside the disk was seen on the destination.</summary>
    public bool IsShared(string path)
    {
        string dir = Directory(path);
        return SourceFacts.Markers.TryGetValue(dir, out bool written) && written && DestinationFacts.State("dir", dir) == "shared";
    }

    public static string Directory(string path)
    {
        int slash = path.TrimEnd('/').LastIndexOf('/');
        return slash <= 0 ? "/" : path.Substring(0, slash);
    }
}
