using System;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace KvmPS.Guests;

/// <summary>
/// SHA-512 crypt ("$6$"), as specified by Ulrich Drepper in "Unix crypt using SHA-256 and SHA-512"
/// (https://www.akkadia.org/drepper/SHA-crypt.txt) and implemented by glibc, libxcrypt and
/// <c>openssl passwd -6</c>: the format /etc/shadow and cloud-init's <c>passwd</c> expect.
/// </summary>
internal static class PasswordHash
{
    private const string Prefix = "$6$";
    private const string RoundsPrefix = "rounds=";
    private const int DefaultRounds = 5000;
    private const int MinRounds = 1000;
    private const int MaxRounds = 999_999_999;
    private const int MaxSaltLength = 16;

    // The crypt alphabet: 64 characters, so a random byte's low six bits pick one without bias.
    private const string Alphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    // The order in which the 64 digest bytes are encoded, three at a time (from the specification).
    private static readonly int[] ByteOrder =
    {
        0, 21, 42, 22, 43, 1, 44, 2, 23, 3, 24, 45, 25, 46, 4, 47, 5, 26, 6, 27, 48, 28, 49, 7,
        50, 8, 29, 9, 30, 51, 31, 52, 10, 53, 11, 32, 12, 33, 54, 34, 55, 13, 56, 14, 35, 15, 36, 57,
        37, 58, 16, 59, 17, 38, 18, 39, 60, 40, 61, 19, 62, 20, 41,
    };

    /// <summary>
    /// Hashes <paramref name="password"/> (the caller's bytes, UTF-8 for text; the array is not
    /// kept or changed) into "$6$salt$hash" or "$6$rounds=N$salt$hash".
    /// </summary>
    /// <param name="password">The password bytes.</param>
    /// <param name="salt">
    /// Null for 16 random characters from [a-zA-Z0-9./] and the default 5000 rounds. Otherwise a
    /// salt as crypt(3) takes it: optionally "$6$", optionally "rounds=N$" (clamped to
    /// 1000..999999999 and then always written out), then the salt itself, which ends at the next
    /// "$" and is cut to 16 characters. Salt characters must be from [a-zA-Z0-9./].
    /// </param>
    public static string Sha512Crypt(byte[] password, string? salt = null)
    {
        if (password == null)
        {
            throw new ArgumentNullException(nameof(password));
        }

        int rounds = DefaultRounds;
        bool roundsGiven = false;
        string saltText = salt ?? RandomSalt();
        if (salt != null)
        {
            if (saltText.StartsWith(Prefix, StringComparison.Ordinal))
            {
                saltText = saltText.Substring(Prefix.Length);
            }

            if (saltText.StartsWith(RoundsPrefix, StringComparison.Ordinal))
            {
                int end = saltText.IndexOf('$');
                string digits = end < 0 ? "" : saltText.Substring(RoundsPrefix.Length, end - RoundsPrefix.Length);
                if (digits.Length == 0 || !IsDigits(digits))
                {
                    throw new ArgumentException("The salt's rounds=N$ prefix is malformed: " + salt, nameof(salt));
                }

                // Like strtoul in the reference code, but a number too large for it is clamped too.
                rounds = ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out ulong parsed) && parsed < MaxRounds
                    ? (int)Math.Max(parsed, MinRounds)
                    : MaxRounds;
                roundsGiven = true;
                saltText = saltText.Substring(end + 1);
            }

            int dollar = saltText.IndexOf('$');
            if (dollar >= 0)
            {
                saltText = saltText.Substring(0, dollar);
            }

            if (saltText.Length > MaxSaltLength)
            {
                saltText = saltText.Substring(0, MaxSaltLength);
            }

            foreach (char c in saltText)
            {
                if (Alphabet.IndexOf(c) < 0)
                {
                    throw new ArgumentException("Salt characters must be from [a-zA-Z0-9./]; got '" + c + "'.", nameof(salt));
                }
            }
        }

