using Infrastructure.Mesh.Api.Resources;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Infrastructure.Mesh.ControlPlane.Config;

/// <summary>
/// Resources kept in Config.Server: the YAML text of the property <c>Mesh:ConfigServerProperty</c> (default
/// <c>mesh.resources</c>) in the environment Config.Client loads (<c>Spring:Cloud:Config:*</c>), read again whenever
/// Config.Client reloads (its event stream or polling). Several replicas reading one environment serve the same set.
/// When the property disappears its resources are withdrawn; when Config.Server is unreachable Config.Client keeps the
/// last values, so the last good set stays.
/// </summary>
internal sealed partial class ConfigServerSource(
    ResourceStore store,
    IConfiguration configuration,
    IOptions<MeshOptions> options,
    IHostEnvironment environment,
    ILogger<ConfigServerSource> logger) : IHostedService, IDisposable
{
    private readonly Lock _lock = new();
    private IDisposable? _subscription;
    private string? _last;

    /// <summary>The source name in messages: <c>config-server:&lt;name&gt;/&lt;profile&gt;</c>.</summary>
    public string Source { get; } =
        $"config-server:{configuration["Spring:Cloud:Config:Name"] ?? configuration["Spring:Application:Name"] ?? environment.ApplicationName}"
        + $"/{configuration["Spring:Cloud:Config:Profile"] ?? environment.EnvironmentName.ToLowerInvariant()}";

    private string Key => options.Value.ConfigServerProperty.Replace('.', ':');

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Read();
        _subscription = ChangeToken.OnChange(configuration.GetReloadToken, Read);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _subscription?.Dispose();

    /// <summary>Applies the property's current text when it changed.</summary>
    public void Read()
    {
        lock (_lock)
        {
            var text = configuration[Key];
            if (text == _last)
            {
                return;
            }
            _last = text;
            if (string.IsNullOrWhiteSpace(text))
            {
                LogAbsent(Source, options.Value.ConfigServerProperty);
                store.Apply(new Dictionary<string, ResourceReadResult>(), [Source]);
                return;
            }
            var read = MeshResourceReader.Read(text, Source);
            foreach (var error in read.Errors)
            {
                LogRejected(error.ToString());
            }
            LogRead(Source, read.Resources.Count, read.Errors.Count);
            store.Apply(new Dictionary<string, ResourceReadResult> { [Source] = read }, []);
        }
    }

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "Rejected: {Error}")]
    private partial void LogRejected(string error);

    [LoggerMessage(EventId = 8, Level = LogLevel.Information, Message = "Read {Source}: {Accepted} resources accepted, {Errors} errors")]
    private partial void LogRead(string source, int accepted, int errors);

    [LoggerMessage(EventId = 9, Level = LogLevel.Information, Message = "{Source} has no property {Property}: no resources from it")]
    private partial void LogAbsent(string source, string property);
}
