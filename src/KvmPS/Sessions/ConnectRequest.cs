using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Security;
using System.Text;

namespace KvmPS.Sessions;

/// <summary>How to open one session: Connect-KvmHost's parameters, or the defaults of plain ssh.</summary>
internal sealed class ConnectRequest
{
    public ConnectRequest(HostTarget target)
    {
        Target = target;
    }

    public HostTarget Target { get; }

    public int? Port { get; set; }

    public string? UserName { get; set; }

    public PSCredential? Credential { get; set; }

    public IReadOnlyList<string>? KeyFilePaths { get; set; }

    public SecureString? KeyPassphrase { get; set; }

    public string? KnownHostsPath { get; set; }

    public bool AcceptNewHostKey { get; set; }

    public PSCredential? SudoCredential { get; set; }

    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);

    public int EffectivePort => Port ?? Target.Port ?? 22;

    /// <summary>-UserName, then user@host, then -Credential's user, then the local user, as ssh does.</summary>
    public string EffectiveUserName
    {
        get
        {
            string? name = UserName ?? Target.UserName ?? Credential?.UserName;
            if (string.IsNullOrEmpty(name))
            {
                name = Environment.UserName;
            }

            return name!;
        }
    }

    public static string HomeDirectory
    {
        get
        {
            string? home = Environment.GetEnvironmentVariable("HOME");
            return string.IsNullOrEmpty(home) ? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) : home!;
        }
    }

    /// <summary>-KeyFilePath, or the default identities in ~/.ssh that exist (modern key types first).</summary>
    public IReadOnlyList<string> EffectiveKeyFiles()
    {
        if (KeyFilePaths is not null)
        {
            return KeyFilePaths;
        }

        var found = new List<string>();
        foreach (string name in new[] { "id_ed25519", "id_ecdsa", "id_rsa" })
        {
            string path = Path.Combine(HomeDirectory, ".ssh", name);
            if (File.Exists(path))
            {
                found.Add(path);
            }
        }

        return found;
    }

    /// <summary>The file new keys are recorded in: -KnownHostsPath or ~/.ssh/known_hosts.</summary>
    public string UserKnownHostsFile => KnownHostsPath ?? Path.Combine(HomeDirectory, ".ssh", "known_hosts");

    /// <summary>Files checked for the host key: the user file, then the system-wide one, as ssh does.</summary>
    public IReadOnlyList<string> KnownHostsFiles()
        => KnownHostsPath is null ? DefaultKnownHostsFiles() : new[] { KnownHostsPath, SystemKnownHostsFile };

    /// <summary>ssh's known_hosts files when no -KnownHostsPath is given.</summary>
    public static IReadOnlyList<string> DefaultKnownHostsFiles() => new[]
    {
        Path.Combine(HomeDirectory, ".ssh", "known_hosts"),
        Path.Combine(HomeDirectory, ".ssh", "known_hosts2"),
        SystemKnownHostsFile,
    };

    private static string SystemKnownHostsFile => RuntimeInformation.IsOSPlatform(OSPlatform.Windows)
        ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.CommonApplicationData), "ssh", "ssh_known_hosts")
        : "/etc/ssh/ssh_known_hosts";

    /// <summary>UTF-8 bytes of a secret, without an intermediate managed string; clear them after use.</summary>
    public static byte[]? SecretBytes(SecureString? secret)
    {
        if (secret is null)
        {
            return null;
        }

        IntPtr unmanaged = Marshal.SecureStringToGlobalAllocUnicode(secret);
        var chars = new char[secret.Length];
        try
        {
            Marshal.Copy(unmanaged, chars, 0, chars.Length);
            return Encoding.UTF8.GetBytes(chars);
        }
        finally
        {
            Array.Clear(chars, 0, chars.Length);
            Marshal.ZeroFreeGlobalAllocUnicode(unmanaged);
        }
    }
}
