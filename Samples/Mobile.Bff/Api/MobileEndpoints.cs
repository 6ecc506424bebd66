using System.Globalization;
using System.Text.Json;
using Infrastructure.Samples.Shared.Composition;
using Infrastructure.ServiceDefaults.Security;

namespace Infrastructure.Samples.MobileBff.Api;

/// <summary>The mobile BFF: bearer tokens in, compact composed payloads out (short names, only what a phone shows).</summary>
internal static class MobileEndpoints
{
    public static IEndpointRouteBuilder MapMobile(this IEndpointRouteBuilder app)
    {
        var m = app.MapGroup("/m").RequireAuthorization(ScopeAuthExtensions.Policy("catalog.read"));

        m.MapGet("/home", async (HttpContext ctx, GatewayClient gateway) =>
        {
            var catalog = await gateway.SendAsync(HttpMethod.Get, "catalog/api/products", Bearer(ctx), null, ctx.RequestAborted);
            if (!catalog.Ok) { return Relay(catalog); }
            var items = OrderPageComposer.Prop(catalog.Body, "items")!.Value.EnumerateArray()
                .Select(p => new { id = p.GetProperty("id").GetInt32(), n = p.GetProperty("name").GetString(), p = p.GetProperty("price").GetDecimal() });
            return Results.Ok(new { b = OrderPageComposer.Prop(catalog.Body, "banner")?.GetString(), items });
        });

        m.MapGet("/orders/{id:guid}", async (Guid id, HttpContext ctx, GatewayClient gateway) =>
        {
            var (order, products) = await OrderPageComposer.ComposeAsync(gateway, id, Bearer(ctx), ctx.RequestAborted);
            if (!order.Ok) { return Relay(order); }
            var lines = OrderPageComposer.Prop(order.Body, "lines")!.Value.EnumerateArray().Select(l =>
            {
                var pid = l.GetProperty("productId").GetInt32();
                var product = products.TryGetValue(pid, out var r) && r.Ok ? OrderPageComposer.Prop(r.Body, "product") : null;
                return new
                {
                    n = l.GetProperty("name").GetString(),
                    q = l.GetProperty("quantity").GetInt32(),
                    p = l.GetProperty("unitPrice").GetDecimal(),
                    c = product?.GetProperty("category").GetString(),
                };
            });
            return Results.Ok(new
            {
                id,
                t = OrderPageComposer.Prop(order.Body, "total")?.GetDecimal(),
                at = OrderPageComposer.Prop(order.Body, "placedAt")?.GetString(),
                lines,
                partial = products.Values.Any(p => !p.Ok),
            });
        });
        return app;
    }

    private static string? Bearer(HttpContext ctx) => AuthorizationHeader.Bearer(ctx.Request);

    private static IResult Relay(DownstreamResult r) =>
        Results.Json(r.Body ?? JsonSerializer.SerializeToElement(new { error = "no body" }),
            statusCode: r.Status == 0 ? StatusCodes.Status502BadGateway : (int)r.Status);

    internal static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
