using Infrastructure.Testing;
using Microsoft.Extensions.Options;

namespace Infrastructure.Discovery.Server.Tests.Api;

public sealed class StartupValidationTests
{
    [Theory]
    [InlineData("Eureka:Server:RenewalPercentThreshold", "2")]
    [InlineData("Eureka:Server:EvictionIntervalTimerInMs", "0")]
    [InlineData("Eureka:Server:ExpectedClientRenewalIntervalSeconds", "-1")]
    [InlineData("Eureka:Client:ServiceUrl:DefaultZone", "ftp://peer/eureka/")]
    public void Start_InvalidSetting_FailsWithValidationError(string key, string value)
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
