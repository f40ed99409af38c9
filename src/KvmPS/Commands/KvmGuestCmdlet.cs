using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using KvmPS.Guests;

namespace KvmPS.Commands;

/// <summary>
/// Base of the guest cmdlets: guests named by -Name (wildcards) on hosts named by -ComputerName or
/// -Session (the local machine by default; the parameters of <see cref="KvmHostItemCmdlet"/>), or
/// guests from the pipeline. Input is grouped by host
/// so that each host costs one inventory round trip, whatever the number of guests.
/// </summary>
public abstract class KvmGuestCmdlet : KvmHostItemCmdlet
{
    private readonly Dictionary<string, HostWork> _work = new(StringComparer.Ordinal);
    private readonly List<string> _order = new();

    /// <summary>Guests from Get-KvmGuest or New-KvmGuest.</summary>
    [Parameter(ParameterSetName = "Guest", Mandatory = true, ValueFromPipeline = true)]
    [Alias("InputObject")]
    [ValidateNotNullOrEmpty]
    public KvmGuest[]? Guest { get; set; }

    /// <summary>Guest cmdlets that change guests need a name or guests; Get-KvmGuest lists all.</summary>
    internal virtual bool RequiresSelection => true;

    protected override void ProcessRecord()
    {
        if (Guest is not null)
        {
            foreach (KvmGuest guest in Guest)
            {
                Work(HostTargets.Of(guest)).Guests.Add(guest);
            }

            return;
        }

        IEnumerable<object> hosts = Session is not null ? Session
            : ComputerName is not null ? ComputerName
            : new object[] { "localhost" };
        foreach (object host in hosts)
        {
            HostWork work = Work(host);
            if (Name is null)
            {
                work.All = true;
            }
            else
            {
                work.Patterns.AddRange(Name);
            }
        }
    }

    /// <summary>The hosts and what was asked of each, in the order they were named.</summary>
    internal IReadOnlyList<HostWork> HostWorkItems()
    {
        if (RequiresSelection && _work.Values.Any(w => w.All && w.Guests.Count == 0 && w.Patterns.Count == 0))
        {
            ThrowTerminatingError(new KvmException("GuestNotSpecified", ErrorCategory.InvalidArgument,
                "Name the guests with -Name, or pipe them in (Get-KvmGuest ... | " + MyInvocation.MyCommand.Name + ").",
                "Use -Name (wildcards allowed) or the pipeline.").ToErrorRecord(null));
        }

        return _order.Select(k => _work[k]).ToList();
    }

    /// <summary>
    /// The guests of <paramref name="inventory"/> that the work asks for, in name order; writes an
    /// error for each name without wildcards that matches nothing and each piped guest that is gone.
    /// </summary>
    internal static List<KvmGuest> Select(HostWork work, IReadOnlyList<KvmGuest> inventory, KvmSession session, WorkContext context)
    {
        var selected = new List<KvmGuest>();
        void Take(KvmGuest guest)
        {
            if (!selected.Any(g => g.Uuid == guest.Uuid))
            {
                selected.Add(guest);
            }
        }

        if (work.All)
        {
            inventory.ToList().ForEach(Take);
        }

        if (work.Patterns.Count > 0)
        {
            NameSelection.Select(inventory, g => g.Name, work.Patterns, pattern => new KvmException("GuestNotFound", ErrorCategory.ObjectNotFound,
                $"There is no guest named '{pattern}' on {session.ComputerName}.",
                $"List the guests with: Get-KvmGuest -ComputerName {session.ComputerName}"), context).ForEach(Take);
        }

        foreach (KvmGuest wanted in work.Guests)
        {
            KvmGuest? current = inventory.FirstOrDefault(g => g.Uuid == wanted.Uuid);
            if (current is null)
            {
                context.Error(new KvmException("GuestNotFound", ErrorCategory.ObjectNotFound,
                    $"The guest '{wanted.Name}' ({wanted.Uuid}) is no longer on {session.ComputerName}.",
                    $"List the guests with: Get-KvmGuest -ComputerName {session.ComputerName}"), wanted);
            }
            else
            {
                Take(current);
            }
        }

        return selected.OrderBy(g => g.Name, StringComparer.OrdinalIgnoreCase).ToList();
    }

    private HostWork Work(object host)
    {
        string key = HostTargets.Key(host);
        if (!_work.TryGetValue(key, out HostWork? work))
        {
            _work[key] = work = new HostWork(host);
            _order.Add(key);
        }

        return work;
    }
}

/// <summary>What a cmdlet call asks of one host.</summary>
internal sealed class HostWork
{
    public HostWork(object target)
    {
        Target = target;
    }

    /// <summary>A host name or a KvmSession.</summary>
    public object Target { get; }

    public bool All { get; set; }

    public List<string> Patterns { get; } = new();

    public List<KvmGuest> Guests { get; } = new();

    public string Describe() => HostTargets.Describe(Target);
}
