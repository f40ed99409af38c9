using System;
using System.Collections.Generic;
using System.Threading;

namespace KvmPS.Transport;

/// <summary>A private key file and its passphrase (UTF-8 bytes, cleared after use).</summary>
internal sealed class SshKeyFile
{
    public SshKeyFile(string path, byte[]? passphrase)
    {
        Path = path;
        Passphrase = passphrase;
    }

    public string Path { get; }

    public byte[]? Passphrase { get; }
}

/// <summary>Everything KvmPS.Ssh needs to open a connection; only plain .NET types cross over.</summary>
internal sealed class SshConnectOptions
{
    public string Host { get; set; } = "";

    public int Port { get; set; } = 22;

    public string UserName { get; set; } = "";

    public byte[]? Password { get; set; }

    public IReadOnlyList<SshKeyFile> KeyFiles { get; set; } = Array.Empty<SshKeyFile>();

    /// <summary>The ssh-agent socket (SSH_AUTH_SOCK); null to not use an agent.</summary>
    public string? AgentSocket { get; set; }

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Channels this client may open at once; must not exceed sshd's MaxSessions (10).</summary>
    public int MaxChannels { get; set; } = 6;

    /// <summary>
    /// Host key types already recorded for the host (known_hosts), offered first as ssh does: a key
    /// of any other type would look like a changed key.
    /// </summary>
    public IReadOnlyList<string> PreferredHostKeyTypes { get; set; } = Array.Empty<string>();

    /// <summary>An @cert-authority line applies to the host: offer certificate algorithms first.</summary>
    public bool PreferHostCertificates { get; set; }

    /// <summary>
    /// Decides whether to trust the host key: (algorithm name, key blob, or certificate blob for a
    /// certificate algorithm) -> trust.
    /// Called during key exchange, before authentication.
    /// </summary>
    public Func<string, byte[], bool> VerifyHostKey { get; set; } = (_, _) => false;
}

/// <summary>An open SSH connection that starts session shells on exec channels.</summary>
internal interface ISshConnection : IChannelFactory
{
    string ServerVersion { get; }

    /// <summary>
    /// The authentication offered, e.g. "key /root/.ssh/id_ed25519; password" (SSH.NET does not
    /// say which one the server accepted).
    /// </summary>
    string OfferedAuthentication { get; }
}

/// <summary>Implemented in KvmPS.Ssh, loaded in isolation by <see cref="IsolatedDependencies"/>.</summary>
internal interface ISshConnector
{
    ISshConnection Connect(SshConnectOptions options, CancellationToken cancel);
}

/// <summary>Authentication failed: every method offered was refused.</summary>
internal sealed class HostAuthenticationException : Exception
{
    public HostAuthenticationException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>The host key was not trusted (see the verifier's decision for why).</summary>
internal sealed class HostKeyRejectedException : Exception
{
    public HostKeyRejectedException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>TCP or protocol failure before authentication (refused, unreachable, timed out).</summary>
internal sealed class HostConnectException : Exception
{
    public HostConnectException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
