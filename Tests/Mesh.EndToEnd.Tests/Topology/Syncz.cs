namespace Infrastructure.Mesh.EndToEnd.Tests.Topology;

/// <summary>Reads the control plane's <c>/debug/syncz</c> answer.</summary>
internal static class Syncz
{
    /// <summary>Whether <paramref name="count"/> sidecars are listed and none has a resource type STALE or NOT SENT.</summary>
    public static bool AllSynced(string syncz, int count) =>
        !syncz.Contains("STALE", StringComparison.Ordinal)
        && !syncz.Contains("NOT SENT", StringComparison.Ordinal)
        && Occurrences(syncz, "\"app\"") >= count;

    /// <summary>Whether a log line or page says a resource was refused.</summary>
    public static bool SaysRejected(string text) =>
        text.Contains("reject", StringComparison.OrdinalIgnoreCase) || text.Contains("invalid", StringComparison.OrdinalIgnoreCase);

    private static int Occurrences(string text, string what)
    {
        var n = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal)) { n++; }
        return n;
    }
}
