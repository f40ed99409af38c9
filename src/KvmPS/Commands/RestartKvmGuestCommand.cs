using System.Management.Automation;

namespace KvmPS.Commands;

/// <summary>Restarts running guests through ACPI (virsh reboot); -Force resets them at once.</summary>
[Cmdlet(VerbsLifecycle.Restart, "KvmGuest", DefaultParameterSetName = "Name", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(KvmGuest))]
public sealed class RestartKvmGuestCommand : KvmGuestActionCmdlet
{
    /// <summary>Reset at once (virsh reset), like the reset button.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    internal override string ActionDescription => Force.IsPresent ? "Reset the guest" : "Restart the guest";

    internal override GuestAction Plan(KvmGuest guest, HostView host) => guest.State is KvmGuestState.Running or KvmGuestState.Blocked
        ? GuestAction.Run(Virsh(Force.IsPresent ? "reset" : "reboot", guest))
        : GuestAction.Refuse("GuestNotRunning", $"'{guest.Name}' is {guest.State.ToString().ToLowerInvariant()}, so it cannot be restarted.", "Start it with Start-KvmGuest.");
}
