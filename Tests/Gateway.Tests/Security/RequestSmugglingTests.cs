using Infrastructure.Gateway.Tests.Support;
using Xunit.Abstractions;

namespace Infrastructure.Gateway.Tests.Security;

/// <summary>
/// Ambiguous framing and oversized or malformed heads sent to the gateway over a raw socket: each is refused, or at most one
/// well-formed request reaches the backend; never a second request hidden in the first one's body.
/// </summary>
public sealed class RequestSmugglingTests(ITestOutputHelper output) : IAsyncLifetime
{
    // The request a parser that disagrees about where the first request ends would read next.
    private const string Smuggled = "GET /echo/smuggled HTTP/1.1\r\nHost: x\r\n\r\n";

    // Sent after every hostile request on the same connection: closes it once everything before it was answered, so the
    // test reads to the end deterministically instead of waiting for a quiet period.
    private const string Sentinel = "GET /echo/sentinel HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

    private TestBackend _backend = null!;
    private GatewayHost _host = null!;

    public async Task InitializeAsync()
    {
        _backend = await TestBackend.StartAsync("a");
        _host = new GatewayHost(new RouteConfig().Route("echo", _backend.Url, ["Path=/echo/**"]).Settings);
        _host.StartServer();
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _backend.DisposeAsync();
    }

    private static string Request(string name)
    {
        // A chunked body whose only chunk is the smuggled request: a parser that reads Content-Length instead stops early.
        var chunk = $"{Smuggled.Length:x}\r\n{Smuggled}\r\n0\r\n\r\n";
        // A zero-length chunked body followed by the smuggled request: a parser that reads Content-Length takes both as one body.
        var endThenSmuggled = "0\r\n\r\n" + Smuggled;
        const string Post = "POST /echo/a HTTP/1.1\r\nHost: x\r\n";
        return name switch
        {
            "cl-then-te" => $"{Post}Content-Length: {endThenSmuggled.Length}\r\nTransfer-Encoding: chunked\r\n\r\n{endThenSmuggled}",
            "te-then-cl" => $"{Post}Transfer-Encoding: chunked\r\nContent-Length: {chunk.IndexOf('\n', StringComparison.Ordinal) + 1}\r\n\r\n{chunk}",
            // A bare LF ending a chunk extension: parsers that disagree about where the chunk data starts (CVE-2025-55315).
            "chunk-extension-bare-lf" => $"{Post}Transfer-Encoding: chunked\r\n\r\n2;ext\nxx\r\n{chunk}",
            "chunk-size-not-hex" => $"{Post}Transfer-Encoding: chunked\r\n\r\nzz\r\n{Smuggled}\r\n0\r\n\r\n",
            "two-content-lengths" => $"{Post}Content-Length: 5\r\nContent-Length: {5 + Smuggled.Length}\r\n\r\nhello{Smuggled}",
            "te-chunked-identity" => $"{Post}Content-Length: {endThenSmuggled.Length}\r\nTransfer-Encoding: chunked, identity\r\n\r\n{endThenSmuggled}",
            "te-space-before-colon" => $"{Post}Content-Length: {endThenSmuggled.Length}\r\nTransfer-Encoding : chunked\r\n\r\n{endThenSmuggled}",
            "te-xchunked" => $"{Post}Content-Length: {endThenSmuggled.Length}\r\nTransfer-Encoding: xchunked\r\n\r\n{endThenSmuggled}",
            "te-obs-fold" => $"{Post}Content-Length: {endThenSmuggled.Length}\r\nTransfer-Encoding:\r\n chunked\r\n\r\n{endThenSmuggled}",
            "bare-lf-hides-content-length" => $"GET /echo/a HTTP/1.1\r\nHost: x\r\nX-A: 1\nContent-Length: {Smuggled.Length}\r\n\r\n{Smuggled}",
            "bare-lf-request-line" => "GET /echo/a HTTP/1.1\nHost: x\r\n\r\n",
            "bare-lf-in-head" => $"{Post}X-A: 1\nTransfer-Encoding: chunked\r\nContent-Length: {endThenSmuggled.Length}\r\n\r\n{endThenSmuggled}",
            "bare-cr-in-head" => $"{Post}X-A: 1\rTransfer-Encoding: chunked\r\nContent-Length: {endThenSmuggled.Length}\r\n\r\n{endThenSmuggled}",
            "bare-cr-in-value" => "GET /echo/a HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n",
            "nul-in-header-value" => "GET /echo/a HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n",
            "header-over-32kb" => $"GET /echo/a HTTP/1.1\r\nHost: x\r\nX-Big: {new string('a', 33 * 1024)}\r\n\r\n",
            "over-100-headers" => "GET /echo/a HTTP/1.1\r\nHost: x\r\n" + string.Concat(Enumerable.Range(0, 101).Select(i => $"X-H{i}: v\r\n")) + "\r\n",
            "request-line-over-limit" => $"GET /echo/{new string('a', 9 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n",
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };
    }

