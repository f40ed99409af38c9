using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using KvmPS.Security;
using Xunit;

namespace KvmPS.Tests.Security
{
    /// <summary>What the real ssh client did with the host key, read from its stderr.</summary>
    public enum SshVerdict
    {
        AcceptedByKey,
        AcceptedByCertificate,
        Refused,
        Changed,
        Revoked,
    }

    /// <summary>
    /// Oracle: for each scenario, run `ssh -o StrictHostKeyChecking=yes` against a private sshd with a known_hosts
    /// file, and assert that KnownHosts.Check, given the key that server presents, reaches the same verdict (and,
    /// for a changed key, names the same offending line; for an invalid certificate, the same reason).
    /// </summary>
    public class SshClientOracleTests : IClassFixture<SshdFixture>, IDisposable
    {
        private static readonly Dictionary<string, Scenario> Scenarios = BuildScenarios().ToDictionary(s => s.Name);
        private readonly SshdFixture _sshd;
        private readonly TempDirectory _dir = new TempDirectory();

        public SshClientOracleTests(SshdFixture sshd)
        {
            _sshd = sshd;
        }

        public static IEnumerable<object[]> ScenarioNames => Scenarios.Keys.Select(k => new object[] { k });

        public void Dispose() => _dir.Dispose();

        [SkippableTheory]
        [MemberData(nameof(ScenarioNames))]
        public void VerdictMatchesTheOpenSshClient(string name)
        {
            Skip.If(_sshd.SkipReason != null, "OpenSSH client/server oracle not run: " + _sshd.SkipReason);
            Scenario scenario = Scenarios[name];
            SshdServer server = scenario.OnServerB ? _sshd.B : _sshd.A;
            string knownHosts = _dir.Write("known_hosts", scenario.KnownHosts(_sshd, server));
            if (scenario.Hash)
            {
                OpenSshTools.Keygen("-H", "-f", knownHosts).EnsureSuccess("ssh-keygen -H");
            }

            ProcessResult ssh = RunSsh(server, scenario, knownHosts);
            SshVerdict openSsh = Classify(ssh);
            Assert.True(scenario.Expected == openSsh, name + ": expected ssh to say " + scenario.Expected + " but: " + ssh);

            string presentedFile = scenario.Presented(server);
            var presented = new PresentedHostKey(scenario.Algorithm, OpenSshTools.ReadBlob(presentedFile));
            string[] names = { scenario.Alias ?? scenario.Host };
            int port = scenario.Alias == null ? server.Port : 22; // ssh looks a HostKeyAlias up verbatim, without port
            HostKeyCheckResult ours = KnownHosts.Check(new[] { knownHosts }, names, port, presented, DateTimeOffset.UtcNow);

            Assert.True(openSsh == ToSshVerdict(ours.Status), name + ": ssh " + openSsh + ", ours " + ours + "\nssh said: " + ssh);
            Assert.Empty(ours.Warnings);

            Match offending = Regex.Match(ssh.Stderr, @"Offending \S+ key in (\S+):(\d+)");
            if (openSsh == SshVerdict.Changed && offending.Success)
            {
                Assert.Equal(offending.Groups[1].Value + ":" + offending.Groups[2].Value, ours.MatchedFile + ":" + ours.MatchedLine);
            }

            Match certificateProblem = Regex.Match(ssh.Stderr, @"^(Certificate (invalid|signed|contains)[^\r\n]*)", RegexOptions.Multiline);
            Assert.Equal(certificateProblem.Success && openSsh == SshVerdict.Refused, ours.Status == HostKeyStatus.CertificateInvalid);
            if (ours.Status == HostKeyStatus.CertificateInvalid)
            {
                Assert.StartsWith(certificateProblem.Groups[1].Value, ours.Detail);
            }
        }

