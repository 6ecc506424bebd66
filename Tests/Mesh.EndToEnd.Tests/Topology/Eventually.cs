using System.Diagnostics;

namespace Infrastructure.Mesh.EndToEnd.Tests.Topology;

/// <summary>Bounded polling: every wait in these tests ends, with a message saying what never happened.</summary>
internal static class Eventually
{
    /// <summary>
    /// Polls <paramref name="condition"/> every 50 ms until true; returns how long it took, or throws after
    /// <paramref name="timeout"/>. A poll that fails (a process not answering, a page not yet JSON) counts as not yet.
    /// </summary>
    public static async Task<TimeSpan> UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> what)
    {
        var sw = Stopwatch.StartNew();
        Exception? last = null;
        while (true)
        {
            try
            {
                if (await condition()) { return sw.Elapsed; }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or InvalidOperationException or KeyNotFoundException)
            {
                last = e;
            }
            if (sw.Elapsed > timeout)
            {
                throw new TimeoutException($"after {sw.Elapsed.TotalSeconds:0.0}s still not: {what()}{(last is null ? "" : "\nlast error: " + last.Message)}");
            }
            await Task.Delay(50);
        }
    }
}
