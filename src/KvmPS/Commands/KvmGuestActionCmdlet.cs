using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using KvmPS.Guests;
using KvmPS.Transport;

namespace KvmPS.Commands;

/// <summary>What an action does to one guest: commands to run, nothing (with the reason), or an error.</summary>
internal sealed class GuestAction
{
    private GuestAction(IReadOnlyList<RemoteCommand> commands, string? skip, KvmException? error)
    {
        Commands = commands;
        Skip = skip;
        Error = error;
    }

    public IReadOnlyList<RemoteCommand> Commands { get; }

    public string? Skip { get; }

    public KvmException? Error { get; }

    public static GuestAction Run(params RemoteCommand[] commands) => new(commands, null, null);

    public static GuestAction Nothing(string reason) => new(Array.Empty<RemoteCommand>(), reason, null);

    public static GuestAction Refuse(string errorId, string message, string recommendedAction)
        => new(Array.Empty<RemoteCommand>(), null, new KvmException(errorId, ErrorCategory.InvalidOperation, message, recommendedAction));
}

/// <summary>What the first round trip saw on a host: every guest, and the planning command's output.</summary>
internal sealed class HostView
{
    public HostView(IReadOnlyList<KvmGuest> guests, string planningOutput)
    {
        Guests = guests;
        PlanningOutput = planningOutput;
    }

    public IReadOnlyList<KvmGuest> Guests { get; }

    public string PlanningOutput { get; }
}

/// <summary>
/// Base of the cmdlets that change guests (Start, Stop, Restart, Suspend, Resume). Per host: one
/// round trip reads the guests and their state, ShouldProcess asks per guest on the pipeline
/// thread, and one more round trip runs every approved guest's commands (and a wait, and the
/// updated guests for -PassThru). Hosts run in parallel; one guest failing is one error.
/// </summary>
public abstract class KvmGuestActionCmdlet : KvmGuestCmdlet
{
    /// <summary>Return the guests after the change.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>The ShouldProcess action, e.g. "Start the guest".</summary>
    internal abstract string ActionDescription { get; }

    internal abstract GuestAction Plan(KvmGuest guest, HostView host);

    /// <summary>A command to run with the inventory in the first round trip (its output goes to <see cref="HostView"/>).</summary>
    internal virtual RemoteCommand? PlanningCommand() => null;

    /// <summary>A command that runs after every guest's commands (e.g. wait until they are off).</summary>
    internal virtual RemoteCommand? After(IReadOnlyList<KvmGuest> acted) => null;

    /// <summary>Errors for guests the <see cref="After"/> command reports as not done (e.g. not off in time).</summary>
    internal virtual IEnumerable<(KvmGuest Guest, KvmException Error)> CheckAfter(CommandResult result, IReadOnlyList<KvmGuest> acted)
        => Enumerable.Empty<(KvmGuest, KvmException)>();

    // Most of a guest's action is libvirt waiting on QEMU (a destroy takes ~2 s of mostly waiting),
    // so a host does many guests at once: 50 guests stopped one after another took 100 s, 16 at
    // once about 10 s (bench/Guests.Bench.ps1). libvirtd serves each virsh as its own client.
    internal const int GuestsAtOnce = 16;

    /// <summary>How long the commands of one host may take in all.</summary>
    internal virtual TimeSpan BatchTimeout => TimeSpan.FromMinutes(2);

    protected override void EndProcessing()
    {
        var planned = new ConcurrentQueue<(int Order, KvmSession Session, KvmGuest Guest, GuestAction Action)>();
        IReadOnlyList<HostWork> hosts = HostWorkItems();
        RunParallel(hosts.Select((w, i) => (w, i)).ToList(), ThrottleLimit, "Reading guests", x => x.w.Describe(), (item, context) =>
        {
            try
            {
                ReadHost(item.w, item.i, planned, context);
            }
            catch (Exception e) when (item.w.Guests.Count > 0 && e is not OperationCanceledException)
            {
                // Nothing was changed on the host yet: each piped guest still gets an outcome of its own.
                ErrorRecord mapped = ToErrorRecord(e, null);
                foreach (KvmGuest guest in item.w.Guests)
                {
                    context.Error(new KvmException("GuestActionNotRun", mapped.CategoryInfo.Category,
                        $"{ActionDescription} was not run for '{guest.Name}' (nothing was changed): {e.Message}",
                        mapped.ErrorDetails?.RecommendedAction ?? "Run the command again once the host answers."), guest);
                }

                if (item.w.All || item.w.Patterns.Count > 0)
                {
                    throw;
                }
            }
        }, x => x.w.Describe());

        // On the pipeline thread: skips, refusals, and ShouldProcess for each guest.
        var approved = new Dictionary<KvmSession, List<(KvmGuest Guest, GuestAction Action)>>();
        foreach (var (_, session, guest, action) in planned.OrderBy(p => p.Order).ThenBy(p => p.Guest.Name, StringComparer.OrdinalIgnoreCase))
        {
            if (action.Error is not null)
            {
                WriteError(action.Error.ToErrorRecord(guest));
            }
            else if (action.Skip is not null)
            {
                WriteVerbose($"[{session.ComputerName}] {guest.Name}: {action.Skip}");
                if (PassThru.IsPresent)
                {
                    WriteObject(guest);
                }
            }
            else if (ShouldProcess($"{guest.Name} on {session.ComputerName}", ActionDescription))
            {
                if (!approved.TryGetValue(session, out var list))
                {
                    approved[session] = list = new List<(KvmGuest, GuestAction)>();
                }

                list.Add((guest, action));
            }
        }

        RunParallel(approved.ToList(), ThrottleLimit, ActionDescription, a => a.Key.ComputerName, (host, context) => Apply(host.Key, host.Value, context), a => a.Key.ComputerName);
    }

