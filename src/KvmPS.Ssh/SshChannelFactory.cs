using System;
using System.IO;
using KvmPS.Transport;
using Renci.SshNet;

namespace KvmPS.Ssh;

/// <summary>An authenticated SSH connection; every session shell is an exec channel on it.</summary>
internal sealed class SshChannelFactory : ISshConnection
{
    private readonly SshClient _client;
    private readonly AgentIdentities? _agent;

    public SshChannelFactory(SshClient client, ConnectionInfo info, string offeredAuthentication, AgentIdentities? agent)
    {
        _client = client;
        _agent = agent;
        ServerVersion = info.ServerVersion ?? "";
        OfferedAuthentication = offeredAuthentication;
    }

    public string ServerVersion { get; }

    public string OfferedAuthentication { get; }

    public bool IsConnected => _client.IsConnected;

    public IShellChannel Open(string command)
    {
        try
        {
            SshCommand exec = _client.CreateCommand(command);
            exec.CommandTimeout = System.Threading.Timeout.InfiniteTimeSpan;
            IAsyncResult running = exec.BeginExecute();
            Stream input = exec.CreateInputStream();
            return new ExecChannel(exec, running, input);
        }
        catch (Exception e) when (e is Renci.SshNet.Common.SshException || e is InvalidOperationException || e is ObjectDisposedException)
        {
            throw new HostUnreachableException("Could not open a channel on the SSH connection: " + e.Message, e);
        }
    }

    public void Dispose()
    {
        _client.Dispose();
        _agent?.Dispose();
    }

    private sealed class ExecChannel : IShellChannel
    {
        private readonly SshCommand _exec;
        private readonly IAsyncResult _running;

        public ExecChannel(SshCommand exec, IAsyncResult running, Stream input)
        {
            _exec = exec;
            _running = running;
            Input = input;
        }

        public Stream Input { get; }

        public Stream Output => _exec.OutputStream;

        public Stream Error => _exec.ExtendedOutputStream;

        public void Dispose()
        {
            try
            {
                // EOF on stdin ends the shell; its exit closes the channel.
                Input.Dispose();
                if (!_running.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(2)))
                {
                    _exec.CancelAsync();
                }
            }
            catch (Exception e) when (e is Renci.SshNet.Common.SshException || e is InvalidOperationException
                || e is ObjectDisposedException || e is IOException)
            {
                // The connection is already gone; there is nothing left to close.
            }

            _exec.Dispose();
        }
    }
}
