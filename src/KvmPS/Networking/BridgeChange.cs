using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using System.Security.Cryptography;
using System.Threading;
using KvmPS.Commands;
using KvmPS.Transport;

namespace KvmPS.Networking;

/// <summary>
/// Runs one bridge change on one host so that it cannot lock the admin out: check the gateway
/// and DNS, arm a rollback timer, apply detached, reach the host on a NEW connection, verify, and
/// only then disarm. A change that cannot be verified is rolled back (at once when the host can
/// be reached, by the timer when it cannot) and the host is checked to answer again.
/// New-KvmBridge and Remove-KvmBridge both run through here.
/// </summary>
internal sealed class BridgeChange
{
    /// <summary>Test hook, set by reflection from the lock-out tests: the change ends by taking the addressed link down.</summary>
    internal static bool CutConnectivityAfterApply;

    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan ConnectAttempt = TimeSpan.FromSeconds(5);

    // After the timer could have fired: how long the restore and sshd may take to answer again.
    private static readonly TimeSpan RecoveryGrace = TimeSpan.FromMinutes(2);

    private readonly KvmSession _session;
    private readonly BridgePlan _plan;
    private readonly NetworkFacts _before;
    private readonly WorkContext _context;
    private readonly Action<string> _log;
    private readonly string _host;
    private readonly string _activity;
    private readonly int _activityId;
    private readonly Stopwatch _clock = new();
    private string _lastConnectError = "";

    public BridgeChange(KvmSession session, BridgePlan plan, NetworkFacts before, WorkContext context, string verb)
    {
        _session = session;
        _plan = plan;
        _before = before;
        _context = context;
        _host = session.ComputerName;
        _log = context.VerboseFor(_host);
        _activity = $"{verb} bridge {plan.Request.Name} on {_host}";
        _activityId = Math.Abs(StringComparer.Ordinal.GetHashCode(_activity) % 10000) + 20000;
    }

    /// <summary>Seconds from arming to the verified change or to the host answering after a rollback.</summary>
    public double Seconds => _clock.Elapsed.TotalSeconds;

    /// <summary>Applies the plan; returns the host's network facts after it (read on the new connection). Throws when it was not applied.</summary>
    public NetworkFacts Run()
    {
        try
        {
            List<(string Kind, string Address)> targets = BridgeChecks.Targets(_plan, _before);
            Progress("Checking the gateway and DNS before the change", 5);
            List<ReachabilityCheck> baseline = targets.Count == 0 ? new List<ReachabilityCheck>()
                : BridgeChecks.Parse(RunOn(_session.Connection!.Shell, new[] { BridgeChecks.Command(targets) }, TimeSpan.FromSeconds(60), _context.Cancel)[0].StdoutText);
            foreach ((string kind, string address) in targets.Where(t => !baseline.Any(c => c.Kind == t.Kind && c.Address == t.Address)))
            {
                _context.Warning($"[{_host}] The check of the {(kind == "dns" ? "DNS server" : "gateway")} {address} did not run before the change, so it is not a condition for keeping it.");
            }

            foreach (ReachabilityCheck check in baseline.Where(c => !c.Passed))
            {
                _context.Warning($"[{_host}] The {check} {(check.Result == "fail" ? "does not answer" : "cannot be checked (no ping or bash on the host)")} before the change, so it is not a condition for keeping it.");
            }

            if (CutConnectivityAfterApply)
            {
                _plan.Apply.Add(new[] { "ip", "link", "set", "dev", _plan.Removes ? _plan.Request.InterfaceName : _plan.Request.Name, "down" });
            }

            string token = NewToken();
            Arm(token);
            string? failure = Verify(token, baseline, out NetworkFacts? after);
            if (failure is null)
            {
                _log($"Verified and disarmed {Seconds:0.0} s after arming.");
                return after!;
            }

            throw Recover(token, failure);
        }
        finally
        {
            _context.Progress(new ProgressRecord(_activityId, _activity, "Done") { RecordType = ProgressRecordType.Completed });
        }
    }

