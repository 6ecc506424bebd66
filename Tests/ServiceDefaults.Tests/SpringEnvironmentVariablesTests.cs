using System.Collections;
using Infrastructure.ServiceDefaults.Configuration;
using Microsoft.Extensions.Configuration;

namespace Infrastructure.ServiceDefaults.Tests;

public sealed class SpringEnvironmentVariablesTests
{
    [Theory]
    [InlineData("EUREKA_CLIENT_SERVICEURL_DEFAULTZONE", "EUREKA:CLIENT:SERVICEURL:DEFAULTZONE")]
    [InlineData("EUREKA_SERVER_ENABLESELFPRESERVATION", "EUREKA:SERVER:ENABLESELFPRESERVATION")]
    [InlineData("SPRING_CLOUD_GATEWAY_ROUTES_0_PREDICATES_1", "Gateway:ROUTES:0:PREDICATES:1")]
    [InlineData("SPRING_CLOUD_CONFIG_SERVER_GIT_URI", "ConfigServer:GIT:URI")]
    [InlineData("SPRING_CLOUD_CONFIG_URI", "SPRING:CLOUD:CONFIG:URI")]
    [InlineData("ENCRYPT_KEY", "ConfigServer:Encrypt:KEY")]
    [InlineData("SPRING_CLOUD_GATEWAY_FORWARDED_ENABLED", "Gateway:ForwardedEnabled")]
    [InlineData("SPRING_CLOUD_GATEWAY_XFORWARDED_ENABLED", "Gateway:XForwardedEnabled")]
    [InlineData("MANAGEMENT_TRACING_SAMPLING_PROBABILITY", "Tracing:SamplingProbability")]
    [InlineData("MANAGEMENT_TRACING_ENABLED", "Tracing:Enabled")]
    [InlineData("management__tracing__sampling__probability", "Tracing:SamplingProbability")]
    [InlineData("Spring__Cloud__Gateway__Routes__0__Uri", "Gateway:Routes:0:Uri")]
    [InlineData("Spring__Cloud__Config__Server__Native__SearchLocations", "ConfigServer:Native:SearchLocations")]
    public void KeyFor_SpringNames_OurKeys(string variable, string key) =>
        Assert.Equal(key, SpringEnvironmentVariables.KeyFor(variable));

    [Theory]
    [InlineData("PATH")]
    [InlineData("ASPNETCORE_ENVIRONMENT")]
    [InlineData("Eureka__Server__EnableSelfPreservation")]
    [InlineData("Spring__Cloud__Config__Uri")]
    [InlineData("EUREKA_")]
    public void KeyFor_OtherVariables_Ignored(string variable) =>
        Assert.Null(SpringEnvironmentVariables.KeyFor(variable));

    [Fact]
    public void Bound_CaseInsensitiveAndListIndexes()
    {
        var env = new Hashtable
        {
            ["EUREKA_SERVER_RENEWALPERCENTTHRESHOLD"] = "0.5",
            ["SPRING_CLOUD_GATEWAY_ROUTES_0_ID"] = "orders",
            ["SPRING_CLOUD_GATEWAY_ROUTES_0_PREDICATES_0"] = "Path=/orders/**",
            ["HOME"] = "/root",
        };
        var config = new ConfigurationBuilder().AddSpringEnvironmentVariables(env).Build();

        Assert.Equal("0.5", config["Eureka:Server:RenewalPercentThreshold"]);
        Assert.Equal("orders", config.GetSection("Gateway:Routes").GetChildren().Single()["Id"]);
        Assert.Equal("Path=/orders/**", config["Gateway:Routes:0:Predicates:0"]);
        Assert.Null(config["HOME"]);
    }
}
