using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Infrastructure.ServiceDefaults.Configuration;

namespace Infrastructure.Mesh.Api.Resources;

/// <summary>
/// Istio's per-resource validation (istio/istio pkg/config/validation) for the fields the mesh supports: what istiod's
/// webhook would refuse, refused here with the field's path. Used by the control plane before it accepts a resource and by
/// the sidecar before it applies a push (a failure there is a NACK).
/// </summary>
public static class MeshResourceValidator
{
    /// <summary>Regexes longer than this are refused, as Envoy's RE2 program-size guard does in spirit.</summary>
    public const int MaxRegexLength = 1024;

    // Envoy's x-envoy-retry-on and x-envoy-retry-grpc-on policies (Istio checks retryOn against both; numbers are status codes).
    private static readonly HashSet<string> RetryOnPolicies =
    [
        "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure", "envoy-ratelimited", "retriable-4xx",
        "refused-stream", "retriable-status-codes", "retriable-headers", "http3-post-connect-failure",
        "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
    ];

    private static readonly HashSet<uint> RedirectCodes = [301, 302, 303, 307, 308];

    private static readonly HashSet<string> GrpcStatuses =
    [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE",
        "DATA_LOSS", "UNAUTHENTICATED",
    ];

    /// <summary>Every problem with <paramref name="resource"/>, each naming its source, the resource and the field; empty when valid.</summary>
    public static IReadOnlyList<ResourceError> Validate(MeshResource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var errors = new Errors(resource);
        if (string.IsNullOrEmpty(resource.Metadata?.Name))
        {
            errors.Add("metadata.name", "metadata.name is required");
        }
        switch (resource.SpecCase)
        {
            case MeshResource.SpecOneofCase.VirtualService:
                VirtualServiceRules(resource.VirtualService, errors);
                break;
            case MeshResource.SpecOneofCase.DestinationRule:
                DestinationRuleRules(resource.DestinationRule, errors);
                break;
            case MeshResource.SpecOneofCase.PeerAuthentication:
                PeerAuthenticationRules(resource.PeerAuthentication, errors);
                break;
            case MeshResource.SpecOneofCase.AuthorizationPolicy:
                AuthorizationPolicyRules(resource.AuthorizationPolicy, errors);
                break;
            default:
                errors.Add("spec", "spec is required");
                break;
        }
        return errors.List;
    }

    /// <summary>Validates every resource; the errors of all of them.</summary>
    public static IReadOnlyList<ResourceError> ValidateAll(IEnumerable<MeshResource> resources) =>
        resources.SelectMany(Validate).ToList();

    /// <summary>The most characters of <see cref="NackMessage"/>: an <c>error_detail</c> is shown in syncz and logs, not stored whole.</summary>
    public const int MaxNackMessageLength = 4096;

    /// <summary>
    /// The <c>error_detail.message</c> of a NACK for these errors: one line per error, joined by "; ", cut at
    /// <see cref="MaxNackMessageLength"/> characters with the number left out said at the end.
    /// </summary>
    public static string NackMessage(IReadOnlyList<ResourceError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var text = new System.Text.StringBuilder();
        for (var i = 0; i < errors.Count; i++)
        {
            var line = errors[i].ToString();
            var separator = text.Length == 0 ? "" : "; ";
            if (text.Length + separator.Length + line.Length > MaxNackMessageLength - 40)
            {
                text.Append(CultureInfo.InvariantCulture, $"; and {errors.Count - i} more");
                break;
            }
            text.Append(separator).Append(line);
        }
        return text.ToString();
    }

    // ------------------------------------------------------------------ VirtualService

    private static void VirtualServiceRules(VirtualService vs, Errors errors)
    {
        if (vs.Hosts.Count == 0)
        {
            errors.Add("spec.hosts", "virtual service must have at least one host");
        }
        for (var i = 0; i < vs.Hosts.Count; i++)
        {
            Host(vs.Hosts[i], $"spec.hosts[{i}]", errors);
        }
        for (var i = 0; i < vs.Http.Count; i++)
        {
            HttpRoute(vs.Http[i], $"spec.http[{i}]", errors);
        }
    }

