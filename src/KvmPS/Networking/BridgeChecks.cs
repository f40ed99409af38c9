using System;
using System.Collections.Generic;
using System.Linq;
using KvmPS.Transport;

namespace KvmPS.Networking;

/// <summary>One reachability check of bridge-check.sh: the gateway answers a ping, a DNS server answers a query.</summary>
internal sealed class ReachabilityCheck
{
    public ReachabilityCheck(string kind, string address, string result)
    {
        Kind = kind;
        Address = address;
        Result = result;
    }

    /// <summary>"gateway" or "dns".</summary>
    public string Kind { get; }

    public string Address { get; }

    /// <summary>"ok", "fail" or "untested" (the host has no tool for it).</summary>
    public string Result { get; }

    public bool Passed => Result == "ok";

    public override string ToString() => $"{(Kind == "dns" ? "DNS server" : "gateway")} {Address}";
}

/// <summary>
/// What tells a bridge change worked, seen from a new connection: the bridge (or, for a removal,
/// the NIC) holds the addressing, and the gateway and DNS servers that answered before the
/// change still answer (the original guide's checks). Checks that failed before are not held
/// against the change.
/// </summary>
internal static class BridgeChecks
{
    /// <summary>The gateway and DNS servers the host uses after the change (the ones it uses now when the plan names none).</summary>
    public static List<(string Kind, string Address)> Targets(BridgePlan plan, NetworkFacts facts)
    {
        var targets = new List<(string, string)>();
        string gateway = plan.Addressing.Gateway.Length > 0 ? plan.Addressing.Gateway : facts.Ipv4Gateway?.Gateway ?? "";
        if (gateway.Length > 0)
        {
            targets.Add(("gateway", gateway));
        }

        IEnumerable<string> dns = plan.Addressing.Dns.Count > 0 ? plan.Addressing.Dns : facts.DnsServers;
        targets.AddRange(dns.Distinct(StringComparer.OrdinalIgnoreCase).Select(d => ("dns", d)));
        return targets;
    }

    public static RemoteCommand Command(IEnumerable<(string Kind, string Address)> targets)
        => RemoteCommand.Script("bridge-check.sh", targets.SelectMany(t => new[] { t.Kind, t.Address }).ToArray());

    public static List<ReachabilityCheck> Parse(string output)
    {
        var checks = new List<ReachabilityCheck>();
        foreach (string line in output.Split('\n'))
        {
            string[] fields = line.Trim().Split(' ');
            if (fields.Length == 3 && fields[0] is "gateway" or "dns" && fields[2] is "ok" or "fail" or "untested")
            {
                checks.Add(new ReachabilityCheck(fields[0], fields[1], fields[2]));
            }
        }

        return checks;
    }

    /// <summary>Checks that passed in <paramref name="baseline"/> and do not pass <paramref name="after"/> the change.</summary>
    public static List<string> Regressions(IReadOnlyList<ReachabilityCheck> baseline, IReadOnlyList<ReachabilityCheck> after)
    {
        var lost = new List<string>();
        foreach (ReachabilityCheck before in baseline.Where(c => c.Passed))
        {
            ReachabilityCheck? now = after.FirstOrDefault(c => c.Kind == before.Kind && c.Address == before.Address);
            if (now is null || !now.Passed)
            {
                lost.Add($"the {before} answered before the change and {(now is null ? "was not checked" : now.Result == "fail" ? "does not answer" : "could not be checked")} after it");
            }
        }

        return lost;
    }

