using System.Text.Json;

namespace Infrastructure.Config.Server.Tests.Monitor;

/// <summary>Reads <c>/monitor/events</c> as a client would: one streamed response, events parsed line by line.</summary>
internal sealed class SseReader : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private SseReader(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = reader;
    }

    public static async Task<SseReader> OpenAsync(HttpClient http, string path = "/monitor/events", string? lastEventId = null)
    {
        var req = new HttpRequestMessage(HttpMethod.Get, path);
        if (lastEventId is not null)
        {
            req.Headers.Add("Last-Event-ID", lastEventId);
        }
        var resp = await http.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
        resp.EnsureSuccessStatusCode();
        Assert.Equal("text/event-stream", resp.Content.Headers.ContentType?.MediaType);
        var reader = new StreamReader(await resp.Content.ReadAsStreamAsync());
        var first = await reader.ReadLineAsync(); // ": subscribed" — the subscription is live from here
        Assert.StartsWith(":", first, StringComparison.Ordinal);
        return new SseReader(resp, reader);
    }

    /// <summary>The next <c>refresh</c> event's id and data, or throws after the timeout.</summary>
    public async Task<(string Id, JsonElement Data)> NextEventAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        string? id = null, evt = null, data = null;
        while (true)
        {
            var line = await _reader.ReadLineAsync(cts.Token) ?? throw new EndOfStreamException("event stream closed");
            if (line.Length == 0)
            {
                if (evt == "refresh" && data is not null)
                {
                    return (id ?? "", JsonDocument.Parse(data).RootElement.Clone());
                }
                id = evt = data = null;
                continue;
            }
            if (line.StartsWith("id: ", StringComparison.Ordinal)) { id = line[4..]; }
            else if (line.StartsWith("event: ", StringComparison.Ordinal)) { evt = line[7..]; }
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) { data = line[6..]; }
        }
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
