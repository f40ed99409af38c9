using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace KvmPS.Migration;

/// <summary>
/// Turns the pre-flight's facts into Test-KvmMigration's checks, each with what was found and
/// what to do about it. Pure: every decision here is tested without hosts.
/// </summary>
internal static class MigrationChecks
{
    public static List<KvmMigrationCheck> Evaluate(MigrationFacts facts)
    {
        var checks = new List<KvmMigrationCheck>();
        void Add(string check, KvmCheckStatus status, string detail, string remediation = "")
            => checks.Add(new KvmMigrationCheck
            {
                Guest = facts.Definition.Name,
                ComputerName = facts.Source,
                Destination = facts.Destination,
                Check = check,
                Status = status,
                Detail = detail,
                Remediation = status == KvmCheckStatus.Pass ? "" : remediation,
            });

        MigrationSourceFacts src = facts.SourceFacts;
        MigrationDestinationFacts dst = facts.DestinationFacts;
        string dest = facts.Destination;
        Add("GuestState", facts.Live || !facts.Definition.HasHostState ? KvmCheckStatus.Pass : KvmCheckStatus.Warn,
            facts.Live ? $"{src.State}: a live move"
            : $"{src.State}: an offline move (the definition only)" + (facts.Definition.HasHostState ? "; its UEFI variables (NVRAM) and TPM state stay on the source: the destination starts it with fresh ones" : ""),
            "Move it live (start it first) to keep its UEFI variables and TPM state, or copy them (/var/lib/libvirt/qemu/nvram, /var/lib/libvirt/swtpm) to the destination first.");
        Reachable(facts, Add);
        Resolution(facts, Add);
        Ports(facts, Add);
        Trust(facts, Add);
        Cpu(facts, Add);
        Add("MachineType", dst.MachineExitCode == 0 ? KvmCheckStatus.Pass : KvmCheckStatus.Fail,
            dst.MachineExitCode == 0 ? $"{facts.Definition.Machine} ({facts.Definition.VirtType}, {facts.Definition.Arch}) is available on {dest}"
            : $"{dest} cannot run machine type {facts.Definition.Machine} ({facts.Definition.VirtType}, {facts.Definition.Arch}): {FirstLine(dst.MachineError, "no answer")}",
            $"Move it to a host with the same or a newer QEMU, or see the machine types there: virsh capabilities (on {dest}).");
        string[] missingFirmware = facts.Definition.FirmwareFiles.Where(f => dst.State("loader", f) != "present").ToArray();
        Add("Firmware", missingFirmware.Length == 0 ? KvmCheckStatus.Pass : KvmCheckStatus.Fail,
            facts.Definition.FirmwareFiles.Count == 0 ? "BIOS, no firmware files needed"
            : missingFirmware.Length == 0 ? "present on " + dest + ": " + string.Join(", ", facts.Definition.FirmwareFiles)
            : "missing on " + dest + ": " + string.Join(", ", missingFirmware),
            $"Install the same firmware package on {dest} (RHEL: dnf install edk2-ovmf).");
        Storage(facts, Add);
        Networks(facts, Add);
        Memory(facts, Add);
        Name(facts, Add);
        Versions(facts, Add);
        return checks;
    }

    private static void Reachable(MigrationFacts facts, Action<string, KvmCheckStatus, string, string> add)
    {
        string port = facts.SourceFacts.Ports.TryGetValue(facts.SshPort, out string? p) ? p : "untested";
        string where = $"{facts.DestinationAddress}:{facts.SshPort}";
        add("DestinationReachable", port == "open" ? KvmCheckStatus.Pass : port == "untested" ? KvmCheckStatus.Warn : KvmCheckStatus.Fail,
            port switch
            {
                "open" => $"{facts.Source} reaches sshd at {where}",
                "refused" => $"{facts.Source} reaches {facts.DestinationAddress}, but nothing listens on port {facts.SshPort}",
                "filtered" => $"{facts.Source} gets no answer from {where} (down, not routed, or a firewall drops it)",
                _ => $"not tested (bash is missing on {facts.Source})",
            },
            $"Make {facts.Destination}'s sshd reachable from {facts.Source} on port {facts.SshPort} (routing, firewall: firewall-cmd --add-service=ssh).");
    }

