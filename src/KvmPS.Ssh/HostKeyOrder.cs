using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using KvmPS.Security;
using Renci.SshNet;
using Renci.SshNet.Security;

namespace KvmPS.Ssh;

/// <summary>Host key algorithm preference and certificate bytes, the way OpenSSH's client does them.</summary>
internal static class HostKeyOrder
{
    /// <summary>
    /// Moves the algorithms of the recorded key types (and, with a CA, certificate algorithms) to
    /// the front, keeping SSH.NET's order otherwise: ssh treats a key of any unrecorded type as a
    /// changed key, so negotiating one would refuse a known host.
    /// </summary>
    public static void Apply(ConnectionInfo info, IReadOnlyList<string> recordedTypes, bool preferCertificates)
    {
        if (recordedTypes.Count == 0 && !preferCertificates)
        {
            return;
        }

        List<KeyValuePair<string, Func<byte[], KeyHostAlgorithm>>> all = info.HostKeyAlgorithms.ToList();
        List<string> types = recordedTypes.ToList();
        int Rank(string algorithm)
        {
            string keyType = OpenSshKeyBlob.KeyTypeForAlgorithm(algorithm);
            bool certificate = OpenSshKeyBlob.IsCertificateType(keyType);
            int known = types.IndexOf(OpenSshKeyBlob.PlainKeyType(keyType));
            if (preferCertificates && certificate)
            {
                return known >= 0 ? known : recordedTypes.Count;
            }

            if (!certificate && known >= 0)
            {
                return recordedTypes.Count + 1 + known;
            }

            return int.MaxValue;
        }

        var ordered = all.Select((pair, index) => (pair, index))
            .OrderBy(x => Rank(x.pair.Key)).ThenBy(x => x.index)
            .Select(x => x.pair).ToList();
        info.HostKeyAlgorithms.Clear();
        foreach (KeyValuePair<string, Func<byte[], KeyHostAlgorithm>> pair in ordered)
        {
            info.HostKeyAlgorithms.Add(pair.Key, pair.Value);
        }
    }

    /// <summary>
    /// SSH.NET hands the handler the parsed certificate and its plain key but keeps the certificate
    /// bytes internal; rebuild them (it has already verified the CA signature over them).
    /// </summary>
    public static byte[] CertificateBlob(Certificate certificate, byte[] plainKey)
    {
        return OpenSshCertificate.Encode(
            certificate.Name, certificate.Nonce, plainKey, certificate.Serial, (OpenSshCertificateKind)(uint)certificate.Type,
            certificate.KeyId, certificate.ValidPrincipals, certificate.ValidAfterUnixSeconds, certificate.ValidBeforeUnixSeconds,
            Options(certificate.CriticalOptions), Options(certificate.Extensions), certificate.CertificateAuthorityKey, certificate.Signature);
    }

    // An option's data is itself a wire string when it has a value (force-command), empty for flags.
    private static IEnumerable<KeyValuePair<string, byte[]>> Options(IDictionary<string, string> options)
    {
        foreach (KeyValuePair<string, string> option in options)
        {
            using var data = new MemoryStream();
            if (!string.IsNullOrEmpty(option.Value))
            {
                SshWireWriter.WriteString(data, option.Value);
            }

            yield return new KeyValuePair<string, byte[]>(option.Key, data.ToArray());
        }
    }
}
