using System.Security.Cryptography;
using System.Text;
using Infrastructure.Discovery.Server.Registry;
using Microsoft.Extensions.Options;

namespace Infrastructure.Discovery.Server.Consul;

/// <summary>One registry instance seen as a Consul service instance: its node, service fields and checks.</summary>
internal sealed record ConsulEntry(
    RegisteredInstance Instance, string Node, string NodeId, string Service, IReadOnlyList<string> Tags,
    IReadOnlyDictionary<string, string> Meta, IReadOnlyList<CheckView> Checks, long Index)
{
    public string Id => Instance.Info.InstanceId;

    public string Address => Instance.Info.IpAddr;

    public int Port => Instance.Info.Port;

    /// <summary>Consul's <c>?passing</c>: every check passing.</summary>
    public bool Passing => Checks.All(c => c.Status == CheckStatus.Passing);
}

/// <summary>
/// The registry as Consul's catalog: every instance, whichever API registered it. Eureka status maps to checks: UP is
/// passing, DOWN/STARTING/UNKNOWN critical, OUT_OF_SERVICE adds Consul's critical maintenance check; an instance
/// registered through this node's Consul API shows its own checks instead.
/// </summary>
internal sealed class ConsulCatalog(InstanceRegistry registry, ConsulAgent agent, ConsulIndex index, IOptions<ConsulApiOptions> options)
{
    public string Datacenter => options.Value.Datacenter;

    /// <summary>Instances of one service (any case), optionally only those with <paramref name="tag"/>.</summary>
    public IReadOnlyList<ConsulEntry> Service(string name, string? tag)
    {
        var app = registry.GetApplication(name);
        if (app is null)
        {
            return [];
        }
        return app.Instances.Select(Entry).Where(e => tag is null || e.Tags.Contains(tag, StringComparer.Ordinal)).ToList();
    }

    /// <summary>Every service with the union of its instances' tags (<c>/v1/catalog/services</c>).</summary>
    public SortedDictionary<string, SortedSet<string>> Services()
    {
        var services = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var app in registry.GetApplications().Applications)
        {
            foreach (var instance in app.Instances)
            {
                var name = ServiceName(instance.Info);
                if (!services.TryGetValue(name, out var tags))
                {
                    services[name] = tags = new SortedSet<string>(StringComparer.Ordinal);
                }
                tags.UnionWith(ConsulJson.TagsFromText(instance.Info.Metadata.GetValueOrDefault(ConsulAgent.TagsMetadataKey)));
            }
        }
        return services;
    }

    public ConsulEntry Entry(RegisteredInstance instance)
    {
        var info = instance.Info;
        var id = info.InstanceId;
        var checks = new List<CheckView>();
        var local = agent.TryGet(id, out var l) && l.App.Equals(info.App, StringComparison.Ordinal) ? l : null;
        var eurekaServes = info.Status is InstanceStatus.UP or InstanceStatus.OUT_OF_SERVICE;
        if (local is not null)
        {
            checks.AddRange(local.Checks);
            if (!eurekaServes && !local.Checks.Any(c => c.Status == CheckStatus.Critical))
            {
                // Taken down through Eureka (a DOWN override) while its own checks pass: Eureka's word stands.
                checks.Add(new CheckView($"service:{id}:eureka", "Eureka status", CheckStatus.Critical, "", $"Eureka status {info.Status}", ""));
            }
        }
        else
        {
            checks.Add(new CheckView($"service:{id}", "Eureka status", eurekaServes ? CheckStatus.Passing : CheckStatus.Critical, "", $"Eureka status {info.Status}", ""));
        }
        if (info.Status == InstanceStatus.OUT_OF_SERVICE)
        {
            checks.Add(new CheckView(ConsulAgent.MaintenancePrefix + id, "Service Maintenance Mode", CheckStatus.Critical,
                local?.MaintenanceReason ?? ConsulAgent.DefaultMaintenanceReason, "", ""));
        }
        var meta = info.Metadata.Where(m => m.Key != ConsulAgent.TagsMetadataKey).ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal);
        return new ConsulEntry(instance, info.HostName, NodeId(info.HostName), ServiceName(info), ConsulJson.TagsFromText(info.Metadata.GetValueOrDefault(ConsulAgent.TagsMetadataKey)),
            meta, checks, index.Of(info.App));
    }

    /// <summary>Consul names are case-sensitive and Eureka's are upper-case: the VIP address keeps the case a client registered with, when it names the application.</summary>
    public static string ServiceName(InstanceInfo info) =>
        info.VipAddress is { } vip && vip.Equals(info.App, StringComparison.OrdinalIgnoreCase) ? vip : info.App.ToLowerInvariant();

    /// <summary>A stable UUID per node name, as Consul gives every node one.</summary>
    public static string NodeId(string node)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(node))[..16];
        hash[6] = (byte)((hash[6] & 0x0F) | 0x30);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        var hex = Convert.ToHexStringLower(hash);
        return $"{hex[..8]}-{hex[8..12]}-{hex[12..16]}-{hex[16..20]}-{hex[20..]}";
    }
}
