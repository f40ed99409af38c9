using System.Linq;
using System.Management.Automation;
using KvmPS.Networking;
using KvmPS.Sessions;

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
            if (PrivilegeFailures.IsLibvirtRefusal(facts.LibvirtRefusal))
            {
                // Without libvirt, its bridges (virbr0) would show as plain unsaved iproute2 bridges.
                throw PrivilegeFailures.LibvirtDenied(session, session.ComputerName,
                    $"Which bridges libvirt's networks own cannot be read; libvirt said: {facts.LibvirtRefusal}");
            }

            var bridges = BridgeInventory.Bridges(facts, session.ComputerName, session);
            context.OutputAll(NameSelection.Select(bridges, b => b.Name, Name, name => new KvmException("BridgeNotFound", ErrorCategory.ObjectNotFound,
                $"There is no bridge named '{name}' on {session.ComputerName}. It has: {(bridges.Count == 0 ? "none" : string.Join(", ", bridges.Select(b => b.Name)))}.",
                $"Make one with: New-KvmBridge -ComputerName {session.ComputerName} -InterfaceName <nic>"), context).OrderBy(b => b.Name, System.StringComparer.Ordinal));
        });
    }
}
