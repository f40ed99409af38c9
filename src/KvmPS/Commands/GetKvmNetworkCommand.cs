using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using KvmPS.Networking;
using KvmPS.Transport;

namespace KvmPS.Commands;

/// <summary>Gets the libvirt virtual networks of hosts: bridge, forward mode, subnet, DHCP range, active, autostart.</summary>
[Cmdlet(VerbsCommon.Get, "KvmNetwork", DefaultParameterSetName = "Name")]
[OutputType(typeof(KvmNetwork))]
public sealed class GetKvmNetworkCommand : KvmHostItemCmdlet
{
    protected override void EndProcessing()
    {
        ForEachHost("Reading networks", (session, context) =>
        {
            CommandResult result = session.Connection!.Shell.Run(RemoteCommand.Script("network-list.sh"), NetworkScripts.ProbeOptions, context.Cancel, context.VerboseFor(session.ComputerName))[0];
            if (!result.Succeeded)
            {
                throw new KvmException("NetworkListFailed", ErrorCategory.ResourceUnavailable, $"Could not read the libvirt networks of {session.ComputerName}: {result.Describe()}",
                    "Check that libvirt runs on the host (Test-KvmCapability -Check LibvirtDaemon) and that the session may use it.");
            }

            List<KvmNetwork> networks = NetworkListParser.Parse(session.ComputerName, result.StdoutText, session);
            context.OutputAll(NameSelection.Select(networks, n => n.Name, Name, name => new KvmException("NetworkNotFound", ErrorCategory.ObjectNotFound,
                $"There is no libvirt network named '{name}' on {session.ComputerName}. It has: {(networks.Count == 0 ? "none" : string.Join(", ", networks.Select(n => n.Name)))}.",
                $"List them with: Get-KvmNetwork -ComputerName {session.ComputerName}"), context));
        });
    }
}
