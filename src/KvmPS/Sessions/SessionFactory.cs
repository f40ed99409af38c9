using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using KvmPS.Security;
using KvmPS.Transport;

namespace KvmPS.Sessions;

/// <summary>Opens sessions (local or SSH) and finds or opens pooled ones for -ComputerName.</summary>
internal static class SessionFactory
{
    private const int WorkChannels = 4;
    private static readonly ConcurrentDictionary<string, object> OpeningLocks = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The pooled open session for the name, or a new one with ssh's defaults.</summary>
    public static KvmSession GetOrOpen(string computerName, CancellationToken cancel, Action<string>? log)
    {
        HostTarget target = HostTarget.Parse(computerName);
        string key = target.IsLocal ? "localhost" : target.Text;
        lock (OpeningLocks.GetOrAdd(key, _ => new object()))
        {
            KvmSession? pooled = SessionPool.Find(key);
            if (pooled is not null)
            {
                return pooled;
            }

            KvmSession session = Open(new ConnectRequest(target.IsLocal ? HostTarget.Local() : target), cancel, log);
            SessionPool.Add(session);
            return session;
        }
    }

    public static KvmSession Open(ConnectRequest request, CancellationToken cancel, Action<string>? log)
    {
        return request.Target.IsLocal ? OpenLocal(request, cancel, log) : OpenSsh(request, cancel, log);
    }

    private static KvmSession OpenLocal(ConnectRequest request, CancellationToken cancel, Action<string>? log)
    {
        byte[]? sudoPassword = ConnectRequest.SecretBytes(request.SudoCredential?.Password);
        ShellElevation elevation = sudoPassword is null ? ShellElevation.SudoIfAvailable : ShellElevation.SudoWithPassword;
        var shell = new HostShell(_ => new LocalChannelFactory(), elevation, sudoPassword, WorkChannels, request.ConnectTimeout);
        log?.Invoke("Opening a local session shell (/bin/sh).");
        StartShell(shell, request, cancel);
        var session = new KvmSession(new HostConnection(shell))
        {
            ComputerName = "localhost",
            Port = 0,
            UserName = Environment.UserName,
            Transport = KvmTransport.Local,
            ConnectedAt = DateTime.Now,
        };
        Describe(session, shell);
        return session;
    }

    private static KvmSession OpenSsh(ConnectRequest request, CancellationToken cancel, Action<string>? log)
    {
        string host = request.Target.Host;
        int port = request.EffectivePort;
        string user = request.EffectiveUserName;
        HostKeyCheckResult? verdict = null;
        string? presentedAlgorithm = null;

        var options = new SshConnectOptions
        {
            Host = host,
            Port = port,
            UserName = user,
            Password = ConnectRequest.SecretBytes(request.Credential?.Password),
            AgentSocket = NullIfEmpty(Environment.GetEnvironmentVariable("SSH_AUTH_SOCK")),
            ConnectTimeout = request.ConnectTimeout,
            MaxChannels = WorkChannels + 1,
            VerifyHostKey = (algorithm, blob) =>
            {
                presentedAlgorithm = algorithm;
                verdict = KnownHosts.Check(request.KnownHostsFiles(), new[] { host }, port, new PresentedHostKey(algorithm, blob), DateTimeOffset.UtcNow);
                if (verdict.Status == HostKeyStatus.Unknown && request.AcceptNewHostKey)
                {
                    KnownHosts.Append(request.UserKnownHostsFile, host, port, algorithm, blob);
                    log?.Invoke($"Recorded the new host key of {host} ({verdict.Fingerprint}) in {request.UserKnownHostsFile}.");
                    return true;
                }

                return verdict.Status == HostKeyStatus.Trusted || verdict.Status == HostKeyStatus.TrustedByCertificateAuthority;
            },
        };

        byte[]? passphrase = ConnectRequest.SecretBytes(request.KeyPassphrase);
        var keys = new List<SshKeyFile>();
        foreach (string path in request.EffectiveKeyFiles())
        {
            keys.Add(new SshKeyFile(path, passphrase));
        }

        options.KeyFiles = keys;
        RecordedHostKeyTypes recorded = KnownHosts.RecordedKeyTypes(request.KnownHostsFiles(), host, port);
        options.PreferredHostKeyTypes = recorded.KeyTypes;
        options.PreferHostCertificates = recorded.HasCertificateAuthority;
        byte[]? sudoPassword = ConnectRequest.SecretBytes(request.SudoCredential?.Password);
        ShellElevation elevation = sudoPassword is null ? ShellElevation.SudoIfAvailable : ShellElevation.SudoWithPassword;
        ISshConnection? first = null;
        IChannelFactory Connect(CancellationToken token)
        {
            // The first connection is made below; reconnects after a lost connection come here.
            ISshConnection connection = Interlocked.Exchange(ref first, null) ?? IsolatedDependencies.SshConnector.Connect(options, token);
            return connection;
        }

        log?.Invoke($"Connecting to {user}@{host}:{port} (known hosts: {string.Join(", ", request.KnownHostsFiles())}).");
        try
        {
            first = IsolatedDependencies.SshConnector.Connect(options, cancel);
        }
        catch (HostKeyRejectedException e)
        {
            throw HostKeyError(host, port, presentedAlgorithm ?? "", verdict, request, e);
        }
        catch (HostAuthenticationException e)
        {
            throw new KvmException("AuthenticationFailed", ErrorCategory.AuthenticationError, e.Message,
                $"Check that the key's public half is in ~{user}/.ssh/authorized_keys on {host} (ssh-copy-id -i <key>.pub {user}@{host}), or pass -Credential, -KeyFilePath or -UserName.", e);
        }
        catch (HostConnectException e)
        {
            throw new KvmException("ConnectionFailed", ErrorCategory.ConnectionError, e.Message,
                $"Check that {host} is up, resolves, and that sshd listens on port {port} (test with: ssh -p {port} {user}@{host}).", e);
        }

        string serverVersion = first.ServerVersion;
        string auth = first.OfferedAuthentication;
        var shell = new HostShell(Connect, elevation, sudoPassword, WorkChannels, request.ConnectTimeout);
        StartShell(shell, request, cancel);
        var session = new KvmSession(new HostConnection(shell))
        {
            ComputerName = request.Target.Text,
            Port = port,
            UserName = user,
            Transport = KvmTransport.Ssh,
            HostKeyFingerprint = verdict?.Fingerprint ?? "",
            HostKeyAlgorithm = presentedAlgorithm ?? "",
            ServerVersion = serverVersion,
            ConnectedAt = DateTime.Now,
        };
        log?.Invoke(DescribeTrust(host, port, presentedAlgorithm, verdict));
        log?.Invoke($"Connected to {host}:{port} ({serverVersion}) as {user}; offered {auth}.");
        Describe(session, shell);
        return session;
    }

