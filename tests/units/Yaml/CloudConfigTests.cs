using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using KvmPS.Guests;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace KvmPS.Tests.Yaml;

/// <summary>
/// The generated "#cloud-config", read back by YamlDotNet's representation model and, where
/// python3 with PyYAML is installed, by PyYAML: the parser cloud-init itself uses (YAML 1.1).
/// </summary>
public class CloudConfigTests
{
    private const string Hash = "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1";
    private const string Key1 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOuBpSO3dTHJCSC3Uv6ra5gGz0E7Fc1ocUzgQfIWRBn1 admin@desk";
    private const string Key2 = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 ops: laptop # work";

    // Strings YAML (1.1 or 1.2) would read as something else, or cannot hold unquoted.
    public static IEnumerable<object[]> Awkward() => new[]
    {
        "yes", "No", "on", "OFF", "y", "n", "true", "null", "Null", "~", "", " ", "123", "0755", "0x1F", "1_000", "1e3",
        ".inf", ".NaN", "1:20", "2024-01-01", "2001-12-14t21:59:43.10-05:00", "=", "<<", "a: b", "a:b", "x # y", "#x",
        "-dash", "- item", "? q", "*alias", "&anchor", "!tag", "%percent", "@at", "`tick", "[x]", "{y}", "a, b",
        "'single'", "\"double\"", "back\\slash", "tab\tin", "line\nbreak", "trailing ", " leading", "héllo wörld",
        "日本語", "emoji 🐧", "$6$x$y", "ALL=(ALL) NOPASSWD:ALL", "|", ">", "---", "...", "\u0007bell",
    }.Select(s => new object[] { s });

    [Fact]
    public void AUserGetsBashSudoKeysAndThePasswordHash()
    {
        string text = Spec.Engine.CloudConfig("web1", new CloudInitRequest
        {
            User = "admin",
            SshPublicKeys = { Key1, Key2 },
            PasswordHash = Hash,
        });

        Assert.StartsWith("#cloud-config\n", text);
        Assert.DoesNotContain("\r", text);
        YamlMappingNode root = Load(text);
        Assert.Equal(new[] { "hostname", "users", "ssh_pwauth" }, Keys(root));
        Assert.Equal("web1", Scalar(root, "hostname"));
        Assert.Equal("true", Scalar(root, "ssh_pwauth"));

        var users = (YamlSequenceNode)root.Children[new YamlScalarNode("users")];
        var user = (YamlMappingNode)Assert.Single(users.Children);
        Assert.Equal(new[] { "name", "shell", "sudo", "lock_passwd", "passwd", "ssh_authorized_keys" }, Keys(user));
        Assert.Equal("admin", Scalar(user, "name"));
        Assert.Equal("/bin/bash", Scalar(user, "shell"));
        Assert.Equal("ALL=(ALL) NOPASSWD:ALL", Scalar(user, "sudo"));
        Assert.Equal("false", Scalar(user, "lock_passwd"));
        Assert.Equal(Hash, Scalar(user, "passwd"));
        var keys = (YamlSequenceNode)user.Children[new YamlScalarNode("ssh_authorized_keys")];
        Assert.Equal(new[] { Key1, Key2 }, keys.Children.Select(k => ((YamlScalarNode)k).Value));
        Assert.DoesNotContain("groups", text);

        // The booleans are YAML booleans (plain), the texts are texts.
        Assert.Equal(YamlDotNet.Core.ScalarStyle.Plain, ((YamlScalarNode)user.Children[new YamlScalarNode("lock_passwd")]).Style);
        Assert.NotEqual(YamlDotNet.Core.ScalarStyle.Plain, ((YamlScalarNode)user.Children[new YamlScalarNode("sudo")]).Style);

        using JsonDocument parsed = PyYaml.Load(text);
        JsonElement py = parsed.RootElement;
        Assert.Equal("web1", py.GetProperty("hostname").GetString());
        Assert.True(py.GetProperty("ssh_pwauth").GetBoolean());
        JsonElement pyUser = Assert.Single(py.GetProperty("users").EnumerateArray());
        Assert.Equal("admin", pyUser.GetProperty("name").GetString());
        Assert.False(pyUser.GetProperty("lock_passwd").GetBoolean());
        Assert.Equal(Hash, pyUser.GetProperty("passwd").GetString());
        Assert.Equal("ALL=(ALL) NOPASSWD:ALL", pyUser.GetProperty("sudo").GetString());
        Assert.Equal(new[] { Key1, Key2 }, pyUser.GetProperty("ssh_authorized_keys").EnumerateArray().Select(k => k.GetString()));
    }

