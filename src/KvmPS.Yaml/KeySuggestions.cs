using System;
using System.Collections.Generic;

namespace KvmPS.Yaml;

/// <summary>"Did you mean" for unknown keys and enumeration values.</summary>
internal static class KeySuggestions
{
    // Words admins write for a key, from other tools (virt-install, Vagrant, Terraform, cloud-init),
    // compared after Normalize.
    private static readonly Dictionary<string, string> Synonyms = new(StringComparer.Ordinal)
    {
        ["memory"] = "memoryBytes",
        ["mem"] = "memoryBytes",
        ["ram"] = "memoryBytes",
        ["memorysize"] = "memoryBytes",
        ["cpu"] = "processorCount",
        ["cpus"] = "processorCount",
        ["vcpu"] = "processorCount",
        ["vcpus"] = "processorCount",
        ["cores"] = "processorCount",
        ["processors"] = "processorCount",
        ["disk"] = "diskSizeBytes",
        ["disksize"] = "diskSizeBytes",
        ["size"] = "diskSizeBytes",
        ["datadisk"] = "dataDiskSizeBytes",
        ["datadisks"] = "dataDiskSizeBytes",
        ["host"] = "computerName",
        ["kvmhost"] = "computerName",
        ["server"] = "computerName",
        ["hostname"] = "name",
        ["vmname"] = "name",
        ["image"] = "baseImage",
        ["template"] = "baseImage",
        ["iso"] = "isoPath",
        ["cdrom"] = "isoPath",
        ["pool"] = "storagePool",
        ["mac"] = "macAddress",
        ["os"] = "osVariant",
        ["osinfo"] = "osVariant",
        ["uefi"] = "firmware",
        ["boot"] = "firmware",
        ["display"] = "graphics",
        ["kernel"] = "kernelPath",
        ["initrd"] = "initrdPath",
        ["cmdline"] = "kernelArguments",
        ["extraargs"] = "kernelArguments",
        ["clone"] = "fullClone",
        ["import"] = "importDisk",
        ["guest"] = "guests",
        ["vms"] = "guests",
        ["username"] = "user",
        ["users"] = "user",
        ["passwd"] = "password",
        ["hashedpassword"] = "passwordHash",
        ["sshkey"] = "sshPublicKey",
        ["sshkeys"] = "sshPublicKey",
        ["sshauthorizedkeys"] = "sshPublicKey",
        ["authorizedkeys"] = "sshPublicKey",
        ["publickey"] = "sshPublicKey",
        ["network"] = "networkConfig",
        ["networking"] = "networkConfig",
    };

    /// <summary>The candidate <paramref name="given"/> most likely stands for, or null.</summary>
    public static string? Closest(string given, IEnumerable<string> candidates)
    {
        string normalized = Normalize(given);
        var list = new List<string>(candidates);

        // memory_bytes, MEMORY-BYTES, "memory bytes".
        foreach (string candidate in list)
        {
            if (Normalize(candidate) == normalized)
            {
                return candidate;
            }
        }

        if (Synonyms.TryGetValue(normalized, out string? synonym) && list.Contains(synonym))
        {
            return synonym;
        }

        int limit = normalized.Length <= 4 ? 1 : normalized.Length <= 8 ? 2 : 3;
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in list)
        {
            int distance = Distance(normalized, Normalize(candidate));
            if (distance <= limit && distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        if (best != null)
        {
            return best;
        }

        // "memory" for memoryBytes, "waitForIP" for waitForIPAddress: a unique prefix.
        if (normalized.Length >= 3)
        {
            string? prefixed = null;
            foreach (string candidate in list)
            {
                if (Normalize(candidate).StartsWith(normalized, StringComparison.Ordinal))
                {
                    if (prefixed != null)
                    {
                        return null;
                    }

                    prefixed = candidate;
                }
            }

            return prefixed;
        }

        return null;
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (int j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    private static string Normalize(string key)
    {
        var chars = new List<char>(key.Length);
        foreach (char c in key)
        {
            if (c != '-' && c != '_' && c != ' ' && c != '.')
            {
                chars.Add(char.ToLowerInvariant(c));
            }
        }

        return new string(chars.ToArray());
    }
}
