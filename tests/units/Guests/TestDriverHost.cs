using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using KvmPS.Transport;
using Xunit;

namespace KvmPS.Tests.Guests;

/// <summary>
/// A fake KVM host for the embedded guest scripts: the real virsh (skipped where it is not
/// installed) against libvirt's test driver (Fixtures/testdriver-node.xml: guests, networks and
/// a 'default' dir pool in a temporary directory). A virsh wrapper first in PATH turns the
/// scripts' "-c qemu:///system" into "-c test:///node.xml"; everything else is unchanged.
/// </summary>
internal sealed class TestDriverHost : IDisposable
{
    private readonly string _bin;

    public TestDriverHost(string poolName = "default")
    {
        string virsh = Which("virsh");
        Skip.If(virsh.Length == 0, "virsh is not installed here");
        Root = Path.Combine(Path.GetTempPath(), "kvmps-testdriver-" + Guid.NewGuid().ToString("N"));
        Pool = Path.Combine(Root, "images");
        _bin = Path.Combine(Root, "bin");
        Directory.CreateDirectory(Pool);
        Directory.CreateDirectory(_bin);
        string node = GuestFixtures.Text("testdriver-node.xml").Replace("@POOL@", Pool)
            .Replace("<pool type='dir'>\n    <name>default</name>", $"<pool type='dir'>\n    <name>{poolName}</name>");
        Assert.Contains($"<name>{poolName}</name>", node);
        File.WriteAllText(Path.Combine(Root, "node.xml"), node);
        string wrapper = "#!/bin/sh\nfor x in \"$@\"; do\n  [ \"$x\" = qemu:///system ] && x=test://" + Path.Combine(Root, "node.xml") + "\n"
            + "  set -- \"$@\" \"$x\"; shift\ndone\nexec " + virsh + " \"$@\"\n";
        string path = Path.Combine(_bin, "virsh");
        File.WriteAllText(path, wrapper);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public string Root { get; }

    /// <summary>The 'default' pool's directory.</summary>
    public string Pool { get; }

    /// <summary>Runs an embedded script as KvmPS does (sh -s -- args, script on stdin).</summary>
    public (int Code, string Stdout, string Stderr) Script(string name, params string[] args)
    {
        RemoteCommand command = RemoteCommand.Script(name, args);
        return Run(command.Argv[0], command.Argv.Skip(1).ToArray(), Encoding.UTF8.GetString(command.Stdin!));
    }

    /// <summary>Runs a program with the wrapper first in PATH and the C locale (virsh's English output).</summary>
    public (int Code, string Stdout, string Stderr) Run(string program, string[] args, string? stdin = null)
        => Run(program, args, Encoding.UTF8.GetBytes(stdin ?? ""));

    /// <summary>A command as a plan holds it (argv and stdin bytes), run here under an SSH session's usual umask 022.</summary>
    public (int Code, string Stdout, string Stderr) Run(RemoteCommand command)
        => Run("sh", new[] { "-c", "umask 022; exec \"$@\"", "sh" }.Concat(command.Argv).ToArray(), command.Stdin ?? new byte[0]);

    public (int Code, string Stdout, string Stderr) Run(string program, string[] args, byte[] stdin)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["PATH"] = _bin + ":" + Environment.GetEnvironmentVariable("PATH");
        info.Environment["LC_ALL"] = "C";
        info.Environment["LANG"] = "C";
        using Process process = Process.Start(info)!;
        process.StandardInput.BaseStream.Write(stdin, 0, stdin.Length);
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(60_000), $"{program} did not finish in 60 s");
        return (process.ExitCode, stdout, stderr.Result);
    }

    /// <summary>The full path of a program in PATH, or "".</summary>
    public static string Which(string program)
        => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists) ?? "";

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
