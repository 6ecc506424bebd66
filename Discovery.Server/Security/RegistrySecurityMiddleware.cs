using System.Security.Cryptography;
using System.Text;
using Infrastructure.Discovery.Server.Consul;
using Infrastructure.ServiceDefaults.Security;
using Infrastructure.ServiceDefaults.Web;
using Microsoft.Extensions.Options;

namespace Infrastructure.Discovery.Server.Security;

/// <summary>
/// HTTP Basic in front of the registry, as Spring Security's <c>httpBasic()</c> on a Spring Cloud Eureka server: 401 with
/// <c>WWW-Authenticate: Basic realm="eureka"</c> and Spring Boot's error body unless the request carries the configured
/// user. Peers are held to the same credential, so replication needs it in their URLs too. The Consul API (<c>/v1/</c>)
/// also takes the password as a Consul ACL token (<c>X-Consul-Token</c>, <c>?token=</c>, <c>Authorization: Bearer</c>)
/// and refuses as Consul does: 403 with a plain-text reason.
/// </summary>
internal sealed partial class RegistrySecurityMiddleware
{
    /// <summary>The realm in the challenge.</summary>
    public const string Realm = "eureka";

    private readonly RequestDelegate _next;
    private readonly RegistrySecurityOptions _options;
    private readonly byte[] _expectedHash;
    private readonly byte[] _expectedTokenHash;
    private readonly AuthenticationFailureThrottle _throttle;
    private readonly ILogger<RegistrySecurityMiddleware> _logger;

    public RegistrySecurityMiddleware(
        RequestDelegate next, IOptions<RegistrySecurityOptions> options, IOptions<SpringSecurityUserOptions> user,
        AuthenticationFailureThrottle throttle, ILogger<RegistrySecurityMiddleware> logger)
    {
        _next = next;
        _options = options.Value;
        // Only a hash is kept: compared in constant time and of fixed length, so neither timing nor length tells a guesser anything.
        _expectedHash = SHA256.HashData(Encoding.UTF8.GetBytes(user.Value.Name + ":" + user.Value.Password));
        _expectedTokenHash = SHA256.HashData(Encoding.UTF8.GetBytes(user.Value.Password));
        _throttle = throttle;
        _logger = logger;
    }

    public Task InvokeAsync(HttpContext context)
    {
        if (IsOpen(context.Request))
        {
            return _next(context);
        }
        var key = AuthenticationFailureThrottle.RemoteAddressKey(context);
        var consul = IsConsul(context.Request);
        if (_throttle.IsBlocked(key))
        {
            _throttle.SetTooManyRequests(context.Response);
            return consul ? WriteConsulErrorAsync(context, "Too Many Requests") : WriteErrorAsync(context);
        }
        var outcome = Check(context.Request);
        if (consul && outcome == Outcome.Missing)
        {
            outcome = CheckConsulToken(context.Request);
        }
        switch (outcome)
        {
            case Outcome.Authenticated:
                return _next(context);
            case Outcome.Wrong:
                if (_throttle.RecordFailure(key))
                {
                    LogBlocked(_logger, key, _throttle.Window);
                }
                else
                {
                    LogRejected(_logger, key, context.Request.Method, context.Request.Path.Value);
                }
                break;
        }
        if (consul)
        {
            // Consul answers a missing or unknown ACL token with 403, never a Basic challenge its clients cannot meet.
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return WriteConsulErrorAsync(context, outcome == Outcome.Wrong ? "ACL not found" : "Permission denied");
        }
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = $"Basic realm=\"{Realm}\"";
        return WriteErrorAsync(context);
    }

    private bool IsOpen(HttpRequest request) =>
        !_options.Enabled
        // Probes carry no credentials; Spring Boot leaves health open for the same reason.
        || request.Path.StartsWithSegments("/actuator/health", StringComparison.OrdinalIgnoreCase)
        || (!_options.ProtectReads && (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
            // Some Consul writes arrive as GET (older clients): still writes.
            && !(IsConsul(request) && ConsulApi.IsWrite(request)));

    private static bool IsConsul(HttpRequest request) => request.Path.StartsWithSegments("/v1", StringComparison.Ordinal);

    /// <summary>The Consul token, from where Consul reads it: <c>X-Consul-Token</c>, then <c>Authorization: Bearer</c>, then <c>?token=</c>.</summary>
    private Outcome CheckConsulToken(HttpRequest request)
    {
        string? token = null;
        if (request.Headers["X-Consul-Token"] is { Count: > 0 } header)
        {
            token = header.Count == 1 ? header[0] : null;
            if (token is null)
            {
                return Outcome.Wrong;
            }
        }
        else if (AuthorizationHeader.Bearer(request) is { } bearer)
        {
            token = bearer;
        }
        else if (request.Query["token"] is { Count: > 0 } query)
        {
            token = query.Count == 1 ? query[0] : null;
            if (token is null)
            {
                return Outcome.Wrong;
            }
        }
        if (string.IsNullOrEmpty(token))
        {
            return Outcome.Missing;
        }
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(token)), _expectedTokenHash) ? Outcome.Authenticated : Outcome.Wrong;
    }

    private static Task WriteConsulErrorAsync(HttpContext context, string reason)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(reason);
    }

    private Outcome Check(HttpRequest request)
    {
        switch (AuthorizationHeader.ReadBasic(request, out var user, out var password))
        {
            case BasicCredentialsRead.None:
                // No header, or a bearer token or another scheme: no guess at the password, answered as no credentials, not counted.
                return Outcome.Missing;
            case BasicCredentialsRead.Malformed:
                return Outcome.Wrong;
            default:
                return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(user + ":" + password)), _expectedHash)
                    ? Outcome.Authenticated : Outcome.Wrong;
        }
    }

    /// <summary>Spring Boot's error body (<c>timestamp</c>, <c>status</c>, <c>error</c>, <c>path</c>); Eureka clients ignore it, people read it.</summary>
    private static Task WriteErrorAsync(HttpContext context) =>
        SpringErrorBody.WriteAsync(context, context.Response.StatusCode, message: null, SpringErrorStyle.WebMvc);

    private enum Outcome
    {
        Missing,
        Wrong,
        Authenticated,
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Debug, Message = "Wrong credentials from {RemoteAddress} for {Method} {Path}")]
    private static partial void LogRejected(ILogger logger, string remoteAddress, string method, string? path);

    [LoggerMessage(EventId = 41, Level = LogLevel.Warning, Message = "Too many wrong credentials from {RemoteAddress}: answering it 429 for up to {Window}")]
    private static partial void LogBlocked(ILogger logger, string remoteAddress, TimeSpan window);
}
