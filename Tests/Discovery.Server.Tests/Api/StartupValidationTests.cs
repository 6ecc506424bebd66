using Infrastructure.Testing;
using Microsoft.Extensions.Options;

namespace Infrastructure.Discovery.Server.Tests.Api;

public sealed class StartupValidationTests
{
    // Only values nothing could run with refuse the start; values Eureka accepts start with a warning (SettingsWarningTests).
    [Theory]
    [InlineData("Eureka:Server:RenewalPercentThreshold", "NaN")]
    [InlineData("Eureka:Server:EvictionIntervalTimerInMs", "0")]
    [InlineData("Eureka:Server:ExpectedClientRenewalIntervalSeconds", "0")]
    [InlineData("Eureka:Server:ResponseCacheAutoExpirationInSeconds", "-1")]
    public void Start_UnusableSetting_FailsWithValidationError(string key, string value)
    {
        var ex = FailedStart.Of(() =>
        {
            var factory = new EurekaServerFactory();
            factory.Settings[key] = value;
            return factory;
        }, factory => factory.CreateClient());

        Assert.True(ex.GetBaseException() is OptionsValidationException, ex.ToString());
    }
}
