using System.Diagnostics;

namespace Infrastructure.Mesh.Benchmarks;

/// <summary>What one phase measured: latencies of the requests that succeeded, and how many did not.</summary>
internal sealed record PhaseResult(double[] SortedMs, long Errors, long Sent, TimeSpan Elapsed)
{
    public double Percentile(double p) =>
        SortedMs.Length == 0 ? double.NaN : SortedMs[Math.Min(SortedMs.Length - 1, (int)Math.Ceiling(p / 100 * SortedMs.Length) - 1)];

    public double AchievedRate => SortedMs.Length / Elapsed.TotalSeconds;
}

/// <summary>
/// An open-loop load generator: requests are due at fixed instants whatever the answers do, and a latency is counted
/// from the instant a request was due, not from when it went out, so a stall shows in the percentiles (no coordinated
/// omission, as wrk2 and Fortio measure).
/// </summary>
internal static class OpenLoopLoad
{
    public static async Task<PhaseResult> RunAsync(HttpClient client, Func<HttpRequestMessage> makeRequest, int expectedBytes,
        int rate, int seconds, int maxInFlight, CancellationToken ct)
    {
        var total = (long)rate * seconds;
        var latencies = new long[total];
        long errors = 0;
        var inFlight = 0;
        var pending = new List<Task>(capacity: (int)Math.Min(total, 1_000_000));
        var start = Stopwatch.GetTimestamp();
        long next = 0;
        while (next < total && !ct.IsCancellationRequested)
        {
            var elapsed = Stopwatch.GetTimestamp() - start;
            var due = Math.Min(total, elapsed * rate / Stopwatch.Frequency + 1);
            for (; next < due; next++)
            {
                var index = next;
                var intended = start + index * Stopwatch.Frequency / rate;
                if (Interlocked.Increment(ref inFlight) > maxInFlight)
                {
                    Interlocked.Decrement(ref inFlight);
                    Interlocked.Increment(ref errors);
                    latencies[index] = -1;
                    continue;
                }
                pending.Add(SendOneAsync(index, intended));
            }
            // Timers tick about every millisecond here, so a tick launches the one or two requests that fell due.
            await Task.Delay(1, ct).ConfigureAwait(false);
        }
        await Task.WhenAll(pending).ConfigureAwait(false);
        var wall = Stopwatch.GetElapsedTime(start);
        var ok = latencies.Where(t => t > 0).Select(t => t * 1000.0 / Stopwatch.Frequency).ToArray();
        Array.Sort(ok);
        return new PhaseResult(ok, errors, next, wall);

        async Task SendOneAsync(long index, long intended)
        {
            try
            {
                using var request = makeRequest();
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
                var body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
                if (response.IsSuccessStatusCode && body.Length == expectedBytes)
                {
                    latencies[index] = Math.Max(1, Stopwatch.GetTimestamp() - intended);
                }
                else
                {
                    latencies[index] = -1;
                    Interlocked.Increment(ref errors);
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
            {
                latencies[index] = -1;
                Interlocked.Increment(ref errors);
            }
            finally
            {
                Interlocked.Decrement(ref inFlight);
            }
        }
    }
}
