using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using KvmPS.Completion;

namespace KvmPS.Commands;

/// <summary>
/// Base of the cmdlets that get things of hosts by name (bridges, networks): -Name (wildcards,
/// position 0, as Get-KvmGuest) on the hosts of -ComputerName or -Session, the local machine by default.
/// </summary>
public abstract class KvmHostItemCmdlet : KvmCmdlet
{
    private readonly HostTargets _targets = new();

    /// <summary>Names; wildcards are allowed.</summary>
    [Parameter(ParameterSetName = "Name", Position = 0)]
    [Parameter(ParameterSetName = "Session", Position = 0)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(HostItemNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary>Hosts by name (host, user@host, host:port); localhost means this machine.</summary>
    [Parameter(ParameterSetName = "Name", ValueFromPipelineByPropertyName = true)]
    [Alias("CN", "HostName")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(HostNameCompleter))]
    public string[]? ComputerName { get; set; }

    /// <summary>Hosts by session.</summary>
    [Parameter(ParameterSetName = "Session", Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    public KvmSession[]? Session { get; set; }

    /// <summary>How many hosts are worked on at once.</summary>
    [Parameter]
    [ValidateRange(1, 256)]
    public int ThrottleLimit { get; set; } = 32;

    protected override void ProcessRecord() => _targets.Add(Session, ComputerName);

    /// <summary>Runs <paramref name="work"/> once per host named, hosts in parallel.</summary>
    internal void ForEachHost(string activity, Action<KvmSession, WorkContext> work)
        => RunParallel(_targets.Distinct(), ThrottleLimit, activity, HostTargets.Describe, (target, context) => work(HostTargets.Resolve(target, context), context), HostTargets.Describe);
}

/// <summary>Selection by -Name the way every KvmPS Get- cmdlet does it.</summary>
internal static class NameSelection
{
    /// <summary>
    /// The items whose name matches any pattern (all without patterns), each once, in the order
    /// found; a pattern without wildcards that matches nothing is one error from <paramref name="notFound"/>.
    /// </summary>
    public static List<T> Select<T>(IEnumerable<T> items, Func<T, string> name, IEnumerable<string>? patterns, Func<string, KvmException> notFound, WorkContext context)
    {
        List<T> all = items.ToList();
        if (patterns is null)
        {
            return all;
        }

        var selected = new List<T>();
        foreach (string pattern in patterns)
        {
            var wildcard = WildcardPattern.Get(pattern, WildcardOptions.IgnoreCase);
            List<T> matches = all.Where(i => wildcard.IsMatch(name(i))).ToList();
            selected.AddRange(matches.Where(m => !selected.Contains(m)));
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(pattern))
            {
                context.Error(notFound(pattern), pattern);
            }
        }

        return selected;
    }
}
