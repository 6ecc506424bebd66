using Route = Infrastructure.Gateway.Routing.Route;
using System.Text.Json;
using System.Text.Json.Nodes;
using Infrastructure.Gateway.Filters;
using Infrastructure.Gateway.Routing;
using Infrastructure.Gateway.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Infrastructure.Gateway.Management;

/// <summary>
/// Spring Cloud Gateway's actuator: <c>/actuator/gateway/routes[/{id}]</c>, <c>routedefinitions</c>, <c>refresh</c>,
/// <c>globalfilters</c>, <c>routefilters</c>, <c>routepredicates</c>, <c>routes/{id}/combinedfilters</c>.
/// Open in Development; elsewhere a bearer token with the admin scope is required.
/// </summary>
internal static class GatewayActuatorEndpoints
{
    /// <summary>The gateway's own stages, in Spring's global-filter vocabulary, with their order in the request path.</summary>
    private static readonly (string Name, int Order)[] GlobalFilters =
    [
        ("Infrastructure.Gateway.Telemetry.GatewayTelemetry (GatewayMetricsFilter)", 0),
        ("Infrastructure.Gateway.Security.RouteScopeAuthorizer (required-scopes)", 1),
        ("Infrastructure.Gateway.Filters.IPreFilter (route pre filters)", 2),
        ("Infrastructure.Gateway.Filters.IRequestPathTransform (RouteToRequestUrlFilter)", 10000),
        ("Infrastructure.Discovery.Client.LoadBalancing.ServiceLoadBalancer (ReactiveLoadBalancerClientFilter)", 10150),
        ("Infrastructure.Gateway.Forwarding.HopByHopHeaders (RemoveHopByHopHeadersFilter)", 2147483637),
        ("Infrastructure.Gateway.Forwarding.HttpForwarder (XForwardedHeadersFilter, ForwardedHeadersFilter)", 2147483646),
        ("Infrastructure.Gateway.Forwarding.HttpForwarder (NettyRoutingFilter)", 2147483647),
    ];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        // Route patterns and messages stay readable ('<', '>', quotes) in this application/json API.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static WebApplication MapGatewayActuator(this WebApplication app)
    {
        var group = app.MapGroup("/actuator/gateway").WithTags("Gateway actuator");
        if (!app.Environment.IsDevelopment())
        {
            group.RequireAuthorization(SecurityExtensions.AdminPolicy);
        }
        group.MapGet("/routes", (RouteLocator locator) => Results.Json(locator.Current.Routes.Select(Verbose), Json));
        group.MapGet("/routedefinitions", (RouteLocator locator) => Results.Json(locator.Current.Routes.Select(r => Definition(r.Definition)), Json));
        group.MapGet("/routes/{id}", (string id, RouteLocator locator) =>
            locator.Current.Find(id) is { } r ? Results.Json(Definition(r.Definition), Json) : Results.NotFound());
        group.MapGet("/routes/{id}/combinedfilters", (string id, RouteLocator locator) =>
        {
            if (locator.Current.Find(id) is not { } r)
            {
                return Results.NotFound();
            }
            var o = new JsonObject();
            for (var i = 0; i < r.Filters.Length; i++)
            {
                o[FilterText(r.Filters[i], i)] = i + 1;
            }
            return Results.Json(o, Json);
        });
        group.MapPost("/routes/{id}", async (string id, HttpContext context, RouteLocator locator) =>
        {
            RouteDefinition definition;
            try
            {
                var body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
                definition = ParseDefinition(id, body as JsonObject ?? throw new JsonException("the body must be a JSON object"));
            }
            catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
            {
                return Error(context, StatusCodes.Status400BadRequest, "invalid route definition: " + ex.Message);
            }
            try
            {
                locator.Save(definition);
            }
            catch (RouteDefinitionException ex)
            {
                return Error(context, StatusCodes.Status400BadRequest, ex.Message);
            }
            return Results.Created($"/actuator/gateway/routes/{Uri.EscapeDataString(id)}", null);
        });
        group.MapDelete("/routes/{id}", (string id, HttpContext context, RouteLocator locator) =>
            locator.Delete(id) ? Results.Ok()
            : locator.Current.Find(id) is not null
                ? Error(context, StatusCodes.Status404NotFound, $"route '{id}' comes from configuration or discovery and cannot be deleted here")
                : Results.NotFound());
        group.MapPost("/refresh", (HttpContext context, RouteLocator locator) =>
            locator.Refresh("actuator refresh") is { } error ? Error(context, StatusCodes.Status400BadRequest, error) : Results.Ok());
        group.MapGet("/globalfilters", () =>
        {
            var o = new JsonObject();
            foreach (var (name, order) in GlobalFilters)
            {
                o[name] = order;
            }
            return Results.Json(o, Json);
        });
        group.MapGet("/routefilters", () => Results.Json(Names(GatewayFilterFactory.Names, "GatewayFilterFactory"), Json));
        group.MapGet("/routepredicates", () => Results.Json(Names(RoutePredicateFactory.Names, "RoutePredicateFactory"), Json));
        return app;
    }

