using System;
using System.Collections.Generic;

namespace KvmPS.Migration;

/// <summary>Move-KvmGuest's options for one guest, parameters already bound.</summary>
internal sealed class MigrationOptions
{
    public bool IncludeStorage { get; set; }

    public bool Offline { get; set; }

    public bool Temporary { get; set; }

    public bool RemoveSourceStorage { get; set; }

    /// <summary>MiB/s; 0: no limit.</summary>
    public int BandwidthMiBps { get; set; }

    /// <summary>Milliseconds; 0: libvirt's default (300 ms).</summary>
    public int MaxDowntimeMs { get; set; }

    public bool AutoConverge { get; set; }

    public bool PostCopy { get; set; }

    public bool Compressed { get; set; }

    /// <summary>Zero: none.</summary>
    public TimeSpan Timeout { get; set; }

    /// <summary>Null: not given (Abort when -Timeout is).</summary>
    public KvmMigrationTimeoutAction? TimeoutAction { get; set; }

    /// <summary>The destination's address on the migration (data) network; empty: its address as the source reaches it.</summary>
    public string MigrationAddress { get; set; } = "";

    public KvmMigrationTrustMode TrustMode { get; set; } = KvmMigrationTrustMode.Existing;
}

/// <summary>The guest as pre-flight found it on the source: what decides how it can move.</summary>
internal sealed class MigrationGuest
{
    public string Name { get; set; } = "";

    /// <summary>running, paused, shut off...</summary>
    public string State { get; set; } = "";

    public bool Persistent { get; set; } = true;

    /// <summary>The disks (targets) -IncludeStorage copies: the ones the destination does not share; null when not known.</summary>
    public IReadOnlyList<string>? CopyTargets { get; set; }

    /// <summary>
    /// Some disk stays where it is because the pre-flight saw the destination read the same file, and
    /// found it uncached: libvirt cannot tell every shared filesystem from a local one (it refuses
    /// them as unsafe), so this move says --unsafe for them.
    /// </summary>
    public bool SharedStorageVerified { get; set; }

    /// <summary>Anything but shut off (libvirt moves an active guest offline without stopping it: never do that).</summary>
    public bool IsActive => State != "shut off";
}

/// <summary>A move, ready to run on the source: virsh migrate's argv, and what runs beside it.</summary>
internal sealed class MigrationPlan
{
    public MigrationPlan(string mode, IReadOnlyList<string> migrate, string destinationUri, string migrationUri)
    {
        Mode = mode;
        Migrate = migrate;
        DestinationUri = destinationUri;
        MigrationUri = migrationUri;
    }

    /// <summary>Live, Offline or Live+PostCopy (what KvmMigrationResult.Mode says).</summary>
    public string Mode { get; }

    /// <summary>virsh's argv on the source.</summary>
    public IReadOnlyList<string> Migrate { get; }

    public string DestinationUri { get; }

    /// <summary>tcp://address for the data; empty for an offline move (no data moves).</summary>
    public string MigrationUri { get; }

    /// <summary>virsh migrate-setmaxdowntime, sent once the job runs; null without -MaxDowntime.</summary>
    public IReadOnlyList<string>? SetMaxDowntime { get; set; }

    /// <summary>KvmPS itself aborts the job after this long (-TimeoutAction Abort); zero: never.</summary>
    public TimeSpan AbortAfter { get; set; }

    /// <summary>Disks to make on the destination first (-IncludeStorage): path, format, virtual size in bytes.</summary>
    public List<(string Path, string Format, long Bytes)> DestinationDisks { get; } = new();

    public List<string> Warnings { get; } = new();
}
