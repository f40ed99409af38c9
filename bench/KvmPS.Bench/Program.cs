using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Text.Json;
using System.Threading;
using KvmPS.Security;
using KvmPS.Transport;

namespace KvmPS.Bench;

/// <summary>
/// Transport benchmark: round trips per single command and per batch of 50 commands, through a
/// latency-injecting proxy in front of a lab host's sshd, next to plain `ssh host cmd` and an
/// OpenSSH ControlMaster channel. Usage (lab up, as root):
///   dotnet run --project bench/KvmPS.Bench -c Release -- transport [--delays 0,25] [--iterations 15]
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "proxy")
        {
            return RunProxy(args);
        }

        if (args.Length == 0 || args[0] != "transport")
        {
            Console.Error.WriteLine("usage: KvmPS.Bench transport [--delays 0,25] [--iterations 15] [--filter text] [--lab tests/lab/.state/lab.json]");
            Console.Error.WriteLine("       KvmPS.Bench proxy --target <ip>:<port> [--delay <ms>] [--port 0]");
            return 2;
        }

        string labJson = Option(args, "--lab") ?? Path.Combine(RepoRoot(), "tests/lab/.state/lab.json");
        int[] delays = (Option(args, "--delays") ?? "0,25").Split(',').Select(int.Parse).ToArray();
        int iterations = int.Parse(Option(args, "--iterations") ?? "15");
        string filter = Option(args, "--filter") ?? "";
        using JsonDocument lab = JsonDocument.Parse(File.ReadAllText(labJson));
        JsonElement host = lab.RootElement.GetProperty("hosts")[0];
        string address = host.GetProperty("address").GetString()!;
        string keyFile = lab.RootElement.GetProperty("keyFile").GetString()!;
        string knownHosts = lab.RootElement.GetProperty("knownHosts").GetString()!;

        using var proxy = new LatencyProxy(new IPEndPoint(IPAddress.Parse(address), 22));
        string proxyKnownHosts = ProxyKnownHosts(knownHosts, address, proxy.Port);
        var bench = new TransportBench(proxy, keyFile, proxyKnownHosts, iterations);
        Console.WriteLine($"Transport benchmark: lab host {address} behind a latency proxy on 127.0.0.1:{proxy.Port}; {iterations} iterations, medians.");
        Console.WriteLine($"Machine: {Environment.ProcessorCount} CPUs, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}.");
        Console.WriteLine();
        Console.WriteLine("Round trips = (median at this delay - median at 0 ms) / RTT, so time spent running the commands does not count.");
        Console.WriteLine();
        Console.WriteLine("| method | one-way delay | median ms | round trips | turns seen by the proxy |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        var baseline = new Dictionary<string, double>();
        foreach (int delay in delays)
        {
            proxy.OneWayDelay = TimeSpan.FromMilliseconds(delay);
            foreach (Measurement m in bench.Run(filter))
            {
                string rtts = "-";
                if (delay == 0)
                {
                    baseline[m.Method] = m.MedianMs;
                }
                else if (baseline.TryGetValue(m.Method, out double zero))
                {
                    rtts = ((m.MedianMs - zero) / (2.0 * delay)).ToString("0.0");
                }

                Console.WriteLine($"| {m.Method} | {delay} ms | {m.MedianMs:0.0} | {rtts} | {m.Turns:0.#} |");
            }
        }

        File.Delete(proxyKnownHosts);
        return 0;
    }

    /// <summary>
    /// The latency proxy on its own, for scripts (bench/Guests.Bench.ps1): prints "port N" and runs
    /// until stdin closes or the process is killed. Lines on stdin: "delay MS" sets the one-way
    /// delay, "turns" prints the round trips seen since the last "reset"; each is answered with one line.
    /// </summary>
    private static int RunProxy(string[] args)
    {
        string? target = Option(args, "--target");
        if (target is null || !IPEndPoint.TryParse(target, out IPEndPoint? endPoint))
        {
            Console.Error.WriteLine("usage: KvmPS.Bench proxy --target <ip>:<port> [--delay <ms>] [--port 0]");
            return 2;
        }

        using var proxy = new LatencyProxy(endPoint, int.Parse(Option(args, "--port") ?? "0"))
        {
            OneWayDelay = TimeSpan.FromMilliseconds(double.Parse(Option(args, "--delay") ?? "0", System.Globalization.CultureInfo.InvariantCulture)),
        };
        Console.WriteLine($"port {proxy.Port}");
        string? line;
        while ((line = Console.In.ReadLine()) is not null)
        {
            string[] words = line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            switch (words.Length > 0 ? words[0] : "")
            {
                case "delay" when words.Length == 2 && double.TryParse(words[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double ms):
                    proxy.OneWayDelay = TimeSpan.FromMilliseconds(ms);
                    Console.WriteLine($"delay {ms}");
                    break;
                case "turns":
                    Console.WriteLine($"turns {proxy.RoundTrips}");
                    break;
                case "reset":
                    proxy.ResetCount();
                    Console.WriteLine("reset");
                    break;
                case "":
                    break;
                default:
                    Console.WriteLine("error: expected 'delay MS', 'turns' or 'reset'");
                    break;
            }
        }

        return 0;
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static string RepoRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "KvmPS.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir ?? Directory.GetCurrentDirectory();
    }

    // The lab's keys for the host, re-labelled [127.0.0.1]:port so that both clients check them.
    private static string ProxyKnownHosts(string knownHosts, string address, int port)
    {
        string path = Path.Combine(Path.GetTempPath(), $"kvmps-bench-known_hosts-{port}");
        var lines = File.ReadAllLines(knownHosts)
            .Where(l => l.Split(' ')[0].Split(',').Contains(address))
            .Select(l => $"[127.0.0.1]:{port} " + string.Join(" ", l.Split(' ').Skip(1)));
        File.WriteAllLines(path, lines);
        return path;
    }
}