    private static void HttpRoute(HTTPRoute rule, string path, Errors errors)
    {
        if (rule.Route.Count == 0 && rule.Redirect is null)
        {
            errors.Add(path, "HTTP route or redirect is required");
        }
        if (rule.Route.Count > 0 && rule.Redirect is not null)
        {
            errors.Add($"{path}.redirect", "HTTP route cannot contain both route and redirect");
        }
        if (rule.Redirect is not null)
        {
            if (rule.Rewrite is not null)
            {
                errors.Add($"{path}.rewrite", "HTTP route rule cannot contain both rewrite and redirect");
            }
            if (rule.Mirror is not null)
            {
                errors.Add($"{path}.mirror", "HTTP route cannot contain both mirror and redirect");
            }
            if (rule.Redirect.RedirectCode != 0 && !RedirectCodes.Contains(rule.Redirect.RedirectCode))
            {
                errors.Add($"{path}.redirect.redirectCode", $"{rule.Redirect.RedirectCode} is not a valid redirect code (301, 302, 303, 307, 308)");
            }
            if (rule.Redirect.Uri.Length == 0 && rule.Redirect.Authority.Length == 0 && rule.Redirect.Port == 0 && rule.Redirect.Scheme.Length == 0)
            {
                errors.Add($"{path}.redirect", "redirect must specify URI, authority, scheme or port");
            }
        }
        if (rule.Rewrite is { Uri.Length: 0, Authority.Length: 0 })
        {
            errors.Add($"{path}.rewrite", "rewrite must specify URI or authority");
        }
        for (var j = 0; j < rule.Match.Count; j++)
        {
            Match(rule.Match[j], $"{path}.match[{j}]", errors);
        }

        var total = 0L;
        for (var j = 0; j < rule.Route.Count; j++)
        {
            var route = rule.Route[j];
            var routePath = $"{path}.route[{j}]";
            Destination(route.Destination, $"{routePath}.destination", errors);
            if (route.Weight < 0)
            {
                errors.Add($"{routePath}.weight", $"weight {route.Weight} < 0");
            }
            total += Math.Max(0, route.Weight);
        }
        if (rule.Route.Count > 1 && total == 0 && rule.Route.All(r => r.Weight >= 0))
        {
            errors.Add($"{path}.route", "total destination weight = 0");
        }

        Duration(rule.Timeout, $"{path}.timeout", errors);
        if (rule.Retries is { } retries)
        {
            if (retries.Attempts < 0)
            {
                errors.Add($"{path}.retries.attempts", "attempts cannot be negative");
            }
            Duration(retries.PerTryTimeout, $"{path}.retries.perTryTimeout", errors);
            if (retries.RetryOn.Length > 0)
            {
                foreach (var token in retries.RetryOn.Split(','))
                {
                    var t = token.Trim();
                    if (t.Length == 0)
                    {
                        errors.Add($"{path}.retries.retryOn", "retryOn contains an empty policy");
                    }
                    else if (!RetryOnPolicies.Contains(t) && !(int.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code is >= 100 and <= 599))
                    {
                        errors.Add($"{path}.retries.retryOn", $"{t} is not a valid retryOn value");
                    }
                }
            }
        }
        if (rule.Fault is { } fault)
        {
            Fault(fault, $"{path}.fault", errors);
        }
        if (rule.Mirror is not null)
        {
            Destination(rule.Mirror, $"{path}.mirror", errors);
        }
        Percent(rule.MirrorPercentage, $"{path}.mirrorPercentage", errors);
        Headers(rule.Headers, $"{path}.headers", errors);
        for (var j = 0; j < rule.Route.Count; j++)
        {
            Headers(rule.Route[j].Headers, $"{path}.route[{j}].headers", errors);
        }
    }

