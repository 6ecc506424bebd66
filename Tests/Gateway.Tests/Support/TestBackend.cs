using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Infrastructure.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Infrastructure.Gateway.Tests.Support;

/// <summary>A real Kestrel backend on a free loopback port that echoes what it received as JSON, with a few misbehaving endpoints.</summary>
internal sealed class TestBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private TestBackend(string name, WebApplication app, int port)
    {
        Name = name;
        _app = app;
        Port = port;
    }

    public string Name { get; }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Released by a test to let <c>/stream</c> finish.</summary>
    public TaskCompletionSource StreamGate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConcurrentDictionary<string, int> Counters { get; } = new();

    /// <summary>Every request that reached the backend, as <c>METHOD /path?query</c>, in arrival order.</summary>
    public ConcurrentQueue<string> Received { get; } = new();

    /// <summary>When set, every request is answered with this status (a sick instance).</summary>
    public int? FailWith { get; set; }

    public static async Task<TestBackend> StartAsync(string name)
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var backend = new TestBackend(name, app, port);
        app.Use(async (ctx, next) =>
        {
            Interlocked.Increment(ref backend._requests);
            backend.Received.Enqueue(ctx.Request.Method + " " + ctx.Request.Path + ctx.Request.QueryString);
            if (backend.FailWith is { } status)
            {
                ctx.Response.StatusCode = status;
                return;
            }
            await next(ctx);
        });
        app.UseWebSockets();
        app.Map("/ws", async (HttpContext ctx) =>
        {
            if (!ctx.WebSockets.IsWebSocketRequest)
            {
                ctx.Response.StatusCode = 400;
                return;
            }
            using var socket = await ctx.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[4096];
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, ctx.RequestAborted);
                if (result.MessageType == System.Net.WebSockets.WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    return;
                }
                var reply = System.Text.Encoding.UTF8.GetBytes(name + ":" + System.Text.Encoding.UTF8.GetString(buffer, 0, result.Count));
                await socket.SendAsync(reply, System.Net.WebSockets.WebSocketMessageType.Text, true, ctx.RequestAborted);
            }
        });
        app.Map("/status/{code:int}", (int code) => Results.StatusCode(code));
        app.Map("/delay/{ms:int}", async (int ms, HttpContext ctx) =>
        {
            try
            {
                await Task.Delay(ms, ctx.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                backend.Counters.AddOrUpdate("aborted", 1, (_, n) => n + 1);
                throw;
            }
            return Results.Text(name);
        });
        // Fails with 503 the first {failures} times a key is asked for, then answers.
        app.Map("/flaky/{key}/{failures:int}", (string key, int failures) =>
            backend.Counters.AddOrUpdate(key, 1, (_, n) => n + 1) <= failures ? Results.StatusCode(503) : Results.Text(name));
        app.Map("/stream", async (HttpContext ctx) =>
        {
            ctx.Response.ContentType = "text/plain";
            await ctx.Response.WriteAsync("first\n");
            await ctx.Response.Body.FlushAsync();
            await backend.StreamGate.Task.WaitAsync(TimeSpan.FromSeconds(30));
            await ctx.Response.WriteAsync("second\n");
        });
        app.Map("/{**path}", async (HttpContext ctx) =>
        {
            long bodyLength = 0;
            var buffer = new byte[16 * 1024];
            int read;
            try
            {
                while ((read = await ctx.Request.Body.ReadAsync(buffer)) > 0)
                {
                    bodyLength += read;
                    // Lets a test see the body arrive while the client is still sending it.
                    backend.Counters.AddOrUpdate("received:" + ctx.Request.Path, read, (_, n) => n + read);
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException)
            {
                // The body was cut off (the proxy gave up on the request): lets a test see the upstream call end.
                backend.Counters.AddOrUpdate("body-aborted:" + ctx.Request.Path, 1, (_, n) => n + 1);
                throw;
            }
            ctx.Response.Headers["X-Backend-Secret"] = "s3cret";
            ctx.Response.Headers["X-Backend-Header"] = "original";
            var headers = ctx.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            await ctx.Response.WriteAsJsonAsync(new EchoResponse(name, ctx.Request.Method, ctx.Request.Path.Value ?? "", ctx.Request.QueryString.Value ?? "", headers, bodyLength));
        });
        await app.StartAsync();
        return backend;
    }

    public async ValueTask DisposeAsync()
    {
        StreamGate.TrySetResult();
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await _app.StopAsync(cts.Token);
        }
        await _app.DisposeAsync();
    }
}

internal sealed record EchoResponse(string Backend, string Method, string Path, string Query, Dictionary<string, string> Headers, long BodyLength)
{
    public static async Task<EchoResponse> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        try
        {
            return JsonSerializer.Deserialize<EchoResponse>(text, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        }
        catch (JsonException)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"not an echo ({(int)response.StatusCode}): {text}"));
        }
    }

    public string? Header(string name)
    {
        var dict = new Dictionary<string, string>(Headers, StringComparer.OrdinalIgnoreCase);
        return dict.TryGetValue(name, out var v) ? v : null;
    }
}
