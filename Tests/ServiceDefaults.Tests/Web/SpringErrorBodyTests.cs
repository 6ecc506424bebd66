using System.Text;
using Infrastructure.ServiceDefaults.Web;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Infrastructure.ServiceDefaults.Tests.Web;

/// <summary>Spring Boot's two error bodies, byte for byte, from the one writer every server uses.</summary>
public sealed class SpringErrorBodyTests
{
    private static DefaultHttpContext Context(string path)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 17, 45, 45, 288, TimeSpan.Zero).AddTicks(7890));
        var ctx = new DefaultHttpContext
        {
            RequestServices = new ServiceCollection().AddSingleton<TimeProvider>(time).BuildServiceProvider(),
            TraceIdentifier = "0HNQ:00000002",
        };
        ctx.Request.Path = path;
        ctx.Response.Body = new MemoryStream();
        return ctx;
    }

    [Fact]
    public void Render_WebMvc_SpringMvcFieldsInItsOrder()
    {
        var body = Encoding.UTF8.GetString(SpringErrorBody.Render(Context("/shop/default"), 404, "No such label: x", SpringErrorStyle.WebMvc));

        Assert.Equal(
            """{"timestamp":"2026-12-07T17:45:45.288+00:00","status":404,"error":"Not Found","message":"No such label: x","path":"/shop/default"}""",
            body);
    }

    [Fact]
    public void Render_WebFlux_WebFluxFieldsInItsOrderPlusTraceId()
    {
        var body = Encoding.UTF8.GetString(SpringErrorBody.Render(Context("/order/api"), 504, "upstream did not answer within 5000 ms", SpringErrorStyle.WebFlux));

        Assert.Equal(
            """{"timestamp":"2026-12-07T17:45:45.288+00:00","path":"/order/api","status":504,"error":"Gateway Timeout","message":"upstream did not answer within 5000 ms","requestId":"0HNQ:00000002","traceId":""}""",
            body);
    }

    [Fact]
    public async Task WriteAsync_SetsStatusTypeAndLength_MessageNotHtmlEscaped()
    {
        var ctx = Context("/a");

        await SpringErrorBody.WriteAsync(ctx, 400, "bad <path> 'é'", SpringErrorStyle.WebMvc);

        Assert.Equal(400, ctx.Response.StatusCode);
        Assert.Equal("application/json", ctx.Response.ContentType);
        var written = ((MemoryStream)ctx.Response.Body).ToArray();
        Assert.Equal(written.Length, ctx.Response.ContentLength);
        // Jackson writes these as they are; only JSON's own escapes apply.
        Assert.Contains("\"message\":\"bad <path> 'é'\"", Encoding.UTF8.GetString(written), StringComparison.Ordinal);
    }

    [Fact]
    public void Timestamp_AnyOffset_MillisecondsInUtc()
    {
        Assert.Equal("2026-01-02T01:04:05.006+00:00", SpringErrorBody.Timestamp(new DateTimeOffset(2026, 1, 2, 3, 4, 5, 6, TimeSpan.FromHours(2))));
    }
}