    private static void Resolution(MigrationFacts facts, Action<string, KvmCheckStatus, string, string> add)
    {
        string address = facts.DestinationAddress;
        if (System.Net.IPAddress.TryParse(address, out _))
        {
            add("NameResolution", KvmCheckStatus.Pass, $"{address} is an address: nothing to resolve", "");
            return;
        }

        bool resolved = facts.SourceFacts.Resolved.Count > 0;
        add("NameResolution", resolved ? KvmCheckStatus.Pass : KvmCheckStatus.Fail,
            resolved ? $"{facts.Source} resolves {address} to {string.Join(", ", facts.SourceFacts.Resolved)}" : $"{facts.Source} cannot resolve {address}",
            $"Name the destination by its address (-Destination <ip>), or add '{address}' to DNS or /etc/hosts on {facts.Source}.");
    }

    private static void Ports(MigrationFacts facts, Action<string, KvmCheckStatus, string, string> add)
    {
        if (!facts.Live)
        {
            add("MigrationPorts", KvmCheckStatus.NotApplicable, "an offline move sends no memory or disks", "");
            return;
        }

        string port = facts.SourceFacts.Ports.TryGetValue(49152, out string? p) ? p : "untested";
        string where = $"{facts.DataAddress}:49152";
        add("MigrationPorts", port is "open" or "refused" ? KvmCheckStatus.Pass : port == "untested" ? KvmCheckStatus.Warn : KvmCheckStatus.Fail,
            port switch
            {
                "open" or "refused" => $"{facts.Source} reaches {where} (QEMU listens on 49152-49215 during a move)",
                "filtered" => $"{facts.Source} gets no answer from {where}: a firewall drops the migration ports (virsh would hang)",
                _ => $"not tested (bash is missing on {facts.Source})",
            },
            $"Open TCP 49152-49215 on {facts.Destination}: firewall-cmd --permanent --add-port=49152-49215/tcp && firewall-cmd --reload; or name another network with -MigrationAddress.");
    }

    private static void Trust(MigrationFacts facts, Action<string, KvmCheckStatus, string, string> add)
    {
        MigrationSourceFacts src = facts.SourceFacts;
        if (facts.TrustMode == KvmMigrationTrustMode.Ephemeral)
        {
            bool reachable = src.Ports.TryGetValue(facts.SshPort, out string? ssh) && ssh == "open";
            add("SshTrust", reachable ? KvmCheckStatus.Pass : KvmCheckStatus.Fail,
                reachable ? $"-TrustMode Ephemeral: a one-time key made on {facts.Source} is authorized for root on {facts.Destination} (from the source's address, no pty or forwarding) for the move, then removed"
                : $"-TrustMode Ephemeral needs {facts.Source} to reach sshd at {facts.DestinationAddress}:{facts.SshPort}",
                "See the DestinationReachable check.");
            return;
        }

        // The SSH client is whoever runs the source's commands: an unelevated session's own user, with its own keys.
        string user = facts.SourceUser;
        string home = user == "root" ? "/root" : "~" + user;
        string last = FirstLine(string.Join("\n", src.TrustOutput.Split('\n').Reverse()), "no output");
        add("SshTrust", src.TrustExitCode == 0 ? KvmCheckStatus.Pass : KvmCheckStatus.Fail,
            src.TrustExitCode == 0 ? $"{facts.Source}: {user} reaches libvirt on {facts.DestinationAddress} over SSH without a password"
            : src.TrustExitCode < 0 ? "not tested" : $"{facts.Source}: {user} cannot reach libvirt on {facts.DestinationAddress} over SSH (exit code {src.TrustExitCode}): {last}",
            last.IndexOf("Host key verification failed", StringComparison.Ordinal) >= 0
                ? $"On {facts.Source} as {user}, check and add {facts.Destination}'s host key: ssh-keyscan -p {facts.SshPort} {facts.DestinationAddress} >> {home}/.ssh/known_hosts (compare its fingerprint first)."
                : $"On {facts.Source} as {user}: ssh-keygen -t ed25519 (if there is no key), then ssh-copy-id -p {facts.SshPort} {(user == "root" ? "root" : "<user on the destination>")}@{facts.DestinationAddress}{(user == "root" ? "." : "; or connect as root or as a user with sudo.")}");
    }

