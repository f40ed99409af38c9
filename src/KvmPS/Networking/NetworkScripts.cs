using System;
using System.Collections.Generic;
using System.Threading;
using KvmPS.Transport;

namespace KvmPS.Networking;

/// <summary>Reads a host's network facts: network-probe.sh, one round trip.</summary>
internal static class NetworkScripts
{
    public static readonly RunOptions ProbeOptions = new() { Timeout = TimeSpan.FromMinutes(1) };

    public static NetworkFacts Probe(KvmSession session, CancellationToken cancel, Action<string> log)
    {
        CommandResult result = session.Connection!.Shell.Run(RemoteCommand.Script("network-probe.sh"), ProbeOptions, cancel, log)[0];
        if (!result.Succeeded)
        {
            throw new KvmException("NetworkProbeFailed", System.Management.Automation.ErrorCategory.ReadError,
                $"Could not read the network configuration of {session.ComputerName}: {result.Describe()}",
                "Check that the session's user may run ip (and nmcli where NetworkManager runs) on the host.");
        }

        return NetworkFactsParser.Parse(result.StdoutText);
    }

    /// <summary>The network facts and the libvirt networks, in one round trip.</summary>
    public static (NetworkFacts Facts, List<KvmNetwork> Networks) ProbeWithNetworks(KvmSession session, CancellationToken cancel, Action<string> log)
    {
        BatchResult result = session.Connection!.Shell.Run(new[] { RemoteCommand.Script("network-probe.sh"), RemoteCommand.Script("network-list.sh") }, ProbeOptions, cancel, log);
        CommandResult failed = result[0].Succeeded ? result[1] : result[0];
        if (!result.Succeeded)
        {
            throw new KvmException("NetworkProbeFailed", System.Management.Automation.ErrorCategory.ReadError,
                $"Could not read the networks of {session.ComputerName}: {failed.Describe()}",
                "Check that libvirt runs on the host (Test-KvmCapability) and that the session may use ip and virsh.");
        }

        return (NetworkFactsParser.Parse(result[0].StdoutText), NetworkListParser.Parse(session.ComputerName, result[1].StdoutText, session));
    }
}
