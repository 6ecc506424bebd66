using System.Globalization;
using Infrastructure.ServiceDefaults.Security;
using Microsoft.Extensions.Options;

namespace Infrastructure.Samples.Catalog.Products;

/// <summary>The catalog's HTTP API (<c>/api/products</c>), scope <c>catalog.read</c>.</summary>
internal static class ProductEndpoints
{
    private static readonly Product[] Seed =
    [
        new(1, "Espresso cup", "kitchen", 6.50m),
        new(2, "Pour-over kettle", "kitchen", 39.00m),
        new(3, "Hand grinder", "kitchen", 54.90m),
        new(4, "Trail backpack 28L", "outdoor", 89.00m),
        new(5, "Headlamp", "outdoor", 24.50m),
        new(6, "Notebook A5", "office", 7.90m),
    ];

    public static IEndpointRouteBuilder MapProducts(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/products").RequireAuthorization(ScopeAuthExtensions.Policy("catalog.read"));
        api.MapGet("/", (HttpContext ctx, IOptionsMonitor<CatalogOptions> options, string? category) =>
        {
            var o = options.CurrentValue;
            var items = Seed.Where(p => category is null || p.Category.Equals(category, StringComparison.OrdinalIgnoreCase))
                .Select(p => Priced(p, o)).ToArray();
            return Results.Ok(new { banner = o.Banner, servedBy = ServedBy(ctx), items });
        });
        api.MapGet("/{id:int}", (int id, HttpContext ctx, IOptionsMonitor<CatalogOptions> options) =>
        {
            var p = Array.Find(Seed, x => x.Id == id);
            return p is null
                ? Results.Problem($"No product {id}.", statusCode: StatusCodes.Status404NotFound)
                : Results.Ok(new { product = Priced(p, options.CurrentValue), servedBy = ServedBy(ctx) });
        });
        return app;
    }

    private static Product Priced(Product p, CatalogOptions o) =>
        o.DiscountPercent == 0 ? p : p with { Price = Math.Round(p.Price * (100 - o.DiscountPercent) / 100m, 2) };

    // Which instance answered: makes client-side and gateway load balancing visible to a student.
    private static string ServedBy(HttpContext ctx) =>
        string.Create(CultureInfo.InvariantCulture, $"catalog@{ctx.Connection.LocalIpAddress}:{ctx.Connection.LocalPort}");
}
