using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using KvmPS.Guests;
using KvmPS.Transport;

namespace KvmPS.Commands;

/// <summary>Shuts guests down through ACPI and waits until they are off; -Force powers them off.</summary>
[Cmdlet(VerbsLifecycle.Stop, "KvmGuest", DefaultParameterSetName = "Name", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(KvmGuest))]
public sealed class StopKvmGuestCommand : KvmGuestActionCmdlet
{
    /// <summary>Power off at once (virsh destroy), like pulling the plug.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Seconds to wait for the guests' operating systems to shut down.</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int Timeout { get; set; } = 120;

    internal override string ActionDescription => Force.IsPresent ? "Power off the guest" : "Shut down the guest";

    internal override TimeSpan BatchTimeout => TimeSpan.FromSeconds(Timeout + 60);

    internal override GuestAction Plan(KvmGuest guest, HostView host)
    {
        if (guest.State == KvmGuestState.ShutOff)
        {
            return GuestAction.Nothing("already off");
        }

        if (Force.IsPresent)
        {
            return GuestAction.Run(Virsh("destroy", guest));
        }

        return guest.State is KvmGuestState.Paused or KvmGuestState.Suspended
            ? GuestAction.Refuse("GuestNotRunning", $"'{guest.Name}' is {guest.State.ToString().ToLowerInvariant()} and cannot react to a shutdown request.",
                "Resume it first (Resume-KvmGuest), or power it off with Stop-KvmGuest -Force.")
            : GuestAction.Run(Virsh("shutdown", guest));
    }

    internal override RemoteCommand? After(IReadOnlyList<KvmGuest> acted)
        => Force.IsPresent || acted.Count == 0 ? null : GuestScripts.Wait(TimeSpan.FromSeconds(Timeout), "shutoff", acted.Select(g => g.Uuid));

    internal override IEnumerable<(KvmGuest Guest, KvmException Error)> CheckAfter(CommandResult result, IReadOnlyList<KvmGuest> acted)
    {
        Dictionary<Guid, (bool Reached, string State)> waited = GuestScripts.ReadWait(result.StdoutText);
        foreach (KvmGuest guest in acted)
        {
            if (!waited.TryGetValue(guest.Uuid, out var outcome) || !outcome.Reached)
            {
                yield return (guest, new KvmException("ShutdownTimedOut", ErrorCategory.OperationTimeout,
                    $"'{guest.Name}' did not shut down within {Timeout} s (it is still {(outcome.State.Length > 0 ? outcome.State : "running")}): its operating system ignored the ACPI request or is still busy.",
                    "Wait longer with -Timeout, check the guest's console (virsh console), or power it off with Stop-KvmGuest -Force."));
            }
        }
    }
}