    private static void Cpu(MigrationFacts facts, Action<string, KvmCheckStatus, string, string> add)
    {
        MigrationDefinition def = facts.Definition;
        MigrationDestinationFacts dst = facts.DestinationFacts;
        if (def.CpuMode == "host-passthrough")
        {
            add("CpuCompatible", KvmCheckStatus.Warn, "host-passthrough CPU: libvirt cannot compare it; the move works only to a host with the same CPU and microcode",
                "Use a named CPU model (or host-model) for guests that move between hosts.");
        }
        else if (def.CpuXml.Length == 0)
        {
            add("CpuCompatible", KvmCheckStatus.Pass, "no CPU definition: QEMU's default model, available everywhere", "");
        }
        else
        {
            // "CPU described in /tmp/tmp.X is identical to the CPU provided by hypervisor on the host": the file is ours.
            string verdict = System.Text.RegularExpressions.Regex.Replace(FirstLine(dst.CpuOutput, "no answer"), @"CPU described in \S+", "the guest's CPU");
            add("CpuCompatible", dst.CpuExitCode == 0 ? KvmCheckStatus.Pass : KvmCheckStatus.Fail,
                dst.CpuExitCode == 0 ? $"{facts.Destination}: {verdict}" : $"the guest's CPU cannot run on {facts.Destination}: {verdict}",
                "Give the guest a CPU model both hosts have (virsh hypervisor-cpu-baseline on both hosts' domcapabilities), or move it to a host with that CPU.");
        }
    }

    private static void Storage(MigrationFacts facts, Action<string, KvmCheckStatus, string, string> add)
    {
        MigrationSourceFacts src = facts.SourceFacts;
        MigrationDestinationFacts dst = facts.DestinationFacts;
        var files = src.Disks.Where(d => d.Source is { Length: > 0 } and not "-").ToList();
        if (files.Count == 0)
        {
            add("SharedStorage", KvmCheckStatus.Pass, "no disks", "");
            return;
        }

        string[] unknown = files.Where(d => d.Type == "file" && src.Markers.TryGetValue(MigrationFacts.Directory(d.Source), out bool ok) && !ok)
            .Select(d => d.Source).ToArray();
        string[] network = files.Where(d => d.Type is not "file").Select(d => $"{d.Target} ({d.Type} {d.Source})").ToArray();
        List<MigrationDisk> local = facts.LocalDisks().ToList();
        HashSet<string> readOnly = facts.NeverCopied();
        string shared = string.Join(", ", files.Where(d => d.Type == "file" && facts.IsShared(d.Source)).Select(d => d.Source));
        var notes = new List<string>();
        if (shared.Length > 0)
        {
            notes.Add("shared with " + facts.Destination + ": " + shared);
        }

        if (network.Length > 0)
        {
            notes.Add("not files (must be reachable from " + facts.Destination + " too): " + string.Join(", ", network));
        }

        // Read-only disks (ISOs) are never copied: they must be at the same path there.
        bool Present(MigrationDisk d) => dst.Disks.TryGetValue(d.Source, out var t) && t.Exists;
        string[] missingThere = local.Where(d => (!facts.Live || readOnly.Contains(d.Source)) && !Present(d)).Select(d => d.Source).ToArray();
        if (local.Count == 0)
        {
            add("SharedStorage", unknown.Length > 0 || network.Length > 0 ? KvmCheckStatus.Warn : KvmCheckStatus.Pass, string.Join("; ", notes),
                $"Check that {facts.Destination} sees the same storage.");
        }
        else if (missingThere.Length > 0 || (facts.Live && !facts.IncludeStorage))
        {
            // A live move without a copy would run the guest on whatever file the destination has at that path.
            string[] notShared = facts.Live && !facts.IncludeStorage ? local.Select(d => d.Source).ToArray() : missingThere;
            string[] other = notShared.Where(p => dst.Disks.TryGetValue(p, out var t) && t.Exists).ToArray();
            string why = unknown.Length > 0 ? $" (could not leave a marker in {string.Join(", ", unknown.Select(MigrationFacts.Directory).Distinct())} to tell)" : "";
            string another = other.Length > 0 ? $"; {facts.Destination} has other files at {string.Join(", ", other)}" : "";
            add("SharedStorage", KvmCheckStatus.Fail, $"not on storage {facts.Destination} shares{why}: {string.Join(", ", notShared)}{another}",
                facts.Live ? "Add -IncludeStorage to copy the disks while the guest runs (read-only images such as ISOs must be copied to the same path first), or put them on storage both hosts mount."
                : "Copy the disks to the same paths on the destination first (an offline move takes the definition only), or start the guest and move it live with -IncludeStorage.");
        }
        else if (facts.Live)
        {
            notes.Insert(0, "copied by -IncludeStorage: " + string.Join(", ", facts.CopiedDisks().Select(d => $"{d.Target} ({d.Source})")));
            add("SharedStorage", KvmCheckStatus.Pass, string.Join("; ", notes), "");
        }
        else
        {
            notes.Insert(0, "not shared, but present at the same path on " + facts.Destination + ": " + string.Join(", ", local.Select(d => d.Source)));
            add("SharedStorage", KvmCheckStatus.Pass, string.Join("; ", notes), "");
        }

        // KvmPS cannot look into a block device or a pool volume, nor copy one (-IncludeStorage makes files).
        string[] devices = files.Where(d => d.Type is "block" or "volume" && !readOnly.Contains(d.Source)).Select(d => $"{d.Target} ({d.Source})").ToArray();
        if (facts.Live && facts.IncludeStorage && devices.Length > 0)
        {
            add("BlockDevices", KvmCheckStatus.Fail, "-IncludeStorage copies file disks only; these would stay behind: " + string.Join(", ", devices),
                "Put them on storage both hosts share (a SAN LUN at the same path), or move the guest with virsh migrate --copy-storage-all after making the devices there.");
        }

        if (facts.Live)
        {
            string[] unsafeCache = facts.Definition.Disks.Where(d => !d.ReadOnly && !d.Shareable && facts.IsShared(d.Path) && d.Cache is not ("none" or "directsync"))
                .Select(d => $"{d.Target} (cache={(d.Cache.Length == 0 ? "default" : d.Cache)})").ToArray();
            add("DiskCache", unsafeCache.Length == 0 ? KvmCheckStatus.Pass : KvmCheckStatus.Fail,
                unsafeCache.Length == 0 ? "no shared disk is cached on the source" : "shared disks cached on the source, which libvirt refuses to move live (the destination could read stale data): " + string.Join(", ", unsafeCache),
                "Set <driver ... cache='none'/> on those disks (virsh edit), then restart the guest.");
        }

        if (facts.Live && facts.IncludeStorage)
        {
            CopiedDisks(facts, facts.CopiedDisks().ToList(), add);
        }
    }

