using System;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using KvmPS.Sessions;

namespace KvmPS.Commands;

/// <summary>
/// The hosts a cmdlet call names, collected across pipeline input: names (-ComputerName, pooled or
/// opened sessions) and sessions. The local machine when none was named.
/// </summary>
internal sealed class HostTargets
{
    private readonly List<object> _targets = new();

    public int Count => _targets.Count;

    public void Add(IEnumerable<string> names) => _targets.AddRange(names);

    public void Add(IEnumerable<KvmSession> sessions) => _targets.AddRange(sessions);

    /// <summary>-Session when given, else -ComputerName (a cmdlet's two ways of naming hosts).</summary>
    public void Add(IEnumerable<KvmSession>? sessions, IEnumerable<string>? names)
    {
        if (sessions is not null)
        {
            Add(sessions);
        }
        else if (names is not null)
        {
            Add(names);
        }
    }

    /// <summary>A guest's host: its own session while open, else its computer name.</summary>
    public static object Of(KvmGuest guest) => Of(guest.Session, guest.ComputerName);

    /// <summary>An object's host (a guest's, a bridge's...): its own session while open, else its computer name.</summary>
    public static object Of(KvmSession? session, string computerName)
        => session is { Connection: not null, State: not KvmSessionState.Closed } ? session : computerName;

    public static string Key(object target)
        => target is KvmSession s ? "#" + s.Id.ToString(CultureInfo.InvariantCulture) : ((string)target).ToLowerInvariant();

    public static string Describe(object target) => target is KvmSession s ? s.ComputerName : (string)target;

    /// <summary>
    /// The distinct hosts; the local machine when none was named, but none at all when the call expected
    /// pipeline input and none came: `$none | Install-KvmHost` must not change this machine.
    /// </summary>
    public IReadOnlyList<object> Distinct(bool expectingInput)
    {
        if (_targets.Count == 0)
        {
            return expectingInput ? Array.Empty<object>() : new object[] { "localhost" };
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var distinct = new List<object>();
        foreach (object target in _targets)
        {
            if (seen.Add(Key(target)))
            {
                distinct.Add(target);
            }
        }

        return distinct;
    }

    /// <summary>The session for a target: the given one, or the pooled/new one for a name.</summary>
    public static KvmSession Resolve(object target, WorkContext context)
    {
        if (target is KvmSession session)
        {
            if (session.Connection is null || session.State == KvmSessionState.Closed)
            {
                throw new KvmException("SessionClosed", ErrorCategory.ResourceUnavailable,
                    $"The session {session} is closed or was not opened by Connect-KvmHost.",
                    "Open a new session with Connect-KvmHost, or name the host with -ComputerName.");
            }

            return session;
        }

        return SessionFactory.GetOrOpen((string)target, context.Cancel, context.VerboseFor((string)target));
    }
}
