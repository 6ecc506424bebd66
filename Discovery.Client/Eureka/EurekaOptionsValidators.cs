using Infrastructure.Discovery.Client.Eureka.Transport;
using Microsoft.Extensions.Options;
using Infrastructure.Eureka.Protocol;

namespace Infrastructure.Discovery.Client.Eureka;

/// <summary>Checks that every configured Eureka server URL is an absolute http(s) URL.</summary>
internal sealed class EurekaClientOptionsValidator : IValidateOptions<EurekaClientOptions>
{
    public ValidateOptionsResult Validate(string? name, EurekaClientOptions options) =>
        options.InvalidServiceUrls.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Eureka:Client:ServiceUrl: not an absolute http(s) URL: {string.Join(", ", options.InvalidServiceUrls.Select(u => $"'{ServiceUrlCredentials.Redact(u)}'"))}");
}

/// <summary>Checks the lease settings and URL paths of <see cref="EurekaInstanceOptions"/>.</summary>
internal sealed class EurekaInstanceOptionsValidator : IValidateOptions<EurekaInstanceOptions>
{
    public ValidateOptionsResult Validate(string? name, EurekaInstanceOptions options)
    {
        var errors = new List<string>();
        if (options.LeaseExpirationDurationInSeconds <= options.LeaseRenewalIntervalInSeconds)
        {
            errors.Add($"Eureka:Instance:LeaseExpirationDurationInSeconds ({options.LeaseExpirationDurationInSeconds}) must be longer than LeaseRenewalIntervalInSeconds ({options.LeaseRenewalIntervalInSeconds}), or the lease expires between heartbeats.");
        }
        foreach (var (key, path) in new[] { ("HealthCheckUrlPath", options.HealthCheckUrlPath), ("StatusPageUrlPath", options.StatusPageUrlPath), ("HomePageUrlPath", options.HomePageUrlPath) })
        {
            if (string.IsNullOrEmpty(path) || path[0] != '/')
            {
                errors.Add($"Eureka:Instance:{key} must start with '/' (got '{path}').");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
