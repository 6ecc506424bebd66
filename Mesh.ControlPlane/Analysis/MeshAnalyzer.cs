using Infrastructure.Mesh.Api;
using Infrastructure.Mesh.Api.Resources;
using Infrastructure.Mesh.ControlPlane.Push;

namespace Infrastructure.Mesh.ControlPlane.Analysis;

/// <summary>
/// <c>istioctl analyze</c>'s cross-resource checks on the resources in force: IST0101 (a destination's host or subset not
/// found), IST0130 (a rule never reached), IST0131 (a match never used), and with a registry IST0173 (a subset selecting
/// no instance) and IST0127 (a policy selecting no workload). Rejected resources come as IST0106.
/// </summary>
internal static class MeshAnalyzer
{
    /// <summary>All findings, errors first. <paramref name="workloads"/> is null when no registry is available.</summary>
    public static IReadOnlyList<Finding> Analyze(IReadOnlyList<MeshResource> resources, IReadOnlyList<ResourceError> rejected, IReadOnlyList<Workload>? workloads)
    {
        var findings = new List<Finding>();
        foreach (var error in rejected)
        {
            var message = error.Field.Length > 0 ? $"{error.Field}: {error.Message}" : error.Message;
            findings.Add(new Finding(FindingLevel.Error, "IST0106", error.Resource, error.Source, $"Schema validation error: {message}"));
        }
        var rules = resources.Where(r => r.SpecCase == MeshResource.SpecOneofCase.DestinationRule).ToList();
        foreach (var resource in resources)
        {
            switch (resource.SpecCase)
            {
                case MeshResource.SpecOneofCase.VirtualService:
                    Destinations(resource, rules, workloads, findings);
                    Unreachable(resource, findings);
                    break;
                case MeshResource.SpecOneofCase.DestinationRule when workloads is not null:
                    Subsets(resource, workloads, findings);
                    break;
                case MeshResource.SpecOneofCase.AuthorizationPolicy when workloads is not null:
                    Selects(resource, resource.AuthorizationPolicy.Selector, workloads, findings);
                    break;
                case MeshResource.SpecOneofCase.PeerAuthentication when workloads is not null:
                    Selects(resource, resource.PeerAuthentication.Selector, workloads, findings);
                    break;
            }
        }
        return findings.OrderByDescending(f => f.Level).ToList();
    }

    /// <summary>The service a host names: its first DNS label, lower-case ("reviews.default.svc.cluster.local" is "reviews").</summary>
    public static string ServiceOf(string host)
    {
        var dot = host.IndexOf('.', StringComparison.Ordinal);
        return (dot < 0 ? host : host[..dot]).ToLowerInvariant();
    }

