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
            RemoveSourceDisks(source, moved, context);
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

    private static void RemoveSourceDisks(KvmSession source, List<MigrationJob> moved, WorkContext context)
    {
        var removals = new List<(MigrationJob Job, RemoteCommand Command)>();
        foreach (MigrationJob job in moved.Where(j => j.Plan.DestinationDisks.Count > 0))
        {
            // Never while the source still has the guest (running or defined): its disks are still its own.
            var argv = new List<string> { "sh", "-c", "name=$1; shift; if virsh -c qemu:///system domstate -- \"$name\" >/dev/null 2>&1; then echo \"$name is still defined here\" >&2; exit 3; fi; rm -f -- \"$@\"", "kvmps-rmsrc", job.Name };
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
