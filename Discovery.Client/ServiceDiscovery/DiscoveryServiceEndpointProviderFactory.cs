using Microsoft.Extensions.Primitives;
using Microsoft.Extensions.ServiceDiscovery;

namespace Infrastructure.Discovery.Client.ServiceDiscovery;

/// <summary>
/// Plugs <see cref="IServiceInstanceProvider"/> (the Eureka registry copy, or configured instances) into
/// Microsoft.Extensions.ServiceDiscovery, so <c>http://catalog</c> resolves to the live UP instances of CATALOG.
/// Unknown services resolve to nothing here, which lets the pass-through provider fall back to DNS.
/// </summary>
internal sealed class DiscoveryServiceEndpointProviderFactory : IServiceEndpointProviderFactory
{
    private readonly IServiceInstanceProvider _instances;
    private CancellationTokenSource _changed = new();

    public DiscoveryServiceEndpointProviderFactory(IServiceInstanceProvider instances)
    {
        _instances = instances;
        _instances.Changed += (_, _) =>
        {
            // Not disposed: watchers may still hold the old token, and a source without timers holds nothing.
            var previous = Interlocked.Exchange(ref _changed, new CancellationTokenSource());
            previous.Cancel();
        };
    }

    public bool TryCreateProvider(ServiceEndpointQuery query, out IServiceEndpointProvider provider)
    {
        provider = new Provider(this, query);
        return true;
    }

    private IChangeToken ChangeToken => new CancellationChangeToken(Volatile.Read(ref _changed).Token);

    private sealed class Provider(DiscoveryServiceEndpointProviderFactory factory, ServiceEndpointQuery query) : IServiceEndpointProvider
    {
        public ValueTask PopulateAsync(IServiceEndpointBuilder endpoints, CancellationToken cancellationToken)
        {
            // Token first: a change landing between the two reads then still triggers a refresh.
            endpoints.AddChangeToken(factory.ChangeToken);
            foreach (var instance in factory._instances.GetInstances(query.ServiceName))
            {
                var scheme = instance.Secure ? Uri.UriSchemeHttps : Uri.UriSchemeHttp;
                if (query.IncludedSchemes.Count > 0 && !query.IncludedSchemes.Contains(scheme, StringComparer.OrdinalIgnoreCase))
                {
                    continue;
                }
                endpoints.Endpoints.Add(ServiceEndpoint.Create(new UriEndPoint(instance.Uri)));
            }
            return default;
        }

        public ValueTask DisposeAsync() => default;

        public override string ToString() => "Discovery.Client";
    }
}