    private static void Destinations(MeshResource vs, List<MeshResource> rules, IReadOnlyList<Workload>? workloads, List<Finding> findings)
    {
        var reported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var http in vs.VirtualService.Http)
        {
            var destinations = http.Route.Select(r => r.Destination).Append(http.Mirror).Where(d => d is not null);
            foreach (var destination in destinations)
            {
                var service = ServiceOf(destination.Host);
                if (workloads is not null && !workloads.Any(w => w.App == service) && reported.Add("host:" + service))
                {
                    findings.Add(Report(FindingLevel.Error, "IST0101", vs, $"Referenced host not found: \"{destination.Host}\""));
                }
                if (destination.Subset.Length == 0)
                {
                    continue;
                }
                var found = rules.Any(r => ServiceOf(r.DestinationRule.Host) == service && r.DestinationRule.Subsets.Any(s => s.Name == destination.Subset));
                if (!found && reported.Add($"subset:{destination.Host}+{destination.Subset}"))
                {
                    findings.Add(Report(FindingLevel.Error, "IST0101", vs, $"Referenced host+subset in destinationrule not found: \"{destination.Host}+{destination.Subset}\""));
                }
            }
        }
    }

    private static void Unreachable(MeshResource vs, List<Finding> findings)
    {
        var http = vs.VirtualService.Http;
        var catchAll = -1;
        var seen = new List<(int Rule, HTTPMatchRequest Match)>();
        for (var i = 0; i < http.Count; i++)
        {
            var rule = http[i];
            var number = RuleName(rule, i);
            if (catchAll >= 0)
            {
                findings.Add(Report(FindingLevel.Warning, "IST0130", vs, $"VirtualService rule {number} not used (only the last rule can have no matches)."));
                continue;
            }
            if (rule.Match.Count == 0 || rule.Match.Any(IsMatchAll))
            {
                catchAll = i;
            }
            var duplicates = 0;
            for (var m = 0; m < rule.Match.Count; m++)
            {
                var match = rule.Match[m];
                var earlier = seen.FirstOrDefault(s => SameMatch(s.Match, match));
                if (earlier.Match is not null)
                {
                    duplicates++;
                    findings.Add(Report(FindingLevel.Info, "IST0131", vs,
                        $"VirtualService rule {number} match {MatchName(match, m)} is not used (duplicate/overlapping match in rule {RuleName(http[earlier.Rule], earlier.Rule)})."));
                }
            }
            if (rule.Match.Count > 0 && duplicates == rule.Match.Count)
            {
                findings.Add(Report(FindingLevel.Warning, "IST0130", vs, $"VirtualService rule {number} not used (all matches used by prior rules)."));
            }
            seen.AddRange(rule.Match.Select(m => (i, m)));
        }
    }

    // A match block with no condition (or only `uri: {prefix: /}`) matches every request.
    private static bool IsMatchAll(HTTPMatchRequest match)
    {
        var copy = match.Clone();
        copy.Name = "";
        if (copy.Uri is { MatchTypeCase: StringMatch.MatchTypeOneofCase.Prefix, Prefix: "/" or "" })
        {
            copy.Uri = null;
        }
        return copy.Equals(new HTTPMatchRequest());
    }

    private static bool SameMatch(HTTPMatchRequest a, HTTPMatchRequest b)
    {
        var x = a.Clone();
        var y = b.Clone();
        x.Name = y.Name = "";
        return x.Equals(y);
    }

    private static string RuleName(HTTPRoute rule, int index) => rule.Name.Length > 0 ? $"\"{rule.Name}\"" : $"#{index}";

    private static string MatchName(HTTPMatchRequest match, int index) => match.Name.Length > 0 ? $"\"{match.Name}\"" : $"#{index}";

    private static void Subsets(MeshResource dr, IReadOnlyList<Workload> workloads, List<Finding> findings)
    {
        var service = ServiceOf(dr.DestinationRule.Host);
        var instances = workloads.Where(w => w.App == service).ToList();
        foreach (var subset in dr.DestinationRule.Subsets)
        {
            if (!instances.Any(w => subset.Labels.All(l => w.Labels.TryGetValue(l.Key, out var v) && v == l.Value)))
            {
                findings.Add(Report(FindingLevel.Warning, "IST0173", dr, $"The Subset {subset.Name} defined in the DestinationRule does not select any pods."));
            }
        }
    }

    private static void Selects(MeshResource policy, WorkloadSelector? selector, IReadOnlyList<Workload> workloads, List<Finding> findings)
    {
        if (selector is null || selector.MatchLabels.Count == 0)
        {
            return;
        }
        if (!workloads.Any(w => ProxyScope.Matches(selector, w.Labels)))
        {
            var labels = string.Join(",", selector.MatchLabels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"));
            findings.Add(Report(FindingLevel.Warning, "IST0127", policy, $"No matching workloads for this resource with the following labels: {labels}"));
        }
    }

    private static Finding Report(FindingLevel level, string code, MeshResource resource, string message) =>
        new(level, code, ResourceTypes.Describe(resource), resource.Source, message);
}
