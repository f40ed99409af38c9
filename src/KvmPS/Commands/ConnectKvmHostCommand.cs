using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Security;
using KvmPS.Sessions;
using KvmPS.Completion;

namespace KvmPS.Commands;

/// <summary>Opens sessions to KVM hosts over SSH (or to this machine with -Local).</summary>
[Cmdlet(VerbsCommunications.Connect, "KvmHost", DefaultParameterSetName = "Ssh")]
[OutputType(typeof(KvmSession))]
public sealed class ConnectKvmHostCommand : KvmCmdlet
{
    private readonly List<string> _names = new();

    /// <summary>Hosts to connect to: host, user@host, host:port or [IPv6]:port.</summary>
    [Parameter(ParameterSetName = "Ssh", Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("CN", "HostName")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(HostNameCompleter))]
    public string[] ComputerName { get; set; } = null!;

    /// <summary>A session to this machine through a local shell: no SSH.</summary>
    [Parameter(ParameterSetName = "Local", Mandatory = true)]
    public SwitchParameter Local { get; set; }

    /// <summary>
    /// Short names for the sessions, one per computer name (like New-PSSession -Name): later commands
    /// find the session by -ComputerName &lt;Name&gt;, e.g. kvm1 for root@192.0.2.11:2222.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ValidatePattern(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]
    public string[]? Name { get; set; }

    /// <summary>The SSH port; default 22 (or the port in the name).</summary>
    [Parameter(ParameterSetName = "Ssh")]
    [ValidateRange(1, 65535)]
    public int Port { get; set; }

    /// <summary>The user to log in as; default: the user in the name, the credential's user, or the current user.</summary>
    [Parameter(ParameterSetName = "Ssh")]
    [ValidateNotNullOrEmpty]
    public string? UserName { get; set; }

    /// <summary>Password authentication (its user name is used unless -UserName is given).</summary>
    [Parameter(ParameterSetName = "Ssh")]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>Private key files; default: ~/.ssh/id_ed25519, id_ecdsa and id_rsa where they exist.</summary>
    [Parameter(ParameterSetName = "Ssh")]
    [ValidateNotNullOrEmpty]
    public string[]? KeyFilePath { get; set; }

    /// <summary>The passphrase of the key files.</summary>
    [Parameter(ParameterSetName = "Ssh")]
    public SecureString? KeyPassphrase { get; set; }

    /// <summary>A known_hosts file to use instead of ~/.ssh/known_hosts (new keys are recorded there).</summary>
    [Parameter(ParameterSetName = "Ssh")]
    [ValidateNotNullOrEmpty]
    public string? KnownHostsPath { get; set; }

    /// <summary>Trust and record the key of a host not seen before. A changed or revoked key is always refused.</summary>
    [Parameter(ParameterSetName = "Ssh")]
    public SwitchParameter AcceptNewHostKey { get; set; }

    /// <summary>The password sudo asks for, when the user is not root and sudo needs one.</summary>
    [Parameter]
    [Credential]
    public PSCredential? SudoCredential { get; set; }

    /// <summary>Seconds to wait for the connection and the session shell.</summary>
    [Parameter]
    [ValidateRange(1, 600)]
    public int ConnectTimeout { get; set; } = 15;

    /// <summary>How many hosts are connected at once.</summary>
    [Parameter(ParameterSetName = "Ssh")]
    [ValidateRange(1, 256)]
    public int ThrottleLimit { get; set; } = 32;

    protected override void ProcessRecord()
    {
        if (!Local.IsPresent)
        {
            _names.AddRange(ComputerName);
        }
    }

