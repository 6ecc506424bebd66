using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Infrastructure.Gateway.Routing;

/// <summary>
/// Reads <c>Gateway:Routes:N</c> and <c>Gateway:DefaultFilters:K</c>. Each predicate/filter is either a shortcut string
/// (<c>Path=/api/**</c>) or a section with <c>Name</c> and <c>Args:{key}</c>, as in Spring's fully expanded form.
/// </summary>
internal static class RouteDefinitionReader
{
    public const string RoutesSection = "Gateway:Routes";
    public const string DefaultFiltersSection = "Gateway:DefaultFilters";

    public static List<RouteDefinition> ReadRoutes(IConfiguration configuration)
    {
        var routes = new List<RouteDefinition>();
        foreach (var section in configuration.GetSection(RoutesSection).GetChildren())
        {
            var path = section.Path;
            var route = new RouteDefinition
            {
                Id = section["Id"] ?? throw new RouteDefinitionException($"{path}:Id is required"),
                Uri = section["Uri"] ?? throw new RouteDefinitionException($"{path}:Uri is required"),
                Predicates = ReadList(section.GetSection("Predicates")),
                Filters = ReadList(section.GetSection("Filters")),
            };
            if (section["Order"] is { } order)
            {
                route.Order = int.TryParse(order, NumberStyles.Integer, CultureInfo.InvariantCulture, out var o)
                    ? o : throw new RouteDefinitionException($"{path}:Order '{order}' is not an integer");
            }
            foreach (var m in section.GetSection("Metadata").AsEnumerable(makePathsRelative: true))
            {
                if (m.Value is not null)
                {
                    route.Metadata[m.Key] = m.Value;
                }
            }
            routes.Add(route);
        }
        return routes;
    }

    public static List<NamedArgs> ReadDefaultFilters(IConfiguration configuration) =>
        ReadList(configuration.GetSection(DefaultFiltersSection));

    private static List<NamedArgs> ReadList(IConfigurationSection list)
    {
        var result = new List<NamedArgs>();
        // Numeric keys sort as numbers (0, 1, ..., 10), matching declaration order.
        foreach (var item in list.GetChildren().OrderBy(c => int.TryParse(c.Key, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : int.MaxValue))
        {
            if (item.Value is { } shortcut)
            {
                try
                {
                    result.Add(NamedArgs.ParseShortcut(shortcut));
                }
                catch (FormatException ex)
                {
                    throw new RouteDefinitionException($"{item.Path}: {ex.Message}");
                }
                continue;
            }
            var named = new NamedArgs { Name = item["Name"] ?? throw new RouteDefinitionException($"{item.Path}:Name is required") };
            foreach (var arg in item.GetSection("Args").GetChildren())
            {
                if (arg.Value is not null)
                {
                    named.Args[arg.Key] = arg.Value;
                }
            }
            result.Add(named);
        }
        return result;
    }
}

/// <summary>A route definition that cannot be turned into a working route; the message names the offending key.</summary>
public sealed class RouteDefinitionException(string message, Exception? inner = null) : InvalidOperationException(message, inner);
