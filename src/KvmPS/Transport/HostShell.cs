using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace KvmPS.Transport;

/// <summary>How a batch runs.</summary>
internal sealed class RunOptions
{
    public static readonly RunOptions Default = new();

    /// <summary>Skip the remaining commands after the first failure (a plan's steps).</summary>
    public bool StopOnError { get; set; }

    /// <summary>
    /// Independent groups in one batch (e.g. one per guest): a failed command skips the rest of its
    /// group only. One number per command, 0 for none; ignored with <see cref="StopOnError"/>.
    /// </summary>
    public IReadOnlyList<int>? Groups { get; set; }

    /// <summary>How many groups may run at once on the host (1: in order); bulk work on many guests.</summary>
    public int Concurrency { get; set; } = 1;

    /// <summary>For the whole batch; the running command is stopped when it expires.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Called as the batch advances: (index, null) when command index starts, (index, result)
    /// when it ends. Runs on the transport's thread; keep it short.
    /// </summary>
    public Action<int, CommandResult?>? Progress { get; set; }
}

/// <summary>
/// Runs batches on one host over a small pool of session shells, reconnecting when the connection
/// was lost. Parallel batches use separate channels (up to <see cref="MaxChannels"/>, within sshd's
/// MaxSessions); one more channel is kept for stopping commands.
/// </summary>
internal sealed class HostShell : ICommandAborter, IDisposable
{
    // $1 work dir, $2 signal, $3 group mode, then the commands' pids (session ids under setsid).
    private const string AbortScript =
        "touch \"$1/abort\" 2>/dev/null\n"
        + "sig=$2 mode=$3\n"
        + "shift 3\n"
        + "for p in \"$@\"; do\n"
        + "[ \"$p\" -gt 0 ] 2>/dev/null || continue\n"
        + "case \"$mode\" in\n"
        + "setsid) pkill -\"$sig\" -s \"$p\" 2>/dev/null || kill -s \"$sig\" -- \"-$p\" ;;\n"
        + "job) kill -s \"$sig\" -- \"-$p\" ;;\n"
        + "*) kill -s \"$sig\" \"$p\"; pkill -\"$sig\" -P \"$p\" 2>/dev/null ;;\n"
        + "esac\n"
        + "done\n"
        + "exit 0\n";

    private readonly Func<CancellationToken, IChannelFactory> _connect;
    private readonly ShellElevation _elevation;
    private readonly byte[]? _sudoPassword;
    private readonly TimeSpan _connectTimeout;
    private readonly SemaphoreSlim _slots;
    private readonly Stack<FramedShell> _idle = new();
    private readonly object _gate = new();
    private readonly object _controlGate = new();
    private IChannelFactory? _factory;
    private FramedShell? _control;
    private bool _disposed;
    private long _roundTrips;

    public HostShell(
        Func<CancellationToken, IChannelFactory> connect, ShellElevation elevation, byte[]? sudoPassword, int maxChannels, TimeSpan connectTimeout)
    {
        _connect = connect;
        _elevation = elevation;
        _sudoPassword = sudoPassword;
        _connectTimeout = connectTimeout;
        MaxChannels = maxChannels;
        _slots = new SemaphoreSlim(maxChannels, maxChannels);
    }

    public int MaxChannels { get; }

    /// <summary>The uid of the session shells; known after the first one started.</summary>
    public int? UserId { get; private set; }

    public bool IsConnected
    {
        get
        {
            lock (_gate)
            {
                return !_disposed && _factory is not null && _factory.IsConnected;
            }
        }
    }

    /// <summary>Batches sent to the host so far; a batch is one network round trip whatever its size.</summary>
    public long RoundTrips => Interlocked.Read(ref _roundTrips);

    /// <summary>Raised with the exact text of each command before it is sent (for -Verbose).</summary>
    public Action<string>? CommandLog { get; set; }

    /// <summary>
    /// A second, independent connection to the same host with the same credentials and elevation,
    /// not opened yet: a change that may cut this connection (a bridge) is verified through it.
    /// The caller disposes it.
    /// </summary>
    public HostShell Another(int maxChannels = 1) => new(_connect, _elevation, _sudoPassword, maxChannels, _connectTimeout);

    /// <summary>Opens the connection and the first shell now (Connect-KvmHost), not on first use.</summary>
    public void Open(CancellationToken cancel)
    {
        FramedShell shell = Acquire(cancel);
        Release(shell);
    }

