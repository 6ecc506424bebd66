using System.Globalization;
using System.Net;
using Infrastructure.Mesh.Api;
using Infrastructure.Mesh.Sidecar.Xds;
using Action = Infrastructure.Mesh.Api.AuthorizationPolicy.Types.Action;

namespace Infrastructure.Mesh.Sidecar.Inbound;

/// <summary>What an AuthorizationPolicy looks at in one inbound request.</summary>
internal sealed record AuthorizationRequest(
    string? Principal,
    IPAddress? SourceIp,
    string Method,
    string Path,
    string Host,
    int Port,
    Func<string, string?> Header);

/// <summary>The decision and the policy that made it (for logs and the 403).</summary>
internal sealed record AuthorizationDecision(bool Allowed, string? Policy)
{
    public static readonly AuthorizationDecision AllowAll = new(true, null);
}

/// <summary>
/// Istio's AuthorizationPolicy evaluation: a matching DENY denies; with no ALLOW policy the request is allowed; otherwise
/// a matching ALLOW rule is needed. An ALLOW policy with no rules matches nothing, a <c>{}</c> rule matches everything.
/// AUDIT and CUSTOM policies do not change the decision.
/// </summary>
internal static class AuthorizationEvaluator
{
    /// <summary>The <c>when</c> keys understood; any other key makes its rule match nothing in ALLOW and match in DENY (fail closed).</summary>
    public static readonly IReadOnlyList<string> SupportedWhenKeys =
        ["request.headers[<name>]", "source.ip", "remote.ip", "source.principal", "source.namespace", "destination.port", "request.method"];

    public static AuthorizationDecision Evaluate(MeshConfig config, IReadOnlyDictionary<string, string> labels, AuthorizationRequest request)
    {
        var policies = config.AuthorizationPolicies.Where(p => WorkloadSelection.Applies(p.Resource, p.Spec.Selector, labels)).ToList();
        foreach (var (resource, spec) in policies.Where(p => p.Spec.Action == Action.Deny))
        {
            if (spec.Rules.Any(r => RuleMatches(r, request, denying: true)))
            {
                return new AuthorizationDecision(false, Name(resource));
            }
        }
        var allows = policies.Where(p => p.Spec.Action == Action.Allow).ToList();
        if (allows.Count == 0)
        {
            return AuthorizationDecision.AllowAll;
        }
        foreach (var (resource, spec) in allows)
        {
            if (spec.Rules.Any(r => RuleMatches(r, request, denying: false)))
            {
                return new AuthorizationDecision(true, Name(resource));
            }
        }
        return new AuthorizationDecision(false, null);
    }

    private static string Name(MeshResource r) => $"{WorkloadSelection.NamespaceOf(r)}/{r.Metadata?.Name}";

    internal static bool RuleMatches(Rule rule, AuthorizationRequest request, bool denying) =>
        (rule.From.Count == 0 || rule.From.Any(f => SourceMatches(f.Source, request)))
        && (rule.To.Count == 0 || rule.To.Any(t => OperationMatches(t.Operation, request)))
        && rule.When.All(c => ConditionMatches(c, request, denying));

    private static bool SourceMatches(Source? s, AuthorizationRequest r)
    {
        if (s is null)
        {
            return true;
        }
        var ns = Namespace(r.Principal);
        return Field(s.Principals, s.NotPrincipals, r.Principal, ignoreCase: false)
            && Field(s.Namespaces, s.NotNamespaces, ns, ignoreCase: false)
            && Blocks(s.IpBlocks, s.NotIpBlocks, r.SourceIp)
            && Blocks(s.RemoteIpBlocks, s.NotRemoteIpBlocks, r.SourceIp)
            // No request authentication (JWT) in the mesh: a rule that needs a request principal matches nothing.
            && s.RequestPrincipals.Count == 0;
    }

    private static bool OperationMatches(Operation? o, AuthorizationRequest r)
    {
        if (o is null)
        {
            return true;
        }
        var port = r.Port.ToString(CultureInfo.InvariantCulture);
        return Field(o.Methods, o.NotMethods, r.Method, ignoreCase: false)
            && Field(o.Paths, o.NotPaths, r.Path, ignoreCase: false)
            && Field(o.Hosts, o.NotHosts, r.Host, ignoreCase: true)
            && Field(o.Ports, o.NotPorts, port, ignoreCase: false);
    }

    private static bool ConditionMatches(Condition c, AuthorizationRequest r, bool denying)
    {
        string? value;
        if (c.Key.StartsWith("request.headers[", StringComparison.Ordinal) && c.Key.EndsWith(']'))
        {
            value = r.Header(c.Key["request.headers[".Length..^1]);
        }
        else
        {
            switch (c.Key)
            {
                case "source.ip" or "remote.ip":
                    return Blocks(c.Values, c.NotValues, r.SourceIp);
                case "source.principal":
                    value = r.Principal;
                    break;
                case "source.namespace":
                    value = Namespace(r.Principal);
                    break;
                case "destination.port":
                    value = r.Port.ToString(CultureInfo.InvariantCulture);
                    break;
                case "request.method":
                    value = r.Method;
                    break;
                default:
                    return denying;
            }
        }
        return Field(c.Values, c.NotValues, value, ignoreCase: false);
    }

    /// <summary>Values must contain a match (when any), not-values must not.</summary>
    private static bool Field(IReadOnlyCollection<string> values, IReadOnlyCollection<string> notValues, string? actual, bool ignoreCase) =>
        (values.Count == 0 || (actual is not null && values.Any(v => Matches(v, actual, ignoreCase))))
        && (notValues.Count == 0 || actual is null || !notValues.Any(v => Matches(v, actual, ignoreCase)));

    /// <summary>Istio's string match: exact, <c>prefix*</c>, <c>*suffix</c>, or <c>*</c> (any non-empty value).</summary>
    internal static bool Matches(string pattern, string actual, bool ignoreCase = false)
    {
        var comparison = ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        if (pattern == "*")
        {
            return actual.Length > 0;
        }
        if (pattern.EndsWith('*'))
        {
            return actual.StartsWith(pattern[..^1], comparison);
        }
        if (pattern.StartsWith('*'))
        {
            return actual.EndsWith(pattern[1..], comparison);
        }
        return string.Equals(pattern, actual, comparison);
    }

    private static bool Blocks(IReadOnlyCollection<string> blocks, IReadOnlyCollection<string> notBlocks, IPAddress? ip) =>
        (blocks.Count == 0 || (ip is not null && blocks.Any(b => InBlock(b, ip))))
        && (notBlocks.Count == 0 || ip is null || !notBlocks.Any(b => InBlock(b, ip)));

    private static bool InBlock(string block, IPAddress ip)
    {
        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }
        return block.Contains('/', StringComparison.Ordinal)
            ? IPNetwork.TryParse(block, out var network) && network.Contains(ip)
            : IPAddress.TryParse(block, out var single) && single.Equals(ip);
    }

    private static string? Namespace(string? principal)
    {
        // cluster.local/ns/<namespace>/sa/<account>
        var parts = principal?.Split('/');
        return parts is { Length: >= 5 } && parts[1] == "ns" ? parts[2] : null;
    }
}
