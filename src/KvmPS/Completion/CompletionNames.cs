using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;

namespace KvmPS.Completion;

/// <summary>Turns candidate names into completion results: filtered by the typed prefix, quoted for PowerShell.</summary>
internal static class CompletionNames
{
    public static IEnumerable<CompletionResult> Results(IEnumerable<string> names, string? wordToComplete)
    {
        string typed = Unquote(wordToComplete ?? "");
        var pattern = WildcardPattern.Get(WildcardPattern.Escape(typed) + "*", WildcardOptions.IgnoreCase);
        return names
            .Where(name => name.Length > 0 && pattern.IsMatch(name))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .OrderBy(name => name, StringComparer.OrdinalIgnoreCase)
            .Select(name => new CompletionResult(Quote(name), name, CompletionResultType.ParameterValue, name));
    }

    /// <summary>A name as PowerShell must read it back: bare when safe, else in single quotes.</summary>
    public static string Quote(string name)
        => name.All(c => char.IsLetterOrDigit(c) || c is '.' or '-' or '_' or ':' or '@' or '*')
           && !name.StartsWith("-", StringComparison.Ordinal)
            ? name
            : "'" + name.Replace("'", "''") + "'";

    private static string Unquote(string word)
        => word.Length > 0 && (word[0] == '\'' || word[0] == '"') ? word.Substring(1).TrimEnd(word[0]) : word;
}
