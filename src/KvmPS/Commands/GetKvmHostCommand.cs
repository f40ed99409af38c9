using System.Management.Automation;
using KvmPS.Facts;
using KvmPS.Sessions;

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
            HostFacts facts = session.Connection!.GetFacts(session, Refresh.IsPresent, context.Cancel, context.VerboseFor(session.ComputerName));
            context.Output(facts.Info.Copy());
            if (PrivilegeFailures.IsLibvirtRefusal(facts.LibvirtRefusal))
            {
                // The facts stand, but the guest counts are unknown (-1): say why, as an error a script sees.
                context.Error(PrivilegeFailures.LibvirtDenied(session, session.ComputerName,
                    $"Its guest counts are unknown (shown as -1); libvirt said: {facts.LibvirtRefusal}"), session);
            }
        });
    }
}
