using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using KvmPS.Guests;
using KvmPS.Yaml;
using Xunit;

namespace KvmPS.Tests.Yaml;

/// <summary>Reads specs with the real engine and asserts where and why they fail.</summary>
internal static class Spec
{
    public const string Source = "guests.yaml";

    public static IYamlEngine Engine { get; } = new YamlEngine();

    /// <summary>Lines joined with "\n", so tests can count lines and columns by eye.</summary>
    public static string Lines(params string[] lines) => string.Join("\n", lines) + "\n";

    public static IReadOnlyList<GuestRequest> Read(string yaml, string? baseDirectory = null)
        => Engine.ReadGuestSpecs(yaml, Source, baseDirectory ?? Path.GetTempPath());

    public static GuestRequest One(string yaml, string? baseDirectory = null) => Assert.Single(Read(yaml, baseDirectory));

    /// <summary>Asserts the spec fails at exactly line:column with a message containing every fragment.</summary>
    public static GuestSpecException Fails(string yaml, int line, int column, params string[] fragments)
        => FailsIn(yaml, null, line, column, fragments);

    public static GuestSpecException FailsIn(string yaml, string? baseDirectory, int line, int column, params string[] fragments)
    {
        var error = Assert.Throws<GuestSpecException>(() => Read(yaml, baseDirectory));
        Assert.True(line == error.Line && column == error.Column,
            $"expected the error at {line}:{column}, got {error.Line}:{error.Column}: {error.Message}");
        Assert.Equal(Source, error.Source);
        Assert.StartsWith($"{Source}:{line}:{column}: ", error.Message);
        foreach (string fragment in fragments)
        {
            Assert.Contains(fragment, error.Problem);
        }

        return error;
    }
}

/// <summary>A scratch directory for userData and networkConfig files.</summary>
internal sealed class SpecDirectory : IDisposable
{
    public SpecDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "kvmps-yaml-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Write(string relative, string content)
    {
        string full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return full;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
