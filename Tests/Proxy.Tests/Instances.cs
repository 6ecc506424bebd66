using Infrastructure.Discovery.Client;
using Infrastructure.Discovery.Client.LoadBalancing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Infrastructure.Proxy.Tests;

internal static class Instances
{
    public static IReadOnlyList<ServiceInstance> Of(int n) =>
        Enumerable.Range(0, n).Select(i => new ServiceInstance("svc", "svc-" + i, "127.0.0.1", 9000 + i, false, new Dictionary<string, string>())).ToList();

    public static LoadBalancerStats Stats(LoadBalancerOptions? options = null) => new(Options.Create(options ?? new LoadBalancerOptions()));

    // One second at a time, so each sweep runs at its own moment (FakeTimeProvider runs the callbacks of one long step at its end).
    public static void Pass(this FakeTimeProvider time, int seconds)
    {
        for (var k = 0; k < seconds; k++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
        }
    }
}
