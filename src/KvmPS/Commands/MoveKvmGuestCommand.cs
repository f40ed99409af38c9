using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using KvmPS.Migration;
using KvmPS.Transport;

namespace KvmPS.Commands;

/// <summary>
/// Moves guests to another host, live while they run (virsh migrate), after a pre-flight that
/// stops a guest's move with every failed check; -IncludeStorage copies disks that are not shared.
/// </summary>
[Cmdlet(VerbsCommon.Move, "KvmGuest", DefaultParameterSetName = "Name", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(KvmMigrationResult))]
public sealed class MoveKvmGuestCommand : KvmMigrationCmdlet
{
    // A move saturates a link on its own; more at once mostly share it (vSphere allows 4-8 per host).
    public MoveKvmGuestCommand()
    {
        ThrottleLimit = 4;
    }

    /// <summary>Run the guest on the destination without defining it there, and keep its definition on the source.</summary>
    [Parameter]
    public SwitchParameter Temporary { get; set; }

    /// <summary>After a move with -IncludeStorage, delete the disks on the source.</summary>
    [Parameter]
    public SwitchParameter RemoveSourceStorage { get; set; }

    /// <summary>Bandwidth limit in MiB/s.</summary>
    [Parameter]
    [ValidateRange(1, 1000000)]
    public int Bandwidth { get; set; }

    /// <summary>The longest pause, in milliseconds, the guest may have at the switch-over (libvirt's default is 300).</summary>
    [Parameter]
    [ValidateRange(1, 600000)]
    public int MaxDowntime { get; set; }

    /// <summary>Slow the guest's vCPUs down when its memory changes faster than it copies.</summary>
    [Parameter]
    public SwitchParameter AutoConverge { get; set; }

    /// <summary>Switch to post-copy after one full pass (or at -Timeout with -TimeoutAction PostCopy): the guest runs on the destination and fetches the rest.</summary>
    [Parameter]
    public SwitchParameter PostCopy { get; set; }

    /// <summary>Compress the memory sent.</summary>
    [Parameter]
    public SwitchParameter Compressed { get; set; }

    /// <summary>Seconds a live move may take; then -TimeoutAction (Abort by default).</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int Timeout { get; set; }

    /// <summary>What happens at -Timeout: Abort (the guest stays on the source), Suspend, or PostCopy.</summary>
    [Parameter]
    public KvmMigrationTimeoutAction TimeoutAction { get; set; }

    /// <summary>Return a KvmMigrationResult per guest moved.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    private MigrationOptions Options() => new()
    {
        IncludeStorage = IncludeStorage.IsPresent,
        Offline = Offline.IsPresent,
        Temporary = Temporary.IsPresent,
        RemoveSourceStorage = RemoveSourceStorage.IsPresent,
        BandwidthMiBps = Bandwidth,
        MaxDowntimeMs = MaxDowntime,
        AutoConverge = AutoConverge.IsPresent,
        PostCopy = PostCopy.IsPresent,
        Compressed = Compressed.IsPresent,
        Timeout = TimeSpan.FromSeconds(Timeout),
        TimeoutAction = MyInvocation.BoundParameters.ContainsKey(nameof(TimeoutAction)) ? TimeoutAction : null,
        MigrationAddress = MigrationAddress ?? "",
    };

    protected override void BeginProcessing()
    {
        base.BeginProcessing();
        try
        {
            // Combinations that are wrong for any guest end the call before anything is read.
            var probe = new MigrationGuest { Name = "guest", State = Offline.IsPresent ? "shut off" : "running" };
            MigrationPlanner.Plan(probe, Options(), "192.0.2.1", 22, "root", "");
        }
        catch (KvmException e)
        {
            ThrowTerminatingError(e.ToErrorRecord(null));
        }
    }

