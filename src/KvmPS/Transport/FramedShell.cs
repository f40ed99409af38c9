using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;

namespace KvmPS.Transport;

/// <summary>Stops a running command of a shell from outside it (from another channel).</summary>
internal interface ICommandAborter
{
    /// <summary>Skips the rest of the shell's batch and signals the running commands and everything they started.</summary>
    void Abort(FramedShell shell, IReadOnlyCollection<int> commandPids, bool kill);
}

/// <summary>The host stopped answering, or its connection broke: the shell cannot be used again.</summary>
internal sealed class HostUnreachableException : IOException
{
    public HostUnreachableException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }

    /// <summary>
    /// When a batch was running: the results that arrived before the connection broke, and
    /// <see cref="CommandOutcome.Lost"/> for the others, so that callers report each item's fate.
    /// </summary>
    public BatchResult? Partial { get; set; }
}

/// <summary>
/// One long-lived shell on a host. A batch of commands is written in one go and its results
/// stream back as frames, so a batch costs one round trip whatever its size.
/// </summary>
internal sealed class FramedShell : IDisposable
{
    private static readonly TimeSpan TermGrace = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(5);
    private readonly IShellChannel _channel;
    private readonly string _marker;
    private readonly BlockingCollection<ShellFrame?> _frames = new();
    private readonly StringBuilder _stderrTail = new();
    private readonly ManualResetEventSlim _stderrEnded = new();
    private int _nextBatch;
    private volatile bool _broken;

    private FramedShell(IShellChannel channel, string marker)
    {
        _channel = channel;
        _marker = marker;
        var parser = new ShellFrameParser(marker);
        StartPump("stdout", () => PumpFrames(parser));
        StartPump("stderr", PumpStderr);
    }

    /// <summary>The uid the shell runs as (0 when elevated).</summary>
    public int UserId { get; private set; }

    /// <summary>How a command is isolated for cancelling: setsid (own session), job (own process group) or none.</summary>
    public string GroupMode { get; private set; } = "none";

    /// <summary>The shell's private temporary directory on the host.</summary>
    public string WorkDirectory { get; private set; } = "";

    public bool IsBroken => _broken;

