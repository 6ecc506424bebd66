using Infrastructure.Mesh.ControlPlane.Analysis;
using Infrastructure.Mesh.ControlPlane.Tests.Support;
using Infrastructure.Testing;

namespace Infrastructure.Mesh.ControlPlane.Tests.Analysis;

public sealed class AnalyzeCommandTests
{
    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await AnalyzeCommand.RunAsync(["analyze", .. args], output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task CleanFolder_ExitZero()
    {
        var folder = TempFolder.Create("analyze");
        await File.WriteAllTextAsync(Path.Combine(folder, "reviews.yaml"), Yaml.ReviewsSplit(90, 10));

        var (code, output, _) = await RunAsync(folder);

        Assert.Equal(0, code);
        Assert.Contains("No validation issues found", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WarningsOnly_ExitZero()
    {
        var folder = TempFolder.Create("analyze");
        await File.WriteAllTextAsync(Path.Combine(folder, "p.yaml"), Yaml.Policies);

        var (code, output, _) = await RunAsync(folder, "--registry", "http://127.0.0.1:1/eureka/");

        Assert.Equal(0, code);
    }

    [Fact]
    public async Task MissingSubset_ExitOne()
    {
        var folder = TempFolder.Create("analyze");
        await File.WriteAllTextAsync(Path.Combine(folder, "reviews.yaml"), Yaml.ReviewsSplit(90, 10).Replace("subset: v2", "subset: v3", StringComparison.Ordinal));

        var (code, output, _) = await RunAsync(folder);

        Assert.Equal(1, code);
        Assert.Equal("Error [IST0101] (VirtualService default/reviews reviews.yaml) Referenced host+subset in destinationrule not found: \"reviews+v3\"", output.Trim());
    }

    [Fact]
    public async Task InvalidResource_ExitOne_NamingFileResourceField()
    {
        var folder = TempFolder.Create("analyze");
        Directory.CreateDirectory(Path.Combine(folder, "sub"));
        await File.WriteAllTextAsync(Path.Combine(folder, "sub", "reviews.yaml"), Yaml.ReviewsSplit(90, 10).Replace("weight: 10", "weight: -10", StringComparison.Ordinal));

        var (code, output, _) = await RunAsync(folder);

        Assert.Equal(1, code);
        Assert.Contains("Error [IST0106] (VirtualService default/reviews sub/reviews.yaml) Schema validation error: spec.http[0].route[1].weight: weight -10 < 0", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoFolder_ExitOne()
    {
        Assert.Equal(1, (await RunAsync()).Code);
        Assert.Equal(1, (await RunAsync(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N")))).Code);
    }

    [Fact]
    public async Task RealProcess_ExitCodes_NoServerStarted()
    {
        var good = TempFolder.Create("analyze");
        await File.WriteAllTextAsync(Path.Combine(good, "reviews.yaml"), Yaml.ReviewsSplit(90, 10));
        var bad = TempFolder.Create("analyze");
        await File.WriteAllTextAsync(Path.Combine(bad, "reviews.yaml"), "spec: [unclosed");

        var ok = await DotnetCli.RunAsync(RepoPaths.Root, TimeSpan.FromSeconds(60), RepoPaths.ProjectDll("Mesh.ControlPlane"), "analyze", good);
        var failed = await DotnetCli.RunAsync(RepoPaths.Root, TimeSpan.FromSeconds(60), RepoPaths.ProjectDll("Mesh.ControlPlane"), "analyze", bad);

        Assert.Equal(0, ok.ExitCode);
        Assert.DoesNotContain("Now listening", ok.Output, StringComparison.Ordinal);
        Assert.Equal(1, failed.ExitCode);
        Assert.Contains("Error [IST0106] (reviews.yaml) Schema validation error: not valid YAML", failed.Output, StringComparison.Ordinal);
    }
}