    /// <summary>What is not as the plan says in the facts probed after the change: empty when the change took.</summary>
    public static List<string> Problems(BridgePlan plan, NetworkFacts after)
    {
        var problems = new List<string>();
        string bridge = plan.Request.Name;
        string nic = plan.Request.InterfaceName;
        NetworkLink? bridgeLink = after.Link(bridge);
        NetworkLink? nicLink = after.Link(nic);
        if (plan.Removes && nic.Length == 0)
        {
            // A bridge without a NIC: gone is all there is to check.
            if (bridgeLink is not null)
            {
                problems.Add($"the bridge {bridge} still exists");
            }

            return problems;
        }

        if (nicLink is null)
        {
            problems.Add($"the NIC {nic} is gone");
            return problems;
        }

        if (plan.Removes)
        {
            if (bridgeLink is not null)
            {
                problems.Add($"the bridge {bridge} still exists");
            }

            if (nicLink.Master.Length > 0)
            {
                problems.Add($"{nic} is still a port of {nicLink.Master}");
            }
        }
        else if (bridgeLink is null || bridgeLink.Kind != LinkKind.Bridge)
        {
            problems.Add($"there is no bridge {bridge}");
            return problems;
        }
        else if (nicLink.Master != bridge)
        {
            problems.Add($"{nic} is not a port of {bridge}{(nicLink.Master.Length > 0 ? $" (its master is {nicLink.Master})" : "")}");
        }

        NetworkLink holder = plan.Removes ? nicLink : bridgeLink!;
        if (!holder.IsUp)
        {
            problems.Add($"{holder.Name} is not up");
        }

        var addresses = new HashSet<string>(holder.Addresses.Select(a => a.ToString()), StringComparer.OrdinalIgnoreCase);
        foreach (string address in plan.Addressing.Ipv4.Concat(plan.Addressing.Ipv6).Where(a => !addresses.Contains(a)))
        {
            problems.Add($"{holder.Name} does not have the address {address}");
        }

        if (plan.Addressing.Dhcp && !holder.Addresses.Any(a => !a.IsIPv6))
        {
            problems.Add($"{holder.Name} got no IPv4 address by DHCP");
        }

        if (plan.Addressing.Gateway.Length > 0 && !after.DefaultRoutes.Any(r => r.Gateway == plan.Addressing.Gateway && r.Device == holder.Name))
        {
            problems.Add($"the default route via {plan.Addressing.Gateway} is not on {holder.Name}");
        }

        return problems;
    }

    /// <summary>
    /// What a rollback did not put back, comparing the bridge and the NIC with the facts from
    /// before the change: that each exists (or not) as before, has the same master, and has
    /// its static addresses again. Empty when the host is as it was.
    /// </summary>
    public static List<string> RestoreProblems(BridgePlan plan, NetworkFacts before, NetworkFacts after)
    {
        var problems = new List<string>();
        foreach (string name in new[] { plan.Request.Name, plan.Request.InterfaceName })
        {
            NetworkLink? was = before.Link(name);
            NetworkLink? now = after.Link(name);
            if (was is null || now is null)
            {
                if (was is not null || now is not null)
                {
                    problems.Add(was is null ? $"{name} still exists" : $"{name} is gone");
                }

                continue;
            }

            if (was.Master != now.Master)
            {
                problems.Add($"{name}'s master is {(now.Master.Length > 0 ? now.Master : "none")}, not {(was.Master.Length > 0 ? was.Master : "none")} as before");
            }

            var addresses = new HashSet<string>(now.Addresses.Select(a => a.ToString()), StringComparer.OrdinalIgnoreCase);
            problems.AddRange(was.Addresses.Where(a => !a.Dynamic && !a.IsLinkLocal && !addresses.Contains(a.ToString()))
                .Select(a => $"{name} does not have its address {a} back"));
        }

        problems.AddRange(before.DefaultRoutes.Where(r => !after.DefaultRoutes.Any(n => n.Gateway == r.Gateway && n.Device == r.Device))
            .Select(r => $"the default route via {r.Gateway} on {r.Device} is not back"));
        return problems;
    }
}

/// <summary>What bridge-state.sh status says of a change.</summary>
internal sealed class BridgeChangeState
{
    /// <summary>apply.sh's exit code; null while it runs.</summary>
    public int? Apply { get; private set; }

    /// <summary>restore.sh's exit code; null when it has not run (or runs now: <see cref="Restoring"/>).</summary>
    public int? Restore { get; private set; }

    public bool Restoring { get; private set; }

    public bool Armed { get; private set; }

    /// <summary>The host has no such change: it was never armed (or is long over).</summary>
    public bool Missing { get; private set; }

    /// <summary>Disarmed: the change is kept (its directory waits for cleanup).</summary>
    public bool Disarmed { get; private set; }

    public static BridgeChangeState Parse(string output)
    {
        var state = new BridgeChangeState();
        foreach (string line in output.Split('\n'))
        {
            string[] fields = line.Trim().Split(' ');
            if (fields.Length != 2)
            {
                continue;
            }

            bool number = int.TryParse(fields[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int code);
            switch (fields[0])
            {
                case "apply":
                    state.Apply = number ? code : null;
                    break;
                case "restore":
                    state.Restore = number ? code : null;
                    state.Restoring = fields[1] == "running";
                    break;
                case "armed":
                    state.Armed = fields[1] == "yes";
                    break;
                case "change":
                    state.Missing = fields[1] == "missing";
                    break;
                case "disarmed":
                    state.Disarmed = fields[1] == "yes";
                    break;
            }
        }

        return state;
    }
}
