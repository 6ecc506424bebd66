using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using static Infrastructure.Discovery.Server.Tests.TestInstances;

namespace Infrastructure.Discovery.Server.Tests.Api;

/// <summary>As Eureka, the full registry and the delta go gzipped to clients accepting gzip; the plain answer is unchanged.</summary>
public sealed class GzipAnswerTests : InProcessRegistryTest
{
    [Theory]
    [InlineData("/eureka/apps", "application/json")]
    [InlineData("/eureka/apps", "application/xml")]
    [InlineData("/eureka/v2/apps", "application/json")]
    public async Task Get_AcceptingGzip_GzippedBytesOfThePlainAnswer(string path, string accept)
    {
        await RegisterZippedAsync();
        var plain = await GetAsync(path, accept, gzip: false);
        var zipped = await GetAsync(path, accept, gzip: true);

        Assert.Empty(plain.Content.Headers.ContentEncoding);
        Assert.Equal(["gzip"], zipped.Content.Headers.ContentEncoding);
        Assert.Equal(plain.Content.Headers.ContentType, zipped.Content.Headers.ContentType);
        Assert.Equal(await plain.Content.ReadAsByteArrayAsync(), Gunzip(await zipped.Content.ReadAsByteArrayAsync()));
    }

    [Fact]
    public async Task GetDelta_AcceptingGzip_Gzipped()
    {
        await RegisterZippedAsync();
        var zipped = await GetAsync("/eureka/apps/delta", "application/json", gzip: true);

        Assert.Equal(["gzip"], zipped.Content.Headers.ContentEncoding);
        Assert.Contains("\"name\":\"ZIPPED\"", System.Text.Encoding.UTF8.GetString(Gunzip(await zipped.Content.ReadAsByteArrayAsync())), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetApplication_AcceptingGzip_Plain()
    {
        await RegisterZippedAsync();
        var answer = await GetAsync("/eureka/apps/ZIPPED", "application/json", gzip: true);

        Assert.Empty(answer.Content.Headers.ContentEncoding);
    }

    /// <summary>The bytes inside <paramref name="gzip"/>.</summary>
    internal static byte[] Gunzip(byte[] gzip)
    {
        using var input = new GZipStream(new MemoryStream(gzip), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    private async Task RegisterZippedAsync() =>
        Assert.Equal(HttpStatusCode.NoContent, (await RegisterAsync(Http, "zipped", "z1")).StatusCode);

    private async Task<HttpResponseMessage> GetAsync(string path, string accept, bool gzip)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        if (gzip)
        {
            request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
        }
        var response = await Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response;
    }
}
