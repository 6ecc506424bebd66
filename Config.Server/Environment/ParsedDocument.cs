namespace Infrastructure.Config.Server.Environment;

/// <summary>One document of a configuration file: flat keys plus the profiles it is activated for (null = always).</summary>
internal sealed record ParsedDocument(OrderedDictionary<string, object?> Properties, string? ActivateOnProfile);
