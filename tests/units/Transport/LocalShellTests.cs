using System;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using KvmPS.Transport;
using Xunit;

namespace KvmPS.Tests.Transport;

/// <summary>The session shell protocol end to end through a real local /bin/sh.</summary>
public sealed class LocalShellTests : IDisposable
{
    private readonly HostShell _shell = new(_ => new LocalChannelFactory(), ShellElevation.None, null, 2, TimeSpan.FromSeconds(10));

    public void Dispose() => _shell.Dispose();

    [Fact]
    public void HostileArgumentReachesProgramAsOneArgument()
    {
        string canary = Path.Combine(Path.GetTempPath(), "kvmps-pwned-" + Guid.NewGuid().ToString("N"));
        string hostile = "a'b;touch " + canary + "$(id)`id`\"\n\\ $HOME *";
        BatchResult result = _shell.Run(RemoteCommand.Of("printf", "%s", hostile), RunOptions.Default, CancellationToken.None);

        Assert.True(result.Succeeded);
        Assert.Equal(hostile, result[0].StdoutText);
        Assert.Empty(Directory.GetFiles(Path.GetTempPath(), Path.GetFileName(canary) + "*"));
    }

    [Fact]
    public void BatchKeepsOrderExitCodesAndBinaryOutput()
    {
        var commands = new[]
        {
            RemoteCommand.Of("sh", "-c", "printf 'out'; printf 'err' >&2; exit 3"),
            RemoteCommand.Of("head", "-c", "256", "/dev/zero"),
            new RemoteCommand(new[] { "cat" }, Enumerable.Range(0, 256).Select(i => (byte)i).ToArray()),
        };

        BatchResult result = _shell.Run(commands, RunOptions.Default, CancellationToken.None);

        Assert.Equal(3, result[0].ExitCode);
        Assert.Equal("out", result[0].StdoutText);
        Assert.Equal("err", result[0].StderrText);
        Assert.Equal(new byte[256], result[1].Stdout);
        Assert.Equal(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), result[2].Stdout);
    }

    [Fact]
    public void StopOnErrorSkipsTheRest()
    {
        var options = new RunOptions { StopOnError = true };
        BatchResult result = _shell.Run(new[] { RemoteCommand.Of("false"), RemoteCommand.Of("true") }, options, CancellationToken.None);

        Assert.Equal(CommandOutcome.Exited, result[0].Outcome);
        Assert.Equal(1, result[0].ExitCode);
        Assert.Equal(CommandOutcome.Skipped, result[1].Outcome);
    }

    [Fact]
    public void TimeoutKillsTheWholeProcessGroupAndTheShellStaysUsable()
    {
        // A unique duration marks the grandchildren so that the check finds only ours.
        string mark = "3000." + new Random().Next(100000, 999999);
        var options = new RunOptions { Timeout = TimeSpan.FromMilliseconds(500) };
        var commands = new[] { RemoteCommand.Of("sh", "-c", $"sleep {mark} & sleep {mark}; wait"), RemoteCommand.Of("echo", "never") };

        BatchResult result = _shell.Run(commands, options, CancellationToken.None);

        Assert.Equal(CommandOutcome.TimedOut, result[0].Outcome);
        Assert.Equal(CommandOutcome.TimedOut, result[1].Outcome);
        Assert.Equal(-1, result[1].ExitCode);
        BatchResult left = _shell.Run(RemoteCommand.Of("pgrep", "-f", "sleep " + mark), RunOptions.Default, CancellationToken.None);
        Assert.Equal(1, left[0].ExitCode);
    }

    [Fact]
    public void CancellationThrowsAndTheShellStaysUsable()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        Assert.ThrowsAny<OperationCanceledException>(
            () => _shell.Run(RemoteCommand.Of("sleep", "30"), RunOptions.Default, cancel.Token));

        Assert.True(_shell.Run(RemoteCommand.Of("true"), RunOptions.Default, CancellationToken.None).Succeeded);
    }

    [Fact]
    public async Task ParallelBatchesRunOnSeparateChannels()
    {
        // A fifo rendezvous: the writer blocks until the reader opens it, so the two commands can
        // only both finish if they run at the same time.
        string fifo = Path.Combine(Path.GetTempPath(), "kvmps-fifo-" + Guid.NewGuid().ToString("N"));
        var options = new RunOptions { Timeout = TimeSpan.FromSeconds(20) };
        _shell.Run(RemoteCommand.Of("mkfifo", fifo), options, CancellationToken.None);
        try
        {
            Task<BatchResult> writer = Task.Run(() => _shell.Run(RemoteCommand.Of("sh", "-c", "echo met > \"$1\"", "w", fifo), options, CancellationToken.None));
            Task<BatchResult> reader = Task.Run(() => _shell.Run(RemoteCommand.Of("cat", fifo), options, CancellationToken.None));

            BatchResult[] both = await Task.WhenAll(writer, reader);

            Assert.True(both[0].Succeeded, both[0][0].Describe());
            Assert.Equal("met\n", both[1][0].StdoutText);
        }
        finally
        {
            File.Delete(fifo);
        }
    }

    [Fact]
    public void ScriptRunsFromStdinWithPositionalArguments()
    {
        var script = new RemoteCommand(new[] { "sh", "-s", "--", "x y", "z" }, Encoding.UTF8.GetBytes("printf '%s|%s' \"$1\" \"$#\""));
        BatchResult result = _shell.Run(script, RunOptions.Default, CancellationToken.None);

        Assert.Equal("x y|2", result[0].StdoutText);
    }
}
