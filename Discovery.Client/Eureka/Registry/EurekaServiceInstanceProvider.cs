namespace Infrastructure.Discovery.Client.Eureka.Registry;

/// <summary>The UP instances from the local copy of the Eureka registry.</summary>
internal sealed class EurekaServiceInstanceProvider : IServiceInstanceProvider
{
    private readonly LocalRegistry _registry;

    public EurekaServiceInstanceProvider(LocalRegistry registry)
    {
        _registry = registry;
        _registry.Changed += (_, e) => Changed?.Invoke(this, e);
    }

    public event EventHandler? Changed;

    public IReadOnlyList<ServiceInstance> GetInstances(string serviceId) => _registry.GetUpInstances(serviceId);

    public IReadOnlyCollection<string> GetServices() => _registry.GetServices();
}
