using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using KvmPS.Transport;

namespace KvmPS.Guests;

/// <summary>The embedded guest scripts as commands, and readers for what they print.</summary>
internal static class GuestScripts
{
    /// <summary>Every guest of the host, or the given ones.</summary>
    public static RemoteCommand Inventory(IEnumerable<Guid>? uuids = null)
        => RemoteCommand.Script("guest-inventory.sh", (uuids ?? Array.Empty<Guid>()).Select(u => u.ToString()).ToArray());

    public static RemoteCommand Wait(TimeSpan timeout, string want, IEnumerable<Guid> uuids)
    {
        var args = new List<string> { ((int)Math.Ceiling(timeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture), want };
        args.AddRange(uuids.Select(u => u.ToString()));
        return RemoteCommand.Script("guest-wait.sh", args.ToArray());
    }

    /// <summary>"@@wait uuid ok|timeout state" lines.</summary>
    public static Dictionary<Guid, (bool Reached, string State)> ReadWait(string output)
    {
        var results = new Dictionary<Guid, (bool, string)>();
        foreach (string line in output.Split('\n'))
        {
            string[] words = line.Trim().Split(new[] { ' ' }, 4);
            if (words.Length >= 3 && words[0] == "@@wait" && Guid.TryParse(words[1], out Guid uuid))
            {
                results[uuid] = (words[2] == "ok", words.Length > 3 ? words[3] : "");
            }
        }

        return results;
    }

    /// <summary>Reads the guests of a host in one round trip.</summary>
    public static List<KvmGuest> ReadGuests(KvmSession session, CancellationToken cancel, Action<string>? log, IEnumerable<Guid>? only = null)
    {
        CommandResult result = session.Connection!.Shell.Run(Inventory(only), InventoryOptions, cancel, log)[0];
        if (!result.Succeeded)
        {
            throw new KvmException("GuestListFailed", System.Management.Automation.ErrorCategory.ResourceUnavailable,
                $"Could not list the guests of {session.ComputerName}: {result.Describe()}",
                "Check that libvirt runs on the host (Test-KvmCapability -Check LibvirtDaemon) and that the session may use it (root, sudo, or the libvirt group).");
        }

        return GuestInventoryParser.Parse(session.ComputerName, result.StdoutText, session);
    }

    public static readonly RunOptions InventoryOptions = new() { Timeout = TimeSpan.FromMinutes(5) };
}
