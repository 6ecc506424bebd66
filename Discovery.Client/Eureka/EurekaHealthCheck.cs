using Infrastructure.Discovery.Client.Eureka.Registration;
using Infrastructure.Discovery.Client.Eureka.Registry;
using Infrastructure.Discovery.Client.Eureka.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Infrastructure.Discovery.Client.Eureka;

/// <summary>
/// The <c>eureka</c> component of <c>/actuator/health</c>: Healthy once registered and fetched, Degraded (still
/// served with 200) while Eureka is unreachable — a registry outage must not take the service out of rotation.
/// </summary>
internal sealed class EurekaHealthCheck(IServiceProvider services, EurekaHttpClient client) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var registration = services.GetService<EurekaRegistrationService>();
        var registry = services.GetService<LocalRegistry>();
        var data = new Dictionary<string, object> { ["server"] = client.CurrentServer.ToString() };
        var problems = new List<string>();
        if (registration is not null)
        {
            data["registered"] = registration.IsRegistered;
            if (registration.Instance is { } instance)
            {
                data["instanceId"] = instance.InstanceId;
            }
            if (!registration.IsRegistered)
            {
                problems.Add("not registered with Eureka");
            }
        }
        if (registry is not null)
        {
            data["applications"] = registry.GetServices().Count;
            data["instances"] = registry.InstanceCount;
            if (!registry.HasFullCopy)
            {
                problems.Add("registry not fetched yet");
            }
        }
        return Task.FromResult(problems.Count == 0
            ? HealthCheckResult.Healthy("Eureka client", data)
            : HealthCheckResult.Degraded(string.Join("; ", problems), data: data));
    }
}
