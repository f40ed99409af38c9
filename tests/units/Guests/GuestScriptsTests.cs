using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using KvmPS.Guests;
using KvmPS.Transport;
using Xunit;

namespace KvmPS.Tests.Guests;

/// <summary>GuestScripts commands and readers, and a syntax check of every embedded script with dash and bash.</summary>
public sealed class GuestScriptsTests
{
    private static readonly Guid A = Guid.Parse("3f1c2a9e-8d4b-4c41-9a57-0b6e2d9f1a01");
    private static readonly Guid B = Guid.Parse("8a4e5b2c-1d3f-4e6a-8b7c-9d0e1f2a3b4c");

    [Fact]
    public void ReadWaitReadsOkAndTimeoutWithMultiWordStates()
    {
        string output = $"@@wait {A} ok running\n@@wait {B} timeout in shutdown\n";
        Dictionary<Guid, (bool Reached, string State)> waited = GuestScripts.ReadWait(output);

        Assert.Equal(2, waited.Count);
        Assert.Equal((true, "running"), waited[A]);
        Assert.Equal((false, "in shutdown"), waited[B]);
    }

    [Fact]
    public void ReadWaitHandlesAVanishedGuestCrlfAndNoise()
    {
        // guest-wait.sh prints "@@wait <uuid> timeout " (empty state) for a guest undefined meanwhile.
        string output = $"some warning\r\n@@wait {A} timeout \r\n@@wait not-a-uuid ok running\n@@waiting {B} ok running\n\n@@wait {B}\n";
        Dictionary<Guid, (bool Reached, string State)> waited = GuestScripts.ReadWait(output);

        Assert.Equal((false, ""), Assert.Single(waited).Value);
        Assert.Equal(A, waited.Keys.Single());
    }

    [Fact]
    public void ReadWaitOfNothingIsEmpty()
    {
        Assert.Empty(GuestScripts.ReadWait(""));
    }

    [Fact]
    public void ReadWaitOnlyOkIsReached()
    {
        Assert.False(GuestScripts.ReadWait($"@@wait {A} OK running")[A].Reached);
        Assert.False(GuestScripts.ReadWait($"@@wait {A} okay running")[A].Reached);
    }

    [Theory]
    [InlineData(300.0, "300")]
    [InlineData(0.2, "1")]
    [InlineData(59.001, "60")]
    [InlineData(0.0, "0")]
    public void WaitArgumentsAreSecondsWantAndUuids(double seconds, string expected)
    {
        RemoteCommand command = GuestScripts.Wait(TimeSpan.FromSeconds(seconds), "shutoff", new[] { A, B });

        Assert.Equal(new[] { "sh", "-s", "--", expected, "shutoff", A.ToString(), B.ToString() }, command.Argv);
        Assert.Equal("guest-wait.sh", command.StdinName);
        Assert.Equal(EmbeddedScripts.Read("guest-wait.sh"), Encoding.UTF8.GetString(command.Stdin!));
    }

    [Fact]
    public void InventoryOfEveryGuestHasNoArguments()
    {
        RemoteCommand command = GuestScripts.Inventory();

        Assert.Equal(new[] { "sh", "-s", "--" }, command.Argv);
        Assert.Equal("guest-inventory.sh", command.StdinName);
        Assert.Equal(EmbeddedScripts.Read("guest-inventory.sh"), Encoding.UTF8.GetString(command.Stdin!));
        Assert.StartsWith("sh -s -- < guest-inventory.sh (", command.ToDisplayString());
    }

    [Fact]
    public void InventoryOfSomeGuestsPassesTheirUuids()
    {
        RemoteCommand command = GuestScripts.Inventory(new[] { B, A });

        Assert.Equal(new[] { "sh", "-s", "--", B.ToString(), A.ToString() }, command.Argv);
    }

    [Fact]
    public void InventoryTimeoutIsGenerous()
    {
        Assert.True(GuestScripts.InventoryOptions.Timeout >= TimeSpan.FromMinutes(1));
    }

    // ---- syntax of every embedded script ----

    /// <summary>Every Scripts/*.sh embedded in KvmPS (a new script is checked without touching this test).</summary>
    public static TheoryData<string> EmbeddedScriptNames()
    {
        var data = new TheoryData<string>();
        foreach (string resource in typeof(RemoteCommand).Assembly.GetManifestResourceNames().Where(n => n.StartsWith("KvmPS.Scripts.", StringComparison.Ordinal) && n.EndsWith(".sh", StringComparison.Ordinal)).OrderBy(n => n, StringComparer.Ordinal))
        {
            data.Add(resource.Substring("KvmPS.Scripts.".Length));
        }

        return data;
    }

    [Fact]
    public void TheGuestScriptsAreEmbedded()
    {
        var names = ((IEnumerable<object[]>)EmbeddedScriptNames()).Select(row => (string)row[0]).ToList();

        Assert.Contains("guest-inventory.sh", names);
        Assert.Contains("guest-wait.sh", names);
        Assert.Contains("guest-prerequisites.sh", names);
        Assert.Contains("storage-backing.sh", names);
        Assert.Contains("seed-iso.sh", names);
    }

    [SkippableTheory]
    [MemberData(nameof(EmbeddedScriptNames))]
    public void ScriptParsesWithDash(string name) => AssertSyntax(Shell("dash", "/bin/sh"), name);

    [SkippableTheory]
    [MemberData(nameof(EmbeddedScriptNames))]
    public void ScriptParsesWithBash(string name) => AssertSyntax(Shell("bash"), name);

    [SkippableTheory]
    [InlineData("dash")]
    [InlineData("bash")]
    public void SyntaxCheckCatchesABrokenScript(string shell)
    {
        (int code, string error) = CheckSyntax(Shell(shell), "for u in \"$@\"; do\n  case \"$u\" in x) echo ;; \ndone\n");

        Assert.NotEqual(0, code);
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Theory]
    [MemberData(nameof(EmbeddedScriptNames))]
    public void ScriptIsPlainUnixText(string name)
    {
        string text = EmbeddedScripts.Read(name);

        Assert.DoesNotContain("\r", text);
        Assert.False(text.Length > 0 && text[0] == '\uFEFF', "no byte order mark");
        Assert.EndsWith("\n", text);
    }

    private static void AssertSyntax(string shell, string name)
    {
        (int code, string error) = CheckSyntax(shell, EmbeddedScripts.Read(name));

        Assert.True(code == 0, $"{shell} -n {name} failed ({code}): {error}");
    }

    private static string Shell(string name, string? fallback = null)
    {
        foreach (string candidate in new[] { "/bin/" + name, "/usr/bin/" + name, fallback }.Where(c => c is not null).Select(c => c!))
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        Skip.If(true, $"{name} is not installed here");
        return "";
    }

    private static (int Code, string Error) CheckSyntax(string shell, string script)
    {
        string file = Path.Combine(Path.GetTempPath(), "kvmps-syntax-" + Guid.NewGuid().ToString("N") + ".sh");
        File.WriteAllText(file, script, new UTF8Encoding(false));
        try
        {
            var info = new ProcessStartInfo(shell) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            info.ArgumentList.Add("-n");
            info.ArgumentList.Add(file);
            using Process process = Process.Start(info)!;
            string error = process.StandardError.ReadToEnd();
            process.StandardOutput.ReadToEnd();
            Assert.True(process.WaitForExit(30_000), $"{shell} -n did not finish");
            return (process.ExitCode, error);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
