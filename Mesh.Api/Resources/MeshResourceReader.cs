using System.Globalization;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Infrastructure.Mesh.Api.Resources;

/// <summary>What reading a file gave: the resources that parsed and passed validation, and why the others were rejected.</summary>
/// <param name="Resources">The accepted resources, in file order.</param>
/// <param name="Errors">One entry per problem; a rejected resource can have several.</param>
/// <param name="FileError">True when the file as a whole could not be read (unreadable, not YAML): nothing in it was looked at.</param>
public sealed record ResourceReadResult(IReadOnlyList<MeshResource> Resources, IReadOnlyList<ResourceError> Errors, bool FileError = false)
{
    /// <summary>Whether anything was rejected.</summary>
    public bool HasErrors => Errors.Count > 0;
}

/// <summary>
/// Reads Istio resources in their YAML or JSON shape (<c>apiVersion</c>/<c>kind</c>/<c>metadata</c>/<c>spec</c>, several
/// <c>---</c> documents per file, or a <c>kind: List</c> with <c>items</c>) into <see cref="MeshResource"/>s, and validates
/// each with <see cref="MeshResourceValidator"/>. Each document stands alone: a bad one is rejected with its reasons and
/// the others are kept. <c>status</c> and metadata the mesh does not use (<c>creationTimestamp</c>, <c>uid</c>, ...) are ignored;
/// an unknown field anywhere in <c>spec</c> rejects the resource, naming the field.
/// </summary>
public static class MeshResourceReader
{
    /// <summary>Files larger than this are refused (a resource folder holds hand-written YAML).</summary>
    public const int MaxFileBytes = 4 * 1024 * 1024;

    private static readonly JsonParser Parser = new(JsonParser.Settings.Default);

