using Infrastructure.Mesh.Api;
using Infrastructure.Mesh.Api.Resources;
using Infrastructure.Mesh.Sidecar.Outbound;
using Infrastructure.Mesh.Sidecar.Tests.Inbound;
using Infrastructure.Mesh.Sidecar.Xds;

namespace Infrastructure.Mesh.Sidecar.Tests.Outbound;

public class RouteSelectionTests
{
    private static readonly Dictionary<string, string> ProductPage = new() { ["app"] = "productpage", ["version"] = "v1" };

    private static RouteRequest Request(string path = "/reviews/1", string method = "GET", Dictionary<string, string>? headers = null, Dictionary<string, string>? query = null, Dictionary<string, string>? labels = null) =>
        new(path, method, "reviews",
            name => headers?.GetValueOrDefault(name),
            name => query?.GetValueOrDefault(name),
            labels ?? ProductPage);

    private static HTTPRouteDestination To(string subset, int weight = 0) =>
        new() { Destination = new Destination { Host = "reviews", Subset = subset }, Weight = weight };

    private static MeshConfig Routes(params HTTPRoute[] rules)
    {
        var vs = new VirtualService();
        vs.Hosts.Add("reviews");
        vs.Http.Add(rules);
        return AuthorizationEvaluatorTests.With(ResourceTypes.VirtualService,
            new MeshResource { Kind = "VirtualService", Metadata = new ObjectMeta { Name = "reviews" }, VirtualService = vs });
    }

    private static HTTPRoute Rule(string subset, HTTPMatchRequest? match = null)
    {
        var rule = new HTTPRoute();
        if (match is not null)
        {
            rule.Match.Add(match);
        }
        rule.Route.Add(To(subset));
        return rule;
    }

    [Theory]
    [InlineData("reviews", "reviews")]
    [InlineData("REVIEWS", "reviews")]
    [InlineData("reviews:9080", "reviews")]
    [InlineData("reviews.default", "reviews")]
    [InlineData("reviews.default.svc.cluster.local", "reviews")]
    [InlineData("example.com", "example.com")]
    public void ServiceName_NormalisesIstioHostForms(string host, string expected) => Assert.Equal(expected, RouteSelection.ServiceName(host));

    [Fact]
    public void Choose_FirstMatchingRuleWins()
    {
        var jason = new HTTPMatchRequest();
        jason.Headers.Add("end-user", new StringMatch { Exact = "jason" });
        var config = Routes(Rule("v2", jason), Rule("v1"));
        Assert.Equal("v2", RouteSelection.Choose(config, "reviews", Request(headers: new() { ["end-user"] = "jason" })).Rule!.Route[0].Destination.Subset);
        Assert.Equal("v1", RouteSelection.Choose(config, "reviews", Request()).Rule!.Route[0].Destination.Subset);
    }

    [Fact]
    public void Choose_UriPrefixRegexMethodQueryAndSourceLabels()
    {
        var prefix = new HTTPMatchRequest { Uri = new StringMatch { Prefix = "/api/" } };
        var regex = new HTTPMatchRequest { Uri = new StringMatch { Regex = "/items/[0-9]+" }, Method = new StringMatch { Exact = "DELETE" } };
        var query = new HTTPMatchRequest();
        query.QueryParams.Add("canary", new StringMatch { Exact = "1" });
        var source = new HTTPMatchRequest();
        source.SourceLabels.Add("version", "v2");
        var config = Routes(Rule("api", prefix), Rule("items", regex), Rule("canary", query), Rule("from-v2", source), Rule("default"));

        string Subset(RouteRequest r) => RouteSelection.Choose(config, "reviews", r).Rule!.Route[0].Destination.Subset;
        Assert.Equal("api", Subset(Request("/api/x")));
        Assert.Equal("items", Subset(Request("/items/42", "DELETE")));
        Assert.Equal("default", Subset(Request("/items/42x", "DELETE")));
        Assert.Equal("default", Subset(Request("/items/42", "GET")));
        Assert.Equal("canary", Subset(Request("/x", query: new() { ["canary"] = "1" })));
        Assert.Equal("from-v2", Subset(Request("/x", labels: new() { ["app"] = "productpage", ["version"] = "v2" })));
        Assert.Equal("default", Subset(Request("/x")));
    }

