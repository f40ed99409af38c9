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
            CleanUpFailed();
            if (_trust is not null)
            {
                foreach (string left in _trust.Remove(_source, _destination, SourceLog, DestinationLog))
                {
                    _context.Warning($"-TrustMode Ephemeral: could not remove {left}: remove it by hand.");
                }
            }

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

        BatchResult made = DestinationShell.Run(commands, new RunOptions { Timeout = TimeSpan.FromMinutes(5), Groups = groups }, _context.Cancel, DestinationLog);
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
        var commands = ready.Select(j => new RemoteCommand(j.Plan.Migrate)).ToList();
        int rounds = (ready.Count + Math.Max(1, concurrency) - 1) / Math.Max(1, concurrency);
        var options = new RunOptions
        {
            Groups = Enumerable.Range(1, ready.Count).ToList(),
            Concurrency = Math.Max(1, concurrency),
            Timeout = TimeSpan.FromTicks(perGuestCeiling.Ticks * rounds),
            Progress = (index, result) =>
            {
                lock (_gate)
                {
                    MigrationJob job = ready[index];
                    if (result is null)
                    {
                        job.Start = DateTime.Now;
                        job.LastDataChange = DateTime.UtcNow;
                        job.Running = true;
                    }
                    else
                    {
                        job.End = DateTime.Now;
                        job.Running = false;
                        job.Finished = true;
                        job.Result = result;
                    }
                }
            },
        };

        // Not the cmdlet's token: on Ctrl+C the jobs are aborted first (domjobabort), and virsh killed only if that does not end them.
        using var kill = new CancellationTokenSource();
        Task<BatchResult> batch = Task.Run(() => SourceShell.Run(commands, options, kill.Token, SourceLog));
        DateTime? stopAsked = null;
        // Not batch.Wait(): it throws when virsh was killed (the batch cancelled), and the results are still wanted.
        while (!((IAsyncResult)batch).AsyncWaitHandle.WaitOne(PollInterval))
        {
            if (_context.Cancel.IsCancellationRequested)
            {
                stopAsked ??= DateTime.UtcNow;
                Abort(ready.Where(j => j.Running && !j.AbortSent).ToList(), "stopped (Ctrl+C)");
                if (DateTime.UtcNow - stopAsked > TimeSpan.FromSeconds(8))
                {
                    kill.Cancel();
                }

                continue;
            }

            Poll(ready);
            if (ready.Any(j => j.Running && j.AbortSent && DateTime.UtcNow - j.AbortSentAt > AbortGrace))
            {
                SourceLog($"a move did not end within {AbortGrace.TotalSeconds:0} s of domjobabort: stopping virsh");
                kill.Cancel();
            }
        }

        BatchResult done;
        try
        {
            done = batch.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            done = new BatchResult(ready.Select(j => j.Result ?? new CommandResult(new RemoteCommand(j.Plan.Migrate), CommandOutcome.Cancelled, -1, null, null)).ToList());
        }
        catch (Exception e) when (e is HostUnreachableException or HostConnectException or TimeoutException)
        {
            foreach (MigrationJob job in ready.Where(j => j.Result is not { Succeeded: true }))
            {
                job.Failure = new KvmException("MigrationInterrupted", ErrorCategory.ConnectionError,
                    $"Lost {_source.ComputerName} while moving '{job.Name}' to {_destination.Session.ComputerName}: {e.Message}",
                    $"See where the guest runs: Get-KvmGuest -ComputerName {_source.ComputerName},{_destination.Session.ComputerName} -Name '{job.Name}'", e);
            }

            return;
        }

        for (int i = 0; i < ready.Count; i++)
        {
            MigrationJob job = ready[i];
            job.Result = done[i];
            if (job.End == default)
            {
                job.End = DateTime.Now;
            }

            _context.Progress(new ProgressRecord(_activityId + 0x100 + i, $"Moving {job.Name} to {_destination.Session.ComputerName}", "Done") { ParentActivityId = _activityId, RecordType = ProgressRecordType.Completed });
            if (!done[i].Succeeded)
            {
                job.Failure = Failed(job, done[i]);
            }
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
            job.Last = progress;
            if (progress.IsRunning && progress.DataProcessed != job.LastData)
            {
                job.LastData = progress.DataProcessed;
                job.LastDataChange = DateTime.UtcNow;
            }
            else if (!job.AbortSent && DateTime.UtcNow - job.LastDataChange > StallTimeout)
            {
                job.Stalled = true;
                Abort(new List<MigrationJob> { job }, $"no data moved for {StallTimeout.TotalSeconds:0} s");
            }

            if (progress.IsRunning && job.Plan.SetMaxDowntime is not null && !job.DowntimeSet)
            {
                job.DowntimeSet = true;
                SourceShell.Run(new RemoteCommand(job.Plan.SetMaxDowntime), Short, CancellationToken.None, SourceLog);
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

        var sourceState = failed.Select(j => RemoteCommand.Of("virsh", "-c", "qemu:///system", "domstate", "--", j.Name)).ToList();
        BatchResult? here = TryRun(SourceShell, sourceState, SourceLog);
        var commands = new List<RemoteCommand>();
        for (int i = 0; i < failed.Count; i++)
        {
            MigrationJob job = failed[i];
            bool runsHere = here is not null && here[i].Succeeded && here[i].StdoutText.Trim() == "running" && !job.Plan.Mode.Contains("PostCopy");
            var clean = new List<string> { "sh", "-c", CleanScript, "kvmps-clean", job.Name, runsHere ? "force" : "verify" };
            clean.AddRange(job.CreatedDisks);
            commands.Add(new RemoteCommand(clean));
        }

        BatchResult? there = TryRun(DestinationShell, commands, DestinationLog);
        string dest = _destination.Session.ComputerName;
        for (int i = 0; i < failed.Count; i++)
        {
            MigrationJob job = failed[i];
            string onSource = here is null ? $"its state on {_source.ComputerName} could not be read"
                : here[i].Succeeded ? $"it is {here[i].StdoutText.Trim()} on {_source.ComputerName} with its definition"
                : $"it is NOT defined on {_source.ComputerName}";
            string disks = string.Join(", ", job.CreatedDisks);
            string onDest = (there is null ? "unreachable kept" : there[i].StdoutText.Trim()) switch
            {
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
        + "  if virsh -c qemu:///system domstate -- \"$name\" >/dev/null 2>&1; then echo present; exit 0; fi\n"
        + "  rm -f -- \"$@\"; echo absent\n"
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
