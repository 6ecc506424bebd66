using System.Collections.Concurrent;
using System.Net;
using Infrastructure.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using static Infrastructure.Discovery.Server.Tests.TestInstances;

namespace Infrastructure.Discovery.Server.Tests.Replication;

/// <summary>What our node sends to a peer, observed with a recording fake peer on a loopback port.</summary>
public sealed class ReplicationProtocolTests : IAsyncLifetime
{
    private readonly ConcurrentQueue<(string Method, string Path, string? Header)> _received = new();
    private readonly EurekaServerFactory _factory = new();
    private WebApplication _peer = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        var port = FreePort.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        _peer = builder.Build();
        // The fake peer knows no instance: every replicated renew gets 404, everything else 2xx.
        _peer.Run(ctx =>
        {
            _received.Enqueue((ctx.Request.Method, ctx.Request.Path + ctx.Request.QueryString, ctx.Request.Headers["x-netflix-discovery-replication"].ToString()));
            ctx.Response.StatusCode = ctx.Request.Method switch
            {
                "POST" => StatusCodes.Status204NoContent,
                "PUT" when ctx.Request.Path.Value!.Count(c => c == '/') == 4 => StatusCodes.Status404NotFound,
                "GET" => StatusCodes.Status404NotFound,
                _ => StatusCodes.Status200OK,
            };
            return Task.CompletedTask;
        });
        await _peer.StartAsync();
        _factory.Settings["Eureka:Client:ServiceUrl:DefaultZone"] = $"http://127.0.0.1:{port}/eureka/";
        _factory.Settings["Eureka:Server:RegistrySyncRetries"] = "0";
        _http = _factory.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _factory.DisposeAsync();
        await _peer.DisposeAsync();
    }

    [Fact]
    public async Task LocalChanges_ForwardedWithReplicationHeader_RenewNotFoundTriggersRegister()
    {
        Assert.Equal(HttpStatusCode.NoContent, (await RegisterAsync(_http, "fwd", "f1:fwd:80")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _http.PutAsync("/eureka/apps/FWD/f1:fwd:80", null)).StatusCode);
        // The peer answers the replicated renew with 404; our node then sends it the registration again.
        Assert.True(await EventuallyAsync(() => Task.FromResult(_received.Count(r => r.Method == "POST") == 2), TimeSpan.FromSeconds(20)),
            "no re-registration after the peer's 404: " + string.Join(" | ", _received));
        Assert.Equal(HttpStatusCode.OK, (await _http.PutAsync("/eureka/apps/FWD/f1:fwd:80/status?value=OUT_OF_SERVICE", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _http.PutAsync("/eureka/apps/FWD/f1:fwd:80/metadata?v=2", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _http.DeleteAsync("/eureka/apps/FWD/f1:fwd:80/status")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _http.DeleteAsync("/eureka/apps/FWD/f1:fwd:80")).StatusCode);

        Assert.True(await EventuallyAsync(() => Task.FromResult(_received.Count(r => r.Method != "GET") >= 7), TimeSpan.FromSeconds(20)),
            "peer saw: " + string.Join(" | ", _received));
        var calls = _received.Where(r => r.Method != "GET").ToList();
        Assert.All(calls, c => Assert.Equal("true", c.Header));
        Assert.Equal(
            ["POST /eureka/apps/FWD", "PUT /eureka/apps/FWD/f1:fwd:80", "POST /eureka/apps/FWD", "PUT /eureka/apps/FWD/f1:fwd:80/status",
             "PUT /eureka/apps/FWD/f1:fwd:80/metadata", "DELETE /eureka/apps/FWD/f1:fwd:80/status", "DELETE /eureka/apps/FWD/f1:fwd:80"],
            calls.Select(c => c.Method + " " + c.Path.Split('?')[0]));
        Assert.Contains("value=OUT_OF_SERVICE", calls[3].Path, StringComparison.Ordinal);
        Assert.Contains("v=2", calls[4].Path, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReplicatedCalls_AppliedButNotForwardedAgain()
    {
        using var content = Content(JsonBody("echo", "e1"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/eureka/apps/ECHO") { Content = content };
        request.Headers.Add("x-netflix-discovery-replication", "true");
        Assert.Equal(HttpStatusCode.NoContent, (await _http.SendAsync(request)).StatusCode);
        using var renew = new HttpRequestMessage(HttpMethod.Put, "/eureka/apps/ECHO/e1");
        renew.Headers.Add("x-netflix-discovery-replication", "true");
        Assert.Equal(HttpStatusCode.OK, (await _http.SendAsync(renew)).StatusCode);

        // A local call afterwards proves the replicator is running; only it reaches the peer.
        Assert.Equal(HttpStatusCode.OK, (await _http.DeleteAsync("/eureka/apps/ECHO/e1")).StatusCode);
        Assert.True(await EventuallyAsync(() => Task.FromResult(_received.Any(r => r.Method == "DELETE")), TimeSpan.FromSeconds(20)));
        Assert.Equal(["DELETE"], _received.Where(r => r.Method != "GET").Select(r => r.Method));
    }
}
