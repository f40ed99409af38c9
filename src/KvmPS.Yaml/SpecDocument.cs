using System;
using System.Collections.Generic;
using System.IO;
using KvmPS.Guests;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace KvmPS.Yaml;

/// <summary>A node of a spec file with the 1-based position where it starts.</summary>
internal abstract class SpecNode
{
    protected SpecNode(Mark start)
    {
        Line = checked((int)start.Line);
        Column = checked((int)start.Column);
    }

    public int Line { get; }

    public int Column { get; }

    /// <summary>What the node is, for "expected X, got Y" messages.</summary>
    public abstract string Describe();
}

internal sealed class SpecScalar : SpecNode
{
    public SpecScalar(Scalar scalar)
        : base(scalar.Start)
    {
        Value = scalar.Value;
        IsPlain = scalar.Style == ScalarStyle.Plain;
    }

    public string Value { get; }

    /// <summary>Unquoted (plain): only these can be null or a boolean.</summary>
    public bool IsPlain { get; }

    /// <summary>YAML 1.2 core schema null: an empty plain scalar, ~, null, Null or NULL.</summary>
    public bool IsNull => IsPlain && (Value.Length == 0 || Value == "~" || Value == "null" || Value == "Null" || Value == "NULL");

    public override string Describe() => IsNull ? "nothing (null)" : "'" + Value + "'";
}

internal sealed class SpecSequence : SpecNode
{
    public SpecSequence(Mark start)
        : base(start)
    {
    }

    public List<SpecNode> Items { get; } = new();

    public override string Describe() => "a list";
}

internal sealed class SpecMapping : SpecNode
{
    public SpecMapping(Mark start)
        : base(start)
    {
    }

    public List<KeyValuePair<SpecScalar, SpecNode>> Entries { get; } = new();

    public override string Describe() => "a mapping";
}

/// <summary>
/// Reads YAML into <see cref="SpecNode"/>s with YamlDotNet's event parser, so that every node
/// keeps its position and nothing is typed yet: the schema (SpecReader) decides what a scalar
/// means, so "no", "1:20" or "0x1F" stay text where text is expected (no YAML 1.1 surprises).
/// Anchors and aliases work; tags and complex keys are refused.
/// </summary>
internal sealed class SpecDocument
{
    private readonly string _source;
    private readonly IParser _parser;
    private readonly Dictionary<string, SpecNode> _anchors = new(StringComparer.Ordinal);
    private readonly Stack<ParsingEvent> _open = new();

    /// <summary>Far deeper than any spec; keeps a hostile file from overflowing the stack.</summary>
    private const int MaxDepth = 64;
    private ParsingEvent? _last;

    private SpecDocument(string yaml, string source)
    {
        _source = source;
        _parser = new Parser(new StringReader(yaml));
    }

    /// <summary>The root node, or null for an empty document.</summary>
    public static SpecNode? Load(string yaml, string source)
    {
        var document = new SpecDocument(yaml, source);
        try
        {
            return document.ReadStream();
        }
        catch (YamlException e)
        {
            throw document.SyntaxError(yaml, e);
        }
        catch (GuestSpecException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // YamlDotNet's scanner sometimes fails with a non-YAML exception on malformed input
            // (InvalidOperationException for an unclosed '[' followed by more lines; a plain
            // Exception in aaubry/YamlDotNet#541).
            throw document.ScannerFailure();
        }
    }

    private SpecNode? ReadStream()
    {
        Expect<StreamStart>();
        if (_parser.TryConsume<StreamEnd>(out _))
        {
            return null;
        }

        Expect<DocumentStart>();
        SpecNode root = ReadNode();
        Expect<DocumentEnd>();
        if (_parser.Accept<DocumentStart>(out var second))
        {
            throw Error(second.Start, "a spec file holds one YAML document; a second one starts here ('---')");
        }

        Expect<StreamEnd>();
        return root;
    }

