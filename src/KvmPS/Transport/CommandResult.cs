using System.Collections.Generic;
using System.Text;

namespace KvmPS.Transport;

internal enum CommandOutcome
{
    /// <summary>The program ran and exited; see ExitCode.</summary>
    Exited,

    /// <summary>Not run: an earlier command of a stop-on-error batch failed, or the batch was aborted.</summary>
    Skipped,

    /// <summary>Killed because the call's timeout expired.</summary>
    TimedOut,

    /// <summary>Killed because the caller cancelled (Ctrl+C).</summary>
    Cancelled,

    /// <summary>
    /// The connection broke before its result arrived: it may have run, be running, or never start
    /// (the whole batch was already on the host). Unknown, never a failure or a success.
    /// </summary>
    Lost,
}

/// <summary>What one command of a batch did on the host.</summary>
internal sealed class CommandResult
{
    private static readonly byte[] Empty = new byte[0];

    public CommandResult(RemoteCommand command, CommandOutcome outcome, int exitCode, byte[]? stdout, byte[]? stderr)
    {
        Command = command;
        Outcome = outcome;
        ExitCode = exitCode;
        Stdout = stdout ?? Empty;
        Stderr = stderr ?? Empty;
    }

    public RemoteCommand Command { get; }

    public CommandOutcome Outcome { get; }

    /// <summary>The exit status (128+N when killed by signal N); -1 when the command never ran.</summary>
    public int ExitCode { get; }

    public byte[] Stdout { get; }

    public byte[] Stderr { get; }

    public bool Succeeded => Outcome == CommandOutcome.Exited && ExitCode == 0;

    public string StdoutText => Encoding.UTF8.GetString(Stdout);

    public string StderrText => Encoding.UTF8.GetString(Stderr);

    /// <summary>A one-line reason for a failure, for error messages.</summary>
    public string Describe()
    {
        string what = Command.ToDisplayString();
        switch (Outcome)
        {
            case CommandOutcome.Skipped:
                return $"'{what}' was not run because an earlier step failed.";
            case CommandOutcome.TimedOut:
                return $"'{what}' did not finish in time and was stopped.";
            case CommandOutcome.Cancelled:
                return $"'{what}' was stopped because the operation was cancelled.";
            case CommandOutcome.Lost:
                return $"the connection was lost before '{what}' reported its result.";
        }

        string detail = StderrText.Trim();
        if (detail.Length == 0)
        {
            detail = StdoutText.Trim();
        }

        if (detail.Length > 500)
        {
            detail = detail.Substring(0, 500) + "...";
        }

        return detail.Length == 0
            ? $"'{what}' exited with status {ExitCode}."
            : $"'{what}' exited with status {ExitCode}: {detail}";
    }
}

/// <summary>The results of a batch, in command order.</summary>
internal sealed class BatchResult
{
    public BatchResult(IReadOnlyList<CommandResult> results)
    {
        Results = results;
    }

    public IReadOnlyList<CommandResult> Results { get; }

    public CommandResult this[int index] => Results[index];

    public bool Succeeded
    {
        get
        {
            foreach (CommandResult result in Results)
            {
                if (!result.Succeeded)
                {
                    return false;
                }
            }

            return true;
        }
    }
}
