using System;
using System.IO;
using System.Linq;
using KvmPS.Networking;
using Xunit;

namespace KvmPS.Tests.Networking;

/// <summary>
/// network-probe.sh output (Networking/Fixtures, copied to the output directory). Each file's first
/// line says whether it is a REAL recording (this machine, a lab host, NetworkManager in a throwaway
/// network namespace) or HAND-WRITTEN from a release's known output.
/// </summary>
internal static class NetworkFixtures
{
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "Networking", "Fixtures");

    public static string[] Names()
        => System.IO.Directory.GetFiles(Directory, "*.txt").Select(Path.GetFileNameWithoutExtension).OrderBy(n => n, StringComparer.Ordinal).ToArray()!;

    public static string Text(string name)
    {
        string path = Path.Combine(Directory, name + ".txt");
        Assert.True(File.Exists(path), $"fixture {path} is missing (is it copied to the output directory?)");
        return File.ReadAllText(path);
    }

    public static NetworkFacts Facts(string name) => NetworkFactsParser.Parse(Text(name));

    public static NetworkLink Link(this NetworkFacts facts, string name, LinkKind kind)
    {
        NetworkLink? link = facts.Link(name);
        Assert.True(link is not null, $"no link {name}; links: {string.Join(", ", facts.Links.Select(l => l.Name))}");
        Assert.Equal(kind, link!.Kind);
        return link;
    }

    public static string[] Addresses(this NetworkLink link) => link.Addresses.Select(a => a.ToString()).ToArray();

    public static NmProfile Profile(this NetworkFacts facts, string name)
    {
        NmProfile? profile = facts.NmProfiles.FirstOrDefault(p => p.Name == name);
        Assert.True(profile is not null, $"no profile {name}; profiles: {string.Join(", ", facts.NmProfiles.Select(p => p.Name))}");
        return profile!;
    }
}