    private static void Match(HTTPMatchRequest match, string path, Errors errors)
    {
        StringMatch(match.Uri, $"{path}.uri", errors);
        StringMatch(match.Scheme, $"{path}.scheme", errors);
        StringMatch(match.Method, $"{path}.method", errors);
        StringMatch(match.Authority, $"{path}.authority", errors);
        foreach (var (name, value) in match.Headers)
        {
            HeaderName(name, $"{path}.headers[{name}]", errors);
            StringMatch(value, $"{path}.headers[{name}]", errors);
        }
        foreach (var (name, value) in match.WithoutHeaders)
        {
            HeaderName(name, $"{path}.withoutHeaders[{name}]", errors);
            StringMatch(value, $"{path}.withoutHeaders[{name}]", errors);
        }
        foreach (var (name, value) in match.QueryParams)
        {
            StringMatch(value, $"{path}.queryParams[{name}]", errors);
        }
        if (match.Port > 65535)
        {
            errors.Add($"{path}.port", $"port number {match.Port} must be in the range 1..65535");
        }
    }

    private static void HeaderName(string name, string path, Errors errors)
    {
        if (name.Length == 0)
        {
            errors.Add(path, "header name must not be empty");
        }
        else if (name.Any(char.IsAsciiLetterUpper))
        {
            errors.Add(path, $"header match name must be lowercase: {name}");
        }
    }

    private static void StringMatch(StringMatch? match, string path, Errors errors)
    {
        if (match is null || match.MatchTypeCase != Api.StringMatch.MatchTypeOneofCase.Regex)
        {
            return;
        }
        Regex(match.Regex, $"{path}.regex", errors);
    }

