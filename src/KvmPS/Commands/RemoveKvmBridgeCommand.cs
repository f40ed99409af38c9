using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using KvmPS.Networking;

namespace KvmPS.Commands;

/// <summary>
/// Removes a bridge and gives its NIC the bridge's addressing back, with the same safety as
/// New-KvmBridge: a rollback timer, verification on a new connection, and the bridge made again
/// when the host cannot be reached with it gone.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "KvmBridge", DefaultParameterSetName = "Name", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveKvmBridgeCommand : KvmBridgeCmdlet
{
    private readonly List<(object Target, string Name)> _bridges = new();

    /// <summary>The bridges' names (no wildcards: removing a bridge is not a thing to do by pattern).</summary>
    [Parameter(ParameterSetName = "Name", Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = System.Array.Empty<string>();

    /// <summary>Bridges from Get-KvmBridge.</summary>
    [Parameter(ParameterSetName = "InputObject", Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    public KvmBridge[]? InputObject { get; set; }

    /// <summary>Remove the bridge even though guests are attached to it (they lose their network).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        if (InputObject is null)
        {
            base.ProcessRecord();
            return;
        }

        foreach (KvmBridge bridge in InputObject)
        {
            _bridges.Add((HostTargets.Of(bridge.Session, bridge.ComputerName), bridge.Name));
        }
    }

    protected override void EndProcessing()
    {
        if (InputObject is null)
        {
            _bridges.AddRange(Targets.Distinct().SelectMany(t => Name.Select(n => (t, n))));
        }

        System.TimeSpan rollback = System.TimeSpan.FromSeconds(RollbackTimeout);
        Change("Remove", _bridges, (session, facts, name) => BridgeRemovalPlanner.Plan(name, Force.IsPresent, rollback, facts, session.ComputerName),
            (session, facts, name) => ($"There is no bridge {name}: nothing to do.", null),
            (session, plan, after, context) => context.Verbose(
                $"[{session.ComputerName}] Bridge {plan.Request.Name} removed ({plan.Backend}){(plan.Request.InterfaceName.Length > 0 ? $"; {plan.Request.InterfaceName} has its addressing" : "")}, verified on a new connection."));
    }
}
