using System.Collections.Generic;
using System.Linq;
using KvmPS.Transport;

namespace KvmPS.Guests;

/// <summary>One step of creating a guest, and how to take it back if a later step fails.</summary>
internal sealed class PlanStep
{
    public PlanStep(string title, IReadOnlyList<RemoteCommand> commands, IReadOnlyList<RemoteCommand>? undo = null)
    {
        Title = title;
        Commands = commands;
        Undo = undo ?? new RemoteCommand[0];
    }

    public string Title { get; }

    public IReadOnlyList<RemoteCommand> Commands { get; }

    /// <summary>Removes what the step made (run in reverse order after a failure).</summary>
    public IReadOnlyList<RemoteCommand> Undo { get; }
}

/// <summary>Everything New-KvmGuest will do for one guest.</summary>
internal sealed class GuestPlan
{
    public GuestPlan(GuestDesign design, string xml, IReadOnlyList<PlanStep> steps, IReadOnlyList<string> warnings, RemoteCommand? wait)
    {
        Design = design;
        Xml = xml;
        Steps = steps;
        Warnings = warnings;
        Wait = wait;
    }

    public GuestDesign Design { get; }

    /// <summary>The domain XML that will be defined.</summary>
    public string Xml { get; }

    public IReadOnlyList<PlanStep> Steps { get; }

    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Waits for the guest to run or to have an address; its failure does not undo anything.</summary>
    public RemoteCommand? Wait { get; }

    /// <summary>The plan as -WhatIf shows it: every step, every command, and the XML.</summary>
    public string Describe()
    {
        string steps = string.Join("\n", Steps.Select((s, i) =>
            $"{i + 1}. {s.Title}\n   " + string.Join("\n   ", s.Commands.Select(c => c.ToDisplayString()))));
        if (Wait is not null)
        {
            steps += $"\n{Steps.Count + 1}. Wait\n   {Wait.ToDisplayString()}";
        }

        return steps + "\nDomain XML:\n" + Xml;
    }
}