    /// <summary>Compiles a match regex the way the sidecar will (RE2 semantics: non-backtracking, anchored to the whole value).</summary>
    public static Regex CompileMatchRegex(string pattern) =>
        new($"^(?:{pattern})$", RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    private static void Regex(string pattern, string path, Errors errors)
    {
        if (pattern.Length > MaxRegexLength)
        {
            errors.Add(path, $"regex is too long ({pattern.Length} characters; the limit is {MaxRegexLength})");
            return;
        }
        try
        {
            _ = CompileMatchRegex(pattern);
        }
        catch (ArgumentException ex)
        {
            errors.Add(path, $"\"{pattern}\" is not a valid regex: {ex.Message}");
        }
        catch (NotSupportedException ex)
        {
            // NonBacktracking refuses backreferences and lookarounds, which RE2 refuses too.
            errors.Add(path, $"\"{pattern}\" is not a valid RE2 regex: {ex.Message}");
        }
    }

    private static void Destination(Destination? destination, string path, Errors errors)
    {
        if (destination is null)
        {
            errors.Add(path, "destination is required");
            return;
        }
        if (destination.Host.Length == 0)
        {
            errors.Add($"{path}.host", "destination host is required");
        }
        else
        {
            Host(destination.Host, $"{path}.host", errors, allowWildcard: false);
        }
        if (destination.Port is { Number: > 65535 } port)
        {
            errors.Add($"{path}.port.number", $"port number {port.Number} must be in the range 1..65535");
        }
    }

    private static void Fault(HTTPFaultInjection fault, string path, Errors errors)
    {
        if (fault.Delay is null && fault.Abort is null)
        {
            errors.Add(path, "fault must have at least delay or abort");
        }
        if (fault.Delay is { } delay)
        {
            if (delay.FixedDelay.Length == 0)
            {
                errors.Add($"{path}.delay.fixedDelay", "delay must have fixedDelay");
            }
            Duration(delay.FixedDelay, $"{path}.delay.fixedDelay", errors);
            Percent(delay.Percentage, $"{path}.delay.percentage", errors);
        }
        if (fault.Abort is { } abort)
        {
            if (abort.HttpStatus == 0 && abort.GrpcStatus.Length == 0)
            {
                errors.Add($"{path}.abort", "abort must have httpStatus or grpcStatus");
            }
            else if (abort.HttpStatus != 0 && abort.GrpcStatus.Length > 0)
            {
                errors.Add($"{path}.abort", "abort must have only one of httpStatus and grpcStatus");
            }
            else if (abort.GrpcStatus.Length > 0)
            {
                if (!GrpcStatuses.Contains(abort.GrpcStatus))
                {
                    errors.Add($"{path}.abort.grpcStatus", $"{abort.GrpcStatus} is not a valid gRPC status");
                }
            }
            else if (abort.HttpStatus is < 200 or > 599)
            {
                errors.Add($"{path}.abort.httpStatus", $"invalid abort http status {abort.HttpStatus}");
            }
            Percent(abort.Percentage, $"{path}.abort.percentage", errors);
        }
    }

    private static void Headers(Headers? headers, string path, Errors errors)
    {
        if (headers is null)
        {
            return;
        }
        foreach (var (name, ops) in new[] { ("request", headers.Request), ("response", headers.Response) })
        {
            if (ops is null)
            {
                continue;
            }
            foreach (var key in ops.Set.Keys.Concat(ops.Add.Keys).Concat(ops.Remove))
            {
                if (key.Length == 0 || key.Any(c => c <= ' ' || c == ':'))
                {
                    errors.Add($"{path}.{name}", $"invalid header name \"{key}\"");
                }
            }
        }
    }

    // ------------------------------------------------------------------ DestinationRule

    private static void DestinationRuleRules(DestinationRule dr, Errors errors)
    {
        if (dr.Host.Length == 0)
        {
            errors.Add("spec.host", "destination rule must have a host");
        }
        else
        {
            Host(dr.Host, "spec.host", errors);
        }
        TrafficPolicy(dr.TrafficPolicy, "spec.trafficPolicy", errors);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < dr.Subsets.Count; i++)
        {
            var subset = dr.Subsets[i];
            var path = $"spec.subsets[{i}]";
            if (subset.Name.Length == 0)
            {
                errors.Add($"{path}.name", "subset name is required");
            }
            else if (!names.Add(subset.Name))
            {
                errors.Add($"{path}.name", $"duplicate subset names: {subset.Name}");
            }
            else if (!IsDns1123Label(subset.Name))
            {
                errors.Add($"{path}.name", $"subset name is invalid: {subset.Name}");
            }
            Labels(subset.Labels, $"{path}.labels", errors);
            TrafficPolicy(subset.TrafficPolicy, $"{path}.trafficPolicy", errors);
        }
    }

