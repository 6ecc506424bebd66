using System.Reflection;

namespace Infrastructure.Auth.Server.Configuration;

/// <summary>Keys of a configuration section compared with the options class it binds to: what the binder drops without a word.</summary>
internal static class ConfigurationShape
{
    /// <summary>
    /// Keys under <paramref name="section"/> that no property of <paramref name="type"/> takes, e.g. IdentityServer4 settings
    /// Auth.Server does not implement (<c>AllowAccessTokensViaBrowser</c>) or misspelt ones.
    /// </summary>
    public static IEnumerable<string> UnknownKeys(IConfigurationSection section, Type type)
    {
        var properties = Properties(type);
        foreach (var child in section.GetChildren())
        {
            if (!properties.TryGetValue(child.Key, out var property))
            {
                yield return $"{child.Path} is not an Auth.Server setting and is ignored";
                continue;
            }
            var nested = ListItemType(property.PropertyType) is { } item
                ? child.GetChildren().SelectMany(element => UnknownKeys(element, item))
                : IsObject(property.PropertyType) ? UnknownKeys(child, property.PropertyType) : [];
            foreach (var warning in nested)
            {
                yield return warning;
            }
        }
    }

    /// <summary>
    /// Elements of the lists under <paramref name="section"/> that cannot be bound (a value that does not convert, such
    /// as <c>AccessTokenLifetime=1h</c>): the binder leaves such an element out of its list silently.
    /// </summary>
    public static IEnumerable<string> UnreadableElements(IConfigurationSection section, Type type)
    {
        var properties = Properties(type);
        foreach (var child in section.GetChildren())
        {
            if (!properties.TryGetValue(child.Key, out var property))
            {
                continue;
            }
            if (ListItemType(property.PropertyType) is { } item)
            {
                foreach (var element in child.GetChildren())
                {
                    string? failure = null;
                    try
                    {
                        element.Get(item);
                    }
                    catch (InvalidOperationException e)
                    {
                        failure = $"{element.Path} cannot be read and would be left out: {e.Message}";
                    }
                    if (failure is not null)
                    {
                        yield return failure;
                        continue;
                    }
                    foreach (var inner in UnreadableElements(element, item))
                    {
                        yield return inner;
                    }
                }
            }
            else if (IsObject(property.PropertyType))
            {
                foreach (var inner in UnreadableElements(child, property.PropertyType))
                {
                    yield return inner;
                }
            }
        }
    }

    private static Dictionary<string, PropertyInfo> Properties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);

    private static Type? ListItemType(Type t) =>
        t.IsGenericType && t.GetGenericTypeDefinition() == typeof(List<>) && t.GetGenericArguments()[0] is { IsClass: true } item && item != typeof(string)
            ? item
            : null;

    private static bool IsObject(Type t) => t.IsClass && t != typeof(string) && !t.IsGenericType;
}
