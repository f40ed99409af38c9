using System.Management.Automation;

namespace KvmPS.Commands;

/// <summary>Resumes paused guests (virsh resume).</summary>
[Cmdlet(VerbsLifecycle.Resume, "KvmGuest", DefaultParameterSetName = "Name", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(KvmGuest))]
public sealed class ResumeKvmGuestCommand : KvmGuestActionCmdlet
{
    internal override string ActionDescription => "Resume the guest";

    internal override GuestAction Plan(KvmGuest guest, HostView host) => guest.State switch
    {
        KvmGuestState.Paused => GuestAction.Run(Virsh("resume", guest)),
        KvmGuestState.Suspended => GuestAction.Run(Virsh("dompmwakeup", guest)),
        KvmGuestState.Running or KvmGuestState.Blocked => GuestAction.Nothing("already running"),
        _ => GuestAction.Refuse("GuestNotPaused", $"'{guest.Name}' is {guest.State.ToString().ToLowerInvariant()}, not paused.", "Start it with Start-KvmGuest."),
    };
}
