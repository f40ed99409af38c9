using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using KvmPS.Sessions;
using KvmPS.Completion;

namespace KvmPS.Commands;

/// <summary>
/// A cmdlet that works on hosts named three ways: -ComputerName (opens or reuses a pooled
/// session), -Session, or from the pipeline (sessions by value, any KvmPS object by its
/// ComputerName). With none of them it works on the local machine.
/// </summary>
public abstract class KvmHostCmdlet : KvmCmdlet
{
    private readonly HostTargets _targets = new();

    /// <summary>Hosts by name: host, user@host or host:port. localhost means this machine, without SSH.</summary>
    [Parameter(ParameterSetName = "ComputerName", Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("CN", "HostName")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(HostNameCompleter))]
    public string[]? ComputerName { get; set; }

    /// <summary>Hosts by session, from Connect-KvmHost or Get-KvmSession.</summary>
    [Parameter(ParameterSetName = "Session", Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    public KvmSession[]? Session { get; set; }

    /// <summary>How many hosts are worked on at once.</summary>
    [Parameter]
    [ValidateRange(1, 256)]
    public int ThrottleLimit { get; set; } = 32;

    protected override void ProcessRecord() => _targets.Add(Session, ComputerName);

    /// <summary>Runs <paramref name="work"/> once per target host, hosts in parallel.</summary>
    internal void ForEachHost(string activity, Action<KvmSession, WorkContext> work)
    {
        RunParallel(_targets.Distinct(), ThrottleLimit, activity, HostTargets.Describe, (target, context) => work(HostTargets.Resolve(target, context), context));
    }
}
