using System.Text;
using System.Text.RegularExpressions;
using Infrastructure.Testing;

namespace Infrastructure.EndToEnd.Tests;

/// <summary>One step of a lab page: a shell block a student runs and the output block the page says to expect.</summary>
internal sealed record LabStep(int Line, string Commands, IReadOnlyList<string> Expected);

/// <summary>One fenced block of a lab page: the line of its opening fence, its info string and its text.</summary>
internal sealed record LabBlock(int Line, string Info, string Body);

/// <summary>
/// Reads a lab page (Markdown). Every <c>```sh</c> block is a step a student runs (<c>```sh no-run</c> ones, such as
/// starting the lab itself, are shown but not run); the <c>```output</c> block right after it lists lines that must
/// each appear in what the step prints (<c>...</c> lines are ignored).
/// </summary>
internal static partial class LabPage
{
    /// <summary>docs/labs: the English pages; their Korean twins, same file names, are in its <see cref="Korean"/> folder.</summary>
    public static string Folder { get; } = Path.Combine(RepoPaths.Root, "docs", "labs");

    /// <summary>The Korean twins' folder, relative to <see cref="Folder"/>.</summary>
    public const string Korean = "ko";

    /// <summary>File names of the English pages, in order.</summary>
    public static IReadOnlyList<string> EnglishPages() => PagesIn(Folder);

    /// <summary>File names of the Korean pages, in order.</summary>
    public static IReadOnlyList<string> KoreanPages() => PagesIn(Path.Combine(Folder, Korean));

    private static List<string> PagesIn(string folder) =>
        Directory.GetFiles(folder, "*.md").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToList();

    public static IReadOnlyList<LabStep> Parse(string markdown)
    {
        var steps = new List<LabStep>();
        foreach (var block in Blocks(markdown))
        {
            if (block.Info is "sh" or "bash" or "shell")
            {
                steps.Add(new LabStep(block.Line, block.Body, []));
            }
            else if (block.Info == "output" && steps.Count > 0 && steps[^1].Expected.Count == 0)
            {
                var expected = block.Body.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && l != "...").ToList();
                steps[^1] = steps[^1] with { Expected = expected };
            }
        }
        return steps;
    }

    /// <summary>Whether the page starts the lab with <c>--mesh</c> (in a <c>sh no-run</c> block): it runs against a lab with the service mesh.</summary>
    public static bool NeedsMesh(string markdown) =>
        Blocks(markdown).Any(b => b.Info == "sh no-run" && b.Body.Contains("Samples/Lab -- --mesh", StringComparison.Ordinal));

    /// <summary>Every fenced block of the page, in order, with its info string (<c>sh</c>, <c>sh no-run</c>, <c>output</c>, <c>mermaid</c>...).</summary>
    public static IReadOnlyList<LabBlock> Blocks(string markdown)
    {
        var blocks = new List<LabBlock>();
        var lines = markdown.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var fence = Fence().Match(lines[i]);
            if (!fence.Success) { continue; }
            var start = i;
            var body = new StringBuilder();
            for (i++; i < lines.Length && !lines[i].TrimStart().StartsWith("```", StringComparison.Ordinal); i++)
            {
                body.Append(lines[i]).Append('\n');
            }
            blocks.Add(new LabBlock(start + 1, fence.Groups["info"].Value.Trim(), body.ToString()));
        }
        return blocks;
    }

    /// <summary>
    /// The blocks a page's translation must keep byte for byte: what a student types (<c>sh</c>, including
    /// <c>sh no-run</c>) and what the page promises it prints (<c>output</c>).
    /// </summary>
    public static IReadOnlyList<LabBlock> CommandsAndOutputs(string markdown) =>
        Blocks(markdown).Where(b => b.Info == "output" || b.Info.Split(' ')[0] is "sh" or "bash" or "shell").ToList();

    /// <summary>One bash script running every step in order, with a marker line before each so outputs can be told apart.</summary>
    public static string ToScript(IReadOnlyList<LabStep> steps)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < steps.Count; i++)
        {
            sb.Append("echo '").Append(Marker(i)).Append("'\n").Append(steps[i].Commands).Append('\n');
        }
        sb.Append("echo '").Append(Marker(steps.Count)).Append("'\n");
        return sb.ToString();
    }

    public static IReadOnlyList<string> SplitOutput(string output, int count)
    {
        var result = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var from = output.IndexOf(Marker(i), StringComparison.Ordinal);
            var to = output.IndexOf(Marker(i + 1), StringComparison.Ordinal);
            result.Add(from < 0 ? "" : output[(from + Marker(i).Length)..(to < 0 ? output.Length : to)]);
        }
        return result;
    }

    private static string Marker(int i) => $"@@lab-step-{i}@@";

    [GeneratedRegex(@"^\s*```(?<info>[^`]*)$")]
    private static partial Regex Fence();
}
