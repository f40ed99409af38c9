using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using KvmPS.Commands;
using KvmPS.Guests;
using KvmPS.Transport;

namespace KvmPS.Migration;

/// <summary>
/// After the moves that succeeded: libvirt's own figures from the destination (downtime, data
/// sent), the guests as they are there, and -RemoveSourceStorage (only once the source has no
/// definition of the guest left).
/// </summary>
internal static class MigrationCompletion
{
    public static void Finish(KvmSession source, MigrationEndpoint destination, List<MigrationJob> moved, MigrationOptions options, bool passThru, WorkContext context)
    {
        if (moved.Count == 0)
        {
            return;
        }

        // After the move itself, Ctrl+C no longer undoes anything: these finish regardless.
        var run = new RunOptions { Timeout = TimeSpan.FromSeconds(60) };
        var commands = moved.Select(j => RemoteCommand.Of("virsh", "-c", "qemu:///system", "domjobinfo", "--completed", "--domain", j.Name)).ToList();
        commands.Add(GuestScripts.Inventory(moved.Select(j => j.Guest.Uuid)));
        BatchResult there = destination.Session.Connection!.Shell.Run(commands, run, CancellationToken.None, context.VerboseFor(destination.Session.ComputerName));
        List<KvmGuest> now = there[commands.Count - 1].Succeeded
            ? GuestInventoryParser.Parse(destination.Session.ComputerName, there[commands.Count - 1].StdoutText, destination.Session)
            : new List<KvmGuest>();

        if (options.RemoveSourceStorage)
        {
            // Only for guests seen running on the destination just now.
            var there2 = moved.Where(j => now.Any(g => g.Uuid == j.Guest.Uuid && g.State == KvmGuestState.Running)).ToList();
            foreach (MigrationJob missing in moved.Except(there2))
            {
                context.Warning($"{missing.Name}: not seen running on {destination.Session.ComputerName} after the move, so its disks on {source.ComputerName} were kept.");
            }

            RemoveSourceDisks(source, there2, context);
        }

        var results = new List<object>();
        for (int i = 0; i < moved.Count; i++)
        {
            MigrationJob job = moved[i];
            MigrationProgress completed = MigrationProgress.Parse(there[i].Succeeded ? there[i].StdoutText : "");
            bool copied = job.Plan.DestinationDisks.Count > 0;
            results.Add(new KvmMigrationResult
            {
                Name = job.Name,
                ComputerName = source.ComputerName,
                Destination = destination.Session.ComputerName,
                Mode = job.Plan.Mode + (copied ? "+Storage" : ""),
                StartTime = job.Start,
                EndTime = job.End,
                Duration = job.End - job.Start,
                Downtime = completed.TotalDowntimeMs >= 0 ? TimeSpan.FromMilliseconds(completed.TotalDowntimeMs) : null,
                DataTransferredBytes = completed.DataProcessed,
                Command = new RemoteCommand(job.Plan.Migrate).ToDisplayString(),
                Guest = now.FirstOrDefault(g => g.Uuid == job.Guest.Uuid),
            });
            context.Verbose($"[{source.ComputerName}] {job.Name}: moved to {destination.Session.ComputerName} in {(job.End - job.Start).TotalSeconds:0.0} s"
                + (completed.TotalDowntimeMs >= 0 ? $", downtime {completed.TotalDowntimeMs} ms" : ""));
        }

        if (passThru)
        {
            context.OutputAll(results);
        }
    }

    // $1 guest, then its disks: deleted only when libvirt answers here and has no guest of that name.
    private const string RemoveScript =
        "name=$1; shift\n"
        + "names=$(virsh -c qemu:///system list --all --name) || { echo 'libvirt does not answer here: the disks were kept' >&2; exit 3; }\n"
        + "printf '%s\\n' \"$names\" | grep -qxF -- \"$name\" && { echo \"$name is still defined here: its disks were kept\" >&2; exit 3; }\n"
        + "rm -f -- \"$@\"\n";

    private static void RemoveSourceDisks(KvmSession source, List<MigrationJob> moved, WorkContext context)
    {
        var removals = new List<(MigrationJob Job, RemoteCommand Command)>();
        foreach (MigrationJob job in moved.Where(j => j.Plan.DestinationDisks.Count > 0))
        {
            // Never while the source still has the guest (running or defined): its disks are still its own.
            var argv = new List<string> { "sh", "-c", RemoveScript, "kvmps-rmsrc", job.Name };
            argv.AddRange(job.Plan.DestinationDisks.Select(d => d.Path));
            removals.Add((job, new RemoteCommand(argv)));
        }

        if (removals.Count == 0)
        {
            return;
        }

        BatchResult done = source.Connection!.Shell.Run(removals.Select(r => r.Command).ToList(), new RunOptions { Timeout = TimeSpan.FromSeconds(60) }, CancellationToken.None, context.VerboseFor(source.ComputerName));
        for (int i = 0; i < removals.Count; i++)
        {
            if (!done[i].Succeeded)
            {
                context.Warning($"{removals[i].Job.Name} moved, but its disks on {source.ComputerName} were not deleted: {done[i].Describe()}");
            }
        }
    }
}