    private static void TrafficPolicy(TrafficPolicy? policy, string path, Errors errors)
    {
        if (policy is null)
        {
            return;
        }
        if (policy.LoadBalancer?.ConsistentHash is { } hash)
        {
            var hashPath = $"{path}.loadBalancer.consistentHash";
            if (hash.HashKeyCase == LoadBalancerSettings.Types.ConsistentHashLB.HashKeyOneofCase.None)
            {
                errors.Add(hashPath, "consistentHash must set httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName");
            }
            if (hash.HttpCookie is { } cookie)
            {
                if (cookie.Name.Length == 0)
                {
                    errors.Add($"{hashPath}.httpCookie.name", "name is required for HttpCookie");
                }
                Duration(cookie.Ttl, $"{hashPath}.httpCookie.ttl", errors, allowZero: true);
            }
        }
        if (policy.LoadBalancer is { LbPolicyCase: LoadBalancerSettings.LbPolicyOneofCase.Simple, Simple: LoadBalancerSettings.Types.SimpleLB.LeastConn })
        {
            // LEAST_CONN is Istio's deprecated spelling of LEAST_REQUEST; accepted.
        }
        if (policy.ConnectionPool is { } pool)
        {
            var p = $"{path}.connectionPool";
            if (pool.Tcp is { } tcp)
            {
                NotNegative(tcp.MaxConnections, $"{p}.tcp.maxConnections", errors);
                Duration(tcp.ConnectTimeout, $"{p}.tcp.connectTimeout", errors);
                Duration(tcp.MaxConnectionDuration, $"{p}.tcp.maxConnectionDuration", errors);
            }
            if (pool.Http is { } http)
            {
                NotNegative(http.Http1MaxPendingRequests, $"{p}.http.http1MaxPendingRequests", errors);
                NotNegative(http.Http2MaxRequests, $"{p}.http.http2MaxRequests", errors);
                NotNegative(http.MaxRequestsPerConnection, $"{p}.http.maxRequestsPerConnection", errors);
                NotNegative(http.MaxRetries, $"{p}.http.maxRetries", errors);
                NotNegative(http.MaxConcurrentStreams, $"{p}.http.maxConcurrentStreams", errors);
                Duration(http.IdleTimeout, $"{p}.http.idleTimeout", errors);
            }
        }
        if (policy.OutlierDetection is { } outlier)
        {
            var p = $"{path}.outlierDetection";
            NotNegative(outlier.ConsecutiveErrors, $"{p}.consecutiveErrors", errors);
            Duration(outlier.Interval, $"{p}.interval", errors);
            Duration(outlier.BaseEjectionTime, $"{p}.baseEjectionTime", errors);
            if (outlier.MaxEjectionPercent is < 0 or > 100)
            {
                errors.Add($"{p}.maxEjectionPercent", "max ejection percent must be in range [0, 100]");
            }
            if (outlier.MinHealthPercent is < 0 or > 100)
            {
                errors.Add($"{p}.minHealthPercent", "minimum healthy percent must be in range [0, 100]");
            }
        }
    }

    // ------------------------------------------------------------------ PeerAuthentication

    private static void PeerAuthenticationRules(PeerAuthentication pa, Errors errors)
    {
        Selector(pa.Selector, "spec.selector", errors);
        if (pa.PortLevelMtls.Count > 0)
        {
            if (pa.Selector is null || pa.Selector.MatchLabels.Count == 0)
            {
                errors.Add("spec.portLevelMtls", "portLevelMtls requires a selector");
            }
            foreach (var (port, _) in pa.PortLevelMtls)
            {
                if (port is 0 or > 65535)
                {
                    errors.Add($"spec.portLevelMtls[{port}]", $"port number {port} must be in the range 1..65535");
                }
            }
        }
    }

    // ------------------------------------------------------------------ AuthorizationPolicy

