using System;
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
}
