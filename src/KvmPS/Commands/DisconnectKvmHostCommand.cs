using System.Linq;
using System.Management.Automation;
using KvmPS.Sessions;
using KvmPS.Completion;

namespace KvmPS.Commands;

/// <summary>Closes KvmPS sessions and their connections.</summary>
[Cmdlet(VerbsCommunications.Disconnect, "KvmHost", DefaultParameterSetName = "Session", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(KvmSession))]
public sealed class DisconnectKvmHostCommand : KvmCmdlet
{
    /// <summary>Sessions to close.</summary>
    [Parameter(ParameterSetName = "Session", Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    public KvmSession[] Session { get; set; } = null!;

    /// <summary>Close every open session to these hosts (wildcards allowed).</summary>
    [Parameter(ParameterSetName = "ComputerName", Mandatory = true)]
    [Alias("CN", "HostName")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(HostNameCompleter))]
    public string[] ComputerName { get; set; } = null!;

    /// <summary>Close every open session.</summary>
    [Parameter(ParameterSetName = "All", Mandatory = true)]
    public SwitchParameter All { get; set; }

    /// <summary>Return the closed sessions.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var sessions = ParameterSetName switch
        {
            "Session" => Session.ToList(),
            "All" => SessionPool.All.ToList(),
            _ => SessionPool.All.Where(s => ComputerName.Any(s.IsNamed)).ToList(),
        };

        if (ParameterSetName == "ComputerName" && sessions.Count == 0)
        {
            WriteFailure(new KvmException("SessionNotFound", ErrorCategory.ObjectNotFound,
                $"No open session matches '{string.Join("', '", ComputerName)}'.", "List the open sessions with Get-KvmSession."), ComputerName);
        }

        foreach (KvmSession session in sessions)
        {
            if (ShouldProcess(session.ToString(), "Close the KvmPS session"))
            {
                SessionPool.Remove(session);
                if (PassThru.IsPresent)
                {
                    WriteObject(session);
                }
            }
        }
    }
}
