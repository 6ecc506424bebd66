using Infrastructure.Discovery.Server.Registry;
using Infrastructure.Discovery.Server.Replication;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Infrastructure.Discovery.Server.Tests.Registry;

/// <summary>A registry on a fake clock with given options, standalone unless given <paramref name="peers"/>.</summary>
internal sealed class RegistryHarness
{
    public RegistryHarness(Action<EurekaServerOptions>? configure = null, IPeerReplicator? peers = null)
    {
        configure?.Invoke(Options);
        Registry = new InstanceRegistry(Time, new Monitor(Options), peers);
        Cache = new ResponseCache(Registry, Time, new Monitor(Options));
    }

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    public EurekaServerOptions Options { get; } = new();

    public InstanceRegistry Registry { get; }

    public ResponseCache Cache { get; }

    private sealed class Monitor(EurekaServerOptions value) : IOptionsMonitor<EurekaServerOptions>
    {
        public EurekaServerOptions CurrentValue => value;

        public EurekaServerOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<EurekaServerOptions, string?> listener) => null;
    }
}
