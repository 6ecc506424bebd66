using System.Globalization;
using System.Text.Json;

namespace Infrastructure.Samples.Shared.Composition;

/// <summary>Composes "an order page" (the order plus the catalog entry of each line) from calls through the gateway.</summary>
public static class OrderPageComposer
{
    /// <summary>Fetches the order, then every distinct product of it in parallel.</summary>
    public static async Task<(DownstreamResult Order, IReadOnlyDictionary<int, DownstreamResult> Products)> ComposeAsync(
        GatewayClient gateway, Guid orderId, string? token, CancellationToken ct)
    {
        var order = await gateway.SendAsync(HttpMethod.Get, $"order/api/orders/{orderId}", token, null, ct);
        var products = new Dictionary<int, DownstreamResult>();
        if (!order.Ok || order.Body is not { } body || !body.TryGetProperty("lines", out var lines))
        {
            return (order, products);
        }
        var ids = lines.EnumerateArray().Select(l => l.GetProperty("productId").GetInt32()).Distinct().ToArray();
        var calls = ids.Select(id => gateway.SendAsync(HttpMethod.Get, string.Create(CultureInfo.InvariantCulture, $"catalog/api/products/{id}"), token, null, ct)).ToArray();
        var results = await Task.WhenAll(calls);
        for (var i = 0; i < ids.Length; i++) { products[ids[i]] = results[i]; }
        return (order, products);
    }

    /// <summary>Reads a property of a JSON element, or null.</summary>
    public static JsonElement? Prop(JsonElement? e, string name) =>
        e is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var v) ? v : null;
}
