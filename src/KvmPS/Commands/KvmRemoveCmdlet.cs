using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using KvmPS.Completion;

namespace KvmPS.Commands;

/// <summary>
/// Base of the Remove- cmdlets of things named on a host (bridges, networks): -Name on the hosts
/// of -ComputerName or -Session, or the objects themselves from the pipeline, each on its own
/// host; and -Force for things in use.
/// </summary>
/// <typeparam name="T">What Get- returns for them (KvmBridge, KvmNetwork).</typeparam>
public abstract class KvmRemoveCmdlet<T> : KvmChangeCmdlet
    where T : class
{
    private readonly List<(object Target, string Name)> _items = new();

    /// <summary>The names; no wildcards: removing is not a thing to do by pattern.</summary>
    [Parameter(ParameterSetName = "Name", Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(RemovableNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Objects from the Get- cmdlet.</summary>
    [Parameter(ParameterSetName = "InputObject", Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    public T[]? InputObject { get; set; }

    /// <summary>Remove it even though guests use it.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>An object's host (its session or computer name) and name.</summary>
    private protected abstract (KvmSession? Session, string ComputerName, string Name) Identify(T item);

    protected override void ProcessRecord()
    {
        if (InputObject is null)
        {
            base.ProcessRecord();
            return;
        }

        foreach (T item in InputObject)
        {
            (KvmSession? session, string computerName, string name) = Identify(item);
            _items.Add((HostTargets.Of(session, computerName), name));
        }
    }

    /// <summary>Every (host, name) asked for: the piped objects, or each -Name on each host.</summary>
    internal List<(object Target, string Name)> Items()
        => InputObject is null ? Targets.Distinct(MyInvocation.ExpectingInput).SelectMany(t => Name.Select(n => (t, n))).ToList() : _items;
}