    /// <summary>The first round trip on one host: its guests, and the plan for each guest asked for.</summary>
    private void ReadHost(HostWork work, int order, ConcurrentQueue<(int Order, KvmSession Session, KvmGuest Guest, GuestAction Action)> planned, WorkContext context)
    {
        KvmSession session = HostTargets.Resolve(work.Target, context);
        Action<string> log = context.VerboseFor(session.ComputerName);
        List<KvmGuest> inventory;
        string extra = "";
        RemoteCommand? planning = PlanningCommand();
        if (planning is null)
        {
            inventory = GuestScripts.ReadGuests(session, context.Cancel, log);
        }
        else
        {
            BatchResult read = session.Connection!.Shell.Run(new[] { GuestScripts.Inventory(), planning }, GuestScripts.InventoryOptions, context.Cancel, log);
            CommandResult failed = read.Results.FirstOrDefault(r => !r.Succeeded);
            if (failed is not null)
            {
                throw new KvmException("GuestListFailed", ErrorCategory.ResourceUnavailable, $"Could not read the guests of {session.ComputerName}: {failed.Describe()}",
                    "Check that libvirt runs on the host and that the session may use it.");
            }

            inventory = GuestInventoryParser.Parse(session.ComputerName, read[0].StdoutText, session);
            extra = read[1].StdoutText;
        }

        var view = new HostView(inventory, extra);
        foreach (KvmGuest guest in Select(work, inventory, session, context))
        {
            planned.Enqueue((order, session, guest, Plan(guest, view)));
        }
    }

    private void Apply(KvmSession session, List<(KvmGuest Guest, GuestAction Action)> work, WorkContext context)
    {
        // Each guest is a group: when one of its commands fails, its later commands are skipped
        // (e.g. no disk deletion after a failed undefine), and the other guests go on.
        var commands = new List<RemoteCommand>();
        var owner = new List<KvmGuest?>();
        var groups = new List<int>();
        int group = 0;
        foreach ((KvmGuest guest, GuestAction action) in work)
        {
            group++;
            commands.AddRange(action.Commands);
            owner.AddRange(action.Commands.Select(_ => (KvmGuest?)guest));
            groups.AddRange(Enumerable.Repeat(group, action.Commands.Count));
        }

        List<KvmGuest> acted = work.Select(w => w.Guest).ToList();
        RemoteCommand? after = After(acted);
        if (after is not null)
        {
            commands.Add(after);
            owner.Add(null);
            groups.Add(0);
        }

        if (PassThru.IsPresent)
        {
            commands.Add(GuestScripts.Inventory(acted.Select(g => g.Uuid)));
            owner.Add(null);
            groups.Add(0);
        }

        var options = new RunOptions { Timeout = BatchTimeout, Groups = groups, Concurrency = GuestsAtOnce };
        BatchResult result;
        try
        {
            result = session.Connection!.Shell.Run(commands, options, context.Cancel, context.VerboseFor(session.ComputerName));
        }
        catch (HostUnreachableException lost) when (lost.Partial is not null)
        {
            // Mid-batch: the guests that reported are done or failed; every other guest gets an
            // error saying its fate is unknown, instead of one host error that names none of them.
            result = lost.Partial;
        }

        var failed = new HashSet<Guid>();
        for (int i = 0; i < commands.Count; i++)
        {
            KvmGuest? guest = owner[i];
            if (guest is not null && !result[i].Succeeded && failed.Add(guest.Uuid))
            {
                context.Error(result[i].Outcome == CommandOutcome.Lost ? Unknown($"The connection to {session.ComputerName} was lost", session, guest, result[i])
                    : LibvirtLost(result[i]) ? Unknown($"libvirt on {session.ComputerName} went away", session, guest, result[i])
                    : new KvmException("GuestActionFailed", ErrorCategory.InvalidOperation,
                        $"{ActionDescription} failed for '{guest.Name}' on {session.ComputerName}: {result[i].Describe()}",
                        $"Check the guest with: Get-KvmGuest -ComputerName {session.ComputerName} -Name '{guest.Name}'"), guest);
            }
        }

        if (after is not null)
        {
            CommandResult afterResult = result[commands.IndexOf(after)];
            List<KvmGuest> pending = acted.Where(g => !failed.Contains(g.Uuid)).ToList();
            IEnumerable<(KvmGuest Guest, KvmException Error)> notDone = afterResult.Outcome == CommandOutcome.Lost
                ? pending.Select(g => (g, Unknown($"The connection to {session.ComputerName} was lost", session, g, afterResult)))
                : CheckAfter(afterResult, pending);
            foreach ((KvmGuest guest, KvmException error) in notDone)
            {
                failed.Add(guest.Uuid);
                context.Error(error, guest);
            }
        }

        if (PassThru.IsPresent)
        {
            List<KvmGuest> done = acted.Where(g => !failed.Contains(g.Uuid)).ToList();
            if (done.Count > 0)
            {
                context.OutputAll(Refreshed(session, done, result[commands.Count - 1], context)
                    .OrderBy(g => g.Name, StringComparer.OrdinalIgnoreCase));
            }
        }
    }

