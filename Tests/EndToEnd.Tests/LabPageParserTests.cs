namespace Infrastructure.EndToEnd.Tests;

public sealed class LabPageParserTests
{
    [Fact]
    public void Parse_ShAndOutputBlocks_PairsThemAndSkipsNoRun()
    {
        const string Page = """
            # Title
            ```sh no-run
            dotnet run --project Samples/Lab
            ```
            1. Ask:
            ```sh
            curl -s http://x/a
            ```
            ```output
            "status":"UP"
            ...
            ```
            ```json
            {"not":"run"}
            ```
            ```bash
            echo hi
            ```
            """;
        var steps = LabPage.Parse(Page);
        Assert.Equal(2, steps.Count);
        Assert.Equal("curl -s http://x/a\n", steps[0].Commands);
        Assert.Equal(["\"status\":\"UP\""], steps[0].Expected);
        Assert.Empty(steps[1].Expected);
    }

    [Fact]
    public void SplitOutput_MarkersInScript_SeparatesEachStep()
    {
        var steps = LabPage.Parse("```sh\necho one\n```\n```sh\necho two\n```\n");
        var script = LabPage.ToScript(steps);
        var fakeOutput = string.Join('\n', script.Split('\n').Where(l => l.StartsWith("echo", StringComparison.Ordinal)).Select(l => l[5..].Trim('\'')));
        var parts = LabPage.SplitOutput(fakeOutput, 2);
        Assert.Contains("one", parts[0], StringComparison.Ordinal);
        Assert.DoesNotContain("two", parts[0], StringComparison.Ordinal);
        Assert.Contains("two", parts[1], StringComparison.Ordinal);
    }
}
