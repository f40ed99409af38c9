using System;
using System.IO;
using System.Linq;
using System.Threading;
using KvmPS.Networking;
using KvmPS.Transport;
using Xunit;

namespace KvmPS.Tests.Networking;

/// <summary>
/// The rollback machinery for real, through a local session shell (/bin/sh): arm, apply
/// detached, disarm, the timer restoring an unverified change, an apply that fails restoring at
/// once, and one change at a time. The plan's commands are harmless stand-ins that log.
/// </summary>
public sealed class BridgeScriptsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kvmps-bridge-test-").FullName;
    private readonly HostShell _host = new(_ => new LocalChannelFactory(), ShellElevation.None, null, 2, TimeSpan.FromSeconds(10));

    public void Dispose()
    {
        // A failed test may leave a timer: end every one of this directory before deleting it.
        using (var kill = System.Diagnostics.Process.Start("pkill", new[] { "-f", _dir }))
        {
            kill.WaitForExit();
        }

        _host.Dispose();
        Directory.Delete(_dir, true);
    }

    private string Log => Path.Combine(_dir, "log");

    private string Existing => Path.Combine(_dir, "ifcfg-eth0");

    // A name no shell should interpret: written literally, or the test's canary appears.
    private string Created => Path.Combine(_dir, "ifcfg-br0 '$(touch canary)`touch canary`\"x");

    private BridgePlan Change(int rollbackSeconds, bool failApply = false, bool slowApply = false)
    {
        File.WriteAllText(Existing, "DEVICE=eth0\nBOOTPROTO=dhcp\n");
        var request = new BridgeRequest { Name = "br0", InterfaceName = "eth0", RollbackTimeout = TimeSpan.FromSeconds(rollbackSeconds) };
        var plan = new BridgePlan(request, KvmBridgeBackend.IpRoute, new BridgeAddressing(), "52:54:00:12:34:56");
        plan.Files.Add(new BridgeFile(Existing, "DEVICE=eth0\nBRIDGE=br0\n"));
        plan.Files.Add(new BridgeFile(Created, "DEVICE=br0\nTYPE=Bridge\n"));
        plan.Apply.Add(new[] { "sh", "-c", "echo applied >>\"$1\"", "sh", Log });
        if (failApply)
        {
            plan.Apply.Add(new[] { "sh", "-c", "exit 7" });
        }

        if (slowApply)
        {
            plan.Apply.Add(new[] { "sh", "-c", "sleep 30; echo late >>\"$1\"", "sh", Log });
        }

        plan.Teardown.Add(new[] { "sh", "-c", "echo teardown >>\"$1\"", "sh", Log });
        plan.Restore.Add(new[] { "sh", "-c", "echo restored >>\"$1\"", "sh", Log });
        return plan;
    }

    private BatchResult Arm(BridgePlan plan, string token)
        => _host.Run(BridgeScripts.Arm(plan, token, _dir), new RunOptions { Groups = Enumerable.Repeat(1, 4 + plan.Files.Count).ToArray() }, CancellationToken.None);

    private string State(string token, string action = "status")
        => _host.Run(BridgeScripts.State(token, action, _dir), RunOptions.Default, CancellationToken.None)[0].StdoutText;

    private string WaitForState(string token, string expected)
    {
        string state = "";
        for (int i = 0; i < 300 && !state.Contains(expected, StringComparison.Ordinal); i++)
        {
            Thread.Sleep(100);
            state = State(token);
        }

        Assert.Contains(expected, state, StringComparison.Ordinal);
        return state;
    }

    private string[] LogLines() => File.Exists(Log) ? File.ReadAllLines(Log) : Array.Empty<string>();

    [Fact]
    public void AVerifiedChangeIsDisarmedAndNeverRolledBack()
    {
        BatchResult armed = Arm(Change(rollbackSeconds: 2), "t1");

        Assert.True(armed.Succeeded, string.Join("\n", armed.Results.Select(r => r.Describe())));
        Assert.Equal("apply 0\nrestore none\narmed yes\n", WaitForState("t1", "apply 0"));
        Assert.Equal("DEVICE=eth0\nBRIDGE=br0\n", File.ReadAllText(Existing));
        Assert.Equal("DEVICE=br0\nTYPE=Bridge\n", File.ReadAllText(Created));

        BatchResult disarmed = _host.Run(BridgeScripts.State("t1", "disarm", _dir), RunOptions.Default, CancellationToken.None);

        Assert.True(disarmed.Succeeded, disarmed[0].Describe());
        // Disarmed, not yet cleaned up: a lost reply to the disarm can still be told from a rollback.
        Assert.Equal("apply 0\nrestore none\narmed no\ndisarmed yes\n", State("t1"));
        Assert.Equal(5, _host.Run(BridgeScripts.State("t1", "rollback", _dir), RunOptions.Default, CancellationToken.None)[0].ExitCode);
        Assert.True(_host.Run(BridgeScripts.State("t1", "cleanup", _dir), RunOptions.Default, CancellationToken.None).Succeeded);
        Assert.False(Directory.Exists(BridgeScripts.Directory("t1", _dir)));
        Assert.Equal("change missing\n", State("t1"));
        Thread.Sleep(3000);
        Assert.Equal(new[] { "applied" }, LogLines());
        Assert.Equal("DEVICE=eth0\nBRIDGE=br0\n", File.ReadAllText(Existing));
        Assert.False(File.Exists(Path.Combine(_dir, "canary")));
    }

    [Fact]
    public void AnUnverifiedChangeIsRolledBackByTheTimer()
    {
        // The change itself starts a second after arming.
        Assert.True(Arm(Change(rollbackSeconds: 2), "t2").Succeeded);

        Assert.Equal("apply 0\nrestore 0\narmed no\n", WaitForState("t2", "restore 0"));

        Assert.Equal("DEVICE=eth0\nBOOTPROTO=dhcp\n", File.ReadAllText(Existing));
        Assert.False(File.Exists(Created));
        Assert.Equal(new[] { "applied", "teardown", "restored" }, LogLines());
        // Too late to disarm: the rollback ran, and says so.
        Assert.Equal(5, _host.Run(BridgeScripts.State("t2", "disarm", _dir), RunOptions.Default, CancellationToken.None)[0].ExitCode);
        Assert.True(_host.Run(BridgeScripts.State("t2", "cleanup", _dir), RunOptions.Default, CancellationToken.None).Succeeded);
        Assert.False(Directory.Exists(BridgeScripts.Directory("t2", _dir)));
        Assert.False(File.Exists(Path.Combine(_dir, "canary")));
    }

    [Fact]
    public void AFailedApplyRestoresAtOnceAndTheTimerDoesNotRestoreAgain()
    {
        Assert.True(Arm(Change(rollbackSeconds: 2, failApply: true), "t3").Succeeded);

        Assert.Equal("apply 7\nrestore 0\narmed no\n", WaitForState("t3", "apply 7"));
        Assert.Equal("DEVICE=eth0\nBOOTPROTO=dhcp\n", File.ReadAllText(Existing));
        Assert.False(File.Exists(Created));
        Thread.Sleep(3000);
        Assert.Equal(new[] { "applied", "teardown", "restored" }, LogLines());
        Assert.Contains("KvmPS: failed (7): sh -c 'exit 7'", File.ReadAllText(Path.Combine(BridgeScripts.Directory("t3", _dir), "apply.log")), StringComparison.Ordinal);
    }

    [Fact]
    public void ASecondChangeIsRefusedWhileOneIsArmed()
    {
        Assert.True(Arm(Change(rollbackSeconds: 30), "t4").Succeeded);

        BatchResult second = Arm(Change(rollbackSeconds: 30), "t5");

        CommandResult arm = second.Results.Last();
        Assert.Equal(4, arm.ExitCode);
        Assert.Contains("another bridge change is still armed: " + BridgeScripts.Directory("t4", _dir), arm.StderrText, StringComparison.Ordinal);
        Assert.True(_host.Run(BridgeScripts.State("t4", "disarm", _dir), RunOptions.Default, CancellationToken.None).Succeeded);
    }

    [Fact]
    public void DisarmEndsTheTimersWholeProcessGroup()
    {
        Assert.True(Arm(Change(rollbackSeconds: 600), "t6").Succeeded);
        WaitForState("t6", "apply 0");
        string pid = File.ReadAllText(Path.Combine(BridgeScripts.Directory("t6", _dir), "timer.pid")).Trim();
        Assert.True(Directory.Exists("/proc/" + pid));

        Assert.True(_host.Run(BridgeScripts.State("t6", "disarm", _dir), RunOptions.Default, CancellationToken.None).Succeeded);

        // Dead means gone, or a zombie where the orphan's reaper (PID 1 here) does not reap.
        bool Alive() => File.Exists($"/proc/{pid}/stat") && File.ReadAllText($"/proc/{pid}/stat").Split(") ")[^1][0] != 'Z';
        for (int i = 0; i < 50 && Alive(); i++)
        {
            Thread.Sleep(100);
        }

        Assert.False(Alive(), "the timer still runs");
        using var pgrep = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("pgrep", "-g " + pid) { RedirectStandardOutput = true });
        pgrep!.WaitForExit();
        // Its sleep went with it: nothing of the group is left but zombies.
        Assert.All(pgrep.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries), p => Assert.Equal('Z', File.ReadAllText($"/proc/{p}/stat").Split(") ")[^1][0]));
        Assert.Equal(new[] { "applied" }, LogLines());
    }

    [Fact]
    public void RollbackRestoresNowAndTheTimerDoesNotRestoreAgain()
    {
        Assert.True(Arm(Change(rollbackSeconds: 3), "t7").Succeeded);
        WaitForState("t7", "apply 0");

        Assert.True(_host.Run(BridgeScripts.State("t7", "rollback", _dir), RunOptions.Default, CancellationToken.None).Succeeded);

        Assert.Equal("apply 0\nrestore 0\narmed no\n", WaitForState("t7", "restore 0"));
        Assert.Equal("DEVICE=eth0\nBOOTPROTO=dhcp\n", File.ReadAllText(Existing));
        Assert.False(File.Exists(Created));
        Thread.Sleep(4000);
        Assert.Equal(new[] { "applied", "teardown", "restored" }, LogLines());
        Assert.Equal(5, _host.Run(BridgeScripts.State("t7", "rollback", _dir), RunOptions.Default, CancellationToken.None)[0].ExitCode);
    }

    [Fact]
    public void AChangeStillRunningWhenTheTimeIsUpIsEndedBeforeTheRestore()
    {
        Assert.True(Arm(Change(rollbackSeconds: 3, slowApply: true), "t8").Succeeded);

        Assert.Equal("apply 124\nrestore 0\narmed no\n", WaitForState("t8", "restore 0"));

        Assert.Equal(new[] { "applied", "teardown", "restored" }, LogLines());
        Assert.Equal("DEVICE=eth0\nBOOTPROTO=dhcp\n", File.ReadAllText(Existing));
        string pid = File.ReadAllText(Path.Combine(BridgeScripts.Directory("t8", _dir), "apply.pid")).Trim();
        using var pgrep = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("pgrep", "-g " + pid) { RedirectStandardOutput = true });
        pgrep!.WaitForExit();
        Assert.All(pgrep.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries), p => Assert.Equal('Z', File.ReadAllText($"/proc/{p}/stat").Split(") ")[^1][0]));
    }

    [Fact]
    public void OnlyOneClaimsTheChangeDisarmFailsOnceTheTimerHasIt()
    {
        Assert.True(Arm(Change(rollbackSeconds: 600), "t9").Succeeded);
        WaitForState("t9", "apply 0");
        string dir = BridgeScripts.Directory("t9", _dir);

        // What the timer's first step does when its time is up.
        File.Move(Path.Combine(dir, "armed.t9"), Path.Combine(dir, "claimed"));

        Assert.Equal(5, _host.Run(BridgeScripts.State("t9", "disarm", _dir), RunOptions.Default, CancellationToken.None)[0].ExitCode);
        Assert.Equal(5, _host.Run(BridgeScripts.State("t9", "rollback", _dir), RunOptions.Default, CancellationToken.None)[0].ExitCode);
        Assert.Equal("apply 0\nrestore running\narmed no\n", State("t9"));
        string pid = File.ReadAllText(Path.Combine(dir, "timer.pid")).Trim();
        using var kill = System.Diagnostics.Process.Start("kill", new[] { "-s", "KILL", "--", "-" + pid });
        kill!.WaitForExit();
    }
}

