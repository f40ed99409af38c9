using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using KvmPS.Guests;

namespace KvmPS.Commands;

/// <summary>Gets guests: state, CPUs, memory, disks, network adapters and their IP addresses.</summary>
[Cmdlet(VerbsCommon.Get, "KvmGuest", DefaultParameterSetName = "Name")]
[OutputType(typeof(KvmGuest))]
public sealed class GetKvmGuestCommand : KvmGuestCmdlet
{
    /// <summary>Only guests in these states.</summary>
    [Parameter]
    public KvmGuestState[]? State { get; set; }

    internal override bool RequiresSelection => false;

    protected override void EndProcessing()
    {
        RunParallel(HostWorkItems(), ThrottleLimit, "Reading guests", w => w.Describe(), (work, context) =>
        {
            KvmSession session = HostTargets.Resolve(work.Target, context);
            List<KvmGuest> inventory = GuestScripts.ReadGuests(session, context.Cancel, context.VerboseFor(session.ComputerName));
            IEnumerable<KvmGuest> selected = Select(work, inventory, session, context);
            if (State is not null)
            {
                selected = selected.Where(g => State.Contains(g.State));
            }

            context.OutputAll(selected);
        }, w => w.Describe());
    }
}
