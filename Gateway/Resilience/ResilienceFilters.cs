using System.Globalization;
using Infrastructure.Gateway.Filters;
using Infrastructure.Gateway.Routing;

namespace Infrastructure.Gateway.Resilience;

/// <summary>
/// Spring's Retry filter: <c>retries</c> (3), <c>statuses</c>, <c>series</c> (SERVER_ERROR), <c>methods</c> (GET),
/// <c>backoff.firstBackoff</c>, <c>backoff.maxBackoff</c>, <c>backoff.factor</c> (2), <c>backoff.basedOnPreviousValue</c>, plus <c>backoff.jitter</c> (true).
/// Connection failures and timeouts are always retried (when the request body was not sent yet).
/// </summary>
internal sealed class RetryFilter : GatewayFilter
{
    public RetryFilter(NamedArgs d) : base(d)
    {
        Retries = int.TryParse(d.Get("retries", 0) ?? "3", NumberStyles.Integer, CultureInfo.InvariantCulture, out var r) && r >= 0
            ? r : throw new RouteDefinitionException($"Retry: retries '{d.Get("retries", 0)}' is not a non-negative integer");
        foreach (var s in Split(d.Get("statuses", 1)))
        {
            Statuses.Add(ArgParsers.Status(s));
        }
        var series = d.Args.TryGetValue("series", out var seriesText) ? Split(seriesText) : ["SERVER_ERROR"];
        foreach (var s in series)
        {
            Series.Add(s.ToUpperInvariant() switch
            {
                "INFORMATIONAL" => 1,
                "SUCCESSFUL" => 2,
                "REDIRECTION" => 3,
                "CLIENT_ERROR" => 4,
                "SERVER_ERROR" => 5,
                _ => throw new RouteDefinitionException($"Retry: unknown series '{s}' (INFORMATIONAL, SUCCESSFUL, REDIRECTION, CLIENT_ERROR, SERVER_ERROR)"),
            });
        }
        var methods = Split(d.Get("methods", 2));
        foreach (var m in methods.Count == 0 ? ["GET"] : methods)
        {
            Methods.Add(m.ToUpperInvariant());
        }
        if (d.Get("backoff.firstBackoff", 3) is { Length: > 0 } first)
        {
            FirstBackoff = ArgParsers.Duration(first);
            MaxBackoff = d.Get("backoff.maxBackoff", 4) is { Length: > 0 } max ? ArgParsers.Duration(max) : null;
            Factor = double.Parse(d.Get("backoff.factor", 5) ?? "2", CultureInfo.InvariantCulture);
            BasedOnPreviousValue = bool.Parse(d.Get("backoff.basedOnPreviousValue", 6) ?? "true");
            Jitter = bool.Parse(d.Get("backoff.jitter", 7) ?? "true");
        }
    }

    public int Retries { get; }
    public HashSet<int> Statuses { get; } = [];
    public HashSet<int> Series { get; } = [];
    public HashSet<string> Methods { get; } = new(StringComparer.OrdinalIgnoreCase);
    public TimeSpan? FirstBackoff { get; }
    public TimeSpan? MaxBackoff { get; }
    public double Factor { get; } = 2;
    public bool BasedOnPreviousValue { get; } = true;
    public bool Jitter { get; }

    public bool IsRetryableStatus(int status) => Statuses.Contains(status) || Series.Contains(status / 100);

    /// <summary>Delay before retry number <paramref name="attempt"/> (0-based): first × factor^attempt, capped, with "equal jitter" (half fixed, half random).</summary>
    public TimeSpan Delay(int attempt)
    {
        if (FirstBackoff is not { } first)
        {
            return TimeSpan.Zero;
        }
        var ms = first.TotalMilliseconds * (BasedOnPreviousValue ? Math.Pow(Factor, attempt) : Factor * Math.Max(1, attempt));
        if (MaxBackoff is { } max)
        {
            ms = Math.Min(ms, max.TotalMilliseconds);
        }
        if (Jitter)
        {
            ms = (ms / 2) + (Random.Shared.NextDouble() * ms / 2);
        }
        return TimeSpan.FromMilliseconds(ms);
    }

    private static List<string> Split(string? text) =>
        text is null ? [] : [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];
}

/// <summary>Spring's CircuitBreaker filter: <c>name</c>, <c>fallbackUri</c> (<c>forward:/path</c>), <c>statusCodes</c> counted as failures.</summary>
internal sealed class CircuitBreakerFilter : GatewayFilter
{
    public CircuitBreakerFilter(NamedArgs d) : base(d)
    {
        BreakerName = d.Get("name", 0) is { Length: > 0 } n ? n : "Default";
        if (d.Get("fallbackUri", 1) is { Length: > 0 } fallback)
        {
            if (!fallback.StartsWith("forward:", StringComparison.OrdinalIgnoreCase))
            {
                throw new RouteDefinitionException($"CircuitBreaker: fallbackUri '{fallback}' must be forward:/path");
            }
            FallbackPath = fallback["forward:".Length..];
            if (!FallbackPath.StartsWith('/'))
            {
                FallbackPath = "/" + FallbackPath;
            }
        }
        if (d.Args.TryGetValue("statusCodes", out var codes))
        {
            foreach (var c in codes.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                StatusCodes.Add(ArgParsers.Status(c));
            }
        }
    }

    public string BreakerName { get; }
    public string? FallbackPath { get; }
    public HashSet<int> StatusCodes { get; } = [];
}
