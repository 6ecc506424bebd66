using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Infrastructure.Samples.Order.Catalog;

/// <summary>A catalog product as the order service sees it.</summary>
public sealed record CatalogProduct(int Id, string Name, string Category, decimal Price);

/// <summary>The answer for one product: fresh, served from the fallback cache, or unknown.</summary>
public sealed record ProductLookup(CatalogProduct? Product, bool Degraded, string? ServedBy, string? Error);

/// <summary>Calls the catalog by name (discovery + client-side load balancing + timeout/retry/breaker) with a cached fallback.</summary>
public sealed partial class CatalogClient(HttpClient http, ILogger<CatalogClient> logger)
{
    // Last good answer per product: what the fallback serves while the catalog is failing or the breaker is open.
    private static readonly ConcurrentDictionary<int, CatalogProduct> LastGood = new();

    /// <summary>Looks a product up; never throws for catalog failures.</summary>
    public async Task<ProductLookup> GetProductAsync(int id, CancellationToken ct)
    {
        try
        {
            using var response = await http.GetAsync(new Uri($"api/products/{id}", UriKind.Relative), ct);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return new ProductLookup(null, false, null, $"product {id} does not exist");
            }
            response.EnsureSuccessStatusCode();
            var body = await response.Content.ReadFromJsonAsync<ProductResponse>(ct);
            if (body?.Product is null)
            {
                throw new HttpRequestException("catalog answered without a product");
            }
            LastGood[id] = body.Product;
            return new ProductLookup(body.Product, false, body.ServedBy, null);
        }
        catch (Exception e) when (e is HttpRequestException or BrokenCircuitException or TimeoutRejectedException
                                  || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            var reason = e is BrokenCircuitException ? "circuit open" : e.GetType().Name + ": " + e.Message;
            LogFallback(logger, id, reason);
            return LastGood.TryGetValue(id, out var cached)
                ? new ProductLookup(cached, true, "fallback-cache", reason)
                : new ProductLookup(null, true, null, "catalog unavailable (" + reason + ") and no cached answer");
        }
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Warning, Message = "Catalog call for product {ProductId} failed ({Reason}); serving the fallback")]
    private static partial void LogFallback(ILogger logger, int productId, string reason);

    private sealed record ProductResponse(CatalogProduct? Product, string? ServedBy);
}