    private static void AuthorizationPolicyRules(AuthorizationPolicy ap, Errors errors)
    {
        Selector(ap.Selector, "spec.selector", errors);
        if (ap.Action == AuthorizationPolicy.Types.Action.Custom)
        {
            errors.Add("spec.action", "action CUSTOM needs an extension provider, which the mesh does not support");
        }
        for (var i = 0; i < ap.Rules.Count; i++)
        {
            var rule = ap.Rules[i];
            var path = $"spec.rules[{i}]";
            for (var j = 0; j < rule.From.Count; j++)
            {
                var from = $"{path}.from[{j}].source";
                var source = rule.From[j].Source;
                if (source is null || source.CalculateSize() == 0)
                {
                    errors.Add(from, "`from.source` must not be empty");
                    continue;
                }
                Values(source.Principals, $"{from}.principals", errors);
                Values(source.NotPrincipals, $"{from}.notPrincipals", errors);
                Values(source.RequestPrincipals, $"{from}.requestPrincipals", errors);
                Values(source.NotRequestPrincipals, $"{from}.notRequestPrincipals", errors);
                Values(source.Namespaces, $"{from}.namespaces", errors);
                Values(source.NotNamespaces, $"{from}.notNamespaces", errors);
                IpBlocks(source.IpBlocks, $"{from}.ipBlocks", errors);
                IpBlocks(source.NotIpBlocks, $"{from}.notIpBlocks", errors);
                IpBlocks(source.RemoteIpBlocks, $"{from}.remoteIpBlocks", errors);
                IpBlocks(source.NotRemoteIpBlocks, $"{from}.notRemoteIpBlocks", errors);
            }
            for (var j = 0; j < rule.To.Count; j++)
            {
                var to = $"{path}.to[{j}].operation";
                var operation = rule.To[j].Operation;
                if (operation is null || operation.CalculateSize() == 0)
                {
                    errors.Add(to, "`to.operation` must not be empty");
                    continue;
                }
                Values(operation.Hosts, $"{to}.hosts", errors);
                Values(operation.NotHosts, $"{to}.notHosts", errors);
                Values(operation.Methods, $"{to}.methods", errors);
                Values(operation.NotMethods, $"{to}.notMethods", errors);
                Paths(operation.Paths, $"{to}.paths", errors);
                Paths(operation.NotPaths, $"{to}.notPaths", errors);
                Ports(operation.Ports, $"{to}.ports", errors);
                Ports(operation.NotPorts, $"{to}.notPorts", errors);
            }
            for (var j = 0; j < rule.When.Count; j++)
            {
                var when = rule.When[j];
                var p = $"{path}.when[{j}]";
                if (when.Key.Length == 0)
                {
                    errors.Add($"{p}.key", "key cannot be empty");
                }
                else if (!IsSupportedConditionKey(when.Key))
                {
                    errors.Add($"{p}.key", $"unknown attribute: {when.Key}");
                }
                if (when.Values.Count == 0 && when.NotValues.Count == 0)
                {
                    errors.Add(p, $"at least one of values or notValues must be set for key: {when.Key}");
                }
                Values(when.Values, $"{p}.values", errors);
                Values(when.NotValues, $"{p}.notValues", errors);
            }
        }
    }

    private static bool IsSupportedConditionKey(string key) =>
        key is "source.ip" or "remote.ip" or "source.namespace" or "source.principal" or "destination.ip" or "destination.port"
            or "connection.sni" or "request.auth.principal" or "request.auth.audiences" or "request.auth.presenter"
        || (key.StartsWith("request.headers[", StringComparison.Ordinal) && key.EndsWith(']') && key.Length > "request.headers[]".Length)
        || (key.StartsWith("request.auth.claims[", StringComparison.Ordinal) && key.EndsWith(']'))
        || key.StartsWith("experimental.", StringComparison.Ordinal);

    private static void Values(IEnumerable<string> values, string path, Errors errors)
    {
        var i = 0;
        foreach (var value in values)
        {
            if (value.Length == 0)
            {
                errors.Add($"{path}[{i}]", "empty value is not allowed, found empty string");
            }
            else if (value.Length > 1 && value.AsSpan(1, value.Length - 2).Contains('*'))
            {
                errors.Add($"{path}[{i}]", $"\"{value}\": a wildcard is allowed only at the start or the end (exact, prefix*, *suffix or *)");
            }
            i++;
        }
    }

    private static void Paths(IEnumerable<string> paths, string path, Errors errors)
    {
        Values(paths, path, errors);
        var i = 0;
        foreach (var p in paths)
        {
            if (p.Length > 0 && p[0] != '/' && p[0] != '*')
            {
                errors.Add($"{path}[{i}]", $"\"{p}\": a path must start with / or *");
            }
            i++;
        }
    }