    [Fact]
    public void Choose_PortMatch_ComparesTheHostsPort()
    {
        var config = Routes(Rule("admin", new HTTPMatchRequest { Port = 9090 }), Rule("default"));
        Assert.Equal("admin", RouteSelection.Choose(config, "reviews", Request() with { Port = 9090 }).Rule!.Route[0].Destination.Subset);
        Assert.Equal("default", RouteSelection.Choose(config, "reviews", Request()).Rule!.Route[0].Destination.Subset);
    }

    [Fact]
    public void Choose_HostWithoutVirtualService_IsTheDefaultRoute()
    {
        var choice = RouteSelection.Choose(Routes(Rule("v1")), "ratings", Request());
        Assert.Null(choice.VirtualService);
        Assert.Null(choice.Rule);
    }

    [Fact]
    public void PickWeighted_SplitsByWeight()
    {
        var route = new List<HTTPRouteDestination> { To("v1", 90), To("v2", 10) };
        var random = new Random(7);
        var v2 = Enumerable.Range(0, 10_000).Count(_ => RouteSelection.PickWeighted(route, random.NextDouble())!.Destination.Subset == "v2");
        Assert.InRange(v2, 800, 1200);
    }

    [Fact]
    public void PickWeighted_ZeroWeightIsNeverChosen()
    {
        var route = new List<HTTPRouteDestination> { To("v1", 100), To("v2", 0) };
        Assert.All(Enumerable.Range(0, 100), i => Assert.Equal("v1", RouteSelection.PickWeighted(route, i / 100.0)!.Destination.Subset));
    }

    [Fact]
    public void SubsetLabels_SelectInstancesByMetadataAndApp()
    {
        var rule = new DestinationRule { Host = "reviews" };
        var v2 = new Subset { Name = "v2" };
        v2.Labels.Add("version", "v2");
        v2.Labels.Add("app", "reviews");
        rule.Subsets.Add(v2);
        var labels = RouteSelection.SubsetLabels(rule, "v2")!;
        Assert.True(RouteSelection.HasLabels("reviews", new Dictionary<string, string> { ["version"] = "v2" }, labels));
        Assert.False(RouteSelection.HasLabels("reviews", new Dictionary<string, string> { ["version"] = "v1" }, labels));
        Assert.Null(RouteSelection.SubsetLabels(rule, "v3"));
    }

    [Fact]
    public void PolicyFor_SubsetOverridesTheRule()
    {
        var rule = new DestinationRule
        {
            Host = "reviews",
            TrafficPolicy = new TrafficPolicy { LoadBalancer = new LoadBalancerSettings { Simple = LoadBalancerSettings.Types.SimpleLB.RoundRobin } },
        };
        rule.Subsets.Add(new Subset
        {
            Name = "v2",
            TrafficPolicy = new TrafficPolicy { LoadBalancer = new LoadBalancerSettings { Simple = LoadBalancerSettings.Types.SimpleLB.Random } },
        });
        Assert.Equal(LoadBalancerSettings.Types.SimpleLB.Random, RouteSelection.PolicyFor(rule, "v2")!.LoadBalancer.Simple);
        Assert.Equal(LoadBalancerSettings.Types.SimpleLB.RoundRobin, RouteSelection.PolicyFor(rule, "v1")!.LoadBalancer.Simple);
    }

    [Theory]
    [InlineData(503, "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes", false)]
    [InlineData(503, "5xx", true)]
    [InlineData(502, "gateway-error", true)]
    [InlineData(500, "gateway-error", false)]
    [InlineData(409, "retriable-4xx", true)]
    [InlineData(418, "retriable-status-codes,418", true)]
    public void RetriableStatus_FollowsRetryOn(int status, string retryOn, bool expected) =>
        Assert.Equal(expected, OutboundHandler.RetriableStatus(status, retryOn.Split(',').ToHashSet()));
}