        private static ProcessResult RunSsh(SshdServer server, Scenario scenario, string knownHosts)
        {
            var args = new List<string>
            {
                "-F", "/dev/null", "-v", "-p", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + knownHosts,
                "-o", "GlobalKnownHostsFile=/dev/null", "-o", "CheckHostIP=no", "-o", "UpdateHostKeys=no",
                "-o", "PubkeyAuthentication=no", "-o", "PasswordAuthentication=no", "-o", "KbdInteractiveAuthentication=no",
                "-o", "GSSAPIAuthentication=no", "-o", "ConnectTimeout=10", "-o", "HostKeyAlgorithms=" + scenario.Algorithm,
            };
            if (scenario.Alias != null)
            {
                args.AddRange(new[] { "-o", "HostKeyAlias=" + scenario.Alias });
            }

            args.AddRange(new[] { "root@" + scenario.Host, "true" });
            return OpenSshTools.Run(OpenSshTools.Ssh!, args);
        }

        /// <summary>Reads ssh's verdict; anything unexpected (e.g. connection refused) fails the test rather than guessing.</summary>
        internal static SshVerdict Classify(ProcessResult ssh)
        {
            string err = ssh.Stderr;
            if (err.Contains("REVOKED HOST KEY DETECTED", StringComparison.Ordinal))
            {
                return SshVerdict.Revoked;
            }

            if (err.Contains("REMOTE HOST IDENTIFICATION HAS CHANGED", StringComparison.Ordinal)
                || err.Contains("differs from the key for the IP address", StringComparison.Ordinal))
            {
                return SshVerdict.Changed;
            }

            if (err.Contains("Host key verification failed", StringComparison.Ordinal))
            {
                return SshVerdict.Refused;
            }

            // Past the host key, authentication fails by design ("Permission denied"): the key was accepted.
            // The last "is known and matches" debug line says whether a CA or a plain key did it.
            MatchCollection matches = Regex.Matches(err, @"is known and matches the \S+ host (certificate|key)");
            if ((ssh.ExitCode == 0 || err.Contains("Permission denied", StringComparison.Ordinal)) && matches.Count > 0)
            {
                return matches[^1].Groups[1].Value == "certificate" ? SshVerdict.AcceptedByCertificate : SshVerdict.AcceptedByKey;
            }

            throw new InvalidOperationException("Inconclusive ssh run: " + ssh);
        }

        private static SshVerdict ToSshVerdict(HostKeyStatus status) => status switch
        {
            HostKeyStatus.Trusted => SshVerdict.AcceptedByKey,
            HostKeyStatus.TrustedByCertificateAuthority => SshVerdict.AcceptedByCertificate,
            HostKeyStatus.Changed => SshVerdict.Changed,
            HostKeyStatus.Revoked => SshVerdict.Revoked,
            _ => SshVerdict.Refused, // Unknown and CertificateInvalid: ssh refuses both under strict checking
        };

        private static string Line(string hosts, string publicKeyFile, string? marker = null)
        {
            string[] fields = File.ReadAllText(publicKeyFile).Split(' ');
            return (marker == null ? "" : marker + " ") + hosts + " " + fields[0] + " " + fields[1].Trim();
        }

