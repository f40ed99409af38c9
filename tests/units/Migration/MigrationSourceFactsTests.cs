using System;
using System.IO;
using System.Linq;
using System.Xml.Linq;
using KvmPS.Migration;
using Xunit;

namespace KvmPS.Tests.Migration;

/// <summary>migration-source.sh's output, REAL recordings from the lab (see Fixtures/README.md).</summary>
public sealed class MigrationSourceFactsTests
{
    private static MigrationSourceFacts Recorded(string name)
        => MigrationSourceFacts.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Migration", "Fixtures", name)));

    [Fact]
    public void ARunningGuestWithAQcow2DiskTowardsAReachableTrustedDestination()
    {
        MigrationSourceFacts facts = Recorded("migration-source-running-guest.txt");

        Assert.True(facts.Complete);
        Assert.Equal("running", facts.State);
        Assert.True(facts.Persistent);
        Assert.Equal("msrc1", (string?)XElement.Parse(facts.Xml).Element("name"));
        MigrationDisk disk = Assert.Single(facts.Disks);
        Assert.Equal(("file", "disk", "vda", "/var/lib/libvirt/images/msrc1.qcow2"), (disk.Type, disk.Device, disk.Target, disk.Source));
        Assert.Equal(("qcow2", 16777216L, ""), (disk.Format, disk.VirtualSize, disk.Backing));
        Assert.Equal(new[] { "198.18.0.12" }, facts.Resolved);
        Assert.Equal("open", facts.Ports[22]);
        Assert.Equal("refused", facts.Ports[49152]);
        Assert.Equal(0, facts.TrustExitCode);
        Assert.Contains("Running against daemon: 9.0.0", facts.TrustOutput, StringComparison.Ordinal);
        Assert.Equal("9.0.0", facts.LibvirtVersion);
    }

    [Fact]
    public void AMissingGuestTowardsAnUnreachableDestination()
    {
        MigrationSourceFacts facts = Recorded("migration-source-missing-guest.txt");

        Assert.True(facts.Complete);
        Assert.Equal("", facts.State);
        Assert.Equal("", facts.Xml);
        Assert.Empty(facts.Disks);
        Assert.Equal("filtered", facts.Ports[22]);
        Assert.Equal(255, facts.TrustExitCode);
        Assert.Contains("No route to host", facts.TrustOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void ACutOffOutputIsNotComplete()
    {
        string text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Migration", "Fixtures", "migration-source-running-guest.txt"));
        MigrationSourceFacts facts = MigrationSourceFacts.Parse(text.Substring(0, text.IndexOf("== resolve", StringComparison.Ordinal) + 5));

        Assert.False(facts.Complete);
        Assert.Equal(-1, facts.TrustExitCode);
        Assert.Equal("qcow2", facts.Disks.Single().Format);
    }

    [Fact]
    public void TheDefinitionTravelsInBase64SoThatNoLineOfItEndsASection()
    {
        string xml = "<domain type='kvm'><name>web1</name><description>\n== end\n== persistent\nno\n</description></domain>";
        string output = "== state\nrunning\n== persistent\nyes\n== xml64\n" + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(xml)) + "\n== disks\n== end\n";

        MigrationSourceFacts facts = MigrationSourceFacts.Parse(output);

        Assert.Equal(xml, facts.Xml);
        Assert.True(facts.Persistent);
        Assert.True(facts.Complete);
    }
}
