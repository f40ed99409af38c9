using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using KvmPS.Guests;
using Xunit;

namespace KvmPS.Tests.Yaml;

/// <summary>
/// SHA-512 crypt against the test vectors published with Ulrich Drepper's specification
/// (https://www.akkadia.org/drepper/SHA-crypt.txt) and against <c>openssl passwd -6</c>.
/// </summary>
public class PasswordHashTests
{
    // The specification's SHA-512 vectors: salt as given to crypt(), key, expected result.
    // ("morethan" is spelled so in the specification.)
    [Theory]
    [InlineData("$6$saltstring", "Hello world!",
        "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1")]
    [InlineData("$6$rounds=10000$saltstringsaltstring", "Hello world!",
        "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.")]
    [InlineData("$6$rounds=5000$toolongsaltstring", "This is just a test",
        "$6$rounds=5000$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0")]
    [InlineData("$6$rounds=1400$anotherlongsaltstring", "a very much longer text to encrypt.  This one even stretches over morethan one line.",
        "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1")]
    [InlineData("$6$rounds=77777$short", "we have a short salt string but not a short password",
        "$6$rounds=77777$short$WuQyW2YR.hBNpjjRhpYD/ifIw05xdfeEyQoMxIXbkvr0gge1a1x3yRULJ5CCaUeOxFmtlcGZelFl5CxtgfiAc0")]
    [InlineData("$6$rounds=123456$asaltof16chars..", "a short string",
        "$6$rounds=123456$asaltof16chars..$BtCwjqMJGx5hrJhZywWvt0RLE8uZ4oPwcelCjmw2kSYu.Ec6ycULevoBK25fs2xXgMNrCzIMVcgEJAstJeonj1")]
    [InlineData("$6$rounds=10$roundstoolow", "the minimum number is still observed",
        "$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.")]
    public void TheSpecificationsTestVectorsAreReproduced(string salt, string key, string expected)
    {
        Assert.Equal(expected, PasswordHash.Sha512Crypt(Encoding.ASCII.GetBytes(key), salt));
    }

    // openssl passwd refuses an empty password or salt ("<NULL>"); these come from the C library's
    // crypt(3) (glibc/libxcrypt, through perl -e 'print crypt(KEY, SALT)').
    [Theory]
    [InlineData("test1234", "$6$", "$6$$XHu9fB3LkQSyG0r.FKxZjQlfe/lTi.Vq4qY0fCfJmN0JrDiG8Lv9eYhLuMlnTXFVcSbW/0hPyeKsVpjsk66qo.")]
    [InlineData("p", "", "$6$$i4E0AZmQBmd1HZRWzuPsBXzyuqM/i3W7xjIw9M4wSBK4PtSgGiTmKchDvSN1vJQtZMPNCb9peE7d1rMFg9v8h0")]
    [InlineData("", "$6$test1234", "$6$test1234$Dq2xtzGWFK5sgkWSp15mKK/uN14ZEUr9rFlPJ1NtQSnXUkQRz/jvz4iWpFGE/eLPuQH2L6rB.VOQPP.3GC0cv1")]
    public void AnEmptyPasswordOrSaltMatchesTheCLibrary(string key, string salt, string expected)
    {
        Assert.Equal(expected, PasswordHash.Sha512Crypt(Encoding.UTF8.GetBytes(key), salt));
    }

    [Fact]
    public void TheSaltMayBeGivenWithoutThePrefixAndEndsAtADollar()
    {
        const string expected = "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1";
        byte[] key = Encoding.ASCII.GetBytes("Hello world!");
        Assert.Equal(expected, PasswordHash.Sha512Crypt(key, "saltstring"));
        Assert.Equal(expected, PasswordHash.Sha512Crypt(key, "$6$saltstring$ignored"));
        Assert.Equal(expected, PasswordHash.Sha512Crypt(key, expected));
    }

    [Fact]
    public void RoundsAreClampedToTheMaximum()
    {
        // Not computed (a billion rounds); the clamp shows in the prefix of a cheap neighbour instead.
        string low = PasswordHash.Sha512Crypt(new byte[] { 1 }, "rounds=0$abc");
        Assert.StartsWith("$6$rounds=1000$abc$", low);
        string min = PasswordHash.Sha512Crypt(new byte[] { 1 }, "rounds=1000$abc");
        Assert.Equal(low, min);
    }

