using Infrastructure.ServiceDefaults.Options;

namespace Infrastructure.Discovery.Server.Consul;

/// <summary>Registers the Consul-compatible API on the registry.</summary>
internal static class ConsulExtensions
{
    /// <summary>Adds the Consul agent (check runner, lease keeper), catalog view and index, unless <c>Eureka:Server:Consul:Enabled</c> is false.</summary>
    public static IHostApplicationBuilder AddConsulApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ConsulApiOptions>()
            .BindConfiguration(ConsulApiOptions.Section)
            .ValidateSettings(ConsulApiOptions.Section)
            .ValidateOnStart();
        if (!IsEnabled(builder.Configuration))
        {
            return builder;
        }
        builder.Services.AddHttpClient(ConsulAgent.HttpClientName);
        builder.Services.AddHttpClient(ConsulAgent.InsecureHttpClientName)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                // Only for checks registered with TLSSkipVerify, as Consul does for them.
                SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
            });
        builder.Services.AddSingleton<ConsulIndex>();
        builder.Services.AddSingleton<ConsulAgent>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ConsulAgent>());
        builder.Services.AddSingleton<ConsulCatalog>();
        return builder;
    }

    /// <summary>Maps <c>/v1/...</c> when enabled.</summary>
    public static IEndpointRouteBuilder MapConsul(this IEndpointRouteBuilder endpoints, IConfiguration configuration) =>
        IsEnabled(configuration) ? endpoints.MapConsulApi() : endpoints;

    private static bool IsEnabled(IConfiguration configuration) =>
        configuration.GetValue<bool?>(ConsulApiOptions.Section + ":" + nameof(ConsulApiOptions.Enabled)) ?? true;
}