    private static IResult Error(HttpContext context, int status, string message) =>
        Infrastructure.ServiceDefaults.Web.SpringErrorBody.Result(context, status, message, Infrastructure.ServiceDefaults.Web.SpringErrorStyle.WebFlux);

    private static JsonObject Names(IReadOnlyList<string> names, string suffix)
    {
        var o = new JsonObject();
        foreach (var n in names)
        {
            o[$"[{n}{suffix}]"] = null;
        }
        return o;
    }

    private static string FilterText(GatewayFilter f, int index) => $"[[{f.Definition}], order = {index + 1}]";

    /// <summary>Spring's verbose route view: <c>predicate, route_id, filters, uri, order</c> (+ metadata).</summary>
    private static JsonObject Verbose(Route r)
    {
        var filters = new JsonArray();
        for (var i = 0; i < r.Filters.Length; i++)
        {
            filters.Add(FilterText(r.Filters[i], i));
        }
        var predicate = string.Join(" && ", r.Predicates.Select(p => p.Describe()));
        return new JsonObject
        {
            ["predicate"] = r.Predicates.Length > 1 ? $"({predicate})" : predicate,
            ["route_id"] = r.Id,
            ["filters"] = filters,
            ["uri"] = r.Definition.Uri,
            ["order"] = r.Order,
            ["metadata"] = Metadata(r.Definition),
            ["source"] = r.Source.ToString(),
        };
    }

    /// <summary>Spring's RouteDefinition JSON: <c>id, predicates[{name, args}], filters[{name, args}], uri, order, metadata</c>.</summary>
    internal static JsonObject Definition(RouteDefinition d) => new()
    {
        ["id"] = d.Id,
        ["predicates"] = NamedArgsArray(d.Predicates),
        ["filters"] = NamedArgsArray(d.Filters),
        ["uri"] = d.Uri,
        ["order"] = d.Order,
        ["metadata"] = Metadata(d),
    };

    private static JsonObject Metadata(RouteDefinition d)
    {
        var o = new JsonObject();
        foreach (var (k, v) in d.Metadata)
        {
            o[k] = v;
        }
        return o;
    }

    private static JsonArray NamedArgsArray(List<NamedArgs> list)
    {
        var a = new JsonArray();
        foreach (var n in list)
        {
            var args = new JsonObject();
            foreach (var (k, v) in n.Args)
            {
                args[k] = v;
            }
            a.Add(new JsonObject { ["name"] = n.Name, ["args"] = args });
        }
        return a;
    }

    internal static RouteDefinition ParseDefinition(string id, JsonObject body)
    {
        var d = new RouteDefinition
        {
            Id = id,
            Uri = body["uri"]?.GetValue<string>() ?? throw new JsonException("'uri' is required"),
            Order = body["order"]?.GetValue<int>() ?? 0,
            Predicates = ParseNamedArgs(body["predicates"], "predicates"),
            Filters = ParseNamedArgs(body["filters"], "filters"),
        };
        if (body["metadata"] is JsonObject metadata)
        {
            foreach (var (k, v) in metadata)
            {
                d.Metadata[k] = v?.ToString() ?? "";
            }
        }
        return d;
    }

    private static List<NamedArgs> ParseNamedArgs(JsonNode? node, string field)
    {
        var list = new List<NamedArgs>();
        if (node is null)
        {
            return list;
        }
        if (node is not JsonArray array)
        {
            throw new JsonException($"'{field}' must be an array");
        }
        foreach (var item in array)
        {
            switch (item)
            {
                // Spring also accepts the shortcut string in JSON ("Path=/api/**").
                case JsonValue v when v.TryGetValue<string>(out var shortcut):
                    list.Add(NamedArgs.ParseShortcut(shortcut));
                    break;
                case JsonObject o:
                    var named = new NamedArgs { Name = o["name"]?.GetValue<string>() ?? throw new JsonException($"every entry of '{field}' needs a 'name'") };
                    if (o["args"] is JsonObject args)
                    {
                        foreach (var (k, v) in args)
                        {
                            named.Args[k] = v is JsonValue jv && jv.TryGetValue<string>(out var s) ? s : v?.ToJsonString() ?? "";
                        }
                    }
                    list.Add(named);
                    break;
                default:
                    throw new JsonException($"entries of '{field}' must be objects {{name, args}} or shortcut strings");
            }
        }
        return list;
    }
}
