using System.Management.Automation;
using KvmPS.Completion;

namespace KvmPS.Commands;

/// <summary>
/// Base of the cmdlets that make or remove things on hosts (guests, bridges, networks): the
/// hosts come from -ComputerName or -Session (also piped), the local machine by default, and
/// the thing's name is the derived cmdlet's position 0.
/// </summary>
public abstract class KvmChangeCmdlet : KvmCmdlet
{
    /// <summary>Hosts by name; localhost (the default) means this machine.</summary>
    /// <remarks>Not bound by property name: a piped session would bind its ComputerName here as well.</remarks>
    [Parameter]
    [Alias("CN", "HostName")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(HostNameCompleter))]
    public string[]? ComputerName { get; set; }

    /// <summary>Hosts by session.</summary>
    [Parameter(ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    public KvmSession[]? Session { get; set; }

    /// <summary>How many hosts (New-KvmGuest: guests) are worked on at once.</summary>
    [Parameter]
    [ValidateRange(1, 256)]
    public int ThrottleLimit { get; set; } = 8;

    /// <summary>The hosts of -Session and -ComputerName so far (the local machine when none).</summary>
    internal HostTargets Targets { get; } = new();

    protected override void ProcessRecord()
    {
        if (ComputerName is not null && Session is not null)
        {
            ThrowTerminatingError(new KvmException("ConflictingTargets", ErrorCategory.InvalidArgument,
                "Name the hosts with -ComputerName or -Session, not both.", "Use one of them.").ToErrorRecord(null));
        }

        Targets.Add(Session, ComputerName);
    }
}
