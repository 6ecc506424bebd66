using System.ComponentModel.DataAnnotations;

namespace Infrastructure.Config.Server.Limits;

/// <summary><c>ConfigServer:Limits</c>: bounds on what the server reads, from the repository (files) and from callers (request bodies).</summary>
public sealed class InputLimits
{
    /// <summary>Configuration section.</summary>
    public const string Section = "ConfigServer:Limits";

    /// <summary>
    /// Aliases (<c>*name</c>) to a sequence or mapping allowed in one YAML document. Default 50, SnakeYAML's
    /// <c>LoaderOptions.maxAliasesForCollections</c> (Spring Boot's own loader lifts it; this server keeps it).
    /// </summary>
    [Range(0, int.MaxValue)]
    public int MaxAliasesForCollections { get; set; } = 50;

    /// <summary>Deepest nesting of sequences and mappings in a YAML document, counted after alias expansion. Default 50, SnakeYAML's <c>nestingDepthLimit</c>.</summary>
    [Range(1, 1000)]
    public int MaxNestingDepth { get; set; } = 50;

    /// <summary>
    /// Nodes (scalars, sequences, mappings; mapping keys included) aliases may add to one YAML document: an alias to a mapping
    /// adds a copy of everything under it. Default 100,000: within 50 aliases, a few hundred bytes can still stand for
    /// millions of nodes, and every one becomes a key of the served environment.
    /// </summary>
    [Range(0, int.MaxValue)]
    public int MaxAliasExpansion { get; set; } = 100_000;

    /// <summary>Largest configuration file (yml, properties, json) parsed, in bytes. Default 3 MiB, SnakeYAML's <c>codePointLimit</c>.</summary>
    [Range(1, long.MaxValue)]
    public long MaxFileBytes { get; set; } = 3 * 1024 * 1024;

    /// <summary>Largest body <c>/encrypt</c>, <c>/decrypt</c>, <c>/monitor</c> and <c>/admin</c> read, in bytes. Default 2 MiB, Tomcat's form post limit under Spring Boot.</summary>
    [Range(1, long.MaxValue)]
    public long MaxRequestBodyBytes { get; set; } = 2 * 1024 * 1024;

    /// <summary>Most fields in a form body. Default 1000, Tomcat's <c>maxParameterCount</c>.</summary>
    [Range(1, int.MaxValue)]
    public int MaxFormFields { get; set; } = 1000;
}
