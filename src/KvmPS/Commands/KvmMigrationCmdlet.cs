using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading.Tasks;
using KvmPS.Guests;
using KvmPS.Migration;
using KvmPS.Transport;
using KvmPS.Completion;
using KvmPS.Sessions;

namespace KvmPS.Commands;

/// <summary>
/// Base of Test-KvmMigration and Move-KvmGuest: guests (by -Name on the source hosts, or piped),
/// one -Destination (a host name or a session), and the options that change what the pre-flight
/// checks (-IncludeStorage, -Offline, -MigrationAddress).
/// </summary>
public abstract class KvmMigrationCmdlet : KvmGuestCmdlet
{
    private readonly object _destinationGate = new();
    private MigrationEndpoint? _destination;
    private readonly ConcurrentDictionary<KvmSession, Lazy<Task<CommandResult>>> _networkProbes = new();

    /// <summary>The destination host: a name as -ComputerName takes it (host, user@host, host:port) or a session from Connect-KvmHost.</summary>
    [Parameter(Mandatory = true)]
    [Alias("DestinationHost")]
    [ValidateNotNull]
    [ArgumentCompleter(typeof(HostNameCompleter))]
    public object? Destination { get; set; }

    /// <summary>The destination's address on the network the guest's memory and disks go over; its SSH address by default.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? MigrationAddress { get; set; }

    /// <summary>Copy the guest's disks to the same paths on the destination while it runs (storage that is not shared).</summary>
    [Parameter]
    public SwitchParameter IncludeStorage { get; set; }

    /// <summary>Move a stopped guest's definition only.</summary>
    [Parameter]
    public SwitchParameter Offline { get; set; }

    /// <summary>How the source reaches libvirt on the destination: root's own keys (Existing), or a one-time key (Ephemeral).</summary>
    [Parameter]
    public KvmMigrationTrustMode TrustMode { get; set; }

    protected override void BeginProcessing()
    {
        object value = Destination is PSObject wrapped ? wrapped.BaseObject : Destination!;
        if (value is not (string or KvmSession))
        {
            ThrowTerminatingError(new KvmException("InvalidDestination", ErrorCategory.InvalidArgument,
                $"-Destination takes a host name or a KvmSession, not a {value.GetType().Name}.",
                "Pass a name (-Destination kvm2) or a session (-Destination (Connect-KvmHost kvm2)).").ToErrorRecord(value));
        }

        if (value is string host)
        {
            // Checked here, once, so that a bad name is refused as -Destination before any guest is looked at.
            try
            {
                _ = HostTarget.Parse(host);
            }
            catch (ArgumentException e)
            {
                ThrowTerminatingError(new KvmException("InvalidDestination", ErrorCategory.InvalidArgument, $"-Destination: {e.Message}",
                    "Pass the destination host as host, user@host or host:port (-Destination kvm2), or a session from Connect-KvmHost.", e).ToErrorRecord(host));
            }
        }

        Destination = value;
        if (MigrationAddress is not null)
        {
            try
            {
                MigrationPlanner.CheckAddress(MigrationAddress, "-MigrationAddress");
            }
            catch (KvmException e)
            {
                ThrowTerminatingError(e.ToErrorRecord(MigrationAddress));
            }
        }
    }

    /// <summary>The destination, connected once per call (the first guest that needs it opens it).</summary>
    internal MigrationEndpoint DestinationEndpoint(WorkContext context)
    {
        lock (_destinationGate)
        {
            return _destination ??= new MigrationEndpoint(HostTargets.Resolve(Destination!, context));
        }
    }

    /// <summary>The guests named or piped, per source host, read in one round trip per host.</summary>
    internal List<(KvmSession Source, KvmGuest Guest)> SourceGuests()
    {
        var found = new ConcurrentQueue<(int Order, KvmSession Source, KvmGuest Guest)>();
        RunParallel(HostWorkItems().Select((w, i) => (w, i)).ToList(), ThrottleLimit, "Reading guests", x => x.w.Describe(), (item, context) =>
        {
            KvmSession session = HostTargets.Resolve(item.w.Target, context);
            _ = NetworkProbe(session, context);   // beside the inventory and the guests' pre-flight
            List<KvmGuest> inventory = GuestScripts.ReadGuests(session, context.Cancel, context.VerboseFor(session.ComputerName));
            foreach (KvmGuest guest in Select(item.w, inventory, session, context))
            {
                found.Enqueue((item.i, session, guest));
            }
        }, x => x.w.Describe());
        return found.OrderBy(f => f.Order).ThenBy(f => f.Guest.Name, StringComparer.OrdinalIgnoreCase).Select(f => (f.Source, f.Guest)).ToList();
    }

    /// <summary>The source's network probe towards the destination, started once per source.</summary>
    private Task<CommandResult> NetworkProbe(KvmSession source, WorkContext context)
        => _networkProbes.GetOrAdd(source, s => new Lazy<Task<CommandResult>>(() => MigrationPreflight.StartNetworkProbe(
            s, DestinationEndpoint(context), MigrationAddress ?? "", StopToken, (host, message) => context.Verbose($"[{host}] {message}")))).Value;

    /// <summary>Pre-flight of one guest; refuses a destination that is its own source.</summary>
    internal MigrationFacts Preflight(KvmSession source, KvmGuest guest, WorkContext context)
    {
        MigrationEndpoint destination = DestinationEndpoint(context);
        if (ReferenceEquals(destination.Session, source) || string.Equals(destination.Session.ComputerName, source.ComputerName, StringComparison.OrdinalIgnoreCase))
        {
            throw new KvmException("SameHost", ErrorCategory.InvalidArgument, $"'{guest.Name}' is already on {source.ComputerName}, the destination.",
                "Name another host with -Destination.");
        }

        return MigrationPreflight.Run(source, guest.Name, destination, MigrationAddress ?? "", Offline.IsPresent, IncludeStorage.IsPresent, TrustMode,
            NetworkProbe(source, context), context.Cancel, (host, message) => context.Verbose($"[{host}] {message}"));
    }
}
