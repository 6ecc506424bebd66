using Infrastructure.Mesh.ControlPlane.Config;
using Infrastructure.Mesh.ControlPlane.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Infrastructure.Mesh.ControlPlane.Tests.Config;

public sealed class ConfigServerSourceTests
{
    private sealed class Environment : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "Production";
        public string ApplicationName { get; set; } = "Mesh.ControlPlane";
        public string ContentRootPath { get; set; } = Path.GetTempPath();
        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = null!;
    }

    [Fact]
    public async Task PropertyText_ReadOnStartAndOnReload_RemovedWhenGone()
    {
        // Config.Client flattens Spring's `mesh.resources` to the .NET key `mesh:resources` and raises the reload token on a change.
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Spring:Cloud:Config:Name"] = "mesh", ["mesh:resources"] = Yaml.ReviewsSplit(90, 10) })
            .Build();
        var store = new ResourceStore();
        using var source = new ConfigServerSource(store, configuration, Options.Create(new MeshOptions()), new Environment(), NullLogger<ConfigServerSource>.Instance);

        await source.StartAsync(CancellationToken.None);
        Assert.Equal(2, store.Current.Resources.Count);
        Assert.Equal("config-server:mesh/production", store.Current.Resources[0].Source);

        configuration["mesh:resources"] = Yaml.ReviewsSplit(-5, 10);
        configuration.Reload();
        Assert.Equal(90, store.Current.Resources[0].VirtualService.Http[0].Route[0].Weight);
        Assert.Contains(store.Current.Rejected, e => e.Source == "config-server:mesh/production" && e.Field == "spec.http[0].route[0].weight");

        configuration["mesh:resources"] = null;
        configuration.Reload();
        Assert.Empty(store.Current.Resources);
    }
}
