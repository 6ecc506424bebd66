using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Primitives;

namespace Infrastructure.Discovery.Client.Simple;

/// <summary>
/// Instances listed in configuration, as Spring Cloud's SimpleDiscoveryClient:
/// <c>Spring:Cloud:Discovery:Client:Simple:Instances:{serviceId}:{n}:Uri</c> (plus optional <c>:InstanceId</c>,
/// <c>:Metadata:{key}</c>). Follows configuration reloads.
/// </summary>
internal sealed class SimpleServiceInstanceProvider : IServiceInstanceProvider, IDisposable
{
    public const string SectionName = "Spring:Cloud:Discovery:Client:Simple:Instances";

    private readonly IConfiguration _configuration;
    private readonly IDisposable _reload;
    private volatile Dictionary<string, IReadOnlyList<ServiceInstance>> _instances;

    public SimpleServiceInstanceProvider(IConfiguration configuration)
    {
        _configuration = configuration;
        _instances = Load(configuration);
        _reload = ChangeToken.OnChange(configuration.GetReloadToken, () =>
        {
            _instances = Load(_configuration);
            Changed?.Invoke(this, EventArgs.Empty);
        });
    }

    public event EventHandler? Changed;

    public IReadOnlyList<ServiceInstance> GetInstances(string serviceId) =>
        _instances.TryGetValue(serviceId, out var list) ? list : [];

    public IReadOnlyCollection<string> GetServices() => _instances.Keys;

    public void Dispose() => _reload.Dispose();

    internal static Dictionary<string, IReadOnlyList<ServiceInstance>> Load(IConfiguration configuration)
    {
        var result = new Dictionary<string, IReadOnlyList<ServiceInstance>>(StringComparer.OrdinalIgnoreCase);
        foreach (var service in configuration.GetSection(SectionName).GetChildren())
        {
            var serviceId = service.Key.ToLowerInvariant();
            var list = new List<ServiceInstance>();
            foreach (var entry in service.GetChildren())
            {
                // Both "catalog:0:Uri=http://..." and the shorter "catalog:0=http://..." are accepted.
                var uriText = entry["Uri"] ?? entry.Value;
                if (!Uri.TryCreate(uriText, UriKind.Absolute, out var uri))
                {
                    throw new InvalidOperationException($"{SectionName}:{service.Key}:{entry.Key}: '{uriText}' is not an absolute URI.");
                }
                var metadata = entry.GetSection("Metadata").GetChildren()
                    .Where(m => m.Value is not null)
                    .ToDictionary(m => m.Key, m => m.Value!, StringComparer.OrdinalIgnoreCase);
                var instanceId = entry["InstanceId"] ?? $"{uri.Host}:{serviceId}:{uri.Port}";
                list.Add(new ServiceInstance(serviceId, instanceId, uri.Host, uri.Port, uri.Scheme == Uri.UriSchemeHttps, metadata));
            }
            result[serviceId] = list;
        }
        return result;
    }
}
