using System.Text.Json;

namespace Infrastructure.Mesh.EndToEnd.Tests.Topology;

/// <summary>Reads the control plane's <c>/debug/syncz</c> (a JSON array: one entry per connected sidecar, its <c>app</c> and, per resource type, a <c>status</c>).</summary>
internal static class Syncz
{
    /// <summary>Whether at least <paramref name="count"/> sidecars are connected and every resource type of every one is SYNCED.</summary>
    public static bool AllSynced(string syncz, int count)
    {
        using var doc = JsonDocument.Parse(syncz);
        var proxies = doc.RootElement.EnumerateArray().ToList();
        return proxies.Count >= count && proxies.All(p => p.GetProperty("types").EnumerateObject().All(t => t.Value.GetProperty("status").GetString() == "SYNCED"));
    }

    /// <summary>How many connected sidecars speak for <paramref name="app"/>, each with every type SYNCED.</summary>
    public static int SyncedOf(string syncz, string app)
    {
        using var doc = JsonDocument.Parse(syncz);
        return doc.RootElement.EnumerateArray().Count(p => p.GetProperty("app").GetString() == app
            && p.GetProperty("types").EnumerateObject().All(t => t.Value.GetProperty("status").GetString() == "SYNCED"));
    }

    /// <summary>The reasons <c>/debug/configz</c> gives for the resources of <paramref name="fileName"/> it rejected (its <c>rejected</c> list).</summary>
    public static IReadOnlyList<string> Rejections(string configz, string fileName)
    {
        using var doc = JsonDocument.Parse(configz);
        return doc.RootElement.GetProperty("rejected").EnumerateArray()
            .Where(e => e.GetProperty("source").GetString()?.EndsWith(fileName, StringComparison.Ordinal) == true)
            .Select(e => $"{e.GetProperty("source").GetString()}: {e.GetProperty("resource")} {e.GetProperty("field")}: {e.GetProperty("message").GetString()}")
            .ToList();
    }
}
