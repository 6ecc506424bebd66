using Microsoft.Extensions.Hosting;

namespace Infrastructure.Gateway.Routing;

/// <summary>Builds the first route table as the host starts; an invalid definition stops the start with a message naming it.</summary>
internal sealed class RouteTableLoader(RouteLocator routes) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        routes.Initialize();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
