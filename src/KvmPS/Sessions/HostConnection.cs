using System;
using System.Threading;
using KvmPS.Facts;
using KvmPS.Transport;

namespace KvmPS.Sessions;

/// <summary>What stays behind a <see cref="KvmSession"/>: its shells and its cached host facts.</summary>
internal sealed class HostConnection : IDisposable
{
    private readonly object _factsGate = new();
    private HostFacts? _facts;
    private bool _closed;

    public HostConnection(HostShell shell)
    {
        Shell = shell;
    }

    public HostShell Shell { get; }

    public KvmSessionState State =>
        _closed ? KvmSessionState.Closed : Shell.IsConnected ? KvmSessionState.Opened : KvmSessionState.Broken;

    /// <summary>The host facts, probed once per session (one round trip) unless refreshed.</summary>
    public HostFacts GetFacts(KvmSession session, bool refresh, CancellationToken cancel, Action<string>? log)
    {
        lock (_factsGate)
        {
            if (_facts is null || refresh)
            {
                _facts = KvmPS.Facts.HostProbe.Run(session, cancel, log);
            }

            return _facts;
        }
    }

    public void Dispose()
    {
        _closed = true;
        Shell.Dispose();
    }
}
