using System;
using System.Collections.Generic;
using System.Linq;
using KvmPS.Planning.Capability;
using Xunit;

namespace KvmPS.Tests.Capability;

/// <summary>
/// The status of every check on every recorded host. One row per fixture, one column per check in
/// Test-KvmCapability's order: P(ass), W(arn), F(ail), NA (NotApplicable). A "!" marks what the
/// host really is where the product currently reports something else (a product bug, listed in
/// <see cref="KnownBugs"/>); those cells are checked by the skipped test at the end.
/// </summary>
public sealed class CapabilityMatrixTests
{
    internal static readonly string[] Columns =
    {
        "CpuVirtualization", "HostVirtualization", "NestedVirtualization", "KernelVersion", "KvmModule", "KvmDevice",
        "Acceleration", "VhostNet", "Tun", "Iommu", "Cgroups", "LibvirtInstalled", "QemuInstalled", "LibvirtDaemon",
        "DefaultNetwork", "DefaultStoragePool", "Memory", "ImageStorage", "SELinux", "HostNameResolution",
        "DefaultGateway", "DnsServers",
    };

    internal static readonly (string Fixture, string Row)[] Matrix =
    {
        //                                         Cpu Host Nest Kern Mod Dev Accel Vhost Tun Iommu Cgrp Lv Qemu Dmn Net Pool Mem Img SEL Name Gw Dns
        ("rhel5.6-intel",                           "P  P   NA   P    P   P   P     NA    P   W     W    P  P    P   P   W    P   P   P   P    P  P"),
        ("rhel5.6-intel-nothing-installed",         "P  P   NA   P    F   F   F     NA    P   W     W    F  F    F   NA  NA   P   P   P   P    P  P"),
        ("rhel6-amd",                               "P  P   P    P    P   P   P     P     P   P     P    P  P    W   P   P    P   P   P   P    P  P"),
        ("rhel6-amd-nothing-installed",             "P  P   NA   P    F   F   F     W     P   W     W    F  F    F   NA  NA   P   P   P   P    P  P"),
        ("rhel7-intel",                             "P  P   P    P    P   P   P     P     P   W     P    P  P    P   P   P    P   P   P   P    P  P"),
        ("rhel7-intel-nothing-installed",           "P  P   P    P    P   W   W     P     P   W     P    F  F    F   NA  NA   P   P   P   P    P  P"),
        ("rhel8-intel-selinux-bad-context",         "P  P   P    P    P   P   P     P     P   P     P    P  P    P   P   P    P   P   F   P    P  P"),
        ("rhel8-nothing-installed",                 "P  P   P    P    P   W   W     P     P   W     P    F  F    F   NA  NA   P   P   P   P    P  P"),
        ("rhel9-intel",                             "P  P   P    P    P   P   P     P     P   P     P    P  P    P   P   P    P   P   P   P    P  P"),
        ("rhel9-intel-unprivileged",                "P  P   P    P    P   P   W     P     P   P     P    P  P    P   NA  NA   P   P   P   P    P  P"),
        ("rhel9-vt-disabled-intel",                 "F  P   NA   P    F   P   F     P     P   P     P    P  P    P   P   P    P   P   P   P    P  P"),
        ("rhel9-svm-disabled-amd",                  "F  P   NA   P    F   W   F     P     P   NA    P    F  F    F   NA  NA   P   P   P   P    P  P"),
        ("rhel9-nested-vm",                         "P  W   P    P    P   P   P     P     P   NA    P    P  P    P   P   P    P   P   P   P    P  P"),
        ("rhel9-vm-no-vt",                          "F  W   NA   P    F   P   F     P     P   NA    P    P  P    P   P   W    P   P   P   P    P  P"),
        ("rhel9-libvirt-stopped",                   "P  P   P    P    P   P   W     P     P   P     P    P  P    F   NA  NA   P   P   P   P    P  P"),
        ("rhel10-amd",                              "P  P   P    P    P   P   P     P     P   P     P    P  P    P   P   P    P   P   P   P    P  P"),
        ("rhel10-amd-nothing-installed",            "P  P   P    P    P   W   W     P     P   P     P    F  F    F   NA  NA   P   P   P   P    P  P"),
        ("debian12-kvm-pvm",                        "F  W   NA   P    W   P   F     W     P   NA    P    P  P    W   W   W    P   P   NA  P    W  P"),
        ("debian12-kvm-pvm-no-init-libvirtd-down",  "F  W   NA   P    W   F   F     W     P   NA    P    P  P    F   NA  NA   P   P   NA  W    W  P"),
        ("ubuntu2204-intel",                        "P  P   P    P    P   P   P     P     P   W     P    P  P    P   P   P    P   P   NA  W    P  P"),
        ("debian12-intel",                          "P  P   P    P    P   P   P     P     P   P     P    P  P    P   W   W    P   P   NA  W    P  P"),
        ("debian12-intel-nothing-installed",        "P  P   P    P    P   W   W     P     P   P     P    F  F    F   NA  NA   P   P   NA  W    P  P"),
        ("alpine3.20-unknown",                      "P  P   P    P    P   W   W     W     F   P     P    F  F    F   NA  NA   P   P   NA  P    P  P"),
    };