    /// <summary>
    /// The done guests as they are now. When the batch's inventory did not come back (connection
    /// lost, libvirtd down), they are read once more on a new connection; failing that, they are
    /// still returned (they are done) with State Unknown and a warning, never dropped silently.
    /// </summary>
    private static IEnumerable<KvmGuest> Refreshed(KvmSession session, List<KvmGuest> done, CommandResult inventory, WorkContext context)
    {
        List<KvmGuest>? now = null;
        string reason = inventory.Describe();
        if (inventory.Succeeded)
        {
            now = GuestInventoryParser.Parse(session.ComputerName, inventory.StdoutText, session);
        }
        else
        {
            try
            {
                now = GuestScripts.ReadGuests(session, context.Cancel, context.VerboseFor(session.ComputerName), done.Select(g => g.Uuid));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Best effort, whatever failed (host gone, reconnect refused, libvirtd down): the
                // guests are done either way and are still returned below.
                reason = e.Message;
            }
        }

        if (now is null)
        {
            context.Warning($"The guests done on {session.ComputerName} could not be read again ({reason}); they are returned with State Unknown. "
                + $"Check them with: Get-KvmGuest -ComputerName {session.ComputerName}");
            done.ForEach(g => g.State = KvmGuestState.Unknown);
            return done;
        }

        // A guest the action removed is no longer listed: it is returned as it was.
        return done.Select(g => now.FirstOrDefault(n => n.Uuid == g.Uuid) ?? g);
    }

    /// <summary>A guest whose commands were sent but whose result never came back: neither done nor failed.</summary>
    private KvmException Unknown(string what, KvmSession session, KvmGuest guest, CommandResult result)
        => new("GuestStateUnknown", ErrorCategory.ConnectionError,
            $"{what} while the action '{ActionDescription}' ran for '{guest.Name}'; its state is unknown: {result.Describe()}",
            $"Check it with: Get-KvmGuest -ComputerName {session.ComputerName} -Name '{guest.Name}' (the next command reconnects on its own), then run the action again if it is not done.");

    // virsh lost libvirtd in the middle of the call (killed, restarted): the call may have taken
    // effect. Not "failed to connect", which means it never reached libvirt and changed nothing.
    private static bool LibvirtLost(CommandResult result)
        => result.Outcome == CommandOutcome.Exited && result.ExitCode != 0
            && (result.StderrText.Contains("End of file while reading data") || result.StderrText.Contains("Disconnected from")
                || result.StderrText.Contains("Cannot recv data") || result.StderrText.Contains("client socket is closed"));

    /// <summary>virsh with the guest named by its UUID: never a name that virsh could misread.</summary>
    internal static RemoteCommand Virsh(string command, KvmGuest guest, params string[] more)
        => RemoteCommand.Of(new[] { "virsh", "-c", "qemu:///system", command, guest.Uuid.ToString() }.Concat(more).ToArray());
}