    private static void Ports(IEnumerable<string> ports, string path, Errors errors)
    {
        var i = 0;
        foreach (var port in ports)
        {
            if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n is < 0 or > 65535)
            {
                errors.Add($"{path}[{i}]", $"invalid port: {port}");
            }
            i++;
        }
    }

    private static void IpBlocks(IEnumerable<string> blocks, string path, Errors errors)
    {
        var i = 0;
        foreach (var block in blocks)
        {
            if (!IPAddress.TryParse(block, out _) && !IPNetwork.TryParse(block, out _))
            {
                errors.Add($"{path}[{i}]", $"invalid IP address or CIDR range: {block}");
            }
            i++;
        }
    }

    // ------------------------------------------------------------------ shared

    private static void Selector(WorkloadSelector? selector, string path, Errors errors)
    {
        if (selector is null)
        {
            return;
        }
        Labels(selector.MatchLabels, $"{path}.matchLabels", errors);
        foreach (var (key, value) in selector.MatchLabels)
        {
            if (key.Contains('*', StringComparison.Ordinal) || value.Contains('*', StringComparison.Ordinal))
            {
                errors.Add($"{path}.matchLabels[{key}]", "wildcard is not supported in selector");
            }
        }
    }

    private static void Labels(IDictionary<string, string> labels, string path, Errors errors)
    {
        foreach (var (key, value) in labels)
        {
            if (key.Length == 0 || key.Length > 316 || key.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/')))
            {
                errors.Add($"{path}[{key}]", $"invalid label key \"{key}\"");
            }
            if (value.Length > 63 || value.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
            {
                errors.Add($"{path}[{key}]", $"invalid label value \"{value}\"");
            }
        }
    }

    private static void Host(string host, string path, Errors errors, bool allowWildcard = true)
    {
        if (host.Length == 0)
        {
            errors.Add(path, "host must not be empty");
            return;
        }
        if (host == "*")
        {
            if (!allowWildcard)
            {
                errors.Add(path, "wildcard host * is not allowed here");
            }
            return;
        }
        var name = allowWildcard && host.StartsWith("*.", StringComparison.Ordinal) ? host[2..] : host;
        if (name.Length > 255 || name.Split('.').Any(label => !IsDns1123Label(label.ToLowerInvariant())))
        {
            errors.Add(path, $"invalid host \"{host}\"");
        }
    }

    private static bool IsDns1123Label(string label) =>
        label.Length is > 0 and <= 63
        && char.IsAsciiLetterOrDigit(label[0]) && char.IsAsciiLetterOrDigit(label[^1])
        && label.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');

    private static void NotNegative(int value, string path, Errors errors)
    {
        if (value < 0)
        {
            errors.Add(path, $"{value} must not be negative");
        }
    }

    private static void Percent(Percent? percent, string path, Errors errors)
    {
        if (percent is not null && (percent.Value is < 0 or > 100 || double.IsNaN(percent.Value)))
        {
            errors.Add($"{path}.value", $"percentage {percent.Value.ToString(CultureInfo.InvariantCulture)} must be in range [0, 100]");
        }
    }

    /// <summary>Istio's duration rule: a Go duration of at least 1 ms and a whole number of milliseconds; "" means unset.</summary>
    private static void Duration(string text, string path, Errors errors, bool allowZero = false)
    {
        if (text.Length == 0)
        {
            return;
        }
        if (!GoDuration.TryParse(text, out var value, out var error))
        {
            errors.Add(path, error);
        }
        else if (allowZero && value == TimeSpan.Zero)
        {
            return;
        }
        else if (value < TimeSpan.FromMilliseconds(1))
        {
            errors.Add(path, $"duration \"{text}\" must be at least 1ms");
        }
        else if (value.Ticks % TimeSpan.TicksPerMillisecond != 0)
        {
            errors.Add(path, $"duration \"{text}\" has a fraction of a millisecond; only whole milliseconds are allowed");
        }
    }

    private sealed class Errors(MeshResource resource)
    {
        public List<ResourceError> List { get; } = [];

        public void Add(string field, string message) =>
            List.Add(new ResourceError(resource.Source, ResourceTypes.Describe(resource), field, message));
    }
}
