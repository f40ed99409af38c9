using System;
using System.Linq;
using KvmPS;
using KvmPS.Migration;
using Xunit;

namespace KvmPS.Tests.Migration;

/// <summary>Move-KvmGuest's virsh migrate command for every option, and the combinations refused before anything moves.</summary>
public sealed class MigrationPlannerTests
{
    private static MigrationGuest Guest(string state = "running", bool persistent = true) => new() { Name = "web1", State = state, Persistent = persistent };

    private static MigrationPlan Plan(Action<MigrationOptions>? change = null, MigrationGuest? guest = null, string address = "198.18.0.12", string keyFile = "", string sshCommand = "")
    {
        var options = new MigrationOptions();
        change?.Invoke(options);
        return MigrationPlanner.Plan(guest ?? Guest(), options, address, 22, "root", keyFile, sshCommand);
    }

    private static string Line(MigrationPlan plan) => string.Join(" ", plan.Migrate);

    private static string Refused(Action<MigrationOptions>? change = null, MigrationGuest? guest = null, string address = "198.18.0.12")
        => Assert.Throws<KvmException>(() => Plan(change, guest, address)).ErrorId;

    [Fact]
    public void ALiveMoveIsPersistentUndefinesTheSourceAndNamesTheDataAddress()
    {
        MigrationPlan plan = Plan();

        Assert.Equal("virsh -c qemu:///system migrate --live --persistent --undefinesource --migrateuri tcp://198.18.0.12 --domain web1 --desturi qemu+ssh://root@198.18.0.12/system", Line(plan));
        Assert.Equal("Live", plan.Mode);
        Assert.Null(plan.SetMaxDowntime);
        Assert.Equal(TimeSpan.Zero, plan.AbortAfter);
    }

    [Fact]
    public void EveryLiveOptionHasItsFlag()
    {
        MigrationPlan plan = Plan(o =>
        {
            o.IncludeStorage = true;
            o.AutoConverge = true;
            o.Compressed = true;
            o.PostCopy = true;
            o.BandwidthMiBps = 200;
            o.MaxDowntimeMs = 150;
            o.Timeout = TimeSpan.FromSeconds(90);
            o.TimeoutAction = KvmMigrationTimeoutAction.PostCopy;
            o.MigrationAddress = "10.0.9.12";
        });

        Assert.Equal("virsh -c qemu:///system migrate --live --persistent --undefinesource --copy-storage-all --auto-converge --compressed --postcopy --bandwidth 200 "
            + "--timeout 90 --timeout-postcopy --migrateuri tcp://10.0.9.12 --domain web1 --desturi qemu+ssh://root@198.18.0.12/system", Line(plan));
        Assert.Equal("Live+PostCopy", plan.Mode);
        Assert.Equal("virsh -c qemu:///system migrate-setmaxdowntime --domain web1 --downtime 150", string.Join(" ", plan.SetMaxDowntime!));
    }

    [Fact]
    public void TimeoutActionsSuspendThroughVirshAndAbortThroughKvmPs()
    {
        Assert.EndsWith("--timeout 30 --timeout-suspend --migrateuri tcp://198.18.0.12 --domain web1 --desturi qemu+ssh://root@198.18.0.12/system",
            Line(Plan(o => { o.Timeout = TimeSpan.FromSeconds(29.5); o.TimeoutAction = KvmMigrationTimeoutAction.Suspend; })), StringComparison.Ordinal);

        MigrationPlan abort = Plan(o => o.Timeout = TimeSpan.FromSeconds(45));
        Assert.DoesNotContain("--timeout", Line(abort), StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(45), abort.AbortAfter);
    }

    [Fact]
    public void TemporaryLeavesTheSourceDefinedAndTheDestinationTransient()
    {
        string line = Line(Plan(o => o.Temporary = true));

        Assert.DoesNotContain("--persistent", line, StringComparison.Ordinal);
        Assert.DoesNotContain("--undefinesource", line, StringComparison.Ordinal);
    }

    [Fact]
    public void AStoppedGuestMovesOfflineWithoutADataUri()
    {
        MigrationPlan plan = Plan(guest: Guest("shut off"));

        // Guarded: run only while the guest is still shut off (libvirt would move a running one's definition and leave it running).
        Assert.Equal(new[] { "sh", "-c" }, plan.Migrate.Take(2));
        Assert.Contains("= 'shut off' ]", plan.Migrate[2], StringComparison.Ordinal);
        Assert.Equal("kvmps-offline web1 virsh -c qemu:///system migrate --offline --persistent --undefinesource --domain web1 --desturi qemu+ssh://root@198.18.0.12/system",
            string.Join(" ", plan.Migrate.Skip(3)));
        Assert.Equal("Offline", plan.Mode);
        Assert.Equal("", plan.MigrationUri);
        Assert.Contains(plan.Warnings, w => w.Contains("only its definition moves", StringComparison.Ordinal));
    }

    [Fact]
    public void OfflineWithTheSwitchOnAStoppedGuestHasNoWarning()
        => Assert.Empty(Plan(o => o.Offline = true, Guest("shut off")).Warnings);

