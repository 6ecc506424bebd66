using System.Text.Json.Serialization;

namespace Infrastructure.Samples.Mesh.Ratings;

/// <summary>The stars each reviewer gave one product, who answered, and the trace headers it received.</summary>
internal sealed record Rating(int Id, Dictionary<string, int> Ratings, string Instance, Dictionary<string, string> Headers);

/// <summary>The answer to a delete: which product's ratings were cleared, and by whom.</summary>
internal sealed record Deleted(int Id, string Status, string Instance);

/// <summary>An injected failure.</summary>
internal sealed record Failure(string Error, string Instance);

/// <summary>The health answer.</summary>
internal sealed record Health(string Status);

/// <summary>The fault switch: the share of API calls that fail with 503.</summary>
internal sealed record ChaosSettings(double ErrorRatio);

/// <summary>Fails a share of calls, as set through <c>/chaos</c>.</summary>
internal sealed class Chaos
{
    private double _errorRatio;

    public double ErrorRatio
    {
        get => Volatile.Read(ref _errorRatio);
        set => Volatile.Write(ref _errorRatio, value);
    }

    public bool ShouldFail()
    {
        var ratio = ErrorRatio;
        return ratio > 0 && (ratio >= 1 || Random.Shared.NextDouble() < ratio);
    }
}

/// <summary>The trace headers an app forwards (Bookinfo's list), echoed back so a caller can see one trace run through.</summary>
internal static class TraceHeaders
{
    private static readonly string[] Names =
        ["traceparent", "tracestate", "x-request-id", "x-b3-traceid", "x-b3-spanid", "x-b3-parentspanid", "x-b3-sampled", "x-b3-flags", "b3"];

    public static Dictionary<string, string> From(HttpRequest request)
    {
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in Names)
        {
            if (request.Headers.TryGetValue(name, out var value) && value.Count > 0) { found[name] = value.ToString(); }
        }
        return found;
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Rating))]
[JsonSerializable(typeof(Deleted))]
[JsonSerializable(typeof(Failure))]
[JsonSerializable(typeof(Health))]
[JsonSerializable(typeof(ChaosSettings))]
internal sealed partial class RatingsJson : JsonSerializerContext;