    protected override void EndProcessing()
    {
        MigrationOptions options = Options();
        var prepared = new ConcurrentQueue<(int Order, KvmSession Source, MigrationJob Job)>();
        var trusts = new ConcurrentDictionary<KvmSession, EphemeralTrust>();
        var guests = SourceGuests();
        RunParallel(guests.Select((g, i) => (g.Source, g.Guest, i)).ToList(), ThrottleLimit, "Checking moves", g => g.Guest.Name, (item, context) =>
        {
            MigrationFacts facts = Preflight(item.Source, item.Guest, context);
            HashSet<string> readOnly = facts.NeverCopied();
            IReadOnlyList<MigrationDisk> copied = facts.CopiedDisks();
            var guest = new MigrationGuest
            {
                Name = item.Guest.Name,
                State = facts.SourceFacts.State,
                Persistent = facts.SourceFacts.Persistent,
                CopyTargets = copied.Select(d => d.Target).ToList(),
                // Only when every writable disk that is not copied is one the pre-flight saw shared: --unsafe
                // switches libvirt's check off for all of them.
                SharedStorageVerified = facts.Live
                    && facts.Definition.Disks.Any(d => !readOnly.Contains(d.Path) && facts.IsShared(d.Path))
                    && facts.SourceFacts.Disks.Where(d => d.Source is { Length: > 0 } and not "-" && !readOnly.Contains(d.Source) && !copied.Any(c => c.Source == d.Source))
                        .All(d => d.Type == "network" || facts.IsShared(d.Source)),
            };
            MigrationEndpoint destination = DestinationEndpoint(context);
            EphemeralTrust? trust = TrustMode == KvmMigrationTrustMode.Ephemeral ? trusts.GetOrAdd(item.Source, _ => EphemeralTrust.New()) : null;
            MigrationPlan plan = MigrationPlanner.Plan(guest, options, facts.DestinationAddress, destination.Port, destination.User, trust?.KeyFile ?? "", trust?.SshCommand ?? "");
            plan.DestinationDisks.AddRange(copied.Select(d => (d.Source, d.Format.Length > 0 ? d.Format : "raw", d.VirtualSize)));
            List<KvmMigrationCheck> checks = MigrationChecks.Evaluate(facts);
            List<KvmMigrationCheck> failed = checks.Where(c => c.Status == KvmCheckStatus.Fail).ToList();
            if (failed.Count > 0)
            {
                throw new KvmException("MigrationPreflightFailed", ErrorCategory.InvalidOperation,
                    $"'{guest.Name}' cannot move from {item.Source.ComputerName} to {destination.Session.ComputerName}; nothing was changed. Failed checks: "
                    + string.Join(" ", failed.Select(c => $"[{c.Check}] {c.Detail}.")),
                    string.Join(" ", failed.Select(c => $"[{c.Check}] {c.Remediation}")));
            }

            foreach (string warning in checks.Where(c => c.Status == KvmCheckStatus.Warn).Select(c => $"{guest.Name}: {c.Check}: {c.Detail}").Concat(plan.Warnings))
            {
                context.Warning(warning);
            }

            prepared.Enqueue((item.i, item.Source, new MigrationJob(item.Guest, facts, plan)));
        }, g => g.Guest);

        var approved = new List<(KvmSession Source, List<MigrationJob> Jobs)>();
        foreach (var (_, source, job) in prepared.OrderBy(p => p.Order))
        {
            if (!ShouldProcess($"{job.Name} on {source.ComputerName}", Describe(job)))
            {
                continue;
            }

            int at = approved.FindIndex(a => ReferenceEquals(a.Source, source));
            if (at < 0)
            {
                approved.Add((source, new List<MigrationJob>()));
                at = approved.Count - 1;
            }

            approved[at].Jobs.Add(job);
        }

        TimeSpan ceiling = options.Timeout > TimeSpan.Zero ? options.Timeout + TimeSpan.FromMinutes(10) : TimeSpan.FromHours(12);
        RunParallel(approved, ThrottleLimit, "Moving guests", a => a.Source.ComputerName, (group, context) =>
        {
            MigrationEndpoint destination = DestinationEndpoint(context);
            EphemeralTrust? trust = trusts.TryGetValue(group.Source, out EphemeralTrust? t) ? t : null;
            List<MigrationJob> moved = new MigrationRunner(group.Source, destination, group.Jobs, context, trust).Run(ThrottleLimit, ceiling);
            try
            {
                MigrationCompletion.Finish(group.Source, destination, moved, options, PassThru.IsPresent, context);
            }
            catch (Exception e) when (e is TimeoutException or HostUnreachableException or HostConnectException or KvmException)
            {
                // The moves are done; only what is read after them is missing.
                context.Warning($"{string.Join(", ", moved.Select(j => j.Name))} moved to {destination.Session.ComputerName}, but reading them there afterwards failed: {e.Message}"
                    + (options.RemoveSourceStorage ? " Their disks on the source were not deleted." : ""));
            }
        }, a => a.Source.ComputerName);
    }

    private string Describe(MigrationJob job)
    {
        var lines = new List<string> { $"Move to {job.Facts.Destination} ({job.Plan.Mode}{(IncludeStorage.IsPresent && job.Facts.Live ? ", disks copied" : "")}{(Temporary.IsPresent ? ", temporary" : "")})" };
        if (job.Plan.DestinationDisks.Count > 0)
        {
            lines.Add($"On {job.Facts.Destination} first:");
            lines.AddRange(job.CreateDiskCommands().Select(c => "    " + c.ToDisplayString()));
        }

        lines.Add($"On {job.Facts.Source}:");
        lines.Add("    " + new RemoteCommand(job.Plan.Migrate).ToDisplayString());
        if (job.Plan.SetMaxDowntime is not null)
        {
            lines.Add("    " + new RemoteCommand(job.Plan.SetMaxDowntime).ToDisplayString() + "   (once it runs)");
        }

        if (TrustMode == KvmMigrationTrustMode.Ephemeral)
        {
            lines.Insert(1, $"First a one-time key: made on {job.Facts.Source} in /run/kvmps-migrate-<id>, authorized for root on {job.Facts.Destination} from the source's address only; removed after the move");
        }

        if (RemoveSourceStorage.IsPresent && job.Plan.DestinationDisks.Count > 0)
        {
            lines.Add($"Then, once it runs on {job.Facts.Destination}, delete on {job.Facts.Source}: {string.Join(", ", job.Plan.DestinationDisks.Select(d => d.Path))}");
        }

        return string.Join("\n", lines);
    }
}
