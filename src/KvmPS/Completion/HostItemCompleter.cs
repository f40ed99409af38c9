using System;
using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Threading;
using KvmPS.Sessions;
using KvmPS.Transport;

namespace KvmPS.Completion;

/// <summary>
/// Tab completion for the names of things on the host the command line targets (its -Session, else its
/// first -ComputerName, else this machine): guests, libvirt networks, bridges, or NICs a bridge can take.
/// Uses the pooled session (opening one like -ComputerName would, within 3 seconds) and remembers the
/// answer, or that there was none, briefly, so that repeated tab presses do not ask the host again.
/// </summary>
public abstract class HostItemCompleter : IArgumentCompleter
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Freshness = TimeSpan.FromSeconds(15);
    private static readonly ConcurrentDictionary<string, (DateTime At, string[] Names)> Recent = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The kind completion-names.sh lists: guests, networks, bridges or interfaces.</summary>
    protected abstract string Kind(string commandName);

    /// <summary>The parameter takes wildcards, so a literal *, ?, [ or ] in a name must be escaped.</summary>
    protected virtual bool EscapeWildcards => false;

    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            return CompletionNames.Results(Names(Kind(commandName), fakeBoundParameters), wordToComplete, EscapeWildcards);
        }
        catch (Exception)
        {
            // A host that cannot be reached offers nothing to complete; errors belong to the command itself.
            return Array.Empty<CompletionResult>();
        }
    }

    private static string[] Names(string kind, IDictionary bound)
    {
        KvmSession? given = First(bound, "Session") as KvmSession;
        string computerName = given is null ? First(bound, "ComputerName") as string ?? "localhost" : "";
        string key = (given is null ? computerName : "#" + given.Id) + "/" + kind;
        if (Recent.TryGetValue(key, out var recent) && DateTime.UtcNow - recent.At < Freshness)
        {
            return recent.Names;
        }

        string[] names;
        try
        {
            using var budget = new CancellationTokenSource(Budget);
            KvmSession session = given ?? SessionFactory.GetOrOpen(computerName, budget.Token, null);
            CommandResult? result = session.Connection?.Shell.Run(RemoteCommand.Script("completion-names.sh", kind), new RunOptions { Timeout = Budget }, budget.Token)[0];
            names = result is { Succeeded: true }
                ? result.StdoutText.Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0).ToArray()
                : Array.Empty<string>();
        }
        catch (Exception)
        {
            // Remembered too: every tab press on a host that does not answer must not wait again.
            names = Array.Empty<string>();
        }

        Recent[key] = (DateTime.UtcNow, names);
        return names;
    }

    /// <summary>A bound parameter's first value, unwrapped: fake bound values may be arrays or PSObjects.</summary>
    private static object? First(IDictionary bound, string name)
    {
        if (!bound.Contains(name))
        {
            return null;
        }

        object? value = bound[name];
        if (value is PSObject wrapped)
        {
            value = wrapped.BaseObject;
        }

        if (value is IEnumerable list && value is not string)
        {
            value = list.Cast<object?>().FirstOrDefault();
            value = value is PSObject inner ? inner.BaseObject : value;
        }

        return value;
    }
}

/// <summary>-Name of guest, bridge and network cmdlets (wildcards allowed): the kind follows the command's noun.</summary>
public sealed class HostItemNameCompleter : HostItemCompleter
{
    protected override bool EscapeWildcards => true;

    protected override string Kind(string commandName)
        => RemovableNameCompleter.KindOf(commandName);
}

/// <summary>-Name of Remove-KvmBridge and Remove-KvmNetwork (literal names).</summary>
public sealed class RemovableNameCompleter : HostItemCompleter
{
    internal static string KindOf(string commandName)
        => commandName.EndsWith("KvmBridge", StringComparison.OrdinalIgnoreCase) ? "bridges"
            : commandName.EndsWith("KvmNetwork", StringComparison.OrdinalIgnoreCase) ? "networks"
            : "guests";

    protected override string Kind(string commandName) => KindOf(commandName);
}

/// <summary>Libvirt networks of the target host (New-KvmGuest -Network).</summary>
public sealed class NetworkNameCompleter : HostItemCompleter
{
    protected override string Kind(string commandName) => "networks";
}

/// <summary>Bridges of the target host (New-KvmGuest -Bridge).</summary>
public sealed class BridgeNameCompleter : HostItemCompleter
{
    protected override string Kind(string commandName) => "bridges";
}

/// <summary>NICs of the target host that a bridge can take (New-KvmBridge -InterfaceName).</summary>
public sealed class InterfaceNameCompleter : HostItemCompleter
{
    protected override string Kind(string commandName) => "interfaces";
}
