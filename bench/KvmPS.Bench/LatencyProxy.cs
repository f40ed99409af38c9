using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace KvmPS.Bench;

/// <summary>
/// A TCP proxy that delays every chunk by a fixed one-way delay in each direction, keeping order.
/// The kernel here has no sch_netem, so latency is added in user space. It also counts turns:
/// each time data flows back to the client after the client sent something is one round trip.
/// </summary>
internal sealed class LatencyProxy : IDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private long _roundTrips;

    public LatencyProxy(IPEndPoint target, int port = 0)
    {
        _target = target;
        _listener = new TcpListener(IPAddress.Loopback, port);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = Task.Run(AcceptLoop);
    }

    public int Port { get; }

    /// <summary>One-way delay added to every chunk, each direction.</summary>
    public TimeSpan OneWayDelay { get; set; }

    public long RoundTrips => Interlocked.Read(ref _roundTrips);

    public void ResetCount() => Interlocked.Exchange(ref _roundTrips, 0);

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            _ = Task.Run(() => Serve(client));
        }
    }

    private async Task Serve(TcpClient client)
    {
        using (client)
        using (var upstream = new TcpClient())
        {
            client.NoDelay = true;
            upstream.NoDelay = true;
            await upstream.ConnectAsync(_target.Address, _target.Port);
            var turn = new TurnCounter(this);
            Task up = Pump(client.GetStream(), upstream.GetStream(), turn, toServer: true);
            Task down = Pump(upstream.GetStream(), client.GetStream(), turn, toServer: false);
            await Task.WhenAny(up, down);
        }
    }

    private async Task Pump(NetworkStream from, NetworkStream to, TurnCounter turn, bool toServer)
    {
        var queue = new BlockingCollection<(long Due, byte[] Data)>();
        Task writer = Task.Run(() =>
        {
            try
            {
                foreach ((long due, byte[] data) in queue.GetConsumingEnumerable())
                {
                    long wait = due - Stopwatch.GetTimestamp();
                    if (wait > 0)
                    {
                        Thread.Sleep(TimeSpan.FromTicks(wait * TimeSpan.TicksPerSecond / Stopwatch.Frequency));
                    }

                    to.Write(data, 0, data.Length);
                }
            }
            catch (Exception e) when (e is System.IO.IOException || e is ObjectDisposedException)
            {
                // The other side closed.
            }
        });

        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, 0, buffer.Length)) > 0)
            {
                turn.Saw(toServer);
                long due = Stopwatch.GetTimestamp() + (long)(OneWayDelay.TotalSeconds * Stopwatch.Frequency);
                queue.Add((due, buffer.AsSpan(0, read).ToArray()));
            }
        }
        catch (Exception e) when (e is System.IO.IOException || e is ObjectDisposedException)
        {
            // Connection closed.
        }
        finally
        {
            queue.CompleteAdding();
            await writer;
            try
            {
                to.Socket.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is SocketException || e is ObjectDisposedException)
            {
                // Already gone.
            }
        }
    }

    /// <summary>Counts client-to-server then server-to-client turns on one connection.</summary>
    private sealed class TurnCounter
    {
        private readonly LatencyProxy _proxy;
        private bool _clientSpoke;

        public TurnCounter(LatencyProxy proxy)
        {
            _proxy = proxy;
        }

        public void Saw(bool toServer)
        {
            lock (this)
            {
                if (toServer)
                {
                    _clientSpoke = true;
                }
                else if (_clientSpoke)
                {
                    _clientSpoke = false;
                    Interlocked.Increment(ref _proxy._roundTrips);
                }
            }
        }
    }
}
