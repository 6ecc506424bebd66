namespace Infrastructure.Testing;

/// <summary>Sends GETs in a loop until disposed, so rolling windows and breakers see steady traffic.</summary>
public sealed class LoadLoop : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <summary>Starts the loop: one GET of <paramref name="path"/>, then a pause of <paramref name="pauseMs"/>, until disposed.</summary>
    public LoadLoop(HttpClient client, string path, int pauseMs = 20)
    {
        _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    using var _ = await client.GetAsync(path, _stop.Token);
                    await Task.Delay(pauseMs, _stop.Token);
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                }
                catch (HttpRequestException)
                {
                }
            }
        });
    }

    /// <summary>Stops the loop and waits for the request in flight.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
