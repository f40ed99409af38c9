using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using KvmPS.Commands;
using KvmPS.Guests;
using KvmPS.Transport;

namespace KvmPS.Migration;

/// <summary>
/// Runs the approved moves of one source host: destination disks first, then every guest's virsh
/// migrate in one batch on one channel (at most <c>concurrency</c> at once), while a second channel
/// polls domjobinfo for Write-Progress and a third sends domjobabort on Ctrl+C or -Timeout. A move
/// that failed leaves the guest on the source: what it made on the destination is removed again.
/// </summary>
internal sealed class MigrationRunner
{
    private static readonly RunOptions Short = new() { Timeout = TimeSpan.FromSeconds(30) };
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    // A move whose data stops moving, or never starts (a firewall dropping its packets, a dead link),
    // does not fail by itself: TCP retries for minutes and virsh waits. KvmPS aborts it after this long; the
    // tests shorten it (set by reflection).
    private static TimeSpan StallTimeout = TimeSpan.FromSeconds(60);

    // After domjobabort a move ends within seconds; one that does not is stopped by killing virsh
    // (with the batch: the other moves of this source end too, and are reported and cleaned up).
    private static readonly TimeSpan AbortGrace = TimeSpan.FromSeconds(15);

    // After Ctrl+C the user waits: a shorter grace (PowerShell waits 15 s for the clean-up in all).
    private static readonly TimeSpan CtrlCGrace = TimeSpan.FromSeconds(5);
    private readonly KvmSession _source;
    private readonly MigrationEndpoint _destination;
    private readonly List<MigrationJob> _jobs;
    private readonly WorkContext _context;
    private readonly object _gate = new();
    private readonly int _activityId;
    private readonly EphemeralTrust? _trust;

    public MigrationRunner(KvmSession source, MigrationEndpoint destination, List<MigrationJob> jobs, WorkContext context, EphemeralTrust? trust = null)
    {
        _trust = trust;
        _source = source;
        _destination = destination;
        _jobs = jobs;
        _context = context;
        _activityId = 0x4d00 + (source.Id & 0xff);
    }

    private HostShell SourceShell => _source.Connection!.Shell;

    private HostShell DestinationShell => _destination.Session.Connection!.Shell;

    private Action<string> SourceLog => _context.VerboseFor(_source.ComputerName);

    private Action<string> DestinationLog => _context.VerboseFor(_destination.Session.ComputerName);

    /// <summary>Moves the jobs; returns the finished ones (Failure null) after writing an error for each other.</summary>
    public List<MigrationJob> Run(int concurrency, TimeSpan perGuestCeiling)
    {
        try
        {
            if (_trust is null || EstablishTrust())
            {
                CreateDisks();
            }

            List<MigrationJob> ready = _jobs.Where(j => j.Failure is null).ToList();
            if (ready.Count > 0)
            {
                Migrate(ready, concurrency, perGuestCeiling);
            }
        }
        finally
        {
            // The one-time key first: after Ctrl+C PowerShell waits only so long for the rest.
            if (_trust is not null)
            {
                foreach (string left in _trust.Remove(_source, _destination, SourceLog, DestinationLog))
                {
                    _context.Warning($"-TrustMode Ephemeral: could not remove {left}: remove it by hand.");
                }
            }

            CleanUpFailed();

            _context.Progress(new ProgressRecord(_activityId, $"Moving guests from {_source.ComputerName}", "Done") { RecordType = ProgressRecordType.Completed });
        }

        _context.Cancel.ThrowIfCancellationRequested();
        foreach (MigrationJob job in _jobs.Where(j => j.Failure is not null))
        {
            _context.Error(job.Failure!, job.Guest);
        }

        return _jobs.Where(j => j.Failure is null).ToList();
    }

    /// <summary>-TrustMode Ephemeral's key; false (every job failed, nothing moved) when it could not be made.</summary>
    private bool EstablishTrust()
    {
        try
        {
            _trust!.Establish(_source, _destination, SourceLog, DestinationLog, _context.Cancel);
            return true;
        }
        catch (KvmException e)
        {
            foreach (MigrationJob job in _jobs)
            {
                job.Failure = e;
            }

            return false;
        }
    }

