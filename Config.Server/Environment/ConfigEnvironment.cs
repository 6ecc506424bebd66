using System.Text.Json.Serialization;

namespace Infrastructure.Config.Server.Environment;

/// <summary>Spring Cloud Config's <c>Environment</c>: what <c>GET /{application}/{profile}[/{label}]</c> returns.</summary>
public sealed class ConfigEnvironment
{
    /// <summary>Application name as requested.</summary>
    [JsonPropertyName("name")] public required string Name { get; init; }

    /// <summary>Active profiles, in request order.</summary>
    [JsonPropertyName("profiles")] public required string[] Profiles { get; init; }

    /// <summary>Label echoed back (branch, tag or commit for git; <c>master</c> by default).</summary>
    [JsonPropertyName("label")] public string? Label { get; init; }

    /// <summary>Backend version: the commit id for git, a write counter for PostgreSQL, null for files.</summary>
    [JsonPropertyName("version")] public string? Version { get; init; }

    /// <summary>Backend state (Spring uses it for Vault); always present in the JSON.</summary>
    [JsonPropertyName("state")] public string? State { get; init; }

    /// <summary>Property sources, most specific (highest precedence) first.</summary>
    [JsonPropertyName("propertySources")] public required List<PropertySource> PropertySources { get; init; }
}

/// <summary>One named set of flat dotted keys (<c>a.b[0].c</c>).</summary>
public sealed class PropertySource(string name, OrderedDictionary<string, object?> source)
{
    /// <summary>Where the values came from, e.g. <c>file:config-repo/catalog-development.yml</c>.</summary>
    [JsonPropertyName("name")] public string Name { get; } = name;

    /// <summary>Flat keys in file order.</summary>
    [JsonPropertyName("source")] public OrderedDictionary<string, object?> Source { get; } = source;
}
