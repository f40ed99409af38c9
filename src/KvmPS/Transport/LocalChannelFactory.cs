using System;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;

namespace KvmPS.Transport;

/// <summary>Session shells as child processes of this PowerShell, for the KVM host itself.</summary>
internal sealed class LocalChannelFactory : IChannelFactory
{
    public LocalChannelFactory()
    {
        if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
        {
            throw new PlatformNotSupportedException(
                "The local transport runs on Linux KVM hosts only. On Windows, name a host with -ComputerName or -Session.");
        }
    }

    public bool IsConnected => true;

    public IShellChannel Open(string command)
    {
        var start = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            CreateNoWindow = true,
        };

        // ArgumentList is not in netstandard2.0; these two words need no quoting rules beyond ours.
        start.Arguments = "-c " + QuoteForProcess(command);
        var process = Process.Start(start)
            ?? throw new InvalidOperationException("Could not start /bin/sh for the local session shell.");
        return new LocalChannel(process);
    }

    public void Dispose()
    {
    }

    // .NET splits Arguments with Windows-style rules on every OS: double quotes group, and
    // backslashes escape only before a double quote.
    private static string QuoteForProcess(string argument)
    {
        var text = new System.Text.StringBuilder("\"");
        int backslashes = 0;
        foreach (char c in argument)
        {
            if (c == '\\')
            {
                backslashes++;
                continue;
            }

            if (c == '"')
            {
                text.Append('\\', backslashes * 2 + 1);
            }
            else
            {
                text.Append('\\', backslashes);
            }

            backslashes = 0;
            text.Append(c);
        }

        text.Append('\\', backslashes * 2).Append('"');
        return text.ToString();
    }

    private sealed class LocalChannel : IShellChannel
    {
        private readonly Process _process;

        public LocalChannel(Process process)
        {
            _process = process;
        }

        public Stream Input => _process.StandardInput.BaseStream;

        public Stream Output => _process.StandardOutput.BaseStream;

        public Stream Error => _process.StandardError.BaseStream;

        public void Dispose()
        {
            try
            {
                _process.StandardInput.Close();
                if (!_process.WaitForExit(2000))
                {
                    _process.Kill();
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone: nothing left to stop.
            }
            catch (IOException)
            {
                // The pipe broke because the shell already exited.
            }

            _process.Dispose();
        }
    }
}
