using System.Collections.Generic;
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
        var found = new HashSet<object>();
        foreach (KvmSession session in SessionPool.All)
        {
            bool match = false;
            if (ParameterSetName == "Id")
            {
                match = Id.Contains(session.Id);
                if (match)
                {
                    found.Add(session.Id);
                }
            }
            else if (ComputerName is null)
            {
                match = true;
            }
            else
            {
                foreach (string name in ComputerName.Where(session.IsNamed))
                {
                    match = true;
                    found.Add(name);
                }
            }

            if (match)
            {
                WriteObject(session);
            }
        }

        // As Get-PSSession and Get-Job: a name without wildcards (or an id) that matches nothing is an
        // error naming it, so that a typo or a hostile value is not mistaken for "no session".
        IEnumerable<object> asked = ParameterSetName == "Id" ? Id.Cast<object>() : (ComputerName ?? new string[0]).Where(n => !WildcardPattern.ContainsWildcardCharacters(n));
        foreach (object missing in asked.Where(a => !found.Contains(a)).Distinct())
        {
            WriteFailure(new KvmException("SessionNotFound", ErrorCategory.ObjectNotFound,
                ParameterSetName == "Id" ? $"There is no open KvmPS session with Id {missing}." : $"There is no open KvmPS session for '{missing}' (by computer name or -Name).",
                "See the open sessions with Get-KvmSession; open one with Connect-KvmHost."), missing);
        }
    }
}