    private void CreateDisks()
    {
        var commands = new List<RemoteCommand>();
        var owners = new List<(MigrationJob Job, string Path)>();
        var groups = new List<int>();
        for (int i = 0; i < _jobs.Count; i++)
        {
            List<RemoteCommand> create = _jobs[i].CreateDiskCommands().ToList();
            commands.AddRange(create);
            owners.AddRange(_jobs[i].Plan.DestinationDisks.Select(d => (_jobs[i], d.Path)));
            groups.AddRange(create.Select(_ => i + 1));
        }

        if (commands.Count == 0)
        {
            return;
        }

        // Not cancellable half-way: the disks it makes are known, and removed again on failure or Ctrl+C.
        BatchResult made = DestinationShell.Run(commands, new RunOptions { Timeout = TimeSpan.FromMinutes(5), Groups = groups }, CancellationToken.None, DestinationLog);
        for (int i = 0; i < commands.Count; i++)
        {
            (MigrationJob job, string path) = owners[i];
            if (made[i].Succeeded)
            {
                job.CreatedDisks.Add(path);
            }
            else if (job.Failure is null)
            {
                job.Failure = new KvmException("DestinationDiskNotCreated", ErrorCategory.WriteError,
                    $"Could not make the disk {path} for '{job.Name}' on {_destination.Session.ComputerName}: {made[i].Describe()}. Nothing was moved.",
                    "Check the directory and its free space on the destination (Test-KvmMigration -IncludeStorage).");
            }
        }
    }

    private void Migrate(List<MigrationJob> ready, int concurrency, TimeSpan perGuestCeiling)
    {
        // Each guest's virsh migrate is its own command, so that its start and end are known at once
        // (progress, -Timeout, stalls) and it can be stopped alone. Several at once run on a second
        // connection to the source: the session's own channels stay free for polling and aborting.
        HostShell shell = ready.Count > 1 ? SourceShell.Another(Math.Min(Math.Max(1, concurrency), 8)) : SourceShell;
        var slots = new SemaphoreSlim(Math.Max(1, concurrency));
        var kills = ready.ToDictionary(j => j, _ => new CancellationTokenSource());
        try
        {
            Task all = Task.WhenAll(ready.Select(job => Task.Run(() => MoveOne(job, shell, slots, kills[job].Token, perGuestCeiling))));
            DateTime? stopAsked = null;
            while (!((IAsyncResult)all).AsyncWaitHandle.WaitOne(PollInterval))
            {
                try
                {
                    if (_context.Cancel.IsCancellationRequested)
                    {
                        stopAsked ??= DateTime.UtcNow;
                        foreach (MigrationJob waiting in ready.Where(j => !j.Running && !j.Finished))
                        {
                            kills[waiting].Cancel();   // not started: it never will
                        }

                        Abort(ready.Where(j => j.Running && !j.AbortSent).ToList(), "stopped (Ctrl+C)");
                    }
                    else
                    {
                        Poll(ready);
                    }

                    // domjobabort normally ends a move within seconds; virsh is stopped when it does not
                    // (never during post-copy: the guest's memory is then split between the hosts).
                    foreach (MigrationJob job in ready.Where(j => j.Running && j.AbortSent && !j.Plan.Mode.Contains("PostCopy")))
                    {
                        TimeSpan grace = stopAsked is not null ? CtrlCGrace : AbortGrace;
                        if (DateTime.UtcNow - job.AbortSentAt > grace && !kills[job].IsCancellationRequested)
                        {
                            SourceLog($"{job.Name}: the move did not end within {grace.TotalSeconds:0} s of domjobabort: stopping virsh");
                            kills[job].Cancel();
                        }
                    }
                }
                catch (Exception e) when (e is TimeoutException or HostUnreachableException or HostConnectException or KvmException or InvalidOperationException)
                {
                    // Watching failed for a moment; the moves go on, and the next round tries again.
                    SourceLog("could not watch the moves: " + e.Message);
                }
            }
        }
        finally
        {
            if (!ReferenceEquals(shell, SourceShell))
            {
                shell.Dispose();
            }

            foreach (CancellationTokenSource kill in kills.Values)
            {
                kill.Dispose();
            }
        }

        for (int i = 0; i < ready.Count; i++)
        {
            MigrationJob job = ready[i];
            _context.Progress(new ProgressRecord(_activityId + 0x100 + i, $"Moving {job.Name} to {_destination.Session.ComputerName}", "Done") { ParentActivityId = _activityId, RecordType = ProgressRecordType.Completed });
            if (job.Failure is null && job.Result is { Succeeded: false })
            {
                job.Failure = Failed(job, job.Result);
            }
        }
    }

