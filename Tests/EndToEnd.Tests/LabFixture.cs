using Infrastructure.Testing;

namespace Infrastructure.EndToEnd.Tests;

/// <summary>
/// The whole lab on its default ports (two Web.Bff replicas sharing sessions in a real Redis, the Aspire Dashboard,
/// Prometheus, and every span also exported to a loopback Zipkin collector), started once for the tests that share it
/// (as a student runs it).
/// </summary>
public sealed class LabFixture : IAsyncLifetime
{
    /// <summary>The running lab.</summary>
    public LabProcess Lab { get; private set; } = null!;

    /// <summary>Where every lab process exports its spans in Zipkin v2 format.</summary>
    public ZipkinCollector Zipkin { get; private set; } = null!;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        Zipkin = await ZipkinCollector.StartAsync();
        Lab = await LabProcess.StartAsync(
            ["--with-redis", "--scale", "web-bff=2", "--with-prometheus", "--zipkin", Zipkin.Endpoint.ToString()],
            TimeSpan.FromMinutes(8));
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        await Lab.SignalAsync("INT");
        await Lab.WaitForExitAsync(TimeSpan.FromSeconds(60));
        await Lab.DisposeAsync();
        await Zipkin.DisposeAsync();
    }
}

/// <summary>Tests that share one running lab; they run one after the other.</summary>
[CollectionDefinition(Name)]
public sealed class LabCollection : ICollectionFixture<LabFixture>
{
    /// <summary>Collection name.</summary>
    public const string Name = "lab";
}
