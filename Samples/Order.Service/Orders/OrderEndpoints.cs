using System.Collections.Concurrent;
using Infrastructure.Samples.Order.Catalog;
using Infrastructure.ServiceDefaults.Security;

namespace Infrastructure.Samples.Order.Orders;

/// <summary>One line of an order request.</summary>
public sealed record OrderLineRequest(int ProductId, int Quantity);

/// <summary>A request to place an order.</summary>
public sealed record PlaceOrderRequest(IReadOnlyList<OrderLineRequest>? Items);

/// <summary>One priced line of a placed order.</summary>
public sealed record OrderLine(int ProductId, string Name, int Quantity, decimal UnitPrice, string? PricedBy);

/// <summary>A placed order; <see cref="CatalogDegraded"/> when a price came from the fallback cache.</summary>
public sealed record PlacedOrder(Guid Id, string Customer, DateTimeOffset PlacedAt, IReadOnlyList<OrderLine> Lines, decimal Total, bool CatalogDegraded);

/// <summary>The order service's HTTP API (<c>/api/orders</c>).</summary>
internal static class OrderEndpoints
{
    private static readonly ConcurrentDictionary<Guid, PlacedOrder> Orders = new();

    public static IEndpointRouteBuilder MapOrders(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/orders");
        api.MapPost("/", PlaceAsync).RequireAuthorization(ScopeAuthExtensions.Policy("order.write"));
        // Someone else's order answers as a missing one: order.read lets a caller read its own orders, not learn of others'.
        api.MapGet("/{id:guid}", (Guid id, HttpContext ctx) => Orders.TryGetValue(id, out var o) && o.Customer == Customer(ctx)
                ? Results.Ok(o)
                : Results.Problem($"No order {id}.", statusCode: StatusCodes.Status404NotFound))
            .RequireAuthorization(ScopeAuthExtensions.Policy("order.read"));
        api.MapGet("/", (HttpContext ctx) => Results.Ok(Orders.Values.Where(o => o.Customer == Customer(ctx)).OrderByDescending(o => o.PlacedAt)))
            .RequireAuthorization(ScopeAuthExtensions.Policy("order.read"));
        return app;
    }

    private static async Task<IResult> PlaceAsync(PlaceOrderRequest request, CatalogClient catalog, HttpContext ctx)
    {
        if (request.Items is not { Count: > 0 } || request.Items.Count > 50 || request.Items.Any(i => i.Quantity is < 1 or > 1000))
        {
            return Results.Problem("An order needs 1..50 items, each with a quantity of 1..1000.", statusCode: StatusCodes.Status400BadRequest);
        }
        var lines = new List<OrderLine>(request.Items.Count);
        var degraded = false;
        foreach (var item in request.Items)
        {
            var lookup = await catalog.GetProductAsync(item.ProductId, ctx.RequestAborted);
            if (lookup.Product is null)
            {
                return lookup.Degraded
                    ? Results.Problem(lookup.Error, statusCode: StatusCodes.Status503ServiceUnavailable)
                    : Results.Problem(lookup.Error, statusCode: StatusCodes.Status400BadRequest);
            }
            degraded |= lookup.Degraded;
            lines.Add(new OrderLine(lookup.Product.Id, lookup.Product.Name, item.Quantity, lookup.Product.Price, lookup.ServedBy));
        }
        // The host's TimeProvider when a test sets one, else the system clock.
        var placedAt = (ctx.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow();
        var order = new PlacedOrder(Guid.NewGuid(), Customer(ctx), placedAt, lines, lines.Sum(l => l.UnitPrice * l.Quantity), degraded);
        Orders[order.Id] = order;
        return Results.Created($"/api/orders/{order.Id}", order);
    }

    // The user when a person placed it, else the calling client (client_credentials).
    private static string Customer(HttpContext ctx) =>
        ctx.User.FindFirst("sub")?.Value ?? ctx.User.FindFirst("client_id")?.Value ?? "anonymous";
}
