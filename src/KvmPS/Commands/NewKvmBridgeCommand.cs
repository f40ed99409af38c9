using System;
using System.Linq;
using System.Management.Automation;
using KvmPS.Networking;
using KvmPS.Completion;

namespace KvmPS.Commands;

/// <summary>
/// Makes a Linux bridge from a host's NIC and moves the host's addressing onto it, over SSH,
/// without locking anyone out: the change runs under a rollback timer and is kept only once the
/// host answers on a new connection with the bridge, its gateway and its DNS working.
/// </summary>
[Cmdlet(VerbsCommon.New, "KvmBridge", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(KvmBridge))]
public sealed class NewKvmBridgeCommand : KvmChangeCmdlet
{
    /// <summary>Seconds after which the host undoes the change on its own unless KvmPS has verified it on a new connection.</summary>
    [Parameter]
    [ValidateRange(10, 3600)]
    public int RollbackTimeout { get; set; } = 60;

    /// <summary>The bridge's name (default br0).</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "br0";

    /// <summary>The NIC (or bond, team, VLAN) that joins the bridge and whose addressing moves to it.</summary>
    [Parameter(Mandatory = true)]
    [Alias("NetAdapterName", "Interface")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(InterfaceNameCompleter))]
    public string InterfaceName { get; set; } = "";

    /// <summary>Static IPv4 addresses for the bridge, "192.0.2.10" with -PrefixLength or "192.0.2.10/24"; without it the bridge keeps what the NIC has.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? IPAddress { get; set; }

    /// <summary>The prefix length of -IPAddress values given without one.</summary>
    [Parameter]
    [ValidateRange(1, 32)]
    public int PrefixLength { get; set; }

    /// <summary>The default gateway with -IPAddress.</summary>
    [Parameter]
    [Alias("DefaultGateway")]
    [ValidateNotNullOrEmpty]
    public string? Gateway { get; set; }

    /// <summary>DNS servers with -IPAddress.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? DnsServer { get; set; }

    /// <summary>The bridge gets its address by DHCP (with the NIC's MAC, so the same lease).</summary>
    [Parameter]
    public SwitchParameter Dhcp { get; set; }

    /// <summary>Turn on the spanning tree protocol (off by default, as on RHEL: a host bridge with one uplink needs none).</summary>
    [Parameter]
    public SwitchParameter Stp { get; set; }

    /// <summary>Which tool makes the bridge; Auto picks NetworkManager, then network-scripts, then iproute2.</summary>
    [Parameter]
    public KvmBridgeBackend Backend { get; set; } = KvmBridgeBackend.Auto;

    /// <summary>Return the bridge (also when it already existed).</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void EndProcessing()
    {
        BridgeRequest request = Request();
        try
        {
            // Refused before any host is probed: a bad name or address is a bad value on every host.
            BridgePlanner.ValidateInput(request);
        }
        catch (KvmException e)
        {
            // One error, as before when each host refused it (non-terminating, as for any item that fails).
            WriteError(e.ToErrorRecord(request.Name));
            return;
        }

        BridgeChanges.Run(this, "New", Targets.Distinct(MyInvocation.ExpectingInput).Select(t => (t, request)).ToList(), (session, facts, _) => BridgePlanner.Plan(request, facts, session.ComputerName),
            (session, facts, _) => (
                $"The bridge {request.Name} already exists with {request.InterfaceName} as a port: nothing to do.",
                PassThru.IsPresent ? Bridge(session, facts, request.Name) : null),
            (session, plan, after, context) =>
            {
                context.Verbose($"[{session.ComputerName}] Bridge {plan.Request.Name} made with {plan.Backend} and verified on a new connection.");
                if (PassThru.IsPresent)
                {
                    context.Output(Bridge(session, after, plan.Request.Name)!);
                }
            });
    }

    private static KvmBridge? Bridge(KvmSession session, NetworkFacts facts, string name)
        => BridgeInventory.Bridges(facts, session.ComputerName, session).FirstOrDefault(b => b.Name == name);

    // Parameters that contradict each other make the whole call invalid: nothing is read or changed.
    private BridgeRequest Request()
    {
        var request = new BridgeRequest
        {
            Name = Name,
            InterfaceName = InterfaceName,
            Stp = Stp.IsPresent,
            Backend = Backend,
            RollbackTimeout = TimeSpan.FromSeconds(RollbackTimeout),
        };
        bool staticAddressing = IPAddress is not null;
        if (Dhcp.IsPresent && staticAddressing)
        {
            Invalid("-Dhcp and -IPAddress exclude each other.", "Pass one of them, or neither to keep the NIC's addressing.");
        }

        if (!staticAddressing && (Gateway is not null || DnsServer is not null || PrefixLength != 0))
        {
            Invalid("-Gateway, -DnsServer and -PrefixLength go with -IPAddress.", "Pass -IPAddress too, or leave them out to keep the NIC's gateway and DNS.");
        }

        request.AddressSource = Dhcp.IsPresent ? BridgeAddressSource.Dhcp : staticAddressing ? BridgeAddressSource.Static : BridgeAddressSource.Keep;
        foreach (string address in IPAddress ?? Array.Empty<string>())
        {
            if (address.IndexOf('/') < 0 && PrefixLength == 0)
            {
                Invalid($"-IPAddress '{address}' has no prefix length.", "Write it as address/prefix (192.0.2.10/24) or pass -PrefixLength.");
            }

            request.Addresses.Add(address.IndexOf('/') < 0 ? $"{address}/{PrefixLength}" : address);
        }

        request.Gateway = Gateway ?? "";
        request.DnsServers.AddRange(DnsServer ?? Array.Empty<string>());
        return request;
    }

    private void Invalid(string message, string action)
        => ThrowTerminatingError(new KvmException("InvalidBridgeParameters", ErrorCategory.InvalidArgument, message, action).ToErrorRecord(null));
}
