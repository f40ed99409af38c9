using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using KvmPS.Transport;

namespace KvmPS.Migration;

/// <summary>One approved move and what happened to it so far (written by the runner's threads under its lock).</summary>
internal sealed class MigrationJob
{
    public MigrationJob(KvmGuest guest, MigrationFacts facts, MigrationPlan plan)
    {
        Guest = guest;
        Facts = facts;
        Plan = plan;
    }

    public KvmGuest Guest { get; }

    public MigrationFacts Facts { get; }

    public MigrationPlan Plan { get; }

    public string Name => Guest.Name;

    /// <summary>Disks this move made on the destination (removed again if it fails).</summary>
    public List<string> CreatedDisks { get; } = new();

    /// <summary>Why it cannot go on (set before or during the move); null while it can.</summary>
    public KvmException? Failure { get; set; }

    public DateTime Start { get; set; }

    public DateTime End { get; set; }

    public bool Running { get; set; }

    public bool Finished { get; set; }

    public bool AbortSent { get; set; }

    public bool TimedOut { get; set; }

    /// <summary>Aborted because no data moved for a while (see MigrationRunner.StallTimeout).</summary>
    public bool Stalled { get; set; }

    public DateTime AbortSentAt { get; set; }

    /// <summary>The data processed at the last poll, and when it last changed.</summary>
    public long LastData { get; set; } = -1;

    public DateTime LastDataChange { get; set; }

    public bool DowntimeSet { get; set; }

    public CommandResult? Result { get; set; }

    /// <summary>qemu-img create for each disk the destination needs first (-IncludeStorage): refuses a file already there.</summary>
    public IEnumerable<RemoteCommand> CreateDiskCommands() => Plan.DestinationDisks.Select(d => new RemoteCommand(new[]
    {
        "sh", "-c", "( set -C; : >\"$2\" ) 2>/dev/null || { echo \"$2 already exists\" >&2; exit 17; }; qemu-img create -q -f \"$1\" \"$2\" \"$3\" || { rm -f -- \"$2\"; exit 1; }",
        "kvmps-disk", d.Format, d.Path, d.Bytes.ToString(CultureInfo.InvariantCulture),
    }));
}
