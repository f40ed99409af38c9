using System.Management.Automation;

namespace KvmPS.Commands;

/// <summary>Starts guests (a paused guest is resumed, a suspended one woken).</summary>
[Cmdlet(VerbsLifecycle.Start, "KvmGuest", DefaultParameterSetName = "Name", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(KvmGuest))]
public sealed class StartKvmGuestCommand : KvmGuestActionCmdlet
{
    internal override string ActionDescription => "Start the guest";

    internal override GuestAction Plan(KvmGuest guest, HostView host) => guest.State switch
    {
        KvmGuestState.Running or KvmGuestState.Blocked => GuestAction.Nothing("already running"),
        KvmGuestState.Paused => GuestAction.Run(Virsh("resume", guest)),
        KvmGuestState.Suspended => GuestAction.Run(Virsh("dompmwakeup", guest)),
        KvmGuestState.ShuttingDown => GuestAction.Refuse("GuestShuttingDown", $"'{guest.Name}' is shutting down.",
            "Wait until it is off (Wait-KvmGuest -State ShutOff), then start it."),
        _ => GuestAction.Run(Virsh("start", guest)),
    };
}
