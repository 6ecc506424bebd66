using System.Diagnostics;

namespace Infrastructure.Hosting.Processes;

/// <summary>Bounded waits for something started to be ready: a check, or a URL that answers.</summary>
public static class Readiness
{
    /// <summary>
    /// Calls <paramref name="ready"/> every <paramref name="interval"/> (150 ms by default) until it says yes; throws
    /// <see cref="TimeoutException"/> after <paramref name="timeout"/>, and <see cref="InvalidOperationException"/> when
    /// <paramref name="process"/> (if given) exits first, both with what the process printed.
    /// </summary>
    public static async Task WaitUntilAsync(
        Func<CancellationToken, Task<bool>> ready, TimeSpan timeout, string what, ChildProcess? process = null, TimeSpan? interval = null, CancellationToken ct = default)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            ct.ThrowIfCancellationRequested();
            if (process is { HasExited: true })
            {
                // Lets the last lines arrive, so the message holds all of them.
                await process.DrainOutputAsync();
                throw new InvalidOperationException($"process exited with {process.ExitCode} before it was ready:\n{process.Output}");
            }
            if (await ready(ct)) { return; }
            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(150), ct);
        }
        throw new TimeoutException($"{what} not ready after {timeout}" + (process is null ? "" : $":\n{process.Output}"));
    }

    /// <summary>Waits until <paramref name="url"/> answers 2xx (or what <paramref name="accept"/> accepts), as <see cref="WaitUntilAsync"/>.</summary>
    public static async Task WaitForUrlAsync(
        Uri url, TimeSpan timeout, Func<HttpResponseMessage, bool>? accept = null, ChildProcess? process = null, TimeSpan? interval = null, CancellationToken ct = default)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await WaitUntilAsync(async token =>
        {
            try
            {
                using var r = await http.GetAsync(url, token);
                return accept?.Invoke(r) ?? r.IsSuccessStatusCode;
            }
            catch (HttpRequestException) { return false; }
            catch (TaskCanceledException) when (!token.IsCancellationRequested) { return false; }
        }, timeout, url.ToString(), process, interval, ct);
    }
}