    [Theory]
    [InlineData("running", "Offline", "GuestRunning")]
    [InlineData("shut off", "IncludeStorage", "OfflineStorageCopy")]
    [InlineData("shut off", "PostCopy", "LiveOnlyOption")]
    [InlineData("shut off", "AutoConverge", "LiveOnlyOption")]
    [InlineData("shut off", "Compressed", "LiveOnlyOption")]
    [InlineData("shut off", "Bandwidth", "LiveOnlyOption")]
    [InlineData("shut off", "MaxDowntime", "LiveOnlyOption")]
    [InlineData("shut off", "Timeout", "LiveOnlyOption")]
    [InlineData("shut off", "MigrationAddress", "LiveOnlyOption")]
    [InlineData("shut off", "Temporary", "OfflineTemporary")]
    [InlineData("paused", "PostCopy", "PostCopyPaused")]
    [InlineData("running", "TimeoutActionOnly", "TimeoutActionWithoutTimeout")]
    [InlineData("running", "TimeoutPostCopyWithoutPostCopy", "PostCopyNotEnabled")]
    [InlineData("running", "RemoveSourceStorage", "RemoveSharedStorage")]
    [InlineData("running", "PostCopyTimeoutAbort", "PostCopyAbort")]
    [InlineData("pmsuspended", "Offline", "GuestRunning")]
    [InlineData("in shutdown", "Offline", "GuestRunning")]
    [InlineData("running", "RemoveTemporary", "RemoveTemporarySource")]
    public void CombinationsThatCannotWorkAreRefusedUpFront(string state, string option, string id)
    {
        Action<MigrationOptions> set = option switch
        {
            "Offline" => o => o.Offline = true,
            "IncludeStorage" => o => o.IncludeStorage = true,
            "PostCopy" => o => o.PostCopy = true,
            "AutoConverge" => o => o.AutoConverge = true,
            "Compressed" => o => o.Compressed = true,
            "Bandwidth" => o => o.BandwidthMiBps = 100,
            "MaxDowntime" => o => o.MaxDowntimeMs = 100,
            "Timeout" => o => o.Timeout = TimeSpan.FromSeconds(10),
            "MigrationAddress" => o => o.MigrationAddress = "10.0.9.12",
            "Temporary" => o => o.Temporary = true,
            "TimeoutActionOnly" => o => o.TimeoutAction = KvmMigrationTimeoutAction.Suspend,
            "TimeoutPostCopyWithoutPostCopy" => o => { o.Timeout = TimeSpan.FromSeconds(10); o.TimeoutAction = KvmMigrationTimeoutAction.PostCopy; },
            "RemoveSourceStorage" => o => o.RemoveSourceStorage = true,
            "RemoveTemporary" => o => { o.RemoveSourceStorage = true; o.IncludeStorage = true; o.Temporary = true; },
            "PostCopyTimeoutAbort" => o => { o.PostCopy = true; o.Timeout = TimeSpan.FromSeconds(600); },
            _ => throw new ArgumentException(option),
        };

        Assert.Equal(id, Refused(set, Guest(state)));
    }

    [Fact]
    public void ATransientGuestMovesOnlyTemporarily()
    {
        Assert.Equal("TransientGuest", Refused(guest: Guest(persistent: false)));
        Assert.DoesNotContain("--persistent", Line(Plan(o => o.Temporary = true, Guest(persistent: false))), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.0.9.12;reboot")]
    [InlineData("$(reboot)")]
    [InlineData("host name")]
    [InlineData("-oProxyCommand=x")]
    [InlineData("1")]
    [InlineData("10.0.9")]
    public void AddressesThatAreNotHostsAreRefused(string address)
    {
        Assert.Equal("InvalidMigrationAddress", Refused(o => o.MigrationAddress = address));
        Assert.Equal("InvalidMigrationAddress", Refused(address: address));
    }

    [Fact]
    public void IPv6AddressesAreBracketedInUris()
    {
        MigrationPlan plan = Plan(address: "2001:db8::12");

        Assert.Equal("tcp://[2001:db8::12]", plan.MigrationUri);
        Assert.Equal("qemu+ssh://root@[2001:db8::12]/system", plan.DestinationUri);
    }

    [Fact]
    public void AnEphemeralKeyAndAnotherPortGoIntoTheDestinationUri()
    {
        Assert.Equal("qemu+ssh://admin%20x@kvm2.example.com:2222/system?keyfile=%2Fvar%2Frun%2Fkvmps-migrate-1%2Fid&no_tty=1",
            MigrationPlanner.DestinationUri("kvm2.example.com", 2222, "admin x", "/var/run/kvmps-migrate-1/id"));
    }

    [Fact]
    public void EphemeralTrustPassesItsKeyAndSshWrapperToLibvirt()
    {
        MigrationPlan plan = Plan(keyFile: "/run/kvmps-migrate-ab/id", sshCommand: "/run/kvmps-migrate-ab/ssh");

        Assert.Equal("qemu+ssh://root@198.18.0.12/system?keyfile=%2Frun%2Fkvmps-migrate-ab%2Fid&no_tty=1&command=%2Frun%2Fkvmps-migrate-ab%2Fssh", plan.DestinationUri);
        Assert.Equal(plan.DestinationUri, plan.Migrate[plan.Migrate.Count - 1]);
    }

    [Fact]
    public void PostCopyAloneSwitchesAfterTheFirstPass()
    {
        Assert.Equal("virsh -c qemu:///system migrate --live --persistent --undefinesource --postcopy --postcopy-after-precopy --migrateuri tcp://198.18.0.12 --domain web1 --desturi qemu+ssh://root@198.18.0.12/system",
            Line(Plan(o => o.PostCopy = true)));
    }
}
