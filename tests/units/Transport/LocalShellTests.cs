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
        // The kill signal is delivered asynchronously: on a busy machine the sleeps may need a moment to go.
        int code = 0;
        for (int i = 0; i < 50 && code != 1; i++)
        {
            Thread.Sleep(i == 0 ? 0 : 100);
            code = _shell.Run(RemoteCommand.Of("pgrep", "-f", "sleep " + mark), RunOptions.Default, CancellationToken.None)[0].ExitCode;
        }

        Assert.Equal(1, code);
    }

    [Fact]
    public void ConnectionLostMidBatchKeepsTheResultsThatArrivedAndMarksTheRestLost()
    {
        // The second command kills the session shell (its parent), as a killed sshd child would end it.
        var commands = new[] { RemoteCommand.Of("echo", "done"), RemoteCommand.Of("sh", "-c", "kill -9 $PPID; sleep 5"), RemoteCommand.Of("echo", "never") };
        var options = new RunOptions { Timeout = TimeSpan.FromSeconds(30) };

        HostUnreachableException lost = Assert.Throws<HostUnreachableException>(() => _shell.Run(commands, options, CancellationToken.None));

        Assert.NotNull(lost.Partial);
        Assert.True(lost.Partial![0].Succeeded);
        Assert.Equal("done\n", lost.Partial[0].StdoutText);
        Assert.Equal(CommandOutcome.Lost, lost.Partial[1].Outcome);
        Assert.Equal(CommandOutcome.Lost, lost.Partial[2].Outcome);
        Assert.False(lost.Partial[2].Succeeded);
        Assert.True(_shell.Run(RemoteCommand.Of("true"), RunOptions.Default, CancellationToken.None).Succeeded);
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

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1023)]
    [InlineData(1024)]
    [InlineData(1025)]
    [InlineData(5000)]
    public void StdinArrivesByteForByteAcrossChunks(int size)
    {
        byte[] input = Enumerable.Range(0, size).Select(i => (byte)(i * 7 % 256)).ToArray();

        BatchResult result = _shell.Run(new RemoteCommand(new[] { "cat" }, input), RunOptions.Default, CancellationToken.None);

        Assert.Equal(input, result[0].Stdout);
    }

    [Theory]
    [InlineData("-")]
    [InlineData("--")]
    [InlineData("-v x")]
    [InlineData("%s%d\\n'")]
    public void ChunksStartingWithWhatPrintfMightParseArriveIntact(string start)
    {
        // The input is written in chunks of 1024 bytes: make each one start with the text.
        string text = string.Concat(Enumerable.Range(0, 4).Select(_ => start + new string('x', 1024 - start.Length)));
        byte[] input = Encoding.ASCII.GetBytes(text);

        BatchResult result = _shell.Run(new RemoteCommand(new[] { "cat" }, input), RunOptions.Default, CancellationToken.None);

        Assert.Equal(text, result[0].StdoutText);
    }
}
