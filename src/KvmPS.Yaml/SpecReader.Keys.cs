using System;
using System.Collections.Generic;
using System.Globalization;

namespace KvmPS.Yaml;

/// <summary>The spec's keys: known ones in order, unknown ones refused with a hint at the key meant.</summary>
internal sealed partial class SpecReader
{
    private sealed class Entry
    {
        public Entry(string name, SpecScalar key, SpecNode value)
        {
            Name = name;
            Key = key;
            Value = value;
        }

        /// <summary>The canonical spelling of the key.</summary>
        public string Name { get; }

        public SpecScalar Key { get; }

        public SpecNode Value { get; }
    }

    /// <summary>
    /// The mapping's entries with canonical key names, in order and checked one at a time (so the
    /// first problem in the file is the one reported); unknown and repeated keys are errors.
    /// </summary>
    private IEnumerable<Entry> Entries(SpecMapping mapping, string[] known, string what, Func<string, string?> hint)
    {
        var seen = new Dictionary<string, SpecScalar>(StringComparer.OrdinalIgnoreCase);
        foreach (var pair in mapping.Entries)
        {
            SpecScalar key = pair.Key;
            string given = key.Value;
            if (seen.TryGetValue(given, out SpecScalar? first))
            {
                throw Fail(key, "duplicate key '" + given + "'; it is already given at line "
                    + first.Line.ToString(CultureInfo.InvariantCulture) + ", column " + first.Column.ToString(CultureInfo.InvariantCulture)
                    + (first.Value == given ? "" : " as '" + first.Value + "' (keys ignore case)"));
            }

            seen.Add(given, key);
            string? canonical = null;
            foreach (string candidate in known)
            {
                if (string.Equals(candidate, given, StringComparison.OrdinalIgnoreCase))
                {
                    canonical = candidate;
                    break;
                }
            }

            if (canonical == null)
            {
                throw Fail(key, UnknownKey(given, known, what, hint));
            }

            yield return new Entry(canonical, key, pair.Value);
        }
    }

    private static string UnknownKey(string given, string[] known, string what, Func<string, string?> hint)
    {
        if (given == "<<")
        {
            return "YAML merge keys ('<<') are not supported; put settings shared by every guest under a top-level 'defaults' mapping";
        }

        string message = "unknown " + what + " '" + given + "'";
        string? elsewhere = hint(given);
        if (elsewhere != null)
        {
            return message + "; " + elsewhere;
        }

        string? suggestion = KeySuggestions.Closest(given, known);
        return suggestion != null
            ? message + "; did you mean '" + suggestion + "'?"
            : message + "; expected one of: " + string.Join(", ", known);
    }

    private static string? TopLevelHint(string given)
    {
        string? guestKey = Canonical(given, GuestKeys);
        return guestKey == null ? null
            : "'" + guestKey + "' is a guest setting: put it in a guest under 'guests', or under 'defaults' for every guest";
    }

    private static string? GuestHint(string given)
    {
        string? cloudInitKey = Canonical(given, CloudInitKeys);
        if (cloudInitKey != null)
        {
            return "'" + cloudInitKey + "' belongs under cloudInit (cloudInit: { " + cloudInitKey + ": ... })";
        }

        // A single-guest file: "guest:" or "default:" were probably meant as a guest list.
        string? topLevel = Canonical(given, TopLevelKeys) ?? KeySuggestions.Closest(given, TopLevelKeys);
        return topLevel != null && KeySuggestions.Closest(given, GuestKeys) == null ? "did you mean '" + topLevel + "'?" : null;
    }

    private static string? CloudInitHint(string given)
    {
        string? guestKey = Canonical(given, GuestKeys);
        return guestKey == null ? null : "'" + guestKey + "' is a guest setting, not a cloudInit one; move it out of cloudInit";
    }

    private static string? Canonical(string given, string[] known)
    {
        foreach (string candidate in known)
        {
            if (string.Equals(candidate, given, StringComparison.OrdinalIgnoreCase))
            {
                return candidate;
            }
        }

        return null;
    }
}
