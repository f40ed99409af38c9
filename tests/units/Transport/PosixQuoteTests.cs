using System;
using System.Diagnostics;
using KvmPS.Transport;
using Xunit;

namespace KvmPS.Tests.Transport;

public sealed class PosixQuoteTests
{
    [Theory]
    [InlineData("virsh", "virsh")]
    [InlineData("--all", "--all")]
    [InlineData("/var/lib/libvirt/images/a.qcow2", "/var/lib/libvirt/images/a.qcow2")]
    [InlineData("", "''")]
    [InlineData("a b", "'a b'")]
    [InlineData("it's", "'it'\\''s'")]
    [InlineData("FOO=bar", "'FOO=bar'")]
    [InlineData("~root", "'~root'")]
    [InlineData("$(id)", "'$(id)'")]
    public void QuotesOnlyWhatNeedsIt(string word, string expected)
    {
        Assert.Equal(expected, PosixQuote.Quote(word));
    }

    [Fact]
    public void RefusesNul()
    {
        Assert.Throws<ArgumentException>(() => PosixQuote.Quote("a\0b"));
        Assert.Throws<ArgumentException>(() => RemoteCommand.Of("echo", "a\0b"));
    }

    [Theory]
    [InlineData("a'b;touch /tmp/pwned$(id)")]
    [InlineData("`id`\"$HOME\"\\n*?[a]{b,c}")]
    [InlineData("line1\nline2\r\n\ttab")]
    [InlineData("gäst-虚拟机-🖥")]
    [InlineData("-n")]
    [InlineData("'''")]
    public void ShellReadsEveryWordBackExactly(string word)
    {
        // dash (Debian's sh) and bash (RHEL's) as the oracles.
        foreach (string shell in new[] { "/bin/sh", "/bin/bash" })
        {
            var start = new ProcessStartInfo(shell) { RedirectStandardOutput = true, UseShellExecute = false };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add("printf '%s|' " + PosixQuote.Join(new[] { word, word }));
            using Process process = Process.Start(start)!;
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            Assert.Equal(word + "|" + word + "|", output);
        }
    }
}
