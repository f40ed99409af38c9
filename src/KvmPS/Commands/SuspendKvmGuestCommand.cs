using System.Management.Automation;

namespace KvmPS.Commands;

/// <summary>Pauses running guests: their CPUs stop, memory stays allocated (virsh suspend).</summary>
[Cmdlet(VerbsLifecycle.Suspend, "KvmGuest", DefaultParameterSetName = "Name", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(KvmGuest))]
public sealed class SuspendKvmGuestCommand : KvmGuestActionCmdlet
{
    internal override string ActionDescription => "Pause the guest";

    internal override GuestAction Plan(KvmGuest guest, HostView host) => guest.State switch
    {
        KvmGuestState.Paused => GuestAction.Nothing("already paused"),
        KvmGuestState.Running or KvmGuestState.Blocked => GuestAction.Run(Virsh("suspend", guest)),
        _ => GuestAction.Refuse("GuestNotRunning", $"'{guest.Name}' is {guest.State.ToString().ToLowerInvariant()}, so it cannot be paused.", "Only running guests can be paused."),
    };
}
