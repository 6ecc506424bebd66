using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Infrastructure.Discovery.Client.LoadBalancing;

/// <summary>Registers the client-side load balancer.</summary>
public static class LoadBalancingServiceCollectionExtensions
{
    /// <summary>The default configuration section of <see cref="LoadBalancerOptions"/>.</summary>
    public const string DefaultSectionName = "LoadBalancer";

    /// <summary>
    /// Adds <see cref="ServiceLoadBalancer"/>, <see cref="LoadBalancerStats"/> and <see cref="LoadBalancingHttpMessageHandler"/>,
    /// with <see cref="LoadBalancerOptions"/> bound from <paramref name="sectionName"/>. Needs an <see cref="IServiceInstanceProvider"/> (<c>AddDiscoveryClient()</c>).
    /// </summary>
    public static IServiceCollection AddLoadBalancer(this IServiceCollection services, string sectionName = DefaultSectionName)
    {
        services.AddOptions<LoadBalancerOptions>()
            .BindConfiguration(sectionName)
            .ValidateDataAnnotations()
            .Validate(o => LoadBalancerRuleFactory.IsKnown(o.Rule), $"{sectionName}:Rule must be one of {string.Join(", ", LoadBalancerRules.All)}")
            .Validate(o => o.Clients.Values.All(c => c.Rule is null || LoadBalancerRuleFactory.IsKnown(c.Rule)),
                $"{sectionName}:Clients:*:Rule must be one of {string.Join(", ", LoadBalancerRules.All)}")
            .ValidateOnStart();
        services.TryAddSingleton<LoadBalancerStats>();
        services.TryAddSingleton<ServiceLoadBalancer>();
        services.TryAddTransient<LoadBalancingHttpMessageHandler>();
        return services;
    }

    /// <summary>Makes this named/typed client resolve <c>http://service-id/...</c> through the load balancer.</summary>
    public static IHttpClientBuilder AddLoadBalancing(this IHttpClientBuilder builder) =>
        builder.AddHttpMessageHandler<LoadBalancingHttpMessageHandler>();
}
