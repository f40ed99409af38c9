using System;

namespace KvmPS;

/// <summary>One guest moved by Move-KvmGuest -PassThru.</summary>
public sealed class KvmMigrationResult
{
    /// <summary>The guest's name.</summary>
    public string Name { get; set; } = "";

    /// <summary>The source host, as its session names it.</summary>
    public string ComputerName { get; set; } = "";

    /// <summary>The destination host, as its session names it.</summary>
    public string Destination { get; set; } = "";

    /// <summary>Live, Live+PostCopy or Offline; "+Storage" when the disks were copied.</summary>
    public string Mode { get; set; } = "";

    public DateTime StartTime { get; set; }

    public DateTime EndTime { get; set; }

    /// <summary>From the start of virsh migrate to its end, as KvmPS saw it.</summary>
    public TimeSpan Duration { get; set; }

    /// <summary>How long the guest was paused at the switch-over, as libvirt measured it; null when not reported (offline moves).</summary>
    public TimeSpan? Downtime { get; set; }

    /// <summary>Bytes of memory (and disks, with -IncludeStorage) sent, as libvirt counted them.</summary>
    public long DataTransferredBytes { get; set; }

    /// <summary>The exact command that moved the guest, run on the source.</summary>
    public string Command { get; set; } = "";

    /// <summary>The guest as it is now on the destination.</summary>
    public KvmGuest? Guest { get; set; }

    public override string ToString() => $"{Name}: {ComputerName} -> {Destination} ({Mode}, {Duration.TotalSeconds:0.0} s)";
}