    public BatchResult Run(IReadOnlyList<RemoteCommand> commands, RunOptions options, CancellationToken cancel)
    {
        return Run(commands, options, cancel, null);
    }

    public BatchResult Run(IReadOnlyList<RemoteCommand> commands, RunOptions options, CancellationToken cancel, Action<string>? log)
    {
        foreach (RemoteCommand command in commands)
        {
            (log ?? CommandLog)?.Invoke(command.ToDisplayString());
        }

        FramedShell shell = Acquire(cancel);
        try
        {
            IReadOnlyList<int> groups = options.StopOnError ? Enumerable.Repeat(1, commands.Count).ToList()
                : options.Groups ?? Enumerable.Repeat(0, commands.Count).ToList();
            if (groups.Count != commands.Count)
            {
                throw new ArgumentException("RunOptions.Groups needs one group per command.", nameof(options));
            }

            Interlocked.Increment(ref _roundTrips);
            return shell.Run(commands, groups, options.Timeout, this, cancel, options.Progress, options.Concurrency);
        }
        catch (HostUnreachableException)
        {
            // A shell that stopped answering means the connection is gone (the peer may be frozen
            // with TCP still up): drop it so the session shows Broken and the next command reconnects.
            DropConnection();
            throw;
        }
        finally
        {
            Release(shell);
        }
    }

    public BatchResult Run(RemoteCommand command, RunOptions options, CancellationToken cancel, Action<string>? log = null)
        => Run(new[] { command }, options, cancel, log);

    void ICommandAborter.Abort(FramedShell shell, IReadOnlyCollection<int> commandPids, bool kill)
    {
        var abort = new RemoteCommand(new[] { "sh", "-c", AbortScript, "kvmps-abort", shell.WorkDirectory, kill ? "KILL" : "TERM", shell.GroupMode }
            .Concat(commandPids.Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray());

        // Off the caller's thread: on a dead connection opening the control channel can take the
        // whole connect timeout, and the caller must keep counting down its own deadline.
        Task.Run(() =>
        {
            try
            {
                lock (_controlGate)
                {
                    if (_control is null || _control.IsBroken)
                    {
                        _control?.Dispose();
                        _control = FramedShell.Start(Factory(CancellationToken.None), _elevation, _sudoPassword, _connectTimeout, CancellationToken.None);
                    }

                    Interlocked.Increment(ref _roundTrips);
                    _control.Run(new[] { abort }, new[] { 0 }, TimeSpan.FromSeconds(10), this, CancellationToken.None);
                }
            }
            catch (Exception)
            {
                // Best effort by design, whatever failed (dead connection, sudo, a closed session):
                // the escalation in FramedShell.Run declares the connection dead if this never lands.
            }
        });
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            while (_idle.Count > 0)
            {
                _idle.Pop().Dispose();
            }

            _factory?.Dispose();
            _factory = null;
        }

        lock (_controlGate)
        {
            _control?.Dispose();
        }
    }

    private void DropConnection()
    {
        lock (_gate)
        {
            while (_idle.Count > 0)
            {
                _idle.Pop().Dispose();
            }

            _factory?.Dispose();
            _factory = null;
        }
    }

    private FramedShell Acquire(CancellationToken cancel)
    {
        _slots.Wait(cancel);
        try
        {
            lock (_gate)
            {
                while (_idle.Count > 0)
                {
                    FramedShell idle = _idle.Pop();
                    if (!idle.IsBroken)
                    {
                        return idle;
                    }

                    idle.Dispose();
                }
            }

            FramedShell shell = FramedShell.Start(Factory(cancel), _elevation, _sudoPassword, _connectTimeout, cancel);
            UserId = shell.UserId;
            return shell;
        }
        catch
        {
            _slots.Release();
            throw;
        }
    }

    private void Release(FramedShell shell)
    {
        lock (_gate)
        {
            if (shell.IsBroken || _disposed)
            {
                shell.Dispose();
            }
            else
            {
                _idle.Push(shell);
            }
        }

        _slots.Release();
    }

    /// <summary>The live connection, made again when it was lost (the next command reconnects).</summary>
    private IChannelFactory Factory(CancellationToken cancel)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                throw new ObjectDisposedException(nameof(HostShell), "The session was closed.");
            }

            if (_factory is null || !_factory.IsConnected)
            {
                _factory?.Dispose();
                _factory = null;
                while (_idle.Count > 0)
                {
                    _idle.Pop().Dispose();
                }

                _factory = _connect(cancel);
            }

            return _factory;
        }
    }
}
