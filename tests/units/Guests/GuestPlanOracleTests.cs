using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using KvmPS.Guests;
using KvmPS.Transport;
using Xunit;
using static KvmPS.Tests.Guests.GuestFixtures;

namespace KvmPS.Tests.Guests;

/// <summary>
/// Plan steps run for real, command by command as the host would (argv + stdin, umask 022 like an
/// SSH session), into a temporary pool directory; virsh goes to libvirt's test driver (see
/// <see cref="TestDriverHost"/>). Skipped where virsh, qemu-img or an ISO tool is missing.
/// </summary>
public sealed class GuestPlanOracleTests
{
    private static readonly string[] IsoTools = { "genisoimage", "mkisofs", "xorriso", "cloud-localds" };

    private static GuestPlan PlanIn(TestDriverHost host, GuestRequest request, Action<HostGuestContext>? change = null, IReadOnlyDictionary<string, byte[]>? seed = null)
        => Plan(request, Host(h => { h.Pools["default"] = (host.Pool, "running"); change?.Invoke(h); }), seed: seed);

    private static void RunStep(TestDriverHost host, PlanStep step)
    {
        foreach (RemoteCommand command in step.Commands)
        {
            var (code, _, stderr) = host.Run(command);
            Assert.True(code == 0, $"{command.ToDisplayString()} failed ({code}): {stderr}");
        }
    }

    private static Dictionary<string, byte[]> Seed() => new()
    {
        ["user-data"] = Utf8("#cloud-config\nusers:\n  - name: admin\n    passwd: $6$rounds=4096$salt$HASHHASHHASH\n"),
        ["meta-data"] = Utf8("instance-id: web01\nlocal-hostname: web01\n"),
    };

    private static void RequireIsoTool() => Skip.If(IsoTools.All(t => TestDriverHost.Which(t).Length == 0), "no ISO tool (genisoimage, mkisofs, xorriso, cloud-localds) here");

    private static void RequireQemuImg() => Skip.If(TestDriverHost.Which("qemu-img").Length == 0, "qemu-img is not installed here");

    /// <summary>The ISO 9660 volume identifier (primary volume descriptor, sector 16, bytes 40-71).</summary>
    private static string VolumeLabel(string iso)
    {
        byte[] bytes = File.ReadAllBytes(iso);
        Assert.True(bytes.Length > 32768 + 72, "not an ISO image");
        Assert.Equal("CD001", Encoding.ASCII.GetString(bytes, 32768 + 1, 5));
        return Encoding.ASCII.GetString(bytes, 32768 + 40, 32).Trim();
    }

