using Infrastructure.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace Infrastructure.ServiceDefaults.Tests;

public sealed class DefaultUrlTests
{
    [Fact]
    public void UseDefaultUrl_NoUrlsGiven_ListensOnLoopbackWellKnownPort()
    {
        var builder = WebApplication.CreateBuilder([]);
        builder.UseDefaultUrl(8761);
        Assert.Equal("http://127.0.0.1:8761", builder.WebHost.GetSetting(WebHostDefaults.ServerUrlsKey));
    }

    [Fact]
    public void UseDefaultUrl_UrlsOnCommandLine_KeepsThem()
    {
        var builder = WebApplication.CreateBuilder(["--urls", "http://127.0.0.1:5555"]);
        builder.UseDefaultUrl(8761);
        Assert.Equal("http://127.0.0.1:5555", builder.WebHost.GetSetting(WebHostDefaults.ServerUrlsKey));
    }
}