    // As ssh -v says it: which known_hosts line made the host trusted (a key, or a certificate authority).
    private static string DescribeTrust(string host, int port, string? algorithm, HostKeyCheckResult? verdict)
    {
        if (verdict is null || !verdict.IsTrusted)
        {
            return $"The host key of {host}:{port} ({algorithm}) was new: accepted with -AcceptNewHostKey.";
        }

        string where = verdict.MatchedFile is null ? "" : $" ({verdict.MatchedFile}:{verdict.MatchedLine})";
        return verdict.Status == HostKeyStatus.TrustedByCertificateAuthority
            ? $"The host certificate of {host}:{port} ({algorithm}, key {verdict.Fingerprint}) is signed by a trusted certificate authority {verdict.CertificateAuthorityFingerprint}{where}."
            : $"The host key of {host}:{port} ({algorithm}, {verdict.Fingerprint}) is known and matches{where}.";
    }

    private static void StartShell(HostShell shell, ConnectRequest request, CancellationToken cancel)
    {
        try
        {
            shell.Open(cancel);
        }
        catch (UnauthorizedAccessException e)
        {
            shell.Dispose();
            throw new KvmException("SudoFailed", ErrorCategory.PermissionDenied,
                $"Connected to {request.Target.Host}, but could not become root: {e.Message}",
                "Check the -SudoCredential password, and that the user may run sudo on the host (sudo -l).", e);
        }
        catch (Exception e) when (e is HostUnreachableException || e is TimeoutException)
        {
            shell.Dispose();
            throw new KvmException("SessionShellFailed", ErrorCategory.ConnectionError,
                $"Connected to {request.Target.Host}, but the session shell did not start: {e.Message}",
                "Check that /bin/sh works for the user on the host and that its login scripts print nothing to stdout.", e);
        }
        catch
        {
            shell.Dispose();
            throw;
        }
    }

    // Root: the login user is root. Sudo: the shells run through sudo. None: unprivileged.
    private static void Describe(KvmSession session, HostShell shell)
    {
        session.IsElevated = shell.UserId == 0;
        session.Elevation = !session.IsElevated ? "None" : session.UserName == "root" ? "Root" : "Sudo";
    }

    private static KvmException HostKeyError(string host, int port, string algorithm, HostKeyCheckResult? verdict, ConnectRequest request, Exception inner)
    {
        string fingerprint = verdict?.Fingerprint ?? "(unknown)";
        string hostForFiles = KnownHosts.FormatHost(host, port);
        switch (verdict?.Status)
        {
            case HostKeyStatus.Changed:
                return new KvmException("HostKeyChanged", ErrorCategory.SecurityError,
                    $"The host key of {hostForFiles} has CHANGED: it now presents {algorithm} {fingerprint}, but {verdict.MatchedFile}:{verdict.MatchedLine} holds a different key. "
                    + "Someone could be intercepting the connection (man in the middle), or the host was reinstalled. The connection was refused.",
                    $"Confirm the new fingerprint on the host's console (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub). If the change is expected, remove the old key with: ssh-keygen -R '{hostForFiles}' -f '{verdict.MatchedFile}', then connect with -AcceptNewHostKey.",
                    inner);
            case HostKeyStatus.Revoked:
                return new KvmException("HostKeyRevoked", ErrorCategory.SecurityError,
                    $"The host key of {hostForFiles} ({algorithm} {fingerprint}) is marked @revoked in {verdict.MatchedFile}:{verdict.MatchedLine}. The connection was refused.",
                    "A revoked key must not be trusted. Ask the host's owner for its new key; do not remove the @revoked line.", inner);
            case HostKeyStatus.CertificateInvalid:
                return new KvmException("HostCertificateInvalid", ErrorCategory.SecurityError,
                    $"The host certificate of {hostForFiles} was refused: {verdict.Detail}",
                    "Check the certificate on the host (ssh-keygen -Lf /etc/ssh/ssh_host_*_key-cert.pub): its principals must include the name you connect to and it must be valid now.", inner);
            case HostKeyStatus.Unknown:
                return new KvmException("HostKeyUnknown", ErrorCategory.SecurityError,
                    $"The host key of {hostForFiles} is not known: it presents {algorithm} {fingerprint}. The connection was refused. {verdict.Detail}".TrimEnd(),
                    $"Compare the fingerprint with the one on the host (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub). If it matches, connect once with -AcceptNewHostKey to record it in {request.UserKnownHostsFile}.",
                    inner);
            default:
                return new KvmException("HostKeyRejected", ErrorCategory.SecurityError,
                    $"The host key of {hostForFiles} was not trusted: {inner.Message}", "Check the known_hosts files.", inner);
        }
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