internal sealed record Measurement(string Method, double MedianMs, double Turns);

internal sealed class TransportBench
{
    private const int BatchSize = 50;
    private readonly LatencyProxy _proxy;
    private readonly string _keyFile;
    private readonly string _knownHosts;
    private readonly int _iterations;

    public TransportBench(LatencyProxy proxy, string keyFile, string knownHosts, int iterations)
    {
        _proxy = proxy;
        _keyFile = keyFile;
        _knownHosts = knownHosts;
        _iterations = iterations;
    }

    private string _filter = "";

    /// <summary>Runs the methods whose name contains <paramref name="filter"/> (all when empty).</summary>
    public IEnumerable<Measurement> Run(string filter)
    {
        _filter = filter;
        return RunAll().Where(m => m is not null)!;
    }

    private IEnumerable<Measurement?> RunAll()
    {
        HostShell? shell = null;
        yield return Measure("KvmPS: connect + session shell", Math.Max(3, _iterations / 3), () =>
        {
            shell?.Dispose();
            shell = Connect();
            shell.Open(CancellationToken.None);
        });

        using (shell)
        {
            var one = new[] { RemoteCommand.Of("true") };
            var fifty = Enumerable.Range(0, BatchSize).Select(i => RemoteCommand.Of("echo", i.ToString())).ToArray();
            yield return Measure("KvmPS: 1 command (open session)", _iterations, () => Check(shell!.Run(one, RunOptions.Default, CancellationToken.None)));
            yield return Measure($"KvmPS: batch of {BatchSize} commands", _iterations, () => Check(shell!.Run(fifty, RunOptions.Default, CancellationToken.None)));
            yield return Measure($"KvmPS: {BatchSize} commands one call each", 2, () =>
            {
                foreach (RemoteCommand c in fifty)
                {
                    Check(shell!.Run(new[] { c }, RunOptions.Default, CancellationToken.None));
                }
            });
        }

        string[] ssh = SshArguments();
        yield return Measure("ssh host cmd (new connection)", Math.Max(3, _iterations / 3), () => Exec("ssh", ssh.Append("true")));
        yield return Measure($"ssh host: {BatchSize} commands, one connection each", 1, () =>
        {
            for (int i = 0; i < BatchSize; i++)
            {
                Exec("ssh", ssh.Append("echo").Append(i.ToString()));
            }
        });
        yield return Measure($"ssh host 'cmd1; ...; cmd{BatchSize}' (one script)", Math.Max(3, _iterations / 3),
            () => Exec("ssh", ssh.Append(string.Join("; ", Enumerable.Range(0, BatchSize).Select(i => $"echo {i}")))));

        string control = Path.Combine(Path.GetTempPath(), $"kvmps-bench-cm-{Environment.ProcessId}");
        string[] master = ssh.Concat(new[] { "-o", "ControlMaster=yes", "-o", $"ControlPath={control}", "-f", "-N" }).ToArray();
        string[] channel = ssh.Concat(new[] { "-o", "ControlMaster=no", "-o", $"ControlPath={control}" }).ToArray();
        if (!"ssh ControlMaster".Contains(_filter, StringComparison.OrdinalIgnoreCase) && !_filter.Contains("ControlMaster", StringComparison.OrdinalIgnoreCase))
        {
            yield break;
        }

        Exec("ssh", master);
        try
        {
            yield return Measure("ssh ControlMaster channel per cmd", _iterations, () => Exec("ssh", channel.Append("true")));
            yield return Measure($"ssh ControlMaster: {BatchSize} channels", 2, () =>
            {
                for (int i = 0; i < BatchSize; i++)
                {
                    Exec("ssh", channel.Append("echo").Append(i.ToString()));
                }
            });
        }
        finally
        {
            Exec("ssh", channel.Concat(new[] { "-O", "exit" }), check: false);
        }
    }

