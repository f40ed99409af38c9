using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using KvmPS.Sessions;

namespace KvmPS.Commands;

/// <summary>
/// A cmdlet that works on hosts named three ways: -ComputerName (opens or reuses a pooled
/// session), -Session, or from the pipeline (sessions by value, any KvmPS object by its
/// ComputerName). With none of them it works on the local machine.
/// </summary>
public abstract class KvmHostCmdlet : KvmCmdlet
{
    private readonly List<object> _targets = new();

    /// <summary>Hosts by name: host, user@host or host:port. localhost means this machine, without SSH.</summary>
    [Parameter(ParameterSetName = "ComputerName", Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("CN", "HostName")]
    [ValidateNotNullOrEmpty]
    public string[]? ComputerName { get; set; }

    /// <summary>Hosts by session, from Connect-KvmHost or Get-KvmSession.</summary>
    [Parameter(ParameterSetName = "Session", Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    public KvmSession[]? Session { get; set; }

    /// <summary>How many hosts are worked on at once.</summary>
    [Parameter]
    [ValidateRange(1, 256)]
    public int ThrottleLimit { get; set; } = 32;

    protected override void ProcessRecord()
    {
        if (Session is not null)
        {
            _targets.AddRange(Session);
        }
        else if (ComputerName is not null)
        {
            _targets.AddRange(ComputerName);
        }
    }

    /// <summary>The distinct hosts named by all pipeline input; the local machine when none was named.</summary>
    internal IReadOnlyList<object> Targets()
    {
        if (_targets.Count == 0)
        {
            return new object[] { "localhost" };
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var distinct = new List<object>();
        foreach (object target in _targets)
        {
            string key = target is KvmSession s ? "#" + s.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) : (string)target;
            if (seen.Add(key))
            {
                distinct.Add(target);
            }
        }

        return distinct;
    }

    /// <summary>The session for a target: the given one, or the pooled/new one for a name.</summary>
    internal KvmSession Resolve(object target, WorkContext context)
    {
        if (target is KvmSession session)
        {
            if (session.Connection is null || session.State == KvmSessionState.Closed)
            {
                throw new KvmException("SessionClosed", ErrorCategory.ResourceUnavailable,
                    $"The session {session} is closed or was not opened by Connect-KvmHost.",
                    "Open a new session with Connect-KvmHost, or name the host with -ComputerName.");
            }

            return session;
        }

        return SessionFactory.GetOrOpen((string)target, context.Cancel, context.VerboseFor((string)target));
    }

    internal static string Describe(object target) => target is KvmSession s ? s.ComputerName : (string)target;

    /// <summary>Runs <paramref name="work"/> once per target host, hosts in parallel.</summary>
    internal void ForEachHost(string activity, Action<KvmSession, WorkContext> work)
    {
        RunParallel(Targets(), ThrottleLimit, activity, Describe, (target, context) =>
        {
            KvmSession session = Resolve(target, context);
            work(session, context);
        });
    }
}
