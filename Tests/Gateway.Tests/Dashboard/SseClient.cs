using System.Text.Json.Nodes;

namespace Infrastructure.Gateway.Tests.Dashboard;

/// <summary>Reads a text/event-stream response event by event (the <c>data:</c> lines, parsed as JSON).</summary>
internal sealed class SseClient : IDisposable
{
    private readonly HttpClient _client;
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseClient(HttpClient client, HttpResponseMessage response, Stream body)
    {
        _client = client;
        _response = response;
        _reader = new StreamReader(body);
    }

    public HttpResponseMessage Response => _response;

    /// <summary>
    /// Opens the stream on a connection of its own: disposing closes that connection at once, as a browser tab does
    /// (a shared HttpClient would first try to drain the endless body to reuse the connection).
    /// </summary>
    public static async Task<SseClient> OpenAsync(HttpClient like, string path = "/actuator/hystrix.stream", bool waitForFreeSlot = true)
    {
        // A stream closed by the previous test holds its slot until the server's next write fails.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = like.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
            var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
            if (waitForFreeSlot && response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < deadline)
            {
                response.Dispose();
                client.Dispose();
                await Task.Delay(100);
                continue;
            }
            return new SseClient(client, response, await response.Content.ReadAsStreamAsync());
        }
    }

    /// <summary>The next event, or null when the server ended the stream.</summary>
    public async Task<JsonObject?> NextAsync(CancellationToken cancellationToken)
    {
        while (await _reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                return JsonNode.Parse(line["data: ".Length..])!.AsObject();
            }
        }
        return null;
    }

    /// <summary>The rest of the body (for an error answer).</summary>
    public Task<string> ReadToEndAsync() => _reader.ReadToEndAsync();

    /// <summary>The first event matching <paramref name="predicate"/>; fails with the last events seen after <paramref name="timeout"/>.</summary>
    public async Task<JsonObject> WaitForAsync(Func<JsonObject, bool> predicate, TimeSpan timeout, string what)
    {
        using var cts = new CancellationTokenSource(timeout);
        var last = new Queue<string>();
        try
        {
            while (await NextAsync(cts.Token) is { } e)
            {
                if (predicate(e))
                {
                    return e;
                }
                last.Enqueue(e.ToJsonString());
                if (last.Count > 6)
                {
                    last.Dequeue();
                }
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
        }
        throw new Xunit.Sdk.XunitException($"no event with {what} within {timeout}; last events:\n{string.Join("\n", last)}");
    }

    public void Dispose()
    {
        _reader.Dispose();
        _response.Dispose();
        _client.Dispose();
    }
}
