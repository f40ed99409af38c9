using System;
using System.Collections.Generic;
using System.Text;

namespace KvmPS.Transport;

/// <summary>
/// The one place where argv becomes POSIX shell text. Everything a host runs passes through here,
/// so user input can never be read by a shell as syntax.
/// </summary>
internal static class PosixQuote
{
    /// <summary>Quotes one word so that any POSIX shell reads it back byte for byte.</summary>
    public static string Quote(string word)
    {
        if (word is null)
        {
            throw new ArgumentNullException(nameof(word));
        }

        if (word.IndexOf('\0') >= 0)
        {
            // A C string cannot hold NUL: the program would see a truncated argument.
            throw new ArgumentException("A command argument cannot contain a NUL character.", nameof(word));
        }

        if (word.Length > 0 && IsPlain(word))
        {
            return word;
        }

        return "'" + word.Replace("'", "'\\''") + "'";
    }

    /// <summary>Quotes every element and joins them with spaces.</summary>
    public static string Join(IEnumerable<string> argv)
    {
        var text = new StringBuilder();
        foreach (string word in argv)
        {
            if (text.Length > 0)
            {
                text.Append(' ');
            }

            text.Append(Quote(word));
        }

        return text.ToString();
    }

    // Characters no shell treats specially anywhere in a word. '=' is left out: a first word
    // such as FOO=bar would be read as an assignment.
    private static bool IsPlain(string word)
    {
        for (int i = 0; i < word.Length; i++)
        {
            char c = word[i];
            bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '_' || c == '-' || c == '.' || c == '/' || c == ':' || c == ',' || c == '+' || c == '@'
                || c == '%';
            if (!plain)
            {
                return false;
            }
        }

        return true;
    }
}
