using Infrastructure.Mesh.Api;

namespace Infrastructure.Mesh.Sidecar.Xds;

/// <summary>
/// Decides a NACK: the first reason a pushed set cannot be applied (a regex that does not compile, a duration,
/// weight, percentage or status Istio refuses), naming the resource and field; null when the set is usable.
/// </summary>
internal static class ResourceValidator
{
    private static readonly HashSet<string> RetryOnTokens = new(StringComparer.Ordinal)
    {
        "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "envoy-ratelimited", "retriable-4xx",
        "refused-stream", "retriable-status-codes", "retriable-headers", "http3-post-connect-failure",
        "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
    };

    public static string? Check(IEnumerable<MeshResource> resources)
    {
        foreach (var r in resources)
        {
            var name = $"{r.Kind} {r.Metadata?.Namespace ?? "default"}/{r.Metadata?.Name}{(string.IsNullOrEmpty(r.Source) ? "" : $" ({r.Source})")}";
            var error = r.SpecCase switch
            {
                MeshResource.SpecOneofCase.VirtualService => VirtualService(r.VirtualService),
                MeshResource.SpecOneofCase.DestinationRule => DestinationRule(r.DestinationRule),
                MeshResource.SpecOneofCase.AuthorizationPolicy => null,
                MeshResource.SpecOneofCase.PeerAuthentication => null,
                _ => "spec: no spec",
            };
            if (error is not null)
            {
                return $"{name}: {error}";
            }
        }
        return null;
    }

    private static string? VirtualService(VirtualService vs)
    {
        if (vs.Hosts.Count == 0)
        {
            return "spec.hosts: at least one host is required";
        }
        for (var i = 0; i < vs.Http.Count; i++)
        {
            var rule = vs.Http[i];
            var at = $"spec.http[{i}]";
            if (rule.Route.Count == 0 && rule.Redirect is null)
            {
                return $"{at}: a rule needs a route or a redirect";
            }
            if (rule.Route.Any(d => d.Weight < 0))
            {
                return $"{at}.route.weight: must not be negative";
            }
            if (rule.Route.Count > 1 && rule.Route.All(d => d.Weight == 0))
            {
                return $"{at}.route.weight: all weights are 0";
            }
            for (var m = 0; m < rule.Match.Count; m++)
            {
                var match = rule.Match[m];
                var all = new List<(string Field, StringMatch? Match)> { ("uri", match.Uri), ("method", match.Method), ("authority", match.Authority), ("scheme", match.Scheme) };
                all.AddRange(match.Headers.Select(h => ($"headers.{h.Key}", (StringMatch?)h.Value)));
                all.AddRange(match.QueryParams.Select(h => ($"queryParams.{h.Key}", (StringMatch?)h.Value)));
                all.AddRange(match.WithoutHeaders.Select(h => ($"withoutHeaders.{h.Key}", (StringMatch?)h.Value)));
                foreach (var (field, sm) in all)
                {
                    if (sm?.MatchTypeCase == StringMatch.MatchTypeOneofCase.Regex && Regex(sm.Regex) is { } bad)
                    {
                        return $"{at}.match[{m}].{field}.regex: {bad}";
                    }
                }
            }
            if (Duration(rule.Timeout, allowZero: true) is { } t)
            {
                return $"{at}.timeout: {t}";
            }
            if (rule.Retries is { } retries)
            {
                if (retries.Attempts < 0)
                {
                    return $"{at}.retries.attempts: must not be negative";
                }
                if (Duration(retries.PerTryTimeout, allowZero: false) is { } p)
                {
                    return $"{at}.retries.perTryTimeout: {p}";
                }
                foreach (var token in (retries.RetryOn ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    if (!RetryOnTokens.Contains(token) && !int.TryParse(token, out _))
                    {
                        return $"{at}.retries.retryOn: unknown '{token}'";
                    }
                }
            }
            if (rule.Fault is { } fault)
            {
                if (fault.Delay is null && fault.Abort is null)
                {
                    return $"{at}.fault: needs a delay or an abort";
                }
                if (fault.Delay is { } d && (Duration(d.FixedDelay, allowZero: false) is { } fd))
                {
                    return $"{at}.fault.delay.fixedDelay: {fd}";
                }
                if ((Percent(fault.Delay?.Percentage) ?? Percent(fault.Abort?.Percentage)) is { } pct)
                {
                    return $"{at}.fault: {pct}";
                }
                if (fault.Abort is { } a && a.HttpStatus is < 200 or > 599 && string.IsNullOrEmpty(a.GrpcStatus))
                {
                    return $"{at}.fault.abort.httpStatus: {a.HttpStatus} is outside 200-599";
                }
            }
            if (Percent(rule.MirrorPercentage) is { } mp)
            {
                return $"{at}.mirrorPercentage: {mp}";
            }
        }
        return null;
    }

    private static string? DestinationRule(DestinationRule dr)
    {
        if (string.IsNullOrEmpty(dr.Host))
        {
            return "spec.host: required";
        }
        var duplicate = dr.Subsets.GroupBy(s => s.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            return $"spec.subsets: duplicate subset name '{duplicate.Key}'";
        }
        var policies = new List<(string At, TrafficPolicy? Policy)> { ("spec.trafficPolicy", dr.TrafficPolicy) };
        policies.AddRange(dr.Subsets.Select((s, i) => ($"spec.subsets[{i}].trafficPolicy", (TrafficPolicy?)s.TrafficPolicy)));
        foreach (var (at, p) in policies)
        {
            if (p?.OutlierDetection is { } od)
            {
                if (Duration(od.Interval, allowZero: false) is { } e1)
                {
                    return $"{at}.outlierDetection.interval: {e1}";
                }
                if (Duration(od.BaseEjectionTime, allowZero: false) is { } e2)
                {
                    return $"{at}.outlierDetection.baseEjectionTime: {e2}";
                }
                if (od.MaxEjectionPercent is < 0 or > 100)
                {
                    return $"{at}.outlierDetection.maxEjectionPercent: outside 0-100";
                }
            }
            if (p?.ConnectionPool?.Tcp is { } tcp && Duration(tcp.ConnectTimeout, allowZero: false) is { } ct)
            {
                return $"{at}.connectionPool.tcp.connectTimeout: {ct}";
            }
        }
        return null;
    }

    private static string? Regex(string pattern)
    {
        if (pattern.Length > StringMatching.MaxRegexLength)
        {
            return $"longer than {StringMatching.MaxRegexLength} characters";
        }
        try
        {
            _ = StringMatching.Regex(pattern);
            return null;
        }
        catch (ArgumentException ex)
        {
            return $"does not compile: {ex.Message}";
        }
        catch (NotSupportedException ex)
        {
            return $"not supported: {ex.Message}";
        }
    }

    private static string? Duration(string? text, bool allowZero)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        if (!GoDuration.TryParse(text, out var d))
        {
            return $"'{text}' is not a duration";
        }
        if (d == TimeSpan.Zero && allowZero)
        {
            return null;
        }
        if (d < TimeSpan.FromMilliseconds(1) || d.Ticks % TimeSpan.TicksPerMillisecond != 0)
        {
            return $"'{text}' must be whole milliseconds, at least 1ms";
        }
        return null;
    }

    private static string? Percent(Percent? p) =>
        p is not null && p.Value is < 0 or > 100 ? $"percentage {p.Value} is outside 0-100" : null;
}
