using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using KvmPS.Facts;
using KvmPS.Planning.Capability;
using KvmPS.Transport;

namespace KvmPS.Guests;

/// <summary>
/// Turns a guest request and what the host offers into a plan: checks first (nothing runs when one
/// fails), then the steps with their undo, the domain XML, and the wait. Pure, so xunit covers it.
/// </summary>
internal static partial class GuestPlanner
{
    public const long DefaultMemory = 1024L * 1024 * 1024;
    private const string Uri = "qemu:///system";

    /// <summary>The host paths and pool volumes the prerequisites probe must look at for a request.</summary>
    public static (List<string> Paths, List<(string Pool, string File)> Volumes) Lookups(GuestRequest request)
    {
        var paths = new[] { request.BaseImage, request.ImportDisk, request.IsoPath, request.KernelPath, request.InitrdPath }
            .Where(p => !string.IsNullOrEmpty(p)).Select(p => p!).ToList();
        string pool = PoolOf(request);
        var volumes = new List<(string, string)> { (pool, DiskFile(request.Name)), (pool, SeedFile(request.Name)) };
        volumes.AddRange(request.DataDiskSizeBytes.Select((_, i) => (pool, DataFile(request.Name, i + 1))));
        return (paths, volumes);
    }

    public static string PoolOf(GuestRequest request) => request.StoragePool ?? "default";

    public static string DiskFile(string name) => name + ".qcow2";

    public static string DataFile(string name, int index) => $"{name}-data{index}.qcow2";

    public static string SeedFile(string name) => name + "-seed.iso";

    /// <param name="seedFiles">user-data, meta-data and network-config contents when cloud-init is asked for.</param>
    public static GuestPlan Plan(
        GuestRequest request, HostFacts facts, HostGuestContext host, IReadOnlyList<KvmGuest> existing,
        string computerName, IReadOnlyDictionary<string, byte[]>? seedFiles, TimeSpan waitTimeout)
    {
        var warnings = new List<string>();
        Validate(request, facts, host, existing, computerName, warnings);
        string pool = PoolOf(request);
        string poolPath = host.PoolPath(pool);
        bool poolReady = poolPath.Length > 0 && host.Pools[pool].State == "running";
        poolPath = poolPath.Length > 0 ? poolPath : "/var/lib/libvirt/images";
        GuestDesign design = Design(request, facts, host, poolPath, seedFiles is not null, warnings);
        var steps = new List<PlanStep>();
        if (!poolReady)
        {
            // Kept on failure: a running default pool is host infrastructure (Install-KvmHost makes it
            // too), and guests created in parallel may share it.
            steps.Add(new PlanStep($"Make the '{pool}' storage pool exist and run ({poolPath})", new[] { RemoteCommand.Script("ensure-pool.sh", pool, poolPath) }));
        }

        AddDiskSteps(request, host, pool, poolPath, steps);
        if (seedFiles is not null)
        {
            AddSeedStep(request.Name, pool, poolPath, seedFiles, SeedToolsOf(host).Length == 0, steps);
        }

        string xml = DomainXmlWriter.Write(design).ToString();
        string uuid = design.Uuid.ToString();
        steps.Add(new PlanStep($"Define the guest {request.Name} ({uuid})",
            new[] { new RemoteCommand(new[] { "virsh", "-c", Uri, "define", "/dev/stdin" }, Encoding.UTF8.GetBytes(xml), stdinName: "domain XML") },
            new[] { RemoteCommand.Of("virsh", "-c", Uri, "undefine", uuid, design.Uefi ? "--nvram" : "--managed-save") }));
        if (request.Autostart)
        {
            steps.Add(new PlanStep("Start it with the host", new[] { RemoteCommand.Of("virsh", "-c", Uri, "autostart", uuid) }));
        }

        RemoteCommand? wait = null;
        if (request.Start || request.Wait || request.WaitForIPAddress)
        {
            steps.Add(new PlanStep("Start it", new[] { RemoteCommand.Of("virsh", "-c", Uri, "start", uuid) },
                new[] { RemoteCommand.Of("virsh", "-c", Uri, "destroy", uuid) }));
            if (request.Wait || request.WaitForIPAddress)
            {
                wait = GuestScripts.Wait(waitTimeout, request.WaitForIPAddress ? "ip" : "running", new[] { design.Uuid });
            }
        }

        return new GuestPlan(design, xml, steps, warnings, wait);
    }

