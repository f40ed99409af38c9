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
public sealed class RemoveKvmBridgeCommand : KvmRemoveCmdlet<KvmBridge>
{
    /// <summary>Seconds after which the host undoes the change on its own unless KvmPS has verified it on a new connection.</summary>
    [Parameter]
    [ValidateRange(10, 3600)]
    public int RollbackTimeout { get; set; } = 60;

    private protected override (KvmSession? Session, string ComputerName, string Name) Identify(KvmBridge item) => (item.Session, item.ComputerName, item.Name);

    protected override void EndProcessing()
    {
        System.TimeSpan rollback = System.TimeSpan.FromSeconds(RollbackTimeout);
        BridgeChanges.Run(this, "Remove", Items(), (session, facts, name) => BridgeRemovalPlanner.Plan(name, Force.IsPresent, rollback, facts, session.ComputerName),
            (session, facts, name) => ($"There is no bridge {name}: nothing to do.", null),
            (session, plan, after, context) => context.Verbose(
                $"[{session.ComputerName}] Bridge {plan.Request.Name} removed ({plan.Backend}){(plan.Request.InterfaceName.Length > 0 ? $"; {plan.Request.InterfaceName} has its addressing" : "")}, verified on a new connection."));
    }
}
