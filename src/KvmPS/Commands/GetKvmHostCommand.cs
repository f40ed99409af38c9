using System.Management.Automation;

namespace KvmPS.Commands;

/// <summary>Gets the facts of KVM hosts: OS, CPU, memory, KVM, libvirt, init system, network backend.</summary>
[Cmdlet(VerbsCommon.Get, "KvmHost", DefaultParameterSetName = "ComputerName")]
[OutputType(typeof(KvmHostInfo))]
public sealed class GetKvmHostCommand : KvmHostCmdlet
{
    /// <summary>Probe the host again instead of using the facts cached in the session.</summary>
    [Parameter]
    public SwitchParameter Refresh { get; set; }

    protected override void EndProcessing()
    {
        ForEachHost("Probing KVM hosts", (session, context) =>
        {
            context.Output(session.Connection!.GetFacts(session, Refresh.IsPresent, context.Cancel, context.VerboseFor(session.ComputerName)).Info.Copy());
        });
    }
}