    private static void AddDiskSteps(GuestRequest request, HostGuestContext host, string pool, string poolPath, List<PlanStep> steps)
    {
        string disk = DiskFile(request.Name);
        if (request.BaseImage is not null && request.FullClone)
        {
            string target = poolPath + "/" + disk;
            steps.Add(new PlanStep($"Copy {request.BaseImage} to {disk} (full clone)",
                new[]
                {
                    Private(new[] { "qemu-img", "convert", "-f", host.Paths[request.BaseImage].Format, "-O", "qcow2", request.BaseImage, target }),
                    PoolRefresh(pool),
                },
                new[] { RemoteCommand.Of("rm", "-f", "--", target), PoolRefresh(pool) }));
            if (request.DiskSizeBytes is long size && size > host.Paths[request.BaseImage].VirtualSize)
            {
                steps.Add(new PlanStep($"Grow {disk} to {size} bytes", new[] { Virsh("vol-resize", disk, Bytes(size), "--pool", pool) }));
            }
        }
        else if (request.BaseImage is not null)
        {
            // qemu-img, not vol-create-as --backing-vol: the base need not be a volume of a pool.
            HostPath baseImage = host.Paths[request.BaseImage];
            long size = Math.Max(request.DiskSizeBytes ?? 0, baseImage.VirtualSize);
            string target = poolPath + "/" + disk;
            steps.Add(new PlanStep($"Create {disk}, a thin clone of {request.BaseImage}",
                new[]
                {
                    Private(new[] { "qemu-img", "create", "-q", "-f", "qcow2", "-F", baseImage.Format, "-b", request.BaseImage, target, Bytes(size) }),
                    PoolRefresh(pool),
                },
                new[] { RemoteCommand.Of("rm", "-f", "--", target), PoolRefresh(pool) }));
        }
        else if (request.DiskSizeBytes is long size)
        {
            steps.Add(new PlanStep($"Create {disk} ({size} bytes, qcow2)",
                new[] { Virsh("vol-create-as", pool, disk, Bytes(size), "--format", "qcow2") },
                new[] { Virsh("vol-delete", disk, "--pool", pool) }));
        }

        for (int i = 0; i < request.DataDiskSizeBytes.Count; i++)
        {
            string data = DataFile(request.Name, i + 1);
            steps.Add(new PlanStep($"Create the data disk {data} ({request.DataDiskSizeBytes[i]} bytes)",
                new[] { Virsh("vol-create-as", pool, data, Bytes(request.DataDiskSizeBytes[i]), "--format", "qcow2") },
                new[] { Virsh("vol-delete", data, "--pool", pool) }));
        }
    }

    /// <summary>The host's tools that can build a seed ISO (seed-iso.sh tries them in this order).</summary>
    internal static string[] SeedToolsOf(HostGuestContext host)
        => new[] { "genisoimage", "mkisofs", "xorriso", "cloud-localds" }.Where(host.Tools.Contains).ToArray();

    private static void AddSeedStep(string name, string pool, string poolPath, IReadOnlyDictionary<string, byte[]> files, bool buildHere, List<PlanStep> steps)
    {
        string iso = $"{poolPath}/{SeedFile(name)}";
        if (buildHere)
        {
            // A host with no ISO tool (a minimal RHEL has none of them) gets the image built here.
            // user-data may hold a password hash: the image stays out of verbose output.
            byte[] image = NoCloudIso.Build(files, DateTime.UtcNow);
            steps.Add(new PlanStep($"Upload the cloud-init seed {SeedFile(name)} (built here: the host has no ISO tool)",
                new[]
                {
                    new RemoteCommand(new[] { "sh", "-c", "umask 077 && cat > \"$1\"", "sh", iso }, image, stdinIsSecret: true),
                    PoolRefresh(pool),
                },
                new[] { RemoteCommand.Of("rm", "-f", "--", iso), PoolRefresh(pool) }));
            return;
        }

        string work = $"{poolPath}/.kvmps-seed-{name}";
        var commands = new List<RemoteCommand> { RemoteCommand.Of("mkdir", "-m", "0700", "-p", "--", work) };
        foreach (KeyValuePair<string, byte[]> file in files.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            // user-data may hold a password hash: keep it out of verbose output.
            commands.Add(new RemoteCommand(new[] { "sh", "-c", "cat > \"$1/$2\"", "sh", work, file.Key }, file.Value, stdinIsSecret: file.Key == "user-data"));
        }

        commands.Add(RemoteCommand.Script("seed-iso.sh", iso, work));
        commands.Add(PoolRefresh(pool));
        steps.Add(new PlanStep($"Build the cloud-init seed {SeedFile(name)}", commands,
            new[] { RemoteCommand.Of("rm", "-rf", "--", work, iso), PoolRefresh(pool) }));
    }

    /// <summary>
    /// A command whose files only their owner may read, as vol-create-as makes volumes (0600): the
    /// pool directory is searchable by everyone, and a guessable name must not expose a disk.
    /// libvirt hands the files to QEMU's user when the guest starts.
    /// </summary>
    private static RemoteCommand Private(string[] argv) => RemoteCommand.Of(new[] { "sh", "-c", "umask 077 && exec \"$@\"", "sh" }.Concat(argv).ToArray());

    /// <summary>virsh pool-refresh, tried again while another volume of the pool is being created.</summary>
    internal static RemoteCommand PoolRefresh(string pool) => RemoteCommand.Script("pool-refresh.sh", pool);

    private static RemoteCommand Virsh(params string[] args) => RemoteCommand.Of(new[] { "virsh", "-c", Uri }.Concat(args).ToArray());

    private static string Bytes(long size) => size.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static KvmCapabilityResult Acceleration(HostFacts facts, string computerName)
        => CapabilityEvaluator.Evaluate(facts, computerName, new[] { "Acceleration" })[0];

    /// <summary>The domain type libvirt will really give: KVM where it works, TCG with the reason otherwise.</summary>
    private static string DomainType(HostFacts facts, string computerName, List<string> warnings)
    {
        KvmCapabilityResult acceleration = Acceleration(facts, computerName);
        if (acceleration.Status == KvmCheckStatus.Pass)
        {
            return "kvm";
        }

        warnings.Add($"The guest will use software emulation (TCG, domain type 'qemu'), many times slower than KVM. {acceleration.Detail}");
        return "qemu";
    }
}
