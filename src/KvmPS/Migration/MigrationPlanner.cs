using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Text.RegularExpressions;

namespace KvmPS.Migration;

/// <summary>
/// Turns Move-KvmGuest's options into the virsh migrate command the source runs, and refuses up
/// front the combinations libvirt would reject halfway (or that would lose data), each with the
/// reason and what to do instead. Always an explicit migration URI with the destination's address:
/// libvirt's default is the destination's own hostname, which the source often cannot resolve.
/// </summary>
internal static class MigrationPlanner
{
    // A host name or IPv4/IPv6 address, nothing a URI or a shell could read otherwise.
    private static readonly Regex HostName = new(@"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?\z", RegexOptions.CultureInvariant);

    /// <param name="destinationAddress">The destination as the source reaches it (its SSH address).</param>
    /// <param name="destinationUser">The user libvirt is reached as on the destination (root, or the session's sudo user).</param>
    /// <param name="keyFile">The source's key for the destination (-TrustMode Ephemeral); empty: root's own keys.</param>
    /// <param name="sshCommand">The ssh libvirt runs (-TrustMode Ephemeral's wrapper); empty: ssh.</param>
    public static MigrationPlan Plan(MigrationGuest guest, MigrationOptions options, string destinationAddress, int destinationPort, string destinationUser, string keyFile, string sshCommand = "")
    {
        Validate(guest, options);
        string dataAddress = options.MigrationAddress.Length > 0 ? options.MigrationAddress : destinationAddress;
        CheckAddress(dataAddress, options.MigrationAddress.Length > 0 ? "-MigrationAddress" : "the destination's address");
        CheckAddress(destinationAddress, "the destination's address");
        string destinationUri = DestinationUri(destinationAddress, destinationPort, destinationUser, keyFile, sshCommand);
        bool offline = options.Offline || !guest.IsActive;
        var argv = new List<string> { "virsh", "-c", "qemu:///system", "migrate" };
        argv.Add(offline ? "--offline" : "--live");
        if (!options.Temporary)
        {
            argv.Add("--persistent");
            argv.Add("--undefinesource");
        }

        string migrationUri = "";
        if (!offline)
        {
            if (options.IncludeStorage && guest.CopyTargets is null)
            {
                argv.Add("--copy-storage-all");
            }
            else if (options.IncludeStorage && guest.CopyTargets!.Count > 0)
            {
                // Only the disks the destination does not share: a shared one would be copied onto itself.
                argv.AddRange(new[] { "--copy-storage-all", "--migrate-disks", string.Join(",", guest.CopyTargets) });
            }

            if (guest.SharedStorageVerified)
            {
                argv.Add("--unsafe");
            }

            if (options.AutoConverge)
            {
                argv.Add("--auto-converge");
            }

            if (options.Compressed)
            {
                argv.Add("--compressed");
            }

            if (options.PostCopy)
            {
                // Without a timeout that switches, switch after the first full pass (else it never does).
                argv.Add("--postcopy");
                if (!(options.Timeout > TimeSpan.Zero && options.TimeoutAction == KvmMigrationTimeoutAction.PostCopy))
                {
                    argv.Add("--postcopy-after-precopy");
                }
            }

            if (options.BandwidthMiBps > 0)
            {
                argv.AddRange(new[] { "--bandwidth", Number(options.BandwidthMiBps) });
            }

            KvmMigrationTimeoutAction action = options.TimeoutAction ?? KvmMigrationTimeoutAction.Abort;
            if (options.Timeout > TimeSpan.Zero && action != KvmMigrationTimeoutAction.Abort)
            {
                argv.AddRange(new[] { "--timeout", Number((int)Math.Ceiling(options.Timeout.TotalSeconds)), action == KvmMigrationTimeoutAction.Suspend ? "--timeout-suspend" : "--timeout-postcopy" });
            }

            migrationUri = "tcp://" + (dataAddress.IndexOf(':') >= 0 ? "[" + dataAddress + "]" : dataAddress);
            argv.AddRange(new[] { "--migrateuri", migrationUri });
        }

        argv.AddRange(new[] { "--domain", guest.Name, "--desturi", destinationUri });
        if (offline)
        {
            // Checked again when it runs: a guest started since the pre-flight must not be moved offline (it would run twice).
            argv.InsertRange(0, new[] { "sh", "-c", "[ \"$(virsh -c qemu:///system domstate -- \"$1\" 2>/dev/null | head -1)\" = 'shut off' ] || { echo \"error: $1 is no longer shut off: not moved offline\" >&2; exit 1; }; shift; exec \"$@\"", "kvmps-offline", guest.Name });
        }

        string mode = offline ? "Offline" : options.PostCopy ? "Live+PostCopy" : "Live";
        var plan = new MigrationPlan(mode, argv, destinationUri, migrationUri);
        if (!offline && options.MaxDowntimeMs > 0)
        {
            plan.SetMaxDowntime = new[] { "virsh", "-c", "qemu:///system", "migrate-setmaxdowntime", "--domain", guest.Name, "--downtime", Number(options.MaxDowntimeMs) };
        }

        if (!offline && options.Timeout > TimeSpan.Zero && (options.TimeoutAction ?? KvmMigrationTimeoutAction.Abort) == KvmMigrationTimeoutAction.Abort)
        {
            plan.AbortAfter = options.Timeout;
        }

        if (!offline && options.IncludeStorage && guest.CopyTargets is { Count: 0 })
        {
            plan.Warnings.Add($"{guest.Name}: -IncludeStorage has nothing to copy: the guest has no disk that the destination does not already share.");
        }

        if (!options.Offline && offline)
        {
            plan.Warnings.Add($"{guest.Name} is {guest.State}: only its definition moves (an offline move).");
        }

        return plan;
    }

