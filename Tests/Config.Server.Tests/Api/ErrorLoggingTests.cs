using System.Net;
using System.Text;
using Infrastructure.Testing;
using Serilog.Events;

namespace Infrastructure.Config.Server.Tests.Api;

/// <summary>What the log says about requests Spring answers with an error: the real status, and a stack trace only for the unexpected.</summary>
public sealed class ErrorLoggingTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly LogCapture _logs = new();
    private readonly ConfigServerFactory _factory;
    private readonly HttpClient _http;

    public ErrorLoggingTests()
    {
        _dir.Write("app.yml", "a: 1\n");
        _dir.Write("notes.txt", "hello\n");
        _dir.Write("broken.yml", "a: [unclosed\n");
        _factory = ConfigServerFactory.Native(_dir.Path, logs: _logs);
        _http = _factory.CreateClient();
    }

    public void Dispose()
    {
        _http.Dispose();
        _factory.Dispose();
        _dir.Dispose();
    }

    private async Task WarmUpAsync()
    {
        (await _http.GetAsync("/app/default")).Dispose();
        await _logs.RequestLineAsync("/app/default");
        _logs.Clear();
    }

    /// <summary>Events about one request: its request line and anything logged with its path.</summary>
    private IEnumerable<LogEvent> About(string path) => _logs.Events.Where(e =>
        e.Properties.TryGetValue("RequestPath", out var p) && p.ToString() == $"\"{path}\""
        || e.Properties.TryGetValue("Path", out var q) && q.ToString() == $"\"{path}\"");

    [Theory]
    [InlineData("GET", "/app/default/..%2F..%2Fetc", HttpStatusCode.BadRequest)]
    [InlineData("GET", "/..%2Fapp/default", HttpStatusCode.BadRequest)]
    [InlineData("GET", "/app/default/master/..%2Fnotes.txt", HttpStatusCode.BadRequest)]
    [InlineData("GET", "/app/default/master/missing.txt", HttpStatusCode.NotFound)]
    [InlineData("POST", "/monitor", HttpStatusCode.BadRequest)]
    public async Task ClientError_LoggedAsOneRequestLineWithRealStatusNoStackTrace(string method, string path, HttpStatusCode expected)
    {
        await WarmUpAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = new StringContent("{nope", Encoding.UTF8, "application/json");
        }
        using var r = await _http.SendAsync(request);
        Assert.Equal(expected, r.StatusCode);

        var line = await _logs.RequestLineAsync(path);
        Assert.Equal((int)expected, LogCapture.StatusCode(line));
        Assert.True(line.Level is LogEventLevel.Information or LogEventLevel.Warning, line.Level.ToString());
        Assert.Null(line.Exception);
        Assert.Single(About(path), e => e.Level >= LogEventLevel.Information);
        Assert.DoesNotContain(_logs.Events, e => e.Exception is not null || e.Level >= LogEventLevel.Error);
    }

    [Fact]
    public async Task BrokenFile_500sLoggedWithoutStackTraceAndTheParseErrorOnce()
    {
        await WarmUpAsync();
        for (var i = 0; i < 3; i++)
        {
            using var r = await _http.GetAsync("/broken/default");
            Assert.Equal(HttpStatusCode.InternalServerError, r.StatusCode);
        }
        await _logs.RequestLineAsync("/broken/default");
        Assert.DoesNotContain(_logs.Events, e => e.Exception is not null);
        Assert.Single(_logs.Events, e => e.MessageTemplate.Text.Contains("does not parse", StringComparison.Ordinal));
        Assert.All(_logs.RequestLines("/broken/default"), l => Assert.Equal(500, LogCapture.StatusCode(l)));
    }
}