    private static bool OthersCanRead(string path)
        => !OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.OtherRead | UnixFileMode.GroupRead)) != 0;

    [SkippableFact]
    public void SeedStepBuildsACidataIsoAndRemovesItsWorkDirectory()
    {
        RequireIsoTool();
        using var host = new TestDriverHost();
        var seed = Seed();
        GuestPlan plan = PlanIn(host, Request(change: r => r.CloudInit = new CloudInitRequest { User = "admin" }), seed: seed);

        RunStep(host, plan.Steps.Single(s => s.Title.StartsWith("Build the cloud-init seed", StringComparison.Ordinal)));

        string iso = Path.Combine(host.Pool, "web01-seed.iso");
        Assert.True(File.Exists(iso));
        Assert.Equal("cidata", VolumeLabel(iso), ignoreCase: true);
        Assert.False(System.IO.Directory.Exists(Path.Combine(host.Pool, ".kvmps-seed-web01")));
        byte[] content = File.ReadAllBytes(iso);
        Assert.True(IndexOf(content, seed["meta-data"]) >= 0, "meta-data is in the ISO");
        Assert.True(IndexOf(content, seed["user-data"]) >= 0, "user-data is in the ISO");
    }

    [SkippableFact]
    public void SeedStepUndoRemovesTheIso()
    {
        RequireIsoTool();
        using var host = new TestDriverHost();
        GuestPlan plan = PlanIn(host, Request(change: r => r.CloudInit = new CloudInitRequest()), seed: Seed());
        PlanStep step = plan.Steps.Single(s => s.Title.StartsWith("Build the cloud-init seed", StringComparison.Ordinal));
        RunStep(host, step);

        foreach (RemoteCommand undo in step.Undo)
        {
            Assert.Equal(0, host.Run(undo).Code);
        }

        Assert.False(File.Exists(Path.Combine(host.Pool, "web01-seed.iso")));
    }

    [SkippableFact]
    public void ThinCloneStepMakesAQcow2OnTheBaseAndItsUndoRemovesIt()
    {
        RequireQemuImg();
        using var host = new TestDriverHost();
        string @base = Path.Combine(host.Root, "base.raw");
        Assert.Equal(0, host.Run("qemu-img", new[] { "create", "-q", "-f", "raw", @base, "1G" }).Code);
        GuestPlan plan = PlanIn(host, Request(change: r => { r.BaseImage = @base; r.DiskSizeBytes = 2L << 30; }), h => h.WithPath(@base, 1L << 30, "raw"));

        RunStep(host, plan.Steps[0]);

        string clone = Path.Combine(host.Pool, "web01.qcow2");
        string info = host.Run("qemu-img", new[] { "info", "--output=json", clone }).Stdout;
        Assert.Contains("\"format\": \"qcow2\"", info);
        Assert.Contains($"\"backing-filename\": \"{@base}\"", info);
        Assert.Contains("\"backing-filename-format\": \"raw\"", info);
        Assert.Contains($"\"virtual-size\": {2L << 30}", info);
        foreach (RemoteCommand undo in plan.Steps[0].Undo)
        {
            Assert.Equal(0, host.Run(undo).Code);
        }

        Assert.False(File.Exists(clone));
    }

    [SkippableFact]
    public void FullCloneStepCopiesTheBase()
    {
        RequireQemuImg();
        using var host = new TestDriverHost();
        string @base = Path.Combine(host.Root, "base.qcow2");
        Assert.Equal(0, host.Run("qemu-img", new[] { "create", "-q", "-f", "qcow2", @base, "1G" }).Code);
        GuestPlan plan = PlanIn(host, Request(change: r => { r.BaseImage = @base; r.FullClone = true; r.DiskSizeBytes = null; }), h => h.WithPath(@base, 1L << 30, "qcow2"));

        RunStep(host, plan.Steps[0]);

        string info = host.Run("qemu-img", new[] { "info", "--output=json", Path.Combine(host.Pool, "web01.qcow2") }).Stdout;
        Assert.Contains("\"format\": \"qcow2\"", info);
        Assert.DoesNotContain("backing-filename", info);
    }

    [SkippableFact]
    public void FilesTheStepsMakeAreNotReadableByOtherUsers()
    {
        RequireIsoTool();
        RequireQemuImg();
        using var host = new TestDriverHost();
        string @base = Path.Combine(host.Root, "base.qcow2");
        Assert.Equal(0, host.Run("qemu-img", new[] { "create", "-q", "-f", "qcow2", @base, "1G" }).Code);
        GuestPlan plan = PlanIn(host, Request(change: r => { r.BaseImage = @base; r.CloudInit = new CloudInitRequest(); }), h => h.WithPath(@base, 1L << 30, "qcow2"), Seed());

        RunStep(host, plan.Steps[0]);
        RunStep(host, plan.Steps.Single(s => s.Title.StartsWith("Build the cloud-init seed", StringComparison.Ordinal)));

        Assert.False(OthersCanRead(Path.Combine(host.Pool, "web01-seed.iso")), "the seed ISO is readable by group/others");
        Assert.False(OthersCanRead(Path.Combine(host.Pool, "web01.qcow2")), "the thin clone is readable by group/others");
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle))
            {
                return i;
            }
        }

        return -1;
    }
}
