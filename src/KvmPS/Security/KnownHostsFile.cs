using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;

namespace KvmPS.Security
{
    /// <summary>The optional marker that starts a known_hosts line.</summary>
    internal enum KnownHostsMarker
    {
        None,
        /// <summary>"@cert-authority": the key is a CA trusted to sign host certificates for the hosts.</summary>
        CertificateAuthority,
        /// <summary>"@revoked": the key must never be accepted, as a host key or as a CA.</summary>
        Revoked,
    }

    /// <summary>One valid line of a known_hosts file.</summary>
    internal sealed class KnownHostsEntry
    {
        public KnownHostsEntry(string file, int line, KnownHostsMarker marker, string hosts, string keyType,
            byte[] keyBlob, byte[] plainKeyBlob, string comment)
        {
            File = file;
            Line = line;
            Marker = marker;
            Hosts = hosts;
            KeyType = keyType;
            KeyBlob = keyBlob;
            PlainKeyBlob = plainKeyBlob;
            Comment = comment;
        }

        public string File { get; }

        /// <summary>1-based line number, as OpenSSH reports it.</summary>
        public int Line { get; }

        public KnownHostsMarker Marker { get; }

        /// <summary>The raw host field: a pattern list or one hashed name.</summary>
        public string Hosts { get; }

        public string KeyType { get; }

        public byte[] KeyBlob { get; }

        /// <summary>
        /// The key used for comparisons: the blob itself, or for a certificate written into known_hosts the key it
        /// certifies (OpenSSH's sshkey_equal/sshkey_equal_public compare only the public key part).
        /// </summary>
        public byte[] PlainKeyBlob { get; }

        public string Comment { get; }

        public bool IsHashed => HostPatterns.IsHashed(Hosts);

        /// <summary>"file:line", the way ssh(1) points at an offending key.</summary>
        public string Location => File + ":" + Line.ToString(CultureInfo.InvariantCulture);

        /// <summary>Whether this line applies to <paramref name="lookupHost"/> ("name" or "[name]:port").</summary>
        public bool AppliesTo(string lookupHost)
        {
            return IsHashed
                ? HostPatterns.MatchHashed(lookupHost, Hosts)
                : HostPatterns.MatchList(lookupHost, Hosts) == HostPatternMatch.Match;
        }
    }

    /// <summary>
    /// A parsed known_hosts file (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"). Like ssh(1), a line that cannot be
    /// parsed is skipped rather than failing the whole file; each one is reported in <see cref="Warnings"/>.
    /// </summary>
    internal sealed class KnownHostsFile
    {
        private KnownHostsFile(string path, IReadOnlyList<KnownHostsEntry> entries, IReadOnlyList<string> warnings)
        {
            Path = path;
            Entries = entries;
            Warnings = warnings;
        }

        public string Path { get; }

        public IReadOnlyList<KnownHostsEntry> Entries { get; }

        /// <summary>"file:line: reason" for each skipped line.</summary>
        public IReadOnlyList<string> Warnings { get; }

        /// <summary>
        /// Reads a file; a missing file (or directory) is simply empty, as for ssh(1). An unreadable one is empty
        /// too (ssh carries on without it) but, unlike ssh's debug line, leaves a warning.
        /// </summary>
        public static KnownHostsFile Load(string path)
        {
            if (!File.Exists(path))
            {
                return Parse(path, string.Empty);
            }

            try
            {
                return Parse(path, File.ReadAllText(path));
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                return new KnownHostsFile(path, Array.Empty<KnownHostsEntry>(), new[] { path + ": cannot be read: " + ex.Message });
            }
        }

        /// <summary>Parses file content; <paramref name="path"/> only labels entries and warnings.</summary>
        public static KnownHostsFile Parse(string path, string content)
        {
            var entries = new List<KnownHostsEntry>();
            var warnings = new List<string>();
            string[] lines = content.Split('\n');
            for (int i = 0; i < lines.Length; i++)
            {
                string? error = TryParseLine(path, i + 1, lines[i].TrimEnd('\r'), out KnownHostsEntry? entry);
                if (entry != null)
                {
                    entries.Add(entry);
                }
                else if (error != null)
                {
                    warnings.Add(path + ":" + (i + 1).ToString(CultureInfo.InvariantCulture) + ": " + error);
                }
            }

            return new KnownHostsFile(path, entries, warnings);
        }