    /// <summary>Why a "!" cell differs from what the product reports today (see FixedBugRegressionTests).</summary>
    internal static readonly Dictionary<(string Fixture, string Check), string> KnownBugs = new()
    {
        // Empty: every bug the matrix found was fixed (see FixedBugRegressionTests).
    };

    public static TheoryData<string, string, KvmCheckStatus> StatusCells()
    {
        var data = new TheoryData<string, string, KvmCheckStatus>();
        foreach ((string fixture, string check, KvmCheckStatus status, bool bug) in Cells())
        {
            if (!bug)
            {
                data.Add(fixture, check, status);
            }
        }

        return data;
    }

    internal static IEnumerable<(string Fixture, string Check, KvmCheckStatus Expected, bool KnownBug)> Cells()
    {
        foreach ((string fixture, string row) in Matrix)
        {
            string[] cells = row.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
            Assert.True(cells.Length == Columns.Length, $"{fixture}: {cells.Length} cells for {Columns.Length} checks");
            for (int i = 0; i < cells.Length; i++)
            {
                bool bug = cells[i].EndsWith("!", StringComparison.Ordinal);
                string status = cells[i].TrimEnd('!');
                yield return (fixture, Columns[i], status switch
                {
                    "P" => KvmCheckStatus.Pass,
                    "W" => KvmCheckStatus.Warn,
                    "F" => KvmCheckStatus.Fail,
                    "NA" => KvmCheckStatus.NotApplicable,
                    _ => throw new FormatException($"{fixture} {Columns[i]}: '{cells[i]}'"),
                }, bug);
            }
        }
    }

    internal static bool HasKnownBug(string fixture) => Cells().Any(c => c.Fixture == fixture && c.KnownBug);

    [Theory]
    [MemberData(nameof(StatusCells))]
    public void EveryCheckOnEveryRecordedHost(string fixture, string check, KvmCheckStatus expected)
    {
        KvmCapabilityResult result = ProbeFixtures.Check(fixture, check);
        Assert.True(expected == result.Status, $"{fixture} {check}: expected {expected}, got {result.Status}: {result.Detail}");
        Assert.False(string.IsNullOrWhiteSpace(result.Detail));
        Assert.Equal(fixture, result.ComputerName);
    }

    [Fact]
    public void ColumnsAreTheEvaluatorsChecksInItsOrder()
    {
        Assert.Equal(Columns, CapabilityEvaluator.CheckIds);
        Assert.Equal(Columns, ProbeFixtures.Results("rhel9-intel").Select(r => r.Check));
    }

    [Fact]
    public void EveryFixtureFileHasARowAndEveryRowAFile()
    {
        Assert.Equal(ProbeFixtures.Names(), Matrix.Select(m => m.Fixture).OrderBy(n => n, StringComparer.Ordinal));
        Assert.True(ProbeFixtures.Names().Count >= 20);
    }

    [Fact]
    public void EveryMarkedCellIsAnExplainedKnownBugAndNoOther()
    {
        var marked = Cells().Where(c => c.KnownBug).Select(c => (c.Fixture, c.Check)).OrderBy(k => k).ToList();
        Assert.Equal(marked, KnownBugs.Keys.OrderBy(k => k).ToList());
        foreach ((string fixture, string check, KvmCheckStatus expected, _) in Cells().Where(c => c.KnownBug))
        {
            // The mark is only honest while the product really reports something else.
            Assert.NotEqual(expected, ProbeFixtures.Check(fixture, check).Status);
        }
    }

    [Fact]
    public void FixturesUseOnlySectionsTheProbePrintsInItsOrder()
    {
        IReadOnlyList<string> probe = ProbeFixtures.ProbeSectionNames();
        Assert.Contains("libvirt-capabilities", probe);
        foreach (string name in ProbeFixtures.Names())
        {
            IReadOnlyList<string> sections = ProbeFixtures.SectionNames(ProbeFixtures.Text(name));
            Assert.All(sections, s => Assert.Contains(s, probe));
            Assert.Equal("uid", sections[0]);
            Assert.Equal("end", sections[sections.Count - 1]);
            int[] positions = sections.Select(s => s == "libvirt-version" ? -1 : probe.ToList().IndexOf(s)).Where(p => p >= 0).ToArray();
            Assert.True(positions.SequenceEqual(positions.OrderBy(p => p)), $"{name}: sections out of the probe's order: {string.Join(" ", sections)}");
        }
    }
}
