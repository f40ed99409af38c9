using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using KvmPS.Guests;

namespace KvmPS.Yaml;

/// <summary>The spec's values: each read as its parameter expects it, with the line and column when it is wrong.</summary>
internal sealed partial class SpecReader
{
    private string GuestName(SpecNode value)
    {
        string? name = Text(value, "name");
        if (name == null)
        {
            throw Fail(value, "name: expected the guest's name, got nothing");
        }

        if (name.Trim().Length != name.Length)
        {
            throw Fail(value, "name: '" + name + "' starts or ends with white space");
        }

        foreach (char c in name)
        {
            if (c == '/' || char.IsControl(c))
            {
                throw Fail(value, "name: '" + Printable(name) + "' contains " + (c == '/' ? "'/'" : "a control character") + ", which libvirt does not allow in a name");
            }
        }

        return name;
    }

    private string? Text(SpecNode value, string label)
    {
        if (value is not SpecScalar scalar)
        {
            throw Fail(value, label + ": expected text, got " + value.Describe());
        }

        if (scalar.IsNull)
        {
            return null;
        }

        if (scalar.Value.Trim().Length == 0)
        {
            throw Fail(value, label + ": must not be empty (leave the key out, or write null, for the default)");
        }

        return scalar.Value;
    }

    /// <summary>
    /// YAML 1.2 core booleans only (true, True, TRUE, false, False, FALSE, unquoted). Null means
    /// false, the default. yes/no/on/off are refused with a message rather than guessed.
    /// </summary>
    private bool Bool(SpecNode value, string label)
    {
        if (value is not SpecScalar scalar)
        {
            throw Fail(value, label + ": expected true or false, got " + value.Describe());
        }

        if (scalar.IsNull)
        {
            return false;
        }

        switch (scalar.Value)
        {
            case "true":
            case "True":
            case "TRUE":
                if (scalar.IsPlain)
                {
                    return true;
                }

                break;
            case "false":
            case "False":
            case "FALSE":
                if (scalar.IsPlain)
                {
                    return false;
                }

                break;
        }

        if (!scalar.IsPlain)
        {
            throw Fail(value, label + ": expected true or false without quotes, got the quoted text '" + scalar.Value + "'");
        }

        switch (scalar.Value.ToLowerInvariant())
        {
            case "yes":
            case "no":
            case "on":
            case "off":
            case "y":
            case "n":
                throw Fail(value, label + ": expected true or false, got '" + scalar.Value + "' (YAML 1.2 has no yes/no/on/off booleans; write true or false)");
            default:
                throw Fail(value, label + ": expected true or false, got '" + scalar.Value + "'");
        }
    }

    private long? Size(SpecNode value, string label)
    {
        string? text = Scalar(value, label, "a size (" + SpecValues.SizeForms + ")");
        if (text == null)
        {
            return null;
        }

        long? size = SpecValues.ParseSize(text, out string problem);
        return size ?? throw Fail(value, label + ": " + problem);
    }

    private int? Count(SpecNode value, string label)
    {
        string? text = Scalar(value, label, "a whole number of at least 1");
        if (text == null)
        {
            return null;
        }

        int? count = SpecValues.ParseCount(text, out string problem);
        return count ?? throw Fail(value, label + ": " + problem);
    }