        /// <summary>
        /// The host names written in clear on plain key lines, as KvmPS names hosts ("[h]:2222" becomes "h:2222",
        /// "[h]:22" "h"): what tab completion offers. Hashed names, patterns and negations are left out.
        /// </summary>
        public IEnumerable<string> ClearHostNames()
        {
            foreach (KnownHostsEntry entry in Entries)
            {
                if (entry.Marker != KnownHostsMarker.None || entry.IsHashed)
                {
                    continue;
                }

                foreach (string host in entry.Hosts.Split(','))
                {
                    if (host.Length == 0 || host.IndexOfAny(new[] { '*', '?', '!' }) >= 0)
                    {
                        continue;
                    }

                    yield return ClearHostName(host);
                }
            }
        }

        private static string ClearHostName(string host)
        {
            int close = host.IndexOf("]:", StringComparison.Ordinal);
            if (!host.StartsWith("[", StringComparison.Ordinal) || close < 0)
            {
                return host;
            }

            string name = host.Substring(1, close - 1);
            string port = host.Substring(close + 2);
            if (port == "22")
            {
                return name;
            }

            return name.IndexOf(':') >= 0 ? host : name + ":" + port;
        }

        /// <summary>The valid lines that apply to <paramref name="lookupHost"/>, in file order (what ssh-keygen -F lists).</summary>
        public IEnumerable<KnownHostsEntry> FindEntries(string lookupHost)
        {
            foreach (KnownHostsEntry entry in Entries)
            {
                if (entry.AppliesTo(lookupHost))
                {
                    yield return entry;
                }
            }
        }

        /// <summary>Returns null with entry set, null with no entry for blank/comment lines, or an error text.</summary>
        private static string? TryParseLine(string path, int lineNumber, string line, out KnownHostsEntry? entry)
        {
            entry = null;
            int pos = SkipBlanks(line, 0);
            if (pos == line.Length || line[pos] == '#')
            {
                return null;
            }

            var marker = KnownHostsMarker.None;
            if (line[pos] == '@')
            {
                string markerText = NextField(line, ref pos);
                switch (markerText)
                {
                    case "@cert-authority":
                        marker = KnownHostsMarker.CertificateAuthority;
                        break;
                    case "@revoked":
                        marker = KnownHostsMarker.Revoked;
                        break;
                    default:
                        return "unknown marker '" + markerText + "'";
                }

                if (pos < line.Length && line[pos] == '@')
                {
                    return "only one marker is allowed per line";
                }
            }

            string hosts = NextField(line, ref pos);
            string keyType = NextField(line, ref pos);
            string base64 = NextField(line, ref pos);
            if (base64.Length == 0)
            {
                return "expected 'hosts keytype base64-key [comment]'";
            }

            if (HostPatterns.IsHashed(hosts) && HostPatterns.TryGetSalt(hosts) == null)
            {
                return "bad hashed host name";
            }

            byte[] blob;
            try
            {
                blob = Convert.FromBase64String(base64);
            }
            catch (FormatException)
            {
                return "key is not valid base64";
            }

            byte[] plain;
            try
            {
                string blobType = OpenSshKeyBlob.KeyType(blob);
                // ssh rejects a line whose type field disagrees with the blob (tested with ssh 9.2);
                // rsa-sha2-* are accepted as names for an ssh-rsa key, as OpenSSH's key reader maps them.
                if (!string.Equals(OpenSshKeyBlob.KeyTypeForAlgorithm(keyType), blobType, StringComparison.Ordinal))
                {
                    return "key type '" + keyType + "' does not match the key's own type '" + blobType + "'";
                }

                plain = OpenSshKeyBlob.PlainKeyBlob(blob);
            }
            catch (SshFormatException ex)
            {
                return "invalid key: " + ex.Message;
            }

            string comment = pos < line.Length ? line.Substring(pos).Trim() : string.Empty;
            entry = new KnownHostsEntry(path, lineNumber, marker, hosts, OpenSshKeyBlob.KeyType(blob), blob, plain, comment);
            return null;
        }

        private static int SkipBlanks(string line, int pos)
        {
            while (pos < line.Length && (line[pos] == ' ' || line[pos] == '\t'))
            {
                pos++;
            }

            return pos;
        }

        // Fields are separated by runs of spaces or tabs; leaves pos at the start of the next field.
        private static string NextField(string line, ref int pos)
        {
            int start = pos;
            while (pos < line.Length && line[pos] != ' ' && line[pos] != '\t')
            {
                pos++;
            }

            string field = line.Substring(start, pos - start);
            pos = SkipBlanks(line, pos);
            return field;
        }
    }
}
