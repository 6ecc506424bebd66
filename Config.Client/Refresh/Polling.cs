namespace Infrastructure.Config.Client.Refresh;

/// <summary>The fallback to the event stream: a fetch every <c>Spring:Cloud:Config:PollInterval</c> seconds.</summary>
internal static class Polling
{
    /// <summary>Calls <paramref name="reload"/> once a period until <paramref name="ct"/> is cancelled.</summary>
    public static async Task RunAsync(TimeSpan period, Func<CancellationToken, Task> reload, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                await reload(ct);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
