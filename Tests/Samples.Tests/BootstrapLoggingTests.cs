using System.Text.RegularExpressions;
using Infrastructure.Testing;

namespace Infrastructure.Samples.Tests;

/// <summary>A sample's first lines, written by Config.Client before the host exists, in the same Serilog format as the rest.</summary>
public sealed partial class BootstrapLoggingTests
{
    // LoggingExtensions.ConsoleTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj} {TraceId}".
    [GeneratedRegex(@"^\[\d{2}:\d{2}:\d{2} [A-Z]{3}\] [\w.]+: ")]
    private static partial Regex SerilogLine();

    [Fact]
    public async Task CatalogService_ConfigServerDown_FirstLineIsConfigClientInSerilogFormat()
    {
        var deadConfigServer = $"http://127.0.0.1:{FreePort.Next()}";
        await using var catalog = await ServerProcess.StartAsync("Samples/Catalog.Service", environment: new Dictionary<string, string?>
        {
            ["Spring__Cloud__Config__Uri"] = deadConfigServer,
            ["Spring__Cloud__Config__Watch__Enabled"] = "false",
            ["Spring__Cloud__Config__CacheDirectory"] = "",
        });

        var lines = catalog.Output.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        var first = lines.First(l => l.Contains("Infrastructure.Config.Client", StringComparison.Ordinal));
        Assert.Equal(first, lines[0]);
        Assert.Matches(SerilogLine(), first);
        Assert.StartsWith("[", first, StringComparison.Ordinal);
        Assert.Contains($"WRN] Infrastructure.Config.Client: Config server {deadConfigServer}/ unavailable", first, StringComparison.Ordinal);
        // Every later line of the host is in the same format.
        Assert.All(lines.Where(l => l.StartsWith('[')), l => Assert.Matches(SerilogLine(), l));
    }
}
