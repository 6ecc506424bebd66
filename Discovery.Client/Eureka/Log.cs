using System.Net;
using Microsoft.Extensions.Logging;

namespace Infrastructure.Discovery.Client.Eureka;

/// <summary>The Eureka client's log events (stable ids 1100-1199).</summary>
internal static partial class Log
{
    [LoggerMessage(1100, LogLevel.Information, "Registered {AppName}/{InstanceId} ({Url}) with Eureka at {Server}")]
    public static partial void Registered(ILogger logger, string appName, string instanceId, string url, Uri server);

    [LoggerMessage(1101, LogLevel.Warning, "Registering {AppName}/{InstanceId} with Eureka failed (attempt {Attempt}, next in {Delay}): {Reason}")]
    public static partial void RegistrationFailed(ILogger logger, string appName, string instanceId, int attempt, TimeSpan delay, string reason);

    [LoggerMessage(1102, LogLevel.Information, "Eureka does not know {AppName}/{InstanceId} any more (renew answered 404): registering again")]
    public static partial void RenewNotFound(ILogger logger, string appName, string instanceId);

    [LoggerMessage(1103, LogLevel.Warning, "Renewing {AppName}/{InstanceId} failed: {Reason}")]
    public static partial void RenewFailed(ILogger logger, string appName, string instanceId, string reason);

    [LoggerMessage(1104, LogLevel.Information, "Deregistered {AppName}/{InstanceId} from Eureka ({Status})")]
    public static partial void Deregistered(ILogger logger, string appName, string instanceId, HttpStatusCode status);

    [LoggerMessage(1105, LogLevel.Warning, "Deregistering {AppName}/{InstanceId} failed: {Reason}")]
    public static partial void DeregisterFailed(ILogger logger, string appName, string instanceId, string reason);

    [LoggerMessage(1106, LogLevel.Error, "Cannot register with Eureka: {Reason}")]
    public static partial void CannotRegister(ILogger logger, string reason);

    [LoggerMessage(1110, LogLevel.Debug, "Eureka server {Server} failed a {Method} call ({Reason}); trying the next one")]
    public static partial void ServerFailed(ILogger logger, HttpMethod method, Uri server, string reason);

    [LoggerMessage(1120, LogLevel.Information, "Fetched the full registry from Eureka: {Apps} applications, {Instances} instances, {Up} UP")]
    public static partial void FullFetch(ILogger logger, int apps, int instances, int up);

    [LoggerMessage(1121, LogLevel.Debug, "Applied a registry delta of {Count} changes (hash {HashCode})")]
    public static partial void DeltaApplied(ILogger logger, int count, string hashCode);

    [LoggerMessage(1122, LogLevel.Information, "Registry hash mismatch after delta (local {Local}, server {Remote}): fetching the full registry")]
    public static partial void HashMismatch(ILogger logger, string local, string? remote);

    [LoggerMessage(1123, LogLevel.Warning, "Fetching the registry from Eureka failed: {Reason}")]
    public static partial void FetchFailed(ILogger logger, string reason);

    [LoggerMessage(1124, LogLevel.Error, "Eureka client: {Work} failed unexpectedly; it goes on at the next tick")]
    public static partial void LoopFailed(ILogger logger, Exception exception, string work);
}