    private static void CopiedDisks(MigrationFacts facts, List<MigrationDisk> copied, Action<string, KvmCheckStatus, string, string> add)
    {
        MigrationDestinationFacts dst = facts.DestinationFacts;
        string[] taken = copied.Where(d => dst.Disks.TryGetValue(d.Source, out var t) && t.Exists).Select(d => d.Source).ToArray();
        long needed = copied.Sum(d => d.ActualSize);
        long full = copied.Sum(d => d.VirtualSize);
        long free = copied.Select(d => dst.Disks.TryGetValue(d.Source, out var t) ? t.FreeKiB * 1024 : 0).DefaultIfEmpty(0).Min();
        if (copied.Count == 0)
        {
            add("DestinationDisks", KvmCheckStatus.NotApplicable, "no disks to copy", "");
        }
        else if (taken.Length > 0)
        {
            add("DestinationDisks", KvmCheckStatus.Fail, $"already there on {facts.Destination} (KvmPS does not overwrite files): {string.Join(", ", taken)}",
                $"Remove or rename those files on {facts.Destination}, or move the guest to another host.");
        }
        else
        {
            KvmCheckStatus status = free < needed ? KvmCheckStatus.Fail : free < full ? KvmCheckStatus.Warn : KvmCheckStatus.Pass;
            add("DestinationDisks", status,
                $"paths free on {facts.Destination}; the copy needs {Size(needed)} now, up to {Size(full)} as the disks fill; {Size(free)} free there",
                status == KvmCheckStatus.Fail ? $"Free space on {facts.Destination}, or move the guest to a host with more." : $"The disks may outgrow the free space on {facts.Destination}: watch it.");
        }
    }

