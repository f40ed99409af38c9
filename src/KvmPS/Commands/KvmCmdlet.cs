using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using KvmPS.Sessions;
using KvmPS.Transport;

namespace KvmPS.Commands;

/// <summary>
/// Base of every KvmPS cmdlet: one cancellation token, cancelled by Ctrl+C (StopProcessing), that
/// reaches every remote call; parallel work whose output is written on the pipeline thread; and
/// one mapping from failures to ErrorRecords.
/// </summary>
public abstract class KvmCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();

    protected CancellationToken StopToken => _stopping.Token;

    public void Dispose()
    {
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }

    protected override void StopProcessing() => _stopping.Cancel();

    /// <summary>
    /// Runs <paramref name="work"/> for every item, at most <paramref name="throttle"/> at once,
    /// writing their output, errors, verbose messages and progress as they arrive. A failed item is
    /// one error record; the rest go on.
    /// </summary>
    internal void RunParallel<T>(
        IReadOnlyList<T> items, int throttle, string activity, Func<T, string> describe, Action<T, WorkContext> work, Func<T, object?>? errorTarget = null)
    {
        if (items.Count == 0)
        {
            return;
        }

        var queue = new BlockingCollection<Action>();
        var slots = new SemaphoreSlim(Math.Max(1, throttle));
        int done = 0;
        int activityId = ActivityId(activity);
        var tasks = new List<Task>();
        foreach (T item in items)
        {
            tasks.Add(Task.Run(() =>
            {
                var context = new WorkContext(this, queue, StopToken);
                try
                {
                    slots.Wait(StopToken);
                    try
                    {
                        work(item, context);
                    }
                    finally
                    {
                        slots.Release();
                    }
                }
                catch (OperationCanceledException) when (StopToken.IsCancellationRequested)
                {
                    // Ctrl+C: the remote side was already stopped by the transport.
                }
                catch (Exception e)
                {
                    context.Error(e, errorTarget is null ? item : errorTarget(item));
                }
                finally
                {
                    int finished = Interlocked.Increment(ref done);
                    if (items.Count > 1)
                    {
                        int percent = finished * 100 / items.Count;
                        string status = $"{finished} of {items.Count} done ({describe(item)})";
                        queue.Add(() => WriteProgress(new ProgressRecord(activityId, activity, status) { PercentComplete = percent }));
                    }
                }
            }));
        }

        Task.WhenAll(tasks).ContinueWith(_ => queue.CompleteAdding(), TaskScheduler.Default);
        try
        {
            foreach (Action write in queue.GetConsumingEnumerable(StopToken))
            {
                write();
            }
        }
        catch (OperationCanceledException)
        {
            // Let the workers stop their remote commands before the pipeline goes away.
            Task.WaitAll(tasks.ToArray(), TimeSpan.FromSeconds(15));
            throw new PipelineStoppedException();
        }
        finally
        {
            if (items.Count > 1)
            {
                WriteProgress(new ProgressRecord(activityId, activity, "Done") { RecordType = ProgressRecordType.Completed });
            }
        }
    }

    /// <summary>Writes a non-terminating error for one failed item.</summary>
    internal void WriteFailure(Exception exception, object? target) => WriteError(ToErrorRecord(exception, target));

    internal static ErrorRecord ToErrorRecord(Exception exception, object? target)
    {
        if (exception is AggregateException aggregate && aggregate.InnerExceptions.Count == 1)
        {
            exception = aggregate.InnerExceptions[0];
        }

        KvmException mapped = exception switch
        {
            KvmException known => known,
            HostConnectException refused => new KvmException("ConnectionFailed", ErrorCategory.ConnectionError, refused.Message,
                "Check that the host is up, reachable and that sshd listens; the next command reconnects on its own.", refused),
            HostUnreachableException lost => new KvmException("HostUnreachable", ErrorCategory.ConnectionError, lost.Message,
                "Check that the host is up and reachable; the next command reconnects on its own.", lost),
            TimeoutException slow => new KvmException("OperationTimedOut", ErrorCategory.OperationTimeout, slow.Message,
                "Retry; if it keeps happening, check the host's load and its network.", slow),
            ArgumentException bad => new KvmException("InvalidArgument", ErrorCategory.InvalidArgument, bad.Message,
                "Correct the value and run the command again.", bad),
            UnauthorizedAccessException denied => new KvmException("AccessDenied", ErrorCategory.PermissionDenied, denied.Message,
                "Connect as root, or as a user with sudo rights (-SudoCredential when sudo asks for a password).", denied),
            _ => new KvmException("UnexpectedError", ErrorCategory.NotSpecified, exception.Message,
                "This is probably a bug in KvmPS; please report it with the output of -Verbose.", exception),
        };
        // A missing privilege is named as such, whichever step ran into it.
        return (PrivilegeFailures.Classify(mapped, target) ?? mapped).ToErrorRecord(target);
    }

    // Stable per activity so that Write-Progress bars of the same work replace each other.
    private static int ActivityId(string activity)
    {
        int hash = 17;
        foreach (char c in activity)
        {
            hash = unchecked(hash * 31 + c);
        }

        return (hash & 0x7fff) + 1;
    }
}

/// <summary>What a parallel work item may do: everything is queued for the pipeline thread.</summary>
internal sealed class WorkContext
{
    private readonly Cmdlet _owner;
    private readonly BlockingCollection<Action> _queue;

    public WorkContext(Cmdlet owner, BlockingCollection<Action> queue, CancellationToken cancel)
    {
        _owner = owner;
        _queue = queue;
        Cancel = cancel;
    }

    public CancellationToken Cancel { get; }

    public void Output(object value) => _queue.Add(() => _owner.WriteObject(value));

    /// <summary>Writes several objects together, so another host's output cannot land between them.</summary>
    public void OutputAll(IEnumerable<object> values)
    {
        var list = new List<object>(values);
        _queue.Add(() =>
        {
            foreach (object value in list)
            {
                _owner.WriteObject(value);
            }
        });
    }

    public void Progress(ProgressRecord record) => _queue.Add(() => _owner.WriteProgress(record));

    // Background work started by one parallel step (e.g. a probe shared by later steps) may log after
    // that step's queue is done: such a message is dropped, not an error.
    public void Verbose(string message)
    {
        if (!_queue.IsAddingCompleted)
        {
            try
            {
                _queue.Add(() => _owner.WriteVerbose(message));
            }
            catch (InvalidOperationException)
            {
                // Completed between the check and the add.
            }
        }
    }

    /// <summary>A verbose writer that names the host, for the exact commands sent to it.</summary>
    public Action<string> VerboseFor(string computerName) => message => Verbose($"[{computerName}] {message}");

    public void Warning(string message) => _queue.Add(() => _owner.WriteWarning(message));

    public void Error(Exception exception, object? target)
    {
        ErrorRecord record = KvmCmdlet.ToErrorRecord(exception, target);
        _queue.Add(() => _owner.WriteError(record));
    }
}
