using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Infrastructure.Config.Server.Environment;

/// <summary>Spring's <c>configServer</c> health: the backend answers, and no configuration file is broken (broken files are listed with line and error).</summary>
internal sealed class ConfigBackendHealthCheck(IEnvironmentRepository repository, ParsedFileCache cache) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>
        {
            ["backend"] = repository.Kind,
        };
        try
        {
            var env = await repository.FindOneAsync("application", ["default"], null, cancellationToken);
            data["label"] = env.Label ?? "";
            if (env.Version is not null)
            {
                data["version"] = env.Version;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("Backend " + repository.Kind + " failed: " + e.Message, e, data);
        }
        var broken = cache.Broken.Values
            .Select(b => new Dictionary<string, object?> { ["file"] = b.File, ["line"] = b.Line, ["error"] = b.Error })
            .ToList();
        if (broken.Count > 0)
        {
            data["brokenFiles"] = broken;
            return HealthCheckResult.Degraded($"{broken.Count} configuration file(s) do not parse; their last good content is served", data: data);
        }
        return HealthCheckResult.Healthy(data: data);
    }
}
