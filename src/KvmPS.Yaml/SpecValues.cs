using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.RegularExpressions;

namespace KvmPS.Yaml;

/// <summary>Parses the scalar forms a spec allows: sizes, counts, booleans.</summary>
internal static class SpecValues
{
    /// <summary>The smallest size accepted: anything below is a forgotten unit ("memoryBytes: 4096").</summary>
    public const long MinimumSize = 1024 * 1024;

    public const string SizeForms = "a whole number of bytes, or a number with a unit KB, MB, GB or TB "
        + "(also KiB..TiB or K..T; all 1024-based, any case), e.g. 4GB, 512MiB, 1.5TB";

    private static readonly Regex SizePattern = new(
        @"^(?<sign>[-+]?)(?<number>[0-9]+(?:\.[0-9]+)?) ?(?<unit>[KMGT](?:i?B)?)?$",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);

    private static readonly Dictionary<char, int> UnitPowers = new()
    {
        ['K'] = 1,
        ['M'] = 2,
        ['G'] = 3,
        ['T'] = 4,
    };

    /// <summary>
    /// Bytes for "4GB", "512 MiB", "1.5T" or "1073741824"; else null with <paramref name="problem"/>
    /// saying why (not a size, negative, zero, fractional bytes, too large, below 1 MiB).
    /// </summary>
    public static long? ParseSize(string text, out string problem)
    {
        problem = "";
        Match match = SizePattern.Match(text.Trim());
        if (!match.Success)
        {
            problem = "'" + text + "' is not a size; expected " + SizeForms;
            return null;
        }

        if (match.Groups["sign"].Value == "-")
        {
            problem = "'" + text + "' is negative; a size must be greater than zero";
            return null;
        }

        decimal bytes;
        try
        {
            bytes = decimal.Parse(match.Groups["number"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
            string unit = match.Groups["unit"].Value;
            if (unit.Length > 0)
            {
                for (int i = 0; i < UnitPowers[char.ToUpperInvariant(unit[0])]; i++)
                {
                    bytes *= 1024;
                }
            }
        }
        catch (OverflowException)
        {
            problem = "'" + text + "' is too large";
            return null;
        }

        if (bytes == 0)
        {
            problem = "'" + text + "' is zero; a size must be greater than zero";
            return null;
        }

        if (bytes != decimal.Truncate(bytes))
        {
            problem = "'" + text + "' is not a whole number of bytes (" + bytes.ToString(CultureInfo.InvariantCulture) + ")";
            return null;
        }

        if (bytes > long.MaxValue)
        {
            problem = "'" + text + "' is too large (the largest size is 8388607TB)";
            return null;
        }

        if (bytes < MinimumSize)
        {
            problem = "'" + text + "' is only " + bytes.ToString(CultureInfo.InvariantCulture)
                + " bytes, less than 1MB; sizes without a unit are bytes: add one, e.g. " + match.Groups["number"].Value + "MB or "
                + match.Groups["number"].Value + "GB";
            return null;
        }

        return (long)bytes;
    }

    /// <summary>A whole number of at least 1, else null with <paramref name="problem"/>.</summary>
    public static int? ParseCount(string text, out string problem)
    {
        problem = "";
        string trimmed = text.Trim();
        bool negative = trimmed.StartsWith("-", StringComparison.Ordinal);
        string digits = negative || trimmed.StartsWith("+", StringComparison.Ordinal) ? trimmed.Substring(1) : trimmed;
        if (digits.Length == 0 || !IsDigits(digits))
        {
            problem = "expected a whole number of at least 1, got '" + text + "'";
            return null;
        }

        if (negative)
        {
            problem = "'" + text + "' is negative; expected a whole number of at least 1";
            return null;
        }

        if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int value))
        {
            problem = "'" + text + "' is too large";
            return null;
        }

        if (value == 0)
        {
            problem = "'" + text + "' is zero; expected a whole number of at least 1";
            return null;
        }

        return value;
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
}