    private void MoveOne(MigrationJob job, HostShell shell, SemaphoreSlim slots, CancellationToken kill, TimeSpan ceiling)
    {
        var command = new RemoteCommand(job.Plan.Migrate);
        try
        {
            slots.Wait(kill);
            try
            {
                var options = new RunOptions
                {
                    Timeout = ceiling,
                    Progress = (_, result) =>
                    {
                        if (result is null)
                        {
                            lock (_gate)
                            {
                                job.Start = DateTime.Now;
                                job.LastDataChange = DateTime.UtcNow;
                                job.Running = true;
                            }
                        }
                    },
                };
                CommandResult result = shell.Run(command, options, kill, SourceLog)[0];
                Finish(job, result);
            }
            finally
            {
                slots.Release();
            }
        }
        catch (OperationCanceledException)
        {
            Finish(job, new CommandResult(command, CommandOutcome.Cancelled, -1, null, null));
        }
        catch (Exception e) when (e is HostUnreachableException or HostConnectException or TimeoutException)
        {
            Finish(job, null);
            job.Failure = new KvmException("MigrationInterrupted", ErrorCategory.ConnectionError,
                $"Lost {_source.ComputerName} while moving '{job.Name}' to {_destination.Session.ComputerName}: {e.Message}",
                $"See where the guest runs: Get-KvmGuest -ComputerName {_source.ComputerName},{_destination.Session.ComputerName} -Name '{job.Name}'", e);
        }
    }

    private void Finish(MigrationJob job, CommandResult? result)
    {
        lock (_gate)
        {
            job.End = DateTime.Now;
            if (job.Start == default)
            {
                job.Start = job.End;
            }

            job.Running = false;
            job.Finished = true;
            job.Result = result;
        }
    }

    private void Poll(List<MigrationJob> jobs)
    {
        List<MigrationJob> running;
        lock (_gate)
        {
            running = jobs.Where(j => j.Running).ToList();
        }

        foreach (MigrationJob job in running.Where(j => j.Plan.AbortAfter > TimeSpan.Zero && !j.AbortSent && DateTime.Now - j.Start > j.Plan.AbortAfter))
        {
            job.TimedOut = true;
            Abort(new List<MigrationJob> { job }, $"-Timeout ({job.Plan.AbortAfter.TotalSeconds:0} s) ran out");
        }

        if (running.Count == 0)
        {
            return;
        }

        var poll = new List<string> { "sh", "-c", "for d; do echo \"== $d\"; virsh -c qemu:///system domjobinfo --domain \"$d\" 2>&1; done", "kvmps-poll" };
        poll.AddRange(running.Select(j => j.Name));
        CommandResult result;
        try
        {
            result = SourceShell.Run(new RemoteCommand(poll), Short, _context.Cancel)[0];
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException or HostUnreachableException)
        {
            return;
        }

        Dictionary<string, string> sections = Sections(result.StdoutText);
        int overall = 0;
        for (int i = 0; i < jobs.Count; i++)
        {
            MigrationJob job = jobs[i];
            if (!running.Contains(job) || !sections.TryGetValue(job.Name, out string? text))
            {
                continue;
            }

            MigrationProgress progress = MigrationProgress.Parse(text);
            if (progress.IsRunning && progress.DataProcessed != job.LastData)
            {
                job.LastData = progress.DataProcessed;
                job.LastDataChange = DateTime.UtcNow;
            }
            else if (!job.AbortSent && !job.Plan.Mode.Contains("PostCopy") && DateTime.UtcNow - job.LastDataChange > StallTimeout)
            {
                job.Stalled = true;
                Abort(new List<MigrationJob> { job }, $"no data moved for {StallTimeout.TotalSeconds:0} s");
            }

            if (progress.IsRunning && job.Plan.SetMaxDowntime is not null && !job.DowntimeSet)
            {
                job.DowntimeSet = true;
                CommandResult set = SourceShell.Run(new RemoteCommand(job.Plan.SetMaxDowntime), Short, CancellationToken.None, SourceLog)[0];
                if (!set.Succeeded)
                {
                    _context.Warning($"{job.Name}: -MaxDowntime was not applied: {set.Describe()}");
                }
            }

            int percent = Math.Max(0, progress.Percent);
            overall += percent;
            string status = progress.IsRunning ? $"{job.Plan.Mode}: {progress.Describe()}" : "starting";
            _context.Progress(new ProgressRecord(_activityId + 0x100 + i, $"Moving {job.Name} to {_destination.Session.ComputerName}", status)
            {
                ParentActivityId = _activityId,
                PercentComplete = percent,
            });
        }

        int finished = jobs.Count(j => j.Finished);
        _context.Progress(new ProgressRecord(_activityId, $"Moving guests from {_source.ComputerName}", $"{finished} of {jobs.Count} moved, {running.Count} moving")
        {
            PercentComplete = Math.Min(100, ((finished * 100) + overall) / jobs.Count),
        });
    }

