using System;
using KvmPS.Sessions;
using Xunit;

namespace KvmPS.Tests.Sessions;

public sealed class HostTargetTests
{
    [Theory]
    [InlineData("kvm1", "kvm1", null, null)]
    [InlineData("root@kvm1", "kvm1", "root", null)]
    [InlineData("kvm1:2222", "kvm1", null, 2222)]
    [InlineData("admin@kvm1.example.com:22", "kvm1.example.com", "admin", 22)]
    [InlineData("[fd00::5]:2222", "fd00::5", null, 2222)]
    [InlineData("fd00::5", "fd00::5", null, null)]
    [InlineData("user@corp@kvm1", "kvm1", "user@corp", null)]
    public void Parses(string text, string host, string? user, int? port)
    {
        HostTarget target = HostTarget.Parse(text);

        Assert.Equal(host, target.Host);
        Assert.Equal(user, target.UserName);
        Assert.Equal(port, target.Port);
        Assert.Equal(text, target.Text);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("LOCALHOST")]
    [InlineData(".")]
    public void LocalNamesMeanNoSsh(string text)
    {
        Assert.True(HostTarget.Parse(text).IsLocal);
    }

    [Theory]
    [InlineData("root@localhost")]
    [InlineData("localhost:22")]
    [InlineData("127.0.0.1")]
    public void ExplicitUserPortOrAddressMeansSsh(string text)
    {
        Assert.False(HostTarget.Parse(text).IsLocal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("kvm1;touch x")]
    [InlineData("kvm1$(id)")]
    [InlineData("kvm1\nid")]
    [InlineData("-oProxyCommand=id")]
    [InlineData("kvm1:0")]
    [InlineData("kvm1:65536")]
    [InlineData("kvm1:ssh")]
    [InlineData("@kvm1")]
    [InlineData("ro ot@kvm1")]
    [InlineData("-l@kvm1")]
    [InlineData("[fd00::5")]
    [InlineData("[fd00::5]x")]
    public void RefusesBadNames(string text)
    {
        Assert.Throws<ArgumentException>(() => HostTarget.Parse(text));
    }
}