        private static IEnumerable<Scenario> BuildScenarios()
        {
            const string Ed = "ssh-ed25519", Ec = "ecdsa-sha2-nistp256", Rsa = "rsa-sha2-512";
            const string EdCert = "ssh-ed25519-cert-v01@openssh.com", EcCert = "ecdsa-sha2-nistp256-cert-v01@openssh.com";
            const string RsaCert = "rsa-sha2-512-cert-v01@openssh.com";

            // Plain keys.
            yield return new Scenario("trusted plain ed25519", Ed, SshVerdict.AcceptedByKey, (f, s) => new[] { Line(s.HostEntry, s.Ed25519) });
            yield return new Scenario("trusted plain ecdsa", Ec, SshVerdict.AcceptedByKey, (f, s) => new[] { Line(s.HostEntry, s.Ecdsa) });
            yield return new Scenario("trusted rsa-sha2-512 via ssh-rsa line", Rsa, SshVerdict.AcceptedByKey, (f, s) => new[] { Line(s.HostEntry, s.Rsa) });
            yield return new Scenario("unknown: empty file", Ed, SshVerdict.Refused, (f, s) => new[] { "# nothing" });
            yield return new Scenario("unknown: only another port", Ed, SshVerdict.Refused, (f, s) => new[] { Line("[127.0.0.1]:1", s.Ed25519) });
            yield return new Scenario("changed: same type", Ed, SshVerdict.Changed,
                (f, s) => new[] { "# old key", Line(s.HostEntry, f.OtherEd25519), Line(s.HostEntry, s.Rsa) });
            yield return new Scenario("changed: only another type known", Ed, SshVerdict.Changed, (f, s) => new[] { Line(s.HostEntry, s.Rsa) });
            yield return new Scenario("revoked plain key", Ed, SshVerdict.Revoked,
                (f, s) => new[] { Line(s.HostEntry, s.Ed25519), Line("*", s.Ed25519, "@revoked") });
            yield return new Scenario("port falls back to plain name", Ed, SshVerdict.AcceptedByKey, (f, s) => new[] { Line("127.0.0.1", s.Ed25519) });
            yield return new Scenario("different key under plain name is only unknown", Ed, SshVerdict.Refused,
                (f, s) => new[] { Line("127.0.0.1", f.OtherEd25519) });
            yield return new Scenario("port entry blocks plain name fallback", Ed, SshVerdict.Changed,
                (f, s) => new[] { Line(s.HostEntry, f.OtherEd25519), Line("127.0.0.1", s.Ed25519) });
            yield return new Scenario("hashed trusted", Ed, SshVerdict.AcceptedByKey, (f, s) => new[] { Line(s.HostEntry, s.Ed25519) }) { Hash = true };
            yield return new Scenario("hashed, host typed in upper case", Ed, SshVerdict.AcceptedByKey,
                (f, s) => new[] { Line("[localhost]:" + s.Port, s.Ed25519) }) { Hash = true, Host = "LOCALHOST" };
            yield return new Scenario("hashed changed", Ed, SshVerdict.Changed,
                (f, s) => new[] { Line("kvm1.lab", s.Ed25519), Line(s.HostEntry, f.OtherEd25519) }) { Hash = true };
            yield return new Scenario("negation excludes the host", Ed, SshVerdict.Refused,
                (f, s) => new[] { Line("[127.0.0.1]:*,!" + s.HostEntry, s.Ed25519) });
            yield return new Scenario("wildcard port pattern", Ed, SshVerdict.AcceptedByKey, (f, s) => new[] { Line("[127.0.0.?]:*", s.Ed25519) });
            yield return new Scenario("alias with wildcard and negation", Ed, SshVerdict.AcceptedByKey,
                (f, s) => new[] { Line("*.lab,!web.lab", s.Ed25519) }) { Alias = "kvm1.lab" };
            yield return new Scenario("alias negated", Ed, SshVerdict.Refused,
                (f, s) => new[] { Line("*.lab,!web.lab", s.Ed25519) }) { Alias = "web.lab" };

            // Certificates (server A: valid ed25519, expired ecdsa, wrong-principal rsa).
            yield return new Scenario("cert valid, CA for 127.0.0.1", EdCert, SshVerdict.AcceptedByCertificate,
                (f, s) => new[] { Line("127.0.0.1", f.CaEd25519, "@cert-authority") });
            yield return new Scenario("cert valid, CA for [127.0.0.*]:*", EdCert, SshVerdict.AcceptedByCertificate,
                (f, s) => new[] { Line("[127.0.0.*]:*", f.CaEd25519, "@cert-authority") });
            yield return new Scenario("cert valid, CA for *.lab via alias", EdCert, SshVerdict.AcceptedByCertificate,
                (f, s) => new[] { Line("*.lab", f.CaEd25519, "@cert-authority") }) { Alias = "kvm1.lab" };
            yield return new Scenario("cert alias not a principal", EdCert, SshVerdict.Refused,
                (f, s) => new[] { Line("*.lab", f.CaEd25519, "@cert-authority") }) { Alias = "web.lab" };
            yield return new Scenario("cert CA only for other hosts", EdCert, SshVerdict.Refused,
                (f, s) => new[] { Line("*.lab", f.CaEd25519, "@cert-authority") });
            yield return new Scenario("cert expired", EcCert, SshVerdict.Refused, (f, s) => new[] { Line("*", f.CaEd25519, "@cert-authority") });
            yield return new Scenario("cert expired, plain key known", EcCert, SshVerdict.AcceptedByKey,
                (f, s) => new[] { Line("*", f.CaEd25519, "@cert-authority"), Line(s.HostEntry, s.Ecdsa) });
            yield return new Scenario("cert wrong principal", RsaCert, SshVerdict.Refused, (f, s) => new[] { Line("*", f.CaEd25519, "@cert-authority") });
            yield return new Scenario("cert no matching CA, plain key known", EdCert, SshVerdict.AcceptedByKey,
                (f, s) => new[] { Line("*", f.OtherCa, "@cert-authority"), Line(s.HostEntry, s.Ed25519) });
            yield return new Scenario("cert no matching CA, plain key differs", EdCert, SshVerdict.Changed,
                (f, s) => new[] { Line("*", f.OtherCa, "@cert-authority"), Line(s.HostEntry, f.OtherEd25519) });
            yield return new Scenario("cert revoked CA", EdCert, SshVerdict.Revoked,
                (f, s) => new[] { Line("*", f.CaEd25519, "@cert-authority"), Line("127.0.0.1,[127.0.0.1]:*", f.CaEd25519, "@revoked") });
            yield return new Scenario("cert revoked certified key", EdCert, SshVerdict.Revoked,
                (f, s) => new[] { Line("*", f.CaEd25519, "@cert-authority"), Line("*", s.Ed25519, "@revoked") });
            // ssh-keygen -H leaves marker lines alone, so hash this one ourselves and let ssh judge the hash.
            yield return new Scenario("cert CA line with hashed host", EdCert, SshVerdict.AcceptedByCertificate,
                (f, s) => new[] { Line(HostPatterns.Hash(s.HostEntry, TestKeys.Filled(20, 77)), f.CaEd25519, "@cert-authority") });

            // Server B: no principals, SHA-1 CA signature, not yet valid.
            yield return new Scenario("cert without principals", EdCert, SshVerdict.AcceptedByCertificate,
                (f, s) => new[] { Line("*", f.CaEd25519, "@cert-authority") }) { OnServerB = true };
            yield return new Scenario("cert signed with ssh-rsa (SHA-1)", EcCert, SshVerdict.Refused,
                (f, s) => new[] { Line("*", f.CaRsa, "@cert-authority") }) { OnServerB = true };
            yield return new Scenario("cert not yet valid", RsaCert, SshVerdict.Refused,
                (f, s) => new[] { Line("*", f.CaEd25519, "@cert-authority") }) { OnServerB = true };
        }

