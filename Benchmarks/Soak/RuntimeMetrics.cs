using System.Globalization;

namespace Infrastructure.Soak;

/// <summary>
/// The GC figures of one .NET lab process, read from its <c>/actuator/prometheus</c> page: the .NET runtime's own
/// <c>System.Runtime</c> meter, as OpenTelemetry's Prometheus exporter names it.
/// </summary>
internal readonly record struct RuntimeMetrics(long HeapAfterGcBytes, long Gen2Collections)
{
    /// <summary>Per generation (gen0, gen1, gen2, loh, poh), the heap size right after the last collection.</summary>
    public const string HeapMetric = "dotnet_gc_last_collection_heap_size_bytes";

    /// <summary>Collections per generation since the process started.</summary>
    public const string CollectionsMetric = "dotnet_gc_collections_total";

    /// <summary>
    /// The heap after the last GC (the sum over every generation) and the full (gen2) collections so far; -1 for a figure
    /// the page lacks.
    /// </summary>
    public static RuntimeMetrics Parse(string text)
    {
        long heap = -1;
        long gen2 = -1;
        foreach (var raw in text.AsSpan().EnumerateLines())
        {
            var line = raw.Trim();
            if (line.IsEmpty || line[0] == '#') { continue; }
            if (Is(line, HeapMetric) && Value(line) is { } bytes)
            {
                heap = Math.Max(heap, 0) + (long)bytes;
            }
            else if (Is(line, CollectionsMetric) && line.Contains("gc_heap_generation=\"gen2\"", StringComparison.Ordinal) && Value(line) is { } n)
            {
                gen2 = (long)n;
            }
        }
        return new RuntimeMetrics(heap, gen2);
    }

    private static bool Is(ReadOnlySpan<char> line, string name) =>
        line.StartsWith(name, StringComparison.Ordinal) && line.Length > name.Length && line[name.Length] is '{' or ' ';

    // The sample value follows the labels (or the name); an optional timestamp may follow it.
    private static double? Value(ReadOnlySpan<char> line)
    {
        var close = line.LastIndexOf('}');
        var rest = (close >= 0 ? line[(close + 1)..] : line[line.IndexOf(' ')..]).TrimStart();
        var space = rest.IndexOf(' ');
        var token = space >= 0 ? rest[..space] : rest;
        return double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null;
    }
}
