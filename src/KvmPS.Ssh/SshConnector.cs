using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using KvmPS.Transport;
using Renci.SshNet;
using Renci.SshNet.Common;
using Renci.SshNet.Security;

namespace KvmPS.Ssh;

/// <summary>Opens SSH.NET connections for KvmPS; created by <see cref="IsolatedDependencies"/> through reflection.</summary>
internal sealed class SshConnector : ISshConnector
{
    public ISshConnection Connect(SshConnectOptions options, CancellationToken cancel)
    {
        var tried = new List<string>();
        var methods = new List<AuthenticationMethod>();
        var keySources = new List<IPrivateKeySource>();
        AgentIdentities? agent = null;
        if (options.AgentSocket is not null)
        {
            agent = AgentIdentities.TryLoad(options.AgentSocket, tried);
            if (agent is not null)
            {
                keySources.AddRange(agent.Sources);
            }
        }

        foreach (SshKeyFile key in options.KeyFiles)
        {
            IPrivateKeySource? source = LoadKeyFile(key, tried);
            if (source is not null)
            {
                keySources.Add(source);
            }
        }

        if (keySources.Count > 0)
        {
            methods.Add(new PrivateKeyAuthenticationMethod(options.UserName, keySources.ToArray()));
        }

        if (options.Password is not null)
        {
            methods.Add(new PasswordAuthenticationMethod(options.UserName, options.Password));
            var interactive = new KeyboardInteractiveAuthenticationMethod(options.UserName);
            byte[] password = options.Password;
            interactive.AuthenticationPrompt += (_, e) =>
            {
                foreach (AuthenticationPrompt prompt in e.Prompts)
                {
                    prompt.Response = Encoding.UTF8.GetString(password);
                }
            };
            methods.Add(interactive);
            tried.Add("password");
        }

        if (methods.Count == 0)
        {
            agent?.Dispose();
            throw new HostAuthenticationException(
                $"No way to authenticate as {options.UserName}@{options.Host}: no usable key file ({string.Join("; ", tried.DefaultIfEmpty("none found"))}), no ssh-agent and no password. "
                + "Pass -KeyFilePath or -Credential, or create a key with ssh-keygen and copy it with ssh-copy-id.");
        }

        var info = new ConnectionInfo(options.Host, options.Port, options.UserName, methods.ToArray())
        {
            Timeout = options.ConnectTimeout,
            MaxSessions = options.MaxChannels,
            ChannelCloseTimeout = TimeSpan.FromSeconds(2),
        };

        HostKeyOrder.Apply(info, options.PreferredHostKeyTypes, options.PreferHostCertificates);
        var client = new SshClient(info) { KeepAliveInterval = options.KeepAliveInterval };
        bool? trusted = null;
        client.HostKeyReceived += (_, e) =>
        {
            byte[] presented = e.Certificate is null ? e.HostKey : HostKeyOrder.CertificateBlob(e.Certificate, e.HostKey);
            trusted = options.VerifyHostKey(e.HostKeyName, presented);
            e.CanTrust = trusted.Value;
        };

        try
        {
            using (cancel.Register(client.Dispose))
            {
                client.Connect();
            }

            return new SshChannelFactory(client, info, string.Join("; ", tried), agent);
        }
        catch (Exception e) when (trusted == false)
        {
            Dispose(client, agent);
            throw new HostKeyRejectedException($"The host key of {options.Host} was not trusted.", e);
        }
        catch (SshAuthenticationException e)
        {
            Dispose(client, agent);
            throw new HostAuthenticationException(
                $"The host {options.Host} refused authentication as {options.UserName} (tried: {string.Join("; ", tried)}). {e.Message}", e);
        }
        catch (Exception e) when (e is SocketException || e is SshConnectionException || e is SshOperationTimeoutException
            || e is ProxyException || e is IOException || e is ObjectDisposedException || e is InvalidOperationException)
        {
            Dispose(client, agent);
            cancel.ThrowIfCancellationRequested();
            throw new HostConnectException($"Could not connect to {options.Host}:{options.Port}: {e.Message}", e);
        }
    }

    private static IPrivateKeySource? LoadKeyFile(SshKeyFile key, List<string> tried)
    {
        try
        {
            string? passphrase = key.Passphrase is null ? null : Encoding.UTF8.GetString(key.Passphrase);
            var file = passphrase is null ? new PrivateKeyFile(key.Path) : new PrivateKeyFile(key.Path, passphrase);
            tried.Add("key " + key.Path);
            return new ModernKeySource(file);
        }
        catch (SshPassPhraseNullOrEmptyException)
        {
            tried.Add($"key {key.Path} (skipped: it is protected by a passphrase; pass -KeyPassphrase)");
            return null;
        }
        catch (SshException e) when (key.Passphrase is not null && IsWrongPassphrase(e))
        {
            // SSH.NET says so with the numbers it decrypted ("random check bytes ... (1327537351 <->
            // -1734948056)"): noise that does not tell the user the passphrase is what is wrong.
            tried.Add($"key {key.Path} (skipped: -KeyPassphrase does not decrypt it)");
            return null;
        }
        catch (Exception e) when (e is SshException || e is IOException || e is UnauthorizedAccessException || e is ArgumentException)
        {
            tried.Add($"key {key.Path} (unusable: {e.Message})");
            return null;
        }
    }

    // OpenSSH-format keys fail their check numbers, PuTTY keys their MAC, with a wrong passphrase.
    private static bool IsWrongPassphrase(SshException e)
        => e.Message.IndexOf("check bytes", StringComparison.OrdinalIgnoreCase) >= 0
            || e.Message.IndexOf("MAC verification failed", StringComparison.OrdinalIgnoreCase) >= 0;

    private static void Dispose(SshClient client, AgentIdentities? agent)
    {
        client.Dispose();
        agent?.Dispose();
    }

    /// <summary>
    /// SSH.NET offers "ssh-rsa" (SHA-1) first for RSA keys; modern servers refuse it, and against
    /// MaxAuthTries 1 that refusal uses up the only attempt. Offer rsa-sha2-* only.
    /// </summary>
    private sealed class ModernKeySource : IPrivateKeySource
    {
        public ModernKeySource(PrivateKeyFile file)
        {
            HostKeyAlgorithms = file.HostKeyAlgorithms.Where(a => a.Name != "ssh-rsa").ToList();
        }

        public IReadOnlyCollection<HostAlgorithm> HostKeyAlgorithms { get; }
    }
}
