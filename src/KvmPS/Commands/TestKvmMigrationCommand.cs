using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using KvmPS.Migration;

namespace KvmPS.Commands;

/// <summary>
/// Checks, without moving anything, whether guests can move to a destination: from the source
/// (reachability, name resolution, migration ports, SSH trust) and on the destination (CPU,
/// machine type, firmware, storage, networks, memory, name), like Hyper-V's Compare-VM.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "KvmMigration", DefaultParameterSetName = "Name")]
[OutputType(typeof(KvmMigrationCheck))]
[OutputType(typeof(bool))]
public sealed class TestKvmMigrationCommand : KvmMigrationCmdlet
{
    /// <summary>Return $true or $false per guest (no failed check) instead of the checks.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override void EndProcessing()
    {
        var guests = SourceGuests();
        RunParallel(guests, ThrottleLimit, "Checking moves", g => g.Guest.Name, (item, context) =>
        {
            List<KvmMigrationCheck> checks = MigrationChecks.Evaluate(Preflight(item.Source, item.Guest, context));
            if (Quiet.IsPresent)
            {
                context.Output(checks.All(c => c.Status != KvmCheckStatus.Fail));
            }
            else
            {
                context.OutputAll(checks);
            }
        }, g => g.Guest);
    }
}
