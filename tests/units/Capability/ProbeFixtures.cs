using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using KvmPS.Facts;
using KvmPS.Planning.Capability;
using KvmPS.Planning.Install;
using KvmPS.Transport;
using Xunit;

namespace KvmPS.Tests.Capability;

/// <summary>
/// Recorded host-probe.sh output (Fixtures/probes/NAME.probe, one file per host kind) and what the
/// product makes of it. The computer name given to the parser is the fixture name, so remediation
/// such as "Install-KvmHost -ComputerName rhel8-nothing-installed" names the fixture.
/// </summary>
internal static class ProbeFixtures
{
    private static readonly ConcurrentDictionary<string, IReadOnlyList<KvmCapabilityResult>> Evaluated = new(StringComparer.Ordinal);

    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "Fixtures", "probes");

    /// <summary>Every fixture file, by name.</summary>
    public static IReadOnlyList<string> Names()
        => System.IO.Directory.GetFiles(Directory, "*.probe").Select(Path.GetFileNameWithoutExtension).OrderBy(n => n, StringComparer.Ordinal).ToList()!;

    public static string Text(string name)
    {
        string path = Path.Combine(Directory, name + ".probe");
        Assert.True(File.Exists(path), $"fixture {path} is missing (is it copied to the output directory?)");
        return File.ReadAllText(path);
    }

    /// <summary>Fresh facts (callers may change them).</summary>
    public static HostFacts Facts(string name) => HostFactsParser.Parse(name, Text(name));

    /// <summary>Facts from the recording with some sections' content replaced (null or "" empties a section).</summary>
    public static HostFacts Facts(string name, params (string Section, string? Content)[] replacements)
        => HostFactsParser.Parse(name, Replace(Text(name), replacements));

    /// <summary>All 22 checks on a recording, computed once per fixture (read-only for callers).</summary>
    public static IReadOnlyList<KvmCapabilityResult> Results(string name)
        => Evaluated.GetOrAdd(name, n => CapabilityEvaluator.Evaluate(Facts(n), n));

    public static KvmCapabilityResult Check(string name, string check) => Results(name).Single(r => r.Check == check);

    public static KvmCapabilityResult Check(HostFacts facts, string name, string check)
        => CapabilityEvaluator.Evaluate(facts, name, new[] { check }).Single();

    public static KvmCapabilitySummary Summary(string name) => CapabilityEvaluator.Summarize(Facts(name), name, Results(name));

    public static InstallPlan Plan(string name) => InstallPlanner.Plan(Facts(name), name);

    /// <summary>The plan as the host receives it: one shell line per command (RemoteCommand.ToDisplayString).</summary>
    public static string[] Commands(InstallPlan plan) => plan.AllCommands.Select(c => c.ToDisplayString()).ToArray();

    /// <summary>The section names of a recording, in order ("@@name" lines).</summary>
    public static IReadOnlyList<string> SectionNames(string text)
        => text.Replace("\r\n", "\n").Split('\n').Where(l => l.StartsWith("@@", StringComparison.Ordinal)).Select(l => l.Substring(2).Trim()).ToList();

    /// <summary>The section names host-probe.sh prints: `section NAME` and the virsh batch's `echo @@NAME`.</summary>
    public static IReadOnlyList<string> ProbeSectionNames()
        => Regex.Matches(EmbeddedScripts.Read("host-probe.sh"), @"(?:\bsection |echo @@)(?<name>[a-z0-9-]+)")
            .Cast<Match>().Select(m => m.Groups["name"].Value).Distinct().ToList();

    private static string Replace(string text, (string Section, string? Content)[] replacements)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n').ToList();
        foreach ((string section, string? content) in replacements)
        {
            int header = lines.IndexOf("@@" + section);
            Assert.True(header >= 0, $"the recording has no @@{section} section");
            int end = header + 1;
            while (end < lines.Count && !lines[end].StartsWith("@@", StringComparison.Ordinal))
            {
                end++;
            }

            lines.RemoveRange(header + 1, end - header - 1);
            string[] body = string.IsNullOrEmpty(content) ? Array.Empty<string>() : content!.TrimEnd('\n').Split('\n');
            lines.InsertRange(header + 1, body);
        }

        return string.Join("\n", lines);
    }
}
