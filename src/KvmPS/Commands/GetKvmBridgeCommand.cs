using System.Linq;
using System.Management.Automation;
using KvmPS.Networking;

namespace KvmPS.Commands;

/// <summary>Gets the Linux bridges of hosts: ports, guest interfaces, addresses, STP, and what owns each.</summary>
[Cmdlet(VerbsCommon.Get, "KvmBridge", DefaultParameterSetName = "Name")]
[OutputType(typeof(KvmBridge))]
public sealed class GetKvmBridgeCommand : KvmHostItemCmdlet
{
    protected override void EndProcessing()
    {
        ForEachHost("Reading bridges", (session, context) =>
        {
            NetworkFacts facts = NetworkScripts.Probe(session, context.Cancel, context.VerboseFor(session.ComputerName));
            var bridges = BridgeInventory.Bridges(facts, session.ComputerName, session);
            context.OutputAll(NameSelection.Select(bridges, b => b.Name, Name, name => new KvmException("BridgeNotFound", ErrorCategory.ObjectNotFound,
                $"There is no bridge named '{name}' on {session.ComputerName}. It has: {(bridges.Count == 0 ? "none" : string.Join(", ", bridges.Select(b => b.Name)))}.",
                $"Make one with: New-KvmBridge -ComputerName {session.ComputerName} -InterfaceName <nic>"), context).OrderBy(b => b.Name, System.StringComparer.Ordinal));
        });
    }
}
