using System;
using System.IO;

namespace KvmPS.Transport;

/// <summary>One running session shell: its stdin, stdout and stderr as streams.</summary>
internal interface IShellChannel : IDisposable
{
    Stream Input { get; }

    Stream Output { get; }

    Stream Error { get; }
}

/// <summary>
/// A connection to one host that can start session shells: a local child process, or an exec
/// channel on an SSH connection (implemented in KvmPS.Ssh).
/// </summary>
internal interface IChannelFactory : IDisposable
{
    /// <summary>False once the underlying connection is known to be gone.</summary>
    bool IsConnected { get; }

    /// <summary>Starts <paramref name="command"/> (shell text) with its standard streams attached.</summary>
    IShellChannel Open(string command);
}