    private void Abort(List<MigrationJob> jobs, string why)
    {
        foreach (MigrationJob job in jobs)
        {
            job.AbortSent = true;
            job.AbortSentAt = DateTime.UtcNow;
            SourceLog($"{job.Name}: {why}: aborting the move");
            try
            {
                SourceShell.Run(RemoteCommand.Of("virsh", "-c", "qemu:///system", "domjobabort", "--domain", job.Name), Short, CancellationToken.None, SourceLog);
            }
            catch (Exception e) when (e is TimeoutException or HostUnreachableException or HostConnectException)
            {
                SourceLog($"{job.Name}: domjobabort did not answer ({e.Message}); virsh is stopped instead");
            }
        }
    }

    private KvmException Failed(MigrationJob job, CommandResult result)
    {
        string dest = _destination.Session.ComputerName;
        string error = result.StderrText.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith("error:", StringComparison.Ordinal)) ?? result.Describe();
        if (job.TimedOut)
        {
            return new KvmException("MigrationTimedOut", ErrorCategory.OperationTimeout,
                $"Moving '{job.Name}' from {_source.ComputerName} to {dest} did not finish within {job.Plan.AbortAfter.TotalSeconds:0} s and was aborted.",
                "Allow more time (-Timeout), limit the guest's memory writes, or use -AutoConverge, or -PostCopy with -TimeoutAction PostCopy.");
        }

        if (job.Stalled)
        {
            return new KvmException("MigrationStalled", ErrorCategory.OperationTimeout,
                $"Moving '{job.Name}' from {_source.ComputerName} to {dest} stopped sending data for {StallTimeout.TotalSeconds:0} s and was aborted.",
                $"Check that {_source.ComputerName} reaches {job.Facts.DataAddress} on TCP 49152-49215 (a firewall dropping packets, a link down): Test-KvmMigration shows the ports.");
        }