    private SpecNode ReadNode()
    {
        ParsingEvent next = Next();
        switch (next)
        {
            case AnchorAlias alias:
                if (!_anchors.TryGetValue(alias.Value.Value, out SpecNode? target))
                {
                    throw Error(alias.Start, "unknown alias '*" + alias.Value.Value + "' (an alias must follow its anchor, outside of it)");
                }

                return target;

            case Scalar scalar:
                RefuseTag(scalar);
                return Anchor(scalar, new SpecScalar(scalar));

            case SequenceStart start:
            {
                RefuseTag(start);
                RefuseDepth(start);
                var sequence = new SpecSequence(start.Start);
                _open.Push(start);
                while (!_parser.TryConsume<SequenceEnd>(out var end))
                {
                    sequence.Items.Add(ReadNode());
                }

                _open.Pop();
                return Anchor(start, sequence);
            }

            case MappingStart start:
            {
                RefuseTag(start);
                RefuseDepth(start);
                var mapping = new SpecMapping(start.Start);
                _open.Push(start);
                while (!_parser.TryConsume<MappingEnd>(out var end))
                {
                    ParsingEvent? keyEvent = _parser.Current;
                    SpecNode key = ReadNode();
                    if (key is not SpecScalar scalarKey || keyEvent is AnchorAlias)
                    {
                        throw Error(keyEvent?.Start ?? start.Start, "keys must be plain names, not " + key.Describe() + " or an alias");
                    }

                    mapping.Entries.Add(new KeyValuePair<SpecScalar, SpecNode>(scalarKey, ReadNode()));
                }

                _open.Pop();
                return Anchor(start, mapping);
            }

            default:
                throw Error(next.Start, "unexpected " + next.GetType().Name);
        }
    }

    private T Anchor<T>(NodeEvent node, T value)
        where T : SpecNode
    {
        if (!node.Anchor.IsEmpty)
        {
            _anchors[node.Anchor.Value] = value;
        }

        return value;
    }

    private void RefuseTag(NodeEvent node)
    {
        if (!node.Tag.IsEmpty && !node.Tag.IsNonSpecific)
        {
            throw Error(node.Start, "YAML tags such as '" + node.Tag.Value + "' are not supported in a spec; each key's type is fixed (remove the tag)");
        }
    }

    private void RefuseDepth(ParsingEvent start)
    {
        if (_open.Count >= MaxDepth)
        {
            throw Error(start.Start, "the YAML is nested more than " + MaxDepth + " levels deep");
        }
    }

    private ParsingEvent Next()
    {
        if (_parser.Current == null)
        {
            _parser.MoveNext();
        }

        ParsingEvent current = _parser.Current ?? throw new InvalidOperationException("The YAML parser has no current event.");
        _last = current;
        _parser.MoveNext();
        return current;
    }

    private void Expect<T>()
        where T : ParsingEvent
    {
        if (!_parser.Accept<T>(out _))
        {
            ParsingEvent? current = _parser.Current;
            throw Error(current?.Start ?? _last?.End ?? Mark.Empty, "unexpected YAML content");
        }

        Next();
    }

    private GuestSpecException SyntaxError(string yaml, YamlException e)
    {
        string message = e.Message.Length > 0 ? char.ToLowerInvariant(e.Message[0]) + e.Message.Substring(1) : "invalid YAML";
        int line = checked((int)e.Start.Line);
        int column = checked((int)e.Start.Column);

        // YamlDotNet reports a tab in the indentation at the start of the enclosing block; point at the tab.
        if (message.IndexOf("tab", StringComparison.OrdinalIgnoreCase) >= 0)
        {
            string[] lines = yaml.Split('\n');
            for (int i = Math.Max(0, line - 1); i < lines.Length; i++)
            {
                int tab = IndentationTab(lines[i]);
                if (tab >= 0)
                {
                    return new GuestSpecException(_source, i + 1, tab + 1, "YAML syntax error: a tab in the indentation; YAML indents with spaces only");
                }
            }
        }

        return new GuestSpecException(_source, Math.Max(line, 1), Math.Max(column, 1), "YAML syntax error: " + message);
    }

    private GuestSpecException ScannerFailure()
    {
        foreach (ParsingEvent open in _open)
        {
            if (open is SequenceStart { Style: SequenceStyle.Flow })
            {
                return Error(open.Start, "YAML syntax error: this '[' list is not closed with ']'");
            }

            if (open is MappingStart { Style: MappingStyle.Flow })
            {
                return Error(open.Start, "YAML syntax error: this '{' mapping is not closed with '}'");
            }
        }

        return Error(_last?.End ?? Mark.Empty, "YAML syntax error after this point");
    }

    private static int IndentationTab(string line)
    {
        for (int i = 0; i < line.Length; i++)
        {
            if (line[i] == '\t')
            {
                return i;
            }

            if (line[i] != ' ')
            {
                return -1;
            }
        }

        return -1;
    }

    private GuestSpecException Error(Mark mark, string message) =>
        new(_source, Math.Max(checked((int)mark.Line), 1), Math.Max(checked((int)mark.Column), 1), message);
}
