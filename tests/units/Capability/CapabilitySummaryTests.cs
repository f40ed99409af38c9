using System.Linq;
using KvmPS.Planning.Capability;
using Xunit;

namespace KvmPS.Tests.Capability;

/// <summary>Test-KvmCapability's verdict per host: IsCapable, Acceleration, the counts and the failed checks.</summary>
public sealed class CapabilitySummaryTests
{
    /// <summary>The summary's Acceleration where the product gets it right (FixedBugRegressionTests covers "None").</summary>
    public static TheoryData<string, string> Accelerations() => new()
    {
        { "rhel5.6-intel", "KVM" },
        { "rhel6-amd", "KVM" },
        { "rhel7-intel", "KVM" },
        { "rhel8-intel-selinux-bad-context", "KVM" },
        { "rhel9-intel", "KVM" },
        { "rhel9-intel-unprivileged", "KVM" },
        { "rhel9-nested-vm", "KVM" },
        { "rhel9-libvirt-stopped", "KVM" }, // debatable: the hardware and packages are ready, nothing runs yet
        { "rhel10-amd", "KVM" },
        { "ubuntu2204-intel", "KVM" },
        { "debian12-intel", "KVM" },
        { "rhel9-vt-disabled-intel", "TCG" },
        { "rhel9-vm-no-vt", "TCG" },
        { "debian12-kvm-pvm", "TCG" },
        { "debian12-kvm-pvm-no-init-libvirtd-down", "TCG" },
    };

    /// <summary>Fixtures whose every cell is right today: the whole summary follows from the matrix.</summary>
    public static TheoryData<string> CleanFixtures()
    {
        var data = new TheoryData<string>();
        foreach ((string fixture, _) in CapabilityMatrixTests.Matrix.Where(m => !CapabilityMatrixTests.HasKnownBug(m.Fixture)))
        {
            data.Add(fixture);
        }

        return data;
    }

    public static TheoryData<string> AllFixtures()
    {
        var data = new TheoryData<string>();
        foreach ((string fixture, _) in CapabilityMatrixTests.Matrix)
        {
            data.Add(fixture);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Accelerations))]
    public void AccelerationIsKvmOnlyWithVtAndLibvirtsKvmType(string fixture, string expected)
    {
        Assert.Equal(expected, ProbeFixtures.Summary(fixture).Acceleration);
    }

    [Theory]
    [MemberData(nameof(CleanFixtures))]
    public void CountsAndVerdictFollowTheMatrix(string fixture)
    {
        var cells = CapabilityMatrixTests.Cells().Where(c => c.Fixture == fixture).ToList();
        KvmCapabilitySummary summary = ProbeFixtures.Summary(fixture);

        Assert.Equal(cells.Count(c => c.Expected == KvmCheckStatus.Pass), summary.Passed);
        Assert.Equal(cells.Count(c => c.Expected == KvmCheckStatus.Warn), summary.Warnings);
        Assert.Equal(cells.Count(c => c.Expected == KvmCheckStatus.Fail), summary.Failures);
        Assert.Equal(cells.Where(c => c.Expected == KvmCheckStatus.Fail).Select(c => c.Check), summary.FailedChecks);
        Assert.Equal(cells.All(c => c.Expected != KvmCheckStatus.Fail), summary.IsCapable);
        Assert.Equal(22, summary.Results.Length);
        Assert.Equal(fixture, summary.ComputerName);
    }

    [Theory]
    [MemberData(nameof(AllFixtures))]
    public void SummaryAggregatesExactlyItsResults(string fixture)
    {
        KvmCapabilitySummary summary = ProbeFixtures.Summary(fixture);
        var results = ProbeFixtures.Results(fixture);

        Assert.Equal(results.Count(r => r.Status == KvmCheckStatus.Pass), summary.Passed);
        Assert.Equal(results.Count(r => r.Status == KvmCheckStatus.Warn), summary.Warnings);
        Assert.Equal(results.Count(r => r.Status == KvmCheckStatus.Fail), summary.Failures);
        Assert.Equal(summary.Failures == 0, summary.IsCapable);
        Assert.Equal(22, summary.Passed + summary.Warnings + summary.Failures + results.Count(r => r.Status == KvmCheckStatus.NotApplicable));
        Assert.Contains(summary.Acceleration, new[] { "KVM", "TCG", "None" });
    }

    [Theory]
    [InlineData("rhel5.6-intel", "Red Hat Enterprise Linux Server 5.6")]
    [InlineData("rhel6-amd", "Red Hat Enterprise Linux Server 6.10")]
    [InlineData("rhel7-intel", "Red Hat Enterprise Linux Server 7.9")]
    [InlineData("rhel8-nothing-installed", "Red Hat Enterprise Linux 8.10")]
    [InlineData("rhel9-vt-disabled-intel", "Red Hat Enterprise Linux 9.2")]
    [InlineData("rhel10-amd", "Red Hat Enterprise Linux 10.0")]
    [InlineData("ubuntu2204-intel", "Ubuntu 22.04")]
    [InlineData("debian12-kvm-pvm", "Debian GNU/Linux 12")]
    [InlineData("alpine3.20-unknown", "Alpine Linux 3.20.0")]
    public void OperatingSystemComesFromOsReleaseOrRedhatRelease(string fixture, string expected)
    {
        Assert.Equal(expected, ProbeFixtures.Summary(fixture).OperatingSystem);
    }

    [Fact]
    public void TheModernHostsAreCapableWithEveryCheckPassing()
    {
        foreach (string fixture in new[] { "rhel9-intel", "rhel10-amd" })
        {
            KvmCapabilitySummary summary = ProbeFixtures.Summary(fixture);
            Assert.True(summary.IsCapable);
            Assert.Equal("KVM", summary.Acceleration);
            Assert.Equal(22, summary.Passed);
            Assert.Empty(summary.FailedChecks);
        }
    }

    [Fact]
    public void TheKvmPvmLabHostIsNotCapableAndRunsTcg()
    {
        KvmCapabilitySummary summary = ProbeFixtures.Summary("debian12-kvm-pvm");
        Assert.False(summary.IsCapable);
        Assert.Equal("TCG", summary.Acceleration);
        Assert.Equal(new[] { "CpuVirtualization", "Acceleration" }, summary.FailedChecks);
    }

    [Fact]
    public void ASelectionOfChecksRunsInTheCanonicalOrderWhateverOrderItIsAskedIn()
    {
        var results = CapabilityEvaluator.Evaluate(ProbeFixtures.Facts("rhel9-intel"), "kvm9", new[] { "selinux", "CpuVirtualization", "Cgroups" });
        Assert.Equal(new[] { "CpuVirtualization", "Cgroups", "SELinux" }, results.Select(r => r.Check));
        Assert.All(results, r => Assert.Equal("kvm9", r.ComputerName));
    }
}
