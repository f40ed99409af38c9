using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using KvmPS.Networking;
using KvmPS.Transport;

namespace KvmPS.Commands;

/// <summary>
/// Makes a libvirt virtual network (NAT, isolated or routed) on hosts, started and autostarted,
/// on a free subnet unless one is given: what virt-manager's "Add network" and virsh net-define do.
/// </summary>
[Cmdlet(VerbsCommon.New, "KvmNetwork", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(KvmNetwork))]
public sealed class NewKvmNetworkCommand : KvmChangeCmdlet
{
    /// <summary>The network's name.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>Nat (default), Isolated or Routed.</summary>
    [Parameter]
    public KvmNetworkMode Mode { get; set; } = KvmNetworkMode.Nat;

    /// <summary>The host's address on the network with its prefix, e.g. 192.168.100.1/24; by default the first free 192.168.N.1/24.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? IPAddress { get; set; }

    /// <summary>The addresses DHCP hands out, first-last; by default all but the host's.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? DhcpRange { get; set; }

    /// <summary>No DHCP server on the network.</summary>
    [Parameter]
    public SwitchParameter NoDhcp { get; set; }

    /// <summary>The bridge's name; by default libvirt picks the next free virbrN.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Bridge { get; set; }

    /// <summary>Do not start the network when the host boots.</summary>
    [Parameter]
    public SwitchParameter NoAutostart { get; set; }

    /// <summary>Return the new network.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void EndProcessing()
    {
        if (NoDhcp.IsPresent && DhcpRange is not null)
        {
            ThrowTerminatingError(new KvmException("InvalidNetworkParameters", ErrorCategory.InvalidArgument, "-NoDhcp and -DhcpRange exclude each other.",
                "Pass one of them.").ToErrorRecord(null));
        }

        var request = new NetworkRequest
        {
            Name = Name, Mode = Mode, Address = IPAddress ?? "", DhcpRange = DhcpRange ?? "", NoDhcp = NoDhcp.IsPresent, Bridge = Bridge ?? "", Autostart = !NoAutostart.IsPresent,
        };
        try
        {
            // Refused before any host is probed: a bad name or address is a bad value on every host.
            NetworkPlanner.ValidateInput(request);
        }
        catch (KvmException e)
        {
            // One error, as before when each host refused it (non-terminating, as for any item that fails).
            WriteError(e.ToErrorRecord(request.Name));
            return;
        }

        var planned = new ConcurrentQueue<(KvmSession Session, NetworkPlan Plan)>();
        RunParallel(Targets.Distinct(MyInvocation.ExpectingInput), ThrottleLimit, "Planning networks", HostTargets.Describe, (target, context) =>
        {
            KvmSession session = HostTargets.Resolve(target, context);
            (NetworkFacts facts, List<KvmNetwork> networks) = NetworkScripts.ProbeWithNetworks(session, context.Cancel, context.VerboseFor(session.ComputerName));
            planned.Enqueue((session, NetworkPlanner.Plan(request, facts, networks, session.ComputerName)));
        }, HostTargets.Describe);

        var approved = planned.Where(p => ShouldProcess(p.Session.ComputerName, p.Plan.Describe())).ToList();
        RunParallel(approved, ThrottleLimit, "Creating networks", a => a.Session.ComputerName, (item, context) => Create(item.Session, item.Plan, context), a => a.Session.ComputerName);
    }

    private void Create(KvmSession session, NetworkPlan plan, WorkContext context)
    {
        string host = session.ComputerName;
        List<RemoteCommand> commands = plan.Commands();
        BatchResult result = session.Connection!.Shell.Run(commands, new RunOptions { StopOnError = true, Timeout = TimeSpan.FromMinutes(2) }, context.Cancel, context.VerboseFor(host));
        CommandResult? failed = result.Results.FirstOrDefault(r => !r.Succeeded);
        if (failed is not null)
        {
            // Only what this call made goes: defined (first step) and started (second).
            int done = result.Results.TakeWhile(r => r.Succeeded).Count();
            var undo = NetworkPlanner.RemoveCommands(plan.Request.Name, active: done >= 2, persistent: done >= 1);
            if (undo.Count > 0)
            {
                session.Connection.Shell.Run(undo, new RunOptions { Timeout = TimeSpan.FromMinutes(1) }, System.Threading.CancellationToken.None, context.VerboseFor(host));
            }

            throw new KvmException("NetworkNotCreated", ErrorCategory.InvalidResult,
                $"Could not create the network {plan.Request.Name} on {host}: {failed.Describe()} What this call had made was taken away again.",
                "Check libvirt on the host (Test-KvmCapability), and that the subnet and bridge name are free.");
        }

        if (PassThru.IsPresent)
        {
            (_, List<KvmNetwork> networks) = NetworkScripts.ProbeWithNetworks(session, context.Cancel, context.VerboseFor(host));
            context.OutputAll(networks.Where(n => n.Name == plan.Request.Name));
        }
    }
}