    private static void Networks(MigrationFacts facts, Action<string, KvmCheckStatus, string, string> add)
    {
        MigrationDefinition def = facts.Definition;
        MigrationDestinationFacts dst = facts.DestinationFacts;
        var problems = new List<string>();
        var fixes = new List<string>();
        foreach (string network in def.Networks)
        {
            string state = dst.State("net", network);
            if (state == "inactive")
            {
                problems.Add($"network '{network}' is not active");
                fixes.Add($"virsh net-start '{network}' on {facts.Destination}");
            }
            else if (state != "active")
            {
                problems.Add($"network '{network}' does not exist");
                fixes.Add($"New-KvmNetwork -ComputerName {facts.Destination} -Name '{network}'");
            }
        }

        foreach (string bridge in def.Bridges.Where(b => facts.DestinationFacts.State("bridge", b) != "present"))
        {
            problems.Add($"bridge '{bridge}' does not exist");
            fixes.Add($"New-KvmBridge -ComputerName {facts.Destination} -Name '{bridge}' -InterfaceName <nic>");
        }

        string all = string.Join(", ", def.Networks.Select(n => "network " + n).Concat(def.Bridges.Select(b => "bridge " + b)));
        add("Networks", problems.Count == 0 ? KvmCheckStatus.Pass : KvmCheckStatus.Fail,
            problems.Count == 0 ? (all.Length == 0 ? "the guest has no network adapters on networks or bridges" : $"on {facts.Destination}: {all}") : $"on {facts.Destination}: {string.Join("; ", problems)}",
            string.Join("; ", fixes));
    }

    private static void Memory(MigrationFacts facts, Action<string, KvmCheckStatus, string, string> add)
    {
        long need = facts.Definition.MemoryKiB * 1024;
        long have = facts.DestinationFacts.MemAvailableKiB * 1024;
        KvmCheckStatus status = have < 0 ? KvmCheckStatus.Warn : have >= need ? KvmCheckStatus.Pass : facts.Live ? KvmCheckStatus.Fail : KvmCheckStatus.Warn;
        add("Memory", status,
            have < 0 ? "not known: /proc/meminfo unreadable" : $"the guest has {Size(need)}; {Size(have)} available on {facts.Destination}{(facts.Live ? "" : " (needed when it starts)")}",
            $"Free memory on {facts.Destination} (stop or move guests there), or choose another destination.");
    }

    private static void Name(MigrationFacts facts, Action<string, KvmCheckStatus, string, string> add)
    {
        MigrationDestinationFacts dst = facts.DestinationFacts;
        string detail = dst.NameTakenState.Length > 0 ? $"{facts.Destination} already has a guest named '{facts.Definition.Name}' ({dst.NameTakenState})"
            : dst.UuidTakenBy.Length > 0 ? $"{facts.Destination} already has a guest with the same UUID ('{dst.UuidTakenBy}')"
            : $"no guest named '{facts.Definition.Name}' (or with its UUID) on {facts.Destination}";
        add("NameAvailable", dst.NameTakenState.Length > 0 || dst.UuidTakenBy.Length > 0 ? KvmCheckStatus.Fail : KvmCheckStatus.Pass, detail,
            $"If it is a stale copy, remove it there (Remove-KvmGuest -ComputerName {facts.Destination} -Name '{(dst.UuidTakenBy.Length > 0 ? dst.UuidTakenBy : facts.Definition.Name)}'); else rename one of them.");
    }

    private static void Versions(MigrationFacts facts, Action<string, KvmCheckStatus, string, string> add)
    {
        string from = facts.SourceFacts.LibvirtVersion, to = facts.DestinationFacts.LibvirtVersion;
        bool older = Version.TryParse(from, out Version? a) && Version.TryParse(to, out Version? b) && b < a;
        add("LibvirtVersion", from.Length == 0 || to.Length == 0 ? KvmCheckStatus.Warn : older ? KvmCheckStatus.Warn : KvmCheckStatus.Pass,
            $"libvirt {(from.Length == 0 ? "unknown" : from)} on {facts.Source}, {(to.Length == 0 ? "unknown" : to)} on {facts.Destination}{(older ? ": the destination is older" : "")}",
            "Moving to an older libvirt works only for guests that use nothing newer: keep the destination at least as new.");
    }

    private static string FirstLine(string text, string fallback)
    {
        string line = (text ?? "").Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "";
        return line.Length > 0 ? line : fallback;
    }

    internal static string Size(long bytes)
    {
        string[] units = { "B", "KiB", "MiB", "GiB", "TiB" };
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return value.ToString(unit == 0 ? "0" : "0.#", CultureInfo.InvariantCulture) + " " + units[unit];
    }
}
