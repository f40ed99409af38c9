using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace KvmPS.Tests.Security
{
    /// <summary>
    /// Two private sshd instances on 127.0.0.1 with generated host keys and host certificates, for comparing
    /// KnownHosts.Check with the verdict of the real ssh client. Nothing listens beyond loopback, no user can log
    /// in (no authorized keys, no passwords), and both daemons are killed on Dispose.
    /// When the tools or root are missing, <see cref="SkipReason"/> says so and the tests skip.
    /// </summary>
    public sealed class SshdFixture : IDisposable
    {
        private readonly List<Process> _daemons = new List<Process>();
        private readonly TempDirectory? _dir;

        public SshdFixture()
        {
            SkipReason = OpenSshTools.WhyNoClientServerOracle();
            if (SkipReason != null)
            {
                return;
            }

            _dir = new TempDirectory();
            string dir = _dir.Path;
            CaEd25519 = OpenSshTools.GenerateKey(dir, "ca_ed25519", "ed25519");
            CaRsa = OpenSshTools.GenerateKey(dir, "ca_rsa", "rsa", 2048);
            OtherCa = OpenSshTools.GenerateKey(dir, "ca_other", "ed25519");
            OtherEd25519 = OpenSshTools.GenerateKey(dir, "other_ed25519", "ed25519");

            // Server A: a valid ed25519 certificate, an expired ECDSA one, an RSA one for the wrong name.
            A = new SshdServer(
                OpenSshTools.GenerateKey(dir, "a_ed25519", "ed25519"),
                OpenSshTools.GenerateKey(dir, "a_ecdsa", "ecdsa", 256),
                OpenSshTools.GenerateKey(dir, "a_rsa", "rsa", 2048));
            Sign(CaEd25519, A.Ed25519, "a-valid", "127.0.0.1,kvm1.lab", "-5m:+1d");
            Sign(CaEd25519, A.Ecdsa, "a-expired", "127.0.0.1", "20200101:20200102");
            Sign(CaEd25519, A.Rsa, "a-wrong-principal", "other.lab", "-5m:+1d");

            // Server B: no principals (valid for any host), a CA signature with SHA-1 RSA, not yet valid.
            B = new SshdServer(
                OpenSshTools.GenerateKey(dir, "b_ed25519", "ed25519"),
                OpenSshTools.GenerateKey(dir, "b_ecdsa", "ecdsa", 256),
                OpenSshTools.GenerateKey(dir, "b_rsa", "rsa", 2048));
            Sign(CaEd25519, B.Ed25519, "b-any-host", null, "-5m:+1d");
            Sign(CaRsa, B.Ecdsa, "b-sha1-ca", "127.0.0.1", "-5m:+1d", "-t", "ssh-rsa");
            Sign(CaEd25519, B.Rsa, "b-future", "127.0.0.1", "+1d:+2d");

            // sshd refuses to start without its privilege separation directory.
            Directory.CreateDirectory("/run/sshd");
            Start(A, "a");
            Start(B, "b");
        }

        /// <summary>Null when usable, else why the oracle cannot run here.</summary>
        public string? SkipReason { get; }

        public string CaEd25519 { get; } = "";

        public string CaRsa { get; } = "";

        public string OtherCa { get; } = "";

        public string OtherEd25519 { get; } = "";

        public SshdServer A { get; } = new SshdServer("", "", "");

        public SshdServer B { get; } = new SshdServer("", "", "");

        public void Dispose()
        {
            foreach (Process daemon in _daemons)
            {
                try
                {
                    if (!daemon.HasExited)
                    {
                        daemon.Kill(entireProcessTree: true);
                        daemon.WaitForExit(5000);
                    }
                }
                catch (InvalidOperationException)
                {
                    // Already gone.
                }

                daemon.Dispose();
            }

            _dir?.Dispose();
        }

        private static void Sign(string caPub, string hostPub, string id, string? principals, string validity, params string[] extra)
        {
            OpenSshTools.SignHostCertificate(caPub.Replace(".pub", ""), hostPub, id, principals, validity, extra);
        }

        private void Start(SshdServer server, string name)
        {
            string config = Path.Combine(_dir!.Path, "sshd_" + name + ".conf");
            var text = new StringBuilder();
            foreach (string pub in new[] { server.Ed25519, server.Ecdsa, server.Rsa })
            {
                string key = pub.Replace(".pub", "");
                text.Append("HostKey ").Append(key).Append('\n');
                text.Append("HostCertificate ").Append(key).Append("-cert.pub\n");
            }

            text.Append("PidFile none\nUsePAM no\nAuthorizedKeysFile none\nPasswordAuthentication no\n")
                .Append("KbdInteractiveAuthentication no\nStrictModes no\nLogLevel ERROR\n");
            File.WriteAllText(config, text.ToString());

            int port = FreeLoopbackPort();
            var info = new ProcessStartInfo(OpenSshTools.Sshd!)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            foreach (string arg in new[] { "-D", "-e", "-f", config, "-p", port.ToString(), "-o", "ListenAddress=127.0.0.1" })
            {
                info.ArgumentList.Add(arg);
            }

            var log = new StringBuilder();
            var process = new Process { StartInfo = info };
            process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
            process.Start();
            process.BeginErrorReadLine();
            _daemons.Add(process);
            server.Port = port;

            // Ready once it accepts connections; fail loudly (not skip) if it dies: the tools are there.
            DateTime deadline = DateTime.UtcNow.AddSeconds(15);
            while (DateTime.UtcNow < deadline)
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException("sshd exited with " + process.ExitCode + ": " + log);
                }

                try
                {
                    using var client = new TcpClient();
                    client.Connect(IPAddress.Loopback, port);
                    return;
                }
                catch (SocketException)
                {
                    Thread.Sleep(100);
                }
            }

            throw new TimeoutException("sshd did not listen on port " + port + ": " + log);
        }

        private static int FreeLoopbackPort()
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            return port;
        }
    }

    /// <summary>One sshd: its public key files (each has a *-cert.pub beside it) and port.</summary>
    public sealed class SshdServer
    {
        public SshdServer(string ed25519, string ecdsa, string rsa)
        {
            Ed25519 = ed25519;
            Ecdsa = ecdsa;
            Rsa = rsa;
        }

        public string Ed25519 { get; }

        public string Ecdsa { get; }

        public string Rsa { get; }

        public int Port { get; set; }

        /// <summary>The host string ssh looks up for this server: "[127.0.0.1]:port".</summary>
        public string HostEntry => "[127.0.0.1]:" + Port;

        public static string CertificateOf(string publicKey) => publicKey.Replace(".pub", "-cert.pub");
    }
}
