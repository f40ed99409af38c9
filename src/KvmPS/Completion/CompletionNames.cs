using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace KvmPS.Completion;

/// <summary>Turns candidate names into completion results: filtered by the typed prefix, quoted for PowerShell.</summary>
internal static class CompletionNames
{
    /// <param name="escapeWildcards">The parameter takes wildcards: a literal *, ?, [ or ] in a name is escaped.</param>
    public static IEnumerable<CompletionResult> Results(IEnumerable<string> names, string? wordToComplete, bool escapeWildcards = false)
    {
        string typed = Unquote(wordToComplete ?? "");
        var pattern = WildcardPattern.Get(WildcardPattern.Escape(typed) + "*", WildcardOptions.IgnoreCase);
        return names
            .Where(name => name.Length > 0 && pattern.IsMatch(name))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .OrderBy(name => name, StringComparer.OrdinalIgnoreCase)
            .Select(name => new CompletionResult(Quote(escapeWildcards ? WildcardPattern.Escape(name) : name), name, CompletionResultType.ParameterValue, name));
    }

    /// <summary>
    /// A name as PowerShell must read it back as one literal string: bare only when it is plainly a word
    /// (so no number like 0x10 or 1kb, no @splat, no -parameter), else single-quoted with every kind of
    /// single quote PowerShell knows (also ‘ ’ ‚ ‛) doubled: a guest's name must never become code.
    /// </summary>
    public static string Quote(string name)
        => BareWord.IsMatch(name) ? name : "'" + CodeGeneration.EscapeSingleQuotedStringContent(name) + "'";

    private static readonly System.Text.RegularExpressions.Regex BareWord = new(@"^[A-Za-z_][A-Za-z0-9_.-]*\z");

    private static string Unquote(string word)
        => word.Length > 0 && (word[0] == '\'' || word[0] == '"') ? word.Substring(1).TrimEnd(word[0]) : word;
}
