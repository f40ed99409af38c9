using System;
using System.Threading;
using KvmPS.Transport;
using Xunit;

namespace KvmPS.Tests.Transport;

/// <summary>HostShell.Another: a second connection to the same host, independent of the first (how a bridge change is verified).</summary>
public sealed class AnotherConnectionTests
{
    [Fact]
    public void AnotherConnectsAgainWithTheSameFactoryAndLivesOnItsOwn()
    {
        int connects = 0;
        var first = new HostShell(_ => { Interlocked.Increment(ref connects); return new LocalChannelFactory(); }, ShellElevation.None, null, 2, TimeSpan.FromSeconds(10));
        string firstShell = first.Run(RemoteCommand.Of("sh", "-c", "echo $PPID"), RunOptions.Default, CancellationToken.None)[0].StdoutText;
        Assert.Equal(1, connects);

        using (HostShell second = first.Another())
        {
            Assert.Equal(1, connects);
            string secondShell = second.Run(RemoteCommand.Of("sh", "-c", "echo $PPID"), RunOptions.Default, CancellationToken.None)[0].StdoutText;

            Assert.Equal(2, connects);
            Assert.NotEqual(firstShell, secondShell);
            Assert.Equal(1, second.MaxChannels);
            first.Dispose();
            Assert.Equal("still here\n", second.Run(RemoteCommand.Of("echo", "still", "here"), RunOptions.Default, CancellationToken.None)[0].StdoutText);
        }
    }
}
