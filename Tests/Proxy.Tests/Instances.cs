using Infrastructure.Discovery.Client;
using Infrastructure.Discovery.Client.LoadBalancing;
using Microsoft.Extensions.Options;

namespace Infrastructure.Proxy.Tests;

internal static class Instances
{
    public static IReadOnlyList<ServiceInstance> Of(int n) =>
        Enumerable.Range(0, n).Select(i => new ServiceInstance("svc", "svc-" + i, "127.0.0.1", 9000 + i, false, new Dictionary<string, string>())).ToList();

    public static LoadBalancerStats Stats(LoadBalancerOptions? options = null) => new(Options.Create(options ?? new LoadBalancerOptions()));
}