    /// <summary>qemu+ssh://user@host[:port]/system, with the one-time key when there is one.</summary>
    public static string DestinationUri(string address, int port, string user, string keyFile, string sshCommand = "")
    {
        string host = address.IndexOf(':') >= 0 ? "[" + address + "]" : address;
        string uri = $"qemu+ssh://{Uri.EscapeDataString(user)}@{host}{(port is > 0 and not 22 ? ":" + Number(port) : "")}/system";
        var query = new List<string>();
        if (keyFile.Length > 0)
        {
            query.Add("keyfile=" + Uri.EscapeDataString(keyFile));
            query.Add("no_tty=1");
        }

        if (sshCommand.Length > 0)
        {
            query.Add("command=" + Uri.EscapeDataString(sshCommand));
        }

        return query.Count > 0 ? uri + "?" + string.Join("&", query) : uri;
    }

    private static void Validate(MigrationGuest guest, MigrationOptions options)
    {
        bool live = guest.IsActive && !options.Offline;
        if (options.Offline && guest.IsActive)
        {
            Refuse("GuestRunning", $"{guest.Name} is {guest.State}: -Offline moves a stopped guest's definition.",
                "Leave -Offline out for a live move, or stop the guest first (Stop-KvmGuest).");
        }

        if (!live)
        {
            string[] liveOnly = new[]
            {
                options.IncludeStorage ? "-IncludeStorage" : "", options.PostCopy ? "-PostCopy" : "", options.AutoConverge ? "-AutoConverge" : "",
                options.Compressed ? "-Compressed" : "", options.BandwidthMiBps > 0 ? "-Bandwidth" : "", options.MaxDowntimeMs > 0 ? "-MaxDowntime" : "",
                options.Timeout > TimeSpan.Zero ? "-Timeout" : "", options.MigrationAddress.Length > 0 ? "-MigrationAddress" : "",
            }.Where(o => o.Length > 0).ToArray();
            if (options.IncludeStorage)
            {
                Refuse("OfflineStorageCopy", $"{guest.Name} is {(guest.IsActive ? "moved offline" : guest.State)}: libvirt copies disks only while a guest runs (an offline move takes the definition alone).",
                    "Start the guest and move it live with -IncludeStorage, or copy its disks to the same paths on the destination first.");
            }

            if (liveOnly.Length > 0)
            {
                Refuse("LiveOnlyOption", $"{string.Join(", ", liveOnly)} apply to a live move; {guest.Name} moves offline ({(options.Offline ? "-Offline" : guest.State)}).",
                    "Leave them out, or start the guest for a live move.");
            }

            if (options.Temporary)
            {
                Refuse("OfflineTemporary", "An offline move only moves the definition, so it cannot be -Temporary (libvirt requires --persistent with --offline).",
                    "Leave -Temporary out.");
            }
        }

        if (!guest.Persistent && !options.Temporary)
        {
            Refuse("TransientGuest", $"{guest.Name} is a transient guest (no definition on the source): it cannot be defined on the destination and undefined here.",
                "Pass -Temporary to move it as it is, or define it first (virsh dumpxml | virsh define).");
        }

        if (options.PostCopy && guest.State == "paused")
        {
            Refuse("PostCopyPaused", $"{guest.Name} is paused: post-copy needs the guest running (libvirt refuses it for paused guests).",
                "Resume the guest first (Resume-KvmGuest), or leave -PostCopy out.");
        }

        if (options.TimeoutAction is not null && options.Timeout <= TimeSpan.Zero)
        {
            Refuse("TimeoutActionWithoutTimeout", "-TimeoutAction says what happens when -Timeout runs out, but no -Timeout was given.", "Pass -Timeout <seconds> too.");
        }

        if (options.PostCopy && options.Timeout > TimeSpan.Zero && (options.TimeoutAction ?? KvmMigrationTimeoutAction.Abort) == KvmMigrationTimeoutAction.Abort)
        {
            Refuse("PostCopyAbort", "-Timeout with -TimeoutAction Abort cannot stop a move that has switched to post-copy (the guest's memory is then split between the hosts).",
                "Use -TimeoutAction PostCopy (switch at the timeout) or Suspend, or leave -PostCopy out.");
        }

        if (options.TimeoutAction == KvmMigrationTimeoutAction.PostCopy && !options.PostCopy)
        {
            Refuse("PostCopyNotEnabled", "-TimeoutAction PostCopy switches the move to post-copy, which must be enabled when it starts.", "Add -PostCopy.");
        }

        if (options.RemoveSourceStorage && !options.IncludeStorage)
        {
            Refuse("RemoveSharedStorage", "-RemoveSourceStorage without -IncludeStorage would delete the disks the guest runs on: without a copy the destination uses the same (shared) files.",
                "Add -IncludeStorage to copy the disks, or leave -RemoveSourceStorage out.");
        }

        if (options.RemoveSourceStorage && options.Temporary)
        {
            Refuse("RemoveTemporarySource", "-Temporary keeps the guest defined on the source, which still needs its disks; -RemoveSourceStorage would delete them.",
                "Leave one of them out.");
        }
    }

    internal static void CheckAddress(string address, string what)
    {
        bool ip = Networking.Ipv4.TryParse(address, out _)
            || (address.IndexOf(':') >= 0 && System.Net.IPAddress.TryParse(address, out System.Net.IPAddress? v6) && v6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6);
        // All-numeric labels are an IPv4 address or nothing ("10.0.9" is not a host name).
        bool numeric = address.Split('.').All(label => label.Length > 0 && label.All(char.IsDigit));
        if (!ip && (numeric || !HostName.IsMatch(address)))
        {
            Refuse("InvalidMigrationAddress", $"{what} '{address}' is not a host name or an IP address.", "Pass the destination's address on the migration network, e.g. -MigrationAddress 10.0.9.12.");
        }
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static void Refuse(string id, string message, string action) => throw new KvmException(id, ErrorCategory.InvalidArgument, message, action);
}
