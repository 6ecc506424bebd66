using System.Net;
using Infrastructure.Mesh.Api;
using Infrastructure.Mesh.Api.Resources;
using Infrastructure.Mesh.Sidecar.Inbound;
using Infrastructure.Mesh.Sidecar.Xds;
using Action = Infrastructure.Mesh.Api.AuthorizationPolicy.Types.Action;

namespace Infrastructure.Mesh.Sidecar.Tests.Inbound;

public class AuthorizationEvaluatorTests
{
    private static readonly Dictionary<string, string> Ratings = new() { ["app"] = "ratings", ["version"] = "v1" };
    private const string ProductPage = "cluster.local/ns/default/sa/productpage";

    internal static MeshConfig With(string type, params MeshResource[] resources) =>
        MeshConfig.Empty.With(new TypeState(type, "1", "n1", resources, DateTimeOffset.MinValue));

    internal static MeshResource Policy(string name, Action action, Action<AuthorizationPolicy>? shape = null, string? ns = null, Dictionary<string, string>? selector = null)
    {
        var spec = new AuthorizationPolicy { Action = action };
        if (selector is not null)
        {
            spec.Selector = new WorkloadSelector();
            spec.Selector.MatchLabels.Add(selector);
        }
        shape?.Invoke(spec);
        return new MeshResource { Kind = "AuthorizationPolicy", Metadata = new ObjectMeta { Name = name, Namespace = ns ?? "" }, AuthorizationPolicy = spec };
    }

    private static AuthorizationRequest Request(string method = "GET", string path = "/ratings/1", string? principal = ProductPage, string host = "ratings") =>
        new(principal, IPAddress.Loopback, method, path, host, 9080, _ => null);

    private static bool Allowed(MeshConfig config, AuthorizationRequest request) => AuthorizationEvaluator.Evaluate(config, Ratings, request).Allowed;

    private static Rule DeleteRatingsFrom(string principal)
    {
        var rule = new Rule();
        var from = new Rule.Types.From { Source = new Source() };
        from.Source.Principals.Add(principal);
        rule.From.Add(from);
        var to = new Rule.Types.To { Operation = new Operation() };
        to.Operation.Methods.Add("DELETE");
        to.Operation.Paths.Add("/ratings/*");
        rule.To.Add(to);
        return rule;
    }

    [Fact]
    public void Evaluate_NoPolicy_Allows() => Assert.True(Allowed(MeshConfig.Empty, Request()));

    [Fact]
    public void Evaluate_DenyMatching_DeniesOnlyWhatItNames()
    {
        var config = With(ResourceTypes.AuthorizationPolicy, Policy("deny-delete", Action.Deny, p => p.Rules.Add(DeleteRatingsFrom(ProductPage))));
        Assert.False(Allowed(config, Request("DELETE")));
        Assert.True(Allowed(config, Request("GET")));
        Assert.True(Allowed(config, Request("DELETE", principal: "cluster.local/ns/default/sa/reviews")));
    }

    [Fact]
    public void Evaluate_DenyBeforeAllow_Denies()
    {
        var config = With(ResourceTypes.AuthorizationPolicy,
            Policy("allow-all", Action.Allow, p => p.Rules.Add(new Rule())),
            Policy("deny-delete", Action.Deny, p => p.Rules.Add(DeleteRatingsFrom(ProductPage))));
        Assert.False(Allowed(config, Request("DELETE")));
        Assert.True(Allowed(config, Request("GET")));
    }

    [Fact]
    public void Evaluate_AllowWithNoRules_DeniesEverything()
    {
        var config = With(ResourceTypes.AuthorizationPolicy, Policy("allow-nothing", Action.Allow));
        Assert.False(Allowed(config, Request()));
    }

    [Fact]
    public void Evaluate_AllowWithEmptyRule_AllowsEverything()
    {
        var config = With(ResourceTypes.AuthorizationPolicy, Policy("allow-all", Action.Allow, p => p.Rules.Add(new Rule())));
        Assert.True(Allowed(config, Request(principal: null)));
    }

    [Fact]
    public void Evaluate_AllowByPrincipalSuffix_NeedsAMatch()
    {
        var rule = new Rule();
        var from = new Rule.Types.From { Source = new Source() };
        from.Source.Principals.Add("*/sa/productpage");
        rule.From.Add(from);
        var config = With(ResourceTypes.AuthorizationPolicy, Policy("allow-pp", Action.Allow, p => p.Rules.Add(rule)));
        Assert.True(Allowed(config, Request()));
        Assert.False(Allowed(config, Request(principal: "cluster.local/ns/default/sa/reviews")));
        Assert.False(Allowed(config, Request(principal: null)));
    }

    [Fact]
    public void Evaluate_NotPathsAndPorts_AreChecked()
    {
        var rule = new Rule();
        var to = new Rule.Types.To { Operation = new Operation() };
        to.Operation.NotPaths.Add("/admin*");
        to.Operation.Ports.Add("9080");
        rule.To.Add(to);
        var config = With(ResourceTypes.AuthorizationPolicy, Policy("allow", Action.Allow, p => p.Rules.Add(rule)));
        Assert.True(Allowed(config, Request(path: "/ratings/1")));
        Assert.False(Allowed(config, Request(path: "/admin/users")));
    }

    [Fact]
    public void Evaluate_SelectorForAnotherWorkload_DoesNotApply()
    {
        var config = With(ResourceTypes.AuthorizationPolicy, Policy("allow-nothing", Action.Allow, selector: new() { ["app"] = "reviews" }));
        Assert.True(Allowed(config, Request()));
    }

    [Fact]
    public void Evaluate_RootNamespacePolicy_AppliesMeshWide()
    {
        var config = With(ResourceTypes.AuthorizationPolicy, Policy("deny-delete", Action.Deny, p => p.Rules.Add(DeleteRatingsFrom("*")), ns: "istio-system"));
        Assert.False(Allowed(config, Request("DELETE")));
    }

    [Fact]
    public void Evaluate_OtherNamespacePolicy_DoesNotApply()
    {
        var config = With(ResourceTypes.AuthorizationPolicy, Policy("allow-nothing", Action.Allow, ns: "other"));
        Assert.True(Allowed(config, Request()));
    }

    [Fact]
    public void Evaluate_WhenHeader_IsChecked()
    {
        var rule = new Rule();
        var condition = new Condition { Key = "request.headers[x-user]" };
        condition.Values.Add("admin");
        rule.When.Add(condition);
        var config = With(ResourceTypes.AuthorizationPolicy, Policy("allow-admin", Action.Allow, p => p.Rules.Add(rule)));
        Assert.False(Allowed(config, Request()));
        Assert.True(AuthorizationEvaluator.Evaluate(config, Ratings,
            new AuthorizationRequest(ProductPage, IPAddress.Loopback, "GET", "/", "ratings", 9080, n => n == "x-user" ? "admin" : null)).Allowed);
    }

    [Theory]
    [InlineData("*", "x", true)]
    [InlineData("*", "", false)]
    [InlineData("/ratings/*", "/ratings/1", true)]
    [InlineData("/ratings/*", "/reviews/1", false)]
    [InlineData("*/sa/productpage", "cluster.local/ns/default/sa/productpage", true)]
    [InlineData("GET", "GET", true)]
    [InlineData("GET", "get", false)]
    public void Matches_IstioStringMatch(string pattern, string value, bool expected) =>
        Assert.Equal(expected, AuthorizationEvaluator.Matches(pattern, value));
}
