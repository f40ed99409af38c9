using System.Collections.Generic;
using System.Linq;
using System.Text;
using KvmPS.Transport;
using Xunit;

namespace KvmPS.Tests.Transport;

public sealed class ShellFrameParserTests
{
    private const string Marker = "KvmPS-0123456789abcdef01234567";

    [Fact]
    public void ParsesEveryFrameKind()
    {
        string stream = $"\n{Marker} H 0 setsid /tmp/kvmps.x\n\n{Marker} P 0 42\n\n{Marker} R 0 3 4 3\nout\nerr\n{Marker} S 1\n\n{Marker} E 7\n";
        List<ShellFrame> frames = FeedInChunks(Encoding.ASCII.GetBytes(stream), 1000);

        Assert.Equal(new[] { ShellFrameKind.Hello, ShellFrameKind.Started, ShellFrameKind.Result, ShellFrameKind.Skipped, ShellFrameKind.BatchEnd },
            frames.Select(f => f.Kind));
        Assert.Equal(new[] { "0", "setsid", "/tmp/kvmps.x" }, frames[0].Fields);
        Assert.Equal(3, frames[2].IntField(1));
        Assert.Equal("out\n", Encoding.ASCII.GetString(frames[2].Stdout));
        Assert.Equal("err", Encoding.ASCII.GetString(frames[2].Stderr));
        Assert.Equal(7, frames[4].IntField(0));
    }

    [Fact]
    public void PayloadMayContainTheMarkerAndAnyByte()
    {
        // The output of a command that prints a fake frame must stay output.
        byte[] payload = Encoding.ASCII.GetBytes($"\n{Marker} E 1\n").Concat(Enumerable.Range(0, 256).Select(i => (byte)i)).ToArray();
        byte[] stream = Encoding.ASCII.GetBytes($"\n{Marker} R 0 0 {payload.Length} 0\n").Concat(payload)
            .Concat(Encoding.ASCII.GetBytes($"\n{Marker} E 2\n")).ToArray();

        for (int chunk = 1; chunk <= 7; chunk++)
        {
            List<ShellFrame> frames = FeedInChunks(stream, chunk);
            Assert.Equal(2, frames.Count);
            Assert.Equal(payload, frames[0].Stdout);
            Assert.Equal(2, frames[1].IntField(0));
        }
    }

    [Fact]
    public void SkipsNoiseBetweenFrames()
    {
        byte[] stream = Encoding.ASCII.GetBytes($"motd noise\n{Marker} X junk\n\n{Marker} E 3\n");
        var parser = new ShellFrameParser(Marker);
        parser.Feed(stream, 0, stream.Length);

        ShellFrame? frame = parser.Next();

        Assert.NotNull(frame);
        Assert.Equal(ShellFrameKind.BatchEnd, frame!.Kind);
        Assert.True(parser.DiscardedBytes > 0);
        Assert.Null(parser.Next());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(1000)]
    public void HeadersWhoseLeadingNewlinesArrivedTogetherAreAllRead(int chunk)
    {
        // Two groups print "\n" and "<marker> P ..." in separate writes (bash does), interleaved.
        string stream = $"\n\n{Marker} P 0 41\n{Marker} P 2 42\n\n{Marker} S 1\n{Marker} E 1\n";

        List<ShellFrame> frames = FeedInChunks(Encoding.ASCII.GetBytes(stream), chunk);

        Assert.Equal(new[] { "P 0", "P 2", "S 1", "E 1" }, frames.Select(f => $"{(f.Kind == ShellFrameKind.Started ? "P" : f.Kind == ShellFrameKind.Skipped ? "S" : "E")} {f.Fields[0]}"));
    }

    private static List<ShellFrame> FeedInChunks(byte[] stream, int chunk)
    {
        var parser = new ShellFrameParser(Marker);
        var frames = new List<ShellFrame>();
        for (int i = 0; i < stream.Length; i += chunk)
        {
            parser.Feed(stream, i, System.Math.Min(chunk, stream.Length - i));
            ShellFrame? frame;
            while ((frame = parser.Next()) is not null)
            {
                frames.Add(frame);
            }
        }

        return frames;
    }
}
