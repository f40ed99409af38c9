using System;
using System.Management.Automation;
using System.Text.RegularExpressions;

namespace KvmPS.Sessions;

/// <summary>
/// The one place that recognises a failure caused by a missing privilege (libvirt refused the user,
/// or the host refused a non-root user) and says which privilege is missing and how to get it.
/// Every cmdlet's errors pass through here (KvmCmdlet.ToErrorRecord), so a cmdlet needs no code of
/// its own: a "Failed to connect socket ... Permission denied" deep inside any step becomes
/// LibvirtAccessDenied, whatever step printed it.
/// </summary>
internal static class PrivilegeFailures
{
    // What libvirt's clients print when the daemon refuses the caller: the socket's permissions
    // (group libvirt, 0770), polkit (Debian's and RHEL's default), SASL, or an ACL driver.
    private static readonly Regex LibvirtRefused = new(
        @"libvirt-sock[^\n]*Permission denied|authentication (failed|unavailable)|no polkit agent|access denied|Operation not permitted[^\n]*libvirt",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    // The host itself refused a non-root user (a file, a device, a network change).
    private static readonly Regex RootRefused = new(
        @"Permission denied|Operation not permitted|must be (run as )?root|are you root|only root",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

    /// <summary>
    /// The privilege error <paramref name="failure"/> stands for, or null when it is not about
    /// privileges (or already says so).
    /// </summary>
    public static KvmException? Classify(KvmException failure, object? target)
    {
        if (failure.Category is ErrorCategory.PermissionDenied or ErrorCategory.SecurityError or ErrorCategory.AuthenticationError)
        {
            return null;
        }

        string text = failure.Message;
        KvmSession? session = SessionOf(target);
        if (LibvirtRefused.IsMatch(text))
        {
            return LibvirtDenied(session, HostOf(session, target), text, failure);
        }

        if (session is { IsElevated: false } && RootRefused.IsMatch(text))
        {
            return new KvmException("RootRequired", ErrorCategory.PermissionDenied,
                $"{Who(session)} on {HostOf(session, target)} is not root and has no sudo, and the host refused the step: {text}",
                SudoAdvice(session), failure);
        }

        return null;
    }

    /// <summary>True when libvirt's client said the daemon refused the caller (not: it does not run).</summary>
    public static bool IsLibvirtRefusal(string text) => LibvirtRefused.IsMatch(text);

    /// <summary>libvirt's system connection refused the session's user.</summary>
    public static KvmException LibvirtDenied(KvmSession? session, string host, string detail, Exception? inner = null)
    {
        string user = Who(session);
        return new KvmException("LibvirtAccessDenied", ErrorCategory.PermissionDenied,
            $"{user} may not use libvirt (qemu:///system) on {host}: it needs root, sudo, or membership of the libvirt group. {detail}".TrimEnd(),
            $"Add {user} to the libvirt group on the host (usermod -aG libvirt {user}, then Connect-KvmHost again), or {SudoAdvice(session)}",
            inner);
    }

    private static string SudoAdvice(KvmSession? session)
        => session is null || session.UserName != "root"
            ? "connect as root, or as a user allowed to sudo (Connect-KvmHost -SudoCredential when sudo asks for a password)."
            : "check the host's libvirt and file permissions.";

    private static string Who(KvmSession? session)
        => session is null || session.UserName.Length == 0 ? "The session's user" : session.UserName;

    private static string HostOf(KvmSession? session, object? target)
        => session?.ComputerName ?? (target as string) ?? "the host";

    // Errors name what failed (a session, a guest, a network, a host name); the session behind it
    // says who the user was and whether it had root.
    private static KvmSession? SessionOf(object? target) => target switch
    {
        KvmSession s => s,
        KvmGuest g => g.Session ?? SessionPool.Find(g.ComputerName),
        KvmNetwork n => n.Session ?? SessionPool.Find(n.ComputerName),
        KvmBridge b => b.Session ?? SessionPool.Find(b.ComputerName),
        HostTarget t => SessionPool.Find(t.Text),
        string name => SessionPool.Find(name),
        _ => null,
    };
}
