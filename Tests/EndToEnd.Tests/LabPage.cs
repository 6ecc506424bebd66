using System.Text;
using System.Text.RegularExpressions;

namespace Infrastructure.EndToEnd.Tests;

/// <summary>One step of a lab page: a shell block a student runs and the output block the page says to expect.</summary>
internal sealed record LabStep(int Line, string Commands, IReadOnlyList<string> Expected);

/// <summary>
/// Reads a lab page (Markdown). Every <c>```sh</c> block is a step a student runs (<c>```sh no-run</c> ones, such as
/// starting the lab itself, are shown but not run); the <c>```output</c> block right after it lists lines that must
/// each appear in what the step prints (<c>...</c> lines are ignored).
/// </summary>
internal static partial class LabPage
{
    public static IReadOnlyList<LabStep> Parse(string markdown)
    {
        var steps = new List<LabStep>();
        var lines = markdown.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var fence = Fence().Match(lines[i]);
            if (!fence.Success) { continue; }
            var info = fence.Groups["info"].Value.Trim();
            var start = i;
            var body = new StringBuilder();
            for (i++; i < lines.Length && !lines[i].TrimStart().StartsWith("```", StringComparison.Ordinal); i++)
            {
                body.Append(lines[i]).Append('\n');
            }
            if (info is "sh" or "bash" or "shell")
            {
                steps.Add(new LabStep(start + 1, body.ToString(), []));
            }
            else if (info == "output" && steps.Count > 0 && steps[^1].Expected.Count == 0)
            {
                var expected = body.ToString().Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && l != "...").ToList();
                steps[^1] = steps[^1] with { Expected = expected };
            }
        }
        return steps;
    }

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
