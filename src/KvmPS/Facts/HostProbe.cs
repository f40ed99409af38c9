using System;
using System.Threading;
using KvmPS.Transport;

namespace KvmPS.Facts;

/// <summary>Runs the embedded probe on a host: one command, one round trip.</summary>
internal static class HostProbe
{
    private static readonly RunOptions Options = new() { Timeout = TimeSpan.FromSeconds(45) };

    public static HostFacts Run(KvmSession session, CancellationToken cancel, Action<string>? log)
    {
        Sessions.HostConnection connection = session.Connection
            ?? throw new InvalidOperationException($"The session to {session.ComputerName} was not opened by Connect-KvmHost.");
        RemoteCommand probe = RemoteCommand.Script("host-probe.sh");
        CommandResult result = connection.Shell.Run(probe, Options, cancel, log)[0];
        if (result.Outcome != CommandOutcome.Exited)
        {
            throw new KvmException("HostProbeFailed", System.Management.Automation.ErrorCategory.OperationTimeout,
                $"Probing {session.ComputerName} failed: {result.Describe()}",
                "Check that the host is responsive (a hung libvirtd or NFS mount can stall it), then retry with -Refresh.");
        }

        return HostFactsParser.Parse(session.ComputerName, result.StdoutText);
    }
}
