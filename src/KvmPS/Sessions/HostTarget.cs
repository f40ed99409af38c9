using System;
using System.Globalization;

namespace KvmPS.Sessions;

/// <summary>
/// A -ComputerName value: "host", "user@host", "host:port", "user@[::1]:2222". "localhost", "."
/// and this machine's own name mean the local machine without SSH, as in the Hyper-V module.
/// </summary>
internal sealed class HostTarget
{
    private HostTarget(string text, string host, string? userName, int? port)
    {
        Text = text;
        Host = host;
        UserName = userName;
        Port = port;
    }

    /// <summary>The value as given; the session pool finds sessions by it.</summary>
    public string Text { get; }

    public string Host { get; }

    public string? UserName { get; }

    public int? Port { get; }

    public bool IsLocal =>
        UserName is null && Port is null
        && (Host == "." || string.Equals(Host, "localhost", StringComparison.OrdinalIgnoreCase)
            || string.Equals(Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase));

    public static HostTarget Local() => new("localhost", "localhost", null, null);

    public static HostTarget Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ArgumentException("A computer name cannot be empty.");
        }

        string rest = text.Trim();
        string? user = null;
        int at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            user = rest.Substring(0, at);
            rest = rest.Substring(at + 1);
            if (user.Length == 0)
            {
                throw new ArgumentException($"'{text}' has an empty user name before '@'.");
            }
        }

        int? port = null;
        string host;
        if (rest.StartsWith("[", StringComparison.Ordinal))
        {
            int close = rest.IndexOf(']');
            if (close < 0)
            {
                throw new ArgumentException($"'{text}' opens '[' without closing it.");
            }

            host = rest.Substring(1, close - 1);
            string after = rest.Substring(close + 1);
            if (after.Length > 0)
            {
                port = after.StartsWith(":", StringComparison.Ordinal)
                    ? ParsePort(after.Substring(1), text)
                    : throw new ArgumentException($"'{text}' has text after ']' that is not ':port'.");
            }
        }
        else
        {
            int colon = rest.IndexOf(':');
            if (colon >= 0 && colon == rest.LastIndexOf(':'))
            {
                host = rest.Substring(0, colon);
                port = ParsePort(rest.Substring(colon + 1), text);
            }
            else
            {
                // No colon, or a bare IPv6 address (several colons): no port.
                host = rest;
            }
        }

        ValidateHost(host, text);
        if (user is not null)
        {
            ValidateUser(user, text);
        }

        return new HostTarget(text.Trim(), host, user, port);
    }

    private static int ParsePort(string value, string text)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port < 1 || port > 65535)
        {
            throw new ArgumentException($"'{text}' has an invalid port '{value}': use 1-65535.");
        }

        return port;
    }

    // A host name or address: letters, digits, '-', '.', '_' and ':' (IPv6), as getaddrinfo takes them.
    private static void ValidateHost(string host, string text)
    {
        if (host.Length == 0 || host.Length > 253)
        {
            throw new ArgumentException($"'{text}' is not a valid host name.");
        }

        foreach (char c in host)
        {
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == ':' || c == '%';
            if (!ok)
            {
                throw new ArgumentException($"'{text}' is not a valid host name: '{c}' is not allowed in a host name or address.");
            }
        }

        if (host[0] == '-')
        {
            throw new ArgumentException($"'{text}' is not a valid host name: it cannot start with '-'.");
        }
    }

    // POSIX portable user names plus what sshd accepts in practice (e.g. DOMAIN\user is not).
    internal static void ValidateUser(string user, string text)
    {
        if (user.Length > 256)
        {
            throw new ArgumentException($"The user name in '{text}' is too long.");
        }

        foreach (char c in user)
        {
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '$' || c == '@';
            if (!ok)
            {
                throw new ArgumentException($"The user name '{user}' contains '{c}', which is not allowed in a user name.");
            }
        }

        if (user[0] == '-')
        {
            throw new ArgumentException($"The user name '{user}' cannot start with '-'.");
        }
    }
}