    private HostShell Connect()
    {
        var options = new SshConnectOptions
        {
            Host = "127.0.0.1",
            Port = _proxy.Port,
            UserName = "root",
            KeyFiles = new[] { new SshKeyFile(_keyFile, null) },
            ConnectTimeout = TimeSpan.FromSeconds(30),
            VerifyHostKey = (algorithm, blob) => KnownHosts.Check(new[] { _knownHosts }, new[] { "127.0.0.1" }, _proxy.Port,
                new PresentedHostKey(algorithm, blob), DateTimeOffset.UtcNow).Status == HostKeyStatus.Trusted,
        };
        var connector = new KvmPS.Ssh.SshConnector();
        return new HostShell(cancel => connector.Connect(options, cancel), ShellElevation.None, null, 4, TimeSpan.FromSeconds(30));
    }

    private string[] SshArguments() => new[]
    {
        "-p", _proxy.Port.ToString(), "-i", _keyFile, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes",
        "-o", $"UserKnownHostsFile={_knownHosts}", "-o", "GlobalKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
        "-F", "/dev/null", "root@127.0.0.1",
    };

    private Measurement? Measure(string method, int iterations, Action action)
    {
        if (!method.Contains(_filter, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        action(); // warm-up: JIT, caches, the first connection
        var times = new List<double>();
        var turns = new List<double>();
        for (int i = 0; i < iterations; i++)
        {
            _proxy.ResetCount();
            var clock = Stopwatch.StartNew();
            action();
            times.Add(clock.Elapsed.TotalMilliseconds);
            turns.Add(_proxy.RoundTrips);
        }

        return new Measurement(method, Median(times), Median(turns));
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        int n = values.Count;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }

    private static void Check(BatchResult result)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException("A benchmark command failed: " + result.Results.First(r => !r.Succeeded).Describe());
        }
    }

    private static void Exec(string file, IEnumerable<string> args, bool check = true)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        using Process p = Process.Start(start)!;
        p.StandardOutput.ReadToEnd();
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (check && p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {err}");
        }
    }
}