    // Expected: the status of the only response, after which the server closed the connection (so the sentinel was never
    // read and nothing after the hostile request was parsed as a request). 200 = one well-formed request reached the backend.
    [Theory]
    [InlineData("cl-then-te", 200)]
    [InlineData("te-then-cl", 200)]
    [InlineData("chunk-extension-bare-lf", 400)]
    [InlineData("chunk-size-not-hex", 400)]
    [InlineData("two-content-lengths", 400)]
    [InlineData("te-chunked-identity", 400)]
    [InlineData("te-space-before-colon", 400)]
    [InlineData("te-xchunked", 400)]
    [InlineData("te-obs-fold", 400)]
    [InlineData("bare-lf-hides-content-length", 400)]
    [InlineData("bare-lf-request-line", 400)]
    [InlineData("bare-lf-in-head", 400)]
    [InlineData("bare-cr-in-head", 400)]
    [InlineData("bare-cr-in-value", 400)]
    [InlineData("nul-in-header-value", 400)]
    [InlineData("header-over-32kb", 431)]
    [InlineData("over-100-headers", 431)]
    [InlineData("request-line-over-limit", 414)]
    public async Task HostileRequest_RefusedOrForwardedOnce_NeverTwoRequests(string name, int expected)
    {
        var exchange = await RawHttp.SendAsync(_host.Port, Request(name) + Sentinel);

        output.WriteLine($"{name}: backend saw [{string.Join(", ", _backend.Received)}]; {exchange}");
        var reached = _backend.Received.ToList();
        Assert.DoesNotContain("GET /echo/smuggled", reached);
        Assert.True(exchange.Closed, "the connection stayed open");
        Assert.Equal([expected], exchange.Statuses);
        if (name.StartsWith("chunk-", StringComparison.Ordinal))
        {
            // The head was valid, so the request went upstream while its body streamed; the bad chunk then cut that one
            // request short. Still one request, never the smuggled one.
            Assert.True(reached.Count == 0 || reached.SequenceEqual(["POST /echo/a"]), string.Join(", ", reached));
            return;
        }
        Assert.Equal(expected == 200 ? ["POST /echo/a"] : [], reached);
        if (expected == 200)
        {
            // Kestrel framed it by Transfer-Encoding alone (RFC 9112 6.3), so upstream gets one framing, never both.
            var body = exchange.Text[exchange.Text.IndexOf("{\"backend\"", StringComparison.Ordinal)..];
            Assert.Contains("\"Transfer-Encoding\":\"chunked\"", body, StringComparison.Ordinal);
            Assert.DoesNotContain("\"Content-Length\"", body, StringComparison.Ordinal);
            // The smuggled request arrived, if at all, as inert body bytes of the one request.
            Assert.Contains(name == "te-then-cl" ? $"\"bodyLength\":{Smuggled.Length}" : "\"bodyLength\":0", body, StringComparison.Ordinal);
        }
    }
}
