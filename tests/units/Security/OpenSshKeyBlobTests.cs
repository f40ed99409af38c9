using System;
using KvmPS.Security;
using Xunit;

namespace KvmPS.Tests.Security
{
    public class SshWireReaderTests
    {
        [Fact]
        public void ReadsBigEndianIntegersAndStrings()
        {
            byte[] data = { 0, 0, 0, 2, (byte)'h', (byte)'i', 0, 0, 0, 1, 0, 0, 0, 2, 0xFF, 0, 0, 0, 0, 0, 0, 1 };
            var reader = new SshWireReader(data);

            Assert.Equal("hi", reader.ReadUtf8String());
            Assert.Equal(0x0000000100000002UL, reader.ReadUInt64());
            Assert.Equal(0xFF000000u, reader.ReadUInt32());
            Assert.Equal(1u, reader.ReadUInt32());
            Assert.True(reader.AtEnd);
        }

        [Fact]
        public void StringLengthPastTheEndIsAFormatErrorNotAnOverflow()
        {
            // 0xFFFFFFFF as a length must not wrap into a negative int and read garbage.
            var reader = new SshWireReader(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 1, 2 });
            Assert.Throws<SshFormatException>(() => reader.ReadString());
        }

        [Fact]
        public void TruncatedIntegerIsAFormatError()
        {
            Assert.Throws<SshFormatException>(() => new SshWireReader(new byte[] { 0, 0, 1 }).ReadUInt32());
        }
    }

    public class OpenSshKeyBlobTests
    {
        [Fact]
        public void FingerprintOfARealKeyIsWhatSshKeygenPrints()
        {
            byte[] blob = Convert.FromBase64String(TestKeys.RealEd25519Base64);
            Assert.Equal(TestKeys.RealEd25519Fingerprint, OpenSshKeyBlob.Fingerprint(blob));
        }

        [Fact]
        public void FingerprintOfACertificateIsThatOfTheCertifiedKey()
        {
            // ssh-keygen -lf on a *-cert.pub prints the plain key's fingerprint.
            byte[] cert = Convert.FromBase64String(TestKeys.RealEd25519CertBase64);
            Assert.Equal(TestKeys.RealEd25519Fingerprint, OpenSshKeyBlob.Fingerprint(cert));
        }

        [Fact]
        public void FingerprintHasNoBase64Padding()
        {
            string fingerprint = OpenSshKeyBlob.Fingerprint(TestKeys.Rsa(5));
            Assert.StartsWith("SHA256:", fingerprint);
            Assert.Equal(7 + 43, fingerprint.Length); // 32 bytes -> 43 base64 chars once "=" is dropped
            Assert.DoesNotContain("=", fingerprint);
        }

        [Theory]
        [InlineData("ssh-ed25519-cert-v01@openssh.com", "ssh-ed25519")]
        [InlineData("ssh-rsa-cert-v01@openssh.com", "ssh-rsa")]
        [InlineData("ecdsa-sha2-nistp384-cert-v01@openssh.com", "ecdsa-sha2-nistp384")]
        [InlineData("sk-ssh-ed25519-cert-v01@openssh.com", "sk-ssh-ed25519@openssh.com")]
        [InlineData("sk-ecdsa-sha2-nistp256-cert-v01@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com")]
        [InlineData("ssh-ed25519", "ssh-ed25519")]
        public void PlainKeyTypeOfACertificateType(string certType, string plainType)
        {
            Assert.Equal(plainType, OpenSshKeyBlob.PlainKeyType(certType));
        }

        [Theory]
        [InlineData("rsa-sha2-512", "ssh-rsa")]
        [InlineData("rsa-sha2-256", "ssh-rsa")]
        [InlineData("rsa-sha2-512-cert-v01@openssh.com", "ssh-rsa-cert-v01@openssh.com")]
        [InlineData("ssh-ed25519", "ssh-ed25519")]
        [InlineData("ecdsa-sha2-nistp521-cert-v01@openssh.com", "ecdsa-sha2-nistp521-cert-v01@openssh.com")]
        public void KeyTypeCarriedByANegotiatedAlgorithm(string algorithm, string keyType)
        {
            Assert.Equal(keyType, OpenSshKeyBlob.KeyTypeForAlgorithm(algorithm));
        }

        [Fact]
        public void ValidKeysOfEachTypePassValidation()
        {
            OpenSshKeyBlob.ValidatePlainKey(TestKeys.Ed25519(1));
            OpenSshKeyBlob.ValidatePlainKey(TestKeys.Rsa(1));
            OpenSshKeyBlob.ValidatePlainKey(TestKeys.Ecdsa(256, 1));
            OpenSshKeyBlob.ValidatePlainKey(TestKeys.Ecdsa(384, 1));
            OpenSshKeyBlob.ValidatePlainKey(TestKeys.Ecdsa(521, 1));
            Assert.Equal("ecdsa-sha2-nistp521", OpenSshKeyBlob.KeyType(TestKeys.Ecdsa(521, 1)));
        }

        [Fact]
        public void TrailingBytesAreRejected()
        {
            byte[] blob = TestKeys.Concat(TestKeys.Ed25519(1), new byte[] { 0 });
            Assert.Throws<SshFormatException>(() => OpenSshKeyBlob.ValidatePlainKey(blob));
        }

        [Fact]
        public void Ed25519KeyOfWrongLengthIsRejected()
        {
            byte[] blob = TestKeys.Blob("ssh-ed25519", new byte[31]);
            Assert.Throws<SshFormatException>(() => OpenSshKeyBlob.ValidatePlainKey(blob));
        }

        [Fact]
        public void EcdsaCurveMustAgreeWithTheTypeName()
        {
            byte[] blob = TestKeys.Blob("ecdsa-sha2-nistp256", TestKeys.Utf8("nistp384"), new byte[97]);
            var ex = Assert.Throws<SshFormatException>(() => OpenSshKeyBlob.ValidatePlainKey(blob));
            Assert.Contains("nistp384", ex.Message);
        }

        [Fact]
        public void UnknownKeyTypeIsRejected()
        {
            byte[] blob = TestKeys.Blob("ssh-foo", new byte[3]);
            Assert.Throws<SshFormatException>(() => OpenSshKeyBlob.ValidatePlainKey(blob));
        }

        [Fact]
        public void EmptyBlobIsAFormatError()
        {
            Assert.Throws<SshFormatException>(() => OpenSshKeyBlob.KeyType(Array.Empty<byte>()));
        }

        [Fact]
        public void BlobEqualityIsByteWise()
        {
            Assert.True(OpenSshKeyBlob.BlobsEqual(TestKeys.Ed25519(3), TestKeys.Ed25519(3)));
            Assert.False(OpenSshKeyBlob.BlobsEqual(TestKeys.Ed25519(3), TestKeys.Ed25519(4)));
            Assert.False(OpenSshKeyBlob.BlobsEqual(TestKeys.Ed25519(3), null));
        }
    }
}