    private void Arm(string token)
    {
        Progress($"Arming a rollback in {BridgePlanner.Seconds(_plan.Request.RollbackTimeout)} s, then applying", 15);
        IReadOnlyList<RemoteCommand> commands = BridgeScripts.Arm(_plan, token);
        BatchResult armed;
        try
        {
            armed = _session.Connection!.Shell.Run(commands, new RunOptions { StopOnError = true, Timeout = TimeSpan.FromSeconds(60) }, _context.Cancel, _log);
        }
        catch (Exception e) when (e is HostUnreachableException or TimeoutException)
        {
            // Cut off while arming: armed and started or not at all. New connections will tell.
            _clock.Start();
            _log($"The connection was lost while arming ({e.Message}); looking on a new connection.");
            return;
        }

        _clock.Start();
        CommandResult? failed = armed.Results.FirstOrDefault(r => !r.Succeeded);
        if (failed is null && armed.Results.Count == commands.Count)
        {
            return;
        }

        if (failed is not null && failed.Command.StdinName == "bridge-arm.sh" && failed.Outcome != CommandOutcome.Exited)
        {
            // Cut off (timed out) while arming: armed and started or not at all. New connections will tell.
            _log($"Arming did not report back ({failed.Describe()}); looking on a new connection.");
            return;
        }

        // Nothing was changed: bridge-arm.sh starts the change as its very last step.
        RunOn(_session.Connection!.Shell, new[] { RemoteCommand.Of("rm", "-rf", "--", BridgeScripts.Directory(token)) }, TimeSpan.FromSeconds(30), CancellationToken.None);
        if (failed is not null && failed.ExitCode == 4 && failed.Command.StdinName == "bridge-arm.sh")
        {
            throw new KvmException("BridgeChangeInProgress", ErrorCategory.ResourceBusy,
                $"Another bridge change on {_host} is still armed ({failed.StderrText.Trim()}); nothing was changed.",
                "Wait until that change is verified or rolled back (at most its -RollbackTimeout), then run the command again.");
        }

        throw new KvmException("BridgeChangeNotStarted", ErrorCategory.WriteError,
            $"Could not prepare the bridge change on {_host}: {(failed ?? armed.Results.Last()).Describe()} Nothing was changed.",
            $"Check that {BridgeScripts.StateParent} is writable for the session's user (root) and that the host has free space.");
    }

