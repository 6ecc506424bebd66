using System.Text;
using System.Text.RegularExpressions;

namespace Infrastructure.EndToEnd.Tests;

/// <summary>
/// Keeps each Korean lab page (docs/labs/ko) the twin of its English page without a lab: the same commands and the same
/// expected outputs, byte for byte, in the same order, and links both ways.
/// </summary>
public sealed partial class LabPageTwinsTests
{
    public static TheoryData<string> EnglishPages()
    {
        var data = new TheoryData<string>();
        foreach (var page in LabPage.EnglishPages()) { data.Add(page); }
        return data;
    }

    [Fact]
    public void EveryEnglishPage_HasAKoreanTwin_AndEveryKoreanPageAnEnglishOne()
    {
        Assert.NotEmpty(LabPage.EnglishPages());
        Assert.Equal(LabPage.EnglishPages(), LabPage.KoreanPages());
    }

    [Theory]
    [MemberData(nameof(EnglishPages))]
    public void KoreanTwin_SameCommandsAndOutputs_InTheSameOrder(string page)
    {
        var english = LabPage.CommandsAndOutputs(File.ReadAllText(Path.Combine(LabPage.Folder, page)));
        var korean = LabPage.CommandsAndOutputs(File.ReadAllText(KoreanPath(page)));
        Assert.NotEmpty(english);
        for (var i = 0; i < Math.Max(english.Count, korean.Count); i++)
        {
            var en = i < english.Count ? english[i] : null;
            var ko = i < korean.Count ? korean[i] : null;
            Assert.True(en is not null && ko is not null && en.Info == ko.Info && en.Body == ko.Body,
                $"block {i + 1} differs: {Describe(page, en)}\nbut {Describe(LabPage.Korean + "/" + page, ko)}");
        }
    }

    [Theory]
    [MemberData(nameof(EnglishPages))]
    public void KoreanTwin_LinksBothWays_AndToKoreanPages(string page)
    {
        var english = File.ReadAllText(Path.Combine(LabPage.Folder, page));
        var korean = File.ReadAllText(KoreanPath(page));
        Assert.Contains($"]({LabPage.Korean}/{page})", english, StringComparison.Ordinal);
        Assert.Contains($"](../{page})", korean, StringComparison.Ordinal);
        Assert.Matches(Hangul(), korean.Split('\n')[0]);

        var koreanFolder = Path.Combine(LabPage.Folder, LabPage.Korean);
        foreach (var target in Links(korean))
        {
            var resolved = Path.GetFullPath(Path.Combine(koreanFolder, target.Split('#')[0]));
            Assert.True(File.Exists(resolved), $"{LabPage.Korean}/{page} links to {target}, which does not exist");
            var toAnotherEnglishLab = Path.GetDirectoryName(resolved) == Path.GetFullPath(LabPage.Folder) && Path.GetFileName(resolved) != page;
            Assert.False(toAnotherEnglishLab, $"{LabPage.Korean}/{page} links to the English {target}; link its Korean twin instead");
        }
    }

    private static string KoreanPath(string page) => Path.Combine(LabPage.Folder, LabPage.Korean, page);

    private static string Describe(string page, LabBlock? block) =>
        block is null ? $"{page} has no such block" : $"{page}:{block.Line} ```{block.Info}\n{block.Body}";

    // Relative links in the prose: code blocks hold commands, not links.
    private static IEnumerable<string> Links(string markdown)
    {
        var prose = new StringBuilder();
        var inBlock = false;
        foreach (var line in markdown.Split('\n'))
        {
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal)) { inBlock = !inBlock; continue; }
            if (!inBlock) { prose.Append(line).Append('\n'); }
        }
        return Link().Matches(prose.ToString()).Select(m => m.Groups["target"].Value).Where(t => !t.Contains("://", StringComparison.Ordinal));
    }

    [GeneratedRegex(@"\]\((?<target>[^)\s]+)\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"[\uAC00-\uD7A3]")]
    private static partial Regex Hangul();
}
