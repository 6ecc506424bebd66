using Infrastructure.Config.Server.Limits;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Infrastructure.Config.Server.Environment;

/// <summary>
/// Checks a YAML stream's events against <see cref="InputLimits"/> before anything is built from them. Flattening walks
/// aliases as copies, so a few hundred bytes of nested aliases ("billion laughs") would otherwise stand for billions of
/// keys, and deep nesting would overflow the stack of the recursive loader: sizes and depths are computed here from the
/// events, without expanding anything.
/// </summary>
internal static class YamlGuard
{
    private sealed class Frame(AnchorName anchor)
    {
        public AnchorName Anchor { get; } = anchor;

        /// <summary>Nodes under and including this one, aliases expanded.</summary>
        public long Size { get; set; } = 1;

        /// <summary>Levels of collections below this one, aliases expanded.</summary>
        public int Height { get; set; }
    }

    /// <summary>Throws <see cref="ConfigFileParseException"/> at the first limit the stream breaks (and <see cref="YamlException"/> when it does not parse).</summary>
    public static void Check(string displayName, string content, InputLimits limits)
    {
        var parser = new Parser(new StringReader(content));
        // Anchor → (expanded size, height, is a collection); a name may be re-anchored later in the document.
        var anchors = new Dictionary<AnchorName, (long Size, int Height, bool Collection)>();
        var open = new Stack<Frame>();
        var aliases = 0;
        long added = 0;
        while (MoveNext(displayName, parser))
        {
            var e = parser.Current!;
            switch (e)
            {
                case DocumentStart:
                    anchors.Clear();
                    aliases = 0;
                    added = 0;
                    break;
                case Scalar s:
                    Add(1, 0);
                    if (!s.Anchor.IsEmpty)
                    {
                        anchors[s.Anchor] = (1, 0, false);
                    }
                    break;
                case SequenceStart or MappingStart:
                    if (open.Count + 1 > limits.MaxNestingDepth)
                    {
                        throw Refuse(displayName, e, $"nesting deeper than {limits.MaxNestingDepth} levels (ConfigServer:Limits:MaxNestingDepth)");
                    }
                    open.Push(new Frame(((NodeEvent)e).Anchor));
                    break;
                case SequenceEnd or MappingEnd:
                    var done = open.Pop();
                    if (!done.Anchor.IsEmpty)
                    {
                        anchors[done.Anchor] = (done.Size, done.Height, true);
                    }
                    if (open.TryPeek(out var parent))
                    {
                        parent.Size += done.Size;
                        parent.Height = Math.Max(parent.Height, done.Height + 1);
                    }
                    break;
                case AnchorAlias alias:
                    if (open.Any(f => f.Anchor == alias.Value))
                    {
                        throw Refuse(displayName, e, $"alias *{alias.Value} refers to a node that contains it");
                    }
                    if (!anchors.TryGetValue(alias.Value, out var target))
                    {
                        break; // an unknown anchor: the loader reports it with its line
                    }
                    if (target.Collection && ++aliases > limits.MaxAliasesForCollections)
                    {
                        throw Refuse(displayName, e, $"more than {limits.MaxAliasesForCollections} aliases to sequences or mappings (ConfigServer:Limits:MaxAliasesForCollections)");
                    }
                    if (open.Count + target.Height + (target.Collection ? 1 : 0) > limits.MaxNestingDepth)
                    {
                        throw Refuse(displayName, e, $"alias *{alias.Value} nests deeper than {limits.MaxNestingDepth} levels (ConfigServer:Limits:MaxNestingDepth)");
                    }
                    added += target.Size;
                    if (added > limits.MaxAliasExpansion)
                    {
                        throw Refuse(displayName, e, $"aliases expand to more than {limits.MaxAliasExpansion} nodes (ConfigServer:Limits:MaxAliasExpansion)");
                    }
                    Add(target.Size, target.Collection ? target.Height + 1 : 0);
                    break;
            }
        }

        // A completed node of `size` expanded nodes and `height` collection levels joins its parent.
        void Add(long size, int height)
        {
            if (open.TryPeek(out var parent))
            {
                parent.Size += size;
                parent.Height = Math.Max(parent.Height, height);
            }
        }
    }

    private static bool MoveNext(string displayName, Parser parser)
    {
        try
        {
            return parser.MoveNext();
        }
        catch (InvalidOperationException e)
        {
            throw ConfigFileParser.UnexpectedEnd(displayName, parser, e);
        }
    }

    private static ConfigFileParseException Refuse(string displayName, ParsingEvent e, string why) =>
        new(displayName, e.Start.Line, "refused: " + why);
}
