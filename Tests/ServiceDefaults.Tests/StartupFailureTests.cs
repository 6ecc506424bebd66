using Infrastructure.Testing;

namespace Infrastructure.ServiceDefaults.Tests;

/// <summary>A server that cannot start says why in one line, as an operator configuring it through the environment sees it.</summary>
public sealed class StartupFailureTests
{
    [Theory]
    [InlineData("Discovery.Server", "Eureka__Server__EvictionIntervalTimerInMs", "0", "EvictionIntervalTimerInMs")]
    [InlineData("Gateway", "Gateway__Routes__0__Id", "broken", "Gateway:Routes:0:Uri is required")]
    [InlineData("Gateway", "Gateway__HttpClient__ConnectTimeout", "-1", "Gateway:HttpClient:ConnectTimeout")]
    [InlineData("Gateway", "Gateway__HttpClient__ResponseTimeout", "5 parsecs", "Gateway:HttpClient:ResponseTimeout")]
    [InlineData("Gateway", "Gateway__LoadBalancer__Clients__order__Rule", "RetryRule", "Gateway:LoadBalancer:Clients:*:Rule")]
    [InlineData("Config.Server", "ConfigServer__Native__DefaultLabel", " ", "DefaultLabel")]
    public async Task BadSetting_Production_OneReadableLineAndExitCode1(string project, string key, string value, string named)
    {
        var (exitCode, output) = await ServerProcess.RunToExitAsync(project, new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            [key] = value,
        });

        Assert.Equal(1, exitCode);
        var reports = output.Split('\n').Where(l => l.Contains("did not start", StringComparison.Ordinal)).ToList();
        var report = Assert.Single(reports);
        Assert.Contains(named, report, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Hosting failed to start", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }
}
