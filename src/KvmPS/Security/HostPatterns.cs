using System;
using System.Security.Cryptography;
using System.Text;

namespace KvmPS.Security
{
    /// <summary>Result of matching a host against a comma-separated pattern list (OpenSSH match_pattern_list).</summary>
    internal enum HostPatternMatch
    {
        NoMatch = 0,
        Match = 1,
        /// <summary>A "!pattern" matched: the line does not apply, whatever else matched.</summary>
        Negated = -1,
    }

    /// <summary>
    /// The host-name field of a known_hosts line: wildcard pattern lists ("*.lab,!bad.lab,[10.0.0.?]:2222")
    /// and hashed names ("|1|base64salt|base64hmac"), matched the way OpenSSH's match.c and hostfile.c do.
    /// </summary>
    internal static class HostPatterns
    {
        /// <summary>Prefix of a hashed host name (OpenSSH HASH_MAGIC).</summary>
        public const string HashMagic = "|1|";

        // match_pattern_list copies each sub-pattern into a 1024-byte buffer and treats a longer one as "no match".
        private const int MaxSubPatternLength = 1022;
        private const int HmacSha1Length = 20;

        /// <summary>
        /// Matches <paramref name="host"/> (already in "[host]:port" form where the port is not 22) against a
        /// comma-separated list; case-insensitive, as ssh lowercases both the host and the patterns.
        /// </summary>
        public static HostPatternMatch MatchList(string host, string patternList)
        {
            string subject = host.ToLowerInvariant();
            bool positive = false;
            int i = 0;
            while (i < patternList.Length)
            {
                bool negated = patternList[i] == '!';
                if (negated)
                {
                    i++;
                }

                int comma = patternList.IndexOf(',', i);
                int end = comma < 0 ? patternList.Length : comma;
                if (end - i > MaxSubPatternLength)
                {
                    return HostPatternMatch.NoMatch;
                }

                string sub = patternList.Substring(i, end - i).ToLowerInvariant();
                i = comma < 0 ? end : end + 1;
                if (WildcardMatch(subject, sub))
                {
                    if (negated)
                    {
                        return HostPatternMatch.Negated;
                    }

                    positive = true;
                }
            }

            return positive ? HostPatternMatch.Match : HostPatternMatch.NoMatch;
        }

        /// <summary>
        /// OpenSSH match_pattern: '*' matches any run of characters (dots, colons and brackets included),
        /// '?' exactly one, everything else itself. Iterative with single backtracking point, so no blow-up.
        /// </summary>
        public static bool WildcardMatch(string text, string pattern)
        {
            int t = 0, p = 0, starP = -1, starT = 0;
            while (t < text.Length)
            {
                if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t]))
                {
                    t++;
                    p++;
                }
                else if (p < pattern.Length && pattern[p] == '*')
                {
                    starP = p++;
                    starT = t;
                }
                else if (starP >= 0)
                {
                    p = starP + 1;
                    t = ++starT;
                }
                else
                {
                    return false;
                }
            }

            while (p < pattern.Length && pattern[p] == '*')
            {
                p++;
            }

            return p == pattern.Length;
        }

        public static bool IsHashed(string hostField)
        {
            // OpenSSH treats any host field starting with '|' as hashed (match_maybe_hashed).
            return hostField.Length > 0 && hostField[0] == '|';
        }

        /// <summary>
        /// Extracts the salt of a hashed host field; null when the field is malformed (wrong magic, missing
        /// delimiter, salt not base64 of 20 bytes), which makes OpenSSH treat the whole line as invalid.
        /// </summary>
        public static byte[]? TryGetSalt(string hostField)
        {
            if (!hostField.StartsWith(HashMagic, StringComparison.Ordinal))
            {
                return null;
            }

            int delimiter = hostField.IndexOf('|', HashMagic.Length);
            int saltLength = delimiter - HashMagic.Length;
            if (delimiter < 0 || saltLength == 0 || saltLength > 1024)
            {
                return null;
            }

            try
            {
                byte[] salt = Convert.FromBase64String(hostField.Substring(HashMagic.Length, saltLength));
                return salt.Length == HmacSha1Length ? salt : null;
            }
            catch (FormatException)
            {
                return null;
            }
        }

        /// <summary>
        /// "|1|" + base64(salt) + "|" + base64(HMAC-SHA1(key: salt, data: lowercased host)), the form
        /// <c>ssh-keygen -H</c> and HashKnownHosts write.
        /// </summary>
        public static string Hash(string host, byte[] salt)
        {
            using (var hmac = new HMACSHA1(salt))
            {
                byte[] digest = hmac.ComputeHash(Encoding.UTF8.GetBytes(host.ToLowerInvariant()));
                return HashMagic + Convert.ToBase64String(salt) + "|" + Convert.ToBase64String(digest);
            }
        }

        /// <summary>
        /// Whether a hashed host field names <paramref name="host"/>: OpenSSH re-hashes the host with the stored
        /// salt and compares the encoded strings, so this does the same.
        /// </summary>
        public static bool MatchHashed(string host, string hostField)
        {
            byte[]? salt = TryGetSalt(hostField);
            return salt != null && string.Equals(Hash(host, salt), hostField, StringComparison.Ordinal);
        }

        /// <summary>
        /// The string known_hosts stores for a host: the name itself for port 22 (or 0, "default"),
        /// "[name]:port" otherwise (OpenSSH put_host_port); lowercased as ssh writes and looks it up.
        /// </summary>
        public static string FormatHost(string host, int port)
        {
            if (host == null)
            {
                throw new ArgumentNullException(nameof(host));
            }

            if (port < 0 || port > 65535)
            {
                throw new ArgumentOutOfRangeException(nameof(port), port, "Port must be 0-65535.");
            }

            string lower = host.ToLowerInvariant();
            return port == 0 || port == 22
                ? lower
                : "[" + lower + "]:" + port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
