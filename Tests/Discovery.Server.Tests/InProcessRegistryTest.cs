namespace Infrastructure.Discovery.Server.Tests;

/// <summary>A test class with its own in-process Discovery.Server (on a fake clock) and a client for it.</summary>
public abstract class InProcessRegistryTest : IAsyncLifetime
{
    /// <summary>The server: its settings, services and clock.</summary>
    protected EurekaServerFactory Factory { get; } = new();

    /// <summary>A client of the server, created when the test starts.</summary>
    protected HttpClient Http { get; private set; } = null!;

    /// <inheritdoc />
    public Task InitializeAsync()
    {
        Http = Factory.CreateClient();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Factory.DisposeAsync();
    }
}