    [Fact]
    public void AUserWithoutPasswordIsLeftLockedAndPasswordLoginsOff()
    {
        string text = Spec.Engine.CloudConfig("db1", new CloudInitRequest { User = "ops", SshPublicKeys = { Key1 } });
        YamlMappingNode root = Load(text);
        Assert.Equal(new[] { "hostname", "users" }, Keys(root));
        var user = (YamlMappingNode)((YamlSequenceNode)root.Children[new YamlScalarNode("users")]).Children[0];
        Assert.Equal(new[] { "name", "shell", "sudo", "ssh_authorized_keys" }, Keys(user));
    }

    [Fact]
    public void WithoutAUserTheKeysGoToTheDefaultUser()
    {
        string text = Spec.Engine.CloudConfig("vm", new CloudInitRequest { SshPublicKeys = { Key1 } });
        YamlMappingNode root = Load(text);
        Assert.Equal(new[] { "hostname", "ssh_authorized_keys" }, Keys(root));
        var keys = (YamlSequenceNode)root.Children[new YamlScalarNode("ssh_authorized_keys")];
        Assert.Equal(Key1, ((YamlScalarNode)Assert.Single(keys.Children)).Value);
    }

    [Fact]
    public void WithoutAUserThePasswordHashGoesToTheDefaultUser()
    {
        string text = Spec.Engine.CloudConfig("vm", new CloudInitRequest { PasswordHash = Hash });
        YamlMappingNode root = Load(text);
        Assert.Equal(new[] { "hostname", "password", "chpasswd", "ssh_pwauth" }, Keys(root));
        Assert.Equal(Hash, Scalar(root, "password"));
        Assert.Equal("false", Scalar((YamlMappingNode)root.Children[new YamlScalarNode("chpasswd")], "expire"));

        using JsonDocument parsed = PyYaml.Load(text);
        Assert.Equal(Hash, parsed.RootElement.GetProperty("password").GetString());
        Assert.False(parsed.RootElement.GetProperty("chpasswd").GetProperty("expire").GetBoolean());
        Assert.True(parsed.RootElement.GetProperty("ssh_pwauth").GetBoolean());
    }

    [Fact]
    public void NothingButTheHostname()
    {
        Assert.Equal("#cloud-config\nhostname: vm1\n", Spec.Engine.CloudConfig("vm1", new CloudInitRequest()));
    }

    [Theory]
    [MemberData(nameof(Awkward))]
    public void AwkwardTextsComeBackExactlyFromYamlDotNet(string text)
    {
        string config = Spec.Engine.CloudConfig(text, new CloudInitRequest { User = text, SshPublicKeys = { text }, PasswordHash = text });
        YamlMappingNode root = Load(config);
        Assert.Equal(text, Scalar(root, "hostname"));
        var user = (YamlMappingNode)((YamlSequenceNode)root.Children[new YamlScalarNode("users")]).Children[0];
        Assert.Equal(text, Scalar(user, "name"));
        Assert.Equal(text, Scalar(user, "passwd"));
        Assert.Equal(text, ((YamlScalarNode)((YamlSequenceNode)user.Children[new YamlScalarNode("ssh_authorized_keys")]).Children[0]).Value);

        // Whatever is not a plain word is quoted, so no YAML 1.1 or 1.2 resolver can turn it into
        // a boolean, a number, a date or null.
        YamlScalarNode hostname = (YamlScalarNode)root.Children[new YamlScalarNode("hostname")];
        Assert.NotEqual(YamlDotNet.Core.ScalarStyle.Plain, hostname.Style);
    }

