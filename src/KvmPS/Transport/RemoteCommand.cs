using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace KvmPS.Transport;

/// <summary>
/// One program to run on a host: an argv list (never a shell string) and optional bytes for its
/// standard input. Input bytes travel inside the session's shell stream and are written by the
/// shell's printf builtin, so they never appear on any process's command line.
/// </summary>
internal sealed class RemoteCommand
{
    public RemoteCommand(IReadOnlyList<string> argv, byte[]? stdin = null, bool stdinIsSecret = false, string? stdinName = null)
    {
        if (argv is null || argv.Count == 0)
        {
            throw new ArgumentException("A command needs at least a program name.", nameof(argv));
        }

        foreach (string word in argv)
        {
            if (word is null)
            {
                throw new ArgumentException("A command argument cannot be null.", nameof(argv));
            }

            if (word.IndexOf('\0') >= 0)
            {
                throw new ArgumentException("A command argument cannot contain a NUL character.", nameof(argv));
            }
        }

        Argv = argv.ToArray();
        Stdin = stdin;
        StdinIsSecret = stdinIsSecret;
        StdinName = stdinName;
    }

    public IReadOnlyList<string> Argv { get; }

    public byte[]? Stdin { get; }

    /// <summary>When true, the input is never shown (verbose output shows its length only).</summary>
    public bool StdinIsSecret { get; }

    /// <summary>What the input is (an embedded script's name), for verbose output.</summary>
    public string? StdinName { get; }

    public static RemoteCommand Of(params string[] argv) => new(argv);

    /// <summary>Runs an embedded script (Scripts/*.sh) with sh, fed on stdin, arguments as positional parameters.</summary>
    public static RemoteCommand Script(string name, params string[] args)
    {
        var argv = new List<string> { "sh", "-s", "--" };
        argv.AddRange(args);
        return new RemoteCommand(argv, Encoding.UTF8.GetBytes(EmbeddedScripts.Read(name)), stdinName: name);
    }

    /// <summary>The exact shell text the host receives for the argv, as shown by -Verbose/-WhatIf.</summary>
    public string ToDisplayString()
    {
        string text = PosixQuote.Join(Argv);
        if (Stdin is null)
        {
            return text;
        }

        return StdinIsSecret ? $"{text} < (secret input, {Stdin.Length} bytes)"
            : StdinName is not null ? $"{text} < {StdinName} ({Stdin.Length} bytes)"
            : $"{text} < (input, {Stdin.Length} bytes)";
    }

    public override string ToString() => ToDisplayString();
}
