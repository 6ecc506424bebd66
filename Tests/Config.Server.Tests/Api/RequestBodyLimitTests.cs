using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Infrastructure.Config.Server.Tests.Api;

/// <summary>Bodies the endpoints that read one must refuse as the caller's error, never a 500.</summary>
public sealed class RequestBodyLimitTests : IDisposable
{
    private const int Limit = 2 * 1024 * 1024;
    private readonly TempDir _dir = new();
    private readonly ConfigServerFactory _factory;
    private readonly HttpClient _http;

    public RequestBodyLimitTests()
    {
        _dir.Write("application.yml", "a: 1\n");
        _factory = ConfigServerFactory.Native(_dir.Path, encryptKey: "k");
        _http = _factory.CreateClient();
    }

    public void Dispose()
    {
        _http.Dispose();
        _factory.Dispose();
        _dir.Dispose();
    }

    private static ByteArrayContent Bytes(byte[] body, string contentType)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    private static HttpContent Body(string shape) => shape switch
    {
        "form with 2000 fields" => Bytes(Encoding.ASCII.GetBytes(string.Join('&', Enumerable.Range(0, 2000).Select(i => $"path{i}=x"))), "application/x-www-form-urlencoded"),
        "multipart without boundary" => Bytes("--x\r\nContent-Disposition: form-data; name=\"path\"\r\n\r\napplication.yml\r\n--x--\r\n"u8.ToArray(), "multipart/form-data"),
        "malformed multipart" => Bytes("--x\r\nno headers end"u8.ToArray(), "multipart/form-data; boundary=x"),
        "invalid UTF-8 text" => Bytes([.. "{\"path\":\"caf"u8, 0xE9, .. "\"}"u8], "application/json"),
        "invalid UTF-8 form value" => Bytes("path=caf%E9"u8.ToArray(), "application/x-www-form-urlencoded"),
        "malformed percent-encoding" => Bytes("path=%G1"u8.ToArray(), "application/x-www-form-urlencoded"),
        "NUL in a form value" => Bytes("path=a%00b"u8.ToArray(), "application/x-www-form-urlencoded"),
        "NUL in a JSON value" => Bytes("{\"path\":\"a\\u0000b\"}"u8.ToArray(), "application/json"),
        "NUL in text" => Bytes("a\0b"u8.ToArray(), "text/plain"),
        "huge body" => Bytes(new byte[Limit + 1], "text/plain"),
        // No Content-Length: the limit must hold while reading, not only from the header.
        "huge chunked body" => new StreamContent(new MemoryStream(Encoding.ASCII.GetBytes(new string('a', Limit + 1)))) { Headers = { ContentType = new MediaTypeHeaderValue("text/plain") } },
        _ => throw new ArgumentOutOfRangeException(nameof(shape)),
    };

    public static TheoryData<string, string, HttpStatusCode> Cases()
    {
        var data = new TheoryData<string, string, HttpStatusCode>();
        foreach (var endpoint in new[] { "/monitor", "/encrypt", "/decrypt" })
        {
            foreach (var shape in new[]
            {
                "form with 2000 fields", "multipart without boundary", "invalid UTF-8 text", "invalid UTF-8 form value",
                "malformed percent-encoding", "NUL in a form value", "NUL in text",
            })
            {
                data.Add(endpoint, shape, HttpStatusCode.BadRequest);
            }
            data.Add(endpoint, "huge body", HttpStatusCode.RequestEntityTooLarge);
            data.Add(endpoint, "huge chunked body", HttpStatusCode.RequestEntityTooLarge);
        }
        data.Add("/monitor", "malformed multipart", HttpStatusCode.BadRequest);
        data.Add("/monitor", "NUL in a JSON value", HttpStatusCode.BadRequest);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Post_BadBody_ClientErrorInSpringShape(string endpoint, string shape, HttpStatusCode expected)
    {
        using var content = Body(shape);
        using var r = await _http.PostAsync(endpoint, content);
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == expected, $"{endpoint} {shape}: {(int)r.StatusCode} {body}");
        var error = JsonDocument.Parse(body).RootElement;
        Assert.Equal((int)expected, error.GetProperty("status").GetInt32());
        Assert.Equal(endpoint, error.GetProperty("path").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task PostMonitor_MultipartPath_NamesAllApplications()
    {
        using var form = new MultipartFormDataContent { { new StringContent("application.yml"), "path" } };
        using var r = await _http.PostAsync("/monitor", form);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal("[\"*\"]", await r.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task PostEncrypt_UnicodeTextAndCurlForm_RoundTrip()
    {
        var secret = "pässwörd 🔑 " + new string('x', 100_000);
        using var enc = await _http.PostAsync("/encrypt", new StringContent(secret, Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.OK, enc.StatusCode);
        using var dec = await _http.PostAsync("/decrypt", new StringContent(await enc.Content.ReadAsStringAsync(), Encoding.UTF8, "text/plain"));
        Assert.Equal(secret, await dec.Content.ReadAsStringAsync());
        using var fromForm = await _http.PostAsync("/encrypt", new StringContent("p%C3%A4ss+word=", Encoding.ASCII, "application/x-www-form-urlencoded"));
        using var back = await _http.PostAsync("/decrypt", new StringContent(await fromForm.Content.ReadAsStringAsync(), Encoding.UTF8, "text/plain"));
        Assert.Equal("päss word", await back.Content.ReadAsStringAsync());
    }
}