        byte[] saltBytes = Encoding.ASCII.GetBytes(saltText);
        byte[] digest = Compute(password, saltBytes, rounds);
        var result = new StringBuilder(Prefix.Length + 20 + saltText.Length + 1 + 86);
        result.Append(Prefix);
        if (roundsGiven)
        {
            result.Append(RoundsPrefix).Append(rounds.ToString(CultureInfo.InvariantCulture)).Append('$');
        }

        result.Append(saltText).Append('$');
        for (int i = 0; i < ByteOrder.Length; i += 3)
        {
            Encode(result, digest[ByteOrder[i]], digest[ByteOrder[i + 1]], digest[ByteOrder[i + 2]], 4);
        }

        Encode(result, 0, 0, digest[63], 2);
        Array.Clear(digest, 0, digest.Length);
        return result.ToString();
    }

    private static byte[] Compute(byte[] key, byte[] salt, int rounds)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);

        // Digest B: key, salt, key.
        hash.AppendData(key);
        hash.AppendData(salt);
        hash.AppendData(key);
        byte[] b = hash.GetHashAndReset();

        // Digest A: key, salt, then as many bytes of B as the key is long, then for each bit of
        // the key's length (lowest first) B for a one and the key for a zero.
        hash.AppendData(key);
        hash.AppendData(salt);
        int count;
        for (count = key.Length; count > 64; count -= 64)
        {
            hash.AppendData(b);
        }

        hash.AppendData(b, 0, count);
        for (count = key.Length; count > 0; count >>= 1)
        {
            if ((count & 1) != 0)
            {
                hash.AppendData(b);
            }
            else
            {
                hash.AppendData(key);
            }
        }

        byte[] a = hash.GetHashAndReset();

        // P: digest DP (the key, key-length times) repeated to the key's length.
        for (int i = 0; i < key.Length; i++)
        {
            hash.AppendData(key);
        }

        byte[] dp = hash.GetHashAndReset();
        byte[] p = Repeat(dp, key.Length);

        // S: digest DS (the salt, 16 + A[0] times) repeated to the salt's length.
        for (int i = 0; i < 16 + a[0]; i++)
        {
            hash.AppendData(salt);
        }

        byte[] ds = hash.GetHashAndReset();
        byte[] s = Repeat(ds, salt.Length);

        byte[] c = a;
        for (int round = 0; round < rounds; round++)
        {
            if ((round & 1) != 0)
            {
                hash.AppendData(p);
            }
            else
            {
                hash.AppendData(c);
            }

            if (round % 3 != 0)
            {
                hash.AppendData(s);
            }

            if (round % 7 != 0)
            {
                hash.AppendData(p);
            }

            if ((round & 1) != 0)
            {
                hash.AppendData(c);
            }
            else
            {
                hash.AppendData(p);
            }

            byte[] next = hash.GetHashAndReset();
            Array.Clear(c, 0, c.Length);
            c = next;
        }

        foreach (byte[] secret in new[] { b, dp, p, ds, s })
        {
            Array.Clear(secret, 0, secret.Length);
        }

        return c;
    }

    private static byte[] Repeat(byte[] digest, int length)
    {
        var result = new byte[length];
        for (int offset = 0; offset < length; offset += digest.Length)
        {
            Buffer.BlockCopy(digest, 0, result, offset, Math.Min(digest.Length, length - offset));
        }

        return result;
    }

    private static void Encode(StringBuilder output, byte high, byte middle, byte low, int characters)
    {
        int word = (high << 16) | (middle << 8) | low;
        for (int i = 0; i < characters; i++)
        {
            output.Append(Alphabet[word & 0x3f]);
            word >>= 6;
        }
    }

    private static string RandomSalt()
    {
        var bytes = new byte[MaxSaltLength];
        using (var random = RandomNumberGenerator.Create())
        {
            random.GetBytes(bytes);
        }

        var salt = new char[MaxSaltLength];
        for (int i = 0; i < salt.Length; i++)
        {
            salt[i] = Alphabet[bytes[i] & 0x3f];
        }

        return new string(salt);
    }

    private static bool IsDigits(string text)
    {
        foreach (char c in text)
        {
            if (c < '0' || c > '9')
            {
                return false;
            }
        }

        return true;
    }
}
