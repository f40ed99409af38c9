using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using Xunit;

namespace KvmPS.Tests.Security
{
    /// <summary>Runs the real OpenSSH tools for the oracle tests, and says why a test must be skipped when it cannot.</summary>
    internal static class OpenSshTools
    {
        public static string? SshKeygen => Find("ssh-keygen");

        public static string? Ssh => Find("ssh");

        public static string? Sshd => Find("sshd");

        /// <summary>Skips (visibly) when ssh-keygen is not installed.</summary>
        public static string RequireSshKeygen()
        {
            string? path = SshKeygen;
            Skip.If(path == null, "ssh-keygen is not installed (apt-get install openssh-client); OpenSSH oracle test not run.");
            return path!;
        }

        /// <summary>Null when ssh, ssh-keygen and sshd are usable, else the reason to skip.</summary>
        public static string? WhyNoClientServerOracle()
        {
            var missing = new[] { ("ssh", Ssh), ("ssh-keygen", SshKeygen), ("sshd", Sshd) }
                .Where(t => t.Item2 == null).Select(t => t.Item1).ToList();
            if (missing.Count > 0)
            {
                return string.Join(", ", missing) + " not installed (apt-get install openssh-client openssh-server)";
            }

            if (OperatingSystem.IsWindows())
            {
                return "the sshd oracle runs on Linux only";
            }

            // sshd needs root for privilege separation, reading its host keys as root and binding as a daemon.
            return Environment.IsPrivilegedProcess ? null : "not running as root, so a private sshd cannot be started";
        }

        public static ProcessResult Run(string fileName, IEnumerable<string> arguments, int timeoutMs = 30000)
        {
            var info = new ProcessStartInfo(fileName)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            foreach (string argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }

            // Keep the user's agent and locale out of the oracle's behaviour.
            info.Environment.Remove("SSH_AUTH_SOCK");
            info.Environment["LC_ALL"] = "C";

            using var process = Process.Start(info)!;
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeoutMs))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException(fileName + " " + string.Join(" ", info.ArgumentList) + " did not finish in " + timeoutMs + " ms");
            }

            process.WaitForExit();
            return new ProcessResult(process.ExitCode, stdout.Result, stderr.Result);
        }

        public static ProcessResult Keygen(params string[] arguments)
        {
            return Run(RequireSshKeygen(), arguments);
        }

        /// <summary>Generates a key pair without passphrase; returns the public key path.</summary>
        public static string GenerateKey(string directory, string name, string type, int bits = 0)
        {
            string path = Path.Combine(directory, name);
            var args = new List<string> { "-q", "-t", type, "-N", "", "-C", name, "-f", path };
            if (bits > 0)
            {
                args.AddRange(new[] { "-b", bits.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            }

            Keygen(args.ToArray()).EnsureSuccess("ssh-keygen -t " + type);
            return path + ".pub";
        }

        /// <summary>Signs a host certificate with ssh-keygen -s; returns the *-cert.pub path.</summary>
        public static string SignHostCertificate(string caPrivateKey, string publicKey, string id, string? principals,
            string validity, params string[] extra)
        {
            var args = new List<string> { "-q", "-s", caPrivateKey, "-h", "-I", id, "-V", validity };
            if (principals != null)
            {
                args.AddRange(new[] { "-n", principals });
            }

            args.AddRange(extra);
            args.Add(publicKey);
            Keygen(args.ToArray()).EnsureSuccess("ssh-keygen -s");
            return publicKey.Substring(0, publicKey.Length - ".pub".Length) + "-cert.pub";
        }

        /// <summary>The key blob of a *.pub or *-cert.pub file (second field, base64).</summary>
        public static byte[] ReadBlob(string publicKeyFile)
        {
            return Convert.FromBase64String(ReadBase64(publicKeyFile));
        }

        public static string ReadBase64(string publicKeyFile)
        {
            return File.ReadAllText(publicKeyFile).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        }

        /// <summary>Line numbers that `ssh-keygen -F host -f file` reports ("# Host h found: line N ...").</summary>
        public static int[] KeygenFindLines(string file, string host)
        {
            ProcessResult result = Keygen("-F", host, "-f", file);
            return result.Stdout.Split('\n')
                .Where(l => l.StartsWith("# Host ", StringComparison.Ordinal))
                .Select(l => int.Parse(l.Split("found: line ")[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture))
                .ToArray();
        }

        private static string? Find(string tool)
        {
            IEnumerable<string> dirs = (Environment.GetEnvironmentVariable("PATH") ?? "")
                .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Concat(new[] { "/usr/sbin", "/usr/local/sbin", "/sbin" });
            return dirs.Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);
        }
    }

    internal sealed class ProcessResult
    {
        public ProcessResult(int exitCode, string stdout, string stderr)
        {
            ExitCode = exitCode;
            Stdout = stdout;
            Stderr = stderr;
        }

        public int ExitCode { get; }

        public string Stdout { get; }

        public string Stderr { get; }

        public ProcessResult EnsureSuccess(string what)
        {
            if (ExitCode != 0)
            {
                throw new InvalidOperationException(what + " failed (" + ExitCode + "): " + Stderr + Stdout);
            }

            return this;
        }

        public override string ToString() => "exit " + ExitCode + "\n" + Stderr + Stdout;
    }
}
