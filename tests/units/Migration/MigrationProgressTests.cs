using KvmPS.Migration;
using Xunit;

namespace KvmPS.Tests.Migration;

/// <summary>virsh domjobinfo and migrate --verbose as Move-KvmGuest's progress reads them.</summary>
public sealed class MigrationProgressTests
{
    // libvirt 9.0's layout (virsh domjobinfo while a live migration runs).
    private const string Running = """
        Job type:         Unbounded
        Operation:        Outgoing migration
        Time elapsed:     1016         ms
        Data processed:   100.212 MiB
        Data remaining:   926.543 MiB
        Data total:       1.016 GiB
        Memory processed: 100.212 MiB
        Memory remaining: 926.543 MiB
        Memory total:     1.016 GiB
        Memory bandwidth: 113.574 MiB/s
        Dirty rate:       0            pages/s
        Page size:        4096         bytes
        Iteration:        1
        Postcopy requests: 0
        Constant pages:   12345
        Normal pages:     25612
        Normal data:      100.047 MiB
        Expected downtime: 300          ms
        Setup time:       8            ms

        """;

    private const string Completed = """
        Job type:         Completed
        Operation:        Outgoing migration
        Time elapsed:     3402         ms
        Time elapsed w/o network: 3398         ms
        Data processed:   140.114 MiB
        Data remaining:   0.000 B
        Data total:       1.016 GiB
        Memory bandwidth: 41.215 MiB/s
        Total downtime:   28           ms
        Downtime w/o network: 25           ms
        Iteration:        3

        """;

    [Fact]
    public void ARunningJobsProgress()
    {
        MigrationProgress p = MigrationProgress.Parse(Running);

        Assert.True(p.IsRunning);
        Assert.Equal("Outgoing migration", p.Operation);
        Assert.Equal(1016, p.ElapsedMs);
        Assert.Equal(105_079_898, p.DataProcessed);
        Assert.Equal(971_550_753, p.DataRemaining);
        Assert.Equal(1_090_921_693, p.DataTotal);
        Assert.Equal(119_090_971, p.MemoryBandwidth);
        Assert.Equal(300, p.ExpectedDowntimeMs);
        Assert.Equal(-1, p.TotalDowntimeMs);
        Assert.Equal(9, p.Percent);
        Assert.Equal("100 MiB of 1.0 GiB, 114 MiB/s, 1 s", p.Describe());
    }

    [Fact]
    public void ACompletedJobsDowntime()
    {
        MigrationProgress p = MigrationProgress.Parse(Completed);

        Assert.False(p.IsRunning);
        Assert.Equal("Completed", p.JobType);
        Assert.Equal(28, p.TotalDowntimeMs);
        Assert.Equal(3, p.Iteration);
        Assert.Equal(100, p.Percent);
    }

    [Fact]
    public void NoJobAndGarbageReadAsNothing()
    {
        MigrationProgress none = MigrationProgress.Parse("Job type:         None\n");
        Assert.False(none.IsRunning);
        Assert.Equal(-1, none.Percent);
        Assert.Equal(0, MigrationProgress.Parse("error: failed to get domain 'x'\n").ElapsedMs);
        Assert.Equal(0, MigrationProgress.Bytes("lots"));
    }

    [Theory]
    [InlineData("0 B", 0)]
    [InlineData("1.500 KiB", 1536)]
    [InlineData("2.000 GiB", 2147483648)]
    [InlineData("1 TiB", 1099511627776)]
    public void SizesInVirshsUnits(string text, long bytes) => Assert.Equal(bytes, MigrationProgress.Bytes(text));

    [Theory]
    [InlineData("Migration: [  0 %]\rMigration: [ 45 %]\rMigration: [ 97 %]", 97)]
    [InlineData("\rMigration: [ 12.5 %]\rMigration: [100 %]\n", 100)]
    [InlineData("no progress here", -1)]
    public void TheVerboseStreamsLastPercent(string output, double percent) => Assert.Equal(percent, MigrationProgress.LastVerbosePercent(output));

    // REAL recordings: a 128 MiB TCG guest moved live between two lab hosts with --bandwidth 8
    // (libvirt 9.0, QEMU 7.2), domjobinfo on the source mid-move and --completed on the destination.
    private static string Recorded(string name) => System.IO.File.ReadAllText(System.IO.Path.Combine(System.AppContext.BaseDirectory, "Migration", "Fixtures", name));

    [Fact]
    public void ARecordedRunningMove()
    {
        MigrationProgress p = MigrationProgress.Parse(Recorded("domjobinfo-running-libvirt9.txt"));

        Assert.True(p.IsRunning);
        Assert.Equal("Outgoing migration", p.Operation);
        Assert.Equal(1431, p.ElapsedMs);
        Assert.Equal(MigrationProgress.Bytes("8.022 MiB"), p.DataProcessed);
        Assert.Equal(MigrationProgress.Bytes("128.758 MiB"), p.DataTotal);
        Assert.Equal(6, p.Percent);
        Assert.Equal(300, p.ExpectedDowntimeMs);
    }

    [Fact]
    public void ARecordedCompletedIncomingMoveHasTheMeasuredDowntime()
    {
        MigrationProgress p = MigrationProgress.Parse(Recorded("domjobinfo-completed-incoming-libvirt9.txt"));

        Assert.Equal("Completed", p.JobType);
        Assert.Equal("Incoming migration", p.Operation);
        Assert.Equal(61, p.TotalDowntimeMs);
        Assert.Equal(11828, p.ElapsedMs);
        Assert.Equal(4, p.Iteration);
        Assert.Equal(MigrationProgress.Bytes("92.311 MiB"), p.DataProcessed);
    }
}
