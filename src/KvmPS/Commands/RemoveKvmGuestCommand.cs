using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using KvmPS.Guests;
using KvmPS.Transport;

namespace KvmPS.Commands;

/// <summary>Deletes guests' definitions and, with -DeleteStorage, their disks (never one still in use).</summary>
[Cmdlet(VerbsCommon.Remove, "KvmGuest", DefaultParameterSetName = "Name", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(KvmGuest))]
public sealed class RemoveKvmGuestCommand : KvmGuestActionCmdlet
{
    /// <summary>Also delete the guests' disk images (and their KvmPS cloud-init seed).</summary>
    [Parameter]
    public SwitchParameter DeleteStorage { get; set; }

    /// <summary>Power off running guests first instead of refusing them.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    internal override string ActionDescription => DeleteStorage.IsPresent ? "Remove the guest and delete its disks" : "Remove the guest (its disks are kept)";

    internal override RemoteCommand? PlanningCommand() => DeleteStorage.IsPresent ? RemoteCommand.Script("storage-backing.sh") : null;

    internal override GuestAction Plan(KvmGuest guest, HostView host)
    {
        bool active = guest.State is not (KvmGuestState.ShutOff or KvmGuestState.Crashed or KvmGuestState.Unknown);
        if (active && !Force.IsPresent)
        {
            return GuestAction.Refuse("GuestRunning", $"'{guest.Name}' is {guest.State.ToString().ToLowerInvariant()}; a running guest is not removed.",
                "Stop it first (Stop-KvmGuest), or add -Force to power it off and remove it.");
        }

        List<string> disks = DeleteStorage.IsPresent ? DisksToDelete(guest) : new List<string>();
        string? conflict = Conflict(guest, disks, host);
        if (conflict is not null)
        {
            return GuestAction.Refuse("DiskInUse", $"'{guest.Name}' was not removed: {conflict}",
                "Remove without -DeleteStorage to keep the disks, or remove what uses them first.");
        }

        var commands = new List<RemoteCommand>();
        if (active)
        {
            commands.Add(Virsh("destroy", guest));
        }

        commands.Add(Virsh("undefine", guest, "--managed-save", "--snapshots-metadata", "--nvram"));
        foreach (string disk in disks)
        {
            // Through libvirt when the file is a pool volume (its pool stays in step), else directly.
            commands.Add(RemoteCommand.Of("sh", "-c", "virsh -c qemu:///system vol-delete \"$1\" >/dev/null 2>&1 || { [ -f \"$1\" ] && rm -f -- \"$1\"; } || [ ! -e \"$1\" ]", "sh", disk));
        }

        return GuestAction.Run(commands.ToArray());
    }

    // Its disk image files (never a block device), and of its CD-ROMs only the cloud-init seed
    // New-KvmGuest made: installation ISOs are shared.
    private static List<string> DisksToDelete(KvmGuest guest)
        => guest.Disks
            .Where(d => d.Path.Length > 0 && d.SourceType == "file"
                && (d.Device == "disk" || System.IO.Path.GetFileName(d.Path) == GuestPlanner.SeedFile(guest.Name)))
            .Select(d => d.Path)
            .Distinct(StringComparer.Ordinal)
            .ToList();

    private static string? Conflict(KvmGuest guest, List<string> disks, HostView host)
    {
        foreach (string disk in disks)
        {
            KvmGuest? other = host.Guests.FirstOrDefault(g => g.Uuid != guest.Uuid && g.Disks.Any(d => d.Path == disk || d.BackingFile == disk));
            if (other is not null)
            {
                return $"{disk} is also used by the guest '{other.Name}'.";
            }

            foreach (string line in host.PlanningOutput.Split('\n'))
            {
                string[] pair = line.TrimEnd('\r').Split('\t');
                if (pair.Length == 2 && pair[1] == disk && !disks.Contains(pair[0]))
                {
                    return $"{disk} is the base image of {pair[0]} (a thin clone).";
                }
            }
        }

        return null;
    }
}
