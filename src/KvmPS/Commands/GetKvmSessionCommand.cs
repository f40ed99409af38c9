using System.Linq;
using System.Management.Automation;
using KvmPS.Sessions;
using KvmPS.Completion;

namespace KvmPS.Commands;

/// <summary>Gets the open KvmPS sessions of this PowerShell process.</summary>
[Cmdlet(VerbsCommon.Get, "KvmSession", DefaultParameterSetName = "ComputerName")]
[OutputType(typeof(KvmSession))]
public sealed class GetKvmSessionCommand : KvmCmdlet
{
    /// <summary>Sessions whose computer name or -Name matches (wildcards allowed).</summary>
    [Parameter(ParameterSetName = "ComputerName", Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("CN", "HostName")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(HostNameCompleter))]
    public string[]? ComputerName { get; set; }

    /// <summary>Sessions by Id.</summary>
    [Parameter(ParameterSetName = "Id", Mandatory = true)]
    public int[] Id { get; set; } = null!;

    protected override void ProcessRecord()
    {
        foreach (KvmSession session in SessionPool.All)
        {
            bool match = ParameterSetName == "Id"
                ? Id.Contains(session.Id)
                : ComputerName is null || ComputerName.Any(session.IsNamed);
            if (match)
            {
                WriteObject(session);
            }
        }
    }
}
