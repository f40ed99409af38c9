using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using KvmPS.Facts;
using KvmPS.Sessions;
using KvmPS.Planning.Install;
using KvmPS.Transport;

namespace KvmPS.Commands;

/// <summary>Installs QEMU/KVM and libvirt where they are missing and enables their daemons, per release.</summary>
[Cmdlet(VerbsLifecycle.Install, "KvmHost", DefaultParameterSetName = "ComputerName", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(KvmCapabilityResult), typeof(KvmCapabilitySummary))]
public sealed class InstallKvmHostCommand : KvmHostCmdlet
{
    // Package installs download and unpack for minutes on a slow mirror.
    private static readonly TimeSpan StepsTimeout = TimeSpan.FromMinutes(30);

    // Packages and daemons, then libvirt's defaults once it runs: more rounds mean a step did not take.
    private const int MaxRounds = 3;

    /// <summary>Return the capability results of each host after the change.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void EndProcessing()
    {
        var planned = new ConcurrentQueue<(KvmSession Session, HostFacts Facts, InstallPlan Plan)>();
        ForEachHost("Planning the KVM installation", (session, context) =>
        {
            HostFacts facts = session.Connection!.GetFacts(session, refresh: true, context.Cancel, context.VerboseFor(session.ComputerName));
            planned.Enqueue((session, facts, InstallPlanner.Plan(facts, session.ComputerName)));
        });

        var approved = new List<(KvmSession Session, InstallPlan Plan)>();
        foreach ((KvmSession session, HostFacts facts, InstallPlan plan) in planned)
        {
            if (!Approve(session, facts, plan))
            {
                continue;
            }

            approved.Add((session, plan));
        }

        RunParallel(approved, ThrottleLimit, "Installing KVM", a => a.Session.ComputerName, (item, context) => Apply(item.Session, item.Plan, context));
    }

    // On the pipeline thread: refusals, warnings and ShouldProcess with every command of the plan.
    private bool Approve(KvmSession session, HostFacts facts, InstallPlan plan)
    {
        string host = session.ComputerName;
        if (plan.Refusal is not null)
        {
            WriteFailure(new KvmException("UnsupportedPlatform", ErrorCategory.NotImplemented, plan.Refusal,
                "Install QEMU/KVM and libvirt by hand, then check the host with Test-KvmCapability."), host);
            return false;
        }

        foreach (string warning in plan.Warnings)
        {
            WriteWarning(warning);
        }

        if (!facts.Info.IsElevated && PrivilegeFailures.IsLibvirtRefusal(facts.LibvirtRefusal))
        {
            // Without libvirt the plan cannot see the networks and pools it would start: an empty
            // plan would claim there is nothing to do.
            WriteFailure(PrivilegeFailures.LibvirtDenied(session, host,
                $"Whether its networks and storage pools need starting cannot be checked; libvirt said: {facts.LibvirtRefusal}"), host);
            return false;
        }

        if (plan.IsEmpty)
        {
            WriteVerbose($"[{host}] Nothing to install: {plan.Platform.Name} already has {string.Join(", ", plan.Platform.Packages)} and libvirt runs.");
            return PassThru.IsPresent;
        }

        if (!facts.Info.IsElevated)
        {
            WriteFailure(new KvmException("NotElevated", ErrorCategory.PermissionDenied,
                $"Installing on {host} needs root, but the session runs as {session.UserName} without sudo.",
                "Connect as root, or as a user allowed to sudo (Connect-KvmHost -SudoCredential when sudo asks for a password)."), host);
            return false;
        }

        string action = $"Install KVM on {plan.Platform.Name}:\n{plan.Describe()}";
        if (facts.Info.LibvirtDaemon is not ("Monolithic" or "Modular"))
        {
            action += "\nThen, once libvirt runs: start the 'default' network and create or start the 'default' storage pool where needed.";
        }
        return ShouldProcess(host, action);
    }

    // On a worker: run the plan, re-probe, plan again until nothing is left.
    private void Apply(KvmSession session, InstallPlan firstPlan, WorkContext context)
    {
        string host = session.ComputerName;
        HostConnection connection = session.Connection!;
        InstallPlan plan = firstPlan;
        int activity = Math.Abs(host.GetHashCode() % 10000) + 1000;
        for (int round = 1; round <= MaxRounds && !plan.IsEmpty; round++)
        {
            IReadOnlyList<RemoteCommand> commands = plan.AllCommands;
            int[] stepOf = plan.Steps.SelectMany((s, i) => s.Commands.Select(_ => i)).ToArray();
            var options = new RunOptions
            {
                StopOnError = true,
                Timeout = StepsTimeout,
                Progress = (index, finished) =>
                {
                    if (finished is null)
                    {
                        InstallStep step = plan.Steps[stepOf[index]];
                        context.Progress(new ProgressRecord(activity, $"Installing KVM on {host}", step.Title)
                        {
                            CurrentOperation = commands[index].ToDisplayString(),
                            PercentComplete = index * 100 / commands.Count,
                        });
                    }
                },
            };

            BatchResult result = connection.Shell.Run(commands, options, context.Cancel, context.VerboseFor(host));
            context.Progress(new ProgressRecord(activity, $"Installing KVM on {host}", "Done") { RecordType = ProgressRecordType.Completed });
            CommandResult? failed = result.Results.FirstOrDefault(r => !r.Succeeded);
            if (failed is not null)
            {
                int index = result.Results.ToList().IndexOf(failed);
                throw new KvmException("InstallStepFailed", ErrorCategory.InvalidResult,
                    $"Installing KVM on {host} stopped at step '{plan.Steps[stepOf[index]].Title}': {failed.Describe()} The steps before it are done; nothing after it ran.",
                    "Fix the cause (see the message), then run Install-KvmHost again: it only does what is still missing.");
            }

            HostFacts facts = connection.GetFacts(session, refresh: true, context.Cancel, context.VerboseFor(host));
            plan = InstallPlanner.Plan(facts, host);
            if (round == MaxRounds && !plan.IsEmpty)
            {
                throw new KvmException("InstallIncomplete", ErrorCategory.InvalidResult,
                    $"Installing KVM on {host} ran without errors, but these steps are still needed: {string.Join("; ", plan.Steps.Select(s => s.Title))}.",
                    "Check the host with Test-KvmCapability; a step may need a reboot (new kernel, firmware setting).");
            }
        }

        if (PassThru.IsPresent)
        {
            // The facts are fresh: probed for the plan, or again after the last round.
            HostFacts after = connection.GetFacts(session, refresh: false, context.Cancel, context.VerboseFor(host));
            context.OutputAll(CapabilityOutput.For(after, host, null, quiet: false));
        }
    }
}
