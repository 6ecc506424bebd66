using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Infrastructure.ServiceDefaults;

/// <summary>The name and instance id a process reports in logs, traces and metrics.</summary>
public static class ServiceIdentity
{
    /// <summary>A per-process id, stable for the process lifetime.</summary>
    public static string InstanceId { get; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>Resolves the service name: <c>OTEL_SERVICE_NAME</c>, then <c>Eureka:Instance:AppName</c>, then <c>Spring:Application:Name</c>, then the application name.</summary>
    public static string GetServiceName(IHostApplicationBuilder builder)
    {
        var c = builder.Configuration;
        return FirstNonEmpty(
            c["OTEL_SERVICE_NAME"],
            c["Eureka:Instance:AppName"],
            c["Spring:Application:Name"],
            builder.Environment.ApplicationName) ?? "unknown-service";
    }

    private static string? FirstNonEmpty(params string?[] values)
    {
        foreach (var v in values)
        {
            if (!string.IsNullOrWhiteSpace(v))
            {
                return v;
            }
        }
        return null;
    }
}
