using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.RegularExpressions;

namespace KvmPS.Migration;

/// <summary>
/// A migration job as virsh domjobinfo prints it (while it runs, or --completed after): what has
/// moved, what is left, the rate, and the downtime libvirt measured.
/// </summary>
internal sealed class MigrationProgress
{
    private static readonly Regex Size = new(@"^(?<n>\d+(?:\.\d+)?)\s*(?<u>B|KiB|MiB|GiB|TiB|PiB|EiB)(?:/s)?$", RegexOptions.CultureInvariant);
    private static readonly Regex Amount = new(@"^(?<n>\d+(?:\.\d+)?)\s*(?<u>ms|pages/s|bytes)?$", RegexOptions.CultureInvariant);
    private static readonly Regex VerbosePercent = new(@"\[\s*(\d+(?:\.\d+)?)\s*%\]", RegexOptions.CultureInvariant);

    /// <summary>None, Unbounded (running), Completed, Failed, Cancelled.</summary>
    public string JobType { get; private set; } = "";

    public string Operation { get; private set; } = "";

    public long ElapsedMs { get; private set; }

    public long DataProcessed { get; private set; }

    public long DataRemaining { get; private set; }

    public long DataTotal { get; private set; }

    /// <summary>Bytes per second.</summary>
    public long MemoryBandwidth { get; private set; }

    public long ExpectedDowntimeMs { get; private set; }

    /// <summary>The downtime libvirt measured (completed jobs); -1 when not reported.</summary>
    public long TotalDowntimeMs { get; private set; } = -1;

    public int Iteration { get; private set; }

    public bool IsRunning => JobType == "Unbounded" || JobType == "Bounded";

    /// <summary>0 to 100 from the data processed and remaining; -1 before libvirt knows the total.</summary>
    public int Percent => DataTotal <= 0 ? -1 : (int)Math.Min(100, DataProcessed * 100 / Math.Max(1, DataProcessed + DataRemaining));

    public static MigrationProgress Parse(string output)
    {
        var progress = new MigrationProgress();
        foreach (string raw in (output ?? "").Split('\n'))
        {
            int colon = raw.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }

            string key = raw.Substring(0, colon).Trim();
            string value = raw.Substring(colon + 1).Trim();
            switch (key)
            {
                case "Job type":
                    progress.JobType = value;
                    break;
                case "Operation":
                    progress.Operation = value;
                    break;
                case "Time elapsed":
                    progress.ElapsedMs = Number(value);
                    break;
                case "Data processed":
                    progress.DataProcessed = Bytes(value);
                    break;
                case "Data remaining":
                    progress.DataRemaining = Bytes(value);
                    break;
                case "Data total":
                    progress.DataTotal = Bytes(value);
                    break;
                case "Memory bandwidth":
                    progress.MemoryBandwidth = Bytes(value);
                    break;
                case "Expected downtime":
                    progress.ExpectedDowntimeMs = Number(value);
                    break;
                case "Total downtime":
                    progress.TotalDowntimeMs = Number(value);
                    break;
                case "Iteration":
                    progress.Iteration = (int)Number(value);
                    break;
            }
        }

        return progress;
    }

    /// <summary>The last percentage in virsh migrate --verbose's output ("Migration: [ 45 %]", rewritten with \r); -1 when none.</summary>
    public static double LastVerbosePercent(string output)
    {
        double last = -1;
        foreach (string part in (output ?? "").Split(new[] { '\r', '\n' }, StringSplitOptions.RemoveEmptyEntries))
        {
            Match m = VerbosePercent.Match(part);
            if (m.Success)
            {
                last = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            }
        }

        return last;
    }

    /// <summary>A size as virsh prints it ("926.543 MiB", "113.574 MiB/s", "0 B") in bytes; 0 when unreadable.</summary>
    public static long Bytes(string text)
    {
        Match m = Size.Match(text.Trim());
        if (!m.Success)
        {
            return 0;
        }

        double n = double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
        int power = Array.IndexOf(new[] { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" }, m.Groups["u"].Value);
        return (long)Math.Round(n * Math.Pow(1024, power));
    }

    private static long Number(string text)
    {
        Match m = Amount.Match(text.Trim());
        return m.Success ? (long)double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture) : 0;
    }

    /// <summary>For Write-Progress: "412 MiB of 1.0 GiB, 113 MiB/s, 8 s".</summary>
    public string Describe()
    {
        static string Human(long bytes) => bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):0.0} GiB" : $"{bytes / (double)(1L << 20):0} MiB";
        var parts = new List<string> { $"{Human(DataProcessed)} of {Human(DataProcessed + DataRemaining)}" };
        if (MemoryBandwidth > 0)
        {
            parts.Add($"{Human(MemoryBandwidth)}/s");
        }

        if (Iteration > 1)
        {
            parts.Add($"pass {Iteration.ToString(CultureInfo.InvariantCulture)}");
        }

        parts.Add($"{ElapsedMs / 1000.0:0} s");
        return string.Join(", ", parts);
    }
}
