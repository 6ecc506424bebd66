using System.Net;
using System.Net.Sockets;
using System.Text;
using Infrastructure.Proxy.Forwarding;
using Microsoft.AspNetCore.Http;

namespace Infrastructure.Proxy.Tests.Forwarding;

public sealed class HttpForwarderTests : IDisposable
{
    private readonly HttpMessageInvoker _invoker = ForwarderHttpClientFactory.Create(new ForwarderHttpClientOptions());
    private readonly HttpForwarder _forwarder = new();

    [Fact]
    public async Task SendAsync_BackendAnswers_StatusHeadersAndBodyCopiedHopByHopDropped()
    {
        await using var backend = await Backend.StartAsync(async ctx =>
        {
            ctx.Response.StatusCode = 201;
            ctx.Response.Headers["X-Backend"] = "yes";
            ctx.Response.Headers["X-Seen-Path"] = ctx.Request.Path + ctx.Request.QueryString;
            ctx.Response.Headers["X-Seen-Keep-Alive"] = ctx.Request.Headers["Keep-Alive"].ToString();
            ctx.Response.Headers["X-Seen-Custom"] = ctx.Request.Headers["X-Custom"].ToString();
            await ctx.Response.WriteAsync("hello");
        });
        var context = Context("GET", "/a%3Fb/c", "?q=1");
        context.Request.Headers["X-Custom"] = "kept";
        context.Request.Headers["Keep-Alive"] = "timeout=5";

        var result = await _forwarder.SendAsync(new ProxyExchange(context), backend.Prefix, _invoker, default, HttpTransformer.Empty, CancellationToken.None);

        Assert.Equal(ForwarderError.None, result.Error);
        Assert.Equal(201, context.Response.StatusCode);
        Assert.Equal("yes", context.Response.Headers["X-Backend"]);
        Assert.Equal("/a%3Fb/c?q=1", context.Response.Headers["X-Seen-Path"]);
        Assert.Equal("", context.Response.Headers["X-Seen-Keep-Alive"]);
        Assert.Equal("kept", context.Response.Headers["X-Seen-Custom"]);
        Assert.Equal("hello", Body(context));
    }

    [Fact]
    public async Task SendAsync_Transformer_SeesBothDirections()
    {
        await using var backend = await Backend.StartAsync(ctx =>
        {
            ctx.Response.Headers["X-Seen-Added"] = ctx.Request.Headers["X-Added"].ToString();
            ctx.Response.Headers["X-Seen-Dropped"] = ctx.Request.Headers["X-Dropped"].ToString();
            return Task.CompletedTask;
        });
        var context = Context("GET", "/", "");
        context.Request.Headers["X-Dropped"] = "no";

        var result = await _forwarder.SendAsync(new ProxyExchange(context), backend.Prefix, _invoker, default, new TestTransformer(), CancellationToken.None);

        Assert.Equal(ForwarderError.None, result.Error);
        Assert.Equal("1", context.Response.Headers["X-Seen-Added"]);
        Assert.Equal("", context.Response.Headers["X-Seen-Dropped"]);
        Assert.Equal("after", context.Response.Headers["X-Response-Transformed"]);
    }

    [Fact]
    public async Task SendAsync_NothingListening_ConnectFailure()
    {
        var context = Context("GET", "/", "");
        var result = await _forwarder.SendAsync(new ProxyExchange(context), $"http://127.0.0.1:{ClosedPort()}", _invoker, default, HttpTransformer.Empty, CancellationToken.None);
        Assert.Equal(ForwarderError.ConnectFailure, result.Error);
    }

    [Fact]
    public async Task SendAsync_NoHeadersWithinResponseTimeout_ResponseTimeout()
    {
        using var release = new CancellationTokenSource();
        await using var backend = await Backend.StartAsync(async ctx => await Task.Delay(Timeout.Infinite, release.Token).ContinueWith(_ => { }, TaskScheduler.Default));
        var context = Context("GET", "/", "");

        var result = await _forwarder.SendAsync(new ProxyExchange(context), backend.Prefix, _invoker,
            new ForwarderRequestConfig(ResponseTimeout: TimeSpan.FromMilliseconds(200)), HttpTransformer.Empty, CancellationToken.None);

        await release.CancelAsync();
        Assert.Equal(ForwarderError.ResponseTimeout, result.Error);
        Assert.False(context.Response.HasStarted);
    }

    [Fact]
    public async Task SendAsync_BodyStallsPastResponseTimeout_ResponseBody()
    {
        using var release = new CancellationTokenSource();
        await using var backend = await Backend.StartAsync(async ctx =>
        {
            await ctx.Response.WriteAsync("part");
            await ctx.Response.Body.FlushAsync();
            await Task.Delay(Timeout.Infinite, release.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        });
        var context = Context("GET", "/", "");

        var result = await _forwarder.SendAsync(new ProxyExchange(context), backend.Prefix, _invoker,
            new ForwarderRequestConfig(ResponseTimeout: TimeSpan.FromMilliseconds(300)), HttpTransformer.Empty, CancellationToken.None);

        await release.CancelAsync();
        Assert.Equal(ForwarderError.ResponseBody, result.Error);
        Assert.True(Assert.IsType<UpstreamResponseBodyException>(result.Exception).TimedOut);
        Assert.Equal("part", Body(context));
    }

    [Fact]
    public async Task SendAsync_ClientAborted_ClientAborted()
    {
        using var release = new CancellationTokenSource();
        await using var backend = await Backend.StartAsync(async ctx => await Task.Delay(Timeout.Infinite, release.Token).ContinueWith(_ => { }, TaskScheduler.Default));
        using var client = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var context = Context("GET", "/", "");

        var result = await _forwarder.SendAsync(new ProxyExchange(context), backend.Prefix, _invoker, default, HttpTransformer.Empty, client.Token);

        await release.CancelAsync();
        Assert.Equal(ForwarderError.ClientAborted, result.Error);
    }

    [Fact]
    public async Task SendAsync_RequestBody_StreamedUpstreamAndMarkedStarted()
    {
        await using var backend = await Backend.StartAsync(async ctx =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            await ctx.Response.WriteAsync("got " + await reader.ReadToEndAsync());
        });
        var context = Context("POST", "/", "");
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes("payload"));
        context.Request.ContentLength = 7;
        context.Request.ContentType = "text/plain";
        var exchange = new ProxyExchange(context);

        var result = await _forwarder.SendAsync(exchange, backend.Prefix, _invoker, default, HttpTransformer.Empty, CancellationToken.None);

        Assert.Equal(ForwarderError.None, result.Error);
        Assert.True(exchange.RequestBodyStarted);
        Assert.Equal("got payload", Body(context));
    }

    public void Dispose() => _invoker.Dispose();

    private static DefaultHttpContext Context(string method, string path, string query)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Scheme = "http";
        context.Request.Host = new HostString("proxy.local");
        context.Request.Path = PathString.FromUriComponent(path);
        context.Request.QueryString = new QueryString(query.Length == 0 ? null : query);
        context.Response.Body = new MemoryStream();
        return context;
    }

    private static string Body(HttpContext context) => Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class TestTransformer : HttpTransformer
    {
        public override bool ShouldCopyRequestHeader(ProxyExchange exchange, string name) => name != "X-Dropped";

        public override void TransformRequest(ProxyExchange exchange, HttpRequestMessage proxyRequest) =>
            proxyRequest.Headers.TryAddWithoutValidation("X-Added", "1");

        public override void TransformResponse(ProxyExchange exchange, HttpResponse response, HttpResponseMessage proxyResponse) =>
            response.Headers["X-Response-Transformed"] = "after";
    }
}
