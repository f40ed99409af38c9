using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

namespace KvmPS.Transport;

/// <summary>
/// Renders batches for the session shell (see Scripts/shell-bootstrap.sh for the framing) and
/// builds the command lines that start that shell, elevated or not.
/// </summary>
internal static class ShellProtocol
{
    // printf's format string grows about 4x for binary input; keep each line short enough for
    // every shell's line reader.
    private const int StdinChunk = 1024;

    public static string NewMarker()
    {
        var bytes = new byte[12];
        using (var rng = RandomNumberGenerator.Create())
        {
            rng.GetBytes(bytes);
        }

        var text = new StringBuilder("KvmPS-");
        foreach (byte b in bytes)
        {
            text.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }

        return text.ToString();
    }

    public static string Bootstrap(string marker)
        => "__k_m=" + PosixQuote.Quote(marker) + "\n" + EmbeddedScripts.Read("shell-bootstrap.sh") + "\n";

    /// <summary>
    /// The shell text of one batch: begin, every command (with its input and its group), end.
    /// A failed command skips the rest of its group; group 0 means no group. With a
    /// <paramref name="concurrency"/> above 1, up to that many groups run at once, each in order;
    /// a command of group 0 runs alone once the groups before it have ended (e.g. a wait for all).
    /// </summary>
    public static string RenderBatch(int batchId, IReadOnlyList<RemoteCommand> commands, IReadOnlyList<int> groups, int concurrency = 1)
    {
        var text = new StringBuilder();
        text.Append("__k_b\n");
        if (concurrency <= 1)
        {
            for (int i = 0; i < commands.Count; i++)
            {
                AppendCommand(text, commands, groups, i, "");
            }
        }
        else
        {
            bool inSection = false;
            foreach (List<int> unit in ConcurrentUnits(groups))
            {
                if (groups[unit[0]] == 0)
                {
                    // A command of no group runs alone, between the groups before and after it.
                    if (inSection)
                    {
                        text.Append("__k_ce\n");
                        inSection = false;
                    }

                    AppendCommand(text, commands, groups, unit[0], "");
                    continue;
                }

                if (!inSection)
                {
                    text.Append("__k_cb ").Append(concurrency).Append('\n');
                    inSection = true;
                }

                foreach (int i in unit.Where(i => commands[i].Stdin is not null))
                {
                    AppendStdinFile(text, commands[i].Stdin!, i);
                }

                // Unit numbers are the first index: unique, whatever the group ids.
                text.Append("__k_cs ").Append(unit[0]).Append("\n(\n");
                foreach (int i in unit)
                {
                    AppendCommand(text, commands, groups, i, "    ", stdinWritten: true);
                }

                text.Append("    __k_cf ").Append(unit[0]).Append("\n) >\"$__k_t/f.").Append(unit[0]).Append("\" &\n");
            }

            if (inSection)
            {
                text.Append("__k_ce\n");
            }
        }

        text.Append("__k_e ").Append(batchId).Append('\n');
        return text.ToString();
    }

    /// <summary>The commands that run together, in order: each group's, and each group-0 command alone.</summary>
    private static IEnumerable<List<int>> ConcurrentUnits(IReadOnlyList<int> groups)
    {
        var byGroup = new Dictionary<int, List<int>>();
        var units = new List<List<int>>();
        for (int i = 0; i < groups.Count; i++)
        {
            if (groups[i] == 0)
            {
                units.Add(new List<int> { i });
            }
            else if (byGroup.TryGetValue(groups[i], out List<int>? unit))
            {
                unit.Add(i);
            }
            else
            {
                byGroup[groups[i]] = unit = new List<int> { i };
                units.Add(unit);
            }
        }

        return units;
    }

    private static void AppendCommand(StringBuilder text, IReadOnlyList<RemoteCommand> commands, IReadOnlyList<int> groups, int i, string indent, bool stdinWritten = false)
    {
        RemoteCommand command = commands[i];
        if (command.Stdin is not null && !stdinWritten)
        {
            AppendStdinFile(text, command.Stdin, i);
        }

        text.Append(indent).Append("__k_x ").Append(i).Append(command.Stdin is null ? " 0 " : " 1 ").Append(groups[i]).Append(' ');
        text.Append(PosixQuote.Join(command.Argv)).Append('\n');
    }

    // The input is written by printf, a builtin in every shell we start, so it never shows up on a
    // command line. Printable ASCII stays readable; everything else becomes a 3-digit octal escape,
    // and so does a '-' that starts a chunk: printf would take the format for an option.
    private static void AppendStdinFile(StringBuilder text, byte[] stdin, int index)
    {
        string file = "\"$__k_t/in." + index.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\"";
        text.Append(": >").Append(file).Append('\n');
        int start = 0;
        while (start < stdin.Length)
        {
            int end = Math.Min(stdin.Length, start + StdinChunk);
            text.Append("printf '");
            for (int i = start; i < end; i++)
            {
                byte b = stdin[i];
                if (b == (byte)'\\')
                {
                    text.Append("\\\\");
                }
                else if (b == (byte)'%')
                {
                    text.Append("%%");
                }
                else if (b >= 0x20 && b < 0x7f && b != (byte)'\'' && !(b == (byte)'-' && i == start))
                {
                    text.Append((char)b);
                }
                else
                {
                    text.Append('\\').Append(Convert.ToString(b, 8).PadLeft(3, '0'));
                }
            }

            text.Append("' >>").Append(file).Append('\n');
            start = end;
        }
    }

    /// <summary>
    /// The command line a channel runs to start the session shell. It is run by the user's login
    /// shell (which may be csh or fish), so it hands everything to /bin/sh at once.
    /// </summary>
    public static string LaunchCommand(ShellElevation elevation, string marker)
    {
        const string Start = "exec /bin/sh";
        string ack = "printf '\\n%s A\\n' " + PosixQuote.Quote(marker);
        string script = elevation switch
        {
            ShellElevation.None => Start,

            // Elevate when sudo allows it without a password; otherwise stay unprivileged: the
            // hello frame reports the uid the shell really has.
            ShellElevation.SudoIfAvailable =>
                "if [ \"$(id -u)\" != 0 ] && sudo -n true 2>/dev/null; then exec sudo -n -- /bin/sh -c "
                + PosixQuote.Quote(Start) + "; fi; " + Start,

            // The client sends the password only after the W frame, and only sudo -S reads it, so
            // it can never reach a shell. A wrong password costs one failed attempt: the client
            // closes the channel on anything but the A frame.
            ShellElevation.SudoWithPassword =>
                "if [ \"$(id -u)\" = 0 ]; then " + ack + "; " + Start + "; fi; "
                + "if sudo -n true 2>/dev/null; then exec sudo -n -- /bin/sh -c " + PosixQuote.Quote(ack + "; " + Start) + "; fi; "
                + "printf '\\n%s W\\n' " + PosixQuote.Quote(marker) + "; "
                + "exec sudo -S -p '' -- /bin/sh -c " + PosixQuote.Quote(ack + "; " + Start),

            _ => throw new ArgumentOutOfRangeException(nameof(elevation)),
        };

        return "exec /bin/sh -c " + PosixQuote.Quote(script);
    }
}

internal enum ShellElevation
{
    None,
    SudoIfAvailable,
    SudoWithPassword,
}

internal static class EmbeddedScripts
{
    public static string Read(string name)
    {
        using Stream? stream = typeof(EmbeddedScripts).Assembly.GetManifestResourceStream("KvmPS.Scripts." + name);
        if (stream is null)
        {
            throw new InvalidOperationException($"The embedded script '{name}' is missing from the KvmPS assembly.");
        }

        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
