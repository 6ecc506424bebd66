using System.Net;
using System.Net.Http.Json;
using System.Text;
using Infrastructure.Gateway.AccessLog;
using Infrastructure.Gateway.Tests.Support;
using Microsoft.Extensions.Primitives;

namespace Infrastructure.Gateway.Tests.AccessLog;

public sealed class BodyCaptureUnitTests
{
    [Theory]
    [InlineData("text/plain", null, true)]
    [InlineData("text/html; charset=utf-8", null, true)]
    [InlineData("application/json", null, true)]
    [InlineData("application/problem+json", null, true)]
    [InlineData("application/soap+xml", null, true)]
    [InlineData("application/x-www-form-urlencoded", null, true)]
    [InlineData("application/json", "gzip", false)]
    [InlineData("application/json", "identity", true)]
    [InlineData("application/octet-stream", null, false)]
    [InlineData("image/png", null, false)]
    [InlineData("multipart/form-data; boundary=x", null, false)]
    [InlineData(null, null, false)]
    [InlineData("not a media type", null, false)]
    public void TextEncoding_ContentTypeAndEncoding_TextOnly(string? contentType, string? contentEncoding, bool text)
    {
        Assert.Equal(text, BodyCapture.TextEncoding(contentType, contentEncoding is null ? StringValues.Empty : new StringValues(contentEncoding)) is not null);
    }

    [Fact]
    public void TextEncoding_Latin1Charset_UsesIt()
    {
        Assert.Equal(Encoding.Latin1.WebName, BodyCapture.TextEncoding("text/plain; charset=iso-8859-1", StringValues.Empty)!.WebName);
    }

    [Fact]
    public void CaptureBuffer_SplitWrites_KeepsFirstBytesAndCountsAll()
    {
        var capture = new BodyCapture.CaptureBuffer(5) { Encoding = Encoding.UTF8 };
        capture.Append("abc"u8);
        capture.Append("defgh"u8);
        Assert.Equal("abcde", capture.Text);
        Assert.Equal(8, capture.Total);
        Assert.True(capture.Truncated);
    }

    [Fact]
    public void CaptureBuffer_CapInsideMultiByteCharacter_DropsThePartialCharacter()
    {
        var capture = new BodyCapture.CaptureBuffer(4) { Encoding = Encoding.UTF8 };
        capture.Append(Encoding.UTF8.GetBytes("abcé"));
        Assert.Equal("abc", capture.Text);
    }
}

[Collection(GatewayCollection.Name)]
public sealed class BodyLoggingConfigTests(GatewayFixture fixture)
{
    [Theory]
    [InlineData("log-bodies", "maybe", "log-bodies 'maybe' must be true or false")]
    [InlineData("log-bodies-max-bytes", "0", "log-bodies-max-bytes '0' must be between 1 and 1048576")]
    public async Task PostRoute_InvalidLogBodiesMetadata_400WithReason(string key, string value, string reason)
    {
        var metadata = new Dictionary<string, string> { ["log-bodies"] = "true", [key] = value };
        var body = new { uri = fixture.A.Url, predicates = new[] { "Path=/badlog/**" }, metadata };
        using var r = await fixture.Client.PostAsJsonAsync("/actuator/gateway/routes/badlog", body);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains(reason, await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
