using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using KvmPS.Guests;
using KvmPS.Networking;
using KvmPS.Transport;

namespace KvmPS.Commands;

/// <summary>
/// Stops and removes libvirt networks (virsh net-destroy and net-undefine), refusing while guests
/// use them unless -Force.
/// </summary>
[Cmdlet(VerbsCommon.Remove, "KvmNetwork", DefaultParameterSetName = "Name", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemoveKvmNetworkCommand : KvmRemoveCmdlet<KvmNetwork>
{
    private protected override (KvmSession? Session, string ComputerName, string Name) Identify(KvmNetwork item) => (item.Session, item.ComputerName, item.Name);

    protected override void EndProcessing()
    {
        var planned = new ConcurrentQueue<(KvmSession Session, KvmNetwork Network, string[] Users)>();
        var hosts = Items().GroupBy(n => HostTargets.Key(n.Target)).Select(g => (Target: g.First().Target, Names: g.Select(n => n.Name).Distinct().ToList())).ToList();
        RunParallel(hosts, ThrottleLimit, "Reading networks", h => HostTargets.Describe(h.Target), (host, context) =>
        {
            KvmSession session = HostTargets.Resolve(host.Target, context);
            (_, List<KvmNetwork> networks) = NetworkScripts.ProbeWithNetworks(session, context.Cancel, context.VerboseFor(session.ComputerName));
            List<KvmGuest> guests = GuestScripts.ReadGuests(session, context.Cancel, context.VerboseFor(session.ComputerName));
            foreach (string name in host.Names)
            {
                try
                {
                    planned.Enqueue(Check(session, name, networks, guests));
                }
                catch (KvmException refused)
                {
                    context.Error(refused, name);
                }
            }
        }, h => HostTargets.Describe(h.Target));

        var approved = new List<(KvmSession Session, KvmNetwork Network)>();
        foreach ((KvmSession session, KvmNetwork network, string[] users) in planned)
        {
            if (users.Length > 0)
            {
                WriteWarning($"[{session.ComputerName}] -Force: the guests {string.Join(", ", users)} use the network {network.Name}; running ones lose their network, stopped ones will not start until it is back.");
            }

            string action = $"Remove libvirt network {network.Name} ({network.ForwardMode}, {network.Subnet}, bridge {network.Bridge}): "
                + string.Join("; ", NetworkPlanner.RemoveCommands(network.Name, network.Active, network.Persistent).Select(c => c.ToDisplayString()));
            if (ShouldProcess(session.ComputerName, action))
            {
                approved.Add((session, network));
            }
        }

        RunParallel(approved, ThrottleLimit, "Removing networks", a => a.Session.ComputerName, (item, context) =>
        {
            List<RemoteCommand> commands = NetworkPlanner.RemoveCommands(item.Network.Name, item.Network.Active, item.Network.Persistent);
            BatchResult result = item.Session.Connection!.Shell.Run(commands, new RunOptions { StopOnError = true, Timeout = TimeSpan.FromMinutes(2) }, context.Cancel, context.VerboseFor(item.Session.ComputerName));
            CommandResult? failed = result.Results.FirstOrDefault(r => !r.Succeeded);
            if (failed is not null)
            {
                throw new KvmException("NetworkNotRemoved", ErrorCategory.InvalidResult, $"Could not remove the network {item.Network.Name} from {item.Session.ComputerName}: {failed.Describe()}",
                    "Check libvirt on the host; Get-KvmNetwork shows whether the network is still active or defined.");
            }
        }, a => a.Network.Name);
    }

    private (KvmSession, KvmNetwork, string[]) Check(KvmSession session, string name, List<KvmNetwork> networks, List<KvmGuest> guests)
    {
        NetworkPlanner.ValidateName(name);
        KvmNetwork network = networks.FirstOrDefault(n => n.Name == name)
            ?? throw new KvmException("NetworkNotFound", ErrorCategory.ObjectNotFound,
                $"There is no libvirt network named '{name}' on {session.ComputerName}. It has: {(networks.Count == 0 ? "none" : string.Join(", ", networks.Select(n => n.Name)))}.",
                $"List them with: Get-KvmNetwork -ComputerName {session.ComputerName}");
        string[] users = guests.Where(g => g.NetworkAdapters.Any(a => a.Type == "network" && a.Source == name)).Select(g => g.Name).OrderBy(n => n, StringComparer.Ordinal).ToArray();
        if (users.Length > 0 && !Force.IsPresent)
        {
            throw new KvmException("NetworkInUse", ErrorCategory.ResourceBusy,
                $"The guests {string.Join(", ", users)} on {session.ComputerName} use the network {name}.",
                "Remove their adapters from it or remove the guests first, or pass -Force to remove the network anyway.");
        }

        return (session, network, Force.IsPresent ? users : Array.Empty<string>());
    }
}
