using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using KvmPS.Sessions;
using KvmPS.Transport;

namespace KvmPS.Migration;

/// <summary>Where a guest goes: the destination's session, and how the source reaches it.</summary>
internal sealed class MigrationEndpoint
{
    public MigrationEndpoint(KvmSession session)
    {
        Session = session;
        HostTarget target = HostTarget.Parse(session.ComputerName);
        if (session.Transport == KvmTransport.Local || target.IsLocal)
        {
            throw new KvmException("DestinationIsLocal", ErrorCategory.InvalidArgument,
                $"The destination '{session.ComputerName}' is this machine by a local name, which the source cannot reach.",
                "Name the destination by a host name or address the source reaches, e.g. -Destination root@10.0.0.12.");
        }

        Address = target.Host;
        Port = target.Port ?? (session.Port > 0 ? session.Port : 22);
    }

    public KvmSession Session { get; }

    /// <summary>The host part of the destination's name (a host name or an address).</summary>
    public string Address { get; }

    public int Port { get; }

    /// <summary>libvirt is reached as root on the destination: qemu:///system.</summary>
    public string User => "root";
}

/// <summary>
/// The pre-flight of one guest: three round trips, changing nothing that stays. The source reports
/// the guest, its disks and how it reaches the destination, and leaves a marker file beside each disk;
/// the destination reports what it has for the guest and whether it sees the markers (shared
/// storage); the markers are removed, also when the destination's probe fails.
/// </summary>
internal static class MigrationPreflight
{
    private static readonly RunOptions ProbeOptions = new() { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>
    /// The source's network part (name resolution, ports, root's SSH trust: a new SSH connection,
    /// ~0.3 s), the same for every guest of a source: started once per source, on its own channel,
    /// beside the rest of the pre-flight.
    /// </summary>
    public static Task<CommandResult> StartNetworkProbe(KvmSession source, MigrationEndpoint destination, string migrationAddress, CancellationToken cancel, Action<string, string> log)
    {
        RemoteCommand probe = Probe("", destination, "", DataAddress(destination, migrationAddress), "network");
        return Task.Run(() => source.Connection!.Shell.Run(probe, ProbeOptions, cancel, m => log(source.ComputerName, m))[0]);
    }

    /// <param name="network">The source's network part (<see cref="StartNetworkProbe"/>).</param>
    public static MigrationFacts Run(KvmSession source, string guestName, MigrationEndpoint destination, string migrationAddress, bool offline, bool includeStorage,
        KvmMigrationTrustMode trustMode, Task<CommandResult> network, CancellationToken cancel, Action<string, string> log)
    {
        string marker = ".kvmps-shared-" + Guid.NewGuid().ToString("N");
        string dataAddress = DataAddress(destination, migrationAddress);
        RemoteCommand probe = Probe(guestName, destination, marker, dataAddress, "guest");
        CommandResult guestResult = source.Connection!.Shell.Run(probe, ProbeOptions, cancel, m => log(source.ComputerName, m))[0];
        List<string> marked = MigrationSourceFacts.Parse(guestResult.StdoutText).Markers.Where(m => m.Value).Select(m => m.Key).ToList();
        try
        {
            MigrationSourceFacts guestFacts = MigrationSourceFacts.Parse(guestResult.StdoutText);
            if (!guestResult.Succeeded || !guestFacts.Complete)
            {
                throw new KvmException("MigrationPreflightFailed", ErrorCategory.ResourceUnavailable,
                    $"Could not read '{guestName}' on {source.ComputerName} for the move: {guestResult.Describe()}",
                    "Check that libvirt runs there (Test-KvmCapability) and that the session is root or has sudo.");
            }

            if (guestFacts.State.Length == 0 || guestFacts.Xml.Length == 0)
            {
                throw new KvmException("GuestNotFound", ErrorCategory.ObjectNotFound, $"There is no guest named '{guestName}' on {source.ComputerName}.",
                    $"List the guests with: Get-KvmGuest -ComputerName {source.ComputerName}");
            }

            MigrationDefinition definition = MigrationDefinition.Parse(guestFacts.Xml);
            KvmSession dest = destination.Session;
            CommandResult destResult = dest.Connection!.Shell.Run(MigrationDestinationFacts.Probe(definition, marker, marked), ProbeOptions, cancel, m => log(dest.ComputerName, m))[0];
            MigrationDestinationFacts destFacts = MigrationDestinationFacts.Parse(destResult.StdoutText);
            if (!destResult.Succeeded || !destFacts.Complete)
            {
                throw new KvmException("MigrationPreflightFailed", ErrorCategory.ResourceUnavailable,
                    $"Could not check the destination {dest.ComputerName} for '{guestName}': {destResult.Describe()}",
                    "Check that libvirt runs there (Test-KvmCapability) and that the session is root or has sudo.");
            }

            CommandResult networkResult;
            try
            {
                networkResult = network.Wait((int)ProbeOptions.Timeout.TotalMilliseconds, cancel) ? network.Result
                    : throw new TimeoutException($"{source.ComputerName} did not finish testing its way to {dest.ComputerName} in {ProbeOptions.Timeout.TotalSeconds:0} s.");
            }
            catch (AggregateException e) when (e.InnerExceptions.Count == 1)
            {
                // The probe's own failure (Ctrl+C, a lost connection), as if it had run here.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
                throw;
            }
            MigrationSourceFacts sourceFacts = MigrationSourceFacts.Parse(guestResult.StdoutText + "\n" + networkResult.StdoutText);
            if (!networkResult.Succeeded || !MigrationSourceFacts.Parse(networkResult.StdoutText).Complete)
            {
                throw new KvmException("MigrationPreflightFailed", ErrorCategory.ResourceUnavailable,
                    $"Could not test {source.ComputerName}'s way to {dest.ComputerName}: {networkResult.Describe()}",
                    "Check that the session is root or has sudo, and that bash and ssh exist on the source.");
            }

            bool active = sourceFacts.State != "shut off";
            return new MigrationFacts(source.ComputerName, dest.ComputerName, sourceFacts, definition, destFacts)
            {
                DestinationAddress = destination.Address,
                DataAddress = dataAddress,
                SshPort = destination.Port,
                SourceUser = source.IsElevated || source.UserName.Length == 0 ? "root" : source.UserName,
                Live = active && !offline,
                IncludeStorage = includeStorage,
                TrustMode = trustMode,
            };
        }
        finally
        {
            if (marked.Count > 0)
            {
                var unmark = new List<string> { "sh", "-c", "m=$1; shift; for d; do rm -f -- \"$d/$m\"; done", "kvmps-unmark", marker };
                unmark.AddRange(marked);
                try
                {
                    source.Connection!.Shell.Run(new RemoteCommand(unmark), new RunOptions { Timeout = TimeSpan.FromSeconds(20) }, CancellationToken.None, m => log(source.ComputerName, m));
                }
                catch (Exception e) when (e is HostUnreachableException or TimeoutException or HostConnectException)
                {
                    log(source.ComputerName, $"could not remove the shared-storage markers ({marker}) in {string.Join(", ", marked)}: {e.Message}");
                }
            }
        }
    }

    private static string DataAddress(MigrationEndpoint destination, string migrationAddress) => migrationAddress.Length > 0 ? migrationAddress : destination.Address;

    private static RemoteCommand Probe(string guestName, MigrationEndpoint destination, string marker, string dataAddress, string part)
        => RemoteCommand.Script("migration-source.sh", guestName, destination.Address, destination.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            destination.User, marker, dataAddress, part);
}
