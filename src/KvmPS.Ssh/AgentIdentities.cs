using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Pipes;
using System.Net.Sockets;
using System.Text;
using KvmPS.Security;
using Renci.SshNet;
using Renci.SshNet.Security;

namespace KvmPS.Ssh;

/// <summary>
/// The keys an ssh-agent holds, usable for public key authentication (SSH.NET has no agent
/// support). Speaks the agent protocol (draft-miller-ssh-agent): list identities, sign.
/// </summary>
internal sealed class AgentIdentities : IDisposable
{
    private const byte RequestIdentities = 11;
    private const byte IdentitiesAnswer = 12;
    private const byte SignRequest = 13;
    private const byte SignResponse = 14;
    private const uint RsaSha2_256 = 2;
    private const uint RsaSha2_512 = 4;

    private readonly Stream _stream;
    private readonly object _gate = new();

    private AgentIdentities(Stream stream)
    {
        _stream = stream;
    }

    public List<IPrivateKeySource> Sources { get; } = new();

    /// <summary>Connects and lists the agent's keys; null (with the reason in <paramref name="tried"/>) when it cannot.</summary>
    public static AgentIdentities? TryLoad(string socketPath, List<string> tried)
    {
        AgentIdentities? agent = null;
        try
        {
            agent = new AgentIdentities(OpenStream(socketPath));
            byte[] answer = agent.Call(new[] { RequestIdentities });
            var reader = new SshWireReader(answer);
            if (reader.ReadByte() != IdentitiesAnswer)
            {
                throw new IOException("the agent refused to list its keys");
            }

            uint count = reader.ReadUInt32();
            for (uint i = 0; i < count; i++)
            {
                byte[] blob = reader.ReadString();
                string comment = reader.ReadUtf8String();
                string type = OpenSshKeyBlob.KeyType(blob);
                var algorithms = new List<HostAlgorithm>();
                if (type == "ssh-rsa")
                {
                    algorithms.Add(new AgentKeyAlgorithm("rsa-sha2-512", blob, agent, RsaSha2_512));
                    algorithms.Add(new AgentKeyAlgorithm("rsa-sha2-256", blob, agent, RsaSha2_256));
                }
                else
                {
                    algorithms.Add(new AgentKeyAlgorithm(type, blob, agent, 0));
                }

                agent.Sources.Add(new AgentKeySource(algorithms));
                tried.Add($"agent key {comment} ({type})");
            }

            if (count == 0)
            {
                tried.Add("ssh-agent (holds no keys)");
            }

            return agent;
        }
        catch (Exception e) when (e is IOException || e is SocketException || e is UnauthorizedAccessException
            || e is PlatformNotSupportedException || e is TimeoutException || e is ArgumentException || e is FormatException)
        {
            tried.Add($"ssh-agent at {socketPath} (unusable: {e.Message})");
            agent?.Dispose();
            return null;
        }
    }

    public void Dispose() => _stream.Dispose();

    internal byte[] Sign(byte[] keyBlob, byte[] data, uint flags)
    {
        using var request = new MemoryStream();
        request.WriteByte(SignRequest);
        SshWireWriter.WriteString(request, keyBlob);
        SshWireWriter.WriteString(request, data);
        SshWireWriter.WriteUInt32(request, flags);
        var reader = new SshWireReader(Call(request.ToArray()));
        if (reader.ReadByte() != SignResponse)
        {
            throw new IOException("The ssh-agent refused to sign (is the key confirmed or locked?).");
        }

        return reader.ReadString();
    }

    private static Stream OpenStream(string path)
    {
        if (path.StartsWith(@"\\.\pipe\", StringComparison.OrdinalIgnoreCase))
        {
            var pipe = new NamedPipeClientStream(".", path.Substring(9), PipeDirection.InOut);
            pipe.Connect(3000);
            return pipe;
        }

#if NET8_0_OR_GREATER
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.ReceiveTimeout = 10000;
        socket.SendTimeout = 10000;
        socket.Connect(new UnixDomainSocketEndPoint(path));
        return new NetworkStream(socket, ownsSocket: true);
#else
        throw new PlatformNotSupportedException("Unix-socket ssh-agents need PowerShell 7");
#endif
    }

    private byte[] Call(byte[] message)
    {
        lock (_gate)
        {
            using var frame = new MemoryStream();
            SshWireWriter.WriteString(frame, message);
            byte[] bytes = frame.ToArray();
            _stream.Write(bytes, 0, bytes.Length);
            _stream.Flush();
            byte[] length = ReadExactly(4);
            int size = (length[0] << 24) | (length[1] << 16) | (length[2] << 8) | length[3];
            if (size <= 0 || size > 256 * 1024)
            {
                throw new IOException("The ssh-agent sent a malformed reply.");
            }

            return ReadExactly(size);
        }
    }

    private byte[] ReadExactly(int count)
    {
        var buffer = new byte[count];
        int done = 0;
        while (done < count)
        {
            int read = _stream.Read(buffer, done, count - done);
            if (read <= 0)
            {
                throw new IOException("The ssh-agent closed the connection.");
            }

            done += read;
        }

        return buffer;
    }

    private sealed class AgentKeySource : IPrivateKeySource
    {
        public AgentKeySource(IReadOnlyCollection<HostAlgorithm> algorithms)
        {
            HostKeyAlgorithms = algorithms;
        }

        public IReadOnlyCollection<HostAlgorithm> HostKeyAlgorithms { get; }
    }

    /// <summary>A public key whose signatures come from the agent; Sign returns the wire signature blob.</summary>
    private sealed class AgentKeyAlgorithm : HostAlgorithm
    {
        private readonly byte[] _blob;
        private readonly AgentIdentities _agent;
        private readonly uint _flags;

        public AgentKeyAlgorithm(string name, byte[] blob, AgentIdentities agent, uint flags)
            : base(name)
        {
            _blob = blob;
            _agent = agent;
            _flags = flags;
        }

        public override byte[] Data => _blob;

        public override byte[] Sign(byte[] data) => _agent.Sign(_blob, data, _flags);

        public override bool VerifySignature(byte[] data, byte[] signature)
            => throw new NotSupportedException("Agent keys are used for signing only.");
    }
}
