using System;
using System.Text.RegularExpressions;

namespace KvmPS.Guests;

/// <summary>
/// What a new guest may be called. libvirt itself forbids little ('/' and a few more), but the name
/// also becomes disk file names and shows up in every admin's shell, so KvmPS keeps to a portable
/// set: letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64 characters.
/// </summary>
internal static class GuestNames
{
    private static readonly Regex Valid = new("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\\z", RegexOptions.CultureInvariant);

    public static void Validate(string name)
    {
        if (name is null || !Valid.IsMatch(name))
        {
            string shown = Shown(name);
            throw new ArgumentException(
                $"'{shown}' is not a valid guest name: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.");
        }
    }

    /// <summary>A MAC address as libvirt writes it (lower case, colons), or an ArgumentException.</summary>
    public static string MacAddress(string mac)
    {
        if (mac is null || !Regex.IsMatch(mac, "^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}\\z", RegexOptions.CultureInvariant))
        {
            throw new ArgumentException($"'{mac}' is not a MAC address (like 52:54:00:12:34:56).");
        }

        string normal = mac.Replace('-', ':').ToLowerInvariant();
        if ((Convert.ToInt32(normal.Substring(0, 2), 16) & 1) == 1)
        {
            throw new ArgumentException($"'{mac}' is a multicast MAC address; a network adapter needs a unicast one (the first byte even, e.g. 52:54:00:...).");
        }

        return normal;
    }

    /// <summary>A host path given to New-KvmGuest: absolute, and nothing a shell or XML could misread.</summary>
    public static void ValidateHostPath(string path, string parameter)
    {
        // Any control character, not only line breaks: the path goes into libvirt XML, which cannot hold most of them.
        if (string.IsNullOrEmpty(path) || path[0] != '/' || HasControlCharacter(path))
        {
            throw new ArgumentException($"-{parameter} '{Shown(path)}' must be an absolute path on the host, on one line.");
        }
    }

    /// <summary>-KernelArguments: one line of text (it becomes the domain XML's &lt;cmdline&gt;, which cannot hold NUL or most control characters).</summary>
    public static void ValidateKernelArguments(string arguments)
    {
        if (HasControlCharacter(arguments))
        {
            throw new ArgumentException($"-KernelArguments '{Shown(arguments)}' must be one line of text without control characters (the kernel's command line).");
        }
    }

    // type, base64 blob, optional comment; authorized_keys options before the type are allowed, as cloud-init passes the line on as it is.
    private static readonly Regex SshKey = new(@"(^|\s)(ssh-[a-z0-9-]+|ecdsa-sha2-[a-z0-9-]+|sk-[a-z0-9@.-]+)\s+[A-Za-z0-9+/]+={0,3}(\s|\z)", RegexOptions.CultureInvariant);

    /// <summary>-SshPublicKey: one OpenSSH public key line; a line break would slip a second key (or anything) into authorized_keys.</summary>
    public static void ValidateSshPublicKey(string key)
    {
        if (key is null || HasControlCharacter(key) || !SshKey.IsMatch(key))
        {
            throw new ArgumentException($"-SshPublicKey '{Shown(key)}' is not one OpenSSH public key line (like 'ssh-ed25519 AAAAC3Nza... user@host', the contents of a .pub file).");
        }
    }

    private static bool HasControlCharacter(string text)
    {
        foreach (char c in text)
        {
            if (c < ' ' || c == '\u007f')
            {
                return true;
            }
        }

        return false;
    }

    // A value as an error message shows it: line breaks and NUL visible, not acted on.
    private static string Shown(string? text) => text is null ? "(null)" : text.Replace("\r", "\\r").Replace("\n", "\\n").Replace("\0", "\\0");
}