    [SkippableFact]
    public void AwkwardTextsComeBackExactlyFromPyYaml()
    {
        // One python run for every text: the hostname, the user name, the hash and a key of each.
        var texts = Awkward().Select(a => (string)a[0]).ToList();
        var documents = texts.Select(t => Spec.Engine.CloudConfig(t, new CloudInitRequest { User = t, SshPublicKeys = { t }, PasswordHash = t })).ToList();
        using JsonDocument parsed = PyYaml.LoadAll(documents);
        var results = parsed.RootElement.EnumerateArray().ToList();
        Assert.Equal(texts.Count, results.Count);
        for (int i = 0; i < texts.Count; i++)
        {
            JsonElement root = results[i];
            string expected = texts[i];
            Assert.True(root.GetProperty("hostname").ValueKind == JsonValueKind.String, $"'{expected}' came back as {root.GetProperty("hostname").ValueKind}");
            Assert.Equal(expected, root.GetProperty("hostname").GetString());
            JsonElement user = root.GetProperty("users")[0];
            Assert.Equal(expected, user.GetProperty("name").GetString());
            Assert.Equal(expected, user.GetProperty("passwd").GetString());
            Assert.Equal(expected, user.GetProperty("ssh_authorized_keys")[0].GetString());
        }
    }

    [Fact]
    public void PlainWordsStayPlain()
    {
        string text = Spec.Engine.CloudConfig("web-1.lab", new CloudInitRequest { User = "admin" });
        Assert.Contains("hostname: web-1.lab\n", text);
        Assert.Contains("- name: admin\n", text);
        Assert.Contains("shell: /bin/bash\n", text);
        Assert.Contains("sudo: \"ALL=(ALL) NOPASSWD:ALL\"\n", text);
    }

    [Fact]
    public void AGuestReadFromASpecGivesAConfigWithoutThePassword()
    {
        const string plain = "Tr0ub4dor&3-plain";
        GuestRequest guest = Spec.One("name: web1\ncloudInit:\n  user: admin\n  password: '" + plain + "'\n");
        string text = Spec.Engine.CloudConfig(guest.Name, guest.CloudInit!);
        Assert.DoesNotContain(plain, text);
        var user = (YamlMappingNode)((YamlSequenceNode)Load(text).Children[new YamlScalarNode("users")]).Children[0];
        Assert.Equal(guest.CloudInit!.PasswordHash, Scalar(user, "passwd"));
    }

    private static YamlMappingNode Load(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return (YamlMappingNode)Assert.Single(stream.Documents).RootNode;
    }

    private static string[] Keys(YamlMappingNode mapping) => mapping.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToArray();

    private static string? Scalar(YamlMappingNode mapping, string key) => ((YamlScalarNode)mapping.Children[new YamlScalarNode(key)]).Value;
}

/// <summary>PyYAML's safe_load (what cloud-init uses) as an oracle; skips visibly when it is missing.</summary>
internal static class PyYaml
{
    private const string Script =
        "import sys, json, yaml\n"
        + "docs = json.load(sys.stdin)\n"
        + "out = [yaml.safe_load(d) for d in docs]\n"
        + "sys.stdout.write(json.dumps(out, default=lambda o: {'__type__': type(o).__name__, 'repr': repr(o)}))\n";

    private static readonly Lazy<string?> Missing = new(() =>
    {
        try
        {
            var result = Run("import yaml", "[]");
            return result.ExitCode == 0 ? null : "python3 has no yaml module (pip install pyyaml): " + result.Stderr.Trim();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "python3 is not installed";
        }
    });

    public static JsonDocument Load(string yaml)
    {
        using JsonDocument all = LoadAll(new[] { yaml });
        return JsonDocument.Parse(all.RootElement[0].GetRawText());
    }

    public static JsonDocument LoadAll(IReadOnlyList<string> documents)
    {
        Skip.If(Missing.Value != null, Missing.Value + "; the PyYAML oracle was not run.");
        var result = Run(Script, JsonSerializer.Serialize(documents));
        Assert.True(result.ExitCode == 0, "python3 failed: " + result.Stderr);
        return JsonDocument.Parse(result.Stdout);
    }

    private static (int ExitCode, string Stdout, string Stderr) Run(string script, string stdin)
    {
        var info = new ProcessStartInfo("python3")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = Encoding.UTF8,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        info.Environment["PYTHONIOENCODING"] = "utf-8";
        using var process = Process.Start(info)!;
        process.StandardInput.Write(stdin);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("python3 did not finish in 60 s");
        }

        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
