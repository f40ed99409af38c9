using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using KvmPS.Guests;
using KvmPS.Transport;

namespace KvmPS.Commands;

/// <summary>Waits until guests are in a state (running by default) or have an IP address.</summary>
[Cmdlet(VerbsLifecycle.Wait, "KvmGuest", DefaultParameterSetName = "Name")]
[OutputType(typeof(KvmGuest))]
public sealed class WaitKvmGuestCommand : KvmGuestCmdlet
{
    /// <summary>The state to wait for: Running, ShutOff or Paused.</summary>
    [Parameter]
    [ValidateSet("Running", "ShutOff", "Paused")]
    public string State { get; set; } = "Running";

    /// <summary>Wait until the guest runs and an adapter has an IP address (DHCP lease or ARP).</summary>
    [Parameter]
    public SwitchParameter ForIPAddress { get; set; }

    /// <summary>Seconds to wait before giving up with an error per guest.</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int Timeout { get; set; } = 300;

    /// <summary>Return the guests once they are ready.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void EndProcessing()
    {
        string want = ForIPAddress.IsPresent ? "ip" : State.ToLowerInvariant();
        RunParallel(HostWorkItems(), ThrottleLimit, "Waiting for guests", w => w.Describe(), (work, context) =>
        {
            KvmSession session = HostTargets.Resolve(work.Target, context);
            Action<string> log = context.VerboseFor(session.ComputerName);
            List<KvmGuest> guests = Select(work, GuestScripts.ReadGuests(session, context.Cancel, log), session, context);
            if (guests.Count == 0)
            {
                return;
            }

            var commands = new List<RemoteCommand> { GuestScripts.Wait(TimeSpan.FromSeconds(Timeout), want, guests.Select(g => g.Uuid)) };
            if (PassThru.IsPresent)
            {
                commands.Add(GuestScripts.Inventory(guests.Select(g => g.Uuid)));
            }

            BatchResult result = session.Connection!.Shell.Run(commands, new RunOptions { Timeout = TimeSpan.FromSeconds(Timeout + 60) }, context.Cancel, log);
            if (!result[0].Succeeded)
            {
                throw new KvmException("WaitFailed", ErrorCategory.InvalidResult, $"Waiting on {session.ComputerName} failed: {result[0].Describe()}", "Check that libvirt runs on the host.");
            }

            Dictionary<Guid, (bool Reached, string State)> waited = GuestScripts.ReadWait(result[0].StdoutText);
            var ready = new HashSet<Guid>();
            foreach (KvmGuest guest in guests)
            {
                if (waited.TryGetValue(guest.Uuid, out var outcome) && outcome.Reached)
                {
                    ready.Add(guest.Uuid);
                    continue;
                }

                string goal = ForIPAddress.IsPresent ? "an IP address" : $"the state {State}";
                context.Error(new KvmException("WaitTimedOut", ErrorCategory.OperationTimeout,
                    $"'{guest.Name}' on {session.ComputerName} did not reach {goal} within {Timeout} s (it is {(outcome.State.Length > 0 ? outcome.State : "gone")}).",
                    ForIPAddress.IsPresent
                        ? "Check that the guest's OS brings its network up with DHCP, and that its network or bridge serves DHCP (virsh net-dhcp-leases)."
                        : "Wait longer with -Timeout, or check the guest's console (virsh console)."), guest);
            }

            if (PassThru.IsPresent && result[1].Succeeded)
            {
                context.OutputAll(GuestInventoryParser.Parse(session.ComputerName, result[1].StdoutText, session)
                    .Where(g => ready.Contains(g.Uuid)).OrderBy(g => g.Name, StringComparer.OrdinalIgnoreCase));
            }
        }, w => w.Describe());
    }
}