    private string? Choice(SpecNode value, string label, string[] choices)
    {
        string expected = string.Join(" or ", choices);
        string? text = Scalar(value, label, expected);
        if (text == null)
        {
            return null;
        }

        foreach (string choice in choices)
        {
            if (string.Equals(choice, text.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return choice;
            }
        }

        string? suggestion = KeySuggestions.Closest(text, choices);
        throw Fail(value, label + ": expected " + expected + ", got '" + text + "'" + (suggestion == null ? "" : "; did you mean '" + suggestion + "'?"));
    }

    private string? Mac(SpecNode value, string label)
    {
        string? text = Text(value, label);
        if (text == null)
        {
            return null;
        }

        if (!MacPattern.IsMatch(text))
        {
            throw Fail(value, label + ": '" + text + "' is not a MAC address; expected six hexadecimal pairs separated by colons, e.g. 52:54:00:12:34:56");
        }

        if ((Convert.ToInt32(text.Substring(0, 2), 16) & 1) != 0)
        {
            throw Fail(value, label + ": '" + text + "' is a multicast address; a guest's MAC address must have an even first byte, e.g. 52:54:00:12:34:56");
        }

        return text.ToLowerInvariant();
    }

    /// <summary>A scalar's text (null for null); collections are errors.</summary>
    private string? Scalar(SpecNode value, string label, string expected)
    {
        if (value is not SpecScalar scalar)
        {
            throw Fail(value, label + ": expected " + expected + ", got " + value.Describe());
        }

        return scalar.IsNull ? null : scalar.Value;
    }

    /// <summary>A list of texts, or a single one; null and [] give an empty list.</summary>
    private List<string> Strings(SpecNode value, string label, Func<SpecNode, string, string?> item)
    {
        var result = new List<string>();
        foreach (SpecNode node in ListItems(value, label))
        {
            result.Add(item(node, label) ?? throw Fail(node, label + ": a list item is empty (null)"));
        }

        return result;
    }

    /// <summary>A list of sizes, or a single one; null and [] give an empty list.</summary>
    private List<long> Sizes(SpecNode value, string label)
    {
        var result = new List<long>();
        foreach (SpecNode node in ListItems(value, label))
        {
            result.Add(Size(node, label) ?? throw Fail(node, label + ": a list item is empty (null)"));
        }

        return result;
    }

    private IEnumerable<SpecNode> ListItems(SpecNode value, string label)
    {
        if (value is SpecScalar { IsNull: true })
        {
            return Array.Empty<SpecNode>();
        }

        if (value is SpecMapping)
        {
            throw Fail(value, label + ": expected one value or a list, got a mapping");
        }

        if (value is not SpecSequence sequence)
        {
            return new[] { value };
        }

        foreach (SpecNode node in sequence.Items)
        {
            if (node is not SpecScalar)
            {
                throw Fail(node, label + ": expected a list of single values, got " + node.Describe() + " inside it");
            }
        }

        return sequence.Items;
    }

    private string? UserName(SpecNode value, string label)
    {
        string? user = Text(value, label);
        if (user != null && (!UserPattern.IsMatch(user) || IsDigits(user)))
        {
            throw Fail(value, label + ": '" + Printable(user) + "' is not a usable Linux user name; expected up to 32 letters, digits, '_', '.' or '-', not starting with '-' and not all digits");
        }

        return user;
    }

    private string? SshPublicKey(SpecNode value, string label)
    {
        string? key = Text(value, label);
        if (key == null)
        {
            return null;
        }

        key = key.Trim();
        if (key.IndexOf('\n') >= 0 || key.IndexOf('\r') >= 0)
        {
            throw Fail(value, label + ": one key per line; give several keys as a list (one '- ssh-...' item each)");
        }

        string[] fields = key.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 2)
        {
            bool path = key.StartsWith("~", StringComparison.Ordinal) || key.StartsWith("/", StringComparison.Ordinal)
                || key.StartsWith(".", StringComparison.Ordinal) || key.EndsWith(".pub", StringComparison.OrdinalIgnoreCase) || key.IndexOf('\\') >= 0;
            throw Fail(value, label + ": '" + key + "' is not an OpenSSH public key; expected the key's text, e.g. 'ssh-ed25519 AAAAC3Nza... me@host'"
                + (path ? " (the contents of the .pub file, not its name)" : ""));
        }

        return key;
    }

    /// <summary>Hashes a plain-text password at once; only the hash is kept.</summary>
    private string? HashPassword(SpecNode value, string label)
    {
        string? password = Text(value, label);
        if (password == null)
        {
            return null;
        }

        if (AnyCryptHashPattern.IsMatch(password))
        {
            throw Fail(value, label + ": this looks like a password hash, not a password; give hashes as passwordHash");
        }

        byte[] bytes = Encoding.UTF8.GetBytes(password);
        try
        {
            return PasswordHash.Sha512Crypt(bytes);
        }
        finally
        {
            Array.Clear(bytes, 0, bytes.Length);
        }
    }

    private string? PasswordHashValue(SpecNode value, string label)
    {
        string? hash = Text(value, label);
        if (hash != null && !Sha512HashPattern.IsMatch(hash))
        {
            throw Fail(value, label + ": expected a SHA-512 crypt hash ($6$salt$ and 86 characters, as 'openssl passwd -6' or 'mkpasswd -m sha-512' print it)");
        }

        return hash;
    }

    /// <summary>The text of a local file named relative to the spec's directory.</summary>
    private string? FileContent(SpecNode value, string label)
    {
        string? path = Text(value, label);
        if (path == null)
        {
            return null;
        }

        string full;
        try
        {
            string expanded = path;
            if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal) || path.StartsWith("~\\", StringComparison.Ordinal))
            {
                expanded = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.Length > 2 ? path.Substring(2) : "");
            }

            full = Path.GetFullPath(Path.Combine(_baseDirectory, expanded));
        }
        catch (Exception e) when (e is ArgumentException || e is NotSupportedException || e is PathTooLongException)
        {
            throw Fail(value, label + ": '" + path + "' is not a valid file name (" + e.Message + ")");
        }

        if (!File.Exists(full))
        {
            throw Fail(value, label + ": file '" + path + "' not found" + (Directory.Exists(full) ? " (it is a directory)" : "") + "; looked for " + full);
        }

        try
        {
            return File.ReadAllText(full);
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
            throw Fail(value, label + ": cannot read " + full + ": " + e.Message);
        }
    }

    private static bool IsDigits(string text)
    {
        foreach (char c in text)
        {
            if (c < '0' || c > '9')
            {
                return false;
            }
        }

        return true;
    }

    private static string Printable(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            builder.Append(char.IsControl(c) ? "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture) : c.ToString());
        }

        return builder.ToString();
    }

    private GuestSpecException Fail(SpecNode node, string message) => new(_source, node.Line, node.Column, message);
}