    /// <summary>Starts the session shell on a channel and waits until it is ready.</summary>
    public static FramedShell Start(
        IChannelFactory factory, ShellElevation elevation, byte[]? sudoPassword, TimeSpan timeout, CancellationToken cancel)
    {
        string marker = ShellProtocol.NewMarker();
        IShellChannel channel = factory.Open(ShellProtocol.LaunchCommand(elevation, marker));
        var shell = new FramedShell(channel, marker);
        try
        {
            shell.Handshake(elevation, sudoPassword, timeout, cancel);
            return shell;
        }
        catch
        {
            shell.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs the commands in order; a failed command skips the rest of its group (0: no group). With
    /// <paramref name="concurrency"/> above 1, that many groups run at once on the host. On timeout
    /// or cancellation the running commands' sessions are signalled through <paramref name="aborter"/>,
    /// the rest are skipped, and the shell stays usable. Cancellation throws
    /// <see cref="OperationCanceledException"/> once the shell is idle.
    /// </summary>
    public BatchResult Run(
        IReadOnlyList<RemoteCommand> commands, IReadOnlyList<int> groups, TimeSpan timeout, ICommandAborter aborter, CancellationToken cancel,
        Action<int, CommandResult?>? progress = null, int concurrency = 1)
    {
        ThrowIfBroken();
        int batchId = ++_nextBatch;
        var results = new CommandResult?[commands.Count];
        try
        {
            return RunBatch(batchId, commands, groups, results, timeout, aborter, cancel, progress, concurrency);
        }
        catch (HostUnreachableException lost) when (lost.Partial is null)
        {
            // Commands that reported are facts; the others were sent and their fate is unknown.
            lost.Partial = new BatchResult(results.Select((r, i) => r ?? new CommandResult(commands[i], CommandOutcome.Lost, -1, null, null)).ToList());
            throw;
        }
    }

    private BatchResult RunBatch(
        int batchId, IReadOnlyList<RemoteCommand> commands, IReadOnlyList<int> groups, CommandResult?[] results, TimeSpan timeout,
        ICommandAborter aborter, CancellationToken cancel, Action<int, CommandResult?>? progress, int concurrency)
    {
        Write(ShellProtocol.RenderBatch(batchId, commands, groups, concurrency));

        var clock = Stopwatch.StartNew();
        TimeSpan deadline = timeout;
        CommandOutcome? abortReason = null;
        int abortStage = 0;
        var running = new Dictionary<int, int>();
        while (true)
        {
            ShellFrame? frame = Take(deadline - clock.Elapsed, abortReason is null ? cancel : CancellationToken.None);
            if (frame is null)
            {
                // The deadline passed, or the caller cancelled: escalate one stage at a time.
                if (abortStage == 0)
                {
                    abortReason = cancel.IsCancellationRequested ? CommandOutcome.Cancelled : CommandOutcome.TimedOut;
                    aborter.Abort(this, running.Values.ToList(), kill: false);
                    abortStage = 1;
                    deadline = clock.Elapsed + TermGrace;
                }
                else if (abortStage == 1)
                {
                    if (running.Count > 0)
                    {
                        aborter.Abort(this, running.Values.ToList(), kill: true);
                    }

                    abortStage = 2;
                    deadline = clock.Elapsed + KillGrace;
                }
                else
                {
                    MarkBroken();
                    throw new HostUnreachableException(
                        $"The host did not answer within {timeout.TotalSeconds:0.#} s and did not respond to the stop request; the connection was closed.");
                }

                continue;
            }

            switch (frame.Kind)
            {
                case ShellFrameKind.Started:
                    int started = frame.IntField(0);
                    running[started] = frame.IntField(1);
                    progress?.Invoke(started, null);
                    if (abortReason is not null)
                    {
                        // Started just before the abort landed: stop it too.
                        aborter.Abort(this, new[] { running[started] }, kill: abortStage > 1);
                    }

                    break;
                case ShellFrameKind.Result:
                    int index = frame.IntField(0);
                    CommandOutcome outcome = abortReason is not null && running.ContainsKey(index) ? abortReason.Value : CommandOutcome.Exited;
                    results[index] = new CommandResult(commands[index], outcome, frame.IntField(1), frame.Stdout, frame.Stderr);
                    progress?.Invoke(index, results[index]);
                    running.Remove(index);
                    break;
                case ShellFrameKind.Skipped:
                    int skipped = frame.IntField(0);
                    results[skipped] = new CommandResult(commands[skipped], abortReason ?? CommandOutcome.Skipped, -1, null, null);
                    break;
                case ShellFrameKind.BatchEnd:
                    if (frame.IntField(0) != batchId)
                    {
                        break;
                    }

                    var ordered = new CommandResult[commands.Count];
                    for (int i = 0; i < ordered.Length; i++)
                    {
                        ordered[i] = results[i] ?? new CommandResult(commands[i], CommandOutcome.Skipped, -1, null, null);
                    }

                    if (abortReason == CommandOutcome.Cancelled)
                    {
                        throw new OperationCanceledException(cancel);
                    }

                    return new BatchResult(ordered);
            }
        }
    }

    public void Dispose()
    {
        _broken = true;
        _channel.Dispose();
    }

    private void Handshake(ShellElevation elevation, byte[]? sudoPassword, TimeSpan timeout, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        if (elevation == ShellElevation.SudoWithPassword)
        {
            bool passwordSent = false;
            while (true)
            {
                ShellFrame? frame;
                try
                {
                    frame = Take(TimeSpan.FromMilliseconds(200), cancel);
                }
                catch (HostUnreachableException) when (passwordSent && StderrTail().Length > 0)
                {
                    // sudo exits right after "... is not in the sudoers file": a refusal to report as
                    // such (check sudo -l), not a session shell that failed to start.
                    throw new UnauthorizedAccessException("sudo refused to elevate: " + StderrTail());
                }

                cancel.ThrowIfCancellationRequested();
                if (frame is null)
                {
                    ThrowIfBroken();
                    string complaint = StderrTail();
                    if (passwordSent && complaint.Length > 0)
                    {
                        // sudo said why it refused ("Sorry, try again.", not in sudoers, needs a tty).
                        throw new UnauthorizedAccessException("sudo refused to elevate: " + complaint);
                    }

                    if (clock.Elapsed > timeout)
                    {
                        throw new TimeoutException("The host did not answer in time while waiting for sudo. " + complaint);
                    }

                    continue;
                }

                if (frame.Kind == ShellFrameKind.SudoAcknowledged)
                {
                    break;
                }

                if (frame.Kind == ShellFrameKind.SudoPasswordWanted)
                {
                    if (sudoPassword is null)
                    {
                        throw new UnauthorizedAccessException("sudo asks for a password; pass -SudoCredential.");
                    }

                    var line = new byte[sudoPassword.Length + 1];
                    Buffer.BlockCopy(sudoPassword, 0, line, 0, sudoPassword.Length);
                    line[line.Length - 1] = (byte)'\n';
                    WriteBytes(line);
                    Array.Clear(line, 0, line.Length);
                    passwordSent = true;
                }
            }
        }

        Write(ShellProtocol.Bootstrap(_marker));
        ShellFrame hello = TakeOrFail(timeout - clock.Elapsed, cancel, "starting the session shell");
        while (hello.Kind != ShellFrameKind.Hello)
        {
            hello = TakeOrFail(timeout - clock.Elapsed, cancel, "starting the session shell");
        }

        UserId = hello.IntField(0);
        GroupMode = hello.Fields[1];
        WorkDirectory = hello.Fields[2];
    }

    private ShellFrame TakeOrFail(TimeSpan wait, CancellationToken cancel, string doing)
    {
        ShellFrame? frame = Take(wait, cancel);
        cancel.ThrowIfCancellationRequested();
        if (frame is not null)
        {
            return frame;
        }

        ThrowIfBroken();
        throw new TimeoutException($"The host did not answer in time while {doing}. {StderrTail()}".Trim());
    }

    /// <summary>The next frame; null when the wait ends first. Throws when the channel closed.</summary>
    private ShellFrame? Take(TimeSpan wait, CancellationToken cancel)
    {
        if (wait < TimeSpan.Zero)
        {
            wait = TimeSpan.Zero;
        }

        ShellFrame? frame;
        try
        {
            if (!_frames.TryTake(out frame, (int)Math.Min(int.MaxValue, wait.TotalMilliseconds), cancel))
            {
                return null;
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }

        if (frame is null)
        {
            // The pump's end-of-stream sentinel: put it back for anyone else waiting.
            _frames.Add(null);
            ThrowIfBroken();
        }

        return frame;
    }

    private void ThrowIfBroken()
    {
        if (_broken)
        {
            // stdout and stderr are read by two threads: what the host printed last (sudo's "not in
            // the sudoers file") may still be on its way when stdout's end is seen.
            _stderrEnded.Wait(TimeSpan.FromSeconds(1));
            string tail = StderrTail();
            throw new HostUnreachableException(
                tail.Length == 0 ? "The session shell on the host ended (connection lost)." : "The session shell on the host ended: " + tail);
        }
    }

    private void MarkBroken()
    {
        _broken = true;
        _channel.Dispose();
    }

    private void Write(string text) => WriteBytes(Encoding.UTF8.GetBytes(text));

    private void WriteBytes(byte[] bytes)
    {
        try
        {
            _channel.Input.Write(bytes, 0, bytes.Length);
            _channel.Input.Flush();
        }
        catch (Exception e) when (e is IOException || e is ObjectDisposedException || e is InvalidOperationException)
        {
            MarkBroken();
            throw new HostUnreachableException("Could not write to the session shell on the host: " + e.Message, e);
        }
    }

    private void PumpFrames(ShellFrameParser parser)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = _channel.Output.Read(buffer, 0, buffer.Length)) > 0)
            {
                parser.Feed(buffer, 0, read);
                ShellFrame? frame;
                while ((frame = parser.Next()) is not null)
                {
                    _frames.Add(frame);
                }
            }
        }
        catch (Exception e) when (e is IOException || e is ObjectDisposedException || e is InvalidOperationException)
        {
            // The channel closed under us; the sentinel below tells the waiting reader.
        }
        finally
        {
            _broken = true;
            _frames.Add(null);
        }
    }

    private void PumpStderr()
    {
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = _channel.Error.Read(buffer, 0, buffer.Length)) > 0)
            {
                lock (_stderrTail)
                {
                    _stderrTail.Append(Encoding.UTF8.GetString(buffer, 0, read));
                    if (_stderrTail.Length > 4096)
                    {
                        _stderrTail.Remove(0, _stderrTail.Length - 4096);
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException || e is ObjectDisposedException || e is InvalidOperationException)
        {
            // Diagnostics only: losing the tail of stderr is acceptable.
        }
        finally
        {
            _stderrEnded.Set();
        }
    }

    /// <summary>What the shell itself printed on stderr lately (shell or sudo errors).</summary>
    public string StderrTail()
    {
        lock (_stderrTail)
        {
            return _stderrTail.ToString().Trim();
        }
    }

    private static void StartPump(string name, ThreadStart body)
    {
        var thread = new Thread(body) { IsBackground = true, Name = "KvmPS shell " + name };
        thread.Start();
    }
}