    [Fact]
    public void ARandomSaltHasSixteenCharactersFromTheCryptAlphabetAndDiffersEachTime()
    {
        byte[] key = Encoding.UTF8.GetBytes("secret");
        var hashes = Enumerable.Range(0, 20).Select(_ => PasswordHash.Sha512Crypt(key)).ToList();
        foreach (string hash in hashes)
        {
            Assert.Matches(@"^\$6\$[a-zA-Z0-9./]{16}\$[a-zA-Z0-9./]{86}$", hash);
            Assert.Equal(hash, PasswordHash.Sha512Crypt(key, hash.Split('$')[2]));
        }

        Assert.Equal(hashes.Count, hashes.Distinct().Count());
        Assert.Equal("secret", Encoding.UTF8.GetString(key));
    }

    [Theory]
    [InlineData("salt:x")]
    [InlineData("sälz")]
    [InlineData("rounds=x$abc")]
    [InlineData("rounds=$abc")]
    public void ABadSaltIsRefused(string salt)
    {
        Assert.Throws<ArgumentException>(() => PasswordHash.Sha512Crypt(new byte[] { 1 }, salt));
    }

    public static IEnumerable<object[]> OracleCases()
    {
        var random = new Random(20260101);
        string RandomText(int length) => new string(Enumerable.Range(0, length).Select(_ => (char)random.Next(0x21, 0x7f)).ToArray());

        yield return new object[] { "Hello world!", "saltstring" };
        yield return new object[] { "pässwörd", "umlauts" };
        yield return new object[] { "日本語のパスワード", "japanese" };
        yield return new object[] { "🐧 tux ❄", "emoji./" };
        yield return new object[] { "Ω≈ç√∫˜µ≤≥÷", "ABCDEFGHIJKLMNOP" };
        yield return new object[] { "spaces  and\ttabs", "ws" };
        yield return new object[] { new string('x', 63), "len63" };
        yield return new object[] { new string('y', 64), "len64" };
        yield return new object[] { new string('z', 65), "len65" };
        yield return new object[] { new string('a', 128) + "ü", "len130" };
        yield return new object[] { RandomText(200), "random200" };
        yield return new object[] { new string('é', 128), "twobytes256" };
        yield return new object[] { "long salt", "abcdefghijklmnopqrstuvwxyz0123456789" };
        yield return new object[] { "exactly sixteen", "0123456789abcdef" };
        yield return new object[] { "custom rounds", "rounds=1234$abc0123456789" };
        yield return new object[] { "low rounds", "rounds=10$roundstoolow" };
        for (int i = 0; i < 8; i++)
        {
            yield return new object[] { RandomText(random.Next(1, 100)), new string(RandomText(40).Where(char.IsLetterOrDigit).Take(random.Next(1, 20)).ToArray()) };
        }
    }

    [SkippableTheory]
    [MemberData(nameof(OracleCases))]
    public void MatchesOpensslPasswd(string password, string salt)
    {
        string? openssl = FindOpenssl();
        Skip.If(openssl == null, "openssl is not installed; the openssl passwd -6 oracle was not run.");

        byte[] bytes = Encoding.UTF8.GetBytes(password);
        string expected = OpensslPasswd(openssl!, bytes, salt);
        Assert.Equal(expected, PasswordHash.Sha512Crypt(bytes, salt));
    }

    private static string OpensslPasswd(string openssl, byte[] password, string salt)
    {
        // The password goes through stdin as raw bytes: no argument encoding, not in the process list.
        var info = new ProcessStartInfo(openssl)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { "passwd", "-6", "-salt", salt, "-stdin" })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        process.StandardInput.BaseStream.Write(password, 0, password.Length);
        process.StandardInput.BaseStream.WriteByte((byte)'\n');
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(30000), "openssl passwd did not finish");
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, "openssl passwd failed: " + stderr.Result);
        Assert.True(stderr.Result.Length == 0, "openssl passwd warned (it truncates passwords over 256 bytes): " + stderr.Result);
        return stdout.Result.Trim();
    }

    private static string? FindOpenssl()
    {
        string name = OperatingSystem.IsWindows() ? "openssl.exe" : "openssl";
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            if (dir.Length > 0 && File.Exists(Path.Combine(dir, name)))
            {
                return Path.Combine(dir, name);
            }
        }

        return null;
    }
}
