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
            string shown = name is null ? "(null)" : name.Replace("\n", "\\n").Replace("\0", "\\0");
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
        if (string.IsNullOrEmpty(path) || path[0] != '/' || path.IndexOf('\n') >= 0 || path.IndexOf('\r') >= 0 || path.IndexOf('\0') >= 0)
        {
            throw new ArgumentException($"-{parameter} '{path}' must be an absolute path on the host, on one line.");
        }
    }
}
