using Infrastructure.Mesh.Api;
using Infrastructure.Mesh.Sidecar.Outbound;
using Microsoft.AspNetCore.Http;

namespace Infrastructure.Mesh.Sidecar.Tests.Outbound;

public class RouteActionTests
{
    [Theory]
    [InlineData("/api/ratings/1", "/v1/", "/v1/ratings/1")]
    [InlineData("/other", "/v1/", "/v1/")]
    public void Rewrite_ReplacesTheMatchedPrefix(string path, string uri, string expected) =>
        Assert.Equal(expected, RouteAction.Rewrite(path, uri, new HTTPMatchRequest { Uri = new StringMatch { Prefix = "/api/" } }));

    [Fact]
    public void Rewrite_RegexMatch_ReplacesTheWholePath() =>
        Assert.Equal("/new", RouteAction.Rewrite("/items/42", "/new", new HTTPMatchRequest { Uri = new StringMatch { Regex = "/items/[0-9]+" } }));

    [Fact]
    public void RedirectLocation_ReplacesWhatIsGiven()
    {
        var context = new DefaultHttpContext();
        context.Request.Host = new HostString("reviews", 9080);
        context.Request.Path = "/old/1";
        context.Request.QueryString = new QueryString("?a=b");
        var match = new HTTPMatchRequest { Uri = new StringMatch { Prefix = "/old/" } };
        Assert.Equal("http://reviews:9080/new/1?a=b", RouteAction.RedirectLocation(context.Request, new HTTPRedirect { Uri = "/new/" }, match));
        Assert.Equal("https://example.com/old/1?a=b", RouteAction.RedirectLocation(context.Request, new HTTPRedirect { Authority = "example.com", Scheme = "https" }, match));
    }

    [Fact]
    public void ApplyTo_SetAddRemove()
    {
        var ops = new Headers.Types.HeaderOperations();
        ops.Set.Add("x-set", "1");
        ops.Add.Add("x-add", "2");
        ops.Remove.Add("x-gone");
        var action = new RouteAction("reviews", null, [ops], []);
        using var message = new HttpRequestMessage();
        message.Headers.TryAddWithoutValidation("x-set", "0");
        message.Headers.TryAddWithoutValidation("x-gone", "0");
        action.ApplyTo(message);
        Assert.Equal(["1"], message.Headers.GetValues("x-set"));
        Assert.Equal(["2"], message.Headers.GetValues("x-add"));
        Assert.False(message.Headers.Contains("x-gone"));
    }
}
