using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using KvmPS.Sessions;
using KvmPS.Transport;

namespace KvmPS.Migration;

/// <summary>
/// -TrustMode Ephemeral: for one source and destination, a one-time key made on the source (in a
/// root-only directory under /run), authorized on the destination for root, restricted to the
/// source's address with no pty or forwarding, and libvirt's ssh run through a wrapper that trusts
/// only the destination's host keys as KvmPS read them over its own verified session. Both are
/// removed afterwards, also after a failure or Ctrl+C.
/// </summary>
internal sealed class EphemeralTrust
{
    private static readonly RunOptions Options = new() { Timeout = TimeSpan.FromSeconds(60), StopOnError = true };

    // $1 dir, $2 token, $3 destination as known_hosts names it, $4 destination address; host keys on stdin.
    private const string MakeKey =
        "set -e; umask 077; dir=$1 token=$2 name=$3 dest=$4\n"
        + "mkdir -m 700 -- \"$dir\"\n"
        + "while read -r type key rest; do [ -n \"$key\" ] && printf '%s %s %s\\n' \"$name\" \"$type\" \"$key\"; done >\"$dir/known_hosts\"\n"
        + "[ -s \"$dir/known_hosts\" ] || { echo 'no host keys of the destination' >&2; exit 3; }\n"
        + "ssh-keygen -q -t ed25519 -N '' -C \"kvmps-migrate-$token\" -f \"$dir/id\"\n"
        + "printf '#!/bin/sh\\nexec ssh -o UserKnownHostsFile=%s/known_hosts -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -o BatchMode=yes \"$@\"\\n' \"$dir\" >\"$dir/ssh\"\n"
        + "chmod 700 \"$dir/ssh\"\n"
        + "addr=$(getent ahosts \"$dest\" 2>/dev/null | awk 'NR == 1 { print $1 }'); addr=${addr:-$dest}\n"
        + "src=$(ip -o route get \"$addr\" 2>/dev/null | sed -n 's/.* src \\([^ ]*\\).*/\\1/p')\n"
        + "[ -n \"$src\" ] || { echo \"no route to $dest\" >&2; exit 4; }\n"
        + "echo \"from $src\"\n"
        + "cat \"$dir/id.pub\"\n";

    // $1 the authorized_keys line. Under a lock (moves from several sources at once), and never glued
    // to a last line without its newline.
    private const string Authorize =
        "set -e; home=$(getent passwd root | cut -d: -f6); home=${home:-/root}; f=$home/.ssh/authorized_keys\n"
        + "mkdir -p -m 700 \"$home/.ssh\"\n"
        + "exec 9>>\"$home/.ssh/.kvmps-migrate.lock\"; flock -w 20 9\n"
        + "touch \"$f\"; chmod 600 \"$f\"\n"
        + "[ -z \"$(tail -c 1 \"$f\")\" ] || echo >>\"$f\"\n"
        + "printf '%s\\n' \"$1\" >>\"$f\"\n";

    // $1 token. Only lines ending in this move's key comment; in place (cat >), so the file keeps its
    // owner, mode and SELinux label; never written from a failed read.
    private const string Revoke =
        "home=$(getent passwd root | cut -d: -f6); f=${home:-/root}/.ssh/authorized_keys\n"
        + "[ -f \"$f\" ] || exit 0\n"
        + "exec 9>>\"${home:-/root}/.ssh/.kvmps-migrate.lock\"; flock -w 20 9\n"
        + "grep -q -e \" kvmps-migrate-$1\\$\" \"$f\" || exit 0\n"
        + "t=$(mktemp) || exit 1\n"
        + "grep -v -e \" kvmps-migrate-$1\\$\" \"$f\" >\"$t\"; rc=$?\n"
        + "[ $rc -le 1 ] || { rm -f \"$t\"; exit 1; }\n"
        + "cat \"$t\" >\"$f\"; rc=$?; rm -f \"$t\"; exit $rc\n";

    public EphemeralTrust(string token)
    {
        Token = token;
    }

    public string Token { get; }

