namespace Infrastructure.Discovery.Server.Eviction;

/// <summary>Registers lease eviction and self-preservation.</summary>
internal static class EvictionExtensions
{
    /// <summary>Adds the eviction timer and the <c>eureka</c> health check.</summary>
    public static IHostApplicationBuilder AddEviction(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<EvictionService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EvictionService>());
        builder.Services.AddHealthChecks().AddCheck<EurekaHealthCheck>("eureka");
        return builder;
    }
}
