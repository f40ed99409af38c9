using System;
using System.Collections.Generic;
using System.Linq;

namespace KvmPS.Sessions;

/// <summary>
/// The open sessions of this PowerShell process. -ComputerName reuses the newest open session
/// whose name matches, so one-liners do not reconnect for every command.
/// </summary>
internal static class SessionPool
{
    private static readonly object Gate = new();
    private static readonly List<KvmSession> Sessions = new();
    private static int _nextId;

    public static IReadOnlyList<KvmSession> All
    {
        get
        {
            lock (Gate)
            {
                return Sessions.ToList();
            }
        }
    }

    public static void Add(KvmSession session)
    {
        lock (Gate)
        {
            session.Id = ++_nextId;
            Sessions.Add(session);
        }
    }

    /// <summary>The newest open session opened with this computer name, else the one with this -Name.</summary>
    public static KvmSession? Find(string computerName)
    {
        lock (Gate)
        {
            return Sessions.LastOrDefault(s => s.State != KvmSessionState.Closed
                    && string.Equals(s.ComputerName, computerName, StringComparison.OrdinalIgnoreCase))
                ?? Sessions.LastOrDefault(s => s.State != KvmSessionState.Closed
                    && string.Equals(s.Name, computerName, StringComparison.OrdinalIgnoreCase));
        }
    }

    public static void Remove(KvmSession session)
    {
        lock (Gate)
        {
            Sessions.Remove(session);
        }

        session.Connection?.Dispose();
    }

    /// <summary>Closes every session: the module is being removed.</summary>
    public static void CloseAll()
    {
        List<KvmSession> all;
        lock (Gate)
        {
            all = Sessions.ToList();
            Sessions.Clear();
        }

        foreach (KvmSession session in all)
        {
            session.Connection?.Dispose();
        }
    }
}