    /// <summary>The source's directory for the key, known_hosts and ssh wrapper.</summary>
    public string Directory => "/run/kvmps-migrate-" + Token;

    public string KeyFile => Directory + "/id";

    public string SshCommand => Directory + "/ssh";

    public static EphemeralTrust New() => new(Guid.NewGuid().ToString("N").Substring(0, 16));

    /// <summary>Makes the key on the source and authorizes it on the destination; undoes what it made when a step fails.</summary>
    public void Establish(KvmSession source, MigrationEndpoint destination, Action<string> sourceLog, Action<string> destinationLog, CancellationToken cancel)
    {
        KvmSession dest = destination.Session;
        CommandResult keys = dest.Connection!.Shell.Run(RemoteCommand.Of("sh", "-c", "cat /etc/ssh/ssh_host_*_key.pub"), Options, cancel, destinationLog)[0];
        if (!keys.Succeeded)
        {
            throw Failed($"could not read the host keys of {dest.ComputerName}: {keys.Describe()}");
        }

        string name = destination.Port == 22 ? destination.Address : $"[{destination.Address}]:{destination.Port.ToString(CultureInfo.InvariantCulture)}";
        try
        {
            var make = new RemoteCommand(new[] { "sh", "-c", MakeKey, "kvmps-trust", Directory, Token, name, destination.Address }, keys.Stdout, stdinName: "the destination's host keys");
            CommandResult made = source.Connection!.Shell.Run(make, Options, cancel, sourceLog)[0];
            string[] lines = made.StdoutText.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
            string from = lines.FirstOrDefault(l => l.StartsWith("from ", StringComparison.Ordinal))?.Substring(5) ?? "";
            string key = lines.FirstOrDefault(l => l.StartsWith("ssh-ed25519 ", StringComparison.Ordinal)) ?? "";
            if (!made.Succeeded || from.Length == 0 || key.Length == 0)
            {
                throw Failed($"could not make the one-time key on {source.ComputerName}: {made.Describe()}");
            }

            string line = $"from=\"{from}\",no-pty,no-port-forwarding,no-agent-forwarding,no-X11-forwarding,no-user-rc {key}";
            CommandResult authorized = dest.Connection!.Shell.Run(RemoteCommand.Of("sh", "-c", Authorize, "kvmps-trust", line), Options, cancel, destinationLog)[0];
            if (!authorized.Succeeded)
            {
                throw Failed($"could not authorize the one-time key on {dest.ComputerName}: {authorized.Describe()}");
            }
        }
        catch
        {
            Remove(source, destination, sourceLog, destinationLog);
            throw;
        }
    }

    /// <summary>Removes the key from both hosts; never throws (it runs in finally blocks), says what it could not remove.</summary>
    public List<string> Remove(KvmSession source, MigrationEndpoint destination, Action<string> sourceLog, Action<string> destinationLog)
    {
        var left = new List<string>();
        var steps = new (KvmSession Session, RemoteCommand Command, Action<string> Log, string What)[]
        {
            (destination.Session, RemoteCommand.Of("sh", "-c", Revoke, "kvmps-untrust", Token), destinationLog, $"the line 'kvmps-migrate-{Token}' in root's authorized_keys on {destination.Session.ComputerName}"),
            (source, RemoteCommand.Of("rm", "-rf", "--", Directory), sourceLog, $"{Directory} on {source.ComputerName}"),
        };
        foreach (var step in steps)
        {
            try
            {
                if (!step.Session.Connection!.Shell.Run(step.Command, Options, CancellationToken.None, step.Log)[0].Succeeded)
                {
                    left.Add(step.What);
                }
            }
            catch (Exception e) when (e is TimeoutException or HostUnreachableException or HostConnectException or KvmException)
            {
                left.Add(step.What);
            }
        }

        return left;
    }

    private static KvmException Failed(string why) => new("EphemeralTrustFailed", ErrorCategory.SecurityError,
        $"-TrustMode Ephemeral: {why}. Nothing was moved.", "Check that ssh-keygen exists on the source and that root's ~/.ssh on the destination is writable; or set up root's keys yourself and use -TrustMode Existing.");
}