        private sealed class Scenario
        {
            public Scenario(string name, string algorithm, SshVerdict expected, Func<SshdFixture, SshdServer, string[]> knownHosts)
            {
                Name = name;
                Algorithm = algorithm;
                Expected = expected;
                KnownHosts = knownHosts;
            }

            public string Name { get; }

            /// <summary>Forced with -o HostKeyAlgorithms, so we know which key or certificate the server presents.</summary>
            public string Algorithm { get; }

            public SshVerdict Expected { get; }

            public Func<SshdFixture, SshdServer, string[]> KnownHosts { get; }

            public bool OnServerB { get; init; }

            public bool Hash { get; init; }

            public string? Alias { get; init; }

            /// <summary>The host name given to ssh (resolving to the loopback sshd).</summary>
            public string Host { get; init; } = "127.0.0.1";

            public string Presented(SshdServer server)
            {
                string keyType = OpenSshKeyBlob.PlainKeyType(OpenSshKeyBlob.KeyTypeForAlgorithm(Algorithm));
                string file = keyType == "ssh-ed25519" ? server.Ed25519 : keyType == "ssh-rsa" ? server.Rsa : server.Ecdsa;
                return OpenSshKeyBlob.IsCertificateType(OpenSshKeyBlob.KeyTypeForAlgorithm(Algorithm)) ? SshdServer.CertificateOf(file) : file;
            }
        }
    }
}
