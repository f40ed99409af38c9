using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using KvmPS.Transport;
using Xunit;

namespace KvmPS.Tests.Transport;

/// <summary>
/// Groups run at once on the host (RunOptions.Concurrency), through a real local shell: dash (Debian's
/// /bin/sh), bash in POSIX mode (RHEL's /bin/sh) and busybox sh where they are installed.
/// </summary>
public sealed class ConcurrentGroupsTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "kvmps-cg-" + Guid.NewGuid().ToString("N"));

    public ConcurrentGroupsTests() => Directory.CreateDirectory(_dir);

    public static TheoryData<string> Shells()
    {
        var shells = new TheoryData<string> { "/bin/sh" };
        foreach (string shell in new[] { "/bin/bash --posix", "/bin/busybox sh" })
        {
            if (File.Exists(shell.Split(' ')[0]))
            {
                shells.Add(shell);
            }
        }

        return shells;
    }

    public void Dispose() => Directory.Delete(_dir, true);

    [Theory]
    [MemberData(nameof(Shells))]
    public void GroupsMeetOnlyIfTheyRunAtTheSameTime(string shell)
    {
        // A fifo rendezvous: the writer blocks until the reader opens it.
        string fifo = Path.Combine(_dir, "fifo");
        using HostShell host = Host(shell);
        host.Run(RemoteCommand.Of("mkfifo", fifo), RunOptions.Default, CancellationToken.None);
        var commands = new[] { RemoteCommand.Of("sh", "-c", "echo met > \"$1\"", "w", fifo), RemoteCommand.Of("cat", fifo) };

        BatchResult result = host.Run(commands, new RunOptions { Groups = new[] { 1, 2 }, Concurrency = 2, Timeout = TimeSpan.FromSeconds(20) }, CancellationToken.None);

        Assert.Equal(CommandOutcome.Exited, result[0].Outcome);
        Assert.Equal("met\n", result[1].StdoutText);
    }

    [Theory]
    [MemberData(nameof(Shells))]
    public void AGroupsResultArrivesWhenItEndsNotWhenAllHaveEnded(string shell)
    {
        // Group 1 waits until the client has group 2's result: a connection lost in the middle of a
        // bulk batch must not take the results of the groups that had ended with it.
        string fifo = Path.Combine(_dir, "release");
        using HostShell host = Host(shell);
        host.Run(RemoteCommand.Of("mkfifo", fifo), RunOptions.Default, CancellationToken.None);
        var commands = new[] { RemoteCommand.Of("cat", fifo), RemoteCommand.Of("echo", "fast") };
        var options = new RunOptions
        {
            Groups = new[] { 1, 2 },
            Concurrency = 2,
            Timeout = TimeSpan.FromSeconds(20),
            Progress = (index, result) =>
            {
                if (index == 1 && result is not null)
                {
                    System.Threading.Tasks.Task.Run(() => File.WriteAllText(fifo, "released\n"));
                }
            },
        };

        BatchResult batch = host.Run(commands, options, CancellationToken.None);

        Assert.Equal("fast\n", batch[1].StdoutText);
        Assert.True(batch[0].Succeeded, batch[0].Describe());
        Assert.Equal("released\n", batch[0].StdoutText);
    }

    [Theory]
    [MemberData(nameof(Shells))]
    public void EachGroupStopsAtItsOwnFailureAndResultsKeepTheirIndex(string shell)
    {
        using HostShell host = Host(shell);
        var commands = new[]
        {
            RemoteCommand.Of("echo", "a1"), RemoteCommand.Of("false"), RemoteCommand.Of("echo", "b1"),
            RemoteCommand.Of("echo", "a3"), RemoteCommand.Of("echo", "b2"), RemoteCommand.Of("false"), RemoteCommand.Of("echo", "z"),
        };
        int[] groups = { 1, 1, 2, 1, 2, 0, 0 };

        BatchResult result = host.Run(commands, new RunOptions { Groups = groups, Concurrency = 3 }, CancellationToken.None);

        Assert.Equal(new[] { "a1\n", "", "b1\n", "", "b2\n", "", "z\n" }, result.Results.Select(r => r.StdoutText));
        Assert.Equal(
            new[] { CommandOutcome.Exited, CommandOutcome.Exited, CommandOutcome.Exited, CommandOutcome.Skipped, CommandOutcome.Exited, CommandOutcome.Exited, CommandOutcome.Exited },
            result.Results.Select(r => r.Outcome));
    }

    [Theory]
    [MemberData(nameof(Shells))]
    public void ACommandOfNoGroupRunsAloneBetweenTheGroupsAroundIt(string shell)
    {
        using HostShell host = Host(shell);
        string Mark(string name) => Path.Combine(_dir, name);
        var commands = new[]
        {
            RemoteCommand.Of("sh", "-c", "sleep 0.3; touch \"$1\"", "a", Mark("a")),
            RemoteCommand.Of("sh", "-c", "sleep 0.2; touch \"$1\"", "b", Mark("b")),
            RemoteCommand.Of("sh", "-c", "ls \"$1\"; touch \"$1/between\"", "z", _dir),
            RemoteCommand.Of("ls", _dir),
            RemoteCommand.Of("ls", _dir),
        };

        BatchResult result = host.Run(commands, new RunOptions { Groups = new[] { 1, 2, 0, 3, 4 }, Concurrency = 4 }, CancellationToken.None);

        Assert.True(result.Succeeded);
        Assert.Equal("a\nb\n", result[2].StdoutText);
        Assert.Equal("a\nb\nbetween\n", result[3].StdoutText);
        Assert.Equal("a\nb\nbetween\n", result[4].StdoutText);
    }

    [Theory]
    [MemberData(nameof(Shells))]
    public void NoMoreGroupsRunThanAllowed(string shell)
    {
        using HostShell host = Host(shell);
        // Each group counts the groups running beside it; the pause lets them overlap if they may.
        var commands = Enumerable.Range(0, 8).Select(i => RemoteCommand.Of("sh", "-c",
            "touch \"$1/run.$2\"; ls \"$1\" | grep -c '^run\\.' >> \"$1/seen\"; sleep 0.2; rm \"$1/run.$2\"", "g", _dir, i.ToString())).ToArray();

        BatchResult result = host.Run(commands, new RunOptions { Groups = Enumerable.Range(1, 8).ToArray(), Concurrency = 3, Timeout = TimeSpan.FromSeconds(30) }, CancellationToken.None);

        Assert.True(result.Succeeded);
        int[] seen = File.ReadAllLines(Path.Combine(_dir, "seen")).Select(int.Parse).ToArray();
        Assert.Equal(8, seen.Length);
        Assert.All(seen, n => Assert.InRange(n, 1, 3));
    }

    [Theory]
    [MemberData(nameof(Shells))]
    public void LargeOutputAndInputOfGroupsRunningTogetherDoNotMix(string shell)
    {
        using HostShell host = Host(shell);
        byte[][] inputs = Enumerable.Range(0, 4).Select(i => Enumerable.Range(0, 70000 + i).Select(j => (byte)((j * (i + 3)) % 256)).ToArray()).ToArray();
        var commands = inputs.Select(input => new RemoteCommand(new[] { "cat" }, input))
            .Concat(new[] { RemoteCommand.Of("head", "-c", "300000", "/dev/zero") }).ToArray();

        BatchResult result = host.Run(commands, new RunOptions { Groups = new[] { 1, 2, 3, 4, 5 }, Concurrency = 5, Timeout = TimeSpan.FromSeconds(60) }, CancellationToken.None);

        for (int i = 0; i < inputs.Length; i++)
        {
            Assert.Equal(inputs[i], result[i].Stdout);
        }

        Assert.Equal(new byte[300000], result[4].Stdout);
    }

    [Theory]
    [MemberData(nameof(Shells))]
    public void TimeoutStopsEveryRunningGroupAndTheShellStaysUsable(string shell)
    {
        using HostShell host = Host(shell);
        string mark = "4000." + new Random().Next(100000, 999999);
        var commands = new[]
        {
            RemoteCommand.Of("sleep", mark), RemoteCommand.Of("echo", "never"),
            RemoteCommand.Of("sh", "-c", $"sleep {mark} & sleep {mark}; wait"),
            RemoteCommand.Of("sleep", mark),
        };

        BatchResult result = host.Run(commands, new RunOptions { Groups = new[] { 1, 1, 2, 3 }, Concurrency = 2, Timeout = TimeSpan.FromMilliseconds(800) }, CancellationToken.None);

        Assert.Equal(new[] { CommandOutcome.TimedOut, CommandOutcome.TimedOut, CommandOutcome.TimedOut, CommandOutcome.TimedOut }, result.Results.Select(r => r.Outcome));
        // The kill signal is delivered asynchronously: on a busy machine the sleeps may need a moment to go.
        int code = 0;
        for (int i = 0; i < 50 && code != 1; i++)
        {
            Thread.Sleep(i == 0 ? 0 : 100);
            code = host.Run(RemoteCommand.Of("pgrep", "-f", "sleep " + mark), RunOptions.Default, CancellationToken.None)[0].ExitCode;
        }

        Assert.Equal(1, code);
        BatchResult after = host.Run(new[] { RemoteCommand.Of("echo", "x"), RemoteCommand.Of("echo", "y") }, new RunOptions { Groups = new[] { 1, 2 }, Concurrency = 2 }, CancellationToken.None);
        Assert.Equal("x\ny\n", string.Concat(after.Results.Select(r => r.StdoutText)));
    }

    [Fact]
    public void ADaemonACommandStartsDoesNotHoldTheChannelOpen()
    {
        // The background sleep keeps every descriptor it inherited: if it held the channel's stdout
        // (fd 3 of the group's subshell) or the slots fifo (fd 4), disposing the shell would wait for it.
        string mark = "4100." + new Random().Next(100000, 999999);
        var host = Host("/bin/sh");
        string script = "readlink /proc/$PPID/fd/3 /proc/$PPID/fd/4; sleep " + mark + " >/dev/null 2>&1 </dev/null & echo $!";
        var commands = new[] { RemoteCommand.Of("sh", "-c", script), RemoteCommand.Of("true") };
        BatchResult result = host.Run(commands, new RunOptions { Groups = new[] { 1, 2 }, Concurrency = 2 }, CancellationToken.None);
        string[] lines = result[0].StdoutText.Trim().Split('\n');
        string pid = lines[^1];
        try
        {
            Assert.Equal(3, lines.Length);
            Assert.StartsWith("pipe:", lines[0], StringComparison.Ordinal);
            Assert.EndsWith("/slots", lines[1], StringComparison.Ordinal);
            string[] held = Directory.GetFiles($"/proc/{pid}/fd").Select(fd => new FileInfo(fd).LinkTarget ?? "").ToArray();

            Assert.Contains("/dev/null", held);
            Assert.DoesNotContain(lines[0], held);
            Assert.DoesNotContain(lines[1], held);
        }
        finally
        {
            host.Dispose();
            using var kill = System.Diagnostics.Process.Start("kill", pid);
            kill.WaitForExit();
        }
    }

    private static HostShell Host(string shell)
        => new(_ => new ShellSwap(shell), ShellElevation.None, null, 2, TimeSpan.FromSeconds(10));

    /// <summary>The local channel with the session shell started as <c>shell</c> instead of /bin/sh.</summary>
    private sealed class ShellSwap : IChannelFactory
    {
        private readonly LocalChannelFactory _local = new();
        private readonly string _shell;

        public ShellSwap(string shell) => _shell = shell;

        public bool IsConnected => true;

        public IShellChannel Open(string command) => _local.Open(command.Replace("exec /bin/sh", "exec " + _shell));

        public void Dispose() => _local.Dispose();
    }
}