    // Null when verified and disarmed; else why not.
    private string? Verify(string token, List<ReachabilityCheck> baseline, out NetworkFacts? after)
    {
        after = null;
        TimeSpan rollback = _plan.Request.RollbackTimeout;
        TimeSpan verifyBy = rollback - TimeSpan.FromSeconds(Math.Max(3, Math.Min(10, rollback.TotalSeconds / 6)));
        Progress("Waiting for the change to finish (new connection)", 30);
        BridgeChangeState? state = null;
        while (_clock.Elapsed < verifyBy)
        {
            state = TryOnNewConnection(verifyBy, (shell, cancel) => BridgeChangeState.Parse(RunOn(shell, new[] { BridgeScripts.State(token, "status") }, Budget(verifyBy), cancel)[0].StdoutText));
            if (state?.Apply is not null || state?.Missing == true)
            {
                break;
            }

            Sleep(Poll);
        }

        if (state?.Missing == true)
        {
            return "the change was not armed";
        }

        if (state?.Apply is null)
        {
            return state is null
                ? $"the host did not answer on a new connection within {verifyBy.TotalSeconds:0} s ({_lastConnectError})"
                : $"the change was still running after {verifyBy.TotalSeconds:0} s";
        }

        if (state.Apply != 0)
        {
            return $"a step of the change failed (exit {state.Apply}) and the change undid itself at once";
        }

        // Verified only on a connection made after the change finished.
        Progress("Verifying the bridge, the gateway and DNS (new connection)", 60);
        List<string> problems = new() { "not verified yet" };
        bool disarmSent = false;
        while (_clock.Elapsed < verifyBy && problems.Count > 0)
        {
            NetworkFacts? facts = null;
            problems = TryOnNewConnection(verifyBy, (shell, cancel) =>
            {
                var commands = new List<RemoteCommand> { BridgeScripts.State(token, "status"), RemoteCommand.Script("network-probe.sh") };
                List<(string Kind, string Address)> targets = baseline.Select(c => (c.Kind, c.Address)).ToList();
                commands.Add(BridgeChecks.Command(targets));
                BatchResult result = RunOn(shell, commands, Budget(verifyBy), cancel);
                BridgeChangeState now = BridgeChangeState.Parse(result[0].StdoutText);
                facts = NetworkFactsParser.Parse(result[1].StdoutText);
                if (now.Disarmed || (now.Missing && disarmSent))
                {
                    // An earlier disarm took effect, though its reply was lost: the change is kept.
                    RunOn(shell, new[] { BridgeScripts.State(token, "cleanup") }, Budget(verifyBy), cancel);
                    return new List<string>();
                }

                if (!now.Armed)
                {
                    return new List<string> { "the rollback timer ran out before the change was verified" };
                }

                List<string> found = facts.ProbeComplete ? BridgeChecks.Problems(_plan, facts) : new List<string> { "the network probe was cut off" };
                found.AddRange(BridgeChecks.Regressions(baseline, targets.Count == 0 ? new List<ReachabilityCheck>() : BridgeChecks.Parse(result[2].StdoutText)));
                if (found.Count == 0)
                {
                    Progress("Verified: disarming the rollback", 90);
                    disarmSent = true;
                    BatchResult disarm = shell.Run(new[] { BridgeScripts.State(token, "disarm"), BridgeScripts.State(token, "cleanup") },
                        new RunOptions { StopOnError = true, Timeout = Budget(verifyBy) }, cancel, _log);
                    if (!disarm[0].Succeeded)
                    {
                        found.Add("disarming failed: " + disarm[0].Describe());
                    }
                }

                return found;
            }) ?? new List<string> { $"the host did not answer on a new connection ({_lastConnectError})" };
            after = facts;
            if (problems.Count > 0)
            {
                _log($"Not verified yet: {string.Join("; ", problems)}.");
                Sleep(Poll);
            }
        }

        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    // Rolls back (now when the host answers, else by the timer), waits for the host to answer
    // again, checks it is as before, and returns the error to report.
    private KvmException Recover(string token, string failure)
    {
        Progress("Not verified: rolling back", 70);
        _log($"The change was not verified ({failure}): rolling back.");
        // nmcli --wait 60 steps of the rollback may each take their minute.
        int waits = _plan.Teardown.Concat(_plan.Restore).Count(c => c.Contains("--wait"));
        TimeSpan deadline = _plan.Request.RollbackTimeout + RecoveryGrace + TimeSpan.FromSeconds(65 * waits);
        string dir = BridgeScripts.Directory(token);
        bool asked = false;
        while (_clock.Elapsed < deadline)
        {
            KvmException? outcome = TryOnNewConnection<KvmException>(deadline, (shell, cancel) =>
            {
                BridgeChangeState state = BridgeChangeState.Parse(RunOn(shell, new[] { BridgeScripts.State(token, "status") }, Budget(deadline), cancel)[0].StdoutText);
                if (state.Missing)
                {
                    return new KvmException("BridgeChangeNotStarted", ErrorCategory.ConnectionError,
                        $"The connection to {_host} was lost while the bridge change was being prepared, before it was armed: nothing was changed.",
                        "Run the command again.");
                }

                if (state.Armed && !asked)
                {
                    // The host answers but the change is wrong: no reason to wait for the timer.
                    asked = RunOn(shell, new[] { BridgeScripts.State(token, "rollback") }, Budget(deadline), cancel)[0].Succeeded;
                    return null;
                }

                if (state.Restore is null)
                {
                    return null;
                }

                BatchResult result = RunOn(shell, new[]
                {
                    RemoteCommand.Of("sh", "-c", "tail -n 5 \"$1/apply.log\"; echo ==; tail -n 5 \"$1/restore.log\"", "sh", dir),
                    RemoteCommand.Script("network-probe.sh"),
                    BridgeScripts.State(token, "cleanup"),
                }, Budget(deadline), cancel);
                return NotApplied(failure, state.Restore.Value, result[0].StdoutText, NetworkFactsParser.Parse(result[1].StdoutText));
            });
            if (outcome is not null)
            {
                return outcome;
            }

            Sleep(Poll);
        }

        return new KvmException("HostNotRecovered", ErrorCategory.ConnectionError,
            $"The bridge {_plan.Request.Name} was not applied on {_host} ({failure}), and the host has not answered on a new connection for {deadline.TotalSeconds:0} s since the change ({_lastConnectError}). "
            + $"Its rollback timer should have restored it {_plan.Request.RollbackTimeout.TotalSeconds:0} s after the change.",
            $"Check the host on its console: {dir}/restore.log says what the rollback did; 'sh {dir}/restore.sh {dir}' restores by hand.");
    }

    private KvmException NotApplied(string failure, int restoreCode, string logs, NetworkFacts now)
    {
        string[] parts = logs.Split(new[] { "==\n" }, 2, StringSplitOptions.None);
        string applyLog = parts[0].Trim();
        string restoreLog = parts.Length > 1 ? parts[1].Trim() : "";
        List<string> left = now.ProbeComplete ? BridgeChecks.RestoreProblems(_plan, _before, now) : new List<string> { "the network probe was cut off" };
        string what = _plan.Removes ? $"The bridge {_plan.Request.Name} was not removed from {_host}" : $"The bridge {_plan.Request.Name} was not applied on {_host}";
        if (restoreCode == 0 && left.Count == 0)
        {
            return new KvmException(_plan.Removes ? "BridgeNotRemoved" : "BridgeNotApplied", ErrorCategory.InvalidResult,
                $"{what}: {failure}. The host was restored as it was and answers again on a new connection ({Seconds:0} s after the change)."
                + (applyLog.Length > 0 ? $" The change's log ends: {applyLog.Replace('\n', ' ')}" : ""),
                "Check the addressing (-IPAddress, -Gateway, -DnsServer) and the NIC, try -WhatIf to see the plan, or raise -RollbackTimeout when the host needs longer to bring links up.");
        }

        return new KvmException("BridgeRestoreIncomplete", ErrorCategory.InvalidResult,
            $"{what}: {failure}. The rollback ran and the host answers again, but it is not entirely as before: "
            + $"{(left.Count > 0 ? string.Join("; ", left) : "see below")} (rollback exit {restoreCode}; its log ends: {restoreLog.Replace('\n', ' ')}).",
            $"Check {_plan.Request.InterfaceName} and {_plan.Request.Name} on the host (ip addr; nmcli connection) and fix what the message lists.");
    }

    // Runs work on a new connection opened for it; null (and the reason kept) when the host cannot be reached in time.
    private T? TryOnNewConnection<T>(TimeSpan by, Func<HostShell, CancellationToken, T?> work)
        where T : class
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(_context.Cancel);
        TimeSpan allowed = Budget(by);
        budget.CancelAfter(allowed);
        HostShell shell = _session.Connection!.Shell.Another();
        try
        {
            // Short connect attempts: one begun while the host is cut off would wait out TCP's SYN
            // backoff (1, 2, 4 s...) even after the rollback brought the host back.
            using (var connecting = CancellationTokenSource.CreateLinkedTokenSource(budget.Token))
            {
                connecting.CancelAfter(allowed < ConnectAttempt ? allowed : ConnectAttempt);
                shell.Open(connecting.Token);
            }

            return work(shell, budget.Token);
        }
        catch (Exception e) when (!_context.Cancel.IsCancellationRequested && e is not KvmException)
        {
            _lastConnectError = e is OperationCanceledException || budget.IsCancellationRequested ? "last try: no answer in time" : "last try: " + e.Message;
            _log($"No answer on a new connection yet ({_lastConnectError}).");
            return null;
        }
        finally
        {
            shell.Dispose();
        }
    }

    private BatchResult RunOn(HostShell shell, IReadOnlyList<RemoteCommand> commands, TimeSpan timeout, CancellationToken cancel)
        => shell.Run(commands, new RunOptions { Timeout = timeout }, cancel, _log);

    // What is left until the deadline, at most 20 s per attempt so a hung attempt is retried.
    private TimeSpan Budget(TimeSpan by)
    {
        TimeSpan left = by - _clock.Elapsed;
        return left < TimeSpan.FromSeconds(2) ? TimeSpan.FromSeconds(2) : left > TimeSpan.FromSeconds(20) ? TimeSpan.FromSeconds(20) : left;
    }

    private void Sleep(TimeSpan span)
    {
        if (_context.Cancel.WaitHandle.WaitOne(span))
        {
            _context.Cancel.ThrowIfCancellationRequested();
        }
    }

    private void Progress(string status, int percent)
        => _context.Progress(new ProgressRecord(_activityId, _activity, status) { PercentComplete = percent });

    private static string NewToken()
    {
        byte[] bytes = new byte[8];
        using (var random = RandomNumberGenerator.Create())
        {
            random.GetBytes(bytes);
        }

        return string.Concat(bytes.Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
    }
}
