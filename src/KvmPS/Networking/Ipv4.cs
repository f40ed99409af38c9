using System.Globalization;
using System.Text.RegularExpressions;

namespace KvmPS.Networking;

/// <summary>
/// Strict dotted-quad IPv4 handling. IPAddress.TryParse is not used: it takes "10.1" and "1" as
/// addresses (inet_aton's shorthand), and a typo must be refused, not become 0.0.0.1.
/// </summary>
internal static class Ipv4
{
    private static readonly Regex DottedQuad = new(@"^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\z", RegexOptions.CultureInvariant);

    public static bool TryParse(string text, out uint address)
    {
        address = 0;
        Match match = DottedQuad.Match(text ?? "");
        if (!match.Success)
        {
            return false;
        }

        for (int i = 1; i <= 4; i++)
        {
            int octet = int.Parse(match.Groups[i].Value, CultureInfo.InvariantCulture);
            if (octet > 255 || (match.Groups[i].Value.Length > 1 && match.Groups[i].Value[0] == '0'))
            {
                // A leading zero reads as octal to inet_aton and as decimal to others: refuse it.
                return false;
            }

            address = (address << 8) | (uint)octet;
        }

        return true;
    }

    /// <summary>"a.b.c.d/nn" with a prefix of 1 to 32.</summary>
    public static bool TryParseCidr(string text, out uint address, out int prefix)
    {
        address = 0;
        prefix = 0;
        int slash = (text ?? "").IndexOf('/');
        return slash > 0
            && TryParse(text!.Substring(0, slash), out address)
            && int.TryParse(text.Substring(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out prefix)
            && prefix >= 1 && prefix <= 32
            && text.Substring(slash + 1) == prefix.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The prefix length of a netmask (its leading one bits): 255.255.255.0 is 24.</summary>
    public static int PrefixLength(uint mask)
    {
        int bits = 0;
        for (; (mask & 0x80000000u) != 0; mask <<= 1)
        {
            bits++;
        }

        return bits;
    }

    public static uint Mask(int prefix) => prefix == 0 ? 0 : uint.MaxValue << (32 - prefix);

    public static string Format(uint address)
        => string.Join(".", (address >> 24) & 255, (address >> 16) & 255, (address >> 8) & 255, address & 255);

    /// <summary>The netmask as network-scripts' NETMASK wants it (RHEL 5 has no PREFIX).</summary>
    public static string Netmask(int prefix) => Format(Mask(prefix));

    public static bool SameSubnet(uint a, uint b, int prefix) => (a & Mask(prefix)) == (b & Mask(prefix));

    /// <summary>The network or broadcast address of a subnet smaller than /31: not a host's address.</summary>
    public static bool IsNetworkOrBroadcast(uint address, int prefix)
        => prefix < 31 && ((address & ~Mask(prefix)) == 0 || (address & ~Mask(prefix)) == ~Mask(prefix));
}