        return new KvmException("MigrationFailed", ErrorCategory.InvalidResult,
            $"Moving '{job.Name}' from {_source.ComputerName} to {dest} failed: {error}",
            $"Check the cause above; Test-KvmMigration -ComputerName {_source.ComputerName} -Name '{job.Name}' -Destination {dest} shows what the move needs.");
    }

    /// <summary>
    /// For each failed job: where the guest is on the source, then on the destination; the disks the
    /// move made there are removed when no guest of that name is there, or, when the destination's
    /// libvirt does not answer, when the guest still runs on the source (a live move hands over only
    /// by stopping the source, so the destination's copy never ran; not so for post-copy).
    /// </summary>
    private void CleanUpFailed()
    {
        List<MigrationJob> failed = _jobs.Where(j => j.Failure is not null || (j.Result is { Succeeded: false })).ToList();
        if (failed.Count == 0)
        {
            return;
        }

        // Line 1: the guest's state (or virsh's error); line 2: its job (None when no move is running).
        var sourceState = failed.Select(j => RemoteCommand.Of("sh", "-c",
            "virsh -c qemu:///system domstate -- \"$1\" 2>&1 | head -1; virsh -c qemu:///system domjobinfo -- \"$1\" 2>/dev/null | sed -n 's/^Job type: *//p'",
            "kvmps-where", j.Name)).ToList();
        BatchResult? here = TryRun(SourceShell, sourceState, SourceLog);
        var commands = new List<RemoteCommand>();
        for (int i = 0; i < failed.Count; i++)
        {
            MigrationJob job = failed[i];
            string[] seen = here is null ? Array.Empty<string>() : here[i].StdoutText.Split('\n').Select(l => l.Trim()).ToArray();
            string job2 = seen.Length > 1 ? seen[1] : "";
            // Only a guest that runs here with no move under way proves the destination's copy never ran.
            bool runsHere = seen.Length > 0 && seen[0] == "running" && job2 is "None" or "" && !job.Plan.Mode.Contains("PostCopy") && job.Failure?.ErrorId != "MigrationInterrupted";
            var clean = new List<string> { "sh", "-c", CleanScript, "kvmps-clean", job.Name, runsHere ? "force" : "verify" };
            clean.AddRange(job.CreatedDisks);
            commands.Add(new RemoteCommand(clean));
        }

        BatchResult? there = TryRun(DestinationShell, commands, DestinationLog);
        string dest = _destination.Session.ComputerName;
        for (int i = 0; i < failed.Count; i++)
        {
            MigrationJob job = failed[i];
            string state = here is null ? "" : here[i].StdoutText.Split('\n')[0].Trim();
            string onSource = here is null ? $"its state on {_source.ComputerName} could not be read"
                : state.StartsWith("error:", StringComparison.Ordinal) && (state.Contains("failed to get domain") || state.Contains("Domain not found"))
                    ? $"it is NOT defined on {_source.ComputerName}"
                : state.StartsWith("error:", StringComparison.Ordinal) ? $"its state on {_source.ComputerName} could not be read ({state})"
                : $"it is {state} on {_source.ComputerName} with its definition";
            string disks = string.Join(", ", job.CreatedDisks);
            string onDest = (there is null ? "unreachable kept" : there[i].StdoutText.Trim()) switch
            {
                var other when other.StartsWith("unknown", StringComparison.Ordinal) => $"{dest} could not say whether the guest is there ({other.Substring(7).Trim()})"
                    + (disks.Length > 0 ? $"; the disks made for the move were kept there: {disks}" : ""),
                "absent" => job.CreatedDisks.Count > 0 ? $"the disks made for it on {dest} were removed" : $"nothing of it is on {dest}",
                "present" => $"a guest named '{job.Name}' IS on {dest}: check it before anything else" + (disks.Length > 0 ? $" (disks made for the move: {disks})" : ""),
                "unreachable removed" => $"libvirt on {dest} did not answer; the disks made for it there were removed" + (disks.Length > 0 ? "" : " (there were none)"),
                _ => $"{dest} could not be checked" + (disks.Length > 0 ? $"; the disks made for the move were kept there: {disks}" : ""),
            };
            KvmException failure = job.Failure ?? new KvmException("MigrationFailed", ErrorCategory.InvalidResult, $"Moving '{job.Name}' failed.", "See the errors above.");
            job.Failure = new KvmException(failure.ErrorId, failure.Category, $"{failure.Message.TrimEnd('.')}. Now: {onSource}; {onDest}.", failure.RecommendedAction, failure.InnerException);
        }
    }

    // $1 guest, $2 force|verify, then the disks the move made.
    private const string CleanScript =
        "name=$1 mode=$2; shift 2\n"
        + "if virsh -c qemu:///system list --all --name >/dev/null 2>&1; then\n"
        + "  out=$(virsh -c qemu:///system domstate -- \"$name\" 2>&1) && { echo present; exit 0; }\n"
        + "  case $out in *'failed to get domain'*|*'Domain not found'*) rm -f -- \"$@\"; echo absent ;; *) echo \"unknown $out\" | head -1 ;; esac\n"
        + "elif [ \"$mode\" = force ]; then rm -f -- \"$@\"; echo unreachable removed\n"
        + "else echo unreachable kept; fi\n";

    private static BatchResult? TryRun(HostShell shell, List<RemoteCommand> commands, Action<string> log)
    {
        try
        {
            return shell.Run(commands, new RunOptions { Timeout = TimeSpan.FromSeconds(60) }, CancellationToken.None, log);
        }
        catch (Exception e) when (e is TimeoutException or HostUnreachableException or HostConnectException)
        {
            log("could not check after the failed move: " + e.Message);
            return null;
        }
    }

    internal static Dictionary<string, string> Sections(string output)
    {
        var sections = new Dictionary<string, string>(StringComparer.Ordinal);
        string name = "";
        var lines = new List<string>();
        foreach (string line in (output ?? "").Replace("\r\n", "\n").Split('\n'))
        {
            if (line.StartsWith("== ", StringComparison.Ordinal))
            {
                if (name.Length > 0)
                {
                    sections[name] = string.Join("\n", lines);
                }

                name = line.Substring(3);
                lines.Clear();
            }
            else
            {
                lines.Add(line);
            }
        }

        if (name.Length > 0)
        {
            sections[name] = string.Join("\n", lines);
        }

        return sections;
    }
}
