using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace KvmPS.Transport;

internal enum ShellFrameKind
{
    Hello,
    Started,
    Result,
    Skipped,
    BatchEnd,

    /// <summary>Elevation done (or not needed): send the bootstrap.</summary>
    SudoAcknowledged,

    /// <summary>sudo waits for the password on stdin.</summary>
    SudoPasswordWanted,
}

internal sealed class ShellFrame
{
    public ShellFrame(ShellFrameKind kind, string[] fields, byte[] stdout, byte[] stderr)
    {
        Kind = kind;
        Fields = fields;
        Stdout = stdout;
        Stderr = stderr;
    }

    public ShellFrameKind Kind { get; }

    /// <summary>The header words after the kind letter.</summary>
    public string[] Fields { get; }

    public byte[] Stdout { get; }

    public byte[] Stderr { get; }

    public int IntField(int index) => int.Parse(Fields[index], NumberStyles.Integer, CultureInfo.InvariantCulture);
}

/// <summary>
/// Cuts the session shell's stdout into frames. Fed in arbitrary chunks as bytes arrive; payload
/// lengths come from the headers, so command output can contain anything, markers included.
/// </summary>
internal sealed class ShellFrameParser
{
    private readonly byte[] _needle;
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _count;

    public ShellFrameParser(string marker)
    {
        _needle = Encoding.ASCII.GetBytes("\n" + marker + " ");
    }

    /// <summary>Bytes that arrived outside any frame (normally none), kept for diagnostics.</summary>
    public int DiscardedBytes { get; private set; }

    public void Feed(byte[] data, int offset, int length)
    {
        if (_start + _count + length > _buffer.Length)
        {
            if (_count + length <= _buffer.Length / 2)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _count);
            }
            else
            {
                var bigger = new byte[Math.Max(_buffer.Length * 2, _count + length)];
                Buffer.BlockCopy(_buffer, _start, bigger, 0, _count);
                _buffer = bigger;
            }

            _start = 0;
        }

        Buffer.BlockCopy(data, offset, _buffer, _start + _count, length);
        _count += length;
    }

    /// <summary>Returns the next complete frame, or null when more bytes are needed.</summary>
    public ShellFrame? Next()
    {
        int at = IndexOfNeedle();
        if (at < 0)
        {
            // Keep a possible partial needle at the end; everything before it is noise.
            int keep = Math.Min(_count, _needle.Length - 1);
            Discard(_count - keep);
            return null;
        }

        Discard(at);
        int headerStart = _start + _needle.Length;
        int lineEnd = Array.IndexOf(_buffer, (byte)'\n', headerStart, _start + _count - headerStart);
        if (lineEnd < 0)
        {
            return null;
        }

        string header = Encoding.ASCII.GetString(_buffer, headerStart, lineEnd - headerStart);
        string[] words = header.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0 || !TryKind(words[0], out ShellFrameKind kind))
        {
            // Not one of ours after all: skip the newline and look again.
            Discard(1);
            return Next();
        }

        var fields = new string[words.Length - 1];
        Array.Copy(words, 1, fields, 0, fields.Length);
        int payloadStart = lineEnd + 1;
        byte[] stdout = Array.Empty<byte>();
        byte[] stderr = Array.Empty<byte>();
        if (kind == ShellFrameKind.Result)
        {
            if (fields.Length < 4)
            {
                throw new FormatException("A result frame from the host shell is incomplete: " + header);
            }

            long outLength = long.Parse(fields[2], CultureInfo.InvariantCulture);
            long errLength = long.Parse(fields[3], CultureInfo.InvariantCulture);
            if (payloadStart + outLength + errLength > _start + _count)
            {
                return null;
            }

            stdout = Slice(payloadStart, (int)outLength);
            stderr = Slice(payloadStart + (int)outLength, (int)errLength);
            payloadStart += (int)(outLength + errLength);
        }

        // A header-only frame leaves its newline: it starts the next header when that one comes
        // without its own (two writers on the stream, bash writing the leading "\n" apart).
        int consumed = (kind == ShellFrameKind.Result ? payloadStart : lineEnd) - _start;
        _start += consumed;
        _count -= consumed;
        return new ShellFrame(kind, fields, stdout, stderr);
    }

    private static bool TryKind(string word, out ShellFrameKind kind)
    {
        switch (word)
        {
            case "H": kind = ShellFrameKind.Hello; return true;
            case "P": kind = ShellFrameKind.Started; return true;
            case "R": kind = ShellFrameKind.Result; return true;
            case "S": kind = ShellFrameKind.Skipped; return true;
            case "E": kind = ShellFrameKind.BatchEnd; return true;
            case "A": kind = ShellFrameKind.SudoAcknowledged; return true;
            case "W": kind = ShellFrameKind.SudoPasswordWanted; return true;
            default: kind = default; return false;
        }
    }

    private byte[] Slice(int offset, int length)
    {
        var slice = new byte[length];
        Buffer.BlockCopy(_buffer, offset, slice, 0, length);
        return slice;
    }

    private void Discard(int bytes)
    {
        DiscardedBytes += bytes;
        _start += bytes;
        _count -= bytes;
        if (_count == 0)
        {
            _start = 0;
        }
    }

    private int IndexOfNeedle()
    {
        int end = _start + _count - _needle.Length;
        for (int i = _start; i <= end; i++)
        {
            if (_buffer[i] != _needle[0])
            {
                continue;
            }

            int j = 1;
            while (j < _needle.Length && _buffer[i + j] == _needle[j])
            {
                j++;
            }

            if (j == _needle.Length)
            {
                return i - _start;
            }
        }

        return -1;
    }
}
