using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using KvmPS.Networking;

namespace KvmPS.Commands;

/// <summary>
/// How New- and Remove-KvmBridge change bridges: read each host's network, plan, show the plan
/// for -WhatIf/-Confirm on the pipeline thread, then run each change under its rollback timer:
/// hosts in parallel, one change at a time per host.
/// </summary>
internal static class BridgeChanges
{
    /// <summary>
    /// Plans every item on its host (null from <paramref name="plan"/>: nothing to do, and
    /// <paramref name="unchanged"/> says why and may return an object to output), asks
    /// ShouldProcess, applies, and hands the facts read after each verified change to <paramref name="done"/>.
    /// </summary>
    public static void Run<T>(KvmChangeCmdlet cmdlet, string verb, IReadOnlyList<(object Target, T Item)> work, Func<KvmSession, NetworkFacts, T, BridgePlan?> plan,
        Func<KvmSession, NetworkFacts, T, (string Message, object? Output)> unchanged, Action<KvmSession, BridgePlan, NetworkFacts, WorkContext> done)
    {
        var hosts = work.GroupBy(w => HostTargets.Key(w.Target)).Select(g => (Target: g.First().Target, Items: g.Select(w => w.Item).ToList())).ToList();
        var planned = new ConcurrentQueue<(KvmSession Session, NetworkFacts Facts, T Item, BridgePlan? Plan)>();
        cmdlet.RunParallel(hosts, cmdlet.ThrottleLimit, "Reading network configuration", h => HostTargets.Describe(h.Target), (host, context) =>
        {
            KvmSession session = HostTargets.Resolve(host.Target, context);
            NetworkFacts facts = NetworkScripts.Probe(session, context.Cancel, context.VerboseFor(session.ComputerName));
            foreach (T item in host.Items)
            {
                try
                {
                    planned.Enqueue((session, facts, item, plan(session, facts, item)));
                }
                catch (KvmException refused)
                {
                    context.Error(refused, session.ComputerName);
                }
            }
        }, h => HostTargets.Describe(h.Target));

        var approved = new List<(KvmSession Session, NetworkFacts Facts, T Item, BridgePlan Plan)>();
        foreach ((KvmSession session, NetworkFacts facts, T item, BridgePlan? itemPlan) in planned)
        {
            string host = session.ComputerName;
            if (itemPlan is null)
            {
                (string message, object? output) = unchanged(session, facts, item);
                cmdlet.WriteVerbose($"[{host}] {message}");
                if (output is not null)
                {
                    cmdlet.WriteObject(output);
                }

                continue;
            }

            foreach (string warning in itemPlan.Warnings)
            {
                cmdlet.WriteWarning($"[{host}] {warning}");
            }

            if (!session.IsElevated)
            {
                cmdlet.WriteFailure(new KvmException("NotElevated", ErrorCategory.PermissionDenied,
                    $"Changing bridges on {host} needs root, but the session runs as {session.UserName} without sudo.",
                    "Connect as root, or as a user allowed to sudo (Connect-KvmHost -SudoCredential when sudo asks for a password)."), host);
                continue;
            }

            if (cmdlet.ShouldProcess(host, itemPlan.Describe()))
            {
                approved.Add((session, facts, item, itemPlan));
            }
        }

        var perHost = approved.GroupBy(a => a.Session).Select(g => g.ToList()).ToList();
        cmdlet.RunParallel(perHost, cmdlet.ThrottleLimit, $"{verb} bridges", changes => changes[0].Session.ComputerName, (changes, context) =>
        {
            KvmSession session = changes[0].Session;
            for (int i = 0; i < changes.Count; i++)
            {
                try
                {
                    // Planned from the facts before the first change; the next ones read the host again.
                    NetworkFacts facts = i == 0 ? changes[i].Facts : NetworkScripts.Probe(session, context.Cancel, context.VerboseFor(session.ComputerName));
                    BridgePlan? current = i == 0 ? changes[i].Plan : plan(session, facts, changes[i].Item);
                    if (current is null)
                    {
                        context.Verbose($"[{session.ComputerName}] {unchanged(session, facts, changes[i].Item).Message}");
                        continue;
                    }

                    NetworkFacts after = new BridgeChange(session, current, facts, context, verb).Run();
                    done(session, current, after, context);
                }
                catch (Exception e) when (e is not OperationCanceledException && e is not PipelineStoppedException)
                {
                    context.Error(e, session.ComputerName);
                }
            }
        }, changes => changes[0].Session.ComputerName);
    }
}