    /// <summary>Whether a file name is one the reader takes (<c>.yaml</c>, <c>.yml</c>, <c>.json</c>).</summary>
    public static bool IsResourceFile(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".yaml" or ".yml" or ".json";

    /// <summary>Reads and validates one file; <paramref name="source"/> names it in messages (default: the path).</summary>
    public static ResourceReadResult ReadFile(string path, string? source = null)
    {
        source ??= path;
        string text;
        try
        {
            var info = new FileInfo(path);
            if (info.Length > MaxFileBytes)
            {
                return FileFailure(source, $"file is larger than {MaxFileBytes} bytes");
            }
            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return FileFailure(source, $"cannot read the file: {ex.Message}");
        }
        return Read(text, source);
    }

    /// <summary>Reads and validates the documents in <paramref name="text"/> (YAML, or JSON which is YAML too).</summary>
    public static ResourceReadResult Read(string text, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            return FileFailure(source, string.Create(CultureInfo.InvariantCulture,
                $"not valid YAML at line {ex.Start.Line}, column {ex.Start.Column}: {(ex.InnerException ?? ex).Message}"));
        }
        catch (InvalidOperationException ex)
        {
            // YamlDotNet's parser throws this, not a YamlException, on some truncated files (an unclosed flow sequence
            // or mapping at the end); a half-saved file must be rejected like any other, not stop the control plane.
            return FileFailure(source, $"not valid YAML (cut short? an unclosed [ or {{ at the end): {ex.Message}");
        }
        var resources = new List<MeshResource>();
        var errors = new List<ResourceError>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var document in stream.Documents)
        {
            ReadDocument(document.RootNode, source, $"document {index + 1}", resources, errors, seen);
            index++;
        }
        return new ResourceReadResult(resources, errors);
    }

    private static void ReadDocument(YamlNode root, string source, string where, List<MeshResource> resources, List<ResourceError> errors, HashSet<string> seen)
    {
        if (root is YamlScalarNode { Value: null or "" or "~" or "null" })
        {
            return; // an empty document, e.g. after a trailing ---
        }
        if (root is not YamlMappingNode mapping)
        {
            errors.Add(new ResourceError(source, where, "", $"expected a resource (apiVersion, kind, metadata, spec), found {SchemaJson.Describe(root)}"));
            return;
        }
        string? Text(string key) => mapping.Children.TryGetValue(new YamlScalarNode(key), out var n) ? (n as YamlScalarNode)?.Value : null;
        var kind = Text("kind") ?? "";
        var apiVersion = Text("apiVersion") ?? "";
        if (kind == "List" && mapping.Children.TryGetValue(new YamlScalarNode("items"), out var items) && items is YamlSequenceNode list)
        {
            var i = 0;
            foreach (var item in list.Children)
            {
                ReadDocument(item, source, string.Create(CultureInfo.InvariantCulture, $"{where} items[{i++}]"), resources, errors, seen);
            }
            return;
        }

        var metadata = new ObjectMeta();
        var local = new List<(string Field, string Message)>();
        if (mapping.Children.TryGetValue(new YamlScalarNode("metadata"), out var metaNode))
        {
            ReadMetadata(metaNode, metadata, local);
        }
        if (string.IsNullOrEmpty(metadata.Namespace))
        {
            metadata.Namespace = ResourceTypes.DefaultNamespace;
        }
        var name = metadata.Name.Length > 0 ? $"{metadata.Namespace}/{metadata.Name}" : $"{metadata.Namespace}/({where})";
        var resourceName = kind.Length > 0 ? $"{kind} {name}" : where;
        void Fail(string field, string message) => errors.Add(new ResourceError(source, resourceName, field, message));

        if (kind.Length == 0)
        {
            Fail("kind", "kind is required");
            return;
        }
        var typeUrl = ResourceTypes.TypeUrlOfKind(kind);
        if (typeUrl is null)
        {
            Fail("kind", $"unsupported kind \"{kind}\" (supported: VirtualService, DestinationRule, PeerAuthentication, AuthorizationPolicy)");
            return;
        }
        if (!ResourceTypes.AcceptsApiVersion(kind, apiVersion))
        {
            Fail("apiVersion", $"unsupported apiVersion \"{apiVersion}\" for {kind} (accepted: {string.Join(", ", ResourceTypes.ApiVersionsOf(kind))})");
            return;
        }
        foreach (var (keyNode, _) in mapping.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value;
            if (key is not ("apiVersion" or "kind" or "metadata" or "spec" or "status"))
            {
                local.Add((key ?? "", $"unknown field \"{key}\" (a resource has apiVersion, kind, metadata, spec)"));
            }
        }
        if (metadata.Name.Length == 0 && !local.Any(l => l.Field.StartsWith("metadata", StringComparison.Ordinal)))
        {
            local.Add(("metadata.name", "metadata.name is required"));
        }

        var resource = new MeshResource { ApiVersion = apiVersion, Kind = kind, Metadata = metadata, Source = source };
        var descriptor = SpecDescriptor(typeUrl);
        YamlNode specNode = mapping.Children.TryGetValue(new YamlScalarNode("spec"), out var s) && s is not YamlScalarNode { Value: null or "" or "~" or "null" }
            ? s
            : new YamlMappingNode();
        if (ExpandedSize(specNode, new Dictionary<YamlNode, long>(ReferenceEqualityComparer.Instance)) > MaxSpecNodes)
        {
            // YAML aliases can make a small file expand to billions of nodes ("billion laughs").
            Fail("spec", $"spec is too large: more than {MaxSpecNodes} values once YAML aliases are expanded");
            return;
        }
        var json = SchemaJson.Convert(specNode, descriptor, "spec", local);
        if (json is not null && local.Count == 0)
        {
            try
            {
                var spec = Parser.Parse(json.ToJsonString(), descriptor);
                switch (spec)
                {
                    case VirtualService vs: resource.VirtualService = vs; break;
                    case DestinationRule dr: resource.DestinationRule = dr; break;
                    case PeerAuthentication pa: resource.PeerAuthentication = pa; break;
                    case AuthorizationPolicy ap: resource.AuthorizationPolicy = ap; break;
                }
            }
            catch (InvalidProtocolBufferException ex)
            {
                // The schema walk catches what the parser would; this is a backstop with the parser's own words.
                local.Add(("spec", ex.Message));
            }
        }
        if (local.Count > 0)
        {
            foreach (var (field, message) in local)
            {
                Fail(field, message);
            }
            return;
        }
        var validation = MeshResourceValidator.Validate(resource);
        if (validation.Count > 0)
        {
            errors.AddRange(validation);
            return;
        }
        if (!seen.Add($"{kind}/{metadata.Namespace}/{metadata.Name}"))
        {
            Fail("metadata.name", $"{kind} {metadata.Namespace}/{metadata.Name} is defined twice in this file");
            return;
        }
        resources.Add(resource);
    }

    private static void ReadMetadata(YamlNode node, ObjectMeta metadata, List<(string, string)> errors)
    {
        if (node is not YamlMappingNode mapping)
        {
            if (!(node is YamlScalarNode { Value: null or "" or "~" or "null" }))
            {
                errors.Add(("metadata", $"expected an object, found {SchemaJson.Describe(node)}"));
            }
            return;
        }
        foreach (var (keyNode, value) in mapping.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? "";
            string? Scalar()
            {
                if (value is YamlScalarNode scalar)
                {
                    return scalar.Value;
                }
                errors.Add(($"metadata.{key}", $"expected a string, found {SchemaJson.Describe(value)}"));
                return null;
            }
            void Map(Google.Protobuf.Collections.MapField<string, string> target)
            {
                if (value is YamlMappingNode map)
                {
                    foreach (var (k, v) in map.Children)
                    {
                        target[(k as YamlScalarNode)?.Value ?? ""] = (v as YamlScalarNode)?.Value ?? "";
                    }
                }
                else if (!(value is YamlScalarNode { Value: null or "" }))
                {
                    errors.Add(($"metadata.{key}", $"expected a map, found {SchemaJson.Describe(value)}"));
                }
            }
            switch (key)
            {
                case "name": metadata.Name = Scalar() ?? ""; break;
                case "namespace": metadata.Namespace = Scalar() ?? ""; break;
                case "resourceVersion": metadata.ResourceVersion = Scalar() ?? ""; break;
                case "generation":
                    if (long.TryParse(Scalar(), NumberStyles.None, CultureInfo.InvariantCulture, out var generation))
                    {
                        metadata.Generation = generation;
                    }
                    break;
                case "labels": Map(metadata.Labels); break;
                case "annotations": Map(metadata.Annotations); break;
                default:
                    break; // creationTimestamp, uid, managedFields, ...: Kubernetes bookkeeping the mesh does not use
            }
        }
    }

    /// <summary>The most values a spec may hold, with aliases expanded.</summary>
    public const int MaxSpecNodes = 100_000;

    // The size of a node with aliases expanded, memoised per node, so that it costs one pass over the document as written.
    private static long ExpandedSize(YamlNode node, Dictionary<YamlNode, long> sizes)
    {
        if (sizes.TryGetValue(node, out var known))
        {
            return known;
        }
        sizes[node] = long.MaxValue / 4; // a cycle counts as too large
        long size = 1;
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (k, v) in mapping.Children)
                {
                    size = Math.Min(long.MaxValue / 4, size + ExpandedSize(k, sizes) + ExpandedSize(v, sizes));
                }
                break;
            case YamlSequenceNode sequence:
                foreach (var item in sequence.Children)
                {
                    size = Math.Min(long.MaxValue / 4, size + ExpandedSize(item, sizes));
                }
                break;
        }
        sizes[node] = size;
        return size;
    }

    private static ResourceReadResult FileFailure(string source, string message) =>
        new([], [new ResourceError(source, "", "", message)], FileError: true);

    /// <summary>The descriptor of the spec message of <paramref name="typeUrl"/>.</summary>
    internal static MessageDescriptor SpecDescriptor(string typeUrl) => typeUrl switch
    {
        ResourceTypes.VirtualService => VirtualService.Descriptor,
        ResourceTypes.DestinationRule => DestinationRule.Descriptor,
        ResourceTypes.PeerAuthentication => PeerAuthentication.Descriptor,
        _ => AuthorizationPolicy.Descriptor,
    };
}
