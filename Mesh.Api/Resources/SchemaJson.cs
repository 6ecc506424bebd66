using System.Globalization;
using System.Text.Json.Nodes;
using Google.Protobuf.Reflection;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Infrastructure.Mesh.Api.Resources;

/// <summary>
/// Turns a YAML (or JSON) node into the proto3 JSON of a message, guided by the message's descriptor, so that every
/// field a user wrote is checked by name and type with its path: an unknown field, an unknown enum value, a number where
/// a list is wanted. YAML's untyped scalars are typed by the field they land in (a label <c>version: 1</c> is the
/// string "1"), which a plain YAML-to-JSON conversion cannot do.
/// </summary>
internal static class SchemaJson
{
    private const int MaxDepth = 32;

    /// <summary>The JSON object for <paramref name="node"/> as a <paramref name="descriptor"/>, or null with <paramref name="errors"/> filled.</summary>
    public static JsonObject? Convert(YamlNode node, MessageDescriptor descriptor, string path, List<(string Field, string Message)> errors)
    {
        var result = Message(node, descriptor, path, errors, depth: 0);
        return errors.Count == 0 ? result : null;
    }

    private static JsonObject? Message(YamlNode node, MessageDescriptor descriptor, string path, List<(string, string)> errors, int depth)
    {
        if (depth > MaxDepth)
        {
            errors.Add((path, "nested too deeply"));
            return null;
        }
        if (node is not YamlMappingNode mapping)
        {
            errors.Add((path, $"expected an object ({descriptor.Name}), found {Describe(node)}"));
            return null;
        }
        var json = new JsonObject();
        var oneofs = new Dictionary<OneofDescriptor, string>();
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? "";
            var fieldPath = Join(path, key);
            // Istio's YAML uses the JSON (lowerCamel) names; the proto names are accepted too, as protobuf's JSON parser does.
            var field = descriptor.Fields.InDeclarationOrder().FirstOrDefault(f => f.JsonName == key) ?? descriptor.FindFieldByName(key);
            if (field is null)
            {
                errors.Add((fieldPath, $"unknown field \"{key}\" in {descriptor.Name}"));
                continue;
            }
            if (IsNull(valueNode))
            {
                continue;
            }
            if (field.RealContainingOneof is { } oneof)
            {
                if (oneofs.TryGetValue(oneof, out var other))
                {
                    errors.Add((fieldPath, $"only one of {string.Join(", ", oneof.Fields.Select(f => f.JsonName))} may be set (\"{other}\" is set too)"));
                    continue;
                }
                oneofs[oneof] = key;
            }
            if (json.ContainsKey(field.JsonName))
            {
                errors.Add((fieldPath, $"field \"{key}\" is set twice"));
                continue;
            }
            var value = Field(valueNode, field, fieldPath, errors, depth);
            if (value is not null)
            {
                json[field.JsonName] = value;
            }
        }
        return json;
    }

    private static JsonNode? Field(YamlNode node, FieldDescriptor field, string path, List<(string, string)> errors, int depth)
    {
        if (field.IsMap)
        {
            if (node is not YamlMappingNode mapping)
            {
                errors.Add((path, $"expected a map, found {Describe(node)}"));
                return null;
            }
            var keyField = field.MessageType.FindFieldByNumber(1);
            var valueField = field.MessageType.FindFieldByNumber(2);
            var map = new JsonObject();
            foreach (var (k, v) in mapping.Children)
            {
                var key = (k as YamlScalarNode)?.Value ?? "";
                var entryPath = $"{path}[{key}]";
                if (keyField.FieldType is FieldType.UInt32 && !uint.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    errors.Add((entryPath, $"\"{key}\" is not a port number"));
                    continue;
                }
                if (IsNull(v))
                {
                    continue;
                }
                var value = Single(v, valueField, entryPath, errors, depth);
                if (value is not null)
                {
                    map[key] = value;
                }
            }
            return map;
        }
        if (field.IsRepeated)
        {
            if (node is not YamlSequenceNode sequence)
            {
                errors.Add((path, $"expected a list, found {Describe(node)}"));
                return null;
            }
            var array = new JsonArray();
            var i = 0;
            foreach (var item in sequence.Children)
            {
                var itemPath = string.Create(CultureInfo.InvariantCulture, $"{path}[{i++}]");
                var value = IsNull(item) ? null : Single(item, field, itemPath, errors, depth);
                if (value is not null)
                {
                    array.Add(value);
                }
            }
            return array;
        }
        return Single(node, field, path, errors, depth);
    }

    private static JsonNode? Single(YamlNode node, FieldDescriptor field, string path, List<(string, string)> errors, int depth)
    {
        if (field.FieldType == FieldType.Message)
        {
            // Wrappers (BoolValue, UInt32Value) are written as their bare value.
            if (field.MessageType.FullName.StartsWith("google.protobuf.", StringComparison.Ordinal) && field.MessageType.Name.EndsWith("Value", StringComparison.Ordinal))
            {
                return Scalar(node, field.MessageType.FindFieldByNumber(1), path, errors);
            }
            return Message(node, field.MessageType, path, errors, depth + 1);
        }
        return Scalar(node, field, path, errors);
    }

    private static JsonNode? Scalar(YamlNode node, FieldDescriptor field, string path, List<(string, string)> errors)
    {
        if (node is not YamlScalarNode scalar)
        {
            errors.Add((path, $"expected {Expected(field)}, found {Describe(node)}"));
            return null;
        }
        var text = scalar.Value ?? "";
        switch (field.FieldType)
        {
            case FieldType.String:
                return JsonValue.Create(text);
            case FieldType.Bool:
                if (bool.TryParse(text, out var b))
                {
                    return JsonValue.Create(b);
                }
                break;
            case FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32:
                if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i32))
                {
                    return JsonValue.Create(i32);
                }
                break;
            case FieldType.UInt32 or FieldType.Fixed32:
                if (uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var u32))
                {
                    return JsonValue.Create(u32);
                }
                break;
            case FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64:
                if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i64))
                {
                    return JsonValue.Create(i64.ToString(CultureInfo.InvariantCulture));
                }
                break;
            case FieldType.UInt64 or FieldType.Fixed64:
                if (ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var u64))
                {
                    return JsonValue.Create(u64.ToString(CultureInfo.InvariantCulture));
                }
                break;
            case FieldType.Double or FieldType.Float:
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
                {
                    return JsonValue.Create(d);
                }
                break;
            case FieldType.Enum:
                if (field.EnumType.FindValueByName(text) is not null)
                {
                    return JsonValue.Create(text);
                }
                errors.Add((path, $"unknown value \"{text}\" (expected one of {string.Join(", ", field.EnumType.Values.Select(v => v.Name))})"));
                return null;
        }
        errors.Add((path, $"\"{text}\" is not {Expected(field)}"));
        return null;
    }

    private static string Expected(FieldDescriptor field) => field.FieldType switch
    {
        FieldType.String => "a string",
        FieldType.Bool => "true or false",
        FieldType.Double or FieldType.Float => "a number",
        FieldType.UInt32 or FieldType.UInt64 or FieldType.Fixed32 or FieldType.Fixed64 => "a non-negative integer",
        FieldType.Enum => $"one of {string.Join(", ", field.EnumType.Values.Select(v => v.Name))}",
        _ => "an integer",
    };

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    internal static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "an object",
        YamlSequenceNode => "a list",
        YamlScalarNode s => $"\"{s.Value}\"",
        _ => "a value",
    };

    internal static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";
}
