using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Infrastructure.Samples.Shared.Composition;

/// <summary>Registers <see cref="GatewayClient"/> pointing at <c>Gateway:Url</c> (default http://127.0.0.1:8080).</summary>
public static class GatewayClientExtensions
{
    /// <summary>Adds the typed gateway client.</summary>
    public static IHostApplicationBuilder AddGatewayClient(this IHostApplicationBuilder builder)
    {
        var url = builder.Configuration["Gateway:Url"] ?? "http://127.0.0.1:8080";
        builder.Services.AddHttpClient<GatewayClient>(c =>
        {
            c.BaseAddress = new Uri(url.TrimEnd('/') + "/");
            c.Timeout = TimeSpan.FromSeconds(15);
        });
        return builder;
    }
}
