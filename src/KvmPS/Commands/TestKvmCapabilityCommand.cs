using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using KvmPS.Facts;
using KvmPS.Planning.Capability;

namespace KvmPS.Commands;

/// <summary>Checks whether hosts can run KVM guests well, and says exactly why not and how to fix it.</summary>
[Cmdlet(VerbsDiagnostic.Test, "KvmCapability", DefaultParameterSetName = "ComputerName")]
[OutputType(typeof(KvmCapabilityResult), typeof(KvmCapabilitySummary))]
[OutputType(typeof(bool))]
public sealed class TestKvmCapabilityCommand : KvmHostCmdlet
{
    /// <summary>Only these checks (ids, wildcards allowed); all by default.</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(CapabilityCheckCompleter))]
    public string[]? Check { get; set; }

    /// <summary>Return one Boolean per host: whether it is capable (no check failed).</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    protected override void EndProcessing()
    {
        HashSet<string>? selected = SelectChecks(Check, this);
        ForEachHost("Testing KVM capability", (session, context) =>
        {
            HostFacts facts = session.Connection!.GetFacts(session, refresh: true, context.Cancel, context.VerboseFor(session.ComputerName));
            context.OutputAll(CapabilityOutput.For(facts, session.ComputerName, selected, Quiet.IsPresent));
        });
    }

    /// <summary>The check ids the patterns select; the whole call is invalid when a pattern matches none.</summary>
    internal static HashSet<string>? SelectChecks(string[]? patterns, PSCmdlet cmdlet)
    {
        if (patterns is null)
        {
            return null;
        }

        var selected = new HashSet<string>(System.StringComparer.OrdinalIgnoreCase);
        foreach (string pattern in patterns)
        {
            var wildcard = WildcardPattern.Get(pattern, WildcardOptions.IgnoreCase);
            string[] matches = CapabilityEvaluator.CheckIds.Where(wildcard.IsMatch).ToArray();
            if (matches.Length == 0)
            {
                cmdlet.ThrowTerminatingError(new KvmException("UnknownCheck", ErrorCategory.InvalidArgument,
                    $"No capability check is called '{pattern}'.",
                    "Use one of: " + string.Join(", ", CapabilityEvaluator.CheckIds)).ToErrorRecord(pattern));
            }

            selected.UnionWith(matches);
        }

        return selected;
    }
}

/// <summary>What Test-KvmCapability (and Install-KvmHost -PassThru) write for one host.</summary>
internal static class CapabilityOutput
{
    public static IEnumerable<object> For(HostFacts facts, string computerName, ICollection<string>? checks, bool quiet)
    {
        IReadOnlyList<KvmCapabilityResult> results = CapabilityEvaluator.Evaluate(facts, computerName, checks);
        KvmCapabilitySummary summary = CapabilityEvaluator.Summarize(facts, computerName, results);
        if (quiet)
        {
            return new object[] { summary.IsCapable };
        }

        return results.Cast<object>().Concat(new object[] { summary });
    }
}

/// <summary>Tab completion for -Check: the check ids.</summary>
public sealed class CapabilityCheckCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var pattern = WildcardPattern.Get((wordToComplete ?? "") + "*", WildcardOptions.IgnoreCase);
        return CapabilityEvaluator.CheckIds.Where(pattern.IsMatch).Select(id => new CompletionResult(id, id, CompletionResultType.ParameterValue, id));
    }
}
