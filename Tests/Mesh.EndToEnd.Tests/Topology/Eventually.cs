using System.Diagnostics;

namespace Infrastructure.Mesh.EndToEnd.Tests.Topology;

/// <summary>Bounded polling: every wait in these tests ends, with a message saying what never happened.</summary>
internal static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> every 50 ms until true; returns how long it took, or throws after <paramref name="timeout"/>.</summary>
    public static async Task<TimeSpan> UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> what)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            if (await condition()) { return sw.Elapsed; }
            if (sw.Elapsed > timeout) { throw new TimeoutException($"after {sw.Elapsed.TotalSeconds:0.0}s still not: {what()}"); }
            await Task.Delay(50);
        }
    }
}