    protected override void EndProcessing()
    {
        if (Local.IsPresent)
        {
            _names.Add("localhost");
        }

        if (Name is not null)
        {
            CheckNames(Name);
        }

        if (UserName is not null)
        {
            // The same rule as user@host: -UserName reaches sshd, sudo and the session's prompts as it is.
            try
            {
                HostTarget.ValidateUser(UserName, UserName);
            }
            catch (System.ArgumentException e)
            {
                ThrowTerminatingError(new KvmException("InvalidUserName", ErrorCategory.InvalidArgument, $"-UserName: {e.Message}",
                    "Give the account's login name on the host: letters, digits, '.', '_', '-', '$' or '@', not starting with '-'.", e).ToErrorRecord(UserName));
            }
        }

        // Connected in parallel, returned in the order named, so that $s[0] is the first host.
        var opened = new KvmSession?[_names.Count];
        var indexed = _names.Select((name, index) => (name, index)).ToList();
        RunParallel(indexed, ThrottleLimit, "Connecting to KVM hosts", item => item.name, (item, context) =>
        {
            string name = item.name;
            HostTarget target = HostTarget.Parse(name);
            var request = new ConnectRequest(target)
            {
                Port = Port == 0 ? null : Port,
                UserName = UserName,
                Credential = Credential,
                KeyFilePaths = KeyFilePath is null ? null : ResolvePaths(KeyFilePath),
                KeyPassphrase = KeyPassphrase,
                KnownHostsPath = KnownHostsPath is null ? null : GetUnresolvedProviderPathFromPSPath(KnownHostsPath),
                AcceptNewHostKey = AcceptNewHostKey.IsPresent,
                SudoCredential = SudoCredential,
                ConnectTimeout = System.TimeSpan.FromSeconds(ConnectTimeout),
            };

            KvmSession session = SessionFactory.Open(request, context.Cancel, context.VerboseFor(name));
            session.Name = Name?[item.index] ?? "";
            SessionPool.Add(session);
            opened[item.index] = session;
        }, item => item.name);

        foreach (KvmSession? session in opened)
        {
            if (session is not null)
            {
                WriteObject(session);
            }
        }
    }

    /// <summary>
    /// A name must point at one host only: never this machine's names (every call that names no host would
    /// go there), never a name another host of this call or an open session to another host answers to
    /// (a new session to the same host may take the name again: the newest one is used).
    /// </summary>
    private void CheckNames(string[] names)
    {
        if (names.Length != _names.Count)
        {
            ThrowTerminatingError(new KvmException("NameCountMismatch", ErrorCategory.InvalidArgument,
                $"-Name gives {names.Length} name(s) for {_names.Count} host(s).",
                "Give one -Name per computer name, in the same order.").ToErrorRecord(names));
        }

        for (int i = 0; i < names.Length; i++)
        {
            string name = names[i];
            string? clash = HostTarget.Parse(name).IsLocal ? "this machine"
                : names.Where((other, j) => j != i && string.Equals(other, name, StringComparison.OrdinalIgnoreCase)).Select(_ => "another session of this call").FirstOrDefault()
                ?? _names.Where((other, j) => j != i && string.Equals(other, name, StringComparison.OrdinalIgnoreCase)).Select(other => $"the host {other} of this call").FirstOrDefault()
                ?? SessionPool.All.Where(s => s.State != KvmSessionState.Closed
                        && !string.Equals(s.ComputerName, _names[i], StringComparison.OrdinalIgnoreCase)
                        && (string.Equals(s.ComputerName, name, StringComparison.OrdinalIgnoreCase) || string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase)))
                    .Select(s => $"the open session {s.Id} ({s})").FirstOrDefault();
            if (clash is not null)
            {
                ThrowTerminatingError(new KvmException("SessionNameInUse", ErrorCategory.InvalidArgument,
                    $"The session name '{name}' already means {clash}: commands for '{name}' could reach the wrong host.",
                    $"Choose another -Name, or close the session that has it (Disconnect-KvmHost -ComputerName {name}).").ToErrorRecord(name));
            }
        }
    }

    private string[] ResolvePaths(string[] paths)
    {
        var resolved = new string[paths.Length];
        for (int i = 0; i < paths.Length; i++)
        {
            resolved[i] = GetUnresolvedProviderPathFromPSPath(paths[i]);
        }

        return resolved;
    }
}
